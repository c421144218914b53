//! A programmable HTTP/1.1 server on loopback, for behaviour tests that need to inject a
//! fault the sandbox would never produce (a dropped connection, a proxy's 502 page, a server
//! that never answers).
//!
//! Each test gives [`MockServer::start`] a handler, a plain closure from the [`Request`] it
//! received to the [`Reply`] to give. The server records every request (method, path with
//! query, headers, body) and counts them per path, so tests assert on what the client
//! actually sent. Every connection is served in its own task and may carry several requests
//! (keep-alive). Odd input never panics the server: a malformed request gets a 400 and the
//! connection is closed, and a handler that panics is answered with a 500 and remembered
//! (see [`MockServer::handler_panics`]).
//!
//! Tests of the API's behaviour rather than of faults run against the local sandbox
//! instead; [`sandbox`] starts one.
#![allow(dead_code)]

pub mod logs;
pub mod sandbox;

use std::{
    collections::HashMap,
    net::SocketAddr,
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use cryptopocket::{
    Client, ClientBuilder, Environment, RetryPolicy, model::UserId, onramp::NewPayment,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// The longest request head (request line and headers) accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The largest request body accepted.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// A request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target: path and query, e.g. `/api/payments/list?page=2`.
    pub path: String,
    /// The headers in the order received, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked when it was sent chunked.
    pub body: Vec<u8>,
    /// 1 for the first request to this route (path without query), 2 for the second, …
    pub nth: usize,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The `auth` header the API authenticates with.
    pub fn auth(&self) -> Option<&str> {
        self.header("auth")
    }

    /// The path without the query.
    pub fn route(&self) -> &str {
        route_of(&self.path)
    }

    /// Whether this is `method route`.
    pub fn is(&self, method: &str, route: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.route() == route
    }

    /// The value of query parameter `name` (not percent-decoded).
    pub fn query(&self, name: &str) -> Option<&str> {
        let (_, query) = self.path.split_once('?')?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What the server does with a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Answer with this status and JSON body.
    Json(u16, Value),
    /// Answer with this status, content type, body and extra headers.
    Raw(u16, String, String, Vec<(String, String)>),
    /// Close the connection without answering (the request did reach the server).
    Drop,
    /// Keep the connection open and never answer.
    Hang,
    /// Write exactly these raw bytes, pausing where told, then close: a status line and
    /// headers of any kind, a body that stalls, trickles, is cut short or never ends.
    Script(Vec<Step>),
}

/// One step of a [`Reply::Script`].
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Wait this long.
    Sleep(Duration),
    /// Write these bytes again and again until the client goes away or a bound is reached.
    Endless(Vec<u8>),
}

/// The most a [`Step::Endless`] writes, so that a client that keeps reading still ends.
const ENDLESS_BYTES: usize = 1 << 30;

impl Step {
    /// Writes `text`.
    pub fn text(text: &str) -> Self {
        Step::Write(text.as_bytes().to_vec())
    }

    /// Waits `millis` milliseconds.
    pub fn ms(millis: u64) -> Self {
        Step::Sleep(Duration::from_millis(millis))
    }
}

impl Reply {
    /// `200 {"status": "ok", "data": data}`.
    pub fn ok(data: Value) -> Self {
        Reply::Json(200, json!({"status": "ok", "data": data}))
    }

    /// The API's business error: `200 {"status": "error", "error": code}`.
    pub fn api_error(code: &str) -> Self {
        Reply::Json(200, json!({"status": "error", "error": code}))
    }

    /// An authenticate answer issuing `token` for an hour (the shape is inferred).
    pub fn token(token: &str) -> Self {
        Reply::ok(json!({"token": token, "expires_in": 3600}))
    }

    /// A documented payload from `tests/fixtures`, verbatim, with HTTP 200.
    pub fn fixture(name: &str) -> Self {
        Reply::Raw(200, "application/json".into(), fixture_text(name), vec![])
    }
}

/// The text of a documented payload in the workspace's `tests/fixtures`.
pub fn fixture_text(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read fixture {path}: {e}"))
}

/// A documented payload from `tests/fixtures`, parsed.
pub fn fixture(name: &str) -> Value {
    serde_json::from_str(&fixture_text(name))
        .unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}

type Handler = Box<dyn Fn(&Request) -> Reply + Send + Sync>;

#[derive(Default)]
struct Log {
    requests: Vec<Request>,
    counts: HashMap<String, usize>,
    panics: Vec<String>,
}

struct State {
    handler: Handler,
    log: Mutex<Log>,
}

impl State {
    fn log(&self) -> MutexGuard<'_, Log> {
        // A poisoned lock only means a thread panicked while holding it; the log is whole.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running mock server; stops accepting connections when dropped.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl MockServer {
    /// Binds `127.0.0.1:0` and serves every request with `handler`.
    pub async fn start<H>(handler: H) -> Self
    where
        H: Fn(&Request) -> Reply + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let state = Arc::new(State {
            handler: Box::new(handler),
            log: Mutex::new(Log::default()),
        });
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((socket, _)) => {
                        tokio::spawn(serve_connection(socket, Arc::clone(&shared)));
                    }
                    // Out of file descriptors and the like: back off a little, keep serving.
                    Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        });
        Self {
            addr,
            state,
            accept,
        }
    }

    /// `http://127.0.0.1:PORT/api`, the base URL a client is given.
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.log().requests.clone()
    }

    /// The requests received for `route` (a path without query, e.g. `/api/authenticate`).
    pub fn requests_to(&self, route: &str) -> Vec<Request> {
        self.state
            .log()
            .requests
            .iter()
            .filter(|r| r.route() == route)
            .cloned()
            .collect()
    }

    /// How many requests arrived for `route` (a path without query).
    pub fn count(&self, route: &str) -> usize {
        self.state.log().counts.get(route).copied().unwrap_or(0)
    }

    /// The messages of handler panics (each was answered with a 500).
    pub fn handler_panics(&self) -> Vec<String> {
        self.state.log().panics.clone()
    }
}

/// The wallet of the documented createPayment request.
pub const WALLET: &str = "0xB51b2ce243bb1F88880bC8D287EBbfd7F695Ac55";

/// The documented createPayment request (EUR 240 of USDC on polygon for customer 106).
pub fn payment_request(external_id: &str) -> NewPayment {
    payment_for(&UserId::new(106), Decimal::new(240, 0)).external_id(external_id)
}

/// The documented createPayment request for `user_id` and `fiat_amount` euros, without an
/// external id.
pub fn payment_for(user_id: &UserId, fiat_amount: Decimal) -> NewPayment {
    NewPayment::new(user_id, fiat_amount, "EUR", "USDC", WALLET).coin_chain("polygon")
}

/// A client builder for `server` with test credentials and short timeouts and backoffs.
pub fn client_builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .environment(Environment::Custom(server.base_url()))
        .credentials("key-test", "secret-test")
        .attempt_timeout(Duration::from_secs(5))
        .deadline(Duration::from_secs(10))
        .retry_policy(fast_retries(3))
}

/// `max_attempts` attempts with millisecond backoffs.
pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(max_attempts)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

fn route_of(path: &str) -> &str {
    path.split_once('?').map_or(path, |(route, _)| route)
}

/// Why no request could be read.
enum ReadError {
    /// The peer closed the connection (or it broke).
    Closed,
    /// The bytes are not a request we can answer; reply with this status and close.
    Bad(u16, &'static str),
}

struct Connection {
    socket: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    /// Reads more bytes into the buffer.
    async fn fill(&mut self) -> Result<(), ReadError> {
        let mut chunk = [0u8; 8192];
        match self.socket.read(&mut chunk).await {
            Ok(0) | Err(_) => Err(ReadError::Closed),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }

    /// Makes sure the buffer holds at least `len` bytes.
    async fn ensure(&mut self, len: usize) -> Result<(), ReadError> {
        while self.buf.len() < len {
            self.fill().await?;
        }
        Ok(())
    }

    /// The line starting at `pos` (without CRLF) and the position after its CRLF.
    async fn line_at(&mut self, pos: usize) -> Result<(String, usize), ReadError> {
        loop {
            if let Some(offset) = find(&self.buf[pos.min(self.buf.len())..], b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[pos..pos + offset]).into_owned();
                return Ok((line, pos + offset + 2));
            }
            if self.buf.len().saturating_sub(pos) > MAX_HEAD_BYTES {
                return Err(ReadError::Bad(400, "line too long"));
            }
            self.fill().await?;
        }
    }

    /// Reads one request; `Ok(None)` when the peer closed the connection between requests.
    async fn read_request(&mut self) -> Result<Option<Request>, ReadError> {
        let head_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end;
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                return Err(ReadError::Bad(431, "request head too large"));
            }
            match self.fill().await {
                Ok(()) => {}
                Err(ReadError::Closed) if self.buf.is_empty() => return Ok(None),
                Err(e) => return Err(e),
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split_whitespace();
        let (Some(method), Some(path), Some(version), None) = (
            request_line.next(),
            request_line.next(),
            request_line.next(),
            request_line.next(),
        ) else {
            return Err(ReadError::Bad(400, "malformed request line"));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(ReadError::Bad(505, "only HTTP/1.x is served"));
        }
        let mut headers = Vec::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                return Err(ReadError::Bad(400, "malformed header line"));
            };
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let chunked = header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        let content_length = match header("content-length") {
            None => 0,
            Some(text) => text
                .parse::<usize>()
                .map_err(|_| ReadError::Bad(400, "bad content-length"))?,
        };
        let mut request = Request {
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            nth: 0,
        };
        let body_start = head_end + 4;
        let consumed = if chunked {
            let (body, end) = self.read_chunked(body_start).await?;
            request.body = body;
            end
        } else {
            if content_length > MAX_BODY_BYTES {
                return Err(ReadError::Bad(413, "body too large"));
            }
            let end = body_start + content_length;
            self.ensure(end).await?;
            request.body = self.buf[body_start..end].to_vec();
            end
        };
        self.buf.drain(..consumed);
        request.headers = headers;
        Ok(Some(request))
    }

    /// A chunked body starting at `pos`: the body and the position after the trailers.
    async fn read_chunked(&mut self, mut pos: usize) -> Result<(Vec<u8>, usize), ReadError> {
        let mut body = Vec::new();
        loop {
            let (line, next) = self.line_at(pos).await?;
            let size_text = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| ReadError::Bad(400, "bad chunk size"))?;
            pos = next;
            if size == 0 {
                // Trailers, then an empty line.
                loop {
                    let (trailer, next) = self.line_at(pos).await?;
                    pos = next;
                    if trailer.is_empty() {
                        return Ok((body, pos));
                    }
                }
            }
            if body.len() + size > MAX_BODY_BYTES {
                return Err(ReadError::Bad(413, "body too large"));
            }
            self.ensure(pos + size + 2).await?;
            body.extend_from_slice(&self.buf[pos..pos + size]);
            if &self.buf[pos + size..pos + size + 2] != b"\r\n" {
                return Err(ReadError::Bad(400, "chunk not followed by CRLF"));
            }
            pos += size + 2;
        }
    }
}

async fn serve_connection(socket: TcpStream, state: Arc<State>) {
    let _ = socket.set_nodelay(true);
    let mut conn = Connection {
        socket,
        buf: Vec::new(),
    };
    loop {
        let mut request = match conn.read_request().await {
            Ok(Some(request)) => request,
            Ok(None) | Err(ReadError::Closed) => return,
            Err(ReadError::Bad(status, why)) => {
                let response = response_bytes(status, "text/plain", why.as_bytes(), &[], false);
                let _ = conn.socket.write_all(&response).await;
                let _ = conn.socket.shutdown().await;
                return;
            }
        };
        let client_keeps_alive = !request
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        {
            let mut log = state.log();
            let count = log.counts.entry(request.route().to_owned()).or_insert(0);
            *count += 1;
            request.nth = *count;
            log.requests.push(request.clone());
        }
        let reply = match std::panic::catch_unwind(AssertUnwindSafe(|| (state.handler)(&request))) {
            Ok(reply) => reply,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string panic".to_owned());
                state.log().panics.push(message.clone());
                Reply::Raw(
                    500,
                    "text/plain".into(),
                    format!("mock handler panicked: {message}"),
                    vec![],
                )
            }
        };
        let (status, content_type, body, extra) = match reply {
            Reply::Drop => {
                let _ = conn.socket.shutdown().await;
                return;
            }
            Reply::Hang => {
                // Never answer; discard whatever comes and end when the client gives up.
                let mut sink = [0u8; 1024];
                while let Ok(n) = conn.socket.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
                return;
            }
            Reply::Script(steps) => {
                play(&mut conn.socket, steps).await;
                let _ = conn.socket.shutdown().await;
                return;
            }
            Reply::Json(status, value) => (
                status,
                "application/json".to_owned(),
                value.to_string(),
                Vec::new(),
            ),
            Reply::Raw(status, content_type, body, extra) => (status, content_type, body, extra),
        };
        let server_closes = extra
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"));
        let keep_alive = client_keeps_alive && !server_closes;
        let response = response_bytes(status, &content_type, body.as_bytes(), &extra, keep_alive);
        if conn.socket.write_all(&response).await.is_err() || !keep_alive {
            let _ = conn.socket.shutdown().await;
            return;
        }
    }
}

async fn play(socket: &mut TcpStream, steps: Vec<Step>) {
    for step in steps {
        match step {
            Step::Write(bytes) => {
                if socket.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Step::Sleep(pause) => tokio::time::sleep(pause).await,
            Step::Endless(chunk) => {
                let mut written = 0;
                while written < ENDLESS_BYTES && !chunk.is_empty() {
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                    written += chunk.len();
                }
            }
        }
    }
}

fn response_bytes(
    status: u16,
    content_type: &str,
    body: &[u8],
    extra: &[(String, String)],
    keep_alive: bool,
) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n",
        reason(status),
        body.len()
    );
    for (name, value) in extra {
        if name.eq_ignore_ascii_case("connection") {
            continue;
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !keep_alive {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

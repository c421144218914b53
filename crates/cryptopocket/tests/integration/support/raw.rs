//! A socket server on loopback for the faults an HTTP server library never writes: a
//! response that stalls or trickles mid-body, is cut short, never ends, is not HTTP at all,
//! or carries a 100 KiB header or header bytes outside ASCII. Everything well-formed is
//! served by `wiremock` instead (see [`super::mock`]).
//!
//! Each connection carries one request: the server reads the request line, the headers and a
//! `Content-Length` body, records the request, and either answers with JSON and closes, or
//! writes a [`Step`] script byte for byte and closes. Input it cannot read gets a 400.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

use super::Origin;

/// The longest request head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most a [`Step::Endless`] writes, so that a client that keeps reading still ends.
const ENDLESS_BYTES: usize = 1 << 30;

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// The headers in the order received, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The `Content-Length` body.
    pub body: Vec<u8>,
}

impl RawRequest {
    /// The path without the query.
    pub fn route(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(r, _)| r)
    }

    /// Whether this is `method route`.
    pub fn is(&self, method: &str, route: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.route() == route
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    /// Answer with this status and JSON body, then close.
    Json(u16, Value),
    /// Write these steps, then close.
    Script(Vec<Step>),
}

/// One step of a [`Reply::Script`].
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Wait this long.
    Sleep(Duration),
    /// Write these bytes again and again until the client goes away (or 1 GiB).
    Endless(Vec<u8>),
}

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

/// A status line and headers, ended by the empty line: `head("200 OK", &[("A", "b")])`.
pub fn head(status: &str, headers: &[(&str, &str)]) -> String {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

type Handler = Arc<dyn Fn(&RawRequest) -> Reply + Send + Sync>;
type Log = Arc<Mutex<Vec<RawRequest>>>;

/// A running raw server; stops accepting connections when dropped.
pub struct RawServer {
    addr: SocketAddr,
    log: Log,
    accept: JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Origin for RawServer {
    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl RawServer {
    /// Binds `127.0.0.1:0` and serves every request with `handler`.
    pub async fn start(handler: impl Fn(&RawRequest) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Log::default();
        let handler: Handler = Arc::new(handler);
        let accept = {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(serve(socket, Arc::clone(&handler), Arc::clone(&log)));
                }
            })
        };
        Self { addr, log, accept }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request read so far, in arrival order.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests arrived for `route` (a path without query).
    pub fn count(&self, route: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.route() == route)
            .count()
    }
}

async fn serve(mut socket: TcpStream, handler: Handler, log: Log) {
    let _ = socket.set_nodelay(true);
    let request = match read_request(&mut socket).await {
        Ok(Some(request)) => request,
        Ok(None) => return,
        Err(why) => {
            let answer = format!(
                "{}{why}",
                head(
                    "400 Bad Request",
                    &[
                        ("Content-Length", &why.len().to_string()),
                        ("Connection", "close"),
                    ],
                )
            );
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
            return;
        }
    };
    log.lock().unwrap().push(request.clone());
    let steps = match handler(&request) {
        Reply::Json(status, value) => {
            let body = value.to_string();
            let head = head(
                &format!("{status} Status"),
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Length", &body.len().to_string()),
                    ("Connection", "close"),
                ],
            );
            vec![Step::Write(format!("{head}{body}").into_bytes())]
        }
        Reply::Script(steps) => steps,
    };
    for step in steps {
        let written = match step {
            Step::Write(bytes) => socket.write_all(&bytes).await,
            Step::Sleep(pause) => {
                tokio::time::sleep(pause).await;
                Ok(())
            }
            Step::Endless(chunk) => endless(&mut socket, &chunk).await,
        };
        if written.is_err() {
            return;
        }
    }
    let _ = socket.shutdown().await;
}

async fn endless(socket: &mut TcpStream, chunk: &[u8]) -> std::io::Result<()> {
    let mut written = 0;
    while written < ENDLESS_BYTES && !chunk.is_empty() {
        socket.write_all(chunk).await?;
        written += chunk.len();
    }
    Ok(())
}

/// One request; `Ok(None)` when the peer closed the connection before sending anything.
async fn read_request(socket: &mut TcpStream) -> Result<Option<RawRequest>, &'static str> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err("request head too large");
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) if buf.is_empty() => return Ok(None),
            Ok(0) | Err(_) => return Err("request head cut short"),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let words: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let [method, target, version] = words[..] else {
        return Err("malformed request line");
    };
    if !version.starts_with("HTTP/1.") {
        return Err("not HTTP/1.x");
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or("malformed header line")?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut request = RawRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: Vec::new(),
    };
    let length = match request.header("content-length") {
        None => 0,
        Some(text) => text.parse::<usize>().map_err(|_| "bad content-length")?,
    };
    let mut body = buf.split_off(head_end + 4);
    while body.len() < length {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return Err("body cut short"),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(length);
    request.body = body;
    Ok(Some(request))
}

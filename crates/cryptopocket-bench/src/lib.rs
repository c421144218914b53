//! Shared pieces of the benchmarks: an in-process server that answers fixed bytes, the
//! payloads it serves, and the three clients measured side by side.
//!
//! The server does as little as an HTTP/1.1 server can: it reads a request's head (and its
//! body, by `Content-Length`), looks the request target up in a table built before the
//! first request, and writes a response prepared byte for byte beforehand, optionally after
//! a delay. Keep-alive is always on. So what a benchmark measures is the client.
//!
//! It runs on a runtime of its own, on its own thread ([`FixedServer::spawn`]), or in a
//! process of its own (the `fixed-server` binary, which `scripts/callgrind.sh` starts so
//! that callgrind counts the client's instructions only).

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};

/// The directory of the documented payloads (`tests/fixtures` of the workspace).
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// The id the benchmarks ask for (the documented Retrieve-payment example's).
pub const PAYMENT_ID: &str = "aBcDeFgHiJkLmNoPqRsTuVwXy";

/// The id of the documented Get-rampoff example.
pub const RAMPOFF_ID: &str = "S35AJ0gSzf6P30XJRc2yMsIOK";

/// The token the fixed server issues.
pub const TOKEN: &str = "bench-token-0123456789";

/// A documented payload by file name (`getPayment.response.json`).
///
/// # Panics
///
/// When the fixture is missing.
pub fn fixture(name: &str) -> String {
    let path = format!("{FIXTURES}/{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One prepared answer: the whole HTTP response, and how long to wait before sending it.
#[derive(Debug, Clone)]
pub struct Reply {
    bytes: Arc<[u8]>,
    delay: Duration,
}

impl Reply {
    /// `200 OK` with `body` as `application/json`.
    pub fn json(body: &str) -> Self {
        Self::status(200, body)
    }

    /// A response with `status` and `body` as `application/json`.
    pub fn status(status: u16, body: &str) -> Self {
        let reason = match status {
            200 => "OK",
            404 => "Not Found",
            422 => "Unprocessable Content",
            _ => "Status",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        Self {
            bytes: bytes.into(),
            delay: Duration::ZERO,
        }
    }

    /// The same answer, sent `delay` after the request was read.
    #[must_use]
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The length of the body plus head, in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the reply is empty (never, for a built one).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Request target (path and query, exactly as sent) → answer. A target missing from the
/// table gets the answer stored under its path without the query, else a 404.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    table: HashMap<String, Reply>,
}

impl Routes {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `target` (`/api/payment/abc`, `/api/payments/list?page=2`) with `reply`.
    #[must_use]
    pub fn with(mut self, target: impl Into<String>, reply: Reply) -> Self {
        self.table.insert(target.into(), reply);
        self
    }

    fn find(&self, target: &str) -> Option<&Reply> {
        self.table.get(target).or_else(|| {
            let path = target.split_once('?').map_or(target, |(path, _)| path);
            self.table.get(path)
        })
    }

    /// Every documented answer the benchmarks use: authenticate, each get, the creates, and
    /// lists of `rows` rows built from the documented items.
    pub fn documented(rows: usize) -> Self {
        let authenticate =
            format!(r#"{{"status":"ok","data":{{"token":"{TOKEN}","expires_in":86400}}}}"#);
        Self::new()
            .with("/api/authenticate", Reply::json(&authenticate))
            .with(
                format!("/api/payment/{PAYMENT_ID}"),
                Reply::json(&fixture("getPayment.response.json")),
            )
            .with(
                "/api/getRampoff",
                Reply::json(&fixture("getRampoff.response.json")),
            )
            .with(
                "/api/createPayment",
                Reply::json(&fixture("createPayment.response.transfer.json")),
            )
            .with(
                "/api/createGuidedPayment",
                Reply::json(&fixture("createGuidedPayment.response.json")),
            )
            .with(
                "/api/createRampoff",
                Reply::json(&fixture("createRampoff.response.json")),
            )
            .with(
                "/api/register/company",
                Reply::json(&fixture("registerCompany.response.json")),
            )
            .with(
                "/api/subscribeToWebhook",
                Reply::json(&fixture("subscribeToWebhook.response.json")),
            )
            .with(
                "/api/payments/list",
                Reply::json(&payments_page(rows, 1, 1)),
            )
            .with(
                "/api/rampoffs/list",
                Reply::json(&rampoffs_page(rows, 1, 1)),
            )
            .with(
                "/api/customers/list",
                Reply::json(&customers_page(rows, 1, 1)),
            )
    }

    /// `pages` pages of `rows` payments each at `/api/payments/list?page=N&per_page=...`
    /// (any query naming the page), each answered after `delay`.
    #[must_use]
    pub fn paged_payments(mut self, pages: usize, rows: usize, delay: Duration) -> Self {
        for page in 1..=pages {
            let reply = Reply::json(&payments_page(rows, page, pages)).delayed(delay);
            self.table
                .insert(format!("/api/payments/list?page={page}"), reply.clone());
            self.table.insert(
                format!("/api/payments/list?page={page}&per_page={rows}"),
                reply,
            );
        }
        self
    }
}

/// The `data` object of a documented example, as JSON text.
fn documented_data(name: &str) -> String {
    let envelope: serde_json::Value = serde_json::from_str(&fixture(name)).expect("a JSON fixture");
    envelope["data"].to_string()
}

fn page_of(item: &str, rows: usize, page: usize, pages: usize) -> String {
    let mut body = String::with_capacity(item.len() * rows + 200);
    body.push_str(r#"{"status":"ok","data":["#);
    for i in 0..rows {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    let total = rows * pages;
    let from = (page - 1) * rows + 1;
    body.push_str(&format!(
        r#"],"pagination":{{"current_page":{page},"from":{from},"last_page":{pages},"per_page":{rows},"to":{},"total":{total}}}}}"#,
        from + rows - 1
    ));
    body
}

/// Page `page` of `pages` of a payments list, `rows` documented payments a page.
pub fn payments_page(rows: usize, page: usize, pages: usize) -> String {
    page_of(
        &documented_data("getPayment.response.json"),
        rows,
        page,
        pages,
    )
}

/// Page `page` of `pages` of a rampoffs list, `rows` documented off-ramps a page.
pub fn rampoffs_page(rows: usize, page: usize, pages: usize) -> String {
    page_of(
        &documented_data("getRampoff.response.json"),
        rows,
        page,
        pages,
    )
}

/// Page `page` of `pages` of a customers list (the shape is inferred; every field set).
pub fn customers_page(rows: usize, page: usize, pages: usize) -> String {
    let customer = r#"{"id":100067,"name":"Ana","surname":"Pérez","email":"ana@example.com","type":"individual","kyc_status":"valid","external_id":"cust-001","created_at":"2026-06-26T10:30:00.000000Z"}"#;
    page_of(customer, rows, page, pages)
}

/// A running fixed-bytes server.
#[derive(Debug)]
pub struct FixedServer {
    addr: SocketAddr,
}

impl FixedServer {
    /// Starts serving `routes` on a loopback port, on a runtime of its own (one worker
    /// thread) so that it never competes with the client's runtime for a worker.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub fn spawn(routes: Routes) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        std_listener.set_nonblocking(true).expect("non-blocking");
        let addr = std_listener.local_addr().expect("an address");
        std::thread::Builder::new()
            .name("fixed-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("a listener");
                    serve(listener, Arc::new(routes)).await;
                });
            })
            .expect("a server thread");
        Self { addr }
    }

    /// Serves `routes` on `listener` until the process ends (the `fixed-server` binary).
    pub async fn run(listener: TcpListener, routes: Routes) {
        serve(listener, Arc::new(routes)).await;
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL the clients use (`http://127.0.0.1:PORT/api`).
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }
}

async fn serve(listener: TcpListener, routes: Arc<Routes>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, Arc::clone(&routes)));
    }
}

/// One keep-alive connection: request heads in, prepared bytes out.
async fn connection(mut stream: TcpStream, routes: Arc<Routes>) {
    let not_found = Reply::status(404, r#"{"message":"no such route in the fixed server"}"#);
    let mut buffer: Vec<u8> = Vec::with_capacity(8192);
    loop {
        // Read until a whole head is buffered.
        let head_end = loop {
            if let Some(at) = find(&buffer, b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = &buffer[..head_end];
        let target = head
            .split(|&b| b == b' ')
            .nth(1)
            .and_then(|t| std::str::from_utf8(t).ok())
            .unwrap_or("/")
            .to_owned();
        let body_len = content_length(head);
        while buffer.len() < head_end + body_len {
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        buffer.drain(..head_end + body_len);
        let reply = routes.find(&target).unwrap_or(&not_found);
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        if stream.write_all(&reply.bytes).await.is_err() {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    let text = String::from_utf8_lossy(head);
    text.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// The wrapper, built for `base_url` with the bench's credentials. Retries off so that a
/// slow benchmark run never hides a failed call behind a retry.
///
/// # Panics
///
/// When the client cannot be built.
pub fn wrapper(base_url: &str) -> cryptopocket::Client {
    cryptopocket::Client::builder()
        .environment(cryptopocket::Environment::Custom(base_url.to_owned()))
        .credentials("bench_api_key", "bench_api_secret")
        .retry_policy(cryptopocket::RetryPolicy::never())
        .build()
        .expect("a client")
}

/// The generated client, sending the fixed server's token.
///
/// # Panics
///
/// When the client cannot be built.
pub fn generated(base_url: &str) -> cryptopocket_api::Client {
    cryptopocket_api::prepare_tls();
    let hooks = cryptopocket_api::Hooks::auth_token(TOKEN).expect("a header value");
    cryptopocket_api::Client::new_with_client(base_url, raw_http(), hooks)
}

/// A plain `reqwest::Client`, configured as the wrapper's (no redirects).
///
/// # Panics
///
/// When it cannot be built.
pub fn raw_http() -> reqwest::Client {
    cryptopocket_api::prepare_tls();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client")
}

/// What the client benches share: a multi-threaded runtime, the fixed server with the
/// documented payloads (1,000-row pages, and 20 paged payments of 10 rows, 20 ms a page),
/// the three clients on it and the documented ids.
pub struct Setup {
    /// Runs the calls.
    pub runtime: tokio::runtime::Runtime,
    /// Kept alive for the clients.
    pub server: FixedServer,
    /// The server's base URL.
    pub base: String,
    /// The crate's client.
    pub wrapper: cryptopocket::Client,
    /// The generated client.
    pub generated: cryptopocket_api::Client,
    /// The yardstick.
    pub raw: Raw,
    /// The documented payment's id.
    pub payment: cryptopocket::model::PaymentId,
    /// The documented off-ramp's id.
    pub rampoff: cryptopocket::model::OffRampId,
}

impl Setup {
    /// Starts the server and builds the clients.
    ///
    /// # Panics
    ///
    /// When the runtime, the server or a client cannot be built.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let server = FixedServer::spawn(Routes::documented(1000).paged_payments(
            20,
            10,
            std::time::Duration::from_millis(20),
        ));
        let base = server.base_url();
        Self {
            runtime,
            wrapper: wrapper(&base),
            generated: generated(&base),
            raw: Raw::new(&base),
            server,
            base,
            payment: cryptopocket::model::PaymentId::new(PAYMENT_ID).expect("the documented id"),
            rampoff: cryptopocket::model::OffRampId::new(RAMPOFF_ID).expect("the documented id"),
        }
    }
}

/// The documented payment through the generated client (the benches' one spelling of it).
///
/// # Panics
///
/// When the call fails.
pub async fn generated_get_payment(
    client: &cryptopocket_api::Client,
) -> cryptopocket_api::ResponseValue<cryptopocket_api::types::GetPaymentResponse> {
    let call = client.get_payment().payment_id(PAYMENT_ID).send();
    call.await.unwrap()
}

/// The documented off-ramp through the generated client.
///
/// # Panics
///
/// When the call fails.
pub async fn generated_get_rampoff(
    client: &cryptopocket_api::Client,
) -> cryptopocket_api::ResponseValue<cryptopocket_api::types::GetRampoffResponse> {
    let call = client.get_rampoff().id(RAMPOFF_ID).send();
    call.await.unwrap()
}

/// The yardstick: raw `reqwest` and `serde_json` straight into the generated types.
#[derive(Debug, Clone)]
pub struct Raw {
    http: reqwest::Client,
    base_url: String,
    token: reqwest::header::HeaderValue,
}

impl Raw {
    /// A raw client for `base_url`, sending the fixed server's token.
    pub fn new(base_url: &str) -> Self {
        Self {
            http: raw_http(),
            base_url: base_url.to_owned(),
            token: reqwest::header::HeaderValue::from_static(TOKEN),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: String) -> T {
        let response = self
            .http
            .get(url)
            .header(cryptopocket_api::AUTH_HEADER, self.token.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .expect("a response");
        assert!(response.status().is_success(), "{}", response.status());
        let body = response.bytes().await.expect("a body");
        serde_json::from_slice(&body).expect("the generated type")
    }

    /// Retrieve payment, decoded into the generated envelope.
    pub async fn get_payment(&self, id: &str) -> cryptopocket_api::types::GetPaymentResponse {
        self.get(format!("{}/payment/{id}", self.base_url)).await
    }

    /// Get rampoff, decoded into the generated envelope.
    pub async fn get_rampoff(&self, id: &str) -> cryptopocket_api::types::GetRampoffResponse {
        self.get(format!("{}/getRampoff?id={id}", self.base_url))
            .await
    }

    /// Page `page` of the payments list, decoded into the generated envelope.
    pub async fn list_payments(&self, page: u64) -> cryptopocket_api::types::ListPaymentsResponse {
        self.get(format!("{}/payments/list?page={page}", self.base_url))
            .await
    }

    /// Page `page` of the rampoffs list, decoded into the generated envelope.
    pub async fn list_rampoffs(&self, page: u64) -> cryptopocket_api::types::ListRampoffsResponse {
        self.get(format!("{}/rampoffs/list?page={page}", self.base_url))
            .await
    }

    /// Page `page` of the customers list, decoded into the generated envelope.
    pub async fn list_customers(
        &self,
        page: u64,
    ) -> cryptopocket_api::types::ListCustomersResponse {
        self.get(format!("{}/customers/list?page={page}", self.base_url))
            .await
    }
}

/// Runs `calls` calls of `call` on `in_flight` tasks of the current runtime (each makes its
/// share one after another), and returns how long they all took.
///
/// # Panics
///
/// When a task panics (a call that failed).
pub async fn concurrently<F, Fut>(calls: usize, in_flight: usize, call: F) -> Duration
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..in_flight)
        .map(|task| {
            let call = call.clone();
            let share = calls / in_flight + usize::from(task < calls % in_flight);
            tokio::spawn(async move {
                for _ in 0..share {
                    call().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a benchmark task");
    }
    started.elapsed()
}

//! What the tests share: a real PostgreSQL database, killable HTTP servers, a fan-out proxy
//! that multiplies deliveries, and a sandbox driven over its HTTP API.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cryptopocket_sandbox::{Control, Sandbox, SandboxConfig};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The variable `cargo xtask test` sets to the URL of the PostgreSQL it started.
pub const POSTGRES_URL_VAR: &str = "CRYPTOPOCKET_TEST_POSTGRES_URL";

/// The server's URL. A test that needs PostgreSQL fails without it: it never passes unrun.
pub fn postgres_url() -> String {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{POSTGRES_URL_VAR} is not set, and this test needs a real PostgreSQL: run \
             `cargo xtask test`, or `bash scripts/postgres.sh start` and export the \
             {POSTGRES_URL_VAR}=… line it prints"
        ),
    }
}

/// A new, empty database on the test server; its URL.
pub async fn fresh_database(prefix: &str) -> String {
    let admin = postgres_url();
    let (client, connection) = cryptopocket_webhooks::tokio_postgres::connect(
        &admin,
        cryptopocket_webhooks::tokio_postgres::NoTls,
    )
    .await
    .unwrap_or_else(|e| panic!("connect to {admin}: {e}"));
    tokio::spawn(connection);
    let name = format!("{prefix}_{}_{}", std::process::id(), fastrand::u32(..));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
}

/// An HTTP server on a runtime of its own, so that it can be killed like a crashed process:
/// killing it drops every task it runs (connections, requests being handled, work the
/// endpoint spawned, database connections it opened) at once.
pub struct Server {
    pub url: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    pub async fn start(router: Router, path: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the server");
        let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking socket");
        let addr = listener.local_addr().expect("the bound address");
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).expect("a Tokio listener");
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let service = TowerToHyperService::new(router.clone());
                connections.spawn(async move {
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                        .ok();
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            url: format!("http://{addr}{path}"),
            runtime: Some(runtime),
        }
    }

    /// Kills the server mid-whatever-it-is-doing.
    pub fn kill(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Stands between the sandbox and the receivers: posts every delivery, byte for byte with
/// its signature headers, `copies` times to each live receiver at once, and answers the
/// sandbox 200 only when every copy was answered 2xx, so the sandbox retries the rest.
/// It plays a sender that duplicates deliveries, and a load balancer in front of replicas.
#[derive(Clone)]
pub struct FanOut {
    targets: Arc<Mutex<Vec<String>>>,
    copies: usize,
    http: reqwest::Client,
}

impl FanOut {
    pub fn new(targets: Vec<String>, copies: usize) -> Self {
        Self {
            targets: Arc::new(Mutex::new(targets)),
            copies,
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Takes a receiver out of rotation (after killing it).
    pub fn remove(&self, url: &str) {
        self.targets.lock().unwrap().retain(|t| t != url);
    }

    pub async fn serve(&self) -> Server {
        let router = Router::new()
            .route("/hook", post(forward))
            .with_state(self.clone());
        Server::start(router, "/hook").await
    }
}

async fn forward(State(fan): State<FanOut>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut targets = fan.targets.lock().unwrap().clone();
    // No receiver gets a head start: whichever claims first differs from one delivery to the
    // next, as behind a real load balancer.
    fastrand::shuffle(&mut targets);
    let mut posts = JoinSet::new();
    for target in targets {
        for _ in 0..fan.copies {
            let mut request = fan.http.post(&target).body(body.clone());
            for name in ["x-api-key", "x-signature", "x-timestamp", "content-type"] {
                if let Some(value) = headers.get(name) {
                    request = request.header(name, value.clone());
                }
            }
            posts.spawn(request.send());
        }
    }
    let mut answer = StatusCode::OK;
    while let Some(done) = posts.join_next().await {
        match done {
            Ok(Ok(response)) if response.status().is_success() => {}
            Ok(Ok(response)) => {
                answer = StatusCode::from_u16(response.status().as_u16())
                    .unwrap_or(StatusCode::BAD_GATEWAY)
            }
            _ => answer = StatusCode::BAD_GATEWAY,
        }
    }
    answer
}

/// A sandbox driven over its HTTP API (the documented operations) plus its control handle.
pub struct Shop {
    pub sandbox: Sandbox,
    pub control: Control,
    http: reqwest::Client,
    token: String,
}

/// Every event type, the legacy `RAMPOFF_FINISHED` included, so each finished off-ramp is
/// delivered under both names.
pub const EVENT_TYPES: [&str; 5] = [
    "PAY_IN",
    "COINS_SENT",
    "CRYPTO_RECEIVED",
    "TRANSFER_RAMPOFF_FINISHED",
    "RAMPOFF_FINISHED",
];

impl Shop {
    pub async fn start() -> Self {
        let sandbox = Sandbox::start_with(SandboxConfig {
            // Generous retries with short pauses (25 ms doubling, 12 attempts); an attempt that
            // takes over 1.5 s counts as failed, as a hung receiver does at a real sender.
            webhook_attempts: 12,
            webhook_backoff: Duration::from_millis(25),
            webhook_timeout: Duration::from_millis(1500),
            ..SandboxConfig::default()
        })
        .await
        .expect("start a sandbox");
        let control = sandbox.control();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("an HTTP client");
        let mut shop = Self {
            sandbox,
            control,
            http,
            token: String::new(),
        };
        let body = json!({
            "api_key": shop.sandbox.api_key(),
            "api_secret": shop.sandbox.api_secret(),
        });
        shop.token = shop.call("/api/authenticate", body).await["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        shop
    }

    pub fn api_key(&self) -> &str {
        self.sandbox.api_key()
    }

    pub fn api_secret(&self) -> &str {
        self.sandbox.api_secret()
    }

    async fn call(&self, path: &str, body: Value) -> Value {
        let answer: Value = self
            .http
            .post(format!(
                "{}{path}",
                self.sandbox.base_url().trim_end_matches("/api")
            ))
            .header("auth", &self.token)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(answer.get("error").is_none(), "{path}: {answer}");
        answer["data"].clone()
    }

    pub async fn subscribe_all(&self, url: &str) {
        self.subscribe(&EVENT_TYPES, url).await;
    }

    /// Subscribes `url` to each of `event_types` through the API; each must be new.
    pub async fn subscribe(&self, event_types: &[&str], url: &str) {
        for event_type in event_types {
            let answer = self
                .call(
                    "/api/subscribeToWebhook",
                    json!({"type": event_type, "url": url}),
                )
                .await;
            assert_eq!(answer, "subscription_created", "{event_type}");
        }
    }

    /// `customers` customers, each buying with a card and selling 20 BUSD; the clock is then
    /// moved past every step, which queues 4 events per customer (5 deliveries with the
    /// legacy name).
    pub async fn trade(&self, customers: usize) {
        let run = fastrand::u32(..);
        for n in 0..customers {
            let customer = self
                .call(
                    "/api/registerUser",
                    json!({"name": format!("drill{n}"), "email": format!("drill{run}.{n}@example.com")}),
                )
                .await;
            let user_id = customer["id"].as_u64().expect("a customer id");
            self.control.set_kyc(user_id, "valid").expect("KYC valid");
            let payment = self
                .call(
                    "/api/createPayment",
                    json!({
                        "user_id": user_id, "payment_type": "card", "fiat_symbol": "EUR",
                        "fiat_amount": 50, "coin_symbol": "USDC", "coin_chain": "polygon",
                        "wallet": "0xB51b2ce243bb1F88880bC8D287EBbfd7F695Ac55",
                    }),
                )
                .await;
            let payment_id = payment["payment_id"].as_str().expect("a payment id");
            self.control.pay(payment_id, "card").expect("pay");
            self.call(
                "/api/createRampoff",
                json!({
                    "user_id": user_id, "amount": 20, "symbol": "BUSD", "blockchain": "bsc",
                    "iban": "ES76 2077 0024 0031 0257 5766",
                }),
            )
            .await;
        }
        self.control.advance(Duration::from_secs(600));
    }
}

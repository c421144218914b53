//! The sandbox against a fixed-bytes axum server: `GET /api/payment/{id}` answered by the
//! sandbox (state, authentication, the exchange record, the JSON) and by an axum server
//! that answers the very same bytes and nothing else.
//!
//! Each server runs on its own single-threaded Tokio runtime, on its own OS thread, so the
//! CPU time of that thread (`/proc/self/task/<tid>/schedstat`, in nanoseconds) is the
//! server's CPU and nothing else's. One client (reqwest, one keep-alive connection per
//! server) sends the requests one at a time; the two servers are measured in interleaved
//! rounds (A B, B A, A B, …), so drift in the machine's speed hits both alike.
//!
//! `cargo bench -p cryptopocket-bench --bench sandbox` prints, first, the interleaved
//! comparison (server CPU per request, its ratio, time per request) and then criterion's
//! time per request for each server. `SANDBOX_BENCH_ROUNDS` (default 20) and
//! `SANDBOX_BENCH_REQUESTS` (per server and round, default 1000) size the comparison;
//! `SANDBOX_BENCH_ONLY_RATIO=1` skips criterion.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use criterion::Criterion;
use cryptopocket_sandbox::Sandbox;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A server running on its own thread and runtime.
struct Served<T> {
    /// What the setup returned (an address, the sandbox's control, …).
    value: T,
    /// `/proc/self/task/<tid>/schedstat` of the server's thread.
    schedstat: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<T> Served<T> {
    /// Starts a current-thread runtime on a new thread, runs `setup` on it, and keeps
    /// the runtime turning (serving whatever `setup` spawned) until dropped.
    fn start<F, Fut>(name: &str, setup: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T>,
        T: Send + 'static,
    {
        let (ready, started) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                // This thread's id, read without libc: /proc/thread-self is a link to
                // /proc/<pid>/task/<tid>.
                let me = std::fs::read_link("/proc/thread-self").expect("Linux /proc");
                let tid = me
                    .file_name()
                    .and_then(|t| t.to_str())
                    .expect("a task id")
                    .to_owned();
                let value = runtime.block_on(setup());
                ready
                    .send((value, format!("/proc/self/task/{tid}/schedstat")))
                    .ok();
                runtime.block_on(async {
                    stopped.await.ok();
                });
            })
            .expect("a thread");
        let (value, schedstat) = started.recv().expect("the server started");
        Served {
            value,
            schedstat,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl<T> Drop for Served<T> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

/// What the client sends to one server.
struct Target {
    name: &'static str,
    url: String,
    token: String,
    cpu: Box<dyn Fn() -> Duration>,
}

async fn call(http: &reqwest::Client, target: &Target) -> usize {
    let answer = http
        .get(&target.url)
        .header("auth", &target.token)
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), StatusCode::OK);
    answer.bytes().await.expect("a body").len()
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.header("auth", token);
    }
    let answer: Value = request
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    assert_ne!(answer["status"], "error", "{answer}");
    answer
}

/// A customer with valid KYC and a card payment that has reached `coins_sent` (so its
/// answer carries every field, `txid` included). Returns the token and the payment's URL.
async fn prepare_sandbox(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    secret: &str,
    control: &cryptopocket_sandbox::Control,
) -> (String, String) {
    let auth = post(
        http,
        format!("{base}/authenticate"),
        None,
        json!({"api_key": key, "api_secret": secret}),
    )
    .await;
    let token = auth["data"]["token"].as_str().expect("a token").to_owned();
    let user = post(
        http,
        format!("{base}/registerUser"),
        Some(&token),
        json!({"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"}),
    )
    .await;
    let user_id = user["data"]["id"].as_u64().expect("an id");
    control.advance(Duration::from_secs(60));
    let payment = post(
        http,
        format!("{base}/createPayment"),
        Some(&token),
        json!({
            "user_id": user_id,
            "payment_type": "card",
            "fiat_symbol": "EUR",
            "fiat_amount": 150.5,
            "coin_symbol": "USDC",
            "coin_chain": "polygon",
            "wallet": "0x1111111111111111111111111111111111111111",
            "external_id": "order-42",
        }),
    )
    .await;
    let payment_id = payment["data"]["payment_id"]
        .as_str()
        .expect("a payment id");
    control.pay(payment_id, "card").expect("paid");
    control.advance(Duration::from_secs(60));
    (token, format!("{base}/payment/{payment_id}"))
}

/// The fixed-bytes server: the same route, the same body and content type, no state.
fn fixed_router(body: &'static [u8], content_type: HeaderValue) -> Router {
    Router::new().route(
        "/api/payment/{payment_id}",
        get(move || {
            let content_type = content_type.clone();
            async move { ([(CONTENT_TYPE, content_type)], body).into_response() }
        }),
    )
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn per_request(total: Duration, n: usize) -> f64 {
    total.as_secs_f64() * 1e9 / n as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .build()
        .expect("a client");

    let sandbox = Served::start("sandbox", || async {
        let sandbox = Sandbox::start().await.expect("a sandbox");
        let details = (
            sandbox.base_url().to_owned(),
            sandbox.api_key().to_owned(),
            sandbox.api_secret().to_owned(),
            sandbox.control(),
        );
        // The sandbox lives as long as the runtime does.
        std::mem::forget(sandbox);
        details
    });
    let (base, key, secret, control) = &sandbox.value;
    let (token, sandbox_url) =
        client_runtime.block_on(prepare_sandbox(&http, base, key, secret, control));
    let (body, content_type) = client_runtime.block_on(async {
        let answer = http
            .get(&sandbox_url)
            .header("auth", &token)
            .send()
            .await
            .expect("an answer");
        let content_type = answer.headers()[CONTENT_TYPE].clone();
        (answer.bytes().await.expect("a body"), content_type)
    });
    println!(
        "GET /api/payment/{{id}} answers {} bytes: {}",
        body.len(),
        String::from_utf8_lossy(&body)
    );
    let body: &'static [u8] = Vec::leak(body.to_vec());

    let fixed = Served::start("fixed-bytes", move || async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr: SocketAddr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            axum::serve(listener, fixed_router(body, content_type))
                .await
                .ok();
        });
        addr
    });
    let fixed_path = sandbox_url
        .split_once("/api/")
        .map(|(_, path)| path)
        .expect("a path under /api");
    let targets = [
        Target {
            name: "sandbox",
            url: sandbox_url.clone(),
            token: token.clone(),
            cpu: Box::new({
                let path = sandbox.schedstat.clone();
                move || read_cpu(&path)
            }),
        },
        Target {
            name: "fixed-bytes axum",
            url: format!("http://{}/api/{fixed_path}", fixed.value),
            token,
            cpu: Box::new({
                let path = fixed.schedstat.clone();
                move || read_cpu(&path)
            }),
        },
    ];
    interleaved(&client_runtime, &http, &targets);

    if std::env::var_os("SANDBOX_BENCH_ONLY_RATIO").is_none() {
        let mut criterion = Criterion::default()
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        let mut group = criterion.benchmark_group("get_payment");
        for target in &targets {
            group.bench_function(target.name, |b| {
                b.to_async(&client_runtime).iter(|| call(&http, target));
            });
        }
        group.finish();
        criterion.final_summary();
    }
}

/// This process's resident memory (`VmRSS`), in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The CPU time a thread has used so far, from its `schedstat` (first field, ns).
fn read_cpu(schedstat: &str) -> Duration {
    let text = std::fs::read_to_string(schedstat).expect("schedstat");
    Duration::from_nanos(
        text.split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("schedstat's first field"),
    )
}

/// The server's CPU time once it is idle: a thread's `schedstat` is brought up to date when
/// it stops running, so a reading taken while it still runs could be a few ms stale.
async fn idle_cpu(target: &Target) -> Duration {
    tokio::time::sleep(Duration::from_millis(3)).await;
    (target.cpu)()
}

/// Rounds of `SANDBOX_BENCH_REQUESTS` requests to each server in turn (the order swapped
/// every round); prints each server's CPU and time per request and the CPU ratio.
fn interleaved(runtime: &tokio::runtime::Runtime, http: &reqwest::Client, targets: &[Target]) {
    let rounds = env_number("SANDBOX_BENCH_ROUNDS", 20).max(1);
    let requests = env_number("SANDBOX_BENCH_REQUESTS", 1_000).max(1);
    runtime.block_on(async {
        // Warm up: connections open, caches and allocators settled.
        for target in targets {
            for _ in 0..requests.min(500) {
                call(http, target).await;
            }
        }
        let rss_before = resident_kib();
        let mut cpu = vec![Duration::ZERO; targets.len()];
        let mut wall = vec![Duration::ZERO; targets.len()];
        let mut round_ratios = Vec::new();
        for round in 0..rounds {
            let mut this_round = vec![Duration::ZERO; targets.len()];
            for k in 0..targets.len() {
                let i = if round % 2 == 0 {
                    k
                } else {
                    targets.len() - 1 - k
                };
                let target = &targets[i];
                let cpu_before = idle_cpu(target).await;
                let started = Instant::now();
                for _ in 0..requests {
                    call(http, target).await;
                }
                wall[i] += started.elapsed();
                let used = idle_cpu(target).await.saturating_sub(cpu_before);
                cpu[i] += used;
                this_round[i] = used;
            }
            round_ratios.push(this_round[0].as_secs_f64() / this_round[1].as_secs_f64());
        }
        let n = rounds * requests;
        println!("{rounds} interleaved rounds of {requests} requests per server:");
        for (i, target) in targets.iter().enumerate() {
            println!(
                "  {:<18} server CPU {:>7.0} ns/request, time {:>7.0} ns/request",
                target.name,
                per_request(cpu[i], n),
                per_request(wall[i], n),
            );
        }
        println!(
            "  server CPU ratio sandbox / fixed-bytes: {:.3} (median of rounds {:.3}, range {:.3}..{:.3})",
            cpu[0].as_secs_f64() / cpu[1].as_secs_f64(),
            median(round_ratios.clone()),
            round_ratios.iter().copied().fold(f64::INFINITY, f64::min),
            round_ratios.iter().copied().fold(0.0, f64::max),
        );
        println!(
            "  time ratio sandbox / fixed-bytes: {:.3}",
            wall[0].as_secs_f64() / wall[1].as_secs_f64()
        );
        println!(
            "  resident memory of the whole process (both servers and the client): {} KiB before the rounds, {} KiB after",
            rss_before,
            resident_kib()
        );
    });
}

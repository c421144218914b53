//! Ratios, A and B interleaved in one run: the wrapper (and the generated client) against raw
//! reqwest + serde_json into the generated type, on one in-process fixed-bytes server.
//!
//! `cargo bench -p cryptopocket-bench --bench ratios` prints one table. Each row runs the
//! two sides in alternation, ROUNDS times (the order flipping every round), and reports the
//! median of the per-round ratios with the lowest and highest: on a machine shared with
//! other work, a burst of noise then lands on both sides or on one round, not on one side.
//!
//! Environment: `RATIOS_ROUNDS` (default 15), `RATIOS_CALLS` (calls per side per round for
//! the concurrent rows, default 2000), `RATIOS_ONLY` (run only rows whose name contains it).

use std::time::{Duration, Instant};

use cryptopocket_bench::{
    PAYMENT_ID, RAMPOFF_ID, Setup, concurrently, generated_get_payment, generated_get_rampoff,
};
use futures::StreamExt as _;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median, lowest and highest of `ratios`.
fn summary(mut ratios: Vec<f64>) -> (f64, f64, f64) {
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    (median, ratios[0], ratios[ratios.len() - 1])
}

/// Times `a` and `b` in alternation, `rounds` times; per-round ratios a / b.
fn interleaved(
    rounds: usize,
    mut a: impl FnMut() -> Duration,
    mut b: impl FnMut() -> Duration,
) -> Vec<f64> {
    // One untimed round each: connections, token, caches.
    a();
    b();
    (0..rounds)
        .map(|round| {
            let (ta, tb) = if round % 2 == 0 {
                let ta = a();
                (ta, b())
            } else {
                let tb = b();
                (a(), tb)
            };
            ta.as_secs_f64() / tb.as_secs_f64()
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` passes nothing and
    // should not spend minutes here.
    if !std::env::args().any(|a| a == "--bench") {
        println!("ratios: run with `cargo bench -p cryptopocket-bench --bench ratios`");
        return;
    }
    let rounds = env("RATIOS_ROUNDS", 15);
    let calls = env("RATIOS_CALLS", 2000);
    let only = std::env::var("RATIOS_ONLY").unwrap_or_default();
    let Setup {
        runtime,
        server: _server,
        wrapper: wrapper_client,
        generated: generated_client,
        raw,
        payment,
        rampoff,
        ..
    } = Setup::start();

    println!(
        "{:<44} {:>8} {:>8} {:>8}",
        "what (A / B, time)", "median", "min", "max"
    );
    let row = |name: &str, ratios: Vec<f64>| {
        let (median, min, max) = summary(ratios);
        println!("{name:<44} {median:>8.3} {min:>8.3} {max:>8.3}");
    };
    let wanted = |name: &str| only.is_empty() || name.contains(only.as_str());

    // One call at a time: the time of `calls / 10` calls in a row.
    let sequential = (calls / 10).max(20);
    // The same calls for A and B, `$count` in a row, interleaved round by round.
    macro_rules! timed {
        ($name:expr, $count:expr, $a:expr, $b:expr) => {
            if wanted($name) {
                let ratios = interleaved(
                    rounds,
                    || {
                        runtime.block_on(async {
                            let started = Instant::now();
                            for _ in 0..$count {
                                std::hint::black_box($a);
                            }
                            started.elapsed()
                        })
                    },
                    || {
                        runtime.block_on(async {
                            let started = Instant::now();
                            for _ in 0..$count {
                                std::hint::black_box($b);
                            }
                            started.elapsed()
                        })
                    },
                );
                row($name, ratios);
            }
        };
    }
    timed!(
        "getPayment, 1 in flight: wrapper / raw",
        sequential,
        wrapper_client.onramp().get(&payment).await.unwrap(),
        raw.get_payment(PAYMENT_ID).await
    );
    timed!(
        "getPayment, 1 in flight: generated / raw",
        sequential,
        generated_get_payment(&generated_client).await,
        raw.get_payment(PAYMENT_ID).await
    );
    timed!(
        "getRampoff, 1 in flight: wrapper / raw",
        sequential,
        wrapper_client.offramp().get(&rampoff).await.unwrap(),
        raw.get_rampoff(RAMPOFF_ID).await
    );
    timed!(
        "getRampoff, 1 in flight: generated / raw",
        sequential,
        generated_get_rampoff(&generated_client).await,
        raw.get_rampoff(RAMPOFF_ID).await
    );

    // 1,000-row pages: fewer calls a round.
    let pages = (calls / 200).max(5);
    timed!(
        "payments page, 1,000 rows: wrapper / raw",
        pages,
        wrapper_client.onramp().list().page(1).await.unwrap(),
        raw.list_payments(1).await
    );
    timed!(
        "payments page, 1,000 rows: generated / raw",
        pages,
        generated_client
            .list_payments()
            .page(1u64)
            .send()
            .await
            .unwrap(),
        raw.list_payments(1).await
    );
    timed!(
        "rampoffs page, 1,000 rows: wrapper / raw",
        pages,
        wrapper_client.offramp().list().page(1).await.unwrap(),
        raw.list_rampoffs(1).await
    );
    timed!(
        "customers page, 1,000 rows: wrapper / raw",
        pages,
        wrapper_client.customers().list().page(1).await.unwrap(),
        raw.list_customers(1).await
    );

    // Requests per second with 16 and 64 in flight (a time ratio: below 1 is faster).
    for in_flight in [16, 64] {
        let name = format!("getPayment, {in_flight} in flight: wrapper / raw");
        if wanted(&name) {
            let ratios = interleaved(
                rounds,
                || {
                    let client = wrapper_client.clone();
                    let payment = payment.clone();
                    runtime.block_on(concurrently(calls, in_flight, move || {
                        let client = client.clone();
                        let payment = payment.clone();
                        async move {
                            std::hint::black_box(client.onramp().get(&payment).await.unwrap());
                        }
                    }))
                },
                || {
                    let raw = raw.clone();
                    runtime.block_on(concurrently(calls, in_flight, move || {
                        let raw = raw.clone();
                        async move {
                            std::hint::black_box(raw.get_payment(PAYMENT_ID).await);
                        }
                    }))
                },
            );
            row(&name, ratios);
        }
        let name = format!("getPayment, {in_flight} in flight: generated / raw");
        if wanted(&name) {
            let ratios = interleaved(
                rounds,
                || {
                    let client = generated_client.clone();
                    runtime.block_on(concurrently(calls, in_flight, move || {
                        let client = client.clone();
                        async move {
                            std::hint::black_box(generated_get_payment(&client).await);
                        }
                    }))
                },
                || {
                    let raw = raw.clone();
                    runtime.block_on(concurrently(calls, in_flight, move || {
                        let raw = raw.clone();
                        async move {
                            std::hint::black_box(raw.get_payment(PAYMENT_ID).await);
                        }
                    }))
                },
            );
            row(&name, ratios);
        }
    }

    // Pagination: 20 pages of 10, the server 20 ms a page, the consumer 20 ms a page;
    // `stream()` against the overlapped bound max(N·L, N·W) + L.
    let name = "stream, 20 pages × 20 ms + 20 ms: time / bound";
    if wanted(name) {
        let (n, latency, work, rows) = (
            20u32,
            Duration::from_millis(20),
            Duration::from_millis(20),
            10,
        );
        let bound = (latency * n).max(work * n) + latency;
        let walk = || {
            runtime.block_on(async {
                let started = Instant::now();
                let mut items = wrapper_client.onramp().list().stream().enumerate();
                let mut seen = 0;
                while let Some((i, item)) = items.next().await {
                    std::hint::black_box(item.unwrap());
                    seen += 1;
                    if i % rows == rows - 1 {
                        tokio::time::sleep(work).await;
                    }
                }
                assert_eq!(seen, n as usize * rows, "every row of every page");
                started.elapsed()
            })
        };
        walk();
        let ratios = (0..rounds.div_ceil(3).max(3))
            .map(|_| walk().as_secs_f64() / bound.as_secs_f64())
            .collect();
        row(name, ratios);
    }
}

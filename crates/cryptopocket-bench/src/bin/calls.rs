//! Makes N calls of one operation through one of the three clients, for instruction counts
//! under callgrind (`scripts/callgrind.sh` runs it with N and 2N and subtracts).
//!
//! `calls CLIENT OPERATION N BASE_URL`
//!
//! - CLIENT: `wrapper` (the `cryptopocket` crate), `generated` (`cryptopocket-api`) or `raw`
//!   (reqwest + serde_json into the generated type).
//! - OPERATION: `get-payment`, `get-rampoff`, `list-payments` (one page of whatever the
//!   server holds: 1,000 rows from `fixed-server`), or `build-client` (N clients built,
//!   nothing sent), or `future-sizes` (prints the sizes, in bytes, of two send futures
//!   and of the body decoding inside them; sends nothing, N and CLIENT are ignored).
//!
//! One call of the operation is made before the N counted ones, so the token, the
//! connection and every lazy initialisation are paid outside the difference.
//!
//! `calls CLIENT get-payment-concurrent N BASE_URL` (CLIENT `wrapper` or `raw`) makes N
//! getPayment calls with `IN_FLIGHT` (default 16) in flight on a two-worker runtime, as the
//! `ratios` bench's concurrent rows do, and prints the wall time; run it under `strace -f -c`
//! or `/usr/bin/time` to count what a call costs across threads (futex waits, CPU time),
//! which a wall-time ratio on a loaded machine hides.

use cryptopocket_bench::{
    PAYMENT_ID, RAMPOFF_ID, Raw, generated, generated_get_payment, generated_get_rampoff, wrapper,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client, operation, n, base_url] = args.as_slice() else {
        eprintln!("usage: calls CLIENT OPERATION N BASE_URL");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    if operation == "build-client" {
        run_builds(client, n, base_url);
        return;
    }
    if operation == "future-sizes" {
        print_future_sizes(base_url);
        return;
    }
    if operation == "get-payment-concurrent" {
        run_concurrent(client, n, base_url);
        return;
    }
    runtime.block_on(async {
        match client.as_str() {
            "wrapper" => {
                let client = wrapper(base_url);
                let payment = cryptopocket::model::PaymentId::new(PAYMENT_ID).unwrap();
                let rampoff = cryptopocket::model::OffRampId::new(RAMPOFF_ID).unwrap();
                for _ in 0..=n {
                    match operation.as_str() {
                        "get-payment" => {
                            std::hint::black_box(client.onramp().get(&payment).await.unwrap());
                        }
                        "get-rampoff" => {
                            std::hint::black_box(client.offramp().get(&rampoff).await.unwrap());
                        }
                        "list-payments" => {
                            std::hint::black_box(client.onramp().list().page(1).await.unwrap());
                        }
                        other => panic!("unknown operation {other}"),
                    }
                }
            }
            "generated" => {
                let client = generated(base_url);
                for _ in 0..=n {
                    match operation.as_str() {
                        "get-payment" => {
                            std::hint::black_box(generated_get_payment(&client).await);
                        }
                        "get-rampoff" => {
                            std::hint::black_box(generated_get_rampoff(&client).await);
                        }
                        "list-payments" => {
                            std::hint::black_box(
                                client.list_payments().page(1u64).send().await.unwrap(),
                            );
                        }
                        other => panic!("unknown operation {other}"),
                    }
                }
            }
            "raw" => {
                let client = Raw::new(base_url);
                for _ in 0..=n {
                    match operation.as_str() {
                        "get-payment" => {
                            std::hint::black_box(client.get_payment(PAYMENT_ID).await);
                        }
                        "get-rampoff" => {
                            std::hint::black_box(client.get_rampoff(RAMPOFF_ID).await);
                        }
                        "list-payments" => {
                            std::hint::black_box(client.list_payments(1).await);
                        }
                        other => panic!("unknown operation {other}"),
                    }
                }
            }
            other => panic!("unknown client {other}"),
        }
    });
}

/// Prints the sizes of the generated send futures the wrapper boxes on each attempt: past
/// glibc's per-thread cache (1,032 bytes) a box costs the allocator's slow path.
fn print_future_sizes(base_url: &str) {
    let client = generated(base_url);
    let get = client.get_payment().payment_id(PAYMENT_ID).send();
    println!(
        "getPayment send future: {} bytes",
        std::mem::size_of_val(&get)
    );
    let list = client.list_payments().page(1u64).send();
    println!(
        "listPayments send future: {} bytes",
        std::mem::size_of_val(&list)
    );
    println!(
        "decode_response future (in both): {} bytes",
        returned_size(|response: reqwest::Response| {
            cryptopocket_api::decode_response::<cryptopocket_api::types::GetPaymentResponse, ()>(
                response,
            )
        })
    );
}

/// The size of what `f` returns, without a value to call it with.
fn returned_size<A, R>(_: impl Fn(A) -> R) -> usize {
    std::mem::size_of::<R>()
}

/// N getPayment calls, `IN_FLIGHT` at a time, on a two-worker runtime (after one round of
/// `IN_FLIGHT` uncounted calls); prints the wall time of the N.
fn run_concurrent(client: &str, n: usize, base_url: &str) {
    let in_flight: usize = std::env::var("IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let took = match client {
        "wrapper" => {
            let client = wrapper(base_url);
            let payment = cryptopocket::model::PaymentId::new(PAYMENT_ID).unwrap();
            let call = move || {
                let client = client.clone();
                let payment = payment.clone();
                async move {
                    std::hint::black_box(client.onramp().get(&payment).await.unwrap());
                }
            };
            runtime.block_on(cryptopocket_bench::concurrently(
                in_flight,
                in_flight,
                call.clone(),
            ));
            runtime.block_on(cryptopocket_bench::concurrently(n, in_flight, call))
        }
        "raw" => {
            let raw = Raw::new(base_url);
            let call = move || {
                let raw = raw.clone();
                async move {
                    std::hint::black_box(raw.get_payment(PAYMENT_ID).await);
                }
            };
            runtime.block_on(cryptopocket_bench::concurrently(
                in_flight,
                in_flight,
                call.clone(),
            ));
            runtime.block_on(cryptopocket_bench::concurrently(n, in_flight, call))
        }
        other => panic!("unknown client {other} (wrapper or raw)"),
    };
    println!("{n} calls, {in_flight} in flight: {took:?}");
}

/// Builds N clients (plus one first, as for calls).
fn run_builds(client: &str, n: usize, base_url: &str) {
    for _ in 0..=n {
        match client {
            "wrapper" => drop(std::hint::black_box(wrapper(base_url))),
            "generated" => drop(std::hint::black_box(generated(base_url))),
            "raw" => drop(std::hint::black_box(Raw::new(base_url))),
            other => panic!("unknown client {other}"),
        }
    }
}

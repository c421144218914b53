//! Absolute times (criterion): the wrapper, the generated client and raw reqwest side by side
//! on one in-process fixed-bytes server, for each documented get and list payload, 1,000-row
//! pages, 1/16/64 calls in flight, a paginated walk, and building a client.
//!
//! `cargo bench -p cryptopocket-bench --bench client -- --warm-up-time 1 --measurement-time 3`
//! (add a filter such as `getPayment` to run part of it). Ratios with both sides
//! interleaved come from the `ratios` bench.

// criterion_group! writes an undocumented public function.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use cryptopocket_bench::{
    PAYMENT_ID, RAMPOFF_ID, Setup, concurrently, generated, generated_get_payment,
    generated_get_rampoff, wrapper,
};
use futures::TryStreamExt as _;

fn setup() -> Setup {
    Setup::start()
}

fn gets(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("getPayment");
    group.bench_function("wrapper", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.wrapper.onramp().get(&s.payment).await.unwrap() });
    });
    group.bench_function("generated", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { generated_get_payment(&s.generated).await });
    });
    group.bench_function("raw", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.raw.get_payment(PAYMENT_ID).await });
    });
    group.finish();

    let mut group = c.benchmark_group("getRampoff");
    group.bench_function("wrapper", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.wrapper.offramp().get(&s.rampoff).await.unwrap() });
    });
    group.bench_function("generated", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { generated_get_rampoff(&s.generated).await });
    });
    group.bench_function("raw", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.raw.get_rampoff(RAMPOFF_ID).await });
    });
    group.finish();
}

fn lists(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("list 1000 rows");
    group.sample_size(20).throughput(Throughput::Elements(1000));
    group.bench_function("payments/wrapper", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.wrapper.onramp().list().page(1).await.unwrap() });
    });
    group.bench_function("payments/generated", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.generated.list_payments().page(1u64).send().await.unwrap() });
    });
    group.bench_function("payments/raw", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.raw.list_payments(1).await });
    });
    group.bench_function("rampoffs/wrapper", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.wrapper.offramp().list().page(1).await.unwrap() });
    });
    group.bench_function("rampoffs/raw", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.raw.list_rampoffs(1).await });
    });
    group.bench_function("customers/wrapper", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.wrapper.customers().list().page(1).await.unwrap() });
    });
    group.bench_function("customers/raw", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.raw.list_customers(1).await });
    });
    group.finish();
}

/// 256 getPayment calls, 1, 16 or 64 in flight.
fn in_flight(c: &mut Criterion) {
    const CALLS: usize = 256;
    let s = setup();
    let mut group = c.benchmark_group("getPayment x256");
    group
        .sample_size(20)
        .throughput(Throughput::Elements(CALLS as u64));
    for in_flight in [1, 16, 64] {
        group.bench_with_input(
            BenchmarkId::new("wrapper", in_flight),
            &in_flight,
            |b, &n| {
                b.to_async(&s.runtime).iter(|| {
                    let client = s.wrapper.clone();
                    let payment = s.payment.clone();
                    concurrently(CALLS, n, move || {
                        let client = client.clone();
                        let payment = payment.clone();
                        async move {
                            client.onramp().get(&payment).await.unwrap();
                        }
                    })
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("generated", in_flight),
            &in_flight,
            |b, &n| {
                b.to_async(&s.runtime).iter(|| {
                    let client = s.generated.clone();
                    concurrently(CALLS, n, move || {
                        let client = client.clone();
                        async move {
                            generated_get_payment(&client).await;
                        }
                    })
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("raw", in_flight), &in_flight, |b, &n| {
            b.to_async(&s.runtime).iter(|| {
                let raw = s.raw.clone();
                concurrently(CALLS, n, move || {
                    let raw = raw.clone();
                    async move {
                        raw.get_payment(PAYMENT_ID).await;
                    }
                })
            });
        });
    }
    group.finish();
}

/// 20 pages of 10, the server 20 ms a page: `stream()` with a consumer that spends 20 ms a
/// page (the overlapped bound is 420 ms), and `try_collect` with none (bound 400 ms).
fn pagination(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("stream 20 pages x 20 ms");
    group.sample_size(10);
    group.bench_function("consumer 20 ms a page", |b| {
        b.to_async(&s.runtime).iter(|| async {
            let mut items = s.wrapper.onramp().list().stream();
            let mut i = 0;
            while let Some(item) = items.try_next().await.unwrap() {
                std::hint::black_box(item);
                i += 1;
                if i % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
    });
    group.bench_function("try_collect", |b| {
        b.to_async(&s.runtime)
            .iter(|| async { s.wrapper.onramp().list().try_collect().await.unwrap() });
    });
    group.finish();
}

/// Building one client: most of it is loading the platform's root certificates.
fn build(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("build a client");
    group.sample_size(20);
    group.bench_function("wrapper", |b| b.iter(|| wrapper(&s.base)));
    group.bench_function("generated", |b| b.iter(|| generated(&s.base)));
    group.bench_function("reqwest", |b| b.iter(cryptopocket_bench::raw_http));
    group.finish();
}

criterion_group!(benches, gets, lists, in_flight, pagination, build);
criterion_main!(benches);

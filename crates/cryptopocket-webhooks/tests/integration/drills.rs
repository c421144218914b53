//! One drill per store, and the PostgreSQL drills with two receivers and a kill.

use std::time::Duration;

use crate::drill::{Spec, Store, run, throughput};

const LEASE: Duration = Duration::from_secs(1);

/// One receiver, every delivery posted to it twice at once; handlers that fail the first time
/// and hang past their lease (and are cancelled at three quarters of it).
fn single(store: Store) -> Spec {
    Spec {
        store,
        customers: 16,
        receivers: 1,
        copies: 2,
        kill: false,
        lease: LEASE,
        handler_timeout: None,
        hang: LEASE * 3,
    }
}

async fn drill_and_measure(name: &str, spec: Spec) {
    let store = spec.store;
    run(name, spec).await;
    let (requests, seconds) = throughput(store, 300).await;
    println!(
        "THROUGHPUT [{store}]: {requests} deliveries (300 events, each twice, 16 at a time) in \
         {seconds:.2}s = {:.0} deliveries/s",
        requests as f64 / seconds
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill_memory() {
    drill_and_measure("one receiver", single(Store::Memory)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill_sqlite() {
    drill_and_measure("one receiver", single(Store::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill_postgres_lease() {
    drill_and_measure("one receiver", single(Store::PostgresLease)).await;
}

/// Here the hang is allowed to outlive the lease (the handler timeout is three leases): the
/// next delivery takes the event over, and the late handler's work is rolled back by the fence.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill_postgres_transactional() {
    let spec = Spec {
        handler_timeout: Some(LEASE * 4),
        ..single(Store::PostgresTransactional)
    };
    drill_and_measure("one receiver, zombie handlers", spec).await;
}

/// Two receivers (two servers, one database) get every delivery at the same moment; the
/// second is killed in the middle of handling an event and its claim is taken over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill_postgres_two_receivers_and_a_kill() {
    for store in [Store::PostgresLease, Store::PostgresTransactional] {
        let spec = Spec {
            receivers: 2,
            copies: 1,
            kill: true,
            handler_timeout: (store == Store::PostgresTransactional).then_some(LEASE * 4),
            ..single(store)
        };
        run("two receivers, one killed", spec).await;
    }
}

//! The sandbox's own drills against the inbox, with no proxy in between: the sandbox delivers
//! every event twice (`deliver_twice`) to two receivers that share one inbox (each subscribed
//! for some types and given as an extra subscriber URL, `webhook_urls`, for the rest), then
//! redelivers everything it delivered (`redeliver_all`), signed afresh. Every event must be
//! applied exactly once and none lost.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cryptopocket_webhooks::{BoxError, Delivery, Inbox, MemoryInbox, SqliteInbox, WebhookEndpoint};

use crate::drill::{Figures, Injected, Store, sent_events, verifier};
use crate::support::{Server, Shop};

const CUSTOMERS: usize = 8;

async fn sandbox_drill(store: Store) -> Figures {
    let started = Instant::now();
    let shop = Shop::start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let inbox: Arc<dyn Inbox> = match store {
        Store::Memory => Arc::new(MemoryInbox::new()),
        Store::Sqlite => {
            Arc::new(SqliteInbox::open(dir.path().join("inbox.db")).expect("open SQLite"))
        }
        other => panic!("this drill runs on memory and SQLite, not {other}"),
    };
    // The user's effects, one count per key; the first call of every 5th new key fails, so
    // the sandbox's own retries are drilled too.
    let applied: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let first_calls: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let failed = Arc::new(AtomicUsize::new(0));

    let mut endpoints = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..2 {
        let verifier = verifier(&shop);
        let (applied, first_calls, failed) = (applied.clone(), first_calls.clone(), failed.clone());
        let endpoint = WebhookEndpoint::builder(verifier)
            .lease(Duration::from_secs(5))
            .inbox(inbox.clone())
            .handle(move |delivery: Delivery| {
                let (applied, first_calls, failed) =
                    (applied.clone(), first_calls.clone(), failed.clone());
                async move {
                    let key = delivery.key.as_str().to_owned();
                    let fail = {
                        let mut seen = first_calls.lock().unwrap();
                        seen.insert(key.clone()) && seen.len().is_multiple_of(5)
                    };
                    if fail {
                        failed.fetch_add(1, Ordering::SeqCst);
                        return Err::<(), BoxError>("injected failure on the first call".into());
                    }
                    *applied.lock().unwrap().entry(key).or_default() += 1;
                    Ok(())
                }
            });
        servers.push(Server::start(endpoint.router("/webhooks"), "/webhooks").await);
        endpoints.push(endpoint);
    }

    // Both receivers are subscribed through the API, each for part of the types (receiver 1
    // for the off-ramp ones, the legacy name too), and both are extra subscriber URLs: each
    // gets every event, first delivery from its subscription or as an extra URL, and is the
    // first to see some of them. Every delivery goes twice.
    shop.subscribe(&["PAY_IN", "COINS_SENT"], &servers[0].url)
        .await;
    shop.subscribe(
        &[
            "CRYPTO_RECEIVED",
            "TRANSFER_RAMPOFF_FINISHED",
            "RAMPOFF_FINISHED",
        ],
        &servers[1].url,
    )
    .await;
    for server in &servers {
        shop.control
            .add_webhook_url(&server.url)
            .expect("an http URL");
    }
    shop.control.set_deliver_twice(true);
    shop.trade(CUSTOMERS).await;
    tokio::time::timeout(Duration::from_secs(120), shop.control.settle())
        .await
        .expect("the deliveries to settle");
    let first_round = shop.control.deliveries().len();
    // Then everything again, as a sender replaying its log would.
    let redelivered = shop.control.redeliver_all();
    assert_eq!(redelivered.len(), first_round);
    tokio::time::timeout(Duration::from_secs(120), shop.control.settle())
        .await
        .expect("the redeliveries to settle");
    let seconds = started.elapsed().as_secs_f64();

    let deliveries = shop.control.deliveries();
    let events = sent_events("sandbox drill", &deliveries);
    let applied = applied.lock().unwrap().clone();
    let injected = Injected {
        failures: failed.load(Ordering::SeqCst),
        hangs: 0,
        killed: 0,
    };
    let name = format!("sandbox: deliver twice, two subscriber URLs, redeliver all [{store}]");
    let (figures, stats) = Figures::of_run(
        name,
        &events,
        &deliveries,
        &endpoints,
        &applied,
        injected,
        seconds,
    );

    // 4 events per customer; receiver 1 gets 5 deliveries of them (the legacy pair) and
    // receiver 0 gets 4, each twice, and then all of that once more.
    assert_eq!(figures.events, CUSTOMERS * 4);
    assert_eq!(first_round, CUSTOMERS * (5 + 4) * 2);
    assert_eq!(figures.sandbox_deliveries, first_round * 2);
    assert_eq!(
        deliveries
            .iter()
            .filter(|d| d.duplicate_of.is_some())
            .count(),
        first_round / 2 + first_round,
        "the copies and the redeliveries name the delivery they repeat"
    );
    assert_eq!(figures.lost, 0, "no event lost");
    assert_eq!(figures.applied_twice, 0, "no event applied twice");
    assert_eq!(
        figures.effects_applied, figures.events,
        "every event applied once"
    );
    assert!(figures.failures_injected > 0, "the drill injected failures");
    assert_eq!(
        figures.requests as usize,
        figures.sandbox_deliveries + figures.failures_injected,
        "every delivery reached a receiver; a failed first call was retried by the sandbox"
    );
    assert_eq!(
        figures.duplicates_absorbed as usize,
        figures.sandbox_deliveries - figures.events,
        "every delivery but the first of each event was absorbed as a duplicate"
    );
    assert!(
        stats.iter().all(|s| s.applied > 0),
        "each receiver applied some events first: {stats:?}"
    );
    assert_eq!(
        inbox.done_count().await.expect("the done count") as usize,
        figures.events
    );
    drop(servers);
    shop.sandbox.shutdown().await;
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sandbox_drill_memory() {
    sandbox_drill(Store::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sandbox_drill_sqlite() {
    sandbox_drill(Store::Sqlite).await;
}

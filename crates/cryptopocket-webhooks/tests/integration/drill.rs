//! The drills: the sandbox delivers a stream of real events through a proxy that multiplies
//! them, to one or two receivers whose handlers fail, hang and die on purpose; at the end
//! every event must have been applied exactly once and none lost.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cryptopocket::webhooks::{WebhookEvent, WebhookVerifier};
use cryptopocket_sandbox::{Delivery as SandboxDelivery, DeliveryOutcome};
use cryptopocket_webhooks::{
    BoxError, Delivery, DeliveryKey, EndpointStats, Inbox, MemoryInbox, PostgresInbox, SqliteInbox,
    WebhookEndpoint,
};
use futures::StreamExt as _;
use secrecy::SecretString;
use tokio::sync::Notify;

use crate::support::{FanOut, Server, Shop, fresh_database};

/// Which store the receivers share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Memory,
    Sqlite,
    /// PostgreSQL, claim/lease mode: effects counted outside the database.
    PostgresLease,
    /// PostgreSQL, transactional mode: effects are rows in the same database.
    PostgresTransactional,
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Store::Memory => "memory",
            Store::Sqlite => "sqlite",
            Store::PostgresLease => "postgres (lease)",
            Store::PostgresTransactional => "postgres (transactional)",
        })
    }
}

/// How a drill is run.
pub struct Spec {
    pub store: Store,
    /// Customers; each brings 4 events (5 deliveries with the legacy name).
    pub customers: usize,
    /// Receiver instances sharing the store.
    pub receivers: usize,
    /// Copies of every delivery sent to each receiver at once.
    pub copies: usize,
    /// Kill the second receiver in the middle of handling an event.
    pub kill: bool,
    pub lease: Duration,
    /// `None`: the default (three quarters of the lease).
    pub handler_timeout: Option<Duration>,
    /// How long a hanging handler hangs.
    pub hang: Duration,
}

/// What happened, for the closing note.
#[derive(Debug)]
pub struct Figures {
    pub name: String,
    pub events: usize,
    pub sandbox_deliveries: usize,
    pub sandbox_attempts: u32,
    pub requests: u64,
    pub duplicates_absorbed: u64,
    pub busy_answers: u64,
    pub failures_injected: usize,
    pub hangs_injected: usize,
    pub killed: usize,
    pub handler_errors_and_timeouts: u64,
    pub late_handlers_fenced: u64,
    pub effects_applied: usize,
    pub applied_twice: usize,
    pub lost: usize,
    pub seconds: f64,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DRILL {}: events {}, sandbox deliveries {} ({} attempts), requests to receivers {}, \
             duplicates absorbed {} (+{} answered busy), failures injected {}, hangs {}, \
             receivers killed {}, handler errors/timeouts {}, late handlers fenced off {}, effects \
             applied {}, applied twice \
             {}, lost {}, {:.2}s ({:.0} requests/s)",
            self.name,
            self.events,
            self.sandbox_deliveries,
            self.sandbox_attempts,
            self.requests,
            self.duplicates_absorbed,
            self.busy_answers,
            self.failures_injected,
            self.hangs_injected,
            self.killed,
            self.handler_errors_and_timeouts,
            self.late_handlers_fenced,
            self.effects_applied,
            self.applied_twice,
            self.lost,
            self.seconds,
            self.requests as f64 / self.seconds.max(f64::EPSILON),
        )
    }
}

/// The faults a drill injected.
pub struct Injected {
    pub failures: usize,
    pub hangs: usize,
    pub killed: usize,
}

impl Figures {
    /// The figures of a finished run, printed with each receiver's stats, which are
    /// returned too. `applied` counts the user's effects per delivery key.
    pub fn of_run(
        name: String,
        events: &BTreeSet<String>,
        deliveries: &[SandboxDelivery],
        endpoints: &[WebhookEndpoint],
        applied: &BTreeMap<String, usize>,
        injected: Injected,
        seconds: f64,
    ) -> (Figures, Vec<EndpointStats>) {
        let stats: Vec<EndpointStats> = endpoints.iter().map(WebhookEndpoint::stats).collect();
        let sum = |f: fn(&EndpointStats) -> u64| stats.iter().map(f).sum::<u64>();
        let figures = Figures {
            name,
            events: events.len(),
            sandbox_deliveries: deliveries.len(),
            sandbox_attempts: deliveries.iter().map(|d| d.attempts).sum(),
            requests: sum(|s| s.received),
            duplicates_absorbed: sum(|s| s.duplicates),
            busy_answers: sum(|s| s.busy),
            failures_injected: injected.failures,
            hangs_injected: injected.hangs,
            killed: injected.killed,
            handler_errors_and_timeouts: sum(|s| s.failed),
            late_handlers_fenced: sum(|s| s.lease_lost),
            effects_applied: applied.values().sum(),
            applied_twice: applied.values().filter(|&&n| n > 1).count(),
            lost: events.iter().filter(|k| !applied.contains_key(*k)).count(),
            seconds,
        };
        println!("{figures}");
        for (receiver, s) in stats.iter().enumerate() {
            println!("  receiver {receiver}: {s:?}");
        }
        (figures, stats)
    }
}

/// The events: every distinct identity among the bodies the sandbox sent, each of which
/// must have been acknowledged.
pub fn sent_events(name: &str, deliveries: &[SandboxDelivery]) -> BTreeSet<String> {
    let mut events = BTreeSet::new();
    for delivery in deliveries {
        assert!(
            matches!(delivery.outcome, DeliveryOutcome::Delivered { .. }),
            "{name}: a delivery was never acknowledged: {delivery:?}"
        );
        let event = WebhookEvent::from_slice(delivery.body.as_bytes()).expect("an event");
        events.insert(
            DeliveryKey::of(&event, delivery.body.as_bytes())
                .as_str()
                .to_owned(),
        );
    }
    events
}

/// What a handler call should do, decided per key from the order keys are first seen.
enum Fault {
    None,
    Fail,
    Hang,
    Die,
}

/// The plan of injected faults, shared by every receiver: the first handler call of every 7th
/// new key fails, of every 11th hangs, and receiver 1 dies on the first new key it claims from
/// the 30th on (when the drill kills), so that both receivers share the first part of the run.
struct Faults {
    first_calls: Mutex<BTreeMap<String, usize>>,
    failed: AtomicUsize,
    hung: AtomicUsize,
    kill: Option<Arc<Notify>>,
    killed: AtomicUsize,
    hang: Duration,
}

impl Faults {
    fn decide(&self, key: &DeliveryKey, receiver: usize) -> Fault {
        let mut seen = self.first_calls.lock().unwrap();
        if seen.contains_key(key.as_str()) {
            return Fault::None;
        }
        let n = seen.len() + 1;
        seen.insert(key.as_str().to_owned(), receiver);
        drop(seen);
        if receiver == 1
            && self.kill.is_some()
            && n >= 30
            && self.killed.load(Ordering::SeqCst) == 0
        {
            self.killed.fetch_add(1, Ordering::SeqCst);
            return Fault::Die;
        }
        if n.is_multiple_of(7) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            Fault::Fail
        } else if n.is_multiple_of(11) {
            self.hung.fetch_add(1, Ordering::SeqCst);
            Fault::Hang
        } else {
            Fault::None
        }
    }

    /// Runs the fault; `Err` for an injected failure.
    async fn play(&self, key: &DeliveryKey, receiver: usize) -> Result<(), BoxError> {
        match self.decide(key, receiver) {
            Fault::None => Ok(()),
            Fault::Fail => Err("injected failure on the first attempt".into()),
            Fault::Hang => {
                tokio::time::sleep(self.hang).await;
                Ok(())
            }
            Fault::Die => {
                if let Some(kill) = &self.kill {
                    kill.notify_one();
                }
                // Never returns: the test kills this receiver while it waits here.
                std::future::pending::<()>().await;
                Ok(())
            }
        }
    }
}

/// User-side effects outside any database: one count per key.
#[derive(Default)]
struct Effects {
    applied: Mutex<BTreeMap<String, usize>>,
}

pub fn verifier(shop: &Shop) -> WebhookVerifier {
    WebhookVerifier::new(SecretString::from(shop.api_secret().to_owned()))
        .expect_api_key(shop.api_key())
}

const EFFECTS_TABLE: &str = "CREATE TABLE IF NOT EXISTS drill_effects (
    id bigserial PRIMARY KEY,
    delivery_key text NOT NULL,
    receiver integer NOT NULL
)";

pub async fn run(name: &str, spec: Spec) -> Figures {
    let started = Instant::now();
    let shop = Shop::start().await;
    let faults = Arc::new(Faults {
        first_calls: Mutex::default(),
        failed: AtomicUsize::new(0),
        hung: AtomicUsize::new(0),
        kill: spec.kill.then(|| Arc::new(Notify::new())),
        killed: AtomicUsize::new(0),
        hang: spec.hang,
    });
    let effects = Arc::new(Effects::default());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = match spec.store {
        Store::PostgresLease | Store::PostgresTransactional => Some(fresh_database("drill").await),
        _ => None,
    };
    let memory = Arc::new(MemoryInbox::new());

    let mut endpoints = Vec::new();
    let mut servers = Vec::new();
    let mut done_counter: Option<Arc<dyn Inbox>> = None;
    let mut pg_for_checks = None;
    for receiver in 0..spec.receivers {
        let mut builder = WebhookEndpoint::builder(verifier(&shop)).lease(spec.lease);
        if let Some(timeout) = spec.handler_timeout {
            builder = builder.handler_timeout(timeout);
        }
        let faults = faults.clone();
        let endpoint = match spec.store {
            Store::PostgresTransactional => {
                let url = database.as_deref().expect("a database");
                let inbox = PostgresInbox::connect(url, 8).await.expect("connect");
                inbox
                    .pool()
                    .get()
                    .await
                    .expect("a connection")
                    .batch_execute(EFFECTS_TABLE)
                    .await
                    .expect("the effects table");
                pg_for_checks = Some(inbox.clone());
                done_counter.get_or_insert_with(|| Arc::new(inbox.clone()));
                builder.handle_in_transaction(inbox, move |delivery, tx| {
                    let faults = faults.clone();
                    Box::pin(async move {
                        faults.play(&delivery.key, receiver).await?;
                        let receiver = i32::try_from(receiver).unwrap_or(i32::MAX);
                        tx.execute(
                            "INSERT INTO drill_effects (delivery_key, receiver) VALUES ($1, $2)",
                            &[&delivery.key.as_str(), &receiver],
                        )
                        .await?;
                        Ok(())
                    })
                })
            }
            store => {
                let inbox: Arc<dyn Inbox> = match store {
                    Store::Memory => memory.clone(),
                    Store::Sqlite => Arc::new(
                        SqliteInbox::open(dir.path().join("inbox.db")).expect("open SQLite"),
                    ),
                    _ => {
                        let url = database.as_deref().expect("a database");
                        Arc::new(PostgresInbox::connect(url, 8).await.expect("connect"))
                    }
                };
                done_counter.get_or_insert_with(|| inbox.clone());
                let effects = effects.clone();
                builder.inbox(inbox).handle(move |delivery: Delivery| {
                    let faults = faults.clone();
                    let effects = effects.clone();
                    async move {
                        faults.play(&delivery.key, receiver).await?;
                        *effects
                            .applied
                            .lock()
                            .unwrap()
                            .entry(delivery.key.as_str().to_owned())
                            .or_default() += 1;
                        Ok::<_, BoxError>(())
                    }
                })
            }
        };
        servers.push(Server::start(endpoint.router("/webhooks"), "/webhooks").await);
        endpoints.push(endpoint);
    }

    let fan = FanOut::new(servers.iter().map(|s| s.url.clone()).collect(), spec.copies);
    let proxy = fan.serve().await;
    let killer = faults.kill.clone().map(|kill| {
        let victim = servers
            .get(1)
            .map(|s| s.url.clone())
            .expect("a second receiver");
        let fan = fan.clone();
        let servers_killed = Arc::new(Mutex::new(false));
        let flag = servers_killed.clone();
        let handle = tokio::spawn(async move {
            kill.notified().await;
            fan.remove(&victim);
            *flag.lock().unwrap() = true;
        });
        (handle, servers_killed)
    });

    shop.subscribe_all(&proxy.url).await;
    shop.trade(spec.customers).await;
    // The kill happens while the sandbox is delivering: wait for the signal, kill the
    // process-like server, then let the deliveries finish.
    if let Some((handle, _)) = killer {
        tokio::time::timeout(Duration::from_secs(60), handle)
            .await
            .expect("the receiver to be killed reached its fault")
            .expect("the killer task");
        servers[1].kill();
    }
    tokio::time::timeout(Duration::from_secs(240), shop.control.settle())
        .await
        .expect("the sandbox's deliveries to settle");
    let seconds = started.elapsed().as_secs_f64();

    let deliveries = shop.control.deliveries();
    let events = sent_events(name, &deliveries);
    assert_eq!(
        events.len(),
        spec.customers * 4,
        "{name}: 4 events per customer"
    );
    assert_eq!(
        deliveries.len(),
        spec.customers * 5,
        "{name}: the legacy pair"
    );

    let applied: BTreeMap<String, usize> = match spec.store {
        Store::PostgresTransactional => {
            let inbox = pg_for_checks.expect("the inbox");
            let client = inbox.pool().get().await.expect("a connection");
            let mut applied = BTreeMap::new();
            for row in client
                .query(
                    "SELECT delivery_key, count(*) FROM drill_effects GROUP BY delivery_key",
                    &[],
                )
                .await
                .expect("the effects")
            {
                applied.insert(row.get::<_, String>(0), row.get::<_, i64>(1) as usize);
            }
            // The user's table and the inbox agree: a row for exactly the done keys.
            let done: BTreeSet<String> = client
                .query(
                    "SELECT delivery_key FROM cryptopocket_webhook_inbox WHERE state = 'done'",
                    &[],
                )
                .await
                .expect("the inbox")
                .iter()
                .map(|row| row.get(0))
                .collect();
            let with_effects: BTreeSet<String> = applied.keys().cloned().collect();
            assert_eq!(
                done, with_effects,
                "{name}: the user's table and the inbox agree"
            );
            applied
        }
        _ => effects.applied.lock().unwrap().clone(),
    };
    let done = done_counter
        .expect("an inbox")
        .done_count()
        .await
        .expect("the done count");

    let injected = Injected {
        failures: faults.failed.load(Ordering::SeqCst),
        hangs: faults.hung.load(Ordering::SeqCst),
        killed: faults.killed.load(Ordering::SeqCst),
    };
    let label = format!("{name} [{}]", spec.store);
    let (figures, _) = Figures::of_run(
        label,
        &events,
        &deliveries,
        &endpoints,
        &applied,
        injected,
        seconds,
    );
    assert_eq!(figures.lost, 0, "{name}: no event lost");
    assert_eq!(figures.applied_twice, 0, "{name}: no event applied twice");
    assert_eq!(
        figures.effects_applied, figures.events,
        "{name}: every event applied once"
    );
    assert!(
        applied.keys().all(|k| events.contains(k)),
        "{name}: nothing applied that was not sent"
    );
    assert_eq!(
        done as usize, figures.events,
        "{name}: the inbox marks every event done"
    );
    assert!(
        figures.failures_injected > 0,
        "{name}: the drill injected failures"
    );
    assert!(
        figures.hangs_injected > 0,
        "{name}: the drill injected hangs"
    );
    assert!(
        figures.duplicates_absorbed > 0,
        "{name}: duplicates reached the receivers and were absorbed"
    );
    if spec.kill {
        assert_eq!(
            figures.killed, 1,
            "{name}: a receiver was killed mid-handling"
        );
    }
    drop(proxy);
    drop(servers);
    shop.sandbox.shutdown().await;
    figures
}

/// Handling throughput of one store without faults: `events` distinct signed deliveries,
/// each posted twice, 16 at a time, straight to one endpoint over HTTP.
pub async fn throughput(store: Store, events: usize) -> (usize, f64) {
    use cryptopocket::webhooks::WebhookSigner;

    let secret = "throughput-secret";
    let verifier = WebhookVerifier::new(SecretString::from(secret)).expect_api_key("pk_tp");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let applied = Arc::new(AtomicUsize::new(0));
    let builder = WebhookEndpoint::builder(verifier).lease(Duration::from_secs(30));
    let endpoint = match store {
        Store::PostgresTransactional => {
            let url = fresh_database("throughput").await;
            let inbox = PostgresInbox::connect(&url, 16).await.expect("connect");
            inbox
                .pool()
                .get()
                .await
                .expect("a connection")
                .batch_execute(EFFECTS_TABLE)
                .await
                .expect("the effects table");
            builder.handle_in_transaction(inbox, |delivery, tx| {
                Box::pin(async move {
                    tx.execute(
                        "INSERT INTO drill_effects (delivery_key, receiver) VALUES ($1, 0)",
                        &[&delivery.key.as_str()],
                    )
                    .await?;
                    Ok(())
                })
            })
        }
        store => {
            let inbox: Arc<dyn Inbox> = match store {
                Store::Memory => Arc::new(MemoryInbox::new()),
                Store::Sqlite => {
                    Arc::new(SqliteInbox::open(dir.path().join("tp.db")).expect("open SQLite"))
                }
                _ => Arc::new(
                    PostgresInbox::connect(&fresh_database("throughput").await, 16)
                        .await
                        .expect("connect"),
                ),
            };
            let applied = applied.clone();
            builder.inbox(inbox).handle(move |_delivery: Delivery| {
                applied.fetch_add(1, Ordering::Relaxed);
                async { Ok::<_, BoxError>(()) }
            })
        }
    };
    let server = Server::start(endpoint.router("/webhooks"), "/webhooks").await;
    let signer = WebhookSigner::new("pk_tp", SecretString::from(secret));
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let now = chrono_now();
    let requests: Vec<_> = (0..events * 2)
        .map(|i| {
            let body = format!(
                r#"{{"type":"COINS_SENT","payment_id":"tp-{}","status":"coins_sent","txid":"0x1"}}"#,
                i % events
            );
            let headers = signer.sign(body.as_bytes(), now).to_header_map();
            (body, headers)
        })
        .collect();
    let started = Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(requests)
        .map(|(body, headers)| {
            let http = http.clone();
            let url = server.url.clone();
            async move {
                http.post(url)
                    .headers(headers)
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    // A copy racing its twin may be answered 503 (busy); everything else is 200.
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 503),
        "{store}: {statuses:?}"
    );
    assert!(
        endpoint.stats().applied as usize == events,
        "{store}: {:?}",
        endpoint.stats()
    );
    (events * 2, seconds)
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

//! Webhook deliveries as a receiver sees them: signed (checked here with an HMAC computed
//! independently of the sandbox), retried a bounded number of times, sent to the URL of
//! the latest subscription, and under the legacy `RAMPOFF_FINISHED` name to whoever
//! subscribed with it. Time moves with `Control::advance`; `Control::settle` waits for the
//! deliveries; nothing sleeps.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cryptopocket_sandbox::{DeliveryOutcome, Sandbox, SandboxConfig, Schedule};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{assert_api_error, http, register, send, token};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct ReceiverState {
    hits: Arc<Mutex<Vec<Hit>>>,
    fail_first: usize,
}

/// A webhook receiver on a free port that answers 500 to its first `fail_first` requests
/// and 200 after that.
struct Receiver {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        async fn hook(
            State(state): State<ReceiverState>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            let mut hits = state.hits.lock().unwrap();
            hits.push(Hit { headers, body });
            if hits.len() <= state.fail_first {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }
        let hits = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(ReceiverState {
                hits: hits.clone(),
                fail_first,
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Receiver { addr, hits }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// The JSON bodies received.
    fn events(&self) -> Vec<Value> {
        self.hits()
            .iter()
            .map(|h| serde_json::from_slice(&h.body).unwrap())
            .collect()
    }
}

fn config(attempts: u32) -> SandboxConfig {
    SandboxConfig {
        webhook_attempts: attempts,
        webhook_backoff: Duration::from_millis(1),
        ..SandboxConfig::default()
    }
}

/// A sandbox, a token and a customer who can sell crypto.
struct World {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
    user_id: u64,
}

impl World {
    async fn start(config: SandboxConfig) -> World {
        let sandbox = Sandbox::start_with(config).await.unwrap();
        let http = http();
        let token = token(&http, &sandbox).await;
        let user_id = register(&http, &sandbox, &token, "seller@example.com").await;
        World {
            sandbox,
            http,
            token,
            user_id,
        }
    }

    async fn form(&self, operation: &str, event_type: &str, url: &str) -> (u16, Value) {
        send(
            self.http
                .post(format!("{}/{operation}", self.sandbox.base_url()))
                .header("auth", &self.token)
                .form(&[("type", event_type), ("url", url)]),
        )
        .await
    }

    async fn subscribe(&self, event_type: &str, url: &str) {
        let (status, body) = self.form("subscribeToWebhook", event_type, url).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"status": "ok", "data": "subscription_created"})
        );
    }

    /// Creates an off-ramp operation and returns its id.
    async fn sell(&self) -> String {
        let (status, body) = send(
            self.http
                .post(format!("{}/createRampoff", self.sandbox.base_url()))
                .header("auth", &self.token)
                .json(
                    &json!({"user_id": self.user_id, "amount": 20, "symbol": "BUSD",
                              "blockchain": "bsc", "iban": "ES9121000418450200051332"}),
                ),
        )
        .await;
        assert_eq!((status, &body["status"]), (200, &json!("ok")), "{body}");
        body["data"]["id"].as_str().unwrap().to_owned()
    }

    /// Moves time until the customer's crypto has arrived (`CRYPTO_RECEIVED`) and waits
    /// for the deliveries.
    async fn crypto_arrives(&self) {
        let control = self.sandbox.control();
        control.advance(Schedule::default().crypto_received);
        control.settle().await;
    }

    /// Moves time until the payout is sent (`TRANSFER_RAMPOFF_FINISHED`) and waits for the
    /// deliveries.
    async fn payout_sent(&self) {
        let control = self.sandbox.control();
        control.advance(Schedule::default().rampoff_finished);
        control.settle().await;
    }
}

/// The signature scheme of REFERENCE.md §7.4, computed here without the sandbox's code:
/// HMAC-SHA256 keyed with the API secret over the raw body followed by the timestamp, in
/// lower-case hex.
fn expected_signature(secret: &str, body: &[u8], timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.update(timestamp.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn assert_signed(hit: &Hit, sandbox: &Sandbox) {
    let header = |name: &str| {
        hit.headers
            .get(name)
            .unwrap_or_else(|| panic!("{name} is missing: {:?}", hit.headers))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("x-api-key"), sandbox.api_key());
    assert_eq!(header("content-type"), "application/json");
    let timestamp = header("x-timestamp");
    let seconds: i64 = timestamp.parse().expect("X-Timestamp is Unix seconds");
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now - 300..=now + 5).contains(&seconds),
        "{seconds} is not within five minutes of {now}"
    );
    let signature = header("x-signature");
    assert_eq!(signature.len(), 64);
    assert!(
        signature
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "{signature} is lower-case hex"
    );
    assert_eq!(
        signature,
        expected_signature(sandbox.api_secret(), &hit.body, &timestamp)
    );
    // Signed over exactly these bytes: another secret or a changed body would not match.
    assert_ne!(
        signature,
        expected_signature("another secret", &hit.body, &timestamp)
    );
    let mut changed = hit.body.to_vec();
    changed.push(b' ');
    assert_ne!(
        signature,
        expected_signature(sandbox.api_secret(), &changed, &timestamp)
    );
}

/// A receiver that fails twice gets the same event a third time, and the delivery is
/// recorded as delivered after three attempts; every attempt is signed.
#[tokio::test]
async fn a_failing_receiver_gets_the_delivery_retried_until_it_succeeds() {
    let world = World::start(config(4)).await;
    let receiver = Receiver::start(2).await;
    world.subscribe("CRYPTO_RECEIVED", &receiver.url()).await;
    let rampoff = world.sell().await;
    world.sandbox.control().settle().await;
    assert!(receiver.hits().is_empty(), "nothing happened yet");

    world.crypto_arrives().await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 3);
    for hit in &hits {
        assert_signed(hit, &world.sandbox);
        assert_eq!(hit.body, hits[0].body, "a retry sends the same body");
    }
    let event = &receiver.events()[0];
    assert_eq!(event["type"], "CRYPTO_RECEIVED");
    assert_eq!(event["id"], rampoff.as_str());
    assert_eq!(event["status"], "crypto_received");

    let deliveries = world.sandbox.control().deliveries();
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.event_type, "CRYPTO_RECEIVED");
    assert_eq!(delivery.url, receiver.url());
    assert_eq!(delivery.attempts, 3);
    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered { status: 200 });
    assert_eq!(delivery.body.as_bytes(), &hits[0].body[..]);
}

/// A receiver that always fails gets exactly `webhook_attempts` attempts, then the
/// delivery is recorded as failed; the next event is tried afresh.
#[tokio::test]
async fn an_always_failing_receiver_gets_exactly_the_configured_attempts() {
    for attempts in [1, 3, 5] {
        let world = World::start(config(attempts)).await;
        let receiver = Receiver::start(usize::MAX).await;
        world.subscribe("CRYPTO_RECEIVED", &receiver.url()).await;
        world
            .subscribe("TRANSFER_RAMPOFF_FINISHED", &receiver.url())
            .await;
        world.sell().await;
        world.crypto_arrives().await;
        assert_eq!(receiver.hits().len(), attempts as usize);
        world.payout_sent().await;
        let hits = receiver.hits();
        assert_eq!(hits.len(), 2 * attempts as usize);
        for hit in &hits {
            assert_signed(hit, &world.sandbox);
        }
        let deliveries = world.sandbox.control().deliveries();
        let types: Vec<_> = deliveries.iter().map(|d| d.event_type.as_str()).collect();
        assert_eq!(types, ["CRYPTO_RECEIVED", "TRANSFER_RAMPOFF_FINISHED"]);
        for delivery in deliveries {
            assert_eq!(delivery.attempts, attempts);
            match delivery.outcome {
                DeliveryOutcome::Failed { reason } => {
                    assert!(reason.contains("500"), "{reason}")
                }
                other => panic!("expected a failure, got {other:?}"),
            }
        }
    }
}

/// A receiver nobody listens at: bounded attempts, then a failure that says so.
#[tokio::test]
async fn an_unreachable_receiver_fails_after_the_configured_attempts() {
    let world = World::start(config(3)).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    world
        .subscribe("CRYPTO_RECEIVED", &format!("http://{closed}/hook"))
        .await;
    world.sell().await;
    world.crypto_arrives().await;
    let deliveries = world.sandbox.control().deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].attempts, 3);
    assert_eq!(
        deliveries[0].outcome,
        DeliveryOutcome::Failed {
            reason: "the receiver could not be reached".into()
        }
    );
}

/// A subscriber under the legacy name `RAMPOFF_FINISHED` receives the off-ramp completion
/// under that name; a subscriber under the current name receives it under its own.
#[tokio::test]
async fn the_legacy_rampoff_finished_name_receives_the_completion() {
    let world = World::start(config(2)).await;
    let legacy = Receiver::start(0).await;
    let current = Receiver::start(0).await;
    world.subscribe("RAMPOFF_FINISHED", &legacy.url()).await;
    world
        .subscribe("TRANSFER_RAMPOFF_FINISHED", &current.url())
        .await;
    let rampoff = world.sell().await;
    world.crypto_arrives().await;
    assert!(
        legacy.hits().is_empty(),
        "CRYPTO_RECEIVED is not the completion"
    );
    world.payout_sent().await;

    let legacy_events = legacy.events();
    assert_eq!(legacy_events.len(), 1);
    assert_eq!(legacy_events[0]["type"], "RAMPOFF_FINISHED");
    assert_eq!(legacy_events[0]["id"], rampoff.as_str());
    assert_eq!(legacy_events[0]["status"], "finished");
    assert_signed(&legacy.hits()[0], &world.sandbox);
    let current_events = current.events();
    assert_eq!(current_events.len(), 1);
    assert_eq!(current_events[0]["type"], "TRANSFER_RAMPOFF_FINISHED");
    assert_eq!(current_events[0]["id"], rampoff.as_str());
}

/// Subscribing twice to one type keeps only the second URL; Update moves it again.
#[tokio::test]
async fn subscribing_again_replaces_and_update_moves_the_subscription() {
    let world = World::start(config(2)).await;
    let first = Receiver::start(0).await;
    let second = Receiver::start(0).await;
    world.subscribe("CRYPTO_RECEIVED", &first.url()).await;
    world.subscribe("CRYPTO_RECEIVED", &second.url()).await;
    world.sell().await;
    world.crypto_arrives().await;
    assert_eq!(first.hits().len(), 0);
    assert_eq!(second.hits().len(), 1);

    let (status, body) = world
        .form("updateWebhookSubscription", "CRYPTO_RECEIVED", &first.url())
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"status": "ok", "data": "subscription_updated"})
    );
    world.sell().await;
    world.crypto_arrives().await;
    assert_eq!(first.hits().len(), 1);
    assert_eq!(second.hits().len(), 1);
    assert_signed(&first.hits()[0], &world.sandbox);
}

/// Update needs an existing subscription of that type; without one it is refused in the
/// API's style, and nothing is subscribed by the attempt.
#[tokio::test]
async fn update_without_a_subscription_is_refused() {
    let world = World::start(config(2)).await;
    let receiver = Receiver::start(0).await;
    world.subscribe("PAY_IN", &receiver.url()).await;
    let (status, body) = world
        .form(
            "updateWebhookSubscription",
            "CRYPTO_RECEIVED",
            &receiver.url(),
        )
        .await;
    assert_api_error(status, &body, 200, "subscription_not_found");
    world.sell().await;
    world.crypto_arrives().await;
    assert!(receiver.hits().is_empty());
    assert!(world.sandbox.control().deliveries().is_empty());
}

/// A receiver that answers with a redirect has not taken the delivery: the sandbox does not
/// post the signed event on to where it points.
#[tokio::test]
async fn a_redirecting_receiver_is_not_followed() {
    let world = World::start(config(2)).await;
    let elsewhere = Receiver::start(0).await;
    let target = elsewhere.url();
    let app = Router::new().route(
        "/hook",
        post(move || {
            let target = target.clone();
            async move {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(axum::http::header::LOCATION, target)],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    world
        .subscribe("CRYPTO_RECEIVED", &format!("http://{addr}/hook"))
        .await;
    world.sell().await;
    world.crypto_arrives().await;
    assert!(elsewhere.hits().is_empty(), "the redirect was followed");
    let deliveries = world.sandbox.control().deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].attempts, 2);
    match &deliveries[0].outcome {
        DeliveryOutcome::Failed { reason } => assert!(reason.contains("307"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

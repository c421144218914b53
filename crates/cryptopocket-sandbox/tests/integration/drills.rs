//! Drills for a receiver's duplicate handling, over real HTTP on loopback: a delivery already
//! made is redelivered (the same body, signed afresh as a retry is), every event is delivered
//! twice, and every event goes to several subscriber URLs, one failing without holding the
//! others back. Signatures are checked with an HMAC computed here, independently of the
//! sandbox.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cryptopocket_sandbox::{ControlError, Delivery, DeliveryOutcome, Sandbox, SandboxConfig};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{assert_api_error, http, register, send, token};

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Hit {
    headers: HeaderMap,
    body: Bytes,
}

impl Hit {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn timestamp(&self) -> i64 {
        self.header("x-timestamp")
            .parse()
            .expect("a numeric X-Timestamp")
    }

    fn event_type(&self) -> String {
        let body: Value = serde_json::from_slice(&self.body).expect("a JSON body");
        body["type"].as_str().expect("a type").to_owned()
    }
}

#[derive(Clone)]
struct ReceiverState {
    hits: Arc<Mutex<Vec<Hit>>>,
    answer: StatusCode,
}

/// A webhook receiver on a free loopback port that records every request and always answers
/// `answer`.
struct Receiver {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    async fn start(answer: StatusCode) -> Receiver {
        async fn hook(
            State(state): State<ReceiverState>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            state.hits.lock().unwrap().push(Hit { headers, body });
            state.answer
        }
        let hits = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(ReceiverState {
                hits: hits.clone(),
                answer,
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Receiver { addr, hits }
    }

    async fn ok() -> Receiver {
        Receiver::start(StatusCode::OK).await
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// How many times each body arrived.
    fn bodies(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for hit in self.hits() {
            *counts
                .entry(String::from_utf8_lossy(&hit.body).into_owned())
                .or_default() += 1;
        }
        counts
    }
}

/// The receiver's check, done independently of the sandbox: `X-API-Key` is the key,
/// `X-Signature` the lower-case hex HMAC-SHA256 of the raw body followed by `X-Timestamp`,
/// keyed with the secret, and the timestamp is within five minutes of now.
fn assert_signed(sandbox: &Sandbox, hit: &Hit) {
    assert_eq!(hit.header("x-api-key"), sandbox.api_key());
    let mut mac = Hmac::<Sha256>::new_from_slice(sandbox.api_secret().as_bytes()).unwrap();
    mac.update(&hit.body);
    mac.update(hit.header("x-timestamp").as_bytes());
    assert_eq!(
        hit.header("x-signature"),
        hex::encode(mac.finalize().into_bytes()),
        "a valid signature"
    );
    let skew = (chrono::Utc::now().timestamp() - hit.timestamp()).abs();
    assert!(
        skew < 300,
        "X-Timestamp is wall-clock now: {}",
        hit.timestamp()
    );
}

/// The four current event types: what a subscriber URL given to the sandbox receives.
const EVENT_TYPES: [&str; 4] = [
    "PAY_IN",
    "COINS_SENT",
    "CRYPTO_RECEIVED",
    "TRANSFER_RAMPOFF_FINISHED",
];

/// A sandbox with a token, driven over its HTTP API.
struct Shop {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
}

impl Shop {
    async fn start(config: SandboxConfig) -> Shop {
        let sandbox = Sandbox::start_with(SandboxConfig {
            webhook_backoff: Duration::from_millis(1),
            ..config
        })
        .await
        .unwrap();
        let http = http();
        let token = token(&http, &sandbox).await;
        Shop {
            sandbox,
            http,
            token,
        }
    }

    async fn call(&self, operation: &str, body: Value) -> Value {
        let (status, answer) = send(
            self.http
                .post(format!("{}/{operation}", self.sandbox.base_url()))
                .header("auth", &self.token)
                .json(&body),
        )
        .await;
        assert_eq!(status, 200, "{operation}: {answer}");
        assert!(answer.get("error").is_none(), "{operation}: {answer}");
        answer["data"].clone()
    }

    /// Subscribes `url` to every current event type through the API.
    async fn subscribe_all(&self, url: &str) {
        for event_type in EVENT_TYPES {
            self.call(
                "subscribeToWebhook",
                json!({"type": event_type, "url": url}),
            )
            .await;
        }
    }

    /// A customer buys with a card and sells 20 BUSD; the clock then passes every step:
    /// four events (`PAY_IN`, `COINS_SENT`, `CRYPTO_RECEIVED`, `TRANSFER_RAMPOFF_FINISHED`).
    /// Waits until their deliveries are done.
    async fn trade(&self, email: &str) {
        let user_id = register(&self.http, &self.sandbox, &self.token, email).await;
        let control = self.sandbox.control();
        control.set_kyc(user_id, "valid").unwrap();
        let payment = self
            .call(
                "createPayment",
                json!({
                    "user_id": user_id, "payment_type": "card", "fiat_symbol": "EUR",
                    "fiat_amount": 50, "coin_symbol": "USDC", "coin_chain": "polygon",
                    "wallet": "0xB51b2ce243bb1F88880bC8D287EBbfd7F695Ac55",
                }),
            )
            .await;
        control
            .pay(payment["payment_id"].as_str().unwrap(), "card")
            .unwrap();
        self.call(
            "createRampoff",
            json!({
                "user_id": user_id, "amount": 20, "symbol": "BUSD", "blockchain": "bsc",
                "iban": "ES76 2077 0024 0031 0257 5766",
            }),
        )
        .await;
        // Ten minutes: past every step, and well within the token's hour.
        control.advance(Duration::from_secs(600));
        control.settle().await;
    }

    fn origin(&self) -> String {
        self.sandbox.base_url().trim_end_matches("/api").to_owned()
    }

    async fn control_request(&self, method: reqwest::Method, path_and_query: &str) -> (u16, Value) {
        send(
            self.http
                .request(method, format!("{}{path_and_query}", self.origin())),
        )
        .await
    }
}

fn delivered(delivery: &Delivery) -> bool {
    matches!(delivery.outcome, DeliveryOutcome::Delivered { .. })
}

#[tokio::test]
async fn redeliver_sends_the_same_body_signed_afresh() {
    let receiver = Receiver::ok().await;
    let shop = Shop::start(SandboxConfig::default()).await;
    shop.subscribe_all(&receiver.url()).await;
    shop.trade("redeliver@example.com").await;
    let control = shop.sandbox.control();
    let first = control.deliveries();
    assert_eq!(first.len(), 4, "{first:?}");
    assert!(first.iter().all(delivered), "{first:?}");
    assert!(first.iter().all(|d| d.duplicate_of.is_none()), "{first:?}");
    let ids: Vec<&str> = first.iter().map(|d| d.id.as_str()).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "every delivery has its own id: {ids:?}"
    );

    // A new second, so that a fresh signature cannot be the old one by chance.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let original = first
        .iter()
        .find(|d| d.event_type == "COINS_SENT")
        .expect("a COINS_SENT delivery")
        .clone();
    let again = control.redeliver(&original.id).unwrap();
    control.settle().await;

    let deliveries = control.deliveries();
    assert_eq!(deliveries.len(), 5, "{deliveries:?}");
    let redelivery = deliveries.last().unwrap();
    assert_eq!(redelivery.id, again);
    assert_ne!(redelivery.id, original.id);
    assert_eq!(
        redelivery.duplicate_of.as_deref(),
        Some(original.id.as_str())
    );
    assert_eq!(redelivery.body, original.body, "the same body");
    assert_eq!(redelivery.url, original.url);
    assert_eq!(redelivery.event_type, original.event_type);
    assert!(delivered(redelivery), "{redelivery:?}");

    let hits = receiver.hits();
    assert_eq!(hits.len(), 5);
    let before = hits
        .iter()
        .find(|h| h.body == original.body.as_bytes())
        .unwrap();
    let after = hits.last().unwrap();
    assert_eq!(after.body, original.body.as_bytes(), "byte for byte");
    for hit in &hits {
        assert_signed(&shop.sandbox, hit);
    }
    assert!(
        after.timestamp() > before.timestamp(),
        "a new timestamp: {} then {}",
        before.timestamp(),
        after.timestamp()
    );
    assert_ne!(after.header("x-signature"), before.header("x-signature"));

    // The newest delivery, and then every remembered one.
    let last = control.redeliver_last().unwrap();
    control.settle().await;
    let deliveries = control.deliveries();
    assert_eq!(deliveries.len(), 6);
    assert_eq!(deliveries[5].id, last);
    assert_eq!(deliveries[5].duplicate_of.as_deref(), Some(again.as_str()));
    assert_eq!(deliveries[5].body, original.body);

    let all = control.redeliver_all();
    assert_eq!(all.len(), 6);
    control.settle().await;
    let deliveries = control.deliveries();
    assert_eq!(deliveries.len(), 12);
    for (copy, of) in deliveries[6..].iter().zip(&deliveries[..6]) {
        assert_eq!(copy.duplicate_of.as_deref(), Some(of.id.as_str()));
        assert_eq!((&copy.body, &copy.url), (&of.body, &of.url));
        assert!(delivered(copy), "{copy:?}");
    }
    assert_eq!(receiver.hits().len(), 12);
    for hit in receiver.hits() {
        assert_signed(&shop.sandbox, &hit);
    }

    assert!(matches!(
        control.redeliver("dlv_999999"),
        Err(ControlError::NotFound {
            kind: "delivery",
            ..
        })
    ));
}

#[tokio::test]
async fn redeliver_over_http() {
    let receiver = Receiver::ok().await;
    let shop = Shop::start(SandboxConfig::default()).await;
    let control = shop.sandbox.control();
    // Nothing delivered yet: nothing to redeliver.
    let (status, body) = shop
        .control_request(reqwest::Method::POST, "/sandbox/deliveries/last/redeliver")
        .await;
    assert_api_error(status, &body, 409, "sandbox_control");
    let (status, body) = shop
        .control_request(reqwest::Method::POST, "/sandbox/deliveries/all/redeliver")
        .await;
    assert_eq!((status, &body["data"]), (200, &json!([])), "{body}");

    shop.subscribe_all(&receiver.url()).await;
    shop.trade("redeliver-http@example.com").await;
    let first = control.deliveries();
    let id = &first[1].id;
    let (status, body) = shop
        .control_request(
            reqwest::Method::POST,
            &format!("/sandbox/deliveries/{id}/redeliver"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let queued = body["data"].as_array().expect("a list");
    assert_eq!(queued.len(), 1, "{body}");
    assert_eq!(queued[0]["duplicate_of"], id.as_str(), "{body}");
    assert_eq!(queued[0]["event_type"], first[1].event_type.as_str());
    assert_eq!(queued[0]["outcome"], "queued");
    control.settle().await;
    let deliveries = control.deliveries();
    assert_eq!(deliveries.len(), 5);
    assert_eq!(deliveries[4].id, queued[0]["id"].as_str().unwrap());
    assert_eq!(deliveries[4].body, first[1].body);

    // The listing names each delivery and what it repeats.
    let (status, body) = shop
        .control_request(reqwest::Method::GET, "/sandbox/deliveries")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][4]["id"], deliveries[4].id.as_str(), "{body}");
    assert_eq!(body["data"][4]["duplicate_of"], id.as_str(), "{body}");
    assert_eq!(body["data"][0]["duplicate_of"], Value::Null, "{body}");

    let (status, body) = shop
        .control_request(reqwest::Method::POST, "/sandbox/deliveries/all/redeliver")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(5), "{body}");
    control.settle().await;
    assert_eq!(receiver.hits().len(), 10);

    let (status, body) = shop
        .control_request(
            reqwest::Method::POST,
            "/sandbox/deliveries/dlv_424242/redeliver",
        )
        .await;
    assert_api_error(status, &body, 404, "sandbox_control");
}

#[tokio::test]
async fn deliver_twice_delivers_each_event_twice() {
    let receiver = Receiver::ok().await;
    let shop = Shop::start(SandboxConfig {
        deliver_twice: true,
        ..SandboxConfig::default()
    })
    .await;
    let control = shop.sandbox.control();
    assert!(control.deliver_twice());
    shop.subscribe_all(&receiver.url()).await;
    shop.trade("twice@example.com").await;

    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 4, "four events: {bodies:?}");
    assert!(bodies.values().all(|&n| n == 2), "each twice: {bodies:?}");
    for hit in receiver.hits() {
        assert_signed(&shop.sandbox, &hit);
    }
    let deliveries = control.deliveries();
    assert_eq!(deliveries.len(), 8);
    assert!(deliveries.iter().all(delivered), "{deliveries:?}");
    let copies: Vec<&Delivery> = deliveries
        .iter()
        .filter(|d| d.duplicate_of.is_some())
        .collect();
    assert_eq!(copies.len(), 4, "{deliveries:?}");
    for copy in copies {
        let of = deliveries
            .iter()
            .find(|d| Some(&d.id) == copy.duplicate_of.as_ref())
            .expect("the copy names its original");
        assert_eq!((&copy.body, &copy.url), (&of.body, &of.url));
        assert!(of.duplicate_of.is_none());
    }

    // Switched off at run time (over HTTP): one delivery per event again.
    let (status, body) = shop
        .control_request(
            reqwest::Method::POST,
            "/sandbox/deliver-twice?enabled=false",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["deliver_twice"], false, "{body}");
    assert!(!control.deliver_twice());
    shop.trade("once@example.com").await;
    assert_eq!(receiver.hits().len(), 12);
    assert_eq!(receiver.bodies().len(), 8);

    // And on again through the handle.
    control.set_deliver_twice(true);
    shop.trade("twice-again@example.com").await;
    assert_eq!(receiver.hits().len(), 20);
    let (status, body) = shop
        .control_request(
            reqwest::Method::POST,
            "/sandbox/deliver-twice?enabled=maybe",
        )
        .await;
    assert_api_error(status, &body, 422, "invalid_parameter");
}

#[tokio::test]
async fn every_subscriber_url_receives_every_event() {
    let subscribed = Receiver::ok().await;
    let second = Receiver::ok().await;
    let third = Receiver::ok().await;
    let shop = Shop::start(SandboxConfig {
        // The subscribed URL given again is not a second subscriber.
        webhook_urls: vec![second.url(), subscribed.url()],
        ..SandboxConfig::default()
    })
    .await;
    let control = shop.sandbox.control();
    assert_eq!(control.webhook_urls(), [second.url(), subscribed.url()]);
    shop.subscribe_all(&subscribed.url()).await;
    shop.trade("fan@example.com").await;

    assert_eq!(subscribed.hits().len(), 4);
    assert_eq!(second.hits().len(), 4);
    assert_eq!(subscribed.bodies(), second.bodies(), "the same events");
    let mut types: Vec<String> = second.hits().iter().map(Hit::event_type).collect();
    types.sort();
    let mut expected: Vec<String> = EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
    expected.sort();
    assert_eq!(types, expected);
    for hit in subscribed.hits().iter().chain(&second.hits()) {
        assert_signed(&shop.sandbox, hit);
    }

    // A third subscriber over HTTP; the second removed with the handle.
    let (status, body) = shop
        .control_request(
            reqwest::Method::POST,
            &format!("/sandbox/webhook-urls?url={}", third.url()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["webhook_urls"],
        json!([second.url(), subscribed.url(), third.url()]),
        "{body}"
    );
    control.remove_webhook_url(&second.url());
    shop.trade("fan-2@example.com").await;
    assert_eq!(subscribed.hits().len(), 8);
    assert_eq!(second.hits().len(), 4);
    assert_eq!(third.hits().len(), 4);
    let (status, body) = shop
        .control_request(
            reqwest::Method::DELETE,
            &format!("/sandbox/webhook-urls?url={}", third.url()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["webhook_urls"], json!([subscribed.url()]));
    let (status, body) = shop
        .control_request(reqwest::Method::POST, "/sandbox/webhook-urls?url=ftp://x")
        .await;
    assert_api_error(status, &body, 422, "invalid_parameter");
    assert!(matches!(
        control.add_webhook_url("not a url"),
        Err(ControlError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_failing_subscriber_does_not_stop_the_others() {
    let failing = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let good = Receiver::ok().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", listener.local_addr().unwrap())
    };
    let shop = Shop::start(SandboxConfig {
        webhook_urls: vec![failing.url(), closed.clone(), good.url()],
        webhook_attempts: 3,
        ..SandboxConfig::default()
    })
    .await;
    shop.trade("failing@example.com").await;

    assert_eq!(good.hits().len(), 4, "the good subscriber got every event");
    assert_eq!(failing.hits().len(), 4 * 3, "every attempt was made");
    let deliveries = shop.sandbox.control().deliveries();
    assert_eq!(deliveries.len(), 12);
    for delivery in &deliveries {
        if delivery.url == good.url() {
            assert!(delivered(delivery), "{delivery:?}");
        } else {
            assert!(!delivered(delivery), "{delivery:?}");
            assert_eq!(delivery.attempts, 3);
        }
    }
}

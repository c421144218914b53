//! Extension points over loopback: a request hook of the user's, per-call deadline and retry
//! policy, the look-up by external id, the plain-http opt-in, and the structured
//! configuration errors.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use cryptopocket::{
    Client, ConfigError, Environment, Error, RetryPolicy, api::RequestHook, error::BaseUrlProblem,
    model::PaymentId,
};
use reqwest::header::HeaderValue;
use serde_json::{Value, json};

use crate::support::{MockServer, Reply, client_builder, fast_retries, fixture, logs::Captured};

const AUTHENTICATE: &str = "/api/authenticate";
const PAYMENT_ID: &str = "aBcDeFgHiJkLmNoPqRsTuVwXy";
const GET_PAYMENT: &str = "/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy";
const LIST_PAYMENTS: &str = "/api/payments/list";
const LIST_RAMPOFFS: &str = "/api/rampoffs/list";
/// A token made to be recognisable wherever it shows.
const TOKEN: &str = "T0K3Nhook-aaaabbbbccccdddd";

fn payment_id() -> PaymentId {
    PaymentId::new(PAYMENT_ID).unwrap()
}

/// One request as a hook saw it: the operation and the `auth` header.
type Seen = (&'static str, Option<String>);

/// What a hook saw, once per request.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Recorder {
    fn seen(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
}

impl RequestHook for Recorder {
    fn before_send(&self, request: &mut reqwest::Request, operation_id: &'static str) {
        let auth = request
            .headers()
            .get("auth")
            .map(|v| v.to_str().unwrap().to_owned());
        self.0.lock().unwrap().push((operation_id, auth));
        request
            .headers_mut()
            .insert("x-request-id", HeaderValue::from_static("req-1"));
    }
}

#[tokio::test]
async fn a_request_hook_sees_every_attempt_after_the_auth_header() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::token(TOKEN);
        }
        if request.nth <= 2 {
            return Reply::Json(503, json!({"message": "busy"}));
        }
        Reply::fixture("getPayment.response.json")
    })
    .await;
    let hook = Recorder::default();
    let client = client_builder(&server)
        .retry_policy(fast_retries(3))
        .request_hook(hook.clone())
        .build()
        .unwrap();

    client.onramp().get(&payment_id()).await.unwrap();

    let token = Some(TOKEN.to_owned());
    assert_eq!(
        hook.seen(),
        vec![
            ("authenticate", None),
            ("get_payment", token.clone()),
            ("get_payment", token.clone()),
            ("get_payment", token),
        ],
        "one entry per attempt, each after the crate set the token"
    );
    for request in server.requests() {
        assert_eq!(request.header("x-request-id"), Some("req-1"), "{request:?}");
    }
    assert_eq!(server.count(GET_PAYMENT), 3);
}

/// A hook that spreads the token about: into the query, another header, and an `auth`
/// header it marks as not sensitive.
struct Leaky;

impl RequestHook for Leaky {
    fn before_send(&self, request: &mut reqwest::Request, _: &'static str) {
        let Some(token) = request.headers().get("auth").cloned() else {
            return;
        };
        let token = token.to_str().unwrap().to_owned();
        request
            .url_mut()
            .query_pairs_mut()
            .append_pair("leak", &token);
        let plain = HeaderValue::from_str(&token).unwrap();
        assert!(!plain.is_sensitive());
        request.headers_mut().insert("x-leak", plain.clone());
        request.headers_mut().insert("auth", plain);
    }
}

#[tokio::test]
async fn a_request_hook_cannot_make_the_crate_print_the_token() {
    let (captured, _guard) = Captured::start(tracing::Level::TRACE);

    // The server echoes what it received wherever an error shows text.
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::token(TOKEN);
        }
        let echo = format!("{} x-leak={:?}", request.path, request.header("x-leak"));
        match request.route() {
            "/api/payment/envelope" => Reply::Json(
                200,
                json!({"status": "error", "error": "unexpected_error", "message": echo}),
            ),
            "/api/payment/free-text" => Reply::Json(200, json!({"status": "error", "error": echo})),
            _ => Reply::Raw(502, "text/plain".into(), echo, vec![]),
        }
    })
    .await;
    let client = client_builder(&server)
        .retry_policy(fast_retries(1))
        .request_hook(Leaky)
        .build()
        .unwrap();

    let mut shown = Vec::new();
    for id in ["envelope", "free-text", "proxy"] {
        let error = client
            .onramp()
            .get(&PaymentId::new(id).unwrap())
            .await
            .unwrap_err();
        shown.push(format!("{error} {error:?}"));
    }
    shown.push(captured.text());

    // The hook's copies did reach the server: the test would prove nothing otherwise.
    let leaked = server
        .requests()
        .iter()
        .filter(|r| r.header("x-leak") == Some(TOKEN) && r.path.contains(TOKEN))
        .count();
    assert_eq!(leaked, 3, "{:#?}", server.requests());
    for text in &shown {
        assert!(!text.contains(TOKEN), "the token shows: {text}");
        assert!(!text.contains("secret-test"), "the secret shows: {text}");
    }
}

#[tokio::test]
async fn a_per_call_deadline_shorter_than_the_clients_ends_the_call_at_it() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::token(TOKEN);
        }
        Reply::Hang
    })
    .await;
    // The client would wait 5 s an attempt and 10 s a call.
    let client = client_builder(&server).build().unwrap();

    let started = Instant::now();
    let error = client
        .onramp()
        .with_timeout(Duration::from_millis(300))
        .get(&payment_id())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "getPayment",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(4),
        "the per-call deadline was not kept: {elapsed:?}"
    );
}

#[tokio::test]
async fn retry_never_per_call_stops_a_reads_retries() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::token(TOKEN);
        }
        Reply::Json(503, json!({"message": "busy"}))
    })
    .await;
    let client = client_builder(&server)
        .retry_policy(fast_retries(4))
        .build()
        .unwrap();

    let once = client.onramp().with_retry(RetryPolicy::never());
    let error = once.get(&payment_id()).await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(server.count(GET_PAYMENT), 1, "never means one attempt");

    // Lists made from the handle carry its options.
    once.list().page(1).await.unwrap_err();
    assert_eq!(server.count(LIST_PAYMENTS), 1);

    // The client's own policy is untouched for other handles.
    client.onramp().get(&payment_id()).await.unwrap_err();
    assert_eq!(server.count(GET_PAYMENT), 1 + 4);
}

#[tokio::test]
async fn unusable_per_call_options_fail_before_anything_is_sent() {
    let server = MockServer::start(|_| Reply::token(TOKEN)).await;
    let client = client_builder(&server).build().unwrap();

    let error = client
        .onramp()
        .with_timeout(Duration::ZERO)
        .get(&payment_id())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Config(ConfigError::DurationOutOfRange {
                setting: "with_timeout",
                ..
            })
        ),
        "{error:?}"
    );
    assert!(!error.may_have_reached_server());
    let error = client
        .customers()
        .with_retry(RetryPolicy::default().max_attempts(0))
        .list()
        .page(1)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Config(ConfigError::InvalidValue {
                setting: "with_retry",
                ..
            })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_attempts"), "{error}");
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
}

// ---------------------------------------------------------------------------------------
// Look-up by external id
// ---------------------------------------------------------------------------------------

/// Page `page` of three with two payments each, external ids `ext-<page>-<n>`.
fn payments_page(page: u64) -> Reply {
    let items: Vec<Value> = (1..=2)
        .map(|n| {
            let mut payment = fixture("getPayment.response.json")["data"].clone();
            payment["id"] = json!(format!("Pay00000000000000000000{page}{n}"));
            payment["external_id"] = json!(format!("ext-{page}-{n}"));
            payment
        })
        .collect();
    Reply::Json(
        200,
        json!({
            "status": "ok",
            "data": items,
            "pagination": {"current_page": page, "per_page": 2, "total": 6, "last_page": 3},
        }),
    )
}

fn rampoffs_page(page: u64) -> Reply {
    let items: Vec<Value> = (1..=2)
        .map(|n| {
            let mut rampoff = fixture("getRampoff.response.json")["data"].clone();
            rampoff["id"] = json!(format!("Off00000000000000000000{page}{n}"));
            rampoff["external_id"] = json!(format!("ext-{page}-{n}"));
            rampoff
        })
        .collect();
    Reply::Json(
        200,
        json!({
            "status": "ok",
            "data": items,
            "pagination": {"current_page": page, "per_page": 2, "total": 6, "last_page": 3},
        }),
    )
}

async fn list_server() -> MockServer {
    MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::token(TOKEN);
        }
        let page = request.query("page").and_then(|p| p.parse::<u64>().ok());
        match (request.route(), page) {
            (LIST_PAYMENTS, Some(page @ 1..=3)) => payments_page(page),
            (LIST_RAMPOFFS, Some(page @ 1..=3)) => rampoffs_page(page),
            _ => Reply::Json(404, json!({"message": "no such page"})),
        }
    })
    .await
}

#[tokio::test]
async fn finding_a_payment_by_external_id_stops_paging_at_the_match() {
    let server = list_server().await;
    let client = client_builder(&server).build().unwrap();

    let found = client
        .onramp()
        .find_by_external_id("ext-2-1")
        .await
        .unwrap()
        .expect("a match on page 2");
    assert_eq!(found.id.as_str(), "Pay0000000000000000000021");
    assert_eq!(found.external_id.as_deref(), Some("ext-2-1"));
    let pages: Vec<_> = server
        .requests_to(LIST_PAYMENTS)
        .iter()
        .map(|r| {
            (
                r.query("page").map(str::to_owned),
                r.query("per_page").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        pages,
        vec![
            (Some("1".into()), Some("100".into())),
            (Some("2".into()), Some("100".into())),
        ],
        "page 3 must not be fetched"
    );

    assert_eq!(
        client
            .onramp()
            .find_by_external_id("ext-9-9")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        server.count(LIST_PAYMENTS),
        2 + 3,
        "None only after the last page"
    );
    // Exact comparison: a prefix is not a match.
    assert_eq!(
        client.onramp().find_by_external_id("ext-2").await.unwrap(),
        None
    );

    let error = client.onramp().find_by_external_id(" ").await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(server.count(LIST_PAYMENTS), 2 + 3 + 3);
}

#[tokio::test]
async fn finding_an_off_ramp_by_external_id_stops_paging_at_the_match() {
    let server = list_server().await;
    let client = client_builder(&server).build().unwrap();

    let found = client
        .offramp()
        .find_by_external_id("ext-1-2")
        .await
        .unwrap()
        .expect("a match on page 1");
    assert_eq!(found.id.as_str(), "Off0000000000000000000012");
    assert_eq!(found.external_id.as_deref(), Some("ext-1-2"));
    assert_eq!(server.count(LIST_RAMPOFFS), 1, "page 2 must not be fetched");

    assert_eq!(
        client.offramp().find_by_external_id("nope").await.unwrap(),
        None
    );
    assert_eq!(server.count(LIST_RAMPOFFS), 1 + 3);
}

// ---------------------------------------------------------------------------------------
// Plain http to a named host; structured configuration errors
// ---------------------------------------------------------------------------------------

#[test]
fn plain_http_to_the_named_host_is_built_with_a_warning_naming_it() {
    let (captured, _guard) = Captured::start(tracing::Level::WARN);
    let builder = || {
        Client::builder()
            .environment(Environment::Custom("http://sandbox:8080/api".into()))
            .credentials("k", "s3cr3t-value")
    };

    let refused = builder().build().unwrap_err();
    match &refused {
        Error::Config(ConfigError::BaseUrl {
            url,
            problem: BaseUrlProblem::PlainHttp,
            variable: None,
        }) => assert_eq!(url, "http://sandbox:8080/api"),
        other => panic!("{other:?}"),
    }
    assert!(captured.text().is_empty(), "{}", captured.text());

    for _ in 0..2 {
        builder().allow_plain_http_to("sandbox").build().unwrap();
    }
    let logs = captured.text();
    let warnings: Vec<_> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 2, "one warning per client built: {logs}");
    assert!(warnings.iter().all(|w| w.contains("sandbox")), "{logs}");
    assert!(!logs.contains("s3cr3t"), "{logs}");

    // An https URL needs no opt-in, and having one set does not warn.
    let before = captured.text().len();
    Client::builder()
        .credentials("k", "s")
        .allow_plain_http_to("sandbox")
        .build()
        .unwrap();
    assert_eq!(captured.text().len(), before, "{}", captured.text());
}

#[test]
fn configuration_errors_never_show_a_secret_or_userinfo() {
    let errors = [
        Client::builder()
            .environment(Environment::Custom(
                "https://admin:hunter2pass@api.example/api".into(),
            ))
            .credentials("k", "s3cr3t-value")
            .build()
            .unwrap_err(),
        Client::builder()
            .environment(Environment::Custom(
                "http://admin:hunter2pass@sandbox:8080/api".into(),
            ))
            .credentials("k", "s3cr3t-value")
            .allow_plain_http_to("sandbox")
            .build()
            .unwrap_err(),
        Client::builder()
            .environment(Environment::Custom("gopher://u:hunter2pass@x/api".into()))
            .credentials("k", "s3cr3t-value")
            .build()
            .unwrap_err(),
        Client::builder()
            .credentials("k", "s3cr3t-value")
            .deadline(Duration::from_secs(90_000))
            .build()
            .unwrap_err(),
        Client::builder()
            .credentials("", "s3cr3t-value")
            .build()
            .unwrap_err(),
    ];
    for error in &errors {
        assert!(matches!(error, Error::Config(_)), "{error:?}");
        assert!(!error.may_have_reached_server());
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains("hunter2pass") && !shown.contains("s3cr3t") && !shown.contains("admin"),
            "{shown}"
        );
    }
    assert!(
        errors[4].to_string().contains("no API key"),
        "{}",
        errors[4]
    );
}

#[tokio::test]
async fn the_sandbox_finds_payments_and_off_ramps_by_the_external_id_sent() {
    use crate::support::sandbox::{Harness, KYC_DECIDED, purchase, sale};
    use cryptopocket::model::PaymentType;
    use rust_decimal::Decimal;

    let h = Harness::start().await;
    let user = h.register("finder@example.com").await;
    h.control.advance(KYC_DECIDED);
    let (onramp, offramp) = (h.client.onramp(), h.client.offramp());
    for n in 0..3 {
        let order = purchase(user, Decimal::new(50, 0), PaymentType::Card)
            .external_id(format!("order-{n}"));
        onramp.create(&order).await.unwrap();
        offramp
            .create(&sale(user).external_id(format!("sale-{n}")))
            .await
            .unwrap();
    }
    let payment = onramp
        .find_by_external_id("order-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.external_id.as_deref(), Some("order-1"));
    let operation = offramp
        .find_by_external_id("sale-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(operation.external_id.as_deref(), Some("sale-2"));
    assert_eq!(offramp.get(&operation.id).await.unwrap(), operation);
    assert_eq!(offramp.find_by_external_id("order-1").await.unwrap(), None);
}

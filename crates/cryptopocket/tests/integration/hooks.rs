//! A request hook of the user's over loopback: it sees every attempt after the crate set the
//! token, and nothing it does with the token makes the crate print it.

use std::sync::{Arc, Mutex};

use cryptopocket::{api::RequestHook, model::PaymentId};
use reqwest::header::HeaderValue;
use serde_json::json;
use wiremock::{Mock, Request, matchers::path};

use crate::support::{
    GET_PAYMENT, client_builder, fast_retries,
    logs::Captured,
    mock::{self, Received as _},
    payment_id,
};

/// A token made to be recognisable wherever it shows.
const TOKEN: &str = "T0K3Nhook-aaaabbbbccccdddd";

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
    let server = mock::issuing(TOKEN).await;
    Mock::given(path(GET_PAYMENT))
        .respond_with(mock::json(503, json!({"message": "busy"})))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    mock::otherwise(&server, mock::fixture("getPayment.response.json")).await;
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
    let all = mock::requests(&server).await;
    assert_eq!(all.len(), 1 + 3, "{all:#?}");
    for request in all {
        assert_eq!(request.header("x-request-id"), Some("req-1"), "{request:?}");
    }
    assert_eq!(mock::count(&server, GET_PAYMENT).await, 3);
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
    let server = mock::issuing(TOKEN).await;
    mock::otherwise(&server, |request: &Request| {
        let echo = format!("{} x-leak={:?}", request.target(), request.header("x-leak"));
        match request.url.path() {
            "/api/payment/envelope" => mock::json(
                200,
                json!({"status": "error", "error": "unexpected_error", "message": echo}),
            ),
            "/api/payment/free-text" => mock::json(200, json!({"status": "error", "error": echo})),
            _ => mock::text(502, echo),
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
    let all = mock::requests(&server).await;
    let leaked = all
        .iter()
        .filter(|r| r.header("x-leak") == Some(TOKEN) && r.target().contains(TOKEN))
        .count();
    assert_eq!(leaked, 3, "{all:#?}");
    for text in &shown {
        assert!(!text.contains(TOKEN), "the token shows: {text}");
        assert!(!text.contains("secret-test"), "the secret shows: {text}");
    }
}

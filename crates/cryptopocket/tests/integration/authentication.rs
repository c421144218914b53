//! The token over real HTTP on loopback: fetched lazily and once however many calls need it,
//! refreshed once when refused, found wherever authenticate puts it, and refused credentials
//! final.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use cryptopocket::{ApiErrorCode, Client, Error, onramp::Payment};
use serde_json::json;
use wiremock::{
    Mock, MockServer, Request,
    matchers::{header, header_exists, method, path},
};

use crate::support::{
    AUTHENTICATE, GET_PAYMENT, PAYMENT_ID, client_builder, client_with_attempts, fixture_text,
    mock::{self, Received as _},
    payment_id,
};

/// `calls` Retrieve payment calls released together by a barrier; panics on any failure.
async fn payments_at_once(client: &Client, calls: usize) -> Vec<Payment> {
    let start = Arc::new(tokio::sync::Barrier::new(calls));
    let tasks = (0..calls).map(|_| {
        let client = client.clone();
        let start = Arc::clone(&start);
        tokio::spawn(async move {
            start.wait().await;
            client.onramp().get(&payment_id()).await
        })
    });
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .enumerate()
        .map(|(i, joined)| {
            joined
                .expect("the task finished")
                .unwrap_or_else(|e| panic!("call {i} failed: {e:?}"))
        })
        .collect()
}

/// A server whose authenticate issues `T1`, `T2`, … and that refuses every other call.
async fn numbering_and_refusing() -> MockServer {
    let server = MockServer::builder().start().await;
    mock::on(&server, "POST", AUTHENTICATE, mock::numbered_tokens()).await;
    mock::otherwise(&server, mock::api_error("authorization_incorrect")).await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_calls_on_a_cold_client_authenticate_once() {
    // Every authenticate issues a new token (T1, T2, …), so a second one would show.
    let server = numbering_and_refusing().await;
    Mock::given(method("GET"))
        .and(path(GET_PAYMENT))
        .and(header_exists("auth"))
        .respond_with(mock::fixture("getPayment.response.json"))
        .mount(&server)
        .await;
    let client = client_builder(&server).build().unwrap();

    for payment in payments_at_once(&client, 64).await {
        assert_eq!(payment.id.as_str(), PAYMENT_ID);
    }

    let all = mock::requests(&server).await;
    assert_eq!(mock::count(&server, AUTHENTICATE).await, 1, "{all:#?}");
    let authenticate = &mock::requests_to(&server, AUTHENTICATE).await[0];
    assert_eq!(
        authenticate.json(),
        Some(json!({"api_key": "key-test", "api_secret": "secret-test"}))
    );
    assert_eq!(authenticate.auth(), None, "authenticate sends no token");
    let gets = mock::requests_to(&server, GET_PAYMENT).await;
    assert_eq!(gets.len(), 64);
    for get in &gets {
        assert_eq!(get.auth(), Some("T1"), "{get:?}");
    }
    assert_eq!(all.len(), 1 + 64, "nothing else was sent: {all:#?}");
}

#[tokio::test]
async fn a_token_that_stays_refused_is_an_api_error_after_one_replay() {
    let server = numbering_and_refusing().await;
    let client = client_with_attempts(&server, 5);

    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    match &error {
        Error::Api(api) => {
            assert_eq!(api.code, ApiErrorCode::AuthorizationIncorrect);
            assert_eq!(api.operation, "getPayment");
            assert_eq!(api.http_status, 200);
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(
        mock::count(&server, GET_PAYMENT).await,
        2,
        "one replay, no loop"
    );
    assert_eq!(mock::count(&server, AUTHENTICATE).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_calls_refresh_an_expired_token_once() {
    let expired = Arc::new(AtomicBool::new(false));
    let t1_expired = Arc::clone(&expired);
    let server = MockServer::builder().start().await;
    mock::on(&server, "POST", AUTHENTICATE, mock::numbered_tokens()).await;
    mock::otherwise(&server, move |request: &Request| match request.auth() {
        Some("T1") if !t1_expired.load(Ordering::SeqCst) => {
            mock::fixture("getPayment.response.json")
        }
        Some("T2") => mock::fixture("getPayment.response.json"),
        _ => mock::api_error("authorization_incorrect"),
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    client.onramp().get(&payment_id()).await.unwrap();
    assert_eq!(mock::count(&server, AUTHENTICATE).await, 1);

    expired.store(true, Ordering::SeqCst);
    payments_at_once(&client, 64).await;

    assert_eq!(
        mock::count(&server, AUTHENTICATE).await,
        2,
        "the expired token was replaced more than once"
    );
    let accepted = mock::requests_to(&server, GET_PAYMENT)
        .await
        .iter()
        .filter(|r| r.auth() == Some("T2"))
        .count();
    assert_eq!(accepted, 64, "each call succeeded once with the new token");
}

#[tokio::test]
async fn wrong_credentials_fail_at_authenticate_without_calling_the_operation() {
    let server = MockServer::builder().start().await;
    let refused = mock::api_error("authorization_incorrect");
    mock::on(&server, "POST", AUTHENTICATE, refused).await;
    mock::otherwise(&server, mock::fixture("getPayment.response.json")).await;
    let client = client_with_attempts(&server, 5);

    let error = match client.onramp().get(&payment_id()).await {
        Err(Error::Api(api)) => api,
        other => panic!("expected Error::Api, got {other:?}"),
    };
    assert_eq!(error.code, ApiErrorCode::AuthorizationIncorrect);
    assert_eq!(error.operation, "authenticate");
    assert_eq!(
        mock::count(&server, AUTHENTICATE).await,
        1,
        "refused credentials are final"
    );
    assert_eq!(mock::count(&server, GET_PAYMENT).await, 0);
}

/// The token's place is undocumented: each plausible one works, through the client, and a
/// byte-order mark before a body does not cost the response.
#[tokio::test]
async fn the_token_is_found_wherever_authenticate_puts_it_and_a_bom_is_skipped() {
    for answer in [
        json!({"status": "ok", "data": {"token": "T-obj", "expires_in": 3600}}),
        json!({"status": "ok", "data": "T-str", "expires_in": 3600}),
        json!({"status": "success", "token": "T-top"}),
    ] {
        let issued = answer
            .pointer("/data/token")
            .or_else(|| answer.pointer("/data"))
            .filter(|v| v.is_string())
            .or_else(|| answer.pointer("/token"))
            .and_then(|v| v.as_str())
            .unwrap()
            .to_owned();
        let server = MockServer::builder().start().await;
        mock::on(&server, "POST", AUTHENTICATE, mock::json(200, answer)).await;
        let body = format!("\u{feff}{}", fixture_text("getPayment.response.json"));
        Mock::given(header("auth", issued.as_str()))
            .respond_with(mock::raw(200, "application/json", body))
            .mount(&server)
            .await;
        mock::otherwise(&server, mock::api_error("authorization_incorrect")).await;
        let client = client_builder(&server).build().unwrap();
        let payment = client.onramp().get(&payment_id()).await;
        assert!(payment.is_ok(), "token {issued}: {payment:?}");
        assert_eq!(
            mock::count(&server, AUTHENTICATE).await,
            1,
            "token {issued}"
        );
    }
}

/// No place holds a token: the error says where it looked, without quoting the body.
#[tokio::test]
async fn a_token_in_no_known_place_is_an_error_naming_the_places_tried() {
    for answer in [
        json!({"status": "ok", "data": {"access_token": "Zq9SeCrEtToKeN"}}),
        json!({"status": "ok", "data": null, "access_token": "Zq9SeCrEtToKeN"}),
    ] {
        let server = MockServer::builder().start().await;
        mock::otherwise(&server, mock::json(200, answer)).await;
        let client = client_builder(&server).build().unwrap();
        let error = client.authenticate().await.unwrap_err();
        let shown = format!("{error}\n{error:?}");
        assert!(matches!(error, Error::Decode { .. }), "{shown}");
        assert!(
            shown.contains("data.token") && shown.contains("string `data`"),
            "{shown}"
        );
        assert!(!shown.contains("Zq9SeCrEtToKeN"), "{shown}");
    }
}

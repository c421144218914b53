//! Per-call options over loopback: a per-call deadline and retry policy apply to that call
//! (and to lists made from the handle) only, and unusable ones fail before anything is sent.

use std::time::{Duration, Instant};

use cryptopocket::{ConfigError, Error, RetryPolicy};
use serde_json::json;
use wiremock::MockServer;

use crate::support::{
    GET_PAYMENT, LIST_PAYMENTS, client_builder, client_with_attempts, mock, payment_id,
};

/// A token made to be recognisable wherever it shows.
const TOKEN: &str = "T0K3Nhook-aaaabbbbccccdddd";

#[tokio::test]
async fn a_per_call_deadline_shorter_than_the_clients_ends_the_call_at_it() {
    let server = mock::issuing(TOKEN).await;
    mock::otherwise(&server, mock::hang()).await;
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
    assert_error!(error, Error::Timeout { .. }, "getPayment");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(4),
        "the per-call deadline was not kept: {elapsed:?}"
    );
}

#[tokio::test]
async fn retry_never_per_call_stops_a_reads_retries() {
    let server = mock::issuing(TOKEN).await;
    mock::otherwise(&server, mock::json(503, json!({"message": "busy"}))).await;
    let client = client_with_attempts(&server, 4);

    let once = client.onramp().with_retry(RetryPolicy::never());
    let error = once.get(&payment_id()).await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(
        mock::count(&server, GET_PAYMENT).await,
        1,
        "never means one attempt"
    );

    // Lists made from the handle carry its options.
    once.list().page(1).await.unwrap_err();
    assert_eq!(mock::count(&server, LIST_PAYMENTS).await, 1);

    // The client's own policy is untouched for other handles.
    client.onramp().get(&payment_id()).await.unwrap_err();
    assert_eq!(mock::count(&server, GET_PAYMENT).await, 1 + 4);
}

#[tokio::test]
async fn unusable_per_call_options_fail_before_anything_is_sent() {
    let server = MockServer::builder().start().await;
    mock::otherwise(&server, mock::token(TOKEN)).await;
    let client = client_builder(&server).build().unwrap();

    let error = client
        .onramp()
        .with_timeout(Duration::ZERO)
        .get(&payment_id())
        .await
        .unwrap_err();
    let Error::Config(ConfigError::DurationOutOfRange { setting, .. }) = &error else {
        panic!("expected a duration out of range, got {error:?}");
    };
    assert_eq!(*setting, "with_timeout");
    assert!(!error.may_have_reached_server());
    let error = client
        .customers()
        .with_retry(RetryPolicy::default().max_attempts(0))
        .list()
        .page(1)
        .await
        .unwrap_err();
    let Error::Config(ConfigError::InvalidValue { setting, .. }) = &error else {
        panic!("expected an invalid value, got {error:?}");
    };
    assert_eq!(*setting, "with_retry");
    assert!(error.to_string().contains("max_attempts"), "{error}");
    let all = mock::requests(&server).await;
    assert!(all.is_empty(), "{all:#?}");
}

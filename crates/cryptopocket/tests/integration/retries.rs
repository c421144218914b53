//! Retries and deadlines over real HTTP on loopback: reads retry where safe, a create is
//! never sent twice, `Retry-After` is honoured but never past the deadline, and a server that
//! never answers ends the call at its deadline.

use std::time::Duration;

use cryptopocket::{Client, Error, model::UserId, onramp::NewGuidedPayment};
use rust_decimal::Decimal;
use wiremock::{
    Mock, MockServer,
    matchers::{any, method, path},
};

use crate::support::{
    CREATE_GUIDED_PAYMENT, CREATE_PAYMENT, GET_PAYMENT, PAYMENT_ID, client_builder,
    client_with_attempts, fast_retries, mock, payment_id, payment_request,
};

fn new_guided_payment(external_id: &str) -> NewGuidedPayment {
    NewGuidedPayment::new(&UserId::new(106), Decimal::new(240, 0), "USDC", "polygon")
        .external_id(external_id)
}

/// A 503 asking to come back at once.
fn unavailable() -> wiremock::ResponseTemplate {
    mock::retry_after(503, "try again", "0")
}

/// Sends the documented create, checks that it reached the server exactly once, and returns
/// its error.
async fn create_sent_once(server: &MockServer, client: &Client) -> Error {
    let error = client
        .onramp()
        .create(&payment_request("order-1"))
        .await
        .unwrap_err();
    assert_eq!(
        mock::count(server, CREATE_PAYMENT).await,
        1,
        "a create was sent twice: {error:?}"
    );
    error
}

// ---------------------------------------------------------------------------------------
// Reads retry, creates are never sent twice
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_create_whose_connection_dies_after_sending_is_not_sent_again() {
    let server = mock::issuing("T1").await;
    // createPayment and createGuidedPayment: the request arrived, no answer.
    Mock::given(any())
        .respond_with_err(mock::dropped)
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    let client = client_with_attempts(&server, 5);

    let error = create_sent_once(&server, &client).await;
    assert!(error.may_have_reached_server(), "{error:?}");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "createPayment",
                maybe_sent: true,
                ..
            }
        ),
        "{error:?}"
    );

    let error = client
        .onramp()
        .create_guided(&new_guided_payment("order-2"))
        .await
        .unwrap_err();
    assert!(error.may_have_reached_server(), "{error:?}");
    assert_eq!(
        mock::count(&server, CREATE_GUIDED_PAYMENT).await,
        1,
        "a guided create was sent twice"
    );
}

/// Mounts `failing` for the first `failures` requests and the documented payment after
/// them, and checks that a read gets the payment on attempt `failures + 1`.
async fn assert_read_retried_past(failing: Mock, failures: u64) {
    let server = mock::issuing("T1").await;
    failing
        .up_to_n_times(failures)
        .with_priority(1)
        .mount(&server)
        .await;
    mock::otherwise(&server, mock::fixture("getPayment.response.json")).await;
    let client = client_builder(&server).build().unwrap();

    let payment = client.onramp().get(&payment_id()).await.unwrap();
    assert_eq!(payment.id.as_str(), PAYMENT_ID);
    assert_eq!(mock::count(&server, GET_PAYMENT).await as u64, failures + 1);
}

#[tokio::test]
async fn a_read_whose_connection_dies_is_retried() {
    let dropped = Mock::given(method("GET"))
        .and(path(GET_PAYMENT))
        .respond_with_err(mock::dropped);
    assert_read_retried_past(dropped, 1).await;
}

#[tokio::test]
async fn a_read_retries_503_with_retry_after() {
    assert_read_retried_past(
        Mock::given(path(GET_PAYMENT)).respond_with(unavailable()),
        2,
    )
    .await;
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_ends_the_call_instead_of_waiting() {
    let server = mock::issuing("T1").await;
    let an_hour = mock::retry_after(503, "come back in an hour", "3600");
    mock::otherwise(&server, an_hour).await;
    let client = client_builder(&server)
        .deadline(Duration::from_secs(5))
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();

    // The guard only turns a client that sleeps an hour into a failure instead of a hang.
    let result = tokio::time::timeout(Duration::from_secs(60), client.onramp().get(&payment_id()))
        .await
        .expect("the client waited past its own deadline");
    match result {
        Err(Error::RetryAfterPastDeadline {
            status: 503,
            retry_after,
            operation: "getPayment",
        }) => assert_eq!(retry_after, Duration::from_secs(3600)),
        other => panic!("expected the 503's Retry-After past the deadline, got {other:?}"),
    }
    assert_eq!(mock::count(&server, GET_PAYMENT).await, 1);
}

#[tokio::test]
async fn a_create_that_gets_503_is_not_retried() {
    let server = mock::issuing("T1").await;
    mock::otherwise(&server, unavailable()).await;
    let client = client_with_attempts(&server, 5);

    let error = create_sent_once(&server, &client).await;
    match &error {
        Error::UnexpectedStatus {
            status,
            retry_after,
            operation,
            ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(*operation, "createPayment");
            assert_eq!(*retry_after, Some(Duration::ZERO));
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
    assert!(error.is_retryable() && error.may_have_reached_server());
}

#[tokio::test]
async fn a_proxy_html_502_page_becomes_a_short_unexpected_status() {
    let page = format!(
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad \
         Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n{}</body>\r\n</html>\r\n",
        "<!-- a padding comment to make the page long -->\r\n".repeat(40)
    );
    assert!(page.len() > 2000);
    let server = mock::issuing("T1").await;
    mock::otherwise(&server, mock::raw(502, "text/html", page)).await;
    let client = client_with_attempts(&server, 1);

    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    match &error {
        Error::UnexpectedStatus {
            status, excerpt, ..
        } => {
            assert_eq!(*status, 502);
            assert!(!excerpt.is_empty());
            assert!(
                excerpt.chars().count() < 200,
                "excerpt of {} chars: {excerpt}",
                excerpt.chars().count()
            );
            assert!(excerpt.contains("502 Bad Gateway"), "{excerpt}");
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
    assert!(error.to_string().chars().count() < 300, "{error}");
    assert_eq!(
        mock::count(&server, GET_PAYMENT).await,
        1,
        "max_attempts 1 means no retry"
    );
}

// ---------------------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_read_from_a_server_that_never_answers_times_out_at_the_deadline() {
    let server = mock::issuing("T1").await;
    mock::otherwise(&server, mock::hang()).await;
    let client = client_builder(&server)
        .attempt_timeout(Duration::from_secs(30))
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();

    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    assert_error!(error, Error::Timeout { .. }, "getPayment");
    assert!(error.is_retryable() && error.may_have_reached_server());
    assert!(mock::count(&server, GET_PAYMENT).await >= 1);
}

#[tokio::test]
async fn a_create_that_times_out_is_not_sent_again() {
    let server: MockServer = mock::issuing("T1").await;
    mock::otherwise(&server, mock::hang()).await;
    // Room for several attempts: only the rule for creates may stop at one.
    let client = client_builder(&server)
        .attempt_timeout(Duration::from_millis(100))
        .deadline(Duration::from_secs(3))
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();

    let error = create_sent_once(&server, &client).await;
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.may_have_reached_server());
}

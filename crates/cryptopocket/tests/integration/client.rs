//! The client over real HTTP on loopback: the token (lazy, single flight, refreshed once),
//! retries only where safe, typed errors, and no secret in any output.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use cryptopocket::{
    ApiErrorCode, Client, Error,
    customers::NewCompany,
    model::{PaymentId, UserId},
    onramp::{NewGuidedPayment, Payment},
};
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{
    self, MockServer, Reply, client_builder, fast_retries, logs::Captured, payment_request,
};

const AUTHENTICATE: &str = "/api/authenticate";
const CREATE_PAYMENT: &str = "/api/createPayment";
const CREATE_GUIDED_PAYMENT: &str = "/api/createGuidedPayment";
const PAYMENT_ID: &str = "aBcDeFgHiJkLmNoPqRsTuVwXy";
const GET_PAYMENT: &str = "/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy";

fn payment_id() -> PaymentId {
    PaymentId::new(PAYMENT_ID).unwrap()
}

fn new_guided_payment(external_id: &str) -> NewGuidedPayment {
    NewGuidedPayment::new(&UserId::new(106), Decimal::new(240, 0), "USDC", "polygon")
        .external_id(external_id)
}

/// The external id the client sent in a create request.
fn external_id(request: &support::Request) -> String {
    request
        .json()
        .and_then(|body| body["external_id"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

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

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_calls_on_a_cold_client_authenticate_once() {
    // Every authenticate issues a new token (T1, T2, …), so a second one would show.
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token(&format!("T{}", request.nth))
        } else if request.is("GET", GET_PAYMENT) && request.auth().is_some() {
            Reply::fixture("getPayment.response.json")
        } else {
            Reply::api_error("authorization_incorrect")
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();

    for payment in payments_at_once(&client, 64).await {
        assert_eq!(payment.id.as_str(), PAYMENT_ID);
    }

    assert_eq!(server.count(AUTHENTICATE), 1, "{:#?}", server.requests());
    let authenticate = &server.requests_to(AUTHENTICATE)[0];
    assert_eq!(
        authenticate.json(),
        Some(json!({"api_key": "key-test", "api_secret": "secret-test"}))
    );
    assert_eq!(authenticate.auth(), None, "authenticate sends no token");
    let gets = server.requests_to(GET_PAYMENT);
    assert_eq!(gets.len(), 64);
    for get in &gets {
        assert_eq!(get.auth(), Some("T1"), "{get:?}");
    }
    assert!(server.handler_panics().is_empty());
}

#[tokio::test]
async fn a_token_that_stays_refused_is_an_api_error_after_one_replay() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token(&format!("T{}", request.nth))
        } else {
            Reply::api_error("authorization_incorrect")
        }
    })
    .await;
    let client = client_builder(&server)
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();

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
    assert_eq!(server.count(GET_PAYMENT), 2, "one replay, no loop");
    assert_eq!(server.count(AUTHENTICATE), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_calls_refresh_an_expired_token_once() {
    let expired = Arc::new(AtomicBool::new(false));
    let t1_expired = Arc::clone(&expired);
    let server = MockServer::start(move |request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::token(&format!("T{}", request.nth));
        }
        match request.auth() {
            Some("T1") if !t1_expired.load(Ordering::SeqCst) => {
                Reply::fixture("getPayment.response.json")
            }
            Some("T2") => Reply::fixture("getPayment.response.json"),
            _ => Reply::api_error("authorization_incorrect"),
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    client.onramp().get(&payment_id()).await.unwrap();
    assert_eq!(server.count(AUTHENTICATE), 1);

    expired.store(true, Ordering::SeqCst);
    payments_at_once(&client, 64).await;

    assert_eq!(
        server.count(AUTHENTICATE),
        2,
        "the expired token was replaced more than once"
    );
    let accepted = server
        .requests_to(GET_PAYMENT)
        .iter()
        .filter(|r| r.auth() == Some("T2"))
        .count();
    assert_eq!(accepted, 64, "each call succeeded once with the new token");
}

#[tokio::test]
async fn wrong_credentials_fail_at_authenticate_without_calling_the_operation() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::api_error("authorization_incorrect")
        } else {
            Reply::fixture("getPayment.response.json")
        }
    })
    .await;
    let client = client_builder(&server)
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();

    let error = api_error(client.onramp().get(&payment_id()).await);
    assert_eq!(error.code, ApiErrorCode::AuthorizationIncorrect);
    assert_eq!(error.operation, "authenticate");
    assert_eq!(
        server.count(AUTHENTICATE),
        1,
        "refused credentials are final"
    );
    assert_eq!(server.count(GET_PAYMENT), 0);
}

// ---------------------------------------------------------------------------------------
// Retries: reads retry, creates are never sent twice
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_create_whose_connection_dies_after_sending_is_not_sent_again() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else {
            // createPayment and createGuidedPayment: the request arrived, no answer.
            Reply::Drop
        }
    })
    .await;
    let client = client_builder(&server)
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();

    let error = client
        .onramp()
        .create(&payment_request("order-1"))
        .await
        .unwrap_err();
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
    assert_eq!(server.count(CREATE_PAYMENT), 1, "a create was sent twice");

    let error = client
        .onramp()
        .create_guided(&new_guided_payment("order-2"))
        .await
        .unwrap_err();
    assert!(error.may_have_reached_server(), "{error:?}");
    assert_eq!(
        server.count(CREATE_GUIDED_PAYMENT),
        1,
        "a guided create was sent twice"
    );
}

#[tokio::test]
async fn a_read_whose_connection_dies_is_retried() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else if request.is("GET", GET_PAYMENT) && request.nth == 1 {
            Reply::Drop
        } else {
            Reply::fixture("getPayment.response.json")
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();

    let payment = client.onramp().get(&payment_id()).await.unwrap();
    assert_eq!(payment.id.as_str(), PAYMENT_ID);
    assert_eq!(server.count(GET_PAYMENT), 2);
}

fn unavailable() -> Reply {
    Reply::Raw(
        503,
        "text/plain".into(),
        "try again".into(),
        vec![("Retry-After".into(), "0".into())],
    )
}

#[tokio::test]
async fn a_read_retries_503_with_retry_after() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else if request.nth <= 2 {
            unavailable()
        } else {
            Reply::fixture("getPayment.response.json")
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();

    let payment = client.onramp().get(&payment_id()).await.unwrap();
    assert_eq!(payment.id.as_str(), PAYMENT_ID);
    assert_eq!(server.count(GET_PAYMENT), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_ends_the_call_instead_of_waiting() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else {
            Reply::Raw(
                503,
                "text/plain".into(),
                "come back in an hour".into(),
                vec![("Retry-After".into(), "3600".into())],
            )
        }
    })
    .await;
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
    assert_eq!(server.count(GET_PAYMENT), 1);
}

#[tokio::test]
async fn a_create_that_gets_503_is_not_retried() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else {
            unavailable()
        }
    })
    .await;
    let client = client_builder(&server)
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();

    let error = client
        .onramp()
        .create(&payment_request("order-1"))
        .await
        .unwrap_err();
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
    assert_eq!(server.count(CREATE_PAYMENT), 1, "a create was sent twice");
}

#[tokio::test]
async fn a_proxy_html_502_page_becomes_a_short_unexpected_status() {
    let page = format!(
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad \
         Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n{}</body>\r\n</html>\r\n",
        "<!-- a padding comment to make the page long -->\r\n".repeat(40)
    );
    assert!(page.len() > 2000);
    let server = MockServer::start(move |request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else {
            Reply::Raw(502, "text/html".into(), page.clone(), vec![])
        }
    })
    .await;
    let client = client_builder(&server)
        .retry_policy(fast_retries(1))
        .build()
        .unwrap();

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
        server.count(GET_PAYMENT),
        1,
        "max_attempts 1 means no retry"
    );
}

// ---------------------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_read_from_a_server_that_never_answers_times_out_at_the_deadline() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else {
            Reply::Hang
        }
    })
    .await;
    let client = client_builder(&server)
        .attempt_timeout(Duration::from_secs(30))
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();

    let error = client.onramp().get(&payment_id()).await.unwrap_err();
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
    assert!(error.is_retryable() && error.may_have_reached_server());
    assert!(server.count(GET_PAYMENT) >= 1);
}

#[tokio::test]
async fn a_create_that_times_out_is_not_sent_again() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else {
            Reply::Hang
        }
    })
    .await;
    // Room for several attempts: only the rule for creates may stop at one.
    let client = client_builder(&server)
        .attempt_timeout(Duration::from_millis(100))
        .deadline(Duration::from_secs(3))
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();

    let error = client
        .onramp()
        .create(&payment_request("order-1"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.may_have_reached_server());
    assert_eq!(server.count(CREATE_PAYMENT), 1, "a create was sent twice");
}

// ---------------------------------------------------------------------------------------
// Error envelopes
// ---------------------------------------------------------------------------------------

/// Answers createPayment with the error named by the request's `external_id`.
async fn error_server() -> MockServer {
    MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::token("T1");
        }
        match external_id(request).as_str() {
            "kyc-with-url" => Reply::Json(
                200,
                json!({"status": "error", "error": "require_kyc", "data": "https://kyc.example/x"}),
            ),
            "min-with-message" => Reply::Json(
                200,
                json!({"status": "error", "error": "min_purchase", "message": "The minimum purchase is 20 EUR"}),
            ),
            "code-in-message" => {
                Reply::Json(200, json!({"status": "error", "message": "limit_exceded"}))
            }
            "text-in-error" => Reply::Json(
                200,
                json!({"status": "error", "error": "SQLSTATE[HY000] [2002] Connection refused"}),
            ),
            "text-in-message" => Reply::Json(
                200,
                json!({"status": "error", "message": "Undefined array key \"wallet\""}),
            ),
            code => Reply::api_error(code),
        }
    })
    .await
}

fn api_error(result: Result<impl std::fmt::Debug, Error>) -> cryptopocket::ApiError {
    match result {
        Err(Error::Api(api)) => api,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

#[tokio::test]
async fn every_documented_create_payment_code_is_typed() {
    let server = error_server().await;
    let client = client_builder(&server).build().unwrap();
    let codes = [
        (
            "authorization_incorrect",
            ApiErrorCode::AuthorizationIncorrect,
        ),
        ("fail_mandatory_field", ApiErrorCode::FailMandatoryField),
        ("user_not_found", ApiErrorCode::UserNotFound),
        ("user_banned", ApiErrorCode::UserBanned),
        ("require_kyc", ApiErrorCode::RequireKyc),
        (
            "kyc_reinforced_required",
            ApiErrorCode::KycReinforcedRequired,
        ),
        ("limit_exceded", ApiErrorCode::LimitExceded),
        ("coin_not_supported", ApiErrorCode::CoinNotSupported),
        ("min_purchase", ApiErrorCode::MinPurchase),
        ("method_not_allowed", ApiErrorCode::MethodNotAllowed),
        ("error_payment_creation", ApiErrorCode::ErrorPaymentCreation),
    ];
    for (wire, expected) in codes {
        let result = client.onramp().create(&payment_request(wire)).await;
        let error = api_error(result);
        assert_eq!(error.code, expected, "{wire}");
        assert_eq!(error.operation, "createPayment", "{wire}");
        assert_eq!(error.http_status, 200, "{wire}");
        assert!(error.code.is_documented(), "{wire}");
    }
    // One request per code, plus the single replay after `authorization_incorrect`.
    assert_eq!(server.count(CREATE_PAYMENT), 11 + 1);

    let guided = client
        .onramp()
        .create_guided(&new_guided_payment("guided_payment_eur_only"))
        .await;
    assert_eq!(api_error(guided).code, ApiErrorCode::GuidedPaymentEurOnly);
}

#[tokio::test]
async fn error_details_are_read_from_data_and_message() {
    let server = error_server().await;
    let client = client_builder(&server).build().unwrap();
    let onramp = client.onramp();

    let kyc = api_error(onramp.create(&payment_request("kyc-with-url")).await);
    assert_eq!(kyc.code, ApiErrorCode::RequireKyc);
    assert_eq!(kyc.verification_url(), Some("https://kyc.example/x"));

    let min = api_error(onramp.create(&payment_request("min-with-message")).await);
    assert_eq!(min.code, ApiErrorCode::MinPurchase);
    assert_eq!(min.minimum_amount(), Some(Decimal::new(20, 0)));

    let in_message = api_error(onramp.create(&payment_request("code-in-message")).await);
    assert_eq!(in_message.code, ApiErrorCode::LimitExceded);

    let text = api_error(onramp.create(&payment_request("text-in-error")).await);
    assert_eq!(
        text.code,
        ApiErrorCode::Other("SQLSTATE[HY000] [2002] Connection refused".into())
    );
    assert!(!text.code.is_documented());

    let text = api_error(onramp.create(&payment_request("text-in-message")).await);
    assert_eq!(
        text.code,
        ApiErrorCode::Other("Undefined array key \"wallet\"".into())
    );

    // Business errors are final: each was sent once.
    assert_eq!(server.count(CREATE_PAYMENT), 5);
}

const REGISTER_COMPANY: &str = "/api/register/company";

#[tokio::test]
async fn every_documented_register_company_answer_is_typed() {
    // The answer is chosen by the e-mail's local part; each is a documented fixture.
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::token("T1");
        }
        let body = request.json().unwrap_or_default();
        let email = body["email"].as_str().unwrap_or_default();
        match email.split('@').next().unwrap_or_default() {
            "contact" => Reply::fixture("registerCompany.response.json"),
            "invalid" => Reply::Raw(
                422,
                "application/json".into(),
                support::fixture_text("registerCompany.response.422.json"),
                vec![],
            ),
            code => Reply::fixture(&format!("registerCompany.response.error-{code}.json")),
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let customers = client.customers();

    let codes = [
        (
            "authorization_incorrect",
            ApiErrorCode::AuthorizationIncorrect,
        ),
        ("user_already_exists", ApiErrorCode::UserAlreadyExists),
        ("email_not_allowed", ApiErrorCode::EmailNotAllowed),
        ("unexpected_error", ApiErrorCode::UnexpectedError),
    ];
    for (wire, expected) in codes {
        let email = format!("{wire}@acmecorp.com");
        let error = api_error(
            customers
                .create_company(&NewCompany::new(&email, "Acme Corporation S.L."))
                .await,
        );
        assert_eq!(error.code, expected, "{wire}");
        assert_eq!(error.operation, "registerCompany", "{wire}");
        assert_eq!(error.http_status, 200, "{wire}");
    }
    // One request per code, plus the single replay after `authorization_incorrect`.
    assert_eq!(server.count(REGISTER_COMPANY), 4 + 1);

    match customers
        .create_company(&NewCompany::new(
            "invalid@acmecorp.com",
            "Acme Corporation S.L.",
        ))
        .await
    {
        Err(Error::Validation(validation)) => {
            assert_eq!(validation.operation, "registerCompany");
            assert_eq!(validation.fields["email"], ["The email field is required."]);
            assert_eq!(
                validation.fields["company_name"],
                ["The company name field is required."]
            );
        }
        other => panic!("expected Error::Validation, got {other:?}"),
    }
    assert_eq!(server.count(REGISTER_COMPANY), 6, "a 422 is not retried");

    let company = customers
        .create_company(&NewCompany::new(
            "contact@acmecorp.com",
            "Acme Corporation S.L.",
        ))
        .await
        .unwrap();
    assert_eq!(company.id, UserId::new(1234));
    assert_eq!(
        company.uuid.to_string(),
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    );
    assert_eq!(
        company.kyb_link,
        "https://b2b.example.com/kyb/550e8400-e29b-41d4-a716-446655440000"
    );
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&company.password),
        "xK9mP2nQ4rTv"
    );
    let shown = format!("{company:?}");
    assert!(!shown.contains("xK9mP2nQ4rTv"), "{shown}");
    let sent = server.requests_to(REGISTER_COMPANY).pop().unwrap();
    assert_eq!(
        sent.json(),
        Some(support::fixture("registerCompany.request.json"))
    );
}

// ---------------------------------------------------------------------------------------
// Decode errors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_malformed_payment_names_the_json_path() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else {
            Reply::Json(
                200,
                json!({"status": "ok", "data": {
                    "id": "x",
                    "external_id": "order-abc-001",
                    "user_id": "1",
                    "status": "started",
                    "fiat_amount": "oops",
                    "fiat_symbol": "EUR",
                    "coin_symbol": "USDC",
                    "coin_amount": 1.5,
                    "created_at": "2026-06-26T10:30:00.000000Z",
                    "holder": null
                }}),
            )
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();

    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    match &error {
        Error::Decode {
            operation, path, ..
        } => {
            assert_eq!(*operation, "getPayment");
            assert_eq!(path, "data.fiat_amount");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(
        server.count(GET_PAYMENT),
        1,
        "a decode error is not retried"
    );
}

// ---------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------

const SECRET: &str = "SECRET-s3cr3t-VALUE";
const TOKEN: &str = "TOKEN-t0k3n-VALUE";

/// Every place where the secret or the token (or a recognisable part of either) shows, with
/// the lines that show it.
fn leaks(shown: &[(&str, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (what, text) in shown {
        for (name, needle) in [("secret", "s3cr3t"), ("token", "t0k3n")] {
            for line in text.lines().filter(|line| line.contains(needle)) {
                found.push(format!("the {name} appears in {what}: {line}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn no_secret_or_token_appears_in_logs_errors_or_debug_output() {
    let (captured, _guard) = Captured::start(tracing::Level::TRACE);

    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            let body = request.json().unwrap_or_default();
            return if body["api_secret"] == SECRET {
                Reply::token(TOKEN)
            } else {
                Reply::api_error("authorization_incorrect")
            };
        }
        if request.auth() != Some(TOKEN) {
            return Reply::api_error("authorization_incorrect");
        }
        match request.route() {
            "/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy" => Reply::fixture("getPayment.response.json"),
            "/api/payment/refused" => Reply::api_error("authorization_incorrect"),
            // A body that does not decode and echoes the token in a string value.
            "/api/payment/garbled" => Reply::Json(
                200,
                json!({"status": "ok", "data": {"id": "garbled", "holder": TOKEN, "fiat_amount": "oops"}}),
            ),
            "/api/payment/dropped" => Reply::Drop,
            "/api/payment/proxy" => Reply::Raw(
                502,
                "text/html".into(),
                "<html><body>502 Bad Gateway</body></html>".into(),
                vec![],
            ),
            _ => Reply::Json(404, json!({"message": "not found"})),
        }
    })
    .await;
    let builder = || {
        client_builder(&server)
            .credentials("key-test", SECRET)
            .retry_policy(fast_retries(2))
    };
    let builder_debug = format!("{:?}", builder());
    let client = builder().build().unwrap();
    let onramp = client.onramp();
    let id = |s: &str| PaymentId::new(s).unwrap();

    let mut errors = Vec::new();
    onramp.get(&payment_id()).await.expect("the success");
    for which in ["refused", "garbled", "dropped", "proxy"] {
        errors.push(onramp.get(&id(which)).await.expect_err(which));
    }
    // A server that is not there at all: the error comes from authenticating.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = builder()
        .environment(cryptopocket::Environment::Custom(format!(
            "http://127.0.0.1:{closed_port}/api"
        )))
        .retry_policy(fast_retries(1))
        .build()
        .unwrap();
    errors.push(
        unreachable
            .onramp()
            .get(&payment_id())
            .await
            .expect_err("nothing listens there"),
    );
    assert!(matches!(errors[0], Error::Api(_)), "{:?}", errors[0]);
    assert!(matches!(errors[1], Error::Decode { .. }), "{:?}", errors[1]);
    assert!(
        matches!(errors[2], Error::Transport { .. }),
        "{:?}",
        errors[2]
    );
    assert!(
        matches!(errors[3], Error::UnexpectedStatus { .. }),
        "{:?}",
        errors[3]
    );
    assert!(
        matches!(
            errors[4],
            Error::Transport {
                maybe_sent: false,
                ..
            }
        ),
        "{:?}",
        errors[4]
    );

    let mut shown = vec![
        ("builder {:?}", builder_debug),
        ("client {:?}", format!("{client:?}")),
        ("onramp {:?}", format!("{onramp:?}")),
        ("unreachable client {:?}", format!("{unreachable:?}")),
        ("log", captured.text()),
    ];
    for error in &errors {
        shown.push(("error {:?}", format!("{error:?}")));
        shown.push(("error {}", format!("{error}")));
        if let Error::Api(api) = error {
            shown.push(("api error {}", api.to_string()));
        }
    }
    let leaks = leaks(&shown);
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));

    // The capture worked: the calls were traced.
    let log = captured.text();
    assert!(log.contains("operation"), "{log}");
    assert!(log.contains("getPayment"), "{log}");
    assert!(log.contains("duration_ms"), "{log}");
    assert!(log.contains("attempts"), "{log}");
    // The server really issued and checked the token, so it was there to leak.
    let gets = server.requests_to(GET_PAYMENT);
    assert_eq!(gets.len(), 1);
    assert_eq!(gets[0].auth(), Some(TOKEN));
}

#[tokio::test]
async fn a_token_in_an_unexpected_authenticate_shape_is_not_printed() {
    // The token response is undocumented; a token under a name the client does not look
    // for is a plausible real shape. The client cannot use it, but its error must not print
    // the token.
    let (captured, _guard) = Captured::start(tracing::Level::TRACE);
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::Json(
                200,
                json!({"status": "ok", "data": {"access_token": TOKEN}}),
            )
        } else {
            Reply::fixture("getPayment.response.json")
        }
    })
    .await;
    let client = client_builder(&server)
        .credentials("key-test", SECRET)
        .build()
        .unwrap();

    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Decode {
                operation: "authenticate",
                ..
            }
        ),
        "{error:?}"
    );
    let leaks = leaks(&[
        ("error {:?}", format!("{error:?}")),
        ("error {}", format!("{error}")),
        ("log", captured.text()),
    ]);
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

// ---------------------------------------------------------------------------------------
// The mock server itself
// ---------------------------------------------------------------------------------------

/// Sends `bytes` on a fresh connection and returns everything the server wrote back until
/// it closed the connection.
async fn exchange(server: &MockServer, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut socket = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    socket.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn the_mock_server_survives_odd_input_and_parses_what_clients_send() {
    let server = MockServer::start(|request| {
        if request.route() == "/panic" {
            panic!("on purpose");
        }
        Reply::Json(200, json!({"echo": request.text(), "nth": request.nth}))
    })
    .await;

    let garbage = exchange(&server, b"\x00\xffnot http at all\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
    let bad_length = exchange(&server, b"POST /x HTTP/1.1\r\ncontent-length: many\r\n\r\n").await;
    assert!(bad_length.starts_with("HTTP/1.1 400 "), "{bad_length}");

    // Two pipelined requests on one connection, the second chunked and closing.
    let both = exchange(
        &server,
        b"POST /a?x=1 HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\nhello\
          POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n\
          3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(both.matches("HTTP/1.1 200 OK").count(), 2, "{both}");
    assert!(both.contains(r#""echo":"hello""#), "{both}");
    assert!(both.contains(r#""echo":"abcde""#), "{both}");
    let seen = server.requests_to("/a");
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].nth, seen[1].nth), (1, 2));
    assert_eq!(seen[0].query("x"), Some("1"));
    assert_eq!(seen[0].header("HOST"), Some("h"));

    let panicked = exchange(&server, b"GET /panic HTTP/1.1\r\nconnection: close\r\n\r\n").await;
    assert!(panicked.starts_with("HTTP/1.1 500 "), "{panicked}");
    assert_eq!(server.handler_panics(), ["on purpose"]);

    // Still serving.
    let fine = exchange(&server, b"GET /b HTTP/1.1\r\nconnection: close\r\n\r\n").await;
    assert!(fine.starts_with("HTTP/1.1 200 OK"), "{fine}");
    assert_eq!(server.count("/b"), 1);
}

// Tolerant decoding

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
        let token = issued.clone();
        let server = MockServer::start(move |request| {
            if request.is("POST", AUTHENTICATE) {
                Reply::Json(200, answer.clone())
            } else if request.auth() != Some(token.as_str()) {
                Reply::api_error("authorization_incorrect")
            } else {
                let body = support::fixture_text("getPayment.response.json");
                Reply::Raw(
                    200,
                    "application/json".into(),
                    format!("\u{feff}{body}"),
                    vec![],
                )
            }
        })
        .await;
        let client = client_builder(&server).build().unwrap();
        let payment = client.onramp().get(&payment_id()).await;
        assert!(payment.is_ok(), "token {issued}: {payment:?}");
        assert_eq!(server.count(AUTHENTICATE), 1, "token {issued}");
    }
}

/// No place holds a token: the error says where it looked, without quoting the body.
#[tokio::test]
async fn a_token_in_no_known_place_is_an_error_naming_the_places_tried() {
    for answer in [
        json!({"status": "ok", "data": {"access_token": "Zq9SeCrEtToKeN"}}),
        json!({"status": "ok", "data": null, "access_token": "Zq9SeCrEtToKeN"}),
    ] {
        let server = MockServer::start(move |_| Reply::Json(200, answer.clone())).await;
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

/// An 18-decimal token amount comes out digit for digit, as a JSON number or a string.
#[tokio::test]
async fn token_amounts_keep_every_digit_as_a_number_or_a_string() {
    for (written, expected) in [
        ("0.123456789012345678", "0.123456789012345678"),
        ("\"148.32\"", "148.32"),
        ("1.5e-3", "0.0015"),
    ] {
        let body = support::fixture_text("getPayment.response.json").replace(
            "\"coin_amount\": 148.32",
            &format!("\"coin_amount\": {written}"),
        );
        assert!(body.contains(written), "the fixture changed shape");
        let server = MockServer::start(move |request| {
            if request.is("POST", AUTHENTICATE) {
                Reply::token("T1")
            } else {
                Reply::Raw(200, "application/json".into(), body.clone(), vec![])
            }
        })
        .await;
        let client = client_builder(&server).build().unwrap();
        let payment = client.onramp().get(&payment_id()).await.unwrap();
        assert_eq!(
            payment.coin_amount.map(|a| a.to_string()).as_deref(),
            Some(expected),
            "{written}"
        );
    }
}

/// Values the spec guessed to sit inside `data` may arrive beside it, and a success that
/// carries no `data` is still a success where nothing depends on it.
#[tokio::test]
async fn kyc_status_at_the_top_level_and_a_subscription_without_data_are_read() {
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
        } else if request.route() == "/api/kyc/check" {
            Reply::Json(200, json!({"status": "ok", "kyc_status": "valid"}))
        } else {
            Reply::Json(200, json!({"status": "success"}))
        }
    })
    .await;
    let client = client_builder(&server).build().unwrap();
    let kyc = client.kyc().get(&UserId::new(106)).await.unwrap();
    assert_eq!(kyc.status, cryptopocket::model::KycStatus::Valid);
    let answer = client
        .webhooks()
        .subscribe(
            &cryptopocket::model::EventType::CoinsSent,
            "https://example.com/hook",
        )
        .await
        .unwrap();
    assert_eq!(answer, "");
}

//! Errors over real HTTP on loopback: every documented business error code typed, the
//! details read from `data` and `message`, validation errors, and a decode error that names
//! the JSON path.

use cryptopocket::{
    ApiErrorCode, Client, Error, customers::NewCompany, model::UserId, onramp::NewGuidedPayment,
};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::{MockServer, Request};

use crate::support::{
    CREATE_PAYMENT, GET_PAYMENT, fixture, fixture_text,
    mock::{self, Received as _},
    payment_id, payment_request,
};

fn new_guided_payment(external_id: &str) -> NewGuidedPayment {
    NewGuidedPayment::new(&UserId::new(106), Decimal::new(240, 0), "USDC", "polygon")
        .external_id(external_id)
}

/// The external id the client sent in a create request.
fn external_id(request: &Request) -> String {
    request
        .json()
        .and_then(|body| body["external_id"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Error envelopes
// ---------------------------------------------------------------------------------------

/// Answers createPayment with the error named by the request's `external_id`.
async fn error_server() -> (MockServer, Client) {
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, |request: &Request| {
        match external_id(request).as_str() {
            "kyc-with-url" => mock::json(
                200,
                json!({"status": "error", "error": "require_kyc", "data": "https://kyc.example/x"}),
            ),
            "min-with-message" => mock::json(
                200,
                json!({"status": "error", "error": "min_purchase", "message": "The minimum purchase is 20 EUR"}),
            ),
            "code-in-message" => {
                mock::json(200, json!({"status": "error", "message": "limit_exceded"}))
            }
            "text-in-error" => mock::json(
                200,
                json!({"status": "error", "error": "SQLSTATE[HY000] [2002] Connection refused"}),
            ),
            "text-in-message" => mock::json(
                200,
                json!({"status": "error", "message": "Undefined array key \"wallet\""}),
            ),
            code => mock::api_error(code),
        }
    })
    .await;
    (server, client)
}

fn api_error(result: Result<impl std::fmt::Debug, Error>) -> cryptopocket::ApiError {
    match result {
        Err(Error::Api(api)) => api,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// Checks that `error`, the answer to a request for the code `expected`, is that documented
/// code from `operation`, sent with HTTP 200.
fn assert_typed(error: &cryptopocket::ApiError, expected: &ApiErrorCode, operation: &str) {
    let wire = expected.as_str();
    assert_eq!(&error.code, expected, "{wire}");
    assert_eq!(error.operation, operation, "{wire}");
    assert_eq!(error.http_status, 200, "{wire}");
    assert!(error.code.is_documented(), "{wire}");
}

// The wire spelling of each code is `ApiErrorCode::as_str`, which the crate's unit tests pin
// to the documented strings; here each code goes over HTTP and must come back typed.

#[tokio::test]
async fn every_documented_create_payment_code_is_typed() {
    let (server, client) = error_server().await;
    let codes = [
        ApiErrorCode::AuthorizationIncorrect,
        ApiErrorCode::FailMandatoryField,
        ApiErrorCode::UserNotFound,
        ApiErrorCode::UserBanned,
        ApiErrorCode::RequireKyc,
        ApiErrorCode::KycReinforcedRequired,
        ApiErrorCode::LimitExceded,
        ApiErrorCode::CoinNotSupported,
        ApiErrorCode::MinPurchase,
        ApiErrorCode::MethodNotAllowed,
        ApiErrorCode::ErrorPaymentCreation,
    ];
    for expected in &codes {
        let request = payment_request(expected.as_str());
        let error = api_error(client.onramp().create(&request).await);
        assert_typed(&error, expected, "createPayment");
    }
    // One request per code, plus the single replay after `authorization_incorrect`.
    assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 11 + 1);

    let guided = client
        .onramp()
        .create_guided(&new_guided_payment("guided_payment_eur_only"))
        .await;
    assert_eq!(api_error(guided).code, ApiErrorCode::GuidedPaymentEurOnly);
}

#[tokio::test]
async fn error_details_are_read_from_data_and_message() {
    let (server, client) = error_server().await;
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
    assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 5);
}

const REGISTER_COMPANY: &str = "/api/register/company";

#[tokio::test]
async fn every_documented_register_company_answer_is_typed() {
    // The answer is chosen by the e-mail's local part; each is a documented fixture.
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, |request: &Request| {
        let body = request.json().unwrap_or_default();
        let email = body["email"].as_str().unwrap_or_default();
        match email.split('@').next().unwrap_or_default() {
            "contact" => mock::fixture("registerCompany.response.json"),
            "invalid" => mock::raw(
                422,
                "application/json",
                fixture_text("registerCompany.response.422.json"),
            ),
            code => mock::fixture(&format!("registerCompany.response.error-{code}.json")),
        }
    })
    .await;
    let customers = client.customers();

    let codes = [
        ApiErrorCode::AuthorizationIncorrect,
        ApiErrorCode::UserAlreadyExists,
        ApiErrorCode::EmailNotAllowed,
        ApiErrorCode::UnexpectedError,
    ];
    for expected in &codes {
        let email = format!("{}@acmecorp.com", expected.as_str());
        let company = NewCompany::new(&email, "Acme Corporation S.L.");
        let error = api_error(customers.create_company(&company).await);
        assert_typed(&error, expected, "registerCompany");
    }
    // One request per code, plus the single replay after `authorization_incorrect`.
    assert_eq!(mock::count(&server, REGISTER_COMPANY).await, 4 + 1);

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
    assert_eq!(
        mock::count(&server, REGISTER_COMPANY).await,
        6,
        "a 422 is not retried"
    );

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
    let sent = mock::requests_to(&server, REGISTER_COMPANY)
        .await
        .pop()
        .unwrap();
    assert_eq!(sent.json(), Some(fixture("registerCompany.request.json")));
}

// ---------------------------------------------------------------------------------------
// Decode errors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_malformed_payment_names_the_json_path() {
    let (server, client) = mock::authenticated().await;
    let malformed = mock::ok(json!({
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
    }));
    mock::otherwise(&server, malformed).await;

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
        mock::count(&server, GET_PAYMENT).await,
        1,
        "a decode error is not retried"
    );
}

//! Every documented error code, produced by the local sandbox under its documented
//! condition (not canned), and decoded by the crate into the right [`ApiErrorCode`] with
//! the operation and HTTP status it came with.

use std::collections::BTreeSet;
use std::time::Duration;

use cryptopocket::{
    ApiError, ApiErrorCode, Error,
    api::types::CreateGuidedPaymentRequest,
    customers::{NewCompany, NewDocument},
    model::{DocumentType, PaymentType, UserId},
    onramp::NewPayment,
};
use cryptopocket_sandbox::SandboxConfig;
use futures::{FutureExt as _, future::BoxFuture};
use rust_decimal::Decimal;

use crate::support::{
    WALLET,
    sandbox::{Harness, KYC_DECIDED, person, purchase},
};

/// The 17 codes the docs list.
const DOCUMENTED: [&str; 17] = [
    "authorization_incorrect",
    "fail_mandatory_field",
    "user_not_found",
    "user_banned",
    "require_kyc",
    "kyc_reinforced_required",
    "guided_payment_eur_only",
    "limit_exceded",
    "coin_not_supported",
    "min_purchase",
    "method_not_allowed",
    "error_payment_creation",
    "user_already_exists",
    "email_not_allowed",
    "unexpected_error",
    "user_not_in_integration",
    "invalid_file",
];

const PDF: &str = "data:application/pdf;base64,JVBERi0xLjQK";

fn euros(amount: i64) -> Decimal {
    Decimal::new(amount, 0)
}

fn api_error(result: Result<(), Error>, condition: &str) -> ApiError {
    match result {
        Err(Error::Api(e)) => e,
        other => panic!("{condition}: expected Error::Api, got {other:?}"),
    }
}

/// One row: the documented condition, and the code, operation and HTTP status it must give.
struct Case<'a> {
    condition: &'static str,
    code: ApiErrorCode,
    operation: &'static str,
    http_status: u16,
    call: BoxFuture<'a, Result<(), Error>>,
}

fn case<'a>(
    condition: &'static str,
    code: &str,
    operation: &'static str,
    http_status: u16,
    call: impl Future<Output = Result<(), Error>> + Send + 'a,
) -> Case<'a> {
    Case {
        condition,
        code: ApiErrorCode::from(code),
        operation,
        http_status,
        call: call.boxed(),
    }
}

#[tokio::test]
async fn every_documented_error_code_comes_from_its_documented_condition() {
    let h = Harness::start().await;
    let valid = h.register("valid@example.com").await;
    let spender = h.register("spender@example.com").await;
    let banned = h.register("someone@banned.example").await;
    let to_ban = h.register("to-ban@example.com").await;
    h.control.advance(KYC_DECIDED);
    // Registered after the clock moved: its KYC is still `unused`.
    let pending = h.register("pending@example.com").await;

    let pay = |request: NewPayment| {
        let onramp = h.client.onramp();
        async move { onramp.create(&request).await.map(drop) }
    };
    let card = |user: UserId, amount: i64| purchase(user, euros(amount), PaymentType::Card);
    let register = |email: &str| {
        let customers = h.client.customers();
        let request = person("again", email);
        async move { customers.create(&request).await.map(drop) }
    };
    let upload = |user: i64, file: &'static str| {
        let customers = h.client.customers();
        async move {
            customers
                .upload_document(
                    &UserId::new(user),
                    &NewDocument::new(DocumentType::Invoice, file),
                )
                .await
        }
    };
    let wrong_secret = h.client_with_secret("not-the-secret");
    let control = &h.control;
    let cases = vec![
        case(
            "wrong api_secret",
            "authorization_incorrect",
            "authenticate",
            200,
            async move { wrong_secret.assets().list().await.map(drop) },
        ),
        case(
            "coin_chain missing for a card payment",
            "fail_mandatory_field",
            "createPayment",
            200,
            pay(NewPayment::new(&valid, euros(50), "EUR", "USDC", WALLET)
                .payment_type(PaymentType::Card)
                .external_id("order-1")),
        ),
        case(
            "no such customer",
            "user_not_found",
            "createPayment",
            200,
            pay(card(UserId::new(999_999), 50)),
        ),
        case(
            "e-mail at banned.example",
            "user_banned",
            "createPayment",
            200,
            pay(card(banned, 50)),
        ),
        case(
            "banned through the control handle",
            "user_banned",
            "createPayment",
            200,
            async move {
                control.ban(to_ban.get().try_into().unwrap()).unwrap();
                pay(card(to_ban, 50)).await
            },
        ),
        case(
            "KYC not yet valid",
            "require_kyc",
            "createPayment",
            200,
            pay(card(pending, 50)),
        ),
        case(
            "above 1000 EUR without the enhanced verification",
            "kyc_reinforced_required",
            "createPayment",
            200,
            pay(card(valid, 1500)),
        ),
        case(
            "card purchases past 5000 EUR in a quarter",
            "limit_exceded",
            "createPayment",
            200,
            async move {
                for _ in 0..5 {
                    pay(card(spender, 1000)).await?;
                }
                pay(card(spender, 20)).await
            },
        ),
        case(
            "an inactive pair (USDC on solana)",
            "coin_not_supported",
            "createPayment",
            200,
            pay(card(valid, 50).coin_chain("solana")),
        ),
        case(
            "under the minimum",
            "min_purchase",
            "createPayment",
            200,
            pay(card(valid, 10)),
        ),
        case(
            "paypal, which is disabled",
            "method_not_allowed",
            "createPayment",
            200,
            pay(purchase(valid, euros(50), PaymentType::Paypal)),
        ),
        case(
            "the provider's failing wallet",
            "error_payment_creation",
            "createPayment",
            200,
            pay(NewPayment::new(
                &valid,
                euros(50),
                "EUR",
                "USDC",
                "0x000000000000000000000000000000000000dEaD",
            )
            .coin_chain("polygon")
            .payment_type(PaymentType::Card)
            .external_id("order-1")),
        ),
        case(
            "an e-mail already registered",
            "user_already_exists",
            "registerUser",
            200,
            register("valid@example.com"),
        ),
        case(
            "a disposable e-mail domain",
            "email_not_allowed",
            "registerUser",
            200,
            register("someone@mailinator.com"),
        ),
        case(
            "a server failure (injected)",
            "unexpected_error",
            "createPayment",
            200,
            async move {
                control.fail_next("createPayment", "unexpected_error");
                pay(card(valid, 50)).await
            },
        ),
        case(
            "a customer of another integration",
            "user_not_in_integration",
            "uploadCustomerDocument",
            403,
            upload(900_001, PDF),
        ),
        case(
            "a document for no customer",
            "user_not_found",
            "uploadCustomerDocument",
            404,
            upload(999_999, PDF),
        ),
        case(
            "a file that is not base64",
            "invalid_file",
            "uploadCustomerDocument",
            422,
            upload(valid.get(), "data:application/pdf;base64,@@@"),
        ),
    ];

    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for case in cases {
        let error = api_error(case.call.await, case.condition);
        let got = (&error.code, error.operation, error.http_status);
        let expected = (&case.code, case.operation, case.http_status);
        assert_eq!(got, expected, "{}: {error:?}", case.condition);
        seen.insert(error.code.to_string());
        errors.push(error);
    }
    let find = |code: ApiErrorCode| errors.iter().find(|e| e.code == code).unwrap();

    let kyc = find(ApiErrorCode::RequireKyc);
    let form = format!(
        "{}/gateway/kyc/",
        h.sandbox.base_url().trim_end_matches("/api")
    );
    let url = kyc.verification_url().unwrap_or_default();
    assert!(url.starts_with(&form), "{kyc:?}");
    let min = find(ApiErrorCode::MinPurchase);
    assert_eq!(min.minimum_amount(), Some(euros(20)), "{min:?}");
    let field = find(ApiErrorCode::FailMandatoryField);
    assert!(
        field
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("coin_chain")
    );
    // The quarterly limit counts card purchases only.
    let transfer = purchase(spender, euros(20), PaymentType::Transfer);
    pay(transfer).await.expect("a transfer past the card limit");

    // The crate always sends EUR, so only the generated client can ask for another fiat.
    // The crate has no public way to turn a raw envelope into its `Error`; the code is read
    // through the public `ApiErrorCode` conversion instead.
    let usd = CreateGuidedPaymentRequest {
        user_id: valid.get().into(),
        fiat_amount: rust_decimal::Decimal::ONE_HUNDRED.into(),
        fiat_symbol: Some("USD".into()),
        coin_symbol: "USDC".into(),
        coin_chain: "polygon".into(),
        payment_type: None,
        external_id: None,
    };
    let raw = h.client.raw().create_guided_payment().body(usd).send();
    let envelope = raw.await.expect("an HTTP 200 envelope").into_inner();
    assert_eq!(envelope.status, "error");
    let code = ApiErrorCode::from(envelope.error.unwrap_or_default());
    assert_eq!(code, ApiErrorCode::GuidedPaymentEurOnly);
    seen.insert(code.to_string());

    let documented: BTreeSet<String> = DOCUMENTED.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(seen, documented);
    assert!(errors.iter().all(|e| e.code.is_documented()));
}

#[tokio::test]
async fn the_enhanced_verification_lifts_kyc_reinforced_required() {
    let h = Harness::start().await;
    let user = h.register("big-spender@example.com").await;
    h.control.advance(KYC_DECIDED);
    let big = purchase(user, euros(1500), PaymentType::Card);
    let onramp = h.client.onramp();
    let refused = api_error(onramp.create(&big).await.map(drop), "1500 EUR");
    assert_eq!(refused.code, ApiErrorCode::KycReinforcedRequired);

    let link = h.client.kyc().create_link(&user).await.unwrap();
    assert!(link.url.contains("/gateway/onboarding/"), "{link:?}");
    assert!(link.expires_at.is_some(), "{link:?}");
    // The customer has not completed it yet.
    let early = onramp.create(&big).await.map(drop);
    assert_eq!(api_error(early, "too early").code, refused.code);

    h.control.advance(KYC_DECIDED);
    let created = onramp.create(&big).await.expect("the same purchase");
    let payment = onramp.get(&created.payment_id).await.unwrap();
    assert_eq!(payment.fiat_amount, euros(1500));
}

#[tokio::test]
async fn an_invalid_company_email_is_a_validation_error_with_per_field_messages() {
    let h = Harness::start().await;
    let customers = h.client.customers();
    match customers
        .create_company(&NewCompany::new("acme.example", "Acme S.L."))
        .await
    {
        Err(Error::Validation(v)) => {
            assert_eq!(v.operation, "registerCompany");
            assert_eq!(v.message, "The email field must be a valid email address.");
            let fields: Vec<_> = v.fields.iter().collect();
            assert_eq!(
                fields,
                [(
                    &"email".to_owned(),
                    &vec!["The email field must be a valid email address.".to_owned()]
                )]
            );
        }
        other => panic!("expected Error::Validation, got {other:?}"),
    }
    assert_eq!(
        h.outcomes("registerCompany").len(),
        1,
        "a 422 is not retried"
    );

    // The same company registers once the e-mail is right, and only once.
    customers
        .create_company(&NewCompany::new("contact@acme.example", "Acme S.L."))
        .await
        .unwrap();
    let acme = NewCompany::new("contact@acme.example", "Acme S.L.");
    let again = customers.create_company(&acme);
    let again = api_error(again.await.map(drop), "a second registration");
    assert_eq!(again.code, ApiErrorCode::UserAlreadyExists);
    let temp = NewCompany::new("contact@yopmail.com", "Temp S.L.");
    let disposable = customers.create_company(&temp);
    let disposable = api_error(disposable.await.map(drop), "a disposable domain");
    assert_eq!(disposable.code, ApiErrorCode::EmailNotAllowed);
}

#[tokio::test]
async fn a_document_upload_is_accepted_and_a_file_that_is_no_reference_never_leaves() {
    let h = Harness::start().await;
    let user = h.register("documents@example.com").await;
    let customers = h.client.customers();
    customers
        .upload_document(&user, &NewDocument::new(DocumentType::Payslip, PDF))
        .await
        .unwrap();
    let url = "https://cdn.example.com/documents/payslip-january.pdf";
    customers
        .upload_document(&user, &NewDocument::new(DocumentType::BankStatement, url))
        .await
        .unwrap();
    let not_a_file = customers
        .upload_document(
            &user,
            &NewDocument::new(DocumentType::Other, "C:\\payslip.pdf"),
        )
        .await;
    assert!(
        matches!(not_a_file, Err(Error::InvalidRequest(_))),
        "{not_a_file:?}"
    );
    assert_eq!(h.outcomes("uploadCustomerDocument"), ["ok", "ok"]);
}

#[tokio::test]
async fn tokens_that_expire_at_once_fail_after_exactly_one_replay() {
    let h = Harness::start_with(SandboxConfig {
        token_ttl: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let result = h.client.kyc().get(&UserId::new(100_001)).await;
    let error = match result {
        Err(Error::Api(e)) => e,
        other => panic!("expected Error::Api, got {other:?}"),
    };
    assert_eq!(error.code, ApiErrorCode::AuthorizationIncorrect);
    assert_eq!(error.operation, "checkKyc");
    let refused = "authorization_incorrect".to_owned();
    assert_eq!(
        h.trace(),
        [
            ("authenticate", "ok".to_owned()),
            ("checkKyc", refused.clone()),
            ("authenticate", "ok".to_owned()),
            ("checkKyc", refused),
        ]
    );
}

#[tokio::test]
async fn an_injected_unexpected_error_is_final_and_the_next_call_succeeds() {
    let h = Harness::start().await;
    h.control.fail_next("registerUser", "unexpected_error");
    let customers = h.client.customers();
    let request = person("retry", "retry@example.com");
    let failed = api_error(customers.create(&request).await.map(drop), "injected");
    assert_eq!(failed.code, ApiErrorCode::UnexpectedError);
    assert!(!Error::Api(failed).is_retryable());
    customers.create(&request).await.expect("the second try");
    assert_eq!(h.outcomes("registerUser"), ["unexpected_error", "ok"]);
}

//! The remaining documented payloads through the crate over loopback: off-ramp quote, create
//! and status, webhook subscribe and update (form bodies), and the body of a document upload.
//! The upload's real 403/404/422 come from the local sandbox, in `sandbox_errors.rs`.

use cryptopocket::{
    Error,
    customers::NewDocument,
    model::{DocumentType, EventType, OffRampId, OffRampStatus, UserId},
    offramp::{NewOffRamp, OffRampQuoteRequest},
};
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{MockServer, Reply, client_builder};

/// Authenticates, then answers each `(method, route)` with its reply.
async fn serving(routes: Vec<(&'static str, &'static str, Reply)>) -> MockServer {
    MockServer::start(move |request| {
        if request.is("POST", "/api/authenticate") {
            return Reply::token("T1");
        }
        routes
            .iter()
            .find(|(method, route, _)| request.is(method, route) && request.auth() == Some("T1"))
            .map_or_else(
                || Reply::Json(404, json!({"message": "not found"})),
                |(_, _, reply)| reply.clone(),
            )
    })
    .await
}

#[tokio::test]
async fn an_off_ramp_is_created_and_its_base_units_read_as_tokens() {
    let server = serving(vec![
        (
            "POST",
            "/api/createRampoff",
            Reply::fixture("createRampoff.response.json"),
        ),
        (
            "GET",
            "/api/getRampoff",
            Reply::fixture("getRampoff.response.json"),
        ),
    ])
    .await;
    let offramp = client_builder(&server).build().unwrap().offramp();

    let created = offramp
        .create(
            &NewOffRamp::new(&UserId::new(106), Decimal::new(20, 0), "BUSD")
                .blockchain("bsc")
                .iban("ES6867130002530016234794"),
        )
        .await
        .unwrap();
    assert_eq!(created.id.as_str(), "ExM63FJ9ZsAZF2VfTfU4rn7Sq");
    assert_eq!(
        created.deposit_wallet,
        "0xe0Ccfeb1EAd1cA32e0979Eb9b9dFca99D609aE2A"
    );
    assert_eq!(created.state, "payment created");
    let sent = server.requests_to("/api/createRampoff")[0].json().unwrap();
    // The exact decimal, written as its digits: `20`, not a float.
    assert_eq!(sent["amount"], json!(20));
    assert_eq!(sent["user_id"], json!(106));

    let status = offramp
        .get(&OffRampId::new("S35AJ0gSzf6P30XJRc2yMsIOK").unwrap())
        .await
        .unwrap();
    assert_eq!(status.status, OffRampStatus::Finished);
    assert!(status.status.is_final());
    // "20000000000000000000" base units with 18 decimals: 20 BUSD, no float on the way.
    assert_eq!(status.amount, Some(Decimal::new(20, 0)));
    assert_eq!(status.fiat_amount, Some(Decimal::new(480_024, 2)));
    assert_eq!(status.crypto.as_deref(), Some("BUSD"));
    assert_eq!(
        server.requests_to("/api/getRampoff")[0].query("id"),
        Some("S35AJ0gSzf6P30XJRc2yMsIOK")
    );
}

#[tokio::test]
async fn an_off_ramp_quote_reads_its_payout_string_exactly_and_refuses_a_bad_one() {
    let answer = |fiat_amount: &str| {
        Reply::Json(
            200,
            json!({"status": "success", "data": {
                "symbol": "BUSD", "blockchain": "bsc", "amount": 20.1,
                "fiat_amount": fiat_amount, "fiat_symbol": "EUR"
            }}),
        )
    };
    let server = serving(vec![("GET", "/api/getRampoffQuote", answer("4800.245"))]).await;
    let offramp = client_builder(&server).build().unwrap().offramp();

    let quote = offramp
        .quote(&OffRampQuoteRequest::new(Decimal::new(201, 1), "BUSD").blockchain("bsc"))
        .await
        .unwrap();
    // The payout is a decimal string: read digit for digit, never through a float.
    assert_eq!(quote.fiat_amount, Decimal::new(4_800_245, 3));
    assert_eq!(quote.amount, Some(Decimal::new(201, 1)));
    assert_eq!(quote.fiat_symbol.as_deref(), Some("EUR"));
    assert_eq!(
        (quote.symbol.as_deref(), quote.blockchain.as_deref()),
        (Some("BUSD"), Some("bsc"))
    );
    let sent = &server.requests_to("/api/getRampoffQuote")[0];
    assert_eq!(
        (
            sent.query("amount"),
            sent.query("symbol"),
            sent.query("blockchain")
        ),
        (Some("20.1"), Some("BUSD"), Some("bsc"))
    );

    let server = serving(vec![("GET", "/api/getRampoffQuote", answer("4.800,24"))]).await;
    let offramp = client_builder(&server).build().unwrap().offramp();
    let error = offramp
        .quote(&OffRampQuoteRequest::new(Decimal::new(20, 0), "BUSD"))
        .await
        .unwrap_err();
    match &error {
        Error::Decode {
            operation, path, ..
        } => assert_eq!(
            (*operation, path.as_str()),
            ("getRampoffQuote", "data.fiat_amount")
        ),
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn webhook_subscriptions_are_form_encoded_and_answered_with_a_string() {
    let server = serving(vec![
        (
            "POST",
            "/api/subscribeToWebhook",
            Reply::fixture("subscribeToWebhook.response.json"),
        ),
        (
            "POST",
            "/api/updateWebhookSubscription",
            Reply::fixture("updateWebhookSubscription.response.json"),
        ),
    ])
    .await;
    let webhooks = client_builder(&server).build().unwrap().webhooks();

    let created = webhooks
        .subscribe(&EventType::CoinsSent, "https://demo.com")
        .await
        .unwrap();
    assert_eq!(created, "subscription_created");
    // The legacy name is accepted and sent as the event it now names.
    let updated = webhooks
        .update(&EventType::from("RAMPOFF_FINISHED"), "https://demo.com/new")
        .await
        .unwrap();
    assert_eq!(updated, "subscription_updated");

    let subscribe = &server.requests_to("/api/subscribeToWebhook")[0];
    assert_eq!(
        subscribe.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        subscribe.text(),
        "type=COINS_SENT&url=https%3A%2F%2Fdemo.com"
    );
    assert_eq!(
        server.requests_to("/api/updateWebhookSubscription")[0].text(),
        "type=TRANSFER_RAMPOFF_FINISHED&url=https%3A%2F%2Fdemo.com%2Fnew"
    );

    // Refused before sending: an event type the API does not know, a URL that is not one.
    let kyc_done = EventType::from("KYC_DONE");
    let unknown = webhooks.subscribe(&kyc_done, "https://demo.com");
    assert!(matches!(unknown.await, Err(Error::InvalidRequest(_))));
    let not_url = webhooks.subscribe(&EventType::PayIn, "demo.com");
    assert!(matches!(not_url.await, Err(Error::InvalidRequest(_))));
    assert_eq!(server.count("/api/subscribeToWebhook"), 1);
}

#[tokio::test]
async fn a_document_upload_sends_the_documented_body() {
    let route = "/api/customers/106/documents";
    let reply = Reply::fixture("uploadCustomerDocument.response.json");
    let server = serving(vec![("POST", route, reply)]).await;
    let customers = client_builder(&server).build().unwrap().customers();
    let file = "https://cdn.example.com/documents/payslip-january.pdf";

    customers
        .upload_document(
            &UserId::new(106),
            &NewDocument::new(DocumentType::Payslip, file),
        )
        .await
        .unwrap();
    let sent = server.requests_to(route)[0].json().unwrap();
    assert_eq!(sent, json!({"type": "payslip", "file": file}));
}

//! The remaining documented payloads through the crate over loopback: off-ramp quote, create
//! and status, webhook subscribe and update (form bodies), and the body of a document upload.
//! The upload's real 403/404/422 come from the local sandbox, in `sandbox_errors.rs`.

use cryptopocket::{
    Error,
    customers::NewDocument,
    model::{DocumentType, EventType, OffRampId, OffRampStatus, UserId},
    offramp::{NewOffRamp, OffRampQuoteRequest},
    subscriptions::Subscription,
};
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::mock::{self, Received as _, serving};

#[tokio::test]
async fn an_off_ramp_is_created_and_its_base_units_read_as_tokens() {
    let (server, client) = serving(vec![
        (
            "POST",
            "/api/createRampoff",
            mock::fixture("createRampoff.response.json"),
        ),
        (
            "GET",
            "/api/getRampoff",
            mock::fixture("getRampoff.response.json"),
        ),
    ])
    .await;
    let offramp = client.offramp();

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
    let sent = mock::requests_to(&server, "/api/createRampoff").await[0]
        .json()
        .unwrap();
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
        mock::requests_to(&server, "/api/getRampoff").await[0].query("id"),
        Some("S35AJ0gSzf6P30XJRc2yMsIOK")
    );
}

#[tokio::test]
async fn an_off_ramp_quote_reads_its_payout_string_exactly_and_refuses_a_bad_one() {
    let answer = |fiat_amount: &str| {
        mock::json(
            200,
            json!({"status": "success", "data": {
                "symbol": "BUSD", "blockchain": "bsc", "amount": 20.1,
                "fiat_amount": fiat_amount, "fiat_symbol": "EUR"
            }}),
        )
    };
    let (server, client) = serving(vec![("GET", "/api/getRampoffQuote", answer("4800.245"))]).await;
    let offramp = client.offramp();

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
    let sent = &mock::requests_to(&server, "/api/getRampoffQuote").await[0];
    assert_eq!(
        (
            sent.query("amount"),
            sent.query("symbol"),
            sent.query("blockchain")
        ),
        (Some("20.1"), Some("BUSD"), Some("bsc"))
    );

    let (_server, client) =
        serving(vec![("GET", "/api/getRampoffQuote", answer("4.800,24"))]).await;
    let offramp = client.offramp();
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
    let (server, client) = serving(vec![
        (
            "POST",
            "/api/subscribeToWebhook",
            mock::fixture("subscribeToWebhook.response.json"),
        ),
        (
            "POST",
            "/api/updateWebhookSubscription",
            mock::fixture("updateWebhookSubscription.response.json"),
        ),
    ])
    .await;
    let webhooks = client.webhooks();

    let created = webhooks
        .subscribe(&Subscription::new(EventType::CoinsSent, "https://demo.com"))
        .await
        .unwrap();
    assert_eq!(created, "subscription_created");
    // The legacy name is accepted and sent as the event it now names.
    let legacy = EventType::from("RAMPOFF_FINISHED");
    let updated = webhooks
        .update(&Subscription::new(legacy, "https://demo.com/new"))
        .await
        .unwrap();
    assert_eq!(updated, "subscription_updated");

    let subscribe = &mock::requests_to(&server, "/api/subscribeToWebhook").await[0];
    assert_eq!(
        subscribe.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        subscribe.text(),
        "type=COINS_SENT&url=https%3A%2F%2Fdemo.com"
    );
    assert_eq!(
        mock::requests_to(&server, "/api/updateWebhookSubscription").await[0].text(),
        "type=TRANSFER_RAMPOFF_FINISHED&url=https%3A%2F%2Fdemo.com%2Fnew"
    );

    // Refused before sending: an event type the API does not know, a URL that is not one.
    // Each names the field.
    let kyc_done = Subscription::new(EventType::from("KYC_DONE"), "https://demo.com");
    let unknown = webhooks.subscribe(&kyc_done).await;
    assert!(matches!(unknown, Err(Error::InvalidRequest(m)) if m.starts_with("event `KYC_DONE` ")));
    let not_url = webhooks
        .update(&Subscription::new(EventType::PayIn, "demo.com"))
        .await;
    assert!(matches!(not_url, Err(Error::InvalidRequest(m)) if m.starts_with("url is not a URL")));
    assert_eq!(mock::count(&server, "/api/subscribeToWebhook").await, 1);
    assert_eq!(
        mock::count(&server, "/api/updateWebhookSubscription").await,
        1
    );
}

#[tokio::test]
async fn a_document_upload_sends_the_documented_body() {
    let route = "/api/customers/106/documents";
    let reply = mock::fixture("uploadCustomerDocument.response.json");
    let (server, client) = serving(vec![("POST", route, reply)]).await;
    let customers = client.customers();
    let file = "https://cdn.example.com/documents/payslip-january.pdf";

    customers
        .upload_document(
            &UserId::new(106),
            &NewDocument::new(DocumentType::Payslip, file),
        )
        .await
        .unwrap();
    let sent = mock::requests_to(&server, route).await[0].json().unwrap();
    assert_eq!(sent, json!({"type": "payslip", "file": file}));
}

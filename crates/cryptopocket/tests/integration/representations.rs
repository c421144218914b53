//! Each representation class a real server plausibly sends, through the client on loopback:
//! tolerant representation (ids and integers as numbers or strings, Laravel timestamps,
//! counters as strings), strict meaning (a value of another meaning still fails), and an
//! optional field only an inferred schema describes dropped with a warning when its shape is
//! unexpected.

use std::str::FromStr;

use cryptopocket::{
    Client, Error,
    model::{PaymentId, UserId},
    onramp::QuoteRequest,
    subscriptions::Subscription,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use wiremock::{MockServer, Request};

use crate::support::{
    AUTHENTICATE, GET_PAYMENT, PAYMENT_ID, client_builder, fixture_text,
    logs::Captured,
    mock::{self, Received as _},
    payment_data, payment_id,
};

/// The documented Retrieve payment `data`, with `changes` applied (`Value::Null` removes).
fn payment(changes: &[(&str, Value)]) -> Value {
    let mut data = payment_data();
    for (key, value) in changes {
        match value {
            Value::Null => {
                data.as_object_mut().unwrap().remove(*key);
            }
            value => data[*key] = value.clone(),
        }
    }
    data
}

/// A server that issues a token and answers every other call with `body`, and a client.
async fn answering(body: Value) -> (MockServer, Client) {
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, mock::json(200, body)).await;
    (server, client)
}

async fn get_payment(data: Value) -> Result<cryptopocket::onramp::Payment, Error> {
    let (_server, client) = answering(json!({"status": "ok", "data": data})).await;
    client
        .onramp()
        .get(&PaymentId::from_str(PAYMENT_ID).unwrap())
        .await
}

#[tokio::test]
async fn ids_and_integers_arrive_as_numbers_or_strings() {
    for (user_id, cents) in [
        (json!("100067"), json!(15050)),
        (json!(100067), json!("15050")),
        (json!("100067"), json!(" 15050 ")),
    ] {
        let shown = format!("user_id {user_id}, fiat_amount {cents}");
        let got = get_payment(payment(&[("user_id", user_id), ("fiat_amount", cents)]))
            .await
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(got.user_id, UserId::new(100067), "{shown}");
        assert_eq!(got.fiat_amount, Decimal::new(15050, 2), "{shown}");
    }
    // A txid sent as a number is read as its digits.
    let got = get_payment(payment(&[("txid", json!(123456789))]))
        .await
        .unwrap();
    assert_eq!(got.txid.as_deref(), Some("123456789"));
}

#[tokio::test]
async fn laravel_timestamps_are_read_as_utc_beside_rfc_3339() {
    let mut seen = Vec::new();
    for written in [
        "2026-06-26T10:30:00.000000Z",
        "2026-06-26 10:30:00",
        "2026-06-26T12:30:00+02:00",
        "2026-06-26T10:30:00",
    ] {
        let got = get_payment(payment(&[("created_at", json!(written))]))
            .await
            .unwrap_or_else(|e| panic!("{written}: {e}"));
        seen.push(got.created_at.to_rfc3339());
    }
    assert!(
        seen.iter().all(|at| at == "2026-06-26T10:30:00+00:00"),
        "{seen:?}"
    );
}

/// Strict meaning: a value that is not an integer, an id or a timestamp in any
/// representation fails, naming the field, and the documented `fiat_amount` is never dropped.
#[tokio::test]
async fn a_value_of_another_meaning_still_fails_naming_the_field() {
    for (field, value) in [
        ("fiat_amount", json!("150.50")),
        ("fiat_amount", json!({"cents": 15050})),
        ("created_at", json!("yesterday")),
        ("created_at", json!(1782469800)),
        ("id", json!(1.5)),
        ("user_id", json!(true)),
    ] {
        let shown = format!("{field}: {value}");
        match get_payment(payment(&[(field, value)])).await {
            Err(Error::Decode { path, .. }) => {
                assert_eq!(path, format!("data.{field}"), "{shown}")
            }
            other => panic!("{shown}: expected a decode error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn pagination_counters_as_strings_still_walk_every_page() {
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, |request: &Request| {
        let page = request.query("page").unwrap_or("1").to_owned();
        let external_id = format!("order-{page}");
        mock::json(
            200,
            json!({
                "status": "ok",
                "data": [payment(&[("external_id", json!(external_id))])],
                "pagination": {"current_page": page, "last_page": "3", "per_page": "1", "total": "3"},
            }),
        )
    })
    .await;
    let all: Vec<_> = client.onramp().list().try_collect().await.unwrap();
    let ids: Vec<_> = all
        .iter()
        .filter_map(|p| p.external_id.as_deref())
        .collect();
    assert_eq!(ids, ["order-1", "order-2", "order-3"]);
    let first = client.onramp().list().page(1).await.unwrap();
    assert_eq!(
        (first.page, first.last_page, first.total),
        (1, Some(3), Some(3))
    );
}

/// The token's lifetime as a string is read; an expiry in a shape the spec did not guess
/// (inside the `data` that is one of two shapes) is dropped rather than failing every call.
#[tokio::test]
async fn authenticate_reads_a_string_lifetime_and_drops_an_odd_expiry() {
    for data in [
        json!({"token": "T1", "expires_in": "3600"}),
        json!({"token": "T1", "expires_at": 1782469800}),
        json!({"token": "T1", "expires_at": {"date": "2026-06-26"}, "expires_in": "x"}),
    ] {
        let shown = data.to_string();
        let server = MockServer::builder().start().await;
        let issued = mock::json(200, json!({"status": "ok", "data": data}));
        mock::on(&server, "POST", AUTHENTICATE, issued).await;
        mock::otherwise(&server, mock::ok(payment(&[]))).await;
        let client = client_builder(&server).build().unwrap();
        client
            .onramp()
            .get(&PaymentId::from_str(PAYMENT_ID).unwrap())
            .await
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        let sent = mock::requests_to(&server, GET_PAYMENT).await;
        assert_eq!(sent[0].auth(), Some("T1"), "{shown}");
    }
}

fn quote_request() -> QuoteRequest {
    QuoteRequest::new(
        Decimal::new(240, 0),
        "USDC",
        cryptopocket::model::PaymentType::Card,
    )
}

#[tokio::test]
async fn an_inferred_optional_field_of_an_unexpected_shape_is_dropped_with_a_warning() {
    let (captured, _guard) = Captured::start(tracing::Level::WARN);

    // Written as text: `json!` would pass the 18-decimal amount through a float.
    let body = r#"{"status":"ok","data":{"coin_amount":0.123456789012345678,
        "price":{"value":"1.0004","currency":"EUR"},"chain":137,"symbol":"USDC","fiat_amount":240}}"#;
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, mock::raw(200, "application/json", body)).await;
    let quote = client.onramp().quote(&quote_request()).await.unwrap();
    assert_eq!(quote.coin_amount.to_string(), "0.123456789012345678");
    assert_eq!(quote.price, None);
    assert_eq!(quote.chain, None);
    assert_eq!(quote.symbol.as_deref(), Some("USDC"));
    assert_eq!(quote.fiat_amount, Some(Decimal::new(240, 0)));
    let logs = captured.text();
    for field in ["/data/price", "/data/chain"] {
        assert!(
            logs.contains(field) && logs.contains("getQuote"),
            "no warning for {field}: {logs}"
        );
    }
    assert!(!logs.contains("1.0004"), "a warning quoted a value: {logs}");
}

/// What the quote needs to act on is required even in an inferred schema: a misshapen
/// `coin_amount` fails the call, naming the field, instead of being dropped.
#[tokio::test]
async fn a_required_field_of_an_inferred_schema_is_never_dropped() {
    let (_server, client) = answering(json!({
        "status": "ok",
        "data": {"coin_amount": {"value": 1}, "price": 1.0},
    }))
    .await;
    match client.onramp().quote(&quote_request()).await {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "data.coin_amount"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// An error envelope is never made to look like a success by dropping fields.
#[tokio::test]
async fn an_error_envelope_with_odd_fields_stays_an_error() {
    let (_server, client) = answering(json!({
        "status": "error",
        "error": "user_not_found",
        "data": {"coin_amount": {"odd": true}, "chain": 5},
    }))
    .await;
    match client.onramp().quote(&quote_request()).await {
        Err(Error::Api(e)) => assert_eq!(e.code, cryptopocket::ApiErrorCode::UserNotFound),
        other => panic!("expected the API's error, got {other:?}"),
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
        let body = fixture_text("getPayment.response.json").replace(
            "\"coin_amount\": 148.32",
            &format!("\"coin_amount\": {written}"),
        );
        assert!(body.contains(written), "the fixture changed shape");
        let (server, client) = mock::authenticated().await;
        mock::otherwise(&server, mock::raw(200, "application/json", body)).await;
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
    let (server, client) = mock::authenticated().await;
    let top_level = mock::json(200, json!({"status": "ok", "kyc_status": "valid"}));
    mock::on(&server, "GET", "/api/kyc/check", top_level).await;
    mock::otherwise(&server, mock::json(200, json!({"status": "success"}))).await;
    let kyc = client.kyc().get(&UserId::new(106)).await.unwrap();
    assert_eq!(kyc.status, cryptopocket::model::KycStatus::Valid);
    // No `user_id` in the answer: the check is of the customer asked about.
    assert_eq!((kyc.user_id, kyc.is_final), (UserId::new(106), true));
    let coins_sent = cryptopocket::model::EventType::CoinsSent;
    let subscription = Subscription::new(coins_sent, "https://example.com/hook");
    let answer = client.webhooks().subscribe(&subscription).await.unwrap();
    assert_eq!(answer, "");
}

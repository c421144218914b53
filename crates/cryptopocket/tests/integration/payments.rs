//! The on-ramp payment operations over real HTTP on loopback: the documented payloads become
//! typed values, the request bodies match the documented examples, and lists are walked page
//! by page without looping.

use chrono::{TimeZone as _, Utc};
use cryptopocket::{
    Error,
    model::{PaymentId, PaymentStatus, UserId},
    onramp::{NewGuidedPayment, PaymentInstructions},
};
use futures::StreamExt as _;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use wiremock::{MockServer, Request, ResponseTemplate};

use crate::support::{
    CREATE_GUIDED_PAYMENT, CREATE_PAYMENT, LIST_PAYMENTS, fixture,
    mock::{self, Received as _, serving},
    page_body, payment_data, payment_request,
};

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

/// Asserts that `sent` is the documented request `example`: the same keys, the same values,
/// and `fiat_amount` the same number (`240` and `240.0` alike).
fn assert_body_is_example(sent: &Value, example: &Value) {
    let (Some(sent), Some(example)) = (sent.as_object(), example.as_object()) else {
        panic!("not JSON objects: {sent} / {example}");
    };
    let mut sent_keys: Vec<_> = sent.keys().collect();
    let mut example_keys: Vec<_> = example.keys().collect();
    sent_keys.sort();
    example_keys.sort();
    assert_eq!(sent_keys, example_keys, "keys sent vs documented");
    for (key, value) in example {
        if key == "fiat_amount" {
            assert_eq!(sent[key].as_f64(), value.as_f64(), "{key}");
        } else {
            assert_eq!(&sent[key], value, "{key}");
        }
    }
}

#[tokio::test]
async fn a_documented_payment_becomes_typed_values() {
    let route = "/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy";
    let (server, client) = serving(vec![(
        "GET",
        route,
        mock::fixture("getPayment.response.json"),
    )])
    .await;

    let payment = client
        .onramp()
        .get(&PaymentId::new("aBcDeFgHiJkLmNoPqRsTuVwXy").unwrap())
        .await
        .unwrap();

    assert_eq!(payment.id.as_str(), "aBcDeFgHiJkLmNoPqRsTuVwXy");
    assert_eq!(payment.external_id.as_deref(), Some("order-abc-001"));
    assert_eq!(payment.user_id, UserId::new(100067));
    assert_eq!(payment.status, PaymentStatus::Started);
    // 15050 cents on the wire.
    assert_eq!(payment.fiat_amount, Decimal::new(15050, 2));
    assert_eq!(payment.fiat_amount.to_string(), "150.50");
    assert_eq!(payment.fiat_symbol, "EUR");
    assert_eq!(payment.coin_symbol, "USDC");
    // Exactly 148.32, not the float's binary neighbour.
    assert_eq!(payment.coin_amount, Some(dec("148.32")));
    assert_eq!(
        payment.coin_amount.map(|a| a.to_string()).as_deref(),
        Some("148.32")
    );
    assert_eq!(
        payment.created_at,
        Utc.with_ymd_and_hms(2026, 6, 26, 10, 30, 0).unwrap()
    );
    assert_eq!(payment.holder, None);
    assert_eq!(payment.txid, None);

    let get = &mock::requests_to(&server, route).await[0];
    assert_eq!(get.method, "GET");
    assert_eq!(get.auth(), Some("T1"));
}

/// Sends the documented create to a server answering with the fixture `response`, and
/// checks that it came back as payment `payment_id` with these `instructions`.
async fn assert_created(
    response: &str,
    payment_id: &str,
    instructions: PaymentInstructions,
) -> MockServer {
    let (server, client) = serving(vec![("POST", CREATE_PAYMENT, mock::fixture(response))]).await;

    let created = client
        .onramp()
        .create(&payment_request("23232323231"))
        .await
        .unwrap();

    assert_eq!(created.payment_id.as_str(), payment_id, "{response}");
    assert_eq!(created.instructions, instructions, "{response}");
    server
}

#[tokio::test]
async fn a_card_payment_redirects_and_the_body_is_the_documented_request() {
    let server = assert_created(
        "createPayment.response.card-psd2.json",
        "9NM6ICl2KDaUiMtkDm4JSTqdQ",
        PaymentInstructions::Redirect {
            url: "https://demo.cryptopocket.io/gateway/psd2?token=cef81d38-aa31-4f2d-a227-66b1cede5f61"
                .into(),
        },
    )
    .await;

    let requests = mock::requests_to(&server, CREATE_PAYMENT).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.auth(), Some("T1"));
    assert!(
        request
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{request:?}"
    );
    let body = request.json().expect("a JSON body");
    assert_eq!(body["fiat_amount"].as_f64(), Some(240.0), "{body}");
    assert_eq!(
        body["user_id"],
        json!(106),
        "user_id is a JSON number: {body}"
    );
    assert!(
        body.get("payment_type").is_none(),
        "no payment_type key when None: {body}"
    );
    assert_body_is_example(&body, &fixture("createPayment.request.json"));
}

#[tokio::test]
async fn a_transfer_payment_gives_bank_details_despite_the_sucess_typo() {
    let server = assert_created(
        "createPayment.response.transfer.json",
        "Fx1ZjLOkQGdPHr1u8Rsy9JvTh",
        PaymentInstructions::BankTransfer {
            iban: "ES6867130002530016234794".into(),
            bic: Some("PFSSESM1XXX".into()),
            concept: Some(120037),
            beneficiary: Some("Fintech Payments, S.L".into()),
        },
    )
    .await;
    assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 1);
}

#[tokio::test]
async fn a_guided_payment_gives_the_gateway_and_always_sends_eur() {
    let reply = mock::fixture("createGuidedPayment.response.json");
    let (server, client) = serving(vec![("POST", CREATE_GUIDED_PAYMENT, reply)]).await;

    let guided = client
        .onramp()
        .create_guided(
            &NewGuidedPayment::new(&UserId::new(106), Decimal::new(240, 0), "USDC", "polygon")
                .external_id("23232323231"),
        )
        .await
        .unwrap();

    assert_eq!(guided.payment_id.as_str(), "aBcDeFgHiJkLmNoPqRsTuVwXy");
    assert_eq!(
        guided.gateway_url,
        "https://b2b.cryptopocket.io/payment/aBcDeFgHiJkLmNoPqRsTuVwXy"
    );
    assert_eq!(guided.external_id.as_deref(), Some("order-abc-001"));

    let requests = mock::requests_to(&server, CREATE_GUIDED_PAYMENT).await;
    assert_eq!(requests.len(), 1);
    let body = requests[0].json().expect("a JSON body");
    assert_eq!(body["fiat_symbol"], json!("EUR"), "{body}");
    assert_eq!(body["user_id"], json!(106), "{body}");
    assert_body_is_example(&body, &fixture("createGuidedPayment.request.json"));
}

// ---------------------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------------------

/// A payment as List on-ramp transactions returns it (the Retrieve payment shape).
fn listed_payment(id: &str) -> Value {
    let mut payment = payment_data();
    payment["id"] = json!(id);
    payment
}

fn page_reply(page: u64, ids: &[&str]) -> ResponseTemplate {
    let items = ids.iter().map(|id| listed_payment(id)).collect();
    mock::json(200, page_body(items, page, 2, 5, 3))
}

const PAGES: [&[&str]; 3] = [
    &["Pay0000000000000000000001", "Pay0000000000000000000002"],
    &["Pay0000000000000000000003", "Pay0000000000000000000004"],
    &["Pay0000000000000000000005"],
];

#[tokio::test]
async fn the_payments_stream_walks_every_page_once_in_order() {
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, |request: &Request| {
        match request.query("page").and_then(|p| p.parse::<u64>().ok()) {
            Some(page @ 1..=3) => page_reply(page, PAGES[page as usize - 1]),
            _ => mock::json(404, json!({"message": "no such page"})),
        }
    })
    .await;
    let results: Vec<Result<_, Error>> = client.onramp().list().stream().collect().await;
    let ids: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("every item").id.as_str().to_owned())
        .collect();
    let expected: Vec<String> = PAGES.concat().iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(ids, expected);

    let lists = mock::requests_to(&server, LIST_PAYMENTS).await;
    assert_eq!(lists.len(), 3, "{lists:#?}");
    let pages: Vec<_> = lists.iter().map(|r| r.query("page")).collect();
    assert_eq!(pages, [Some("1"), Some("2"), Some("3")]);
    assert!(lists.iter().all(|r| r.auth() == Some("T1")));
}

#[tokio::test]
async fn one_page_of_payments_reports_its_position() {
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, page_reply(2, PAGES[1])).await;
    let page = client.onramp().list().page(2).await.unwrap();
    assert_eq!(page.page, 2);
    assert_eq!(page.last_page, Some(3));
    assert_eq!(page.total, Some(5));
    assert!(page.has_next());
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].fiat_amount, Decimal::new(15050, 2));
    assert_eq!(
        mock::requests_to(&server, LIST_PAYMENTS).await[0].query("page"),
        Some("2")
    );
}

#[tokio::test]
async fn a_server_that_ignores_the_page_ends_the_stream_with_repeated_page() {
    let (server, client) = mock::authenticated().await;
    // Whatever page is asked for, page 1 comes back.
    mock::otherwise(&server, page_reply(1, PAGES[0])).await;
    // Bounded, so a stream that loops forever fails the test instead of hanging it.
    let results: Vec<Result<_, Error>> = client.onramp().list().stream().take(50).collect().await;

    assert_eq!(results.len(), 3, "{results:#?}");
    assert_eq!(results[0].as_ref().unwrap().id.as_str(), PAGES[0][0]);
    assert_eq!(results[1].as_ref().unwrap().id.as_str(), PAGES[0][1]);
    let error = results[2].as_ref().unwrap_err();
    assert_error!(error, Error::RepeatedPage { page: 1, .. }, "listPayments");
    assert_eq!(mock::count(&server, LIST_PAYMENTS).await, 2);
}

//! The look-up by external id: over loopback it pages only as far as the match (and to the
//! last page when there is none), and against the sandbox it finds what was sent.

use cryptopocket::{Client, Error};
use serde_json::{Value, json};
use wiremock::{MockServer, Request, ResponseTemplate};

use crate::support::{
    LIST_PAYMENTS, LIST_RAMPOFFS, fixture,
    mock::{self, Received as _},
    page_body, payment_data,
};

/// Page `page` of three with two payments each, external ids `ext-<page>-<n>`.
fn payments_page(page: u64) -> ResponseTemplate {
    let items: Vec<Value> = (1..=2)
        .map(|n| {
            let mut payment = payment_data();
            payment["id"] = json!(format!("Pay00000000000000000000{page}{n}"));
            payment["external_id"] = json!(format!("ext-{page}-{n}"));
            payment
        })
        .collect();
    mock::json(200, page_body(items, page, 2, 6, 3))
}

fn rampoffs_page(page: u64) -> ResponseTemplate {
    let items: Vec<Value> = (1..=2)
        .map(|n| {
            let mut rampoff = fixture("getRampoff.response.json")["data"].clone();
            rampoff["id"] = json!(format!("Off00000000000000000000{page}{n}"));
            rampoff["external_id"] = json!(format!("ext-{page}-{n}"));
            rampoff
        })
        .collect();
    mock::json(200, page_body(items, page, 2, 6, 3))
}

async fn list_server() -> (MockServer, Client) {
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, |request: &Request| {
        let page = request.query("page").and_then(|p| p.parse::<u64>().ok());
        match (request.url.path(), page) {
            (LIST_PAYMENTS, Some(page @ 1..=3)) => payments_page(page),
            (LIST_RAMPOFFS, Some(page @ 1..=3)) => rampoffs_page(page),
            _ => mock::json(404, json!({"message": "no such page"})),
        }
    })
    .await;
    (server, client)
}

#[tokio::test]
async fn finding_a_payment_by_external_id_stops_paging_at_the_match() {
    let (server, client) = list_server().await;

    let found = client
        .onramp()
        .find_by_external_id("ext-2-1")
        .await
        .unwrap()
        .expect("a match on page 2");
    assert_eq!(found.id.as_str(), "Pay0000000000000000000021");
    assert_eq!(found.external_id.as_deref(), Some("ext-2-1"));
    let pages: Vec<_> = mock::requests_to(&server, LIST_PAYMENTS)
        .await
        .iter()
        .map(|r| {
            (
                r.query("page").map(str::to_owned),
                r.query("per_page").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        pages,
        vec![
            (Some("1".into()), Some("100".into())),
            (Some("2".into()), Some("100".into())),
        ],
        "page 3 must not be fetched"
    );

    assert_eq!(
        client
            .onramp()
            .find_by_external_id("ext-9-9")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        mock::count(&server, LIST_PAYMENTS).await,
        2 + 3,
        "None only after the last page"
    );
    // Exact comparison: a prefix is not a match.
    assert_eq!(
        client.onramp().find_by_external_id("ext-2").await.unwrap(),
        None
    );

    let error = client.onramp().find_by_external_id(" ").await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(mock::count(&server, LIST_PAYMENTS).await, 2 + 3 + 3);
}

#[tokio::test]
async fn finding_an_off_ramp_by_external_id_stops_paging_at_the_match() {
    let (server, client) = list_server().await;

    let found = client
        .offramp()
        .find_by_external_id("ext-1-2")
        .await
        .unwrap()
        .expect("a match on page 1");
    assert_eq!(found.id.as_str(), "Off0000000000000000000012");
    assert_eq!(found.external_id.as_deref(), Some("ext-1-2"));
    assert_eq!(
        mock::count(&server, LIST_RAMPOFFS).await,
        1,
        "page 2 must not be fetched"
    );

    assert_eq!(
        client.offramp().find_by_external_id("nope").await.unwrap(),
        None
    );
    assert_eq!(mock::count(&server, LIST_RAMPOFFS).await, 1 + 3);
}

#[tokio::test]
async fn the_sandbox_finds_payments_and_off_ramps_by_the_external_id_sent() {
    use crate::support::sandbox::{Harness, KYC_DECIDED, purchase, sale};
    use cryptopocket::model::PaymentType;
    use rust_decimal::Decimal;

    let h = Harness::start().await;
    let user = h.register("finder@example.com").await;
    h.control.advance(KYC_DECIDED);
    let (onramp, offramp) = (h.client.onramp(), h.client.offramp());
    for n in 0..3 {
        let order = purchase(user, Decimal::new(50, 0), PaymentType::Card)
            .external_id(format!("order-{n}"));
        onramp.create(&order).await.unwrap();
        offramp
            .create(&sale(user).external_id(format!("sale-{n}")))
            .await
            .unwrap();
    }
    let payment = onramp
        .find_by_external_id("order-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.external_id.as_deref(), Some("order-1"));
    let operation = offramp
        .find_by_external_id("sale-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(operation.external_id.as_deref(), Some("sale-2"));
    assert_eq!(offramp.get(&operation.id).await.unwrap(), operation);
    assert_eq!(offramp.find_by_external_id("order-1").await.unwrap(), None);
}

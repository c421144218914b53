//! Whole flows through the crate against the local sandbox, which keeps state and moves it
//! along the documented statuses on a virtual clock: buying with a card and with a bank
//! transfer, selling, listing page by page, an expired token, and signed webhook deliveries.
//! Nothing sleeps: each test moves the sandbox's clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{Router, body::Bytes, http::HeaderMap, http::StatusCode, routing::post};
use chrono::NaiveDate;
use cryptopocket::{
    Error,
    bank_accounts::{BankAccountTransaction, NewReconciliation},
    model::{
        EventType, Iban, KycStatus, OffRampStatus, PaymentStatus, PaymentType, TransactionId,
        UserId,
    },
    offramp::OffRampQuoteRequest,
    onramp::{NewGuidedPayment, PaymentInstructions, QuoteRequest},
    subscriptions::Subscription,
    webhooks::{WebhookError, WebhookEvent, WebhookVerifier},
};
use cryptopocket_sandbox::DeliveryOutcome;
use futures::{StreamExt as _, TryStreamExt as _};
use rust_decimal::Decimal;
use secrecy::SecretString;

use crate::support::sandbox::{COINS_SENT, Harness, KYC_DECIDED, PAYMENT_RECEIVED, purchase, sale};

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

#[tokio::test]
async fn a_customer_buys_crypto_from_registration_to_coins_sent() {
    let h = Harness::start().await;
    let user = h.register("alice@example.com").await;
    let kyc = h.client.kyc();
    let mut statuses = vec![kyc.get(&user).await.unwrap().status];
    for step in [5, 25] {
        h.control.advance(Duration::from_secs(step));
        statuses.push(kyc.get(&user).await.unwrap().status);
    }
    assert_eq!(
        statuses,
        [KycStatus::Unused, KycStatus::Processing, KycStatus::Valid]
    );

    let onramp = h.client.onramp();
    let quote = onramp
        .quote(&QuoteRequest::new(dec("150.50"), "USDC", PaymentType::Card).chain("polygon"))
        .await
        .unwrap();
    let guided = onramp
        .create_guided(
            &NewGuidedPayment::new(&user, dec("150.50"), "USDC", "polygon")
                .external_id("order-alice-1"),
        )
        .await
        .unwrap();
    assert_eq!(guided.external_id.as_deref(), Some("order-alice-1"));
    let origin = h.sandbox.base_url().trim_end_matches("/api");
    assert!(guided.gateway_url.starts_with(origin), "{guided:?}");
    let id = guided.payment_id;
    assert_eq!(
        onramp.get(&id).await.unwrap().status,
        PaymentStatus::Started
    );

    // The customer pays by card on the gateway page.
    h.control.pay(id.as_str(), "card").unwrap();
    h.control.advance(PAYMENT_RECEIVED);
    let received = onramp.get(&id).await.unwrap();
    assert_eq!(received.status, PaymentStatus::PaymentReceived);
    assert!(!received.status.is_final() && received.txid.is_none());
    h.control.advance(COINS_SENT);
    let payment = onramp.get(&id).await.unwrap();
    assert_eq!(payment.status, PaymentStatus::CoinsSent);
    assert!(payment.status.is_final());
    let txid = payment.txid.as_deref().unwrap_or_default();
    assert!(txid.starts_with("0x") && txid.len() == 66, "{payment:?}");
    // Retrieve payment sends cents (15050); the crate reads euros.
    assert_eq!(payment.fiat_amount, dec("150.50"));
    assert_eq!(payment.fiat_symbol, "EUR");
    assert_eq!(payment.coin_amount, Some(quote.coin_amount));
    assert_eq!(payment.user_id, user);
    assert_eq!(payment.external_id.as_deref(), Some("order-alice-1"));
    assert_eq!(payment.holder.as_deref(), Some("alice Liddell"));
}

#[tokio::test]
async fn a_bank_transfer_is_found_by_concept_reconciled_and_paid_out() {
    let h = Harness::start().await;
    let user = h.register("transfer@example.com").await;
    h.control.advance(KYC_DECIDED);
    let onramp = h.client.onramp();
    let order = purchase(user, dec("240"), PaymentType::Transfer);
    let created = onramp.create(&order).await.unwrap();
    let PaymentInstructions::BankTransfer {
        iban,
        concept: Some(concept),
        beneficiary,
        ..
    } = created.instructions
    else {
        panic!("no transfer instructions: {:?}", created.instructions);
    };
    assert!(beneficiary.is_some());
    let id = created.payment_id;

    h.control.send_transfer(id.as_str()).unwrap();
    let pending = onramp.get(&id).await.unwrap();
    assert_eq!(pending.status, PaymentStatus::PendingBank);

    let bank = h.client.bank_accounts();
    let accounts: Vec<_> = bank.list().try_collect().await.unwrap();
    assert!(
        accounts.iter().any(|a| a.iban.as_str() == iban),
        "{accounts:?}"
    );
    let iban = Iban::new(&iban).unwrap();
    let transactions: Vec<_> = bank.transactions(&iban).try_collect().await.unwrap();
    let concept = concept.to_string();
    let paid: Vec<_> = transactions
        .iter()
        .filter(|t| t.concept.as_deref() == Some(concept.as_str()))
        .collect();
    assert_eq!(paid.len(), 1, "{transactions:#?}");
    assert_eq!(
        paid[0].amount.map(|a| a.to_string()).as_deref(),
        Some("240.00")
    );
    assert_eq!(paid[0].reconciled, Some(false));

    let tx: TransactionId = paid[0].id.clone();
    let reconciled = bank
        .reconcile(&NewReconciliation::new(&id, &iban, &tx))
        .await
        .unwrap();
    assert_eq!(reconciled.payment_id, id);
    assert_eq!(reconciled.status, PaymentStatus::PaymentReceived);
    let listed = bank.transactions(&iban).page(1).await.unwrap();
    let linked = listed.items.iter().find(|t| t.id == tx).unwrap();
    assert_eq!(linked.payment_id.as_ref(), Some(&id));

    h.control.advance(COINS_SENT);
    let done = onramp.get(&id).await.unwrap();
    assert_eq!(done.status, PaymentStatus::CoinsSent);
    assert_eq!(done.fiat_amount, dec("240"));
    assert!(done.txid.is_some());
}

#[tokio::test]
async fn an_off_ramp_runs_to_finished() {
    let h = Harness::start().await;
    let user = h.register("seller@example.com").await;
    let offramp = h.client.offramp();
    let quote = offramp
        .quote(&OffRampQuoteRequest::new(dec("20"), "BUSD").blockchain("bsc"))
        .await
        .unwrap();
    let created = offramp.create(&sale(user)).await.unwrap();
    assert!(created.deposit_wallet.starts_with("0x"), "{created:?}");

    let mut statuses = Vec::new();
    for step in [0, 30, 60] {
        h.control.advance(Duration::from_secs(step));
        statuses.push(offramp.get(&created.id).await.unwrap().status);
    }
    let words: Vec<&str> = statuses.iter().map(OffRampStatus::as_str).collect();
    assert_eq!(words, ["waiting_crypto", "crypto_received", "finished"]);
    assert!(statuses[2].is_final() && !statuses[1].is_final());

    let finished = offramp.get(&created.id).await.unwrap();
    // 20 BUSD travel as "20000000000000000000" base units with 18 decimals.
    assert_eq!(finished.amount, Some(dec("20")));
    assert_eq!(finished.crypto.as_deref(), Some("BUSD"));
    assert_eq!(finished.fiat_amount, Some(quote.fiat_amount));
    assert_eq!(quote.amount, Some(dec("20")));
    let listed: Vec<_> = offramp.list().try_collect().await.unwrap();
    assert_eq!(listed, [finished]);
}

#[tokio::test]
async fn customers_are_streamed_over_several_pages() {
    let h = Harness::start().await;
    let mut registered = Vec::new();
    for n in 0..32 {
        registered.push(h.register(&format!("customer{n:02}@example.com")).await);
    }
    let customers = h.client.customers();
    let listed: Vec<_> = customers.list().try_collect().await.unwrap();
    let ids: Vec<UserId> = listed.iter().map(|c| c.id).collect();
    assert_eq!(ids, registered);
    // 15 a page, the sandbox's (and Laravel's) default: pages 1, 2 and 3, once each.
    assert_eq!(h.outcomes("listCustomers"), ["ok", "ok", "ok"]);

    let second = customers.list().page(2).await;
    let second = second.unwrap();
    assert_eq!(
        (second.page, second.last_page, second.total),
        (2, Some(3), Some(32))
    );
    assert!(second.has_next());
    assert_eq!(second.items.len(), 15);
    assert_eq!(second.items[0].id, registered[15]);

    // per_page chooses the size: 5 a page makes 7 pages of 32, each asked for once.
    let five = customers.list().per_page(5);
    let listed: Vec<_> = five.try_collect().await.unwrap();
    let ids: Vec<UserId> = listed.iter().map(|c| c.id).collect();
    assert_eq!(ids, registered);
    // After the 3 + 1 requests above.
    assert_eq!(h.outcomes("listCustomers").len(), 4 + 7);
    let second = five.page(2).await.unwrap();
    assert_eq!(
        (second.page, second.last_page, second.total),
        (2, Some(7), Some(32))
    );
    let ids: Vec<UserId> = second.items.iter().map(|c| c.id).collect();
    assert_eq!(ids, registered[5..10]);
}

#[tokio::test]
async fn per_page_sets_the_page_size_of_the_other_lists() {
    let h = Harness::start().await;
    let user = h.register("lists@example.com").await;
    // One item a page means one request per item.
    let bank = h.client.bank_accounts();
    let accounts: Vec<_> = bank.list().per_page(1).try_collect().await.unwrap();
    assert!(accounts.len() > 1, "{accounts:?}");
    assert_eq!(h.outcomes("listBankAccounts").len(), accounts.len());
    h.control.advance(KYC_DECIDED);
    let (onramp, offramp) = (h.client.onramp(), h.client.offramp());
    for n in 0..2 {
        let order = purchase(user, dec("50"), PaymentType::Card).external_id(format!("order-{n}"));
        onramp.create(&order).await.unwrap();
        offramp.create(&sale(user)).await.unwrap();
    }
    let payments: Vec<_> = onramp.list().per_page(1).try_collect().await.unwrap();
    assert_eq!(payments.len(), 2);
    assert_eq!(h.outcomes("listPayments"), ["ok"; 2]);
    let operations: Vec<_> = offramp.list().per_page(1).try_collect().await.unwrap();
    assert_eq!(operations.len(), 2);
    assert_eq!(h.outcomes("listRampoffs"), ["ok"; 2]);
}

#[tokio::test]
async fn bank_transactions_are_filtered_by_booking_date() {
    let h = Harness::start().await;
    let user = h.register("dates@example.com").await;
    h.control.advance(KYC_DECIDED);
    let order = purchase(user, dec("240"), PaymentType::Transfer);
    let created = h.client.onramp().create(&order).await.unwrap();
    let transfer = h
        .control
        .send_transfer(created.payment_id.as_str())
        .unwrap();

    // The sandbox's history: 60, 30 and 7 days before it started, and the transfer today.
    let bank = h.client.bank_accounts();
    let iban = Iban::new("ES9121000418450200051332").unwrap();
    let all: Vec<_> = bank.transactions(&iban).try_collect().await.unwrap();
    let find = |concept: &str| {
        all.iter()
            .find(|t| t.concept.as_deref() == Some(concept))
            .unwrap_or_else(|| panic!("no {concept} in {all:#?}"))
    };
    let (funding, fee, invoice) = (
        find("Initial funding"),
        find("Monthly account fee"),
        find("INV-2026-0042"),
    );
    let transfer = all.iter().find(|t| t.id.as_str() == transfer).unwrap();
    let day = |t: &BankAccountTransaction| t.booking_date.unwrap();
    assert_eq!(all, [transfer, invoice, fee, funding].map(Clone::clone));
    assert!(day(funding) < day(fee) && day(fee) < day(invoice) && day(invoice) < day(transfer));

    // One a page, so that the filter holds on every page; both ends are inclusive.
    let listed = |from: Option<&BankAccountTransaction>, to: Option<&BankAccountTransaction>| {
        let mut list = bank.transactions(&iban).per_page(1);
        if let Some(from) = from {
            list = list.booked_from(day(from));
        }
        if let Some(to) = to {
            list = list.booked_to(day(to));
        }
        list.stream()
            .map_ok(|t| t.id.as_str().to_owned())
            .try_collect::<Vec<_>>()
    };
    let between = listed(Some(fee), Some(invoice)).await.unwrap();
    assert_eq!(between, [invoice.id.as_str(), fee.id.as_str()]);
    let until = listed(None, Some(fee)).await.unwrap();
    assert_eq!(until, [fee.id.as_str(), funding.id.as_str()]);
    let since = listed(Some(transfer), None).await.unwrap();
    assert_eq!(since, [transfer.id.as_str()]);
    let one_day = listed(Some(invoice), Some(invoice)).await.unwrap();
    assert_eq!(one_day, [invoice.id.as_str()]);

    let page = bank
        .transactions(&iban)
        .booked_from(day(fee))
        .per_page(2)
        .page(1)
        .await
        .unwrap();
    assert_eq!(
        (page.items.len(), page.last_page, page.total),
        (2, Some(2), Some(3))
    );
}

#[tokio::test]
async fn list_options_out_of_range_are_refused_before_sending() {
    let h = Harness::start().await;
    let customers = h.client.customers();
    for bad in [0, 101] {
        let results: Vec<_> = customers.list().per_page(bad).stream().collect().await;
        assert_eq!(results.len(), 1, "{results:?}");
        let Err(Error::InvalidRequest(message)) = &results[0] else {
            panic!("{bad}: {results:?}");
        };
        assert!(message.contains("per_page"), "{message}");
        assert!(message.contains(&bad.to_string()), "{message}");
    }
    let page = customers.list().per_page(101).page(1).await;
    assert!(matches!(page, Err(Error::InvalidRequest(_))), "{page:?}");
    // 100 is the largest page the API serves, and is accepted.
    customers.list().per_page(100).page(1).await.unwrap();

    let iban = Iban::new("ES9121000418450200051332").unwrap();
    let day = |d| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
    let results: Vec<_> = h
        .client
        .bank_accounts()
        .transactions(&iban)
        .booked_from(day(2))
        .booked_to(day(1))
        .stream()
        .collect()
        .await;
    let [Err(Error::InvalidRequest(message))] = &results[..] else {
        panic!("{results:?}");
    };
    assert_eq!(
        message,
        "from (2026-04-02) must not be after to (2026-04-01)"
    );

    // Nothing refused was sent: only the one accepted page reached the sandbox.
    assert_eq!(h.outcomes("listCustomers"), ["ok"]);
    assert!(h.outcomes("listBankAccountTransactions").is_empty());
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_the_call_replayed() {
    let h = Harness::start().await;
    let user = h.register("clock@example.com").await;
    // Past the token's hour of virtual time; the client's own clock has not moved.
    h.control.advance(Duration::from_secs(3601));
    let kyc = h.client.kyc();
    assert_eq!(kyc.get(&user).await.unwrap().status, KycStatus::Valid);
    // The fresh token is kept: the next call does not authenticate again.
    kyc.get(&user).await.unwrap();
    // A token the server forgot for another reason is renewed the same way.
    h.control.revoke_tokens();
    kyc.get(&user).await.unwrap();
    let ok = || "ok".to_owned();
    let refused = || "authorization_incorrect".to_owned();
    assert_eq!(
        h.trace(),
        [
            ("authenticate", ok()),
            ("registerUser", ok()),
            ("checkKyc", refused()),
            ("authenticate", ok()),
            ("checkKyc", ok()),
            ("checkKyc", ok()),
            ("checkKyc", refused()),
            ("authenticate", ok()),
            ("checkKyc", ok()),
        ]
    );
}

/// A webhook receiver on loopback that keeps every delivery's headers and raw body.
async fn receiver() -> (String, Arc<Mutex<Vec<(HeaderMap, Bytes)>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    let app = Router::new().route(
        "/hooks",
        post(move |headers: HeaderMap, body: Bytes| {
            store.lock().unwrap().push((headers, body));
            async { StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test]
async fn webhook_deliveries_verify_and_arrive_pay_in_then_coins_sent() {
    let h = Harness::start().await;
    let (url, received) = receiver().await;
    let webhooks = h.client.webhooks();
    for event in [EventType::PayIn, EventType::CoinsSent] {
        webhooks
            .subscribe(&Subscription::new(event, &url))
            .await
            .unwrap();
    }
    let user = h.register("hooked@example.com").await;
    h.control.advance(KYC_DECIDED);
    let id = h.buy_with_card(user, 100).await;
    let payment = h.client.onramp().get(&id).await.unwrap();
    h.control.settle().await;

    let deliveries = received.lock().unwrap().clone();
    let verifier = WebhookVerifier::new(SecretString::from(h.sandbox.api_secret()))
        .expect_api_key(h.sandbox.api_key());
    let events: Vec<WebhookEvent> = deliveries
        .iter()
        .map(|(headers, body)| verifier.verify_event(headers, body).unwrap())
        .collect();
    let [
        WebhookEvent::PayIn(pay_in),
        WebhookEvent::CoinsSent(coins_sent),
    ] = events.as_slice()
    else {
        panic!("expected PAY_IN then COINS_SENT, got {events:#?}");
    };
    assert_eq!((&pay_in.payment_id, &coins_sent.payment_id), (&id, &id));
    assert_eq!(pay_in.status, Some(PaymentStatus::PaymentReceived));
    assert_eq!(coins_sent.status, Some(PaymentStatus::CoinsSent));
    assert_eq!(pay_in.txid, None);
    assert_eq!(coins_sent.txid, payment.txid);
    assert_eq!(coins_sent.user_id, Some(user));
    // `created_at` is when the event happened: PAY_IN 10 s of virtual time after paying,
    // COINS_SENT 20 s later still.
    assert!(pay_in.created_at > Some(payment.created_at));
    assert!(coins_sent.created_at > pay_in.created_at);

    // The sandbox saw each one answered at the first attempt.
    let log = h.control.deliveries();
    assert_eq!(log.len(), 2);
    let delivered = DeliveryOutcome::Delivered { status: 204 };
    assert!(
        log.iter()
            .all(|d| d.attempts == 1 && d.outcome == delivered),
        "{log:#?}"
    );
    // And the verifier is not a formality: one changed byte fails it.
    let (headers, body) = &deliveries[0];
    let mut forged = body.to_vec();
    forged[0] = b' ';
    let refused = verifier.verify_event(headers, &forged);
    assert!(
        matches!(refused, Err(WebhookError::SignatureMismatch)),
        "{refused:?}"
    );
}

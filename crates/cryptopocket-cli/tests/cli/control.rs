//! `cryptopocket sandbox advance | pay | send-transfer | fail-next | ban | deliveries`
//! against a real sandbox started here (manual clock), over its `/sandbox/*` endpoints.

use std::time::Duration;

use serde_json::Value;

use crate::{
    sandbox::Api,
    support::{failed, hook_receiver, json_error, payments_create, stdout},
};

/// A card payment of 50 EUR for `user`, created by the binary; its id.
async fn new_payment(api: &Api, user: &str, payment_type: &str) -> String {
    let mut create = payments_create(user, "50");
    create.extend(["--payment-type", payment_type]);
    let created = api.json(&create).await;
    created["payment_id"].as_str().expect("an id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advance_moves_the_clock() {
    let api = Api::start().await;
    let before = api.control().now();
    let user = api
        .json(&[
            "customers",
            "register",
            "--name",
            "Ana",
            "--email",
            "ana-adv@example.com",
        ])
        .await["id"]
        .to_string();
    let output = api.run(&["sandbox", "advance", "1m"]).await;
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains("now"), "{}", stdout(&output));
    assert_eq!(api.control().now() - before, chrono::TimeDelta::seconds(60));
    // The KYC schedule followed the clock.
    let kyc = api.json(&["kyc", "status", &user]).await;
    assert_eq!(kyc["kyc_status"], "valid", "{kyc}");
    let moved = api.json(&["sandbox", "advance", "90"]).await;
    assert!(moved["now"].is_string(), "{moved}");
    assert_eq!(
        api.control().now() - before,
        chrono::TimeDelta::seconds(150)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_and_send_transfer_play_the_payer() {
    let api = Api::start().await;
    let user = api.customer("ana-pay@example.com", true).await;
    let card = new_payment(&api, &user, "card").await;
    let paid = api.json(&["sandbox", "pay", &card]).await;
    assert_eq!(paid["payment_id"], card.as_str(), "{paid}");
    api.control().advance(Duration::from_secs(3600));
    let payment = api.json(&["payments", "get", &card]).await;
    assert_eq!(payment["status"], "coins_sent", "{payment}");
    // Paying twice is the sandbox's refusal: exit 1 with its reason.
    let stderr = api.fails(1, &["sandbox", "pay", &card]).await;
    assert!(stderr.contains("already paid"), "{stderr}");
    let stderr = api.fails(1, &["sandbox", "pay", "no-such-payment"]).await;
    assert!(
        stderr.contains("no payment with id no-such-payment"),
        "{stderr}"
    );

    let transfer = new_payment(&api, &user, "transfer").await;
    let sent = api.json(&["sandbox", "send-transfer", &transfer]).await;
    let tx = sent["transaction_id"].as_str().expect("a transaction id");
    let payment = api.json(&["payments", "get", &transfer]).await;
    assert_eq!(payment["status"], "pending_bank", "{payment}");
    let table = stdout(&api.run(&["sandbox", "send-transfer", &card]).await);
    assert!(table.is_empty());
    // The transaction it printed is the one reconciliation takes.
    let reconcile = [
        "bank-accounts",
        "reconcile",
        "--payment-id",
        &transfer,
        "--iban",
        "ES9121000418450200051332",
        "--transaction-id",
        tx,
    ];
    // A failure that may have reached the server says where to look before trying again.
    api.control()
        .fail_next("reconcilePayment", "unexpected_error");
    let mut failing = vec!["--json"];
    failing.extend(reconcile);
    let error = json_error(&api.run(&failing).await);
    assert_eq!(error["may_have_reached_server"], true, "{error}");
    let advice = error["advice"].as_str().unwrap_or_default();
    assert!(
        advice.contains("before reconciling again") && advice.contains(tx),
        "{error}"
    );
    let reconciled = api.json(&reconcile).await;
    assert_eq!(reconciled["payment_id"], transfer.as_str(), "{reconciled}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_next_and_ban_make_the_next_calls_fail() {
    let api = Api::start().await;
    let user = api.customer("ana-fail@example.com", true).await;
    let injected = api
        .json(&[
            "sandbox",
            "fail-next",
            "getAvailableAssets",
            "--code",
            "unexpected_error",
        ])
        .await;
    assert_eq!(injected["operation"], "getAvailableAssets", "{injected}");
    let stderr = api.fails(1, &["assets", "list"]).await;
    assert!(stderr.contains("unexpected_error"), "{stderr}");
    // Once only.
    assert!(api.run(&["assets", "list"]).await.status.success());
    // An operationId the spec does not have: exit 2 with close matches, nothing sent.
    let output = api
        .run(&["sandbox", "fail-next", "getavailableasset"])
        .await;
    let stderr = failed(&output, 2);
    assert!(stderr.contains("getAvailableAssets"), "{stderr}");

    let banned = api.json(&["sandbox", "ban", &user]).await;
    assert_eq!(banned["banned"], true, "{banned}");
    let mut create = payments_create(&user, "50");
    create.push("--json");
    let output = api.run(&create).await;
    assert_eq!(json_error(&output)["code"], "user_banned");
    let stderr = api.fails(1, &["sandbox", "ban", "424242"]).await;
    assert!(stderr.contains("no customer with id 424242"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_lists_the_webhooks_sent() {
    let api = Api::start().await;
    let (hook, received) = hook_receiver().await;
    let empty = api.run(&["sandbox", "deliveries"]).await;
    assert!(stdout(&empty).contains("no results"), "{empty:?}");
    api.subscribe(&hook).await;
    let user = api.customer("ana-hooks@example.com", true).await;
    let id = new_payment(&api, &user, "card").await;
    api.pay_and_advance(&id).await;
    let deliveries = api.json(&["sandbox", "deliveries"]).await;
    let list = deliveries.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{deliveries}");
    assert_eq!(list[0]["event_type"], "COINS_SENT");
    assert_eq!(list[0]["outcome"], "delivered");
    let body: Value = serde_json::from_str(list[0]["body"].as_str().unwrap_or("")).expect("body");
    assert_eq!(body["payment_id"], id.as_str(), "{body}");
    let bodies = received.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let table = stdout(&api.run(&["sandbox", "deliveries"]).await);
    assert!(
        table.contains("COINS_SENT") && table.contains("delivered"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_needs_a_sandbox_at_the_base_url() {
    let api = Api::start().await;
    let output = api.run_bare(&[], &["sandbox", "advance", "1m"]).await;
    let stderr = failed(&output, 2);
    assert!(stderr.contains("CRYPTOPOCKET_BASE_URL"), "{stderr}");
    let closed = format!("http://127.0.0.1:{}/api", crate::support::closed_port());
    let output = api
        .run_bare(&[], &["sandbox", "advance", "1m", "--base-url", &closed])
        .await;
    failed(&output, 3);
}

/// Each way a control request goes wrong keeps its exit code, error code and hint: the
/// sandbox's refusal (exit 1, its code, the HTTP status), a server that is not a sandbox and
/// an answer past the cap (exit 3), a closed port (exit 3), a bad value (exit 2, nothing
/// sent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_failures_keep_their_codes_and_hints() {
    let api = Api::start().await;
    let refused = json_error(&api.run(&["--json", "sandbox", "pay", "no-such"]).await);
    assert_eq!(
        (refused["code"].as_str(), refused["exit"].as_u64()),
        (Some("sandbox_control"), Some(1)),
        "{refused}"
    );
    let stderr = api.fails(1, &["sandbox", "ban", "424242"]).await;
    assert!(
        stderr.starts_with("error: sandbox_control: no customer with id 424242")
            && stderr.contains("(refused by the sandbox, HTTP 404)"),
        "{stderr}"
    );

    let huge = "x".repeat(17 * 1024 * 1024);
    let html = crate::support::serve(
        axum::Router::new()
            .route(
                "/sandbox/advance",
                axum::routing::post(|| async { "<html>not a sandbox</html>" }),
            )
            .route(
                "/sandbox/deliveries",
                axum::routing::get(move || async move { huge }),
            ),
    )
    .await;
    let url = format!("http://{html}/api");
    let not = json_error(
        &api.run_bare(
            &[],
            &["--json", "--base-url", &url, "sandbox", "advance", "1m"],
        )
        .await,
    );
    assert_eq!(not["code"], "not_a_sandbox", "{not}");
    assert_eq!(not["exit"], 3, "{not}");
    assert!(
        not["hint"]
            .as_str()
            .is_some_and(|h| h.contains("--base-url")),
        "{not}"
    );
    let large = json_error(
        &api.run_bare(
            &[],
            &["--json", "--base-url", &url, "sandbox", "deliveries"],
        )
        .await,
    );
    assert_eq!(
        (large["code"].as_str(), large["exit"].as_u64()),
        (Some("body_too_large"), Some(3)),
        "{large}"
    );

    let closed = format!("http://127.0.0.1:{}/api", crate::support::closed_port());
    let unreachable = json_error(
        &api.run_bare(
            &[],
            &["--json", "--base-url", &closed, "sandbox", "deliveries"],
        )
        .await,
    );
    assert_eq!(unreachable["code"], "connect_failed", "{unreachable}");
    assert!(
        unreachable["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("cannot reach the sandbox at http://127.0.0.1:")),
        "{unreachable}"
    );

    // A sub-second advance is refused before the base URL is looked at.
    let half = json_error(
        &api.run_bare(&[], &["--json", "sandbox", "advance", "1.5s"])
            .await,
    );
    assert_eq!(
        (half["code"].as_str(), half["exit"].as_u64()),
        (Some("invalid_value"), Some(2)),
        "{half}"
    );
    assert_eq!(half["hint"], "advance by 1s or 2s", "{half}");
    assert!(
        half["message"]
            .as_str()
            .is_some_and(|m| m.contains("whole seconds, not 1.5s")),
        "{half}"
    );
}

//! `cryptopocket api <operationId>`: any operation of the spec, sent with the client's
//! authentication, the envelope printed (redacted).

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    http::{HeaderMap, Uri, header::CONTENT_TYPE},
    routing::post,
};
use cryptopocket::api::operations;
use serde_json::{Value, json};

use crate::{
    faults::{Canned, SECRET, TOKEN, api as with_token, json_200},
    sandbox::{Api, WALLET},
    support::{blocking, cli_for, failed, json_error, serve, stderr, stdout},
};

/// Each body goes in the media type the operation table gives (from the spec): a form for
/// the webhook subscription, JSON for a payment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_body_is_sent_in_the_spec_s_media_type() {
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = Arc::clone(&seen);
    let router = Router::new()
        .route(
            "/api/authenticate",
            post(|| async { Json(json!({"status": "ok", "data": {"token": "tok"}})) }),
        )
        .fallback(move |uri: Uri, headers: HeaderMap| {
            let kind = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
            let kind = kind.unwrap_or_default().to_owned();
            record
                .lock()
                .expect("seen")
                .push((uri.path().to_owned(), kind));
            async { Json(json!({"status": "ok", "data": {}})) }
        });
    let url = format!("http://{}/api", serve(router).await);
    for args in [
        ["subscribeToWebhook", "--field", "type=COINS_SENT"],
        ["createPayment", "--field", "user_id=1"],
    ] {
        let mut command = cli_for(&url, "pk_test", "sk_test");
        command.arg("api").args(args);
        let output = blocking(move || command.output().expect("run api")).await;
        assert!(output.status.success(), "{output:?}");
    }
    let seen = seen.lock().expect("seen").clone();
    let path = |op: &cryptopocket::api::Operation| format!("/api{}", op.path);
    assert_eq!(
        seen,
        [
            (
                path(&operations::SUBSCRIBE_TO_WEBHOOK),
                "application/x-www-form-urlencoded".to_owned()
            ),
            (
                path(&operations::CREATE_PAYMENT),
                "application/json".to_owned()
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_operation_is_sent_and_its_envelope_printed() {
    let api = Api::start().await;
    // A GET with no parameters.
    let output = api.run(&["api", "getAvailableAssets"]).await;
    assert!(output.status.success(), "{output:?}");
    let envelope: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(envelope["status"], "ok", "{envelope}");
    assert!(envelope["data"].as_array().is_some_and(|a| !a.is_empty()));
    // A POST with a JSON body; typed values.
    let user = api.customer("ana-api@example.com", true).await;
    let output = api
        .run(&[
            "api",
            "createPayment",
            "--field",
            &format!("user_id={user}"),
            "--field",
            "fiat_amount=150.50",
            "--field",
            "fiat_symbol=EUR",
            "--field",
            "coin_symbol=USDC",
            "--field",
            "coin_chain=polygon",
            "--raw-field",
            &format!("wallet={WALLET}"),
            "--field",
            "payment_type=card",
        ])
        .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let created: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let id = created["data"]["payment_id"]
        .as_str()
        .or_else(|| created["data"]["id"].as_str())
        .unwrap_or_else(|| panic!("a payment id: {created}"))
        .to_owned();
    assert_eq!(api.requests("createPayment"), 1);
    // A path parameter.
    let output = api
        .run(&["api", "getPayment", "--path", &format!("payment_id={id}")])
        .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let payment: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(payment["data"]["id"], id.as_str(), "{payment}");
    // A query parameter.
    let output = api
        .run(&["api", "listPayments", "--query", "per_page=1"])
        .await;
    let page: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1), "{page}");
    // A form-urlencoded body (webhook subscription).
    let output = api
        .run(&[
            "api",
            "subscribeToWebhook",
            "--field",
            "type=COINS_SENT",
            "--field",
            "url=http://127.0.0.1:9/hook",
        ])
        .await;
    assert!(
        output.status.success(),
        "{}: {}",
        stdout(&output),
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_envelope_is_printed_and_exits_1() {
    let api = Api::start().await;
    let output = api
        .run(&["--json", "api", "checkKyc", "--field", "user_id=424242"])
        .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let envelope: Value = serde_json::from_slice(&output.stdout).expect("the envelope");
    assert_eq!(envelope["error"], "user_not_found", "{envelope}");
    let error = json_error(&output);
    assert_eq!(error["code"], "user_not_found");
    assert_eq!(error["operation"], "checkKyc");
    assert_eq!(error["api_code"], "user_not_found");
    // Told as the typed commands tell it: the same hint, the same rule for a create that
    // may have acted.
    assert!(
        error["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("customers find"),
        "{error}"
    );
    assert_eq!(error["may_have_reached_server"], false, "{error}");
    api.control().fail_next("createPayment", "unexpected_error");
    let output = api
        .run(&["--json", "api", "createPayment", "--field", "user_id=1"])
        .await;
    let error = json_error(&output);
    assert_eq!(error["code"], "unexpected_error", "{error}");
    assert_eq!(error["may_have_reached_server"], true, "{error}");
    assert!(
        error["advice"]
            .as_str()
            .unwrap_or_default()
            .contains("payments list"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_operations_and_missing_path_parameters_are_usage_errors() {
    let api = Api::start().await;
    let output = api.run(&["api", "getpaymnet"]).await;
    let stderr = failed(&output, 2);
    assert!(stderr.contains("getPayment"), "{stderr}");
    let output = api.run(&["--json", "api", "listCustomer"]).await;
    let error = json_error(&output);
    assert_eq!(error["code"], "unknown_operation");
    assert!(
        error["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("listCustomers")
    );
    let stderr = failed(&api.run(&["api", "getPayment"]).await, 2);
    assert!(stderr.contains("--path payment_id="), "{stderr}");
    let stderr = failed(&api.run(&["api", "authenticate"]).await, 2);
    assert!(stderr.contains("auth check"), "{stderr}");
    // Nothing was sent for any of them.
    assert_eq!(api.control().exchanges().len(), 0);
}

#[test]
fn the_envelope_is_redacted() {
    let body = format!(r#"{{"status":"ok","data":{{"id":"p1","holder":"{SECRET} {TOKEN}"}}}}"#);
    let server = Canned::start(with_token(json_200(&body)));
    let output = cli_for(&server.url(), "pk_test", SECRET)
        .args(["api", "getPayment", "--path", "payment_id=p1", "-vv"])
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    assert!(printed.contains("[redacted]"), "{printed}");
    assert!(
        !printed.contains(SECRET) && !printed.contains(TOKEN),
        "{printed}"
    );
    assert_eq!(server.count("/api/payment/p1"), 1);
}

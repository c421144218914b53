//! `--json` failures: one JSON object on stderr, whatever failed, with `code`, `message`,
//! `hint`, `operation`, `exit` and `may_have_reached_server`.

use crate::{
    sandbox::Api,
    support::{cli, cli_for, closed_port, json_error, payments_create},
};

#[test]
fn usage_errors_from_clap_are_one_json_object() {
    for (args, code) in [
        (
            &["--json", "payments", "list", "--per-page", "500"][..],
            "invalid_value",
        ),
        (
            &["payments", "list", "--json", "--no-such-flag"][..],
            "unknown_argument",
        ),
        (&["payments", "get", "--json"][..], "missing_argument"),
    ] {
        let output = cli().args(args).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty());
        let error = json_error(&output);
        assert_eq!(error["code"], code, "{args:?}: {error}");
        assert_eq!(error["exit"], 2);
        assert_eq!(error["may_have_reached_server"], false);
        assert_eq!(error["operation"], serde_json::Value::Null);
    }
}

#[test]
fn configuration_and_transport_failures_are_one_json_object() {
    let output = cli()
        .args(["--json", "assets", "list"])
        .output()
        .expect("run");
    let error = json_error(&output);
    assert_eq!(error["code"], "missing_credentials", "{error}");
    assert!(
        error["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("CRYPTOPOCKET_API_KEY")
    );

    let url = format!("http://127.0.0.1:{}/api", closed_port());
    let output = cli_for(&url, "pk", "sk-secret-value")
        .args(["assets", "list", "--json"])
        .output()
        .expect("run");
    let error = json_error(&output);
    assert_eq!(error["exit"], 3, "{error}");
    assert_eq!(error["code"], "connect_failed", "{error}");
    assert_eq!(error["operation"], "authenticate", "{error}");
    assert_eq!(error["may_have_reached_server"], false, "{error}");
    assert!(
        error["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("--base-url")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_refusals_carry_the_apis_code_and_operation() {
    let api = Api::start().await;
    let output = api.run(&["kyc", "status", "424242", "--json"]).await;
    let error = json_error(&output);
    assert_eq!(error["code"], "user_not_found", "{error}");
    assert_eq!(error["api_code"], "user_not_found", "{error}");
    assert_eq!(error["operation"], "checkKyc", "{error}");
    assert_eq!(error["exit"], 1, "{error}");
    assert_eq!(error["may_have_reached_server"], false, "{error}");
    assert!(
        error["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("customers find")
    );
    // A create refused by the sandbox's injected unexpected_error may have reached it: the
    // look-up is in `hint` and in `lookup`.
    let user = api.customer("ana-json@example.com", true).await;
    api.control().fail_next("createPayment", "unexpected_error");
    let mut create = payments_create(&user, "50");
    create.extend(["--json", "--external-id", "order-json"]);
    let output = api.run(&create).await;
    let error = json_error(&output);
    assert_eq!(error["code"], "unexpected_error", "{error}");
    assert_eq!(error["may_have_reached_server"], true, "{error}");
    assert_eq!(error["operation"], "createPayment", "{error}");
    let hint = error["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("--external-id order-json"), "{error}");
    assert!(
        error["lookup"]
            .as_str()
            .unwrap_or_default()
            .contains("order-json")
    );
}

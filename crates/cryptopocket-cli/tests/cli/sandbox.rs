//! Every API subcommand against an in-process sandbox (manual clock: time moves only when a
//! test says), with its output and exit code, and each API error class.

use std::{process::Output, time::Duration};

use cryptopocket_sandbox::{Control, Sandbox};
use serde_json::Value;

use crate::support::{
    blocking, cli_for, failed, offramp_create, payments_create, payments_create_guided, stderr,
    stdout,
};

pub const WALLET: &str = "0x52908400098527886E0F7030069857D2E4169EE7";
const IBAN: &str = "ES9121000418450200051332";

/// A sandbox and what the binary needs to reach it (the other modules use it too).
pub struct Api {
    pub sandbox: Sandbox,
    pub url: String,
    pub key: String,
    pub secret: String,
}

impl Api {
    pub async fn start() -> Self {
        let sandbox = Sandbox::start().await.expect("start the sandbox");
        Self {
            url: sandbox.base_url().to_owned(),
            key: sandbox.api_key().to_owned(),
            secret: sandbox.api_secret().to_owned(),
            sandbox,
        }
    }

    pub fn control(&self) -> Control {
        self.sandbox.control()
    }

    /// Runs the binary with `args` on a blocking thread, so the sandbox keeps serving.
    pub async fn run(&self, args: &[&str]) -> Output {
        let (url, key, secret) = (self.url.clone(), self.key.clone(), self.secret.clone());
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        blocking(move || {
            cli_for(&url, &key, &secret)
                .args(&args)
                .output()
                .expect("run the binary")
        })
        .await
    }

    /// Runs the binary with `args` and the extra environment `envs`, with no credentials in
    /// the environment (for tests that give them as flags).
    pub async fn run_bare(&self, envs: &[(&str, &str)], args: &[&str]) -> Output {
        let envs: Vec<(String, String)> = envs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        blocking(move || {
            crate::support::cli()
                .envs(envs)
                .args(&args)
                .output()
                .expect("run the binary")
        })
        .await
    }

    /// Runs `args` with the sandbox's credentials and the extra environment `envs`.
    pub async fn run_env(&self, envs: &[(&str, &str)], args: &[&str]) -> Output {
        let mut all = vec![
            ("CRYPTOPOCKET_BASE_URL", self.url.as_str()),
            ("CRYPTOPOCKET_API_KEY", self.key.as_str()),
            ("CRYPTOPOCKET_API_SECRET", self.secret.as_str()),
        ];
        all.extend_from_slice(envs);
        self.run_bare(&all, args).await
    }

    /// Runs `--json args`, expects success, and parses stdout.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.run(&all).await;
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", stdout(&output)))
    }

    /// Runs `args`, expects exit code `code`, and returns stderr.
    pub async fn fails(&self, code: i32, args: &[&str]) -> String {
        let output = self.run(args).await;
        assert_eq!(output.status.code(), Some(code), "{args:?}: {output:?}");
        assert!(
            output.stdout.is_empty(),
            "{args:?} printed {}",
            stdout(&output)
        );
        stderr(&output)
    }

    /// Registers a customer and, with `verified`, lets KYC pass.
    pub async fn customer(&self, email: &str, verified: bool) -> String {
        let customer = self
            .json(&["customers", "register", "--name", "Ana", "--email", email])
            .await;
        if verified {
            self.control().advance(Duration::from_secs(3600));
        }
        customer["id"].to_string()
    }

    /// Subscribes `url` to COINS_SENT with `webhooks subscribe`, which must succeed; what it
    /// printed.
    pub async fn subscribe(&self, url: &str) -> Value {
        let args = [
            "webhooks",
            "subscribe",
            "--type",
            "COINS_SENT",
            "--url",
            url,
        ];
        self.json(&args).await
    }

    /// Sells 20 BUSD for `user`; returns the created off-ramp.
    pub async fn offramp(&self, user: &str) -> Value {
        self.json(&offramp_create(user, IBAN)).await
    }

    /// Pays payment `id` (`sandbox pay`), moves the clock an hour on (`sandbox advance 1h`,
    /// past `coins_sent`), both of which must succeed, and lets the webhooks settle.
    pub async fn pay_and_advance(&self, id: &str) {
        for args in [&["sandbox", "pay", id][..], &["sandbox", "advance", "1h"]] {
            let output = self.run(args).await;
            assert!(output.status.success(), "{args:?}: {output:?}");
        }
        self.control().settle().await;
    }

    /// How many requests of `operation_id` the sandbox has answered.
    pub fn requests(&self, operation_id: &str) -> usize {
        self.control()
            .exchanges()
            .iter()
            .filter(|e| e.operation_id == operation_id)
            .count()
    }

    /// A card payment of 150.50 EUR for a verified customer; returns its id.
    pub async fn payment(&self, user: &str, payment_type: &str) -> String {
        let mut create = payments_create(user, "150.50");
        create.extend(["--payment-type", payment_type, "--external-id", "order-17"]);
        let created = self.json(&create).await;
        // What the customer does next, tagged by kind.
        let kind = if payment_type == "transfer" {
            "bank_transfer"
        } else {
            "redirect"
        };
        assert_eq!(created["instructions"]["kind"], kind, "{created}");
        created["payment_id"]
            .as_str()
            .expect("a payment id")
            .to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_check_authenticates_and_prints_no_token_or_secret() {
    let api = Api::start().await;
    let output = api.run(&["auth", "check"]).await;
    assert!(output.status.success(), "{output:?}");
    let printed = stdout(&output);
    assert!(printed.starts_with("authenticated: "), "{printed}");
    assert!(
        printed.contains(&api.key),
        "names the key it checked: {printed}"
    );

    let checked = api.json(&["auth", "check"]).await;
    assert_eq!(checked["authenticated"], true, "{checked}");
    assert_eq!(checked["base_url"], api.url.as_str(), "{checked}");

    // It called Authentication, and only that, each time; the token it got stays unprinted.
    let exchanges = api.control().exchanges();
    let operations: Vec<&str> = exchanges.iter().map(|e| e.operation_id).collect();
    assert_eq!(operations, ["authenticate", "authenticate"]);
    for exchange in &exchanges {
        let body: Value = serde_json::from_str(&exchange.body).expect("a JSON answer");
        let token = body["data"]["token"].as_str().expect("a token");
        assert!(!printed.contains(token) && !checked.to_string().contains(token));
    }
    assert!(!printed.contains(&api.secret) && !checked.to_string().contains(&api.secret));

    // The right key with a wrong secret: the API's refusal, exit 1, the secret unprinted.
    let output = blocking({
        let (url, key) = (api.url.clone(), api.key.clone());
        move || {
            cli_for(&url, &key, "sk-wrong-secret-123")
                .args(["auth", "check"])
                .output()
                .expect("run")
        }
    })
    .await;
    let stderr = failed(&output, 1);
    assert!(
        stderr.starts_with("error: authorization_incorrect: "),
        "{stderr}"
    );
    assert!(stderr.contains("CRYPTOPOCKET_API_SECRET"), "{stderr}");
    assert!(!stderr.contains("sk-wrong-secret-123"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_prices_methods_and_quotes() {
    let api = Api::start().await;
    let table = api.run(&["assets", "list"]).await;
    assert!(table.status.success());
    assert!(stdout(&table).contains("USDC") && stdout(&table).contains("polygon"));

    let assets = api.json(&["assets", "list"]).await;
    assert!(assets.as_array().is_some_and(|a| !a.is_empty()), "{assets}");
    let price = api
        .json(&["assets", "price", "--symbol", "USDC", "--chain", "polygon"])
        .await;
    assert!(price["price"].is_string(), "decimals are strings: {price}");

    let methods = api.json(&["payments", "methods"]).await;
    assert!(
        methods
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["payment_type"] == "card")),
        "{methods}"
    );
    let quote = api
        .json(&["payments", "quote", "--amount", "100", "--symbol", "USDC"])
        .await;
    assert!(quote["coin_amount"].is_string(), "{quote}");
    // Flat, and no `raw` copy of the wire shape: every field is the crate's own.
    assert_eq!(quote["symbol"], "USDC", "{quote}");
    assert!(quote.get("raw").is_none(), "{quote}");
    let quote = api
        .json(&["offramp", "quote", "--amount", "100", "--symbol", "USDC"])
        .await;
    assert!(quote["fiat_amount"].is_string(), "{quote}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_and_kyc() {
    let api = Api::start().await;
    let id = api.customer("ana@example.com", false).await;
    let kyc = api.json(&["kyc", "status", &id]).await;
    assert_eq!(kyc["kyc_status"], "unused");
    api.control().advance(Duration::from_secs(3600));
    let kyc = api.json(&["kyc", "status", &id]).await;
    assert_eq!(kyc["kyc_status"], "valid");
    assert_eq!(kyc["is_final"], true);
    assert_eq!(kyc["user_id"].to_string(), id);
    // The fields in this order, in the JSON record and the table alike.
    for args in [
        &["--json", "kyc", "status", &id][..],
        &["kyc", "status", &id],
    ] {
        let text = stdout(&api.run(args).await);
        let at = ["user_id", "kyc_status", "is_final", "kyc_form_url"].map(|field| {
            text.find(field)
                .unwrap_or_else(|| panic!("{args:?}: no {field}: {text}"))
        });
        assert!(at.is_sorted(), "{args:?}: {text}");
    }
    let link = api.json(&["kyc", "enhanced-link", &id]).await;
    assert!(link["url"].as_str().is_some_and(|u| u.starts_with("http")));

    let found = api
        .json(&["customers", "find", "--email", "ana@example.com"])
        .await;
    assert_eq!(found["id"].to_string(), id);
    let failing = api.customer("bo@kyc-fail.example", true).await;
    assert_eq!(
        api.json(&["kyc", "status", &failing]).await["kyc_status"],
        "fail"
    );
    let all = api.json(&["customers", "list"]).await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    let first = api.json(&["customers", "list", "--limit", "1"]).await;
    assert_eq!(first.as_array().map(Vec::len), Some(1), "{first}");

    let company = api
        .json(&[
            "customers",
            "register-company",
            "--email",
            "ops@acme.example",
            "--company-name",
            "Acme S.L.",
        ])
        .await;
    assert!(company["kyb_link"].is_string() && company["password"].is_string());

    let dir = tempfile::tempdir().expect("temp dir");
    let image = dir.path().join("front.png");
    std::fs::write(&image, b"\x89PNG\r\n\x1a\nsandbox").expect("write an image");
    let image = image.to_str().expect("utf-8 path");
    let mut register = vec!["customers", "register-delegated", "--name", "Carla"];
    register.extend(["--email", "carla@example.com", "--country", "ES"]);
    register.extend(["--document-type", "DNI", "--document-number", "12345678Z"]);
    for flag in ["--document-front", "--document-back", "--selfie"] {
        register.extend([flag, image]);
    }
    let delegated = api.json(&register).await;
    assert!(delegated["id"].is_number(), "{delegated}");

    let statement = dir.path().join("statement.pdf");
    std::fs::write(&statement, b"%PDF-1.4 sandbox").expect("write a pdf");
    let uploaded = api
        .run(&[
            "customers",
            "upload-document",
            &id,
            "--type",
            "bank_statement",
            "--file",
            statement.to_str().expect("utf-8 path"),
        ])
        .await;
    assert!(uploaded.status.success(), "{}", stderr(&uploaded));
    assert!(stdout(&uploaded).contains("uploaded the bank_statement"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_exit_1_with_code_and_message() {
    let api = Api::start().await;
    let stderr = api.fails(1, &["kyc", "status", "999999"]).await;
    assert!(stderr.starts_with("error: user_not_found: "), "{stderr}");

    let register = [
        "customers",
        "register",
        "--name",
        "X",
        "--email",
        "x@mailinator.com",
    ];
    let stderr = api.fails(1, &register).await;
    assert!(stderr.contains("error: email_not_allowed: "), "{stderr}");

    // require_kyc carries the KYC form's URL.
    let unverified = api.customer("new@example.com", false).await;
    let stderr = api
        .fails(1, &payments_create_guided(&unverified, "50"))
        .await;
    assert!(stderr.contains("error: require_kyc: "), "{stderr}");
    assert!(stderr.contains("complete KYC at: http"), "{stderr}");

    // Below the minimum.
    api.control().advance(Duration::from_secs(3600));
    let stderr = api
        .fails(1, &payments_create_guided(&unverified, "10"))
        .await;
    assert!(stderr.contains("error: min_purchase: "), "{stderr}");

    // A 422 lists each field's message.
    let company = [
        "customers",
        "register-company",
        "--email",
        "nope",
        "--company-name",
        "Acme",
    ];
    let stderr = api.fails(1, &company).await;
    assert!(stderr.contains("rejected the input"), "{stderr}");
    assert!(stderr.contains("\n  email: "), "{stderr}");

    // An injected server failure.
    let payment = api.payment(&unverified, "card").await;
    api.control().fail_next("getPayment", "unexpected_error");
    let stderr = api.fails(1, &["payments", "get", &payment]).await;
    assert!(stderr.contains("error: unexpected_error: "), "{stderr}");

    // Wrong credentials.
    let output = blocking({
        let url = api.url.clone();
        move || {
            cli_for(&url, "pk_wrong", "sk_wrong")
                .args(["assets", "list"])
                .output()
                .expect("run")
        }
    })
    .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        crate::support::stderr(&output).contains("authorization_incorrect"),
        "{output:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_create_get_and_list_in_euros() {
    let api = Api::start().await;
    let user = api.customer("ana@example.com", true).await;
    let id = api.payment(&user, "card").await;

    let payment = api.json(&["payments", "get", &id]).await;
    assert_eq!(
        payment["fiat_amount"], "150.50",
        "euros, not cents: {payment}"
    );
    assert_eq!(payment["status"], "started");
    assert_eq!(payment["external_id"], "order-17");
    assert_eq!(payment["user_id"].to_string(), user);

    let table = api.run(&["payments", "get", &id]).await;
    assert!(stdout(&table).contains("150.50"), "{}", stdout(&table));

    let mut args = payments_create_guided(&user, "100");
    args.extend(["--external-id", "order-18"]);
    let guided = api.json(&args).await;
    assert!(guided["gateway_url"].is_string(), "{guided}");

    let list = api.json(&["payments", "list"]).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let first = api.json(&["payments", "list", "--limit", "1"]).await;
    assert_eq!(first.as_array().map(Vec::len), Some(1), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_list_finds_payments_by_external_id_across_pages() {
    let api = Api::start().await;
    let user = api.customer("ana@example.com", true).await;
    // Two payments with the reference order-17, one with order-18.
    let first = api.payment(&user, "card").await;
    let second = api.payment(&user, "card").await;
    let mut args = payments_create_guided(&user, "100");
    args.extend(["--external-id", "order-18"]);
    api.json(&args).await;

    let ids = |list: &Value| -> Vec<String> {
        let mut ids: Vec<String> = list
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        ids.sort();
        ids
    };
    // One a page, so the filter reads page after page.
    let found = api
        .json(&[
            "payments",
            "list",
            "--external-id",
            "order-17",
            "--per-page",
            "1",
        ])
        .await;
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(ids(&found), expected, "{found}");
    // --limit counts the payments kept.
    let limited = api
        .json(&[
            "payments",
            "list",
            "--external-id",
            "order-17",
            "--limit",
            "1",
            "--per-page",
            "1",
        ])
        .await;
    assert_eq!(limited.as_array().map(Vec::len), Some(1), "{limited}");
    assert_eq!(limited[0]["external_id"], "order-17", "{limited}");
    let guided = api
        .json(&["payments", "list", "--external-id", "order-18"])
        .await;
    assert_eq!(guided.as_array().map(Vec::len), Some(1), "{guided}");
    let none = api
        .json(&["payments", "list", "--external-id", "order-99"])
        .await;
    assert_eq!(none, serde_json::json!([]));
    let table = api
        .run(&["payments", "list", "--external-id", "order-99"])
        .await;
    assert_eq!(stdout(&table), "(no results)\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_watch_reaches_coins_sent() {
    let api = Api::start().await;
    let user = api.customer("ana@example.com", true).await;
    let id = api.payment(&user, "card").await;

    // Watch polls every 50 ms while this test plays the payer and moves the clock.
    let watch = {
        let (url, key, secret, id) = (
            api.url.clone(),
            api.key.clone(),
            api.secret.clone(),
            id.clone(),
        );
        tokio::task::spawn_blocking(move || {
            cli_for(&url, &key, &secret)
                .args(["payments", "watch", &id, "--interval", "0.05"])
                .output()
                .expect("run watch")
        })
    };
    let control = api.control();
    tokio::time::sleep(Duration::from_millis(300)).await;
    control.pay(&id, "card").expect("pay");
    for _ in 0..50 {
        if watch.is_finished() {
            break;
        }
        control.advance(Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let output = watch.await.expect("watch thread");
    assert!(output.status.success(), "{output:?}");
    let printed = stdout(&output);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.first(), Some(&"started"), "{printed}");
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("coins_sent (txid ")),
        "{printed}"
    );
    // One line per change: no status repeats.
    let mut seen = lines.clone();
    seen.dedup();
    assert_eq!(seen, lines);

    // Already final: one JSON line and done.
    let output = api
        .run(&["--json", "payments", "watch", &id, "--interval", "0.05"])
        .await;
    assert!(output.status.success());
    let last: Value = serde_json::from_str(stdout(&output).trim()).expect("one JSON line");
    assert_eq!(last["status"], "coins_sent");
    assert!(last["txid"].is_string());

    // An unknown payment ends the watch with the API's error.
    let stderr = api
        .fails(
            1,
            &[
                "payments",
                "watch",
                "zzzzzzzzzzzzzzzzzzzzzzzzz",
                "--interval",
                "0.05",
            ],
        )
        .await;
    assert!(stderr.contains("error: "), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_transfer_reconciliation() {
    let api = Api::start().await;
    let user = api.customer("ana@example.com", true).await;
    let id = api.payment(&user, "transfer").await;
    let created = api.json(&["payments", "get", &id]).await;
    assert_eq!(created["status"], "started");
    let transaction = api.control().send_transfer(&id).expect("send the transfer");
    assert_eq!(
        api.json(&["payments", "get", &id]).await["status"],
        "pending_bank"
    );

    let accounts = api.json(&["bank-accounts", "list"]).await;
    assert!(
        accounts
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["iban"] == IBAN)),
        "{accounts}"
    );
    let transactions = api.json(&["bank-accounts", "transactions", IBAN]).await;
    assert!(
        transactions
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["id"] == transaction.as_str())),
        "{transactions}"
    );
    let limited = api
        .json(&["bank-accounts", "transactions", IBAN, "--limit", "1"])
        .await;
    assert_eq!(limited.as_array().map(Vec::len), Some(1));

    let reconciled = api
        .json(&[
            "bank-accounts",
            "reconcile",
            "--payment-id",
            &id,
            "--iban",
            IBAN,
            "--transaction-id",
            &transaction,
        ])
        .await;
    assert_eq!(reconciled["payment_id"], id.as_str(), "{reconciled}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offramp_operations() {
    let api = Api::start().await;
    let user = api.customer("ana@example.com", true).await;
    let created = api.offramp(&user).await;
    let id = created["id"].as_str().expect("an off-ramp id").to_owned();
    assert!(created["deposit_wallet"].is_string(), "{created}");

    let operation = api.json(&["offramp", "get", &id]).await;
    assert_eq!(operation["amount"], "20", "whole tokens: {operation}");
    api.control().advance(Duration::from_secs(3600));
    let operation = api.json(&["offramp", "get", &id]).await;
    assert_eq!(operation["status"], "finished", "{operation}");
    let list = api.json(&["offramp", "list"]).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_subscriptions() {
    let api = Api::start().await;
    let subscribed = api.subscribe("http://127.0.0.1:9/hook").await;
    assert_eq!(subscribed["result"], "subscription_created", "{subscribed}");
    let updated = api
        .run(&[
            "webhooks",
            "update",
            "--type",
            "COINS_SENT",
            "--url",
            "http://127.0.0.1:9/v2",
        ])
        .await;
    assert!(updated.status.success(), "{}", stderr(&updated));
    assert!(stdout(&updated).contains("subscription_updated"));
    let output = api
        .run(&[
            "webhooks",
            "subscribe",
            "--type",
            "KYC_DONE",
            "--url",
            "http://x/",
        ])
        .await;
    assert_eq!(output.status.code(), Some(2));
    // A URL the crate refuses is named by its flag, and nothing is sent.
    let before = api.requests("subscribeToWebhook");
    let url = ["webhooks", "subscribe", "--type", "PAY_IN", "--url"];
    let stderr = api
        .fails(2, &[&url[..], &["ftp://x.example/"]].concat())
        .await;
    assert!(stderr.contains("url must be an http(s) URL"), "{stderr}");
    assert!(stderr.contains("correct --url"), "{stderr}");
    assert_eq!(api.requests("subscribeToWebhook"), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_stream_every_page_and_limit_stops_early() {
    let api = Api::start().await;
    // Seed more customers than one page holds (15), in-process through the crate.
    let client = cryptopocket::Client::builder()
        .environment(cryptopocket::Environment::Custom(api.url.clone()))
        .credentials(api.key.clone(), api.secret.clone())
        .build()
        .expect("a client");
    for n in 0..17 {
        let request = cryptopocket::customers::NewCustomer::new(
            format!("Customer {n}"),
            format!("customer{n}@example.com"),
        );
        client.customers().create(&request).await.expect("register");
    }

    let all = api.json(&["customers", "list"]).await;
    assert_eq!(all.as_array().map(Vec::len), Some(17));
    assert_eq!(api.requests("listCustomers"), 2);

    let some = api.json(&["customers", "list", "--limit", "16"]).await;
    assert_eq!(some.as_array().map(Vec::len), Some(16));
    assert_eq!(api.requests("listCustomers"), 4);

    let few = api.json(&["customers", "list", "--limit", "3"]).await;
    assert_eq!(few.as_array().map(Vec::len), Some(3));
    assert_eq!(
        api.requests("listCustomers"),
        5,
        "--limit 3 reads one page only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_page_sets_the_page_size_of_every_list() {
    let api = Api::start().await;
    let user = api.customer("ana@example.com", true).await;
    for n in 0..2 {
        api.payment(&user, "card").await;
        api.offramp(&user).await;
        api.customer(&format!("more{n}@example.com"), false).await;
    }
    // One item a page: as many requests as items.
    for (list, operation) in [
        (&["customers", "list"][..], "listCustomers"),
        (&["payments", "list"], "listPayments"),
        (&["offramp", "list"], "listRampoffs"),
        (&["bank-accounts", "list"], "listBankAccounts"),
        (
            &["bank-accounts", "transactions", IBAN],
            "listBankAccountTransactions",
        ),
    ] {
        let mut args = list.to_vec();
        args.extend(["--per-page", "1"]);
        let items = api.json(&args).await;
        let count = items.as_array().map_or(0, Vec::len);
        assert!(count > 1, "{args:?}: {items}");
        assert_eq!(api.requests(operation), count, "{args:?}");
    }

    // Out of range: refused by the flag's parser, before any request.
    let stderr = api
        .fails(2, &["customers", "list", "--per-page", "101"])
        .await;
    assert!(
        stderr.contains("--per-page") && stderr.contains("1..=100"),
        "{stderr}"
    );
}

/// `bank-accounts transactions IBAN` and `flags`.
fn transactions<'a>(flags: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["bank-accounts", "transactions", IBAN];
    args.extend_from_slice(flags);
    args
}

/// The concepts of the transactions `flags` list, in the order listed.
async fn concepts(api: &Api, flags: &[&str]) -> Vec<String> {
    let listed = api.json(&transactions(flags)).await;
    let listed = listed.as_array().map_or(&[][..], Vec::as_slice);
    listed
        .iter()
        .filter_map(|t| t["concept"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_transactions_from_and_to() {
    let api = Api::start().await;
    let all = api.json(&transactions(&[])).await;
    let booked = |concept: &str| {
        all.as_array()
            .and_then(|a| a.iter().find(|t| t["concept"] == concept))
            .and_then(|t| t["booking_date"].as_str())
            .unwrap_or_else(|| panic!("no {concept} in {all}"))
            .to_owned()
    };
    // The sandbox's history: 60, 30 and 7 days before it started.
    let (fee, invoice) = (booked("Monthly account fee"), booked("INV-2026-0042"));

    assert_eq!(
        concepts(&api, &["--from", &fee, "--to", &invoice]).await,
        ["INV-2026-0042", "Monthly account fee"],
        "newest first, both ends inclusive"
    );
    assert_eq!(
        concepts(&api, &["--from", &invoice]).await,
        ["INV-2026-0042"]
    );
    assert_eq!(
        concepts(&api, &["--to", &fee]).await,
        ["Monthly account fee", "Initial funding"]
    );

    let backwards = api
        .fails(2, &transactions(&["--from", &invoice, "--to", &fee]))
        .await;
    assert!(backwards.contains("must not be after to"), "{backwards}");
    let not_a_date = api.fails(2, &transactions(&["--from", "01/04/2026"])).await;
    assert!(not_a_date.contains("YYYY-MM-DD"), "{not_a_date}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_find_looks_a_payment_up_by_external_id() {
    let api = Api::start().await;
    let user = api.customer("ana-find@example.com", true).await;
    let id = api.payment(&user, "card").await;
    let found = api
        .json(&["payments", "find", "--external-id", "order-17"])
        .await;
    assert_eq!(found["id"], id.as_str(), "{found}");
    let stderr = api
        .fails(1, &["payments", "find", "--external-id", "order-18"])
        .await;
    assert!(
        stderr.contains("no payment has the external id order-18"),
        "{stderr}"
    );
}

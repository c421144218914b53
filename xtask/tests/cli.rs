//! The xtask binary as CI and developers run it: exit codes, messages, and files left alone.

use std::{fs, path::Path, process::Command};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

fn real_spec() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    fs::read_to_string(root.join("openapi/cryptopocket.yaml")).unwrap()
}

fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(XTASK).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr)
}

#[test]
fn a_broken_spec_is_reported_and_the_generated_file_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    let out = dir.path().join("generated.rs");
    // A dangling $ref: progenitor would panic on it.
    let broken = real_spec().replacen(
        "$ref: \"#/components/schemas/Payment\"",
        "$ref: \"#/components/schemas/Paymnet\"",
        1,
    );
    assert_ne!(
        broken,
        real_spec(),
        "the spec no longer has the text this test edits"
    );
    fs::write(&spec, broken).unwrap();
    fs::write(&out, "checked-in code").unwrap();

    let (ok, stderr) = run(&[
        "gen",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);

    assert!(!ok);
    assert!(
        stderr.contains("error[ref-resolves] /components/schemas/")
            && stderr.contains("`#/components/schemas/Paymnet` does not resolve"),
        "{stderr}"
    );
    assert!(stderr.contains("was left untouched"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "checked-in code");
}

#[test]
fn unparsable_yaml_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    fs::write(&spec, "openapi: 3.0.3\npaths: [unclosed\n").unwrap();
    let (ok, stderr) = run(&["lint", "--spec", spec.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("cannot parse"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn check_fails_on_a_stale_file_and_passes_once_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    let out = dir.path().join("generated.rs");
    fs::write(&spec, real_spec()).unwrap();
    fs::write(&out, "stale").unwrap();
    let args = |check: bool| {
        let mut args = vec!["gen", "--spec", spec.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap()]);
        if check {
            args.push("--check");
        }
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run_owned = |args: Vec<String>| run(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let (ok, stderr) = run_owned(args(true));
    assert!(!ok);
    assert!(
        stderr.contains("-stale") && stderr.contains("is stale"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "stale",
        "--check never writes"
    );

    let (ok, stderr) = run_owned(args(false));
    assert!(ok, "{stderr}");
    let first = fs::read(&out).unwrap();
    let (ok, stderr) = run_owned(args(true));
    assert!(ok, "{stderr}");

    // A second generation is byte-identical and does not touch the file.
    let (ok, stderr) = run_owned(args(false));
    assert!(ok && stderr.contains("unchanged"), "{stderr}");
    assert_eq!(fs::read(&out).unwrap(), first);
}

/// Records a capture of the local sandbox through the `cryptopocket` client, driving most
/// operations (successes, a business error in a 200 envelope and a declared 404).
async fn record_sandbox_capture(dir: &Path) {
    use cryptopocket::{
        Client, Environment,
        assets::TokenPriceRequest,
        bank_accounts::NewReconciliation,
        customers::{CustomerLookup, NewCustomer},
        model::{EventType, Iban, PaymentType, TransactionId, UserId},
        offramp::{NewOffRamp, OffRampQuoteRequest},
        onramp::{NewGuidedPayment, NewPayment, PaymentMethodFilter, QuoteRequest},
        subscriptions::Subscription,
    };
    use rust_decimal::Decimal;

    let sandbox = cryptopocket_sandbox::Sandbox::start().await.unwrap();
    let control = sandbox.control();
    let client = Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_owned()))
        .credentials(sandbox.api_key(), sandbox.api_secret())
        .capture(dir)
        .build()
        .unwrap();
    client.authenticate().await.unwrap();
    client.assets().list().await.unwrap();
    client
        .assets()
        .token_price(
            &TokenPriceRequest::new("USDC")
                .chain("polygon")
                .fiat_symbol("EUR"),
        )
        .await
        .unwrap();
    let customer = NewCustomer::new("Alice", "alice@example.com")
        .surname("Liddell")
        .country("ES");
    let user = client.customers().create(&customer).await.unwrap().id;
    client.customers().list().page(1).await.unwrap();
    let lookup = CustomerLookup::by_email;
    client
        .customers()
        .find(&lookup("alice@example.com"))
        .await
        .unwrap();
    assert!(
        client
            .customers()
            .find(&lookup("nobody@example.com"))
            .await
            .is_err()
    );
    client.kyc().get(&user).await.unwrap();
    assert!(client.kyc().get(&UserId::new(987_654)).await.is_err());
    control.advance(std::time::Duration::from_secs(60));
    client.kyc().get(&user).await.unwrap();
    let onramp = client.onramp();
    onramp
        .payment_methods(&PaymentMethodFilter::new())
        .await
        .unwrap();
    onramp
        .quote(
            &QuoteRequest::new(Decimal::new(15050, 2), "USDC", PaymentType::Card).chain("polygon"),
        )
        .await
        .unwrap();
    let order = |payment_type, external_id: &str| {
        NewPayment::new(
            &user,
            Decimal::new(240, 0),
            "EUR",
            "USDC",
            "0xB51b2ce243bb1F88880bC8D287EBbfd7F695Ac55",
        )
        .coin_chain("polygon")
        .payment_type(payment_type)
        .external_id(external_id)
    };
    let created = onramp
        .create(&order(PaymentType::Card, "order-capture-1"))
        .await
        .unwrap();
    let transfer = onramp
        .create(&order(PaymentType::Transfer, "order-capture-3"))
        .await
        .unwrap();
    let transaction = control.send_transfer(transfer.payment_id.as_str()).unwrap();
    control.pay(created.payment_id.as_str(), "card").unwrap();
    control.advance(std::time::Duration::from_secs(60));
    onramp.get(&created.payment_id).await.unwrap();
    onramp
        .create_guided(
            &NewGuidedPayment::new(&user, Decimal::new(100, 0), "USDC", "polygon")
                .external_id("order-capture-2"),
        )
        .await
        .unwrap();
    onramp.list().page(1).await.unwrap();
    let offramp = client.offramp();
    offramp
        .quote(&OffRampQuoteRequest::new(Decimal::new(20, 0), "BUSD").blockchain("bsc"))
        .await
        .unwrap();
    let sale = offramp
        .create(
            &NewOffRamp::new(&user, Decimal::new(20, 0), "BUSD")
                .blockchain("bsc")
                .iban("ES76 2077 0024 0031 0257 5766"),
        )
        .await
        .unwrap();
    offramp.get(&sale.id).await.unwrap();
    offramp.list().page(1).await.unwrap();
    let bank = client.bank_accounts();
    bank.list().page(1).await.unwrap();
    // The sandbox's own account, which the transfer reached.
    let iban = Iban::new("ES9121000418450200051332").unwrap();
    bank.transactions(&iban).page(1).await.unwrap();
    let tx = TransactionId::new(transaction).unwrap();
    bank.reconcile(&NewReconciliation::new(&transfer.payment_id, &iban, &tx))
        .await
        .unwrap();
    client
        .webhooks()
        .subscribe(&Subscription::new(
            EventType::CoinsSent,
            "https://demo.com/hooks",
        ))
        .await
        .unwrap();
}

/// The capture files of `dir`, every line parsed.
fn capture_lines(dir: &Path) -> Vec<serde_json::Value> {
    let mut lines = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        lines.extend(text.lines().map(|l| serde_json::from_str(l).unwrap()));
    }
    lines
}

/// `lines` written as one capture file in a new directory.
fn write_capture(lines: &[serde_json::Value]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    fs::write(dir.path().join("capture-1-1.jsonl"), text).unwrap();
    dir
}

/// The findings `check-capture` prints (its notes left out), and whether it passed.
fn check_capture(dir: &Path) -> (bool, Vec<String>, String) {
    let output = Command::new(XTASK)
        .args(["check-capture", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let findings = stdout
        .lines()
        .filter(|l| !l.starts_with("note: "))
        .map(str::to_owned)
        .collect();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), findings, stderr)
}

#[tokio::test]
async fn a_sandbox_capture_checks_clean_and_an_altered_field_is_the_only_finding() {
    let recorded = tempfile::tempdir().unwrap();
    record_sandbox_capture(recorded.path()).await;
    let lines = capture_lines(recorded.path());
    let operations: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    assert!(operations.len() >= 20, "{operations:?}");

    let (ok, findings, stderr) = check_capture(recorded.path());
    assert!(ok && findings.is_empty(), "{findings:#?}\n{stderr}");
    assert!(
        stderr.contains(&format!("{} exchanges checked", lines.len()))
            && stderr.contains(" 0 findings"),
        "{stderr}"
    );

    let at = |operation: &str| {
        lines
            .iter()
            .position(|l| l["operation"] == operation && l["status"] == 200)
            .unwrap_or_else(|| panic!("no {operation} in the capture"))
    };
    // An amount turned into an object: one line, at that amount.
    let mut altered = lines.clone();
    altered[at("getPayment")]["response_body"]["data"]["fiat_amount"] =
        serde_json::json!({"cents": 24000});
    let (ok, findings, _) = check_capture(write_capture(&altered).path());
    assert!(!ok);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0].starts_with("getPayment /data/fiat_amount: expected ")
            && findings[0].contains(" got object  [")
            && findings[0].ends_with(']'),
        "{findings:#?}"
    );

    // A required id removed, inside a list: one line naming it and where to fix the spec.
    let mut altered = lines.clone();
    let listed = &mut altered[at("listPayments")]["response_body"]["data"][0];
    listed.as_object_mut().unwrap().remove("id").unwrap();
    let (ok, findings, _) = check_capture(write_capture(&altered).path());
    assert!(!ok);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0]
            .starts_with("listPayments /data/0/id: expected required property `id` got nothing  [")
            && findings[0].contains("#/components/schemas/"),
        "{findings:#?}"
    );
}

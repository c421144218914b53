//! The opt-in capture (`ClientBuilder::capture`): one redacted JSON line per exchange, the
//! secret, the token and personal data never on disk, bodies otherwise as the server sent
//! them, and calls that behave as they would without it.

use std::{path::Path, time::Duration};

use cryptopocket::{
    Client, Environment, Error,
    capture::REDACTED,
    model::{EventType, PaymentType},
    onramp::QuoteRequest,
    subscriptions::Subscription,
};
use cryptopocket_sandbox::Sandbox;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use wiremock::{
    Mock,
    matchers::{path, path_regex},
};

use crate::support::{
    AUTHENTICATE, client_builder, fast_retries, mock,
    sandbox::{KYC_DECIDED, person, purchase},
};

/// Every line of every capture file in `dir`, parsed.
fn lines(dir: &Path) -> (String, Vec<Value>) {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("capture-") && name.ends_with(".jsonl"),
            "{name}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name} is readable beyond its owner");
        }
        text.push_str(&std::fs::read_to_string(&path).unwrap());
    }
    let parsed = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    (text, parsed)
}

/// Whether `captured` is `sent` with some string values replaced by [`REDACTED`] and
/// nothing else changed; the first difference otherwise.
fn same_but_redacted(captured: &Value, sent: &Value, pointer: &str) -> Result<(), String> {
    match (captured, sent) {
        (Value::String(r), Value::String(_)) if r == REDACTED => Ok(()),
        // A URL whose `?token=` was replaced.
        (Value::String(r), Value::String(s))
            if r.contains("token=%3Credacted%3E")
                && s.split_once("token=").map(|(a, _)| a)
                    == r.split_once("token=").map(|(a, _)| a) =>
        {
            Ok(())
        }
        (Value::Object(c), Value::Object(s)) => {
            let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
            if keys(c) != keys(s) {
                return Err(format!("{pointer}: keys {:?} != {:?}", keys(c), keys(s)));
            }
            c.iter()
                .try_for_each(|(k, v)| same_but_redacted(v, &s[k], &format!("{pointer}/{k}")))
        }
        (Value::Array(c), Value::Array(s)) if c.len() == s.len() => c
            .iter()
            .zip(s)
            .enumerate()
            .try_for_each(|(i, (c, s))| same_but_redacted(c, s, &format!("{pointer}/{i}"))),
        (c, s) if c == s => Ok(()),
        (c, s) => Err(format!("{pointer}: captured {c} but sent {s}")),
    }
}

#[tokio::test]
async fn each_exchange_is_one_line_with_secrets_and_personal_data_redacted() {
    let sandbox = Sandbox::start().await.unwrap();
    let control = sandbox.control();
    let dir = tempfile::tempdir().unwrap();
    let client = Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_owned()))
        .credentials(sandbox.api_key(), sandbox.api_secret())
        .retry_policy(fast_retries(3))
        .capture(dir.path())
        .build()
        .unwrap();

    let user = client
        .customers()
        .create(&person("alice", "alice.liddell@example.com"))
        .await
        .unwrap()
        .id;
    control.advance(KYC_DECIDED);
    client.kyc().get(&user).await.unwrap();
    client
        .onramp()
        .quote(
            &QuoteRequest::new(Decimal::new(15050, 2), "USDC", PaymentType::Card).chain("polygon"),
        )
        .await
        .unwrap();
    let created = client
        .onramp()
        .create(&purchase(user, Decimal::new(240, 0), PaymentType::Card))
        .await
        .unwrap();
    client.onramp().get(&created.payment_id).await.unwrap();
    client
        .webhooks()
        .subscribe(&Subscription::new(
            EventType::CoinsSent,
            "https://demo.com/hooks",
        ))
        .await
        .unwrap();

    let (text, lines) = lines(dir.path());
    let exchanges = control.exchanges();
    assert_eq!(lines.len(), exchanges.len(), "{text}");
    let operations: Vec<&str> = lines
        .iter()
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        [
            "authenticate",
            "registerUser",
            "checkKyc",
            "getQuote",
            "createPayment",
            "getPayment",
            "subscribeToWebhook"
        ],
        "{text}"
    );

    // Nothing secret or personal reaches the file, in any form.
    let authenticated: Value = serde_json::from_str(&exchanges[0].body).unwrap();
    let token = authenticated["data"]["token"].as_str().unwrap();
    let wallet = crate::support::WALLET.to_owned();
    let created_body: Value = serde_json::from_str(&exchanges[4].body).unwrap();
    let gateway_url = created_body["data"]["url_payment"].as_str().unwrap();
    let (_, gateway_token) = gateway_url.split_once("token=").unwrap();
    for leaked in [
        sandbox.api_secret(),
        token,
        "alice.liddell@example.com",
        "Liddell",
        &wallet,
        gateway_token,
    ] {
        assert!(
            !text.contains(leaked),
            "{leaked} is in the capture:\n{text}"
        );
    }

    // Every response body is the server's, but for redacted strings; each line says what
    // matters about the exchange.
    for (line, exchange) in lines.iter().zip(&exchanges) {
        assert_eq!(line["operation"], exchange.operation_id);
        assert_eq!(line["method"], exchange.method.as_str());
        assert_eq!(line["status"], exchange.status);
        assert!(
            exchange.path.ends_with(line["path"].as_str().unwrap()),
            "{line}"
        );
        assert_eq!(
            line["headers"]["content-type"], "application/json",
            "{line}"
        );
        assert!(line["ts"].as_str().unwrap().ends_with('Z'), "{line}");
        let sent: Value = serde_json::from_str(&exchange.body).unwrap();
        same_but_redacted(&line["response_body"], &sent, "")
            .unwrap_or_else(|e| panic!("{}: {e}", exchange.operation_id));
    }
    assert_eq!(lines[0]["response_body"]["data"]["token"], REDACTED);
    // Request bodies: credentials and personal strings replaced, the rest as sent.
    assert_eq!(
        lines[0]["request_body"],
        json!({"api_key": REDACTED, "api_secret": REDACTED})
    );
    let registered = &lines[1]["request_body"];
    assert_eq!(registered["email"], REDACTED);
    assert_eq!(registered["country"], "ES");
    let payment = &lines[4]["request_body"];
    assert_eq!(payment["wallet"], REDACTED);
    assert_eq!(payment["coin_symbol"], "USDC");
    assert_eq!(payment["user_id"], json!(user.get()));
    assert_eq!(lines[4]["response_body"]["message"], "payment_created");
    // A form body is decoded into an object; the query is kept as an object.
    assert_eq!(
        lines[6]["request_body"],
        json!({"type": "COINS_SENT", "url": "https://demo.com/hooks"})
    );
    assert_eq!(lines[2]["query"]["user_id"], user.get().to_string());
}

#[tokio::test]
async fn a_capture_that_cannot_be_written_never_fails_the_call() {
    let server = mock::issuing("tok-unwritable-0001").await;
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"").unwrap();
    let client = client_builder(&server)
        .capture(blocker.join("below-a-file"))
        .build()
        .unwrap();
    client.authenticate().await.unwrap();
    assert_eq!(mock::count(&server, AUTHENTICATE).await, 1);
}

#[tokio::test]
async fn errors_come_out_as_without_capture_and_odd_bodies_are_recorded_masked() {
    const SECRET: &str = "secret-test";
    let big = "x".repeat(4096);
    let server = mock::issuing("tok-odd-bodies-0001").await;
    // A server exception quoting the request inside a JSON string.
    let exception = mock::json(
        200,
        json!({"status": "error", "error": "exception",
               "message": format!("SQL failed near api_secret={SECRET}")}),
    );
    Mock::given(path("/api/quote"))
        .respond_with(exception)
        .mount(&server)
        .await;
    // A proxy page that echoes the request, secret and token included.
    let proxy = mock::raw(
        502,
        "text/html",
        format!("<h1>Bad gateway</h1> api_secret={SECRET} auth=tok-odd-bodies-0001"),
    )
    .insert_header("retry-after", "120");
    Mock::given(path_regex("^/api/payment/"))
        .respond_with(proxy)
        .mount(&server)
        .await;
    mock::otherwise(&server, mock::raw(200, "application/json", big)).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_builder(&server)
        .retry_policy(fast_retries(1))
        .max_body_bytes(1024)
        .deadline(Duration::from_secs(5))
        .capture(dir.path())
        .build()
        .unwrap();

    let quote = QuoteRequest::new(Decimal::ONE, "USDC", PaymentType::Card);
    assert!(matches!(
        client.onramp().quote(&quote).await,
        Err(Error::Api(_))
    ));
    let id = cryptopocket::model::PaymentId::new("aBcDeFgHiJkLmNoPqRsTuVwXy").unwrap();
    match client.onramp().get(&id).await {
        Err(Error::UnexpectedStatus { status: 502, .. }) => {}
        other => panic!("expected the 502, got {other:?}"),
    }
    match client.onramp().list().page(1).await {
        Err(Error::BodyTooLarge { limit: 1024, .. }) => {}
        other => panic!("expected the cap, got {other:?}"),
    }

    let (text, mut lines) = lines(dir.path());
    assert_eq!(lines.len(), 4, "{text}");
    let exception = lines.remove(1);
    assert_eq!(
        exception["response_body"],
        json!({"status": "error", "error": "exception", "message": REDACTED})
    );
    assert!(
        !text.contains(SECRET) && !text.contains("tok-odd-bodies-0001"),
        "{text}"
    );
    let proxy = &lines[1];
    assert_eq!(proxy["operation"], "getPayment");
    assert_eq!(proxy["status"], 502);
    assert_eq!(proxy["headers"]["retry-after"], "120");
    assert_eq!(proxy["headers"]["content-type"], "text/html");
    let excerpt = proxy["response_text"].as_str().unwrap();
    assert!(excerpt.starts_with("<h1>Bad gateway</h1>"), "{excerpt}");
    let capped = &lines[2];
    assert_eq!(capped["operation"], "listPayments");
    assert!(
        capped["error"].as_str().unwrap().contains("1024"),
        "{capped}"
    );
}

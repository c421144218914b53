//! `webhooks verify` and `webhooks listen`, with deliveries signed by the crate's
//! `WebhookSigner`.

use std::{
    io::{BufRead as _, BufReader, Read as _, Write as _},
    net::TcpStream,
    process::{Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use cryptopocket::webhooks::{DeliveryHeaders, WebhookSigner};
use predicates::prelude::*;
use secrecy::SecretString;
use tempfile::TempDir;

use crate::support::{ENV, cli};

const KEY: &str = "pk_test_hooks";
const SECRET: &str = "sk_test_hooks_secret";
const BODY: &[u8] =
    br#"{"type":"COINS_SENT","payment_id":"aBcDeFgHiJkLmNoPqRsTuVwXy","status":"coins_sent","txid":"0xabc"}"#;

fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_secs()).expect("seconds fit")
}

fn signed(body: &[u8]) -> DeliveryHeaders {
    WebhookSigner::new(KEY, SecretString::from(SECRET)).sign(body, now())
}

/// `webhooks verify` of `body` (saved in `dir`) with `headers`.
fn verify(dir: &TempDir, body: &[u8], headers: &DeliveryHeaders) -> assert_cmd::Command {
    let path = dir.path().join(format!("delivery-{}.json", unique()));
    std::fs::write(&path, body).expect("write the body");
    let mut command = cli();
    command
        .env("CRYPTOPOCKET_API_SECRET", SECRET)
        .args(["webhooks", "verify", "--body"])
        .arg(&path)
        .args(["--signature", &headers.signature])
        .args(["--timestamp", &headers.timestamp])
        .args(["--delivery-api-key", &headers.api_key]);
    command
}

/// A file name suffix unique within the test run.
fn unique() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn verify_accepts_a_correctly_signed_delivery() {
    let dir = tempfile::tempdir().expect("temp dir");
    let headers = signed(BODY);
    verify(&dir, BODY, &headers)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "verified COINS_SENT aBcDeFgHiJkLmNoPqRsTuVwXy coins_sent",
        ));
    let output = verify(&dir, BODY, &headers)
        .env("CRYPTOPOCKET_API_KEY", KEY)
        .arg("--json")
        .output()
        .expect("run");
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["verified"], true);
    assert_eq!(json["event_type"], "COINS_SENT");
    assert_eq!(json["status"], "coins_sent");
}

/// The view of a verified event: the legacy off-ramp name under the current one, no status
/// when none is sent, and no id for a type this version does not know.
#[test]
fn verify_shows_what_each_kind_of_event_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (body, event_type, id, status) in [
        (
            &br#"{"type":"RAMPOFF_FINISHED","id":"6f1c2a","status":"finished"}"#[..],
            "TRANSFER_RAMPOFF_FINISHED",
            serde_json::json!("6f1c2a"),
            serde_json::json!("finished"),
        ),
        (
            br#"{"type":"PAY_IN","payment_id":"aBcDeFgHiJkLmNoPqRsTuVwXy"}"#,
            "PAY_IN",
            serde_json::json!("aBcDeFgHiJkLmNoPqRsTuVwXy"),
            serde_json::Value::Null,
        ),
        (
            br#"{"type":"KYC_DONE","user_id":100067,"status":"valid"}"#,
            "KYC_DONE",
            serde_json::Value::Null,
            serde_json::Value::Null,
        ),
    ] {
        let output = verify(&dir, body, &signed(body))
            .arg("--json")
            .output()
            .expect("run");
        assert!(output.status.success(), "{output:?}");
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(json["event_type"], event_type, "{json}");
        assert_eq!(json["id"], id, "{json}");
        assert_eq!(json["status"], status, "{json}");
    }
}

#[test]
fn verify_rejects_a_tampered_delivery_with_exit_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let headers = signed(BODY);
    let tampered = String::from_utf8_lossy(BODY).replace("0xabc", "0xevil");
    verify(&dir, tampered.as_bytes(), &headers)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rejected"))
        .stderr(predicate::str::contains("X-Signature does not match"))
        .stderr(predicate::str::contains(SECRET).not());
    // A delivery for another integration's key, when ours is configured.
    verify(&dir, BODY, &headers)
        .env("CRYPTOPOCKET_API_KEY", "pk_someone_else")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("X-API-Key"));
    // Too old for the default window, fine with a wider one.
    let old = WebhookSigner::new(KEY, SecretString::from(SECRET)).sign(BODY, now() - 3600);
    verify(&dir, BODY, &old).assert().code(1);
    verify(&dir, BODY, &old)
        .args(["--tolerance", "7200"])
        .assert()
        .success();
}

#[test]
fn verify_needs_the_secret_and_a_readable_body() {
    let dir = tempfile::tempdir().expect("temp dir");
    let headers = signed(BODY);
    verify(&dir, BODY, &headers)
        .env_remove("CRYPTOPOCKET_API_SECRET")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("CRYPTOPOCKET_API_SECRET"));
    cli()
        .env("CRYPTOPOCKET_API_SECRET", SECRET)
        .args(["webhooks", "verify", "--body", "/nonexistent/delivery.json"])
        .args([
            "--signature",
            "00",
            "--timestamp",
            "1",
            "--delivery-api-key",
            KEY,
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/delivery.json"));
}

/// POSTs one delivery over plain HTTP/1.1 and returns the response's status code.
fn post(address: &str, body: &[u8], headers: &DeliveryHeaders) -> u16 {
    let mut stream = TcpStream::connect(address).expect("connect to the listener");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "POST /hooks HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nX-API-Key: {}\r\nX-Signature: {}\r\nX-Timestamp: {}\r\n\
         Connection: close\r\n\r\n",
        body.len(),
        headers.api_key,
        headers.signature,
        headers.timestamp
    );
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(body).expect("send body");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[test]
fn listen_answers_200_for_verified_and_401_for_rejected_deliveries() {
    let (child, address) = start_listener(&["--max-deliveries", "2"]);

    let headers = signed(BODY);
    assert_eq!(post(&address, BODY, &headers), 200);
    assert_eq!(post(&address, b"{\"type\":\"PAY_IN\"}", &headers), 401);

    let output = child.wait_with_output().expect("the listener stops");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        "verified COINS_SENT aBcDeFgHiJkLmNoPqRsTuVwXy coins_sent"
    );
    assert!(lines[1].starts_with("rejected: "), "{stdout}");
    assert!(!stdout.contains(SECRET));
}

/// Starts `webhooks listen` with `args`; the child and the address it listens on.
fn start_listener(args: &[&str]) -> (std::process::Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cryptopocket"));
    for name in ENV {
        command.env_remove(name);
    }
    let mut child = command
        .env("CRYPTOPOCKET_API_KEY", KEY)
        .env("CRYPTOPOCKET_API_SECRET", SECRET)
        .args(["webhooks", "listen", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the listener");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    stderr.read_line(&mut first).expect("the listening line");
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    (child, address)
}

#[test]
fn listen_with_a_store_applies_each_event_once_across_restarts() {
    let dir = TempDir::new().expect("a temporary directory");
    let store = format!("sqlite:{}", dir.path().join("inbox.db").display());
    let (child, address) = start_listener(&["--store", &store, "--max-deliveries", "2"]);
    assert_eq!(post(&address, BODY, &signed(BODY)), 200);
    assert_eq!(post(&address, BODY, &signed(BODY)), 200);
    let output = child.wait_with_output().expect("the listener stops");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "verified COINS_SENT aBcDeFgHiJkLmNoPqRsTuVwXy coins_sent",
            "duplicate COINS_SENT aBcDeFgHiJkLmNoPqRsTuVwXy coins_sent",
        ],
        "{stdout}"
    );

    // The file remembers: after a restart the same event is still a duplicate.
    let (child, address) = start_listener(&["--store", &store, "--max-deliveries", "1"]);
    assert_eq!(post(&address, BODY, &signed(BODY)), 200);
    let output = child.wait_with_output().expect("the listener stops");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.trim(),
        "duplicate COINS_SENT aBcDeFgHiJkLmNoPqRsTuVwXy coins_sent"
    );

    cli()
        .args(["webhooks", "listen", "--store", "redis:x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sqlite:PATH or postgres:URL"));
}

//! `payments watch` against a loopback server that answers Retrieve payment with canned
//! statuses the sandbox never produces: a rejection ends the watch at once (exit 1), an
//! unknown or stuck status ends it at `--max-wait` (exit 3) naming the status, a stalled
//! server cannot hold it past `--max-wait`, and `--max-wait` is bounded like `--timeout`.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::support::{blocking, cli_for, json_error, serve, stderr, stdout};

const ID: &str = "aBcDeFgHiJkLmNoPqRsTuVwXy";

/// A server whose payment `ID` goes through `statuses`, one per poll, then stays at the last;
/// with `stall`, Retrieve payment never answers in time.
struct Payments {
    url: String,
    polls: Arc<AtomicUsize>,
}

impl Payments {
    async fn start(statuses: &'static [&'static str]) -> Self {
        Self::serve(statuses, false).await
    }

    async fn serve(statuses: &'static [&'static str], stall: bool) -> Self {
        let polls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&polls);
        let router = Router::new()
            .route(
                "/api/authenticate",
                post(|| async { Json(json!({"status": "ok", "data": {"token": "tok"}})) }),
            )
            .route(
                "/api/payment/{id}",
                get(move || {
                    let poll = counter.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if stall {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                        }
                        let status = statuses[poll.min(statuses.len() - 1)];
                        Json(payment(status))
                    }
                }),
            );
        let address = serve(router).await;
        Self {
            url: format!("http://{address}/api"),
            polls,
        }
    }

    /// Runs `cryptopocket [--json] payments watch ID ARGS…`; returns its output and how
    /// long it took.
    async fn watch(&self, json: bool, args: &[&str]) -> (std::process::Output, Duration) {
        let mut command = cli_for(&self.url, "pk_test", "sk_test");
        if json {
            command.arg("--json");
        }
        command.args(["payments", "watch", ID]).args(args);
        blocking(move || {
            let started = Instant::now();
            let output = command.output().expect("run watch");
            (output, started.elapsed())
        })
        .await
    }

    fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }
}

/// Retrieve payment's documented answer (`tests/fixtures/getPayment.response.json`) with
/// `status`, and a `txid` once the crypto is sent.
fn payment(status: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/getPayment.response.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut body: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    assert_eq!(body["data"]["id"], ID, "{path}");
    body["data"]["status"] = json!(status);
    if status == "coins_sent" {
        body["data"]["txid"] = json!("0xabc");
    }
    body
}

/// Watches, with `--json` and `args`, a payment whose only status is `only[0]`: checks that
/// it exited with `code`, printed one JSON line naming the status and the failure as JSON
/// with `exit` that code; the server and that failure.
async fn watch_json_failing(
    only: &'static [&'static str; 1],
    args: &[&str],
    code: i32,
) -> (Payments, Value) {
    let status = only[0];
    let server = Payments::start(only).await;
    let (output, _) = server.watch(true, args).await;
    assert_eq!(output.status.code(), Some(code), "{status}: {output:?}");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1, "{status}: {lines:?}");
    assert_eq!(lines[0]["status"], status);
    let error = json_error(&output);
    assert_eq!(error["exit"], code, "{status}: {error}");
    (server, error)
}

/// The JSON lines a `--json` watch printed, one per status change.
fn json_lines(output: &std::process::Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_payment_ends_the_watch_at_once_with_exit_1() {
    let server = Payments::start(&["started", "payment_rejected"]).await;
    let (output, took) = server
        .watch(false, &["--interval", "0.05", "--max-wait", "60"])
        .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(stdout(&output), "started\npayment_rejected\n");
    let stderr = stderr(&output);
    assert!(
        stderr.starts_with(&format!(
            "error: payment {ID} was rejected (status `payment_rejected`)"
        )),
        "{stderr}"
    );
    // At once: no poll after the rejection, nowhere near the max wait.
    assert_eq!(server.polls(), 2);
    assert!(took < Duration::from_secs(10), "{took:?}");

    // With --json: one object per status on stdout, the failure as JSON on stderr.
    let (server, error) = watch_json_failing(
        &["payment_rejected"],
        &["--interval", "0.05", "--max-wait", "60"],
        1,
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("was rejected") && m.contains("payment_rejected")),
        "{error}"
    );
    assert_eq!(server.polls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coins_sent_ends_the_watch_with_success() {
    let server = Payments::start(&["started", "payment_received", "coins_sent"]).await;
    let (output, _) = server
        .watch(false, &["--interval", "0.05", "--max-wait", "60"])
        .await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout(&output),
        "started\npayment_received\ncoins_sent (txid 0xabc)\n"
    );
    assert_eq!(server.polls(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_status_ends_the_watch_at_max_wait_naming_it() {
    let server = Payments::start(&["started", "foo_bar"]).await;
    let (output, took) = server
        .watch(false, &["--interval", "0.2", "--max-wait", "1"])
        .await;
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    // Printed once, although polled until the wait was up.
    assert_eq!(stdout(&output), "started\nfoo_bar\n");
    assert!(server.polls() >= 3, "{}", server.polls());
    let stderr = stderr(&output);
    assert!(
        stderr.starts_with(&format!(
            "error: payment {ID} has no final status after 1 s: the last status seen is \
             `foo_bar`, which this version does not know"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "`foo_bar` is not a status this version knows; it may be final (a failure, a \
             refund, an expiry): look at the payment in the CryptoPocket dashboard"
        ),
        "{stderr}"
    );
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // With --json the outcome is machine-readable: the status on stdout, exit 3 on stderr.
    let (_, error) =
        watch_json_failing(&["foo_bar"], &["--interval", "0.2", "--max-wait", "0.5"], 3).await;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("after 0.5 s") && m.contains("`foo_bar`")),
        "{error}"
    );
    assert!(
        error["details"][0]
            .as_str()
            .is_some_and(|d| d.contains("not a status this version knows")),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_status_that_never_ends_names_itself_at_max_wait() {
    let server = Payments::start(&["pending_bank"]).await;
    let (output, _) = server
        .watch(false, &["--interval", "0.1", "--max-wait", "0.5"])
        .await;
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stderr = stderr(&output);
    assert!(
        stderr.starts_with(&format!(
            "error: payment {ID} has no final status after 0.5 s: the last status seen is \
             `pending_bank`\n"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("does not know"), "{stderr}");
    assert!(stderr.contains("raise --max-wait"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_cannot_hold_the_watch_past_max_wait() {
    let server = Payments::serve(&["started"], true).await;
    let (output, took) = server
        .watch(false, &["--interval", "0.1", "--max-wait", "0.5"])
        .await;
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(
        stderr(&output).starts_with(&format!(
            "error: payment {ID}: no status could be read within --max-wait (0.5 s)"
        )),
        "{output:?}"
    );
    // The client's own timeout (30 s by default) is not what ended it.
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn max_wait_out_of_range_is_a_usage_error_naming_the_flag() {
    let url = format!("http://127.0.0.1:{}/api", crate::support::closed_port());
    for value in [
        "1e30",
        "86400.5",
        "10000000000000000000",
        "0",
        "-1",
        "NaN",
        "soon",
    ] {
        let output = cli_for(&url, "pk_test", "sk_test")
            .args(["payments", "watch", ID, "--max-wait", value])
            .output()
            .expect("run");
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{value}: {stderr}");
        assert!(stderr.contains("--max-wait"), "{value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{value}: {stderr}");
        assert!(output.stdout.is_empty(), "{value}");
    }
}

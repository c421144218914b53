//! The third attacker's round: the opt-in capture against a directory that is not one, a
//! symlink planted where its file goes and a disk that is full; and `watch` against a
//! server that answers another payment than the one asked for, flips a final status back,
//! or fails now and then. Each case asserts the call's outcome, how many requests reached
//! the server and what landed on disk.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use cryptopocket::{Client, Error, watch::Outcome};
use serde_json::json;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::support::{
    CREATE_PAYMENT, GET_PAYMENT, client_builder, mock, payment_data, payment_id, payment_request,
};

/// Short, so only redaction by value can hide it.
const SECRET: &str = "Zq4/Wv8+Hn2";
/// The token the servers of this module issue.
const TOKEN: &str = "Tok3Jx7Rb";

/// A server issuing [`TOKEN`] that answers a read with the documented payment and a create
/// with its id.
async fn paying_server() -> MockServer {
    let server = mock::issuing(TOKEN).await;
    mock::on(&server, "GET", GET_PAYMENT, mock::ok(payment_data())).await;
    let created = mock::ok(json!({"payment_id": crate::support::PAYMENT_ID}));
    mock::on(&server, "POST", CREATE_PAYMENT, created).await;
    server
}

/// A client of `server` with [`SECRET`], one attempt a call, capturing into `dir`.
fn capturing(server: &MockServer, dir: &Path) -> Client {
    client_builder(server)
        .credentials("key-test", SECRET)
        .retry_policy(crate::support::fast_retries(1))
        .capture(dir)
        .build()
        .unwrap()
}

/// The name of this process's capture file (one a process, per directory), learnt from a
/// capture into a scratch directory.
async fn capture_file_name(server: &MockServer) -> std::ffi::OsString {
    let scratch = tempfile::tempdir().unwrap();
    capturing(server, scratch.path())
        .onramp()
        .get(&payment_id())
        .await
        .unwrap();
    let mut names = std::fs::read_dir(scratch.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name());
    let name = names.next().expect("a capture file");
    assert!(names.next().is_none(), "one capture file a directory");
    name
}

/// A read and a create through a client capturing into `dir`: both succeed, the create is
/// sent once.
async fn calls_succeed_capturing_into(server: &MockServer, dir: &Path) {
    let creates = mock::count(server, CREATE_PAYMENT).await;
    let client = capturing(server, dir);
    let payment = client.onramp().get(&payment_id()).await;
    assert!(payment.is_ok(), "{dir:?}: {payment:?}");
    let created = client.onramp().create(&payment_request("ORDER-CAP")).await;
    assert!(created.is_ok(), "{dir:?}: {created:?}");
    assert_eq!(mock::count(server, CREATE_PAYMENT).await, creates + 1);
}

/// A capture directory that cannot be one (a file, or below a file) or a capture file the
/// disk refuses (`/dev/full`, planted at the file's name): every call still succeeds and a
/// create is sent exactly once; the failed write is the capture's problem only.
#[tokio::test]
async fn a_capture_that_cannot_be_written_never_fails_or_repeats_a_call() {
    let server = paying_server().await;
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    calls_succeed_capturing_into(&server, &file).await;
    calls_succeed_capturing_into(&server, &file.join("below")).await;
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");

    #[cfg(unix)]
    if Path::new("/dev/full").exists() {
        let name = capture_file_name(&server).await;
        let full = root.path().join("full");
        std::fs::create_dir(&full).unwrap();
        std::os::unix::fs::symlink("/dev/full", full.join(&name)).unwrap();
        calls_succeed_capturing_into(&server, &full).await;
    }
}

/// A symlink planted at the capture file's (predictable) name, in a directory others can
/// write to, is not followed: the file it points at is left as it was, and the calls
/// succeed.
#[cfg(unix)]
#[tokio::test]
async fn a_symlink_at_the_capture_files_name_is_not_followed() {
    let server = paying_server().await;
    let name = capture_file_name(&server).await;
    let root = tempfile::tempdir().unwrap();
    let victim: PathBuf = root.path().join("victim");
    std::fs::write(&victim, b"precious\n").unwrap();
    let shared = root.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::os::unix::fs::symlink(&victim, shared.join(&name)).unwrap();
    calls_succeed_capturing_into(&server, &shared).await;
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "precious\n",
        "the capture followed a planted symlink"
    );
}

/// A FIFO planted at the capture file's name, which nobody reads: opening it to write
/// would block the call for ever. The calls end, and succeed. They run on a thread of
/// their own, so that a call stuck in `open` fails this test instead of hanging it.
#[cfg(unix)]
#[tokio::test]
async fn a_fifo_at_the_capture_files_name_does_not_block_the_call() {
    let server = paying_server().await;
    let name = capture_file_name(&server).await;
    let root = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(root.path().join(&name))
        .status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("no mkfifo here: skipped");
        return;
    }
    let (done, ended) = std::sync::mpsc::channel();
    let (origin, dir) = (server.uri(), root.path().to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let outcome = runtime.block_on(async move {
            let client = Client::builder()
                .environment(cryptopocket::Environment::Custom(format!("{origin}/api")))
                .credentials("key-test", SECRET)
                .capture(&dir)
                .build()
                .unwrap();
            client.onramp().get(&payment_id()).await.map(drop)
        });
        let _ = done.send(outcome);
    });
    let outcome = tokio::task::spawn_blocking(move || ended.recv_timeout(Duration::from_secs(20)))
        .await
        .unwrap()
        .expect("the call was stuck opening the FIFO");
    assert!(outcome.is_ok(), "{outcome:?}");
}

/// A server answering with JSON nested far past any parser's depth, and with the secret and
/// token as object keys and inside URLs' queries: the read fails or succeeds without a
/// panic, and the capture holds neither secret.
#[tokio::test]
async fn a_capture_of_hostile_bodies_holds_no_secret_and_nothing_panics() {
    let server = mock::issuing(TOKEN).await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    mock::on(
        &server,
        "GET",
        GET_PAYMENT,
        mock::raw(200, "application/json", deep),
    )
    .await;
    let mut data = payment_data();
    data["payment_id"] = json!(crate::support::PAYMENT_ID);
    data[SECRET] = json!(1);
    data[TOKEN] = json!({ TOKEN: TOKEN });
    data["url_payment"] = json!(format!("https://gw.example/pay?t={TOKEN}&s={SECRET}"));
    let echo = mock::ok(data);
    mock::on(&server, "POST", CREATE_PAYMENT, echo).await;
    let dir = tempfile::tempdir().unwrap();
    let client = capturing(&server, dir.path());
    let read = tokio::spawn({
        let client = client.clone();
        async move { client.onramp().get(&payment_id()).await.map(drop) }
    })
    .await
    .expect("the read did not panic");
    assert!(matches!(read, Err(Error::Decode { .. })), "{read:?}");
    let created = tokio::spawn(async move {
        let payment = payment_request("ORDER-ECHO");
        client.onramp().create(&payment).await.map(drop)
    })
    .await
    .expect("the create did not panic");
    assert!(created.is_ok(), "{created:?}");
    assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 1);
    let mut capture = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        capture.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(capture.lines().count() >= 3, "{capture}");
    let percent: String = form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    for secret in [SECRET, TOKEN, &percent, &SECRET.replace('/', "\\/")] {
        for window in secret.as_bytes().windows(6) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!capture.contains(window), "`{window}` in {capture}");
        }
    }
}

/// Answers each read with the documented payment, its id and status taken from the
/// script's next step (the last one again after the end); `None` is an HTTP 503.
struct Steps {
    steps: Vec<Option<(&'static str, &'static str)>>,
    polls: AtomicUsize,
}

impl Respond for Steps {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.polls.fetch_add(1, Ordering::SeqCst);
        let Some((id, status)) = self.steps[n.min(self.steps.len() - 1)] else {
            return mock::text(503, "busy");
        };
        let mut data = payment_data();
        data["id"] = json!(id);
        data["status"] = json!(status);
        if status == "coins_sent" {
            data["txid"] = json!("0xabc");
        }
        mock::ok(data)
    }
}

/// A server answering the reads of [`GET_PAYMENT`] with `steps`, and the watch's outcome
/// (every 5 ms, at most 3 s, reads of 3 fast attempts).
async fn watch_steps(
    steps: Vec<Option<(&'static str, &'static str)>>,
) -> (
    MockServer,
    Result<Outcome<cryptopocket::onramp::Payment>, Error>,
) {
    let server = mock::issuing(TOKEN).await;
    let script = Steps {
        steps,
        polls: AtomicUsize::new(0),
    };
    mock::on(&server, "GET", GET_PAYMENT, script).await;
    let client = client_builder(&server).build().unwrap();
    let outcome = client
        .onramp()
        .watch(&payment_id())
        .interval(Duration::from_millis(5))
        .max_wait(Duration::from_secs(3))
        .until_final()
        .await;
    (server, outcome)
}

const ASKED: &str = crate::support::PAYMENT_ID;

/// A final status flipped back to pending afterwards is never seen: the watch ends at the
/// first final status and polls no more.
#[tokio::test]
async fn a_final_status_flipped_back_is_never_polled_for() {
    let (server, outcome) = watch_steps(vec![
        Some((ASKED, "started")),
        Some((ASKED, "coins_sent")),
        Some((ASKED, "started")),
    ])
    .await;
    match outcome.unwrap() {
        Outcome::Succeeded(payment) => assert_eq!(payment.id.as_str(), ASKED),
        other => panic!("expected coins_sent, got {other:?}"),
    }
    assert_eq!(mock::count(&server, GET_PAYMENT).await, 2);
}

/// A server failing every other read with HTTP 503: each read retries it, so the watch
/// goes on to the final status; a read whose every attempt fails ends the watch with that
/// error, within the wait.
#[tokio::test]
async fn intermittent_503s_are_retried_and_persistent_ones_end_the_watch() {
    let (_server, outcome) = watch_steps(vec![
        Some((ASKED, "started")),
        None,
        Some((ASKED, "payment_received")),
        None,
        Some((ASKED, "coins_sent")),
    ])
    .await;
    assert!(matches!(outcome, Ok(Outcome::Succeeded(_))), "{outcome:?}");

    let started = std::time::Instant::now();
    let (server, outcome) = watch_steps(vec![Some((ASKED, "started")), None]).await;
    assert!(
        matches!(&outcome, Err(Error::UnexpectedStatus { status: 503, .. })),
        "{outcome:?}"
    );
    // The first read, then one read of three attempts.
    assert_eq!(mock::count(&server, GET_PAYMENT).await, 4);
    assert!(started.elapsed() < Duration::from_secs(5), "{started:?}");
}

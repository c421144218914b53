//! The hostile edge: servers and proxies that redirect, echo the request, stall, trickle,
//! flood, truncate or send absurd headers, each run against authenticate, a read and a
//! create, over real HTTP on loopback. The well-formed faults are in [`http_faults`]
//! (served by `wiremock`), the byte-level ones in [`raw_faults`] (a raw socket server).
//!
//! For every case the suite asserts what the README promises: no panic; neither the secret
//! nor the token (nor any six characters of them, in any form a server re-encodes them in)
//! in the error's `Display` or `Debug` or in the TRACE logs; a create reaches the server at
//! most once and a second origin never sees a request; the call ends within its deadline
//! plus a margin; and the error class and `may_have_reached_server()` are the expected ones.
//! The whole suite runs twice: as is, and with the opt-in capture on, whose files must not
//! hold the secret or a token either.

use std::{
    future::Future,
    path::Path,
    pin::Pin,
    time::{Duration, Instant},
};

use cryptopocket::{Client, Error};
use serde_json::json;
use tokio::sync::Barrier;
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{method, path},
};

use crate::support::{
    AUTHENTICATE, CREATE_PAYMENT, GET_PAYMENT, Origin, api_error_body, client_builder,
    logs::Captured,
    mock, payment_id, payment_request,
    raw::{RawServer, Reply, Step, head},
    token_body,
};

mod audit2;
mod audit3;
mod edges;
mod http_faults;
mod raw_faults;

/// Shorter than 20 characters, so that only the by-value pass (not the masking of long
/// token-like runs) can hide it; `/` and `+` so that re-encoded forms differ.
const SECRET: &str = "Sx7K/q2Lm+9Pz4";
/// Each case's token is this with the case number in front.
const TOKEN_TAIL: &str = "Qr8Yb5Nc3";

const DEADLINE: Duration = Duration::from_millis(2000);
const ATTEMPT: Duration = Duration::from_millis(1500);
/// How far past its deadline a call may end: scheduling on a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(1000);
/// The body cap the suite's clients use (the default, 16 MiB, is measured separately).
const CAP: usize = 1024 * 1024;
/// How long a stalling server waits: far past the deadline.
const STALL: Duration = Duration::from_secs(30);

/// Which call meets the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `/authenticate` is faulty; the call is a create, which must then never be sent.
    Authenticate,
    /// `GET /payment/{id}` is faulty.
    Read,
    /// `POST /createPayment` is faulty.
    Create,
}

/// What the faulty server knows when it answers.
struct Ctx {
    /// `http://127.0.0.1:PORT` of a second server, which must never see a request.
    other_origin: String,
}

/// How the faulty route answers.
#[derive(Clone, Copy)]
enum Fault {
    /// A well-formed HTTP answer, from `wiremock`.
    Http(fn(&Request, &Ctx) -> ResponseTemplate),
    /// The request arrives and the connection is closed without an answer (`wiremock`).
    Dropped,
    /// Bytes only a raw socket writes.
    Raw(fn() -> Vec<Step>),
}

/// One fault and the error classes it may end in (for a create, for the others).
struct Case {
    name: &'static str,
    fault: Fault,
    create: &'static [&'static str],
    other: &'static [&'static str],
}

const TIMEOUT: &[&str] = &["Timeout"];
const TOO_LARGE: &[&str] = &["BodyTooLarge"];
const REDIRECT: &[&str] = &["Redirect"];
const STATUS: &[&str] = &["UnexpectedStatus"];
const DECODE: &[&str] = &["Decode"];
const TRANSPORT: &[&str] = &["Transport"];
/// A declared 4xx is read as the declared error body (an API error, or a decode error when
/// it is not that shape); an undeclared one is an unexpected status.
const STATUS_OR_DECODE: &[&str] = &["UnexpectedStatus", "Decode", "Api"];

/// Every fault: the well-formed ones, then the byte-level ones.
fn cases() -> Vec<Case> {
    let mut cases = http_faults::cases();
    cases.extend(raw_faults::cases());
    cases
}

/// The server a case runs against.
enum Served {
    Mock(MockServer),
    Raw(RawServer),
}

impl Origin for Served {
    fn origin(&self) -> String {
        match self {
            Served::Mock(server) => server.origin(),
            Served::Raw(server) => server.origin(),
        }
    }
}

impl Served {
    /// How many requests arrived for `route`.
    async fn count(&self, route: &str) -> usize {
        match self {
            Served::Mock(server) => mock::count(server, route).await,
            Served::Raw(server) => server.count(route),
        }
    }
}

/// What one case ended in.
struct Outcome {
    label: String,
    kind: String,
    shown: String,
    may_have_reached_server: Option<bool>,
    elapsed: Duration,
    creates: usize,
    authenticates: usize,
    elsewhere: usize,
    panicked: bool,
}

fn kind(result: &Result<(), Error>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => format!("{e:?}")
            .split([' ', '(', '{'])
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

async fn run(
    index: usize,
    case: &Case,
    target: Target,
    ready: &Barrier,
    capture: Option<&Path>,
) -> Outcome {
    let token = format!("Tk{index:03}{TOKEN_TAIL}");
    let other = MockServer::builder().start().await;
    mock::otherwise(&other, mock::ok(json!({}))).await;
    let ctx = Ctx {
        other_origin: other.uri(),
    };
    let (verb, route) = match target {
        Target::Authenticate => ("POST", AUTHENTICATE),
        Target::Read => ("GET", GET_PAYMENT),
        Target::Create => ("POST", CREATE_PAYMENT),
    };
    let server = match case.fault {
        Fault::Raw(steps) => Served::Raw(
            RawServer::start(move |request| {
                if request.is(verb, route) {
                    Reply::Script(steps())
                } else if request.is("POST", AUTHENTICATE) {
                    Reply::Json(200, token_body(&token))
                } else {
                    Reply::Json(200, api_error_body("user_not_found"))
                }
            })
            .await,
        ),
        fault => {
            let server = MockServer::builder().start().await;
            let faulty = Mock::given(method(verb)).and(path(route));
            let faulty = match fault {
                Fault::Http(answer) => faulty.respond_with(move |r: &Request| answer(r, &ctx)),
                Fault::Dropped => faulty.respond_with_err(mock::dropped),
                Fault::Raw(_) => unreachable!("served by the raw server above"),
            };
            faulty.with_priority(1).mount(&server).await;
            mock::on(&server, "POST", AUTHENTICATE, mock::token(&token)).await;
            mock::otherwise(&server, mock::api_error("user_not_found")).await;
            Served::Mock(server)
        }
    };
    let mut builder = client_builder(&server)
        .credentials("key-test", SECRET)
        .attempt_timeout(ATTEMPT)
        .deadline(DEADLINE)
        .max_body_bytes(CAP);
    if let Some(dir) = capture {
        builder = builder.capture(dir);
    }
    let client = builder.build().unwrap();
    // Every case's client is built (root certificates read, a few milliseconds of CPU on
    // this one-thread runtime) before any case starts its clock.
    ready.wait().await;
    let started = Instant::now();
    let call: Pin<Box<dyn Future<Output = Result<(), Error>> + Send>> = match target {
        Target::Read => Box::pin(async move { client.onramp().get(&payment_id()).await.map(drop) }),
        Target::Authenticate | Target::Create => Box::pin(async move {
            let payment = payment_request("ORDER-HOSTILE");
            client.onramp().create(&payment).await.map(drop)
        }),
    };
    // A panic in the client surfaces as the task's panic, not the test's.
    let joined = tokio::spawn(call).await;
    let elapsed = started.elapsed();
    let (result, panicked) = match joined {
        Ok(result) => (result, false),
        Err(join) => (Ok(()), join.is_panic()),
    };
    let shown = match &result {
        Ok(()) => String::new(),
        Err(e) => format!("{e}\n{e:?}"),
    };
    Outcome {
        label: format!("{:?} × {}", target, case.name),
        kind: kind(&result),
        may_have_reached_server: result.as_ref().err().map(Error::may_have_reached_server),
        shown,
        elapsed,
        creates: server.count(CREATE_PAYMENT).await,
        authenticates: server.count(AUTHENTICATE).await,
        elsewhere: mock::requests(&other).await.len(),
        panicked,
    }
}

/// The forms of `secret` a server may echo, each cut into every six-character window: none
/// may appear in any output.
fn windows(secret: &str) -> Vec<String> {
    let php = secret.replace('/', "\\/");
    let percent: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut out = Vec::new();
    for form in [secret.to_owned(), php, percent] {
        let chars: Vec<char> = form.chars().collect();
        for window in chars.windows(6) {
            out.push(window.iter().collect());
        }
    }
    out
}

/// Every fault against every target; one report listing every broken promise.
#[tokio::test(flavor = "current_thread")]
async fn no_fault_breaks_a_promise() {
    every_fault(None).await;
}

/// The same with the capture on: each body is then read whole before it is decoded, and
/// every exchange is written to disk, redacted.
#[tokio::test(flavor = "current_thread")]
async fn no_fault_breaks_a_promise_with_the_capture_on() {
    let dir = tempfile::tempdir().unwrap();
    every_fault(Some(dir.path())).await;
    let mut capture = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        capture.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(capture.lines().count() >= 3 * cases().len(), "{capture}");
    let tokens = (0..cases().len()).map(|n| format!("Tk{n:03}{TOKEN_TAIL}"));
    for secret in std::iter::once(SECRET.to_owned()).chain(tokens) {
        for window in windows(&secret) {
            assert!(
                !capture.contains(&window),
                "`{window}` of a secret in the capture"
            );
        }
    }
}

async fn every_fault(capture: Option<&Path>) {
    // The runtime has one thread, so this default sees every event of every case.
    let (logs, _guard) = Captured::start(tracing::Level::TRACE);

    let cases = cases();
    let ready = Barrier::new(3 * cases.len());
    let mut runs = Vec::new();
    for target in [Target::Authenticate, Target::Read, Target::Create] {
        for (index, case) in cases.iter().enumerate() {
            runs.push(run(index, case, target, &ready, capture));
        }
    }
    let outcomes = futures::future::join_all(runs).await;
    let logs = logs.text();

    let mut broken = Vec::new();
    let mut longest_overrun = Duration::ZERO;
    for (n, outcome) in outcomes.iter().enumerate() {
        let target = [Target::Authenticate, Target::Read, Target::Create][n / cases.len()];
        let case = &cases[n % cases.len()];
        let token = format!("Tk{:03}{TOKEN_TAIL}", n % cases.len());
        let mut fail = |why: String| broken.push(format!("{}: {why}", outcome.label));
        if outcome.panicked {
            fail("the client panicked".into());
            continue;
        }
        for window in windows(SECRET).iter().chain(&windows(&token)) {
            if outcome.shown.contains(window.as_str()) {
                fail(format!("`{window}` of a secret shown in {}", outcome.shown));
                break;
            }
        }
        let expected = if target == Target::Read {
            case.other
        } else {
            case.create
        };
        let expected = if target == Target::Authenticate {
            case.other
        } else {
            expected
        };
        if !expected.contains(&outcome.kind.as_str()) {
            fail(format!(
                "ended in {} (expected one of {expected:?}): {}",
                outcome.kind, outcome.shown
            ));
        }
        longest_overrun = longest_overrun.max(outcome.elapsed.saturating_sub(DEADLINE));
        if outcome.elapsed > DEADLINE + MARGIN {
            fail(format!("took {:?}, deadline {DEADLINE:?}", outcome.elapsed));
        }
        if outcome.elsewhere != 0 {
            fail(format!(
                "{} request(s) reached the other origin",
                outcome.elsewhere
            ));
        }
        match target {
            Target::Authenticate => {
                if outcome.creates != 0 {
                    fail("the create was sent without a token".into());
                }
                if outcome.kind != "ok" && outcome.authenticates == 0 {
                    fail("authenticate was never tried".into());
                }
            }
            Target::Create => {
                if outcome.creates != 1 {
                    fail(format!(
                        "the create reached the server {} times",
                        outcome.creates
                    ));
                }
                // Every fault here is an answer after the request arrived, or a break after:
                // the create may exist, and the error must say so.
                if outcome.may_have_reached_server != Some(true) {
                    fail(format!(
                        "may_have_reached_server() is {:?} after the create arrived",
                        outcome.may_have_reached_server
                    ));
                }
            }
            Target::Read => {}
        }
    }
    for window in windows(SECRET) {
        assert!(
            !logs.contains(&window),
            "`{window}` of the secret in the TRACE logs"
        );
    }
    for n in 0..cases.len() {
        for window in windows(&format!("Tk{n:03}{TOKEN_TAIL}")) {
            assert!(
                !logs.contains(&window),
                "`{window}` of token {n} in the TRACE logs"
            );
        }
    }
    let mut slowest: Vec<_> = outcomes.iter().map(|o| (o.elapsed, &o.label)).collect();
    slowest.sort();
    for (elapsed, label) in slowest.iter().rev().take(3) {
        println!("slowest: {label} in {elapsed:?}");
    }
    println!(
        "{} cases ({} faults × 3 targets), {} broken, longest past the deadline {longest_overrun:?}",
        outcomes.len(),
        cases.len(),
        broken.len()
    );
    assert!(
        broken.is_empty(),
        "{} broken promises:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// A body far over the default 16 MiB cap is refused without holding it: the process's
/// peak resident memory is printed for the README (run alone to read it:
/// `cargo test -p cryptopocket --test integration hostile::a_flood -- --nocapture`).
#[tokio::test]
async fn a_flood_stops_at_the_default_cap() {
    let server = RawServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::Json(200, token_body("T1"))
        } else {
            Reply::Script(vec![
                Step::text(&head(
                    "200 OK",
                    &[("Content-Length", &(200 << 20).to_string())],
                )),
                Step::Endless(vec![b' '; 1 << 16]),
            ])
        }
    })
    .await;
    let client: Client = client_builder(&server).build().unwrap();
    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    assert!(
        matches!(error, Error::BodyTooLarge { limit, operation: "getPayment" } if limit == 16 << 20),
        "{error:?}"
    );
    assert!(error.to_string().contains("16777216-byte cap"), "{error}");
    // Not retried: the same server would send the same body.
    assert_eq!(server.count(GET_PAYMENT), 1);
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let peak = status
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap_or("VmHWM: ?");
        println!("after a 200 MiB body against the 16 MiB cap: {peak}");
    }
}

/// A `reqwest::ClientBuilder` the user supplies may follow redirects; the client built from
/// it never does.
#[tokio::test]
async fn a_user_supplied_http_client_never_follows_redirects() {
    let other = mock::issuing("STOLEN").await;
    let elsewhere = format!("{}/api/authenticate", other.uri());
    let server = MockServer::builder().start().await;
    let moved = mock::text(307, "moved").insert_header("Location", elsewhere.as_str());
    mock::otherwise(&server, moved).await;
    let client = client_builder(&server)
        .credentials("key-test", SECRET)
        .http_client_builder(
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(10)),
        )
        .build()
        .unwrap();
    let error = client.authenticate().await.unwrap_err();
    match &error {
        Error::Redirect {
            operation: "authenticate",
            status: 307,
            location: Some(origin),
        } => assert_eq!(*origin, other.uri()),
        other => panic!("expected a redirect error, got {other:?}"),
    }
    assert!(
        error.may_have_reached_server(),
        "a redirected request did reach a server"
    );
    assert!(error.to_string().contains("never followed"), "{error}");
    let posted = mock::requests(&other).await;
    assert_eq!(
        posted.len(),
        0,
        "the secret was posted elsewhere: {posted:#?}"
    );
    assert_eq!(mock::count(&server, AUTHENTICATE).await, 1);
}

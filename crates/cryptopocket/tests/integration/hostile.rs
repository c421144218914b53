//! The hostile edge: servers and proxies that redirect, echo the request, stall, trickle,
//! flood, truncate or send absurd headers, each run against authenticate, a read and a
//! create, over real HTTP on loopback.
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
    sync::Arc,
    time::{Duration, Instant},
};

use cryptopocket::{Client, Error, model::PaymentId};
use serde_json::json;
use tokio::sync::Barrier;

use crate::support::{
    MockServer, Reply, Request, Step, client_builder, logs::Captured, payment_request,
};

const AUTHENTICATE: &str = "/api/authenticate";
const CREATE_PAYMENT: &str = "/api/createPayment";
const PAYMENT_ID: &str = "aBcDeFgHiJkLmNoPqRsTuVwXy";

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
    token: String,
    other_origin: String,
}

type Fault = fn(&Request, &Ctx) -> Reply;

/// One fault and the error classes it may end in (for a create, for the others).
struct Case {
    name: &'static str,
    fault: Fault,
    create: &'static [&'static str],
    other: &'static [&'static str],
}

fn head(status: &str, headers: &[(&str, &str)]) -> String {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

fn raw_request(request: &Request) -> String {
    let mut text = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for (name, value) in &request.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(&request.text());
    text
}

fn echo_json(request: &Request) -> serde_json::Value {
    let headers: serde_json::Map<String, serde_json::Value> = request
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!({"method": request.method, "path": request.path, "headers": headers, "body": request.text()})
}

fn text(status: u16, body: String) -> Reply {
    Reply::Raw(status, "text/plain".into(), body, vec![])
}

fn redirect(status: u16, location: String) -> Reply {
    Reply::Raw(
        status,
        "text/html".into(),
        format!("<a href=\"{location}\">moved</a>"),
        vec![("Location".into(), location)],
    )
}

fn retry_after(status: u16, value: &str) -> Reply {
    Reply::Raw(
        status,
        "text/plain".into(),
        "busy".into(),
        vec![("Retry-After".into(), value.into())],
    )
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

fn cases() -> Vec<Case> {
    vec![
        // Redirects, anywhere: never followed.
        Case {
            name: "307 to the same URL",
            fault: |r, _| redirect(307, r.path.clone()),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "307 to another origin",
            fault: |r, c| redirect(307, format!("{}{}", c.other_origin, r.path)),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "308 to another origin with userinfo",
            fault: |r, c| {
                let origin = c.other_origin.replace("http://", "http://user:pw@");
                redirect(308, format!("{origin}{}", r.path))
            },
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "301 to another origin",
            fault: |_, c| redirect(301, format!("{}/api/elsewhere", c.other_origin)),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "302 relative",
            fault: |_, _| redirect(302, "/api/elsewhere".into()),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "303 without Location",
            fault: |_, _| text(303, "see other".into()),
            create: REDIRECT,
            other: REDIRECT,
        },
        // Absurd Retry-After values: never overflow, never sleep past the deadline.
        Case {
            name: "503 Retry-After u64::MAX",
            fault: |_, _| retry_after(503, "18446744073709551615"),
            create: STATUS,
            other: &["RetryAfterPastDeadline"],
        },
        Case {
            name: "429 Retry-After i64::MAX",
            fault: |_, _| retry_after(429, "9223372036854775807"),
            create: STATUS,
            other: &["RetryAfterPastDeadline"],
        },
        Case {
            name: "503 Retry-After in the year 9999",
            fault: |_, _| retry_after(503, "Fri, 31 Dec 9999 23:59:59 GMT"),
            create: STATUS,
            other: &["RetryAfterPastDeadline"],
        },
        Case {
            name: "503 Retry-After negative",
            fault: |_, _| retry_after(503, "-5"),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "503 Retry-After u64::MAX, body stalls after 11 bytes",
            fault: |_, _| {
                Reply::Script(vec![
                    Step::text(&head(
                        "503 Service Unavailable",
                        &[
                            ("Retry-After", "18446744073709551615"),
                            ("Content-Length", "100"),
                        ],
                    )),
                    Step::text("unavailabl"),
                    Step::Sleep(STALL),
                ])
            },
            create: TIMEOUT,
            other: TIMEOUT,
        },
        // Echoes of the request, in every shape.
        Case {
            name: "text 502 echoing the request",
            fault: |r, _| text(502, raw_request(r)),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "text 200 echoing the request",
            fault: |r, _| text(200, raw_request(r)),
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "JSON 502 echoing the request",
            fault: |r, _| Reply::Json(502, echo_json(r)),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "JSON 502 echoing with PHP's escaped slashes",
            fault: |r, _| {
                let body = echo_json(r).to_string().replace('/', "\\/");
                Reply::Raw(502, "application/json".into(), body, vec![])
            },
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "text 502 echoing the request percent-encoded",
            fault: |r, _| {
                let encoded: String =
                    form_urlencoded::byte_serialize(raw_request(r).as_bytes()).collect();
                text(502, encoded)
            },
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "BOM then a JSON 200 echoing the request",
            fault: |r, _| {
                let body = json!({"status": "ok", "data": echo_json(r)});
                Reply::Raw(
                    200,
                    "application/json".into(),
                    format!("\u{feff}{body}"),
                    vec![],
                )
            },
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "PHP notice then a JSON 200 echoing the request",
            fault: |r, _| {
                let body = json!({"status": "ok", "data": echo_json(r)});
                let notice = "<br />\n<b>Notice</b>:  Undefined index: \"x\" in <b>/var/www/app/Http/Api.php</b> on line <b>42</b><br />\n";
                Reply::Raw(200, "text/html".into(), format!("{notice}{body}"), vec![])
            },
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "invalid UTF-8 then the request echoed in a 502",
            fault: |r, _| {
                let mut body = vec![0xff, 0xfe, 0xc3];
                body.extend_from_slice(raw_request(r).as_bytes());
                Reply::Script(vec![
                    Step::text(&head(
                        "502 Bad Gateway",
                        &[("Content-Length", &body.len().to_string())],
                    )),
                    Step::Write(body),
                ])
            },
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "502 echoing request headers into response headers",
            fault: |r, _| {
                let echoed = r
                    .headers
                    .iter()
                    .map(|(k, v)| (format!("x-echo-{k}"), v.clone()))
                    .collect();
                Reply::Raw(502, "text/plain".into(), "bad gateway".into(), echoed)
            },
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "unexpected_error whose message is an exception holding the request",
            fault: |r, _| {
                Reply::Json(
                    200,
                    json!({"status": "error", "error": "unexpected_error",
                           "message": format!("PDOException in Api.php: {}", raw_request(r)),
                           "data": {"trace": raw_request(r)}}),
                )
            },
            create: &["Api"],
            other: &["Api"],
        },
        Case {
            name: "an exception in place of the code",
            fault: |r, _| {
                Reply::Json(
                    200,
                    json!({"status": "error", "error": format!("SQLSTATE[23000]: {}", raw_request(r))}),
                )
            },
            create: &["Api"],
            other: &["Api"],
        },
        // Stalls, trickles, floods and cuts.
        Case {
            name: "stall after the status line",
            fault: |_, _| {
                Reply::Script(vec![Step::text("HTTP/1.1 200 OK\r\n"), Step::Sleep(STALL)])
            },
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "200 stalls mid-body",
            fault: |_, _| {
                Reply::Script(vec![
                    Step::text(&head("200 OK", &[("Content-Length", "1000")])),
                    Step::text(r#"{"status":"#),
                    Step::Sleep(STALL),
                ])
            },
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "200 trickles a byte every 100 ms",
            fault: |_, _| {
                let mut steps = vec![Step::text(&head("200 OK", &[("Content-Length", "1000")]))];
                for _ in 0..300 {
                    steps.push(Step::text(" "));
                    steps.push(Step::ms(100));
                }
                Reply::Script(steps)
            },
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "500 trickles its body",
            fault: |_, _| {
                let mut steps = vec![Step::text(&head(
                    "500 Internal Server Error",
                    &[("Content-Length", "1000")],
                ))];
                for _ in 0..300 {
                    steps.push(Step::text("e"));
                    steps.push(Step::ms(100));
                }
                Reply::Script(steps)
            },
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "200 of twice the cap, announced",
            fault: |_, _| {
                Reply::Script(vec![
                    Step::text(&head(
                        "200 OK",
                        &[("Content-Length", &(2 * CAP).to_string())],
                    )),
                    Step::Write(vec![b' '; 2 * CAP]),
                ])
            },
            create: TOO_LARGE,
            other: TOO_LARGE,
        },
        Case {
            name: "endless chunked 200",
            fault: |_, _| {
                let mut chunk = b"1000\r\n".to_vec();
                chunk.extend_from_slice(&[b' '; 0x1000]);
                chunk.extend_from_slice(b"\r\n");
                Reply::Script(vec![
                    Step::text(&head("200 OK", &[("Transfer-Encoding", "chunked")])),
                    Step::Endless(chunk),
                ])
            },
            create: TOO_LARGE,
            other: TOO_LARGE,
        },
        Case {
            name: "endless 200 without a length",
            fault: |_, _| {
                Reply::Script(vec![
                    Step::text(&head("200 OK", &[("Connection", "close")])),
                    Step::Endless(vec![b'['; 0x4000]),
                ])
            },
            create: TOO_LARGE,
            other: TOO_LARGE,
        },
        Case {
            name: "endless 502 without a length",
            fault: |_, _| {
                Reply::Script(vec![
                    Step::text(&head("502 Bad Gateway", &[("Connection", "close")])),
                    Step::Endless(vec![b'x'; 0x4000]),
                ])
            },
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "200 truncated mid-body",
            fault: |_, _| {
                Reply::Script(vec![
                    Step::text(&head("200 OK", &[("Content-Length", "100")])),
                    Step::text(r#"{"status":"ok","data":{"#),
                ])
            },
            create: TRANSPORT,
            other: TRANSPORT,
        },
        Case {
            name: "empty 200",
            fault: |_, _| text(200, String::new()),
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "success without data",
            fault: |_, _| Reply::Json(200, json!({"status": "success", "data": null})),
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "connection closed without an answer",
            fault: |_, _| Reply::Drop,
            create: TRANSPORT,
            other: TRANSPORT,
        },
        Case {
            name: "not HTTP at all",
            fault: |_, _| Reply::Script(vec![Step::text("SSH-2.0-OpenSSH_9.6\r\n\r\n")]),
            create: TRANSPORT,
            other: TRANSPORT,
        },
        Case {
            name: "a 100 KiB header",
            fault: |_, _| {
                let big = "a".repeat(100 * 1024);
                Reply::Script(vec![Step::text(&head(
                    "200 OK",
                    &[("X-Big", &big), ("Content-Length", "2")],
                ))])
            },
            create: TRANSPORT,
            other: TRANSPORT,
        },
        Case {
            name: "header values with bytes outside ASCII",
            fault: |_, _| {
                let mut bytes =
                    b"HTTP/1.1 200 OK\r\nX-Odd: \xff\xfe\x80\r\nRetry-After: \xff\r\n".to_vec();
                bytes.extend_from_slice(b"Content-Length: 15\r\n\r\n{\"status\":\"ok\"}");
                Reply::Script(vec![Step::Write(bytes)])
            },
            create: DECODE,
            other: DECODE,
        },
        // Statuses the API does not use, with bodies of every kind.
        Case {
            name: "400 HTML",
            fault: |_, _| {
                Reply::Raw(
                    400,
                    "text/html".into(),
                    "<html><body>Bad Request</body></html>".into(),
                    vec![],
                )
            },
            create: STATUS_OR_DECODE,
            other: STATUS_OR_DECODE,
        },
        Case {
            name: "404 JSON echo",
            fault: |r, _| Reply::Json(404, echo_json(r)),
            create: STATUS_OR_DECODE,
            other: STATUS_OR_DECODE,
        },
        Case {
            name: "418 text echo",
            fault: |r, _| text(418, raw_request(r)),
            create: STATUS_OR_DECODE,
            other: STATUS_OR_DECODE,
        },
        Case {
            name: "500 JSON echo",
            fault: |r, _| Reply::Json(500, echo_json(r)),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "504 empty",
            fault: |_, _| text(504, String::new()),
            create: STATUS,
            other: STATUS,
        },
    ]
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
    let other = MockServer::start(|_| Reply::Json(200, json!({"status": "ok", "data": {}}))).await;
    let ctx = Arc::new(Ctx {
        token: token.clone(),
        other_origin: format!("http://{}", other.addr()),
    });
    let fault = case.fault;
    let server = {
        let ctx = Arc::clone(&ctx);
        MockServer::start(move |request| {
            let faulty = match target {
                Target::Authenticate => request.is("POST", AUTHENTICATE),
                Target::Read => request.is("GET", &format!("/api/payment/{PAYMENT_ID}")),
                Target::Create => request.is("POST", CREATE_PAYMENT),
            };
            if faulty {
                fault(request, &ctx)
            } else if request.is("POST", AUTHENTICATE) {
                Reply::token(&ctx.token)
            } else {
                Reply::Json(200, json!({"status": "error", "error": "user_not_found"}))
            }
        })
        .await
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
        Target::Read => Box::pin(async move {
            let id = PaymentId::new(PAYMENT_ID).unwrap();
            client.onramp().get(&id).await.map(drop)
        }),
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
        creates: server.count(CREATE_PAYMENT),
        authenticates: server.count(AUTHENTICATE),
        elsewhere: other.requests().len(),
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
    let server = MockServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::token("T1")
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
    let id = PaymentId::new(PAYMENT_ID).unwrap();
    let error = client.onramp().get(&id).await.unwrap_err();
    assert!(
        matches!(error, Error::BodyTooLarge { limit, operation: "getPayment" } if limit == 16 << 20),
        "{error:?}"
    );
    assert!(error.to_string().contains("16777216-byte cap"), "{error}");
    // Not retried: the same server would send the same body.
    assert_eq!(server.count(&format!("/api/payment/{PAYMENT_ID}")), 1);
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
    let other = MockServer::start(|_| Reply::token("STOLEN")).await;
    let elsewhere = format!("http://{}/api/authenticate", other.addr());
    let server = MockServer::start(move |_| redirect(307, elsewhere.clone())).await;
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
        } => assert_eq!(*origin, format!("http://{}", other.addr())),
        other => panic!("expected a redirect error, got {other:?}"),
    }
    assert!(
        error.may_have_reached_server(),
        "a redirected request did reach a server"
    );
    assert!(error.to_string().contains("never followed"), "{error}");
    assert_eq!(other.requests().len(), 0, "the secret was posted elsewhere");
    assert_eq!(server.count(AUTHENTICATE), 1);
}

//! A hostile server against `cryptopocket api`, the one command that reads answers with the
//! raw client: a body that is not JSON is quoted by its start, and that start may end in the
//! middle of the token the server echoes. Redaction by value sees only whole tokens; the
//! quoted start is cut, so the cut-off part must go too. And `--timeout` bounds the whole
//! command, the token it fetches first included.

use std::time::{Duration, Instant};

use crate::faults::{Canned, SECRET, TOKEN, api, http, json_200};
use crate::support::{cli_for, stderr, stdout};

/// Every six-character window of `secret`.
fn windows(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(6).map(|w| w.iter().collect()).collect()
}

/// A 200 whose body is not JSON and echoes the token so that the 200 characters the command
/// quotes end inside it, with and without `--json`: no part of the token is printed.
#[test]
fn a_quoted_body_cut_inside_the_token_does_not_show_its_start() {
    for cut_after in [4, 9, 15] {
        let filler = "x".repeat(200 - cut_after);
        let body = format!("{filler}{TOKEN} and the rest of the echo");
        for json in [false, true] {
            let server = Canned::start(api(http("200 OK", "text/plain", &body)));
            let mut command = cli_for(&server.url(), "pk_test", SECRET);
            if json {
                command.arg("--json");
            }
            let output = command
                .args([
                    "api",
                    "getPayment",
                    "--path",
                    "payment_id=aBcDeFgHiJkLmNoPqRsTuVwXy",
                ])
                .output()
                .expect("run the binary");
            assert_ne!(output.status.code(), Some(0), "{output:?}");
            let printed = format!("{}{}", stdout(&output), stderr(&output));
            assert!(
                printed.contains("xxxxxxxx"),
                "the start is quoted: {printed}"
            );
            for window in windows(TOKEN).iter().chain(&windows(SECRET)) {
                assert!(
                    !printed.contains(window.as_str()),
                    "cut after {cut_after}, --json {json}: `{window}` in {printed}"
                );
            }
        }
    }
}

/// `--timeout 2s`, an authenticate answered after 1.8 s and an operation that never answers:
/// the command ends at its timeout, the time spent authenticating included (a call's
/// deadline covers its token, as the crate's own calls do), not 1.8 s + 2 s later.
#[test]
fn the_timeout_covers_the_token_fetched_first() {
    let server = Canned::start(|path| {
        if path == "/api/authenticate" {
            std::thread::sleep(Duration::from_millis(1800));
            json_200(&format!(
                r#"{{"status":"ok","data":{{"token":"{TOKEN}"}}}}"#
            ))
        } else {
            std::thread::sleep(Duration::from_secs(20));
            Vec::new()
        }
    });
    let started = Instant::now();
    let output = cli_for(&server.url(), "pk_test", SECRET)
        .args([
            "--timeout",
            "2s",
            "api",
            "getPayment",
            "--path",
            "payment_id=aBcDeFgHiJkLmNoPqRsTuVwXy",
        ])
        .output()
        .expect("run the binary");
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(
        took < Duration::from_millis(3000),
        "took {took:?} with --timeout 2s: {}",
        stderr(&output)
    );
}

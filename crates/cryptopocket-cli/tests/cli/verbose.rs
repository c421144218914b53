//! `-v`, `-vv` and `RUST_LOG`: logs on stderr, and never a secret or a token in them, even
//! from a server that echoes both.

use crate::{
    faults::{Canned, SECRET, TOKEN, api, http, json_200},
    support::{cli_for, stderr, stdout},
};

/// Runs `args` against `server` with the extra environment `envs`; returns everything
/// printed, stdout and stderr.
fn printed(server: &Canned, envs: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String, String) {
    let output = cli_for(&server.url(), "pk_test", SECRET)
        .envs(envs.iter().copied())
        .args(args)
        .output()
        .expect("run the binary");
    (output.status.code(), stdout(&output), stderr(&output))
}

#[test]
fn very_verbose_logs_never_show_the_secret_or_a_token() {
    let echo = format!("echo: api_secret={SECRET} auth={TOKEN} {{\"auth\":\"{TOKEN}\"}}");
    let get = ["payments", "get", "aBcDeFgHiJkLmNoPqRsTuVwXy"];
    for (case, answer) in [
        (
            "a 502 echoing both",
            http("502 Bad Gateway", "text/plain", &echo),
        ),
        (
            "an error envelope echoing both",
            json_200(&format!(
                r#"{{"status":"error","error":"unexpected_error","message":"{}"}}"#,
                echo.replace('"', "\\\"")
            )),
        ),
    ] {
        let server = Canned::start(api(answer));
        for (flags, envs) in [
            (&["-vv"][..], &[][..]),
            (&["-v", "-v", "--json"][..], &[][..]),
            (&[][..], &[("RUST_LOG", "trace")][..]),
        ] {
            let args = [flags, &get[..]].concat();
            let (code, out, err) = printed(&server, envs, &args);
            assert!(
                matches!(code, Some(1 | 3)),
                "{case} {args:?}: {code:?} {err}"
            );
            // It logged: the call, its operation and its outcome.
            assert!(err.contains("getPayment"), "{case} {args:?}: {err}");
            assert!(err.lines().count() > 1, "{case} {args:?}: {err}");
            for leaked in [SECRET, TOKEN] {
                assert!(
                    !out.contains(leaked) && !err.contains(leaked),
                    "{case} {args:?}: {leaked} in {out}{err}"
                );
            }
        }
    }
}

#[test]
fn without_v_or_rust_log_nothing_is_logged() {
    let server = Canned::start(api(http("502 Bad Gateway", "text/plain", "down")));
    let (code, _, err) = printed(
        &server,
        &[],
        &["--json", "payments", "get", "aBcDeFgHiJkLmNoPqRsTuVwXy"],
    );
    assert_eq!(code, Some(3));
    // Only the failure: one JSON object.
    let _: serde_json::Value = serde_json::from_str(&err).expect("stderr is one JSON object");
    // -v logs the call at info.
    let (_, _, err) = printed(
        &server,
        &[],
        &["-v", "payments", "get", "aBcDeFgHiJkLmNoPqRsTuVwXy"],
    );
    assert!(err.contains("cryptopocket"), "{err}");
    // A RUST_LOG that cannot be read is said, not fatal.
    let (code, _, err) = printed(
        &server,
        &[("RUST_LOG", "cryptopocket=loud")],
        &["payments", "get", "aBcDeFgHiJkLmNoPqRsTuVwXy"],
    );
    assert_eq!(code, Some(3));
    assert!(err.contains("RUST_LOG"), "{err}");
    let _ = stderr;
}

//! A careless caller, second round: bytes that are not UTF-8 in arguments and in the
//! environment, a password in the base URL, and an output pipe its reader closed. None
//! may panic, each failure names what was wrong, and no password is printed.

use std::{
    ffi::OsStr,
    io::Read as _,
    os::unix::ffi::OsStrExt as _,
    process::{Command as StdCommand, Stdio},
};

use crate::support::{ENV, cli, closed_port, failed, stderr, stdout};

/// Not UTF-8: a lone continuation byte between ASCII.
fn not_utf8() -> &'static OsStr {
    OsStr::from_bytes(b"ab\xffcd")
}

fn assert_no_panic(output: &std::process::Output) {
    let printed = format!("{}{}", stdout(output), stderr(output));
    assert_ne!(output.status.code(), Some(101), "{printed}");
    assert!(!printed.contains("panicked"), "{printed}");
}

/// A credential variable that is set but not UTF-8 is named as such, not reported missing
/// (which sends the user looking for a variable that is there).
#[test]
fn a_credential_variable_that_is_not_utf8_is_named() {
    let base = format!("http://127.0.0.1:{}/api", closed_port());
    for (variable, other, value) in [
        ("CRYPTOPOCKET_API_SECRET", "CRYPTOPOCKET_API_KEY", "key"),
        ("CRYPTOPOCKET_API_KEY", "CRYPTOPOCKET_API_SECRET", "secret"),
    ] {
        for json in [false, true] {
            let mut command = cli();
            command
                .env("CRYPTOPOCKET_BASE_URL", &base)
                .env(other, value)
                .env(variable, not_utf8());
            if json {
                command.arg("--json");
            }
            let output = command.args(["auth", "check"]).output().unwrap();
            assert_no_panic(&output);
            let shown = failed(&output, 2);
            assert!(
                shown.contains(variable) && shown.contains("UTF-8"),
                "{variable}, --json {json}: {shown}"
            );
            assert!(!shown.contains("no API"), "{variable}: {shown}");
        }
    }
}

/// Non-UTF-8 bytes in every kind of argument (a command, a global flag's value, a
/// subcommand's value) and in the variables clap reads: usage errors (exit 2), no panic.
#[test]
fn arguments_and_variables_that_are_not_utf8_are_usage_errors() {
    let bad = not_utf8();
    let runs: Vec<(Vec<&OsStr>, Option<&str>)> = vec![
        (vec![bad], None),
        (vec![OsStr::new("payments"), OsStr::new("get"), bad], None),
        (
            vec![
                OsStr::new("--base-url"),
                bad,
                OsStr::new("auth"),
                OsStr::new("check"),
            ],
            None,
        ),
        (
            vec![
                OsStr::new("--timeout"),
                bad,
                OsStr::new("auth"),
                OsStr::new("check"),
            ],
            None,
        ),
        (
            vec![
                OsStr::new("--api-secret"),
                bad,
                OsStr::new("auth"),
                OsStr::new("check"),
            ],
            None,
        ),
        (
            vec![
                OsStr::new("--json"),
                OsStr::new("payments"),
                OsStr::new("get"),
                bad,
            ],
            None,
        ),
        (
            vec![OsStr::new("auth"), OsStr::new("check")],
            Some("CRYPTOPOCKET_BASE_URL"),
        ),
        (
            vec![OsStr::new("auth"), OsStr::new("check")],
            Some("CRYPTOPOCKET_TIMEOUT"),
        ),
    ];
    for (args, variable) in runs {
        let mut command = cli();
        command
            .env("CRYPTOPOCKET_API_KEY", "key")
            .env("CRYPTOPOCKET_API_SECRET", "secret");
        if let Some(variable) = variable {
            command.env(variable, bad);
        }
        let output = command.args(&args).output().unwrap();
        assert_no_panic(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?} {variable:?}: {output:?}"
        );
    }
}

/// A password (and user) in `--base-url` or the variable is refused before anything is
/// sent, and neither is printed, at any verbosity or with `--json`.
#[test]
fn a_password_in_the_base_url_is_never_printed() {
    const PASSWORD: &str = "Pw9Zq4Lk";
    let url = format!("http://bob:{PASSWORD}@127.0.0.1:{}/api", closed_port());
    for from_flag in [false, true] {
        for extra in [&[][..], &["-vv"], &["--json"]] {
            let mut command = cli();
            command
                .env("CRYPTOPOCKET_API_KEY", "key")
                .env("CRYPTOPOCKET_API_SECRET", "secret")
                .env("RUST_LOG", "trace");
            if from_flag {
                command.args(["--base-url", &url]);
            } else {
                command.env("CRYPTOPOCKET_BASE_URL", &url);
            }
            let output = command
                .args(extra)
                .args(["auth", "check"])
                .output()
                .unwrap();
            assert_no_panic(&output);
            let shown = failed(&output, 2);
            assert!(shown.contains("user name or password"), "{shown}");
            assert!(
                !shown.contains(PASSWORD) && !shown.contains("bob"),
                "{shown}"
            );
        }
    }
}

/// Output into a pipe whose reader is gone (`| head -c1` after the first byte): the command
/// ends without a panic and without a panic message, for large and small outputs.
#[test]
fn a_closed_output_pipe_does_not_panic() {
    let runs: [&[&str]; 4] = [
        &["completions", "bash"],
        &["--help"],
        &["payments", "--help"],
        &["--version"],
    ];
    for args in runs {
        let mut command = StdCommand::new(env!("CARGO_BIN_EXE_cryptopocket"));
        for name in ENV {
            command.env_remove(name);
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, as `head -c1` does, then close the read end.
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 1];
        let _ = out.read(&mut first);
        drop(out);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert_ne!(status.code(), Some(101), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// `--help` shows the environment's values (`[env: CRYPTOPOCKET_BASE_URL=…]`): a base URL
/// with a user and password there is shown without them, whether or not an API secret is
/// set (with none, nothing else would redact the help). Usage errors echoing a URL argument
/// are redacted the same way.
#[test]
fn help_does_not_show_a_password_in_the_base_url() {
    const PASSWORD: &str = "Pw9Zq4Lk";
    let url = format!("http://bob:{PASSWORD}@127.0.0.1:{}/api", closed_port());
    let runs: [&[&str]; 4] = [
        &["--help"],
        &["payments", "--help"],
        &["webhooks", "listen", "--help"],
        &["payments", "get", "a", "b"],
    ];
    for with_secret in [false, true] {
        for args in runs {
            let mut command = cli();
            command.env("CRYPTOPOCKET_BASE_URL", &url);
            if with_secret {
                command.env("CRYPTOPOCKET_API_SECRET", "secret");
            }
            let output = command.args(args).output().unwrap();
            assert_no_panic(&output);
            let printed = format!("{}{}", stdout(&output), stderr(&output));
            if args.contains(&"--help") {
                assert!(printed.contains("@127.0.0.1"), "{args:?}: {printed}");
            }
            assert!(
                !printed.contains(PASSWORD) && !printed.contains("bob:"),
                "{args:?}, secret set {with_secret}: {printed}"
            );
        }
    }
    let echoed = cli().args(["payments", "get", "a", &url]).output().unwrap();
    assert_no_panic(&echoed);
    let shown = failed(&echoed, 2);
    assert!(!shown.contains(PASSWORD), "{shown}");
}

/// A file argument that never ends (`/dev/zero`, a stream given by mistake) is read only up
/// to the documented cap, then refused naming the file: memory stays bounded and the
/// command ends (it would otherwise read until memory runs out).
#[test]
fn an_endless_file_argument_is_refused_at_the_cap() {
    let mut command = cli();
    command
        .env("CRYPTOPOCKET_API_KEY", "key")
        .env("CRYPTOPOCKET_API_SECRET", "secret")
        .timeout(std::time::Duration::from_secs(20))
        .args([
            "webhooks",
            "verify",
            "--delivery-api-key",
            "key",
            "--body",
            "/dev/zero",
            "--signature",
            "00",
            "--timestamp",
            "1",
        ]);
    let output = command.output().unwrap();
    assert_no_panic(&output);
    let shown = failed(&output, 2);
    assert!(
        shown.contains("/dev/zero") && shown.contains("larger than"),
        "{shown}"
    );
}

/// The secret given by flag (not the environment) and the token, echoed by the server in a
/// business error's code and message and in a list's rows, with `-vv` and `RUST_LOG=trace`
/// (every crate's events), as a table and as `--json`: neither is printed anywhere.
#[test]
fn a_secret_given_by_flag_is_not_printed_at_trace() {
    use crate::faults::{Canned, SECRET, TOKEN, api, json_200};
    let answers = [
        (
            vec!["payments", "get", "aBcDeFgHiJkLmNoPqRsTuVwXy"],
            format!(r#"{{"status":"error","error":"{TOKEN}","message":"{SECRET} {TOKEN}"}}"#),
        ),
        (
            vec!["payments", "list", "--limit", "5"],
            format!(
                r#"{{"status":"ok","data":[{{"id":"{TOKEN}","external_id":"{SECRET}"}}],"pagination":{{"current_page":1,"per_page":15,"total":1,"last_page":1}}}}"#
            ),
        ),
    ];
    for (args, body) in answers {
        for json in [false, true] {
            let server = Canned::start(api(json_200(&body)));
            let mut command = cli();
            command
                .env("CRYPTOPOCKET_BASE_URL", server.url())
                .env("CRYPTOPOCKET_API_KEY", "pk_test")
                .env("RUST_LOG", "trace")
                .args(["-vv", "--api-secret", SECRET]);
            if json {
                command.arg("--json");
            }
            let output = command.args(&args).output().unwrap();
            assert_no_panic(&output);
            let printed = format!("{}{}", stdout(&output), stderr(&output));
            assert!(
                printed.contains("TRACE"),
                "{args:?}: the trace is on: {printed}"
            );
            for needle in [SECRET, TOKEN, "api-secret-val", "session-token"] {
                assert!(
                    !printed.contains(needle),
                    "{args:?} --json {json}: `{needle}` in {printed}"
                );
            }
        }
    }
}

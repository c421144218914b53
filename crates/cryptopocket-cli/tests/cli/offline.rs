//! What needs no API: usage and configuration errors, transport failures, unreadable
//! answers, completions and help.

use axum::{Router, http::StatusCode, routing::any};
use predicates::prelude::*;

use std::time::{Duration, Instant};

use crate::support::{blocking, cli, cli_for, closed_port, exports, failed, serve, stderr};

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        cli()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("cryptopocket"))
            .stdout(predicate::str::contains("bank-accounts"))
            .stdout(predicate::str::contains("create-guided"));
    }
}

#[test]
fn help_shows_an_example_for_each_command() {
    for command in [
        &["payments", "watch", "--help"][..],
        &["webhooks", "verify", "--help"],
        &["customers", "--help"],
        &["--help"],
    ] {
        cli()
            .args(command)
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn help_never_shows_the_secret() {
    cli()
        .env("CRYPTOPOCKET_API_SECRET", "sk-in-the-environment")
        .env("CRYPTOPOCKET_API_KEY", "pk-in-the-environment")
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("CRYPTOPOCKET_API_SECRET"))
        .stdout(predicate::str::contains("sk-in-the-environment").not());
}

#[test]
fn usage_errors_exit_2() {
    // An unknown flag, a missing argument, a bad value: clap's own errors.
    cli()
        .args(["payments", "get", "abc", "--bogus"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--bogus"));
    cli().args(["payments", "get"]).assert().code(2);
    cli()
        .args(["payments", "watch", "abc", "--interval", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("seconds"));
    cli()
        .args(["bank-accounts", "transactions", "ES00 1234"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("IBAN"));
    cli().args(["customers", "find"]).assert().code(2);
    cli()
        .args(["payments", "get", "a/b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("payment id"));
}

#[test]
fn missing_credentials_exit_2_and_say_which() {
    cli()
        .args(["payments", "get", "abc"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("CRYPTOPOCKET_API_KEY"));
    cli()
        .env("CRYPTOPOCKET_API_KEY", "pk_test")
        .args(["assets", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("CRYPTOPOCKET_API_SECRET"));
}

#[test]
fn environment_choices_are_checked() {
    cli_for("", "pk", "sk")
        .args(["--env", "production", "assets", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--base-url"));
    cli_for("", "pk", "sk")
        .args([
            "--env",
            "sandbox",
            "--base-url",
            "http://127.0.0.1:1/api",
            "assets",
            "list",
        ])
        .assert()
        .code(2);
    // Plain http to a remote host would send the secret in clear: refused before any call.
    cli_for("http://example.com/api", "pk", "sk")
        .args(["assets", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("https"));
}

#[test]
fn a_closed_port_exits_3_without_showing_the_secret() {
    let url = format!("http://127.0.0.1:{}/api", closed_port());
    let output = cli_for(&url, "pk_test", "sk-very-secret-value")
        .args([
            "--timeout",
            "5",
            "payments",
            "get",
            "aBcDeFgHiJkLmNoPqRsTuVwXy",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach"), "{stderr}");
    assert!(!stderr.contains("sk-very-secret-value"), "{stderr}");
    assert!(output.stdout.is_empty());
    // The secret given as a flag is not echoed either.
    let output = cli()
        .args([
            "--base-url",
            &url,
            "--api-key",
            "pk",
            "--api-secret",
            "flag-secret-123",
        ])
        .args(["kyc", "status", "42"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    let all = format!("{output:?}");
    assert!(!all.contains("flag-secret-123"), "{all}");
}

#[test]
fn auth_check_on_a_closed_port_exits_3_and_names_the_cause() {
    let url = format!("http://127.0.0.1:{}/api", closed_port());
    let output = cli_for(&url, "pk_test", "sk-very-secret-value")
        .args(["auth", "check"])
        .output()
        .expect("run");
    let stderr = failed(&output, 3);
    assert!(
        stderr.starts_with("error: cannot reach the API: "),
        "{stderr}"
    );
    assert!(
        stderr.to_lowercase().contains("refused"),
        "the cause: {stderr}"
    );
    assert!(!stderr.contains("sk-very-secret-value"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_times_out_with_exit_3() {
    let slow = serve(Router::new().fallback(any(|| async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        "{}"
    })))
    .await;
    let url = format!("http://{slow}/api");
    let started = Instant::now();
    let output = blocking(move || {
        cli_for(&url, "pk", "sk")
            .args(["--timeout", "0.3", "assets", "list"])
            .output()
            .expect("run")
    })
    .await;
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(stderr(&output).contains("timed out"), "{output:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_answers_exit_3() {
    let garbage = serve(Router::new().fallback(any(|| async { "<html>not json</html>" }))).await;
    let url = format!("http://{garbage}/api");
    let output = blocking(move || {
        cli_for(&url, "pk", "sk")
            .args(["assets", "list"])
            .output()
            .expect("run")
    })
    .await;
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot decode"), "{stderr}");

    let broken = serve(Router::new().fallback(any(|| async {
        (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    })))
    .await;
    let url = format!("http://{broken}/api");
    let output = blocking(move || {
        cli_for(&url, "pk", "sk")
            .args(["--json", "payments", "list"])
            .output()
            .expect("run")
    })
    .await;
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("HTTP 500"), "{stderr}");
}

#[test]
fn sandbox_serve_prints_the_exports_and_serves() {
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_cryptopocket"))
        .args(["sandbox", "serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the sandbox");
    let exports = exports(child.stdout.take().expect("stdout"));
    let get = |name: &str| exports.get(name).cloned().unwrap_or_default();
    let output = cli_for(
        &get("CRYPTOPOCKET_BASE_URL"),
        &get("CRYPTOPOCKET_API_KEY"),
        &get("CRYPTOPOCKET_API_SECRET"),
    )
    .args(["assets", "list"])
    .output()
    .expect("run");
    let _ = child.kill();
    let _ = child.wait();
    assert!(output.status.success(), "{exports:?} {output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("USDC"));
}

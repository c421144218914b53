//! Global options accepted before or after the command, shown under their own heading, and
//! `webhooks verify`'s `--delivery-api-key`.

use predicates::prelude::*;

use crate::{
    sandbox::Api,
    support::{cli, failed, stdout},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_options_are_accepted_after_the_command() {
    let api = Api::start().await;
    // Credentials, server and --json all after the subcommand, nothing in the environment.
    let output = api
        .run_bare(
            &[],
            &[
                "auth",
                "check",
                "--api-key",
                &api.key,
                "--api-secret",
                &api.secret,
                "--base-url",
                &api.url,
                "--json",
            ],
        )
        .await;
    assert!(output.status.success(), "{output:?}");
    let checked: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(checked["authenticated"], true, "{checked}");
    assert!(!stdout(&output).contains(&api.secret));
    // And between the group and the command.
    let output = api
        .run_bare(
            &[],
            &[
                "assets",
                "--base-url",
                &api.url,
                "--api-key",
                &api.key,
                "list",
                "--api-secret",
                &api.secret,
            ],
        )
        .await;
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains("USDC"));
}

#[test]
fn help_shows_the_global_options_under_their_own_heading() {
    let output = cli()
        .args(["payments", "get", "--help"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let help = stdout(&output);
    let (own, global) = help
        .split_once("Global options:")
        .unwrap_or_else(|| panic!("no Global options heading: {help}"));
    for flag in [
        "--api-key",
        "--api-secret",
        "--base-url",
        "--json",
        "--timeout",
        "--columns",
    ] {
        assert!(
            global.contains(flag),
            "{flag} not under Global options: {help}"
        );
        assert!(
            !own.contains(flag),
            "{flag} mixed into the command's own options: {help}"
        );
    }
    // --env's values are named once, in its description.
    assert_eq!(help.matches("production").count(), 1, "{help}");
    assert!(!help.contains("possible values"), "{help}");
}

#[test]
fn sandbox_serve_keeps_its_development_credentials_whatever_the_environment() {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_cryptopocket"))
        .args(["sandbox", "serve", "--port", "0"])
        .env("CRYPTOPOCKET_API_KEY", "pk-real-key")
        .env("CRYPTOPOCKET_API_SECRET", "sk-real-secret-of-the-user")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the sandbox");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    let mut line = String::new();
    while printed.matches("export ").count() < 3 && stdout.read_line(&mut line).unwrap_or(0) > 0 {
        printed.push_str(&line);
        line.clear();
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        printed.contains("CRYPTOPOCKET_API_SECRET=sandbox_api_secret"),
        "{printed}"
    );
    assert!(!printed.contains("sk-real-secret-of-the-user"), "{printed}");
    assert!(!printed.contains("pk-real-key"), "{printed}");
}

#[test]
fn webhooks_verify_takes_the_delivery_key_as_delivery_api_key() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let body = dir.path().join("delivery.json");
    std::fs::write(&body, b"{}").expect("write");
    let body = body.to_str().expect("a UTF-8 path");
    // The old meaning of --api-key: refused, naming the new flag.
    let output = cli()
        .env("CRYPTOPOCKET_API_SECRET", "sk-test-secret")
        .args(["webhooks", "verify", "--body", body, "--signature", "ab"])
        .args(["--timestamp", "1700000000", "--api-key", "pk_delivery"])
        .output()
        .expect("run");
    let stderr = failed(&output, 2);
    assert!(stderr.contains("--delivery-api-key"), "{stderr}");
    // With the new flag, it verifies (here: rejects the bad signature, exit 1).
    cli()
        .env("CRYPTOPOCKET_API_SECRET", "sk-test-secret")
        .args(["webhooks", "verify", "--body", body, "--signature", "ab"])
        .args([
            "--timestamp",
            "1700000000",
            "--delivery-api-key",
            "pk_delivery",
        ])
        .args(["--tolerance", "1000d"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rejected"));
}

#[test]
fn plain_http_to_a_named_host_needs_the_opt_in_and_warns() {
    // Refused, with the hint that fits (not the credentials' one).
    let output = cli()
        .env("CRYPTOPOCKET_API_KEY", "pk")
        .env("CRYPTOPOCKET_API_SECRET", "sk-plain-http")
        .args([
            "--json",
            "assets",
            "list",
            "--base-url",
            "http://sandbox.invalid:8080/api",
        ])
        .output()
        .expect("run");
    let error = crate::support::json_error(&output);
    assert_eq!(error["code"], "invalid_base_url", "{error}");
    let hint = error["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("--allow-http-host"), "{error}");
    assert!(!hint.contains("CRYPTOPOCKET_API_KEY"), "{error}");
    // Allowed for that host: it goes on (and cannot resolve it here), with a warning.
    let output = cli()
        .env("CRYPTOPOCKET_API_KEY", "pk")
        .env("CRYPTOPOCKET_API_SECRET", "sk-plain-http")
        .args([
            "assets",
            "list",
            "--base-url",
            "http://sandbox.invalid:8080/api",
        ])
        .args(["--allow-http-host", "sandbox.invalid", "--timeout", "5s"])
        .output()
        .expect("run");
    let stderr = failed(&output, 3);
    assert!(
        stderr.contains("warning: plain http to sandbox.invalid"),
        "{stderr}"
    );
    assert!(!stderr.contains("sk-plain-http"), "{stderr}");
}

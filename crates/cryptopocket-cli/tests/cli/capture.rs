//! `CRYPTOPOCKET_CAPTURE=DIR`: the command line records each exchange, redacted, as the
//! library's `Client::from_env` does.

use cryptopocket_sandbox::Sandbox;

use crate::support::{blocking, cli_for, stderr};

#[tokio::test]
async fn the_capture_variable_records_each_exchange_without_secrets_or_personal_data() {
    let sandbox = Sandbox::start().await.expect("start the sandbox");
    let dir = tempfile::tempdir().unwrap();
    let (url, key, secret) = (
        sandbox.base_url().to_owned(),
        sandbox.api_key().to_owned(),
        sandbox.api_secret().to_owned(),
    );
    let capture = dir.path().join("capture");
    let target = capture.clone();
    let output = blocking(move || {
        cli_for(&url, &key, &secret)
            .env("CRYPTOPOCKET_CAPTURE", &target)
            .args([
                "customers",
                "register",
                "--name",
                "Ana",
                "--email",
                "ana.rojas@example.com",
            ])
            .output()
            .expect("run the binary")
    })
    .await;
    assert!(output.status.success(), "{}", stderr(&output));

    let files: Vec<_> = std::fs::read_dir(&capture).unwrap().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    let operations: Vec<String> = text
        .lines()
        .map(|line| {
            let line: serde_json::Value = serde_json::from_str(line).unwrap();
            line["operation"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(operations, ["authenticate", "registerUser"], "{text}");
    for leaked in [sandbox.api_secret(), "ana.rojas@example.com", "\"Ana\""] {
        assert!(!text.contains(leaked), "{leaked} in {text}");
    }
}

//! Running the built binary, and small servers to point it at.

use std::{net::SocketAddr, time::Duration};

use assert_cmd::Command;

/// The environment variables the binary reads; tests start without them.
pub const ENV: [&str; 3] = [
    "CRYPTOPOCKET_API_KEY",
    "CRYPTOPOCKET_API_SECRET",
    "CRYPTOPOCKET_BASE_URL",
];

/// The binary with a clean environment and a timeout, so a hang fails instead of blocking.
pub fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cryptopocket"));
    for name in ENV {
        command.env_remove(name);
    }
    command.timeout(Duration::from_secs(30));
    command
}

/// The binary with credentials for `base_url`.
pub fn cli_for(base_url: &str, api_key: &str, api_secret: &str) -> Command {
    let mut command = cli();
    command
        .env("CRYPTOPOCKET_BASE_URL", base_url)
        .env("CRYPTOPOCKET_API_KEY", api_key)
        .env("CRYPTOPOCKET_API_SECRET", api_secret);
    command
}

/// A loopback port where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// Serves `router` on a free loopback port for the rest of the test's runtime.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    address
}

/// Runs a blocking command (the binary) without stalling the runtime that serves it.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("the command thread panicked")
}

/// stdout of a finished command, as text.
pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr of a finished command, as text.
pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// stderr of a command that must have exited with `code` and printed nothing on stdout.
pub fn failed(output: &std::process::Output, code: i32) -> String {
    assert_eq!(output.status.code(), Some(code), "{output:?}");
    assert!(output.stdout.is_empty(), "printed {}", stdout(output));
    stderr(output)
}

/// The one JSON object a `--json` failure prints on stderr (the whole of stderr), with every
/// field of the documented shape, and `exit` the process's exit code.
pub fn json_error(output: &std::process::Output) -> serde_json::Value {
    let parsed: serde_json::Value = serde_json::from_slice(&output.stderr)
        .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e}): {}", stderr(output)));
    let object = parsed.as_object().expect("a JSON object");
    for (field, ok) in [
        (
            "code",
            object.get("code").is_some_and(serde_json::Value::is_string),
        ),
        (
            "message",
            object
                .get("message")
                .is_some_and(serde_json::Value::is_string),
        ),
        (
            "hint",
            object
                .get("hint")
                .is_some_and(|h| h.is_string() || h.is_null()),
        ),
        (
            "operation",
            object
                .get("operation")
                .is_some_and(|o| o.is_string() || o.is_null()),
        ),
        (
            "exit",
            object.get("exit").is_some_and(serde_json::Value::is_u64),
        ),
        (
            "may_have_reached_server",
            object
                .get("may_have_reached_server")
                .is_some_and(serde_json::Value::is_boolean),
        ),
    ] {
        assert!(ok, "`{field}` is missing or mistyped: {parsed}");
    }
    assert_eq!(
        parsed["exit"].as_i64(),
        output.status.code().map(i64::from),
        "{parsed}"
    );
    parsed
}

//! Running the built binary, and small servers to point it at.

use std::{
    collections::BTreeMap,
    io::{BufRead as _, BufReader, Read},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use assert_cmd::Command;

use crate::sandbox::WALLET;

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

/// `payments create-guided` of `euros` EUR in USDC on polygon for `user`; callers append
/// the flags a test needs.
pub fn payments_create_guided<'a>(user: &'a str, euros: &'a str) -> Vec<&'a str> {
    vec![
        "payments",
        "create-guided",
        "--user-id",
        user,
        "--fiat-amount",
        euros,
        "--coin-symbol",
        "USDC",
        "--coin-chain",
        "polygon",
    ]
}

/// `payments create` of the same, to [`WALLET`]; callers append the flags a test needs
/// (`--payment-type`, `--external-id`, `--json`).
pub fn payments_create<'a>(user: &'a str, euros: &'a str) -> Vec<&'a str> {
    let mut args = payments_create_guided(user, euros);
    args[1] = "create";
    args.extend(["--wallet", WALLET]);
    args
}

/// `offramp create` selling 20 BUSD on bsc for `user`, paid out to `iban`.
pub fn offramp_create<'a>(user: &'a str, iban: &'a str) -> Vec<&'a str> {
    let amount = ["--amount", "20", "--symbol", "BUSD", "--blockchain", "bsc"];
    let mut args = vec!["offramp", "create", "--user-id", user];
    args.extend(amount);
    args.extend(["--iban", iban]);
    args
}

/// The `export NAME=VALUE` lines `sandbox serve` prints first (base URL, API key and
/// secret), read from its stdout.
pub fn exports(stdout: impl Read) -> BTreeMap<String, String> {
    let mut stdout = BufReader::new(stdout);
    let mut exports = BTreeMap::new();
    let mut line = String::new();
    while exports.len() < 3 && stdout.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some((name, value)) = line
            .trim()
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
        {
            exports.insert(name.to_owned(), value.to_owned());
        }
        line.clear();
    }
    exports
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

/// A webhook receiver on loopback that answers 200 and keeps every body; its URL and the
/// bodies.
pub async fn hook_receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&bodies);
    let address = serve(axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = Arc::clone(&kept);
            async move {
                kept.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&body).into_owned());
                "ok"
            }
        }),
    ))
    .await;
    (format!("http://{address}/hook"), bodies)
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
    let string_or_null = |v: &serde_json::Value| v.is_string() || v.is_null();
    type Check = fn(&serde_json::Value) -> bool;
    let shape: [(&str, Check); 6] = [
        ("code", serde_json::Value::is_string),
        ("message", serde_json::Value::is_string),
        ("hint", string_or_null),
        ("operation", string_or_null),
        ("exit", serde_json::Value::is_u64),
        ("may_have_reached_server", serde_json::Value::is_boolean),
    ];
    for (field, ok) in shape {
        assert!(
            object.get(field).is_some_and(ok),
            "`{field}` is missing or mistyped: {parsed}"
        );
    }
    assert_eq!(
        parsed["exit"].as_i64(),
        output.status.code().map(i64::from),
        "{parsed}"
    );
    parsed
}

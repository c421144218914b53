//! Servers that answer badly, written here as canned raw HTTP/1.1 on loopback: a create that
//! may have reached the server says how to look the object up (and is sent once), secrets and
//! tokens a server echoes are never printed, and out-of-range numbers are usage errors.

use std::{
    io::{BufRead as _, BufReader, Read as _, Write as _},
    net::{SocketAddr, TcpListener},
    process::Output,
    sync::{Arc, Mutex},
    thread,
};

use serde_json::Value;

use crate::support::{cli, cli_for, json_error, offramp_create, payments_create, stderr, stdout};

/// The secret the binary is given and the token the server issues. Letters and dashes only,
/// so that no masking by shape (the crate masks long runs mixing letters and digits) hides
/// them: only redaction by value does.
pub const SECRET: &str = "echoed-api-secret-value";
pub const TOKEN: &str = "echoed-session-token-value";
const EXTERNAL_ID: &str = "ORDER-42";
const LOOKUP: &str = "cryptopocket payments find --external-id ORDER-42";

/// A loopback server that answers each request with canned bytes chosen by its path, and
/// records `METHOD /path` of every request it read.
pub struct Canned {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Canned {
    /// Serves `answer(path)` to every request, one connection at a time, until the test
    /// process ends.
    pub fn start(answer: impl Fn(&str) -> Vec<u8> + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                let path = request.split(' ').nth(1).unwrap_or_default().to_owned();
                seen.lock().expect("requests").push(request);
                let _ = stream.write_all(&answer(&path));
                let _ = stream.flush();
            }
        });
        Self { address, requests }
    }

    /// The API base URL.
    pub fn url(&self) -> String {
        format!("http://{}/api", self.address)
    }

    /// How many requests named `path`.
    pub fn count(&self, path: &str) -> usize {
        let requests = self.requests.lock().expect("requests");
        requests
            .iter()
            .filter(|r| r.split(' ').nth(1) == Some(path))
            .count()
    }

    /// How many requests of any kind.
    fn total(&self) -> usize {
        self.requests.lock().expect("requests").len()
    }
}

/// Reads one request (head and `Content-Length` body); returns `METHOD /path`.
fn read_request(stream: &mut std::net::TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let request: String = line.split(' ').take(2).collect::<Vec<_>>().join(" ");
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(request)
}

/// A whole HTTP/1.1 answer.
pub fn http(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub fn json_200(body: &str) -> Vec<u8> {
    http("200 OK", "application/json", body)
}

/// The token for `/api/authenticate`, `other` for every other path.
pub fn api(other: Vec<u8>) -> impl Fn(&str) -> Vec<u8> + Send + 'static {
    move |path| {
        if path == "/api/authenticate" {
            json_200(&format!(
                r#"{{"status":"ok","data":{{"token":"{TOKEN}"}}}}"#
            ))
        } else {
            other.clone()
        }
    }
}

/// `payments create` against `server`, with `--external-id ORDER-42` unless `external_id`
/// is false, and `--json` when asked.
fn create_payment(server: &Canned, json: bool, external_id: bool) -> Output {
    let mut command = cli_for(&server.url(), "pk_test", SECRET);
    if json {
        command.arg("--json");
    }
    command
        .args(["--timeout", "10"])
        .args(payments_create("100067", "150.50"));
    if external_id {
        command.args(["--external-id", EXTERNAL_ID]);
    }
    command.output().expect("run the binary")
}

#[test]
fn every_create_that_may_have_reached_the_server_says_how_to_look_it_up() {
    // Where the redirect points: it must never be asked anything.
    let elsewhere = Canned::start(|_| json_200(r#"{"status":"success","data":{}}"#));
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{}/api/createPayment\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n",
        elsewhere.address
    )
    .into_bytes();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "truncated JSON 200",
            json_200(
                r#"{"status":"success","message":"payment_created","data":{"payment_id":"9NM6"#,
            ),
        ),
        (
            "body cut short by the connection",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\
              Connection: close\r\n\r\n{\"status\":\"success\",\"data\":{"
                .to_vec(),
        ),
        ("empty 200", json_200("")),
        ("text/plain 200", http("200 OK", "text/plain", "OK")),
        (
            "500",
            http(
                "500 Internal Server Error",
                "text/html",
                "<h1>Server Error</h1>",
            ),
        ),
        (
            "502",
            http("502 Bad Gateway", "text/html", "<h1>Bad Gateway</h1>"),
        ),
        ("307 redirect", redirect),
        (
            "success without data",
            json_200(r#"{"status":"success","data":null}"#),
        ),
    ];
    for (case, answer) in cases {
        for json in [false, true] {
            let server = Canned::start(api(answer.clone()));
            let output = create_payment(&server, json, true);
            assert_eq!(output.status.code(), Some(3), "{case}: {output:?}");
            assert!(output.stdout.is_empty(), "{case}: {}", stdout(&output));
            assert_eq!(
                server.count("/api/createPayment"),
                1,
                "{case}: createPayment must be sent exactly once"
            );
            if json {
                let error = json_error(&output);
                assert_eq!(error["may_have_reached_server"], true, "{case}: {error}");
                assert_eq!(error["lookup"], LOOKUP, "{case}: {error}");
                assert_eq!(error["operation"], "createPayment", "{case}: {error}");
                assert_eq!(error["exit"], 3, "{case}: {error}");
                let advice = error["advice"].as_str().unwrap_or_default();
                assert!(
                    advice.contains("may have reached the server") && advice.contains(LOOKUP),
                    "{case}: {error}"
                );
            } else {
                let stderr = stderr(&output);
                assert!(
                    stderr.contains("may have reached the server")
                        && stderr.contains(&format!("`{LOOKUP}`")),
                    "{case}: {stderr}"
                );
            }
        }
    }
    assert_eq!(elsewhere.total(), 0, "a redirect was followed");
}

#[test]
fn the_redirect_names_where_it_pointed_and_says_redirects_are_not_followed() {
    let elsewhere = Canned::start(|_| json_200("{}"));
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nLocation: http://{}/api/createPayment\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n",
        elsewhere.address
    );
    let server = Canned::start(api(redirect.into_bytes()));
    let output = create_payment(&server, false, true);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("redirected to http://{}", elsewhere.address))
            && stderr.contains("never follows redirects")
            && stderr.contains("--base-url"),
        "{stderr}"
    );
    assert_eq!(elsewhere.total(), 0);
}

#[test]
fn without_an_external_id_the_advice_says_so() {
    let server = Canned::start(api(http("502 Bad Gateway", "text/plain", "bad gateway")));
    let output = create_payment(&server, false, false);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("you gave no --external-id; look through `cryptopocket payments list`"),
        "{stderr}"
    );
    let server = Canned::start(api(http("502 Bad Gateway", "text/plain", "bad gateway")));
    let error = json_error(&create_payment(&server, true, false));
    assert_eq!(error["may_have_reached_server"], true, "{error}");
    assert_eq!(error["lookup"], Value::Null, "{error}");
    assert!(
        error["advice"]
            .as_str()
            .is_some_and(|a| a.contains("you gave no --external-id")),
        "{error}"
    );
}

#[test]
fn other_creates_name_their_own_look_up() {
    let register = [
        "customers",
        "register",
        "--name",
        "Ana",
        "--email",
        "ana@example.com",
    ];
    for (args, path, lookup) in [
        (
            register.to_vec(),
            "/api/registerUser",
            "`cryptopocket customers find --email ana@example.com`",
        ),
        (
            offramp_create("100067", "ES9121000418450200051332"),
            "/api/createRampoff",
            "`cryptopocket offramp list`",
        ),
    ] {
        let server = Canned::start(api(http("502 Bad Gateway", "text/plain", "bad gateway")));
        let output = cli_for(&server.url(), "pk_test", SECRET)
            .args(&args)
            .output()
            .expect("run the binary");
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(
            stderr.contains("may have reached the server") && stderr.contains(lookup),
            "{args:?}: {stderr}"
        );
        assert_eq!(server.count(path), 1, "{args:?}");
    }
}

#[test]
fn a_documented_refusal_gives_no_look_up_advice() {
    let refusal = json_200(
        r#"{"status":"error","error":"min_purchase","message":"The minimum purchase is 20 EUR"}"#,
    );
    let server = Canned::start(api(refusal.clone()));
    let output = create_payment(&server, false, true);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("min_purchase"), "{stderr}");
    assert!(
        !stderr.contains("may have reached") && !stderr.contains("payments list"),
        "{stderr}"
    );
    let server = Canned::start(api(refusal));
    let output = create_payment(&server, true, true);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let error = json_error(&output);
    assert_eq!(error["may_have_reached_server"], false, "{error}");
    assert_eq!(error["api_code"], "min_purchase", "{error}");
    assert_eq!(error["advice"], Value::Null, "{error}");
    assert_eq!(error["lookup"], Value::Null, "{error}");
}

#[test]
fn secrets_and_tokens_a_server_echoes_are_never_printed() {
    let echo = format!("echo: api_secret={SECRET} auth={TOKEN} {{\"auth\":\"{TOKEN}\"}}");
    let payment = format!(
        r#"{{"status":"ok","data":{{"id":"aBcDeFgHiJkLmNoPqRsTuVwXy","external_id":"{SECRET}",
            "user_id":"100067","status":"started","fiat_amount":15050,"fiat_symbol":"EUR",
            "coin_symbol":"USDC","coin_amount":148.32,"created_at":"2026-06-26T10:30:00Z",
            "holder":"name {TOKEN} and {SECRET}"}}}}"#
    );
    let get = ["payments", "get", "aBcDeFgHiJkLmNoPqRsTuVwXy"];
    let runs: Vec<(&str, Vec<u8>, Vec<&str>, i32)> = vec![
        (
            "text 502 to a read",
            http("502 Bad Gateway", "text/plain", &echo),
            get.to_vec(),
            3,
        ),
        (
            "text 502 to a read, --json",
            http("502 Bad Gateway", "text/plain", &echo),
            [&["--json"][..], &get].concat(),
            3,
        ),
        (
            "an error envelope",
            json_200(&format!(
                r#"{{"status":"error","error":"unexpected_error","message":"{echo}"}}"#,
                echo = echo.replace('"', "\\\"")
            )),
            get.to_vec(),
            1,
        ),
        ("a result field", json_200(&payment), get.to_vec(), 0),
        (
            "a result field, --json",
            json_200(&payment),
            [&["--json"][..], &get].concat(),
            0,
        ),
    ];
    for (case, answer, args, code) in runs {
        let server = Canned::start(api(answer));
        let output = cli_for(&server.url(), "pk_test", SECRET)
            .args(&args)
            .output()
            .expect("run the binary");
        assert_eq!(output.status.code(), Some(code), "{case}: {output:?}");
        let printed = format!("{}{}", stdout(&output), stderr(&output));
        assert!(printed.contains("[redacted]"), "{case}: {printed}");
        for leaked in [SECRET, TOKEN] {
            assert!(!printed.contains(leaked), "{case}: {leaked} in {printed}");
        }
        if case.contains("--json") && code == 0 {
            let result: Value = serde_json::from_slice(&output.stdout).expect("JSON");
            assert_eq!(result["external_id"], "[redacted]", "{case}");
        }
    }
    // A create answered with the echo: redacted, and still the look-up advice.
    let server = Canned::start(api(http("502 Bad Gateway", "text/plain", &echo)));
    let output = create_payment(&server, false, true);
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    assert!(printed.contains(LOOKUP), "{printed}");
    assert!(
        !printed.contains(SECRET) && !printed.contains(TOKEN),
        "{printed}"
    );
}

/// Runs `command`, checks that it exited with `code`, and returns it with all it printed
/// (stdout, then stderr).
fn run(command: &mut assert_cmd::Command, code: i32) -> (Output, String) {
    let output = command.output().expect("run");
    assert_eq!(output.status.code(), Some(code), "{output:?}");
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    (output, printed)
}

/// `command` after `set` has added its arguments and environment.
fn with(
    mut command: assert_cmd::Command,
    set: impl FnOnce(&mut assert_cmd::Command) -> &mut assert_cmd::Command,
) -> assert_cmd::Command {
    set(&mut command);
    command
}

#[test]
fn usage_errors_never_echo_the_secret() {
    let help_url = format!("https://h.example/api?key={SECRET}");
    let refused_url = format!("http://example.com/api?key={SECRET}");
    // (case, command, exit code, what the redaction left in the output)
    let cases = [
        // clap echoes an unexpected argument: the secret typed where a command was expected.
        (
            "the secret as a command",
            with(cli(), |c| {
                c.env("CRYPTOPOCKET_API_SECRET", SECRET).arg(SECRET)
            }),
            2,
            Some("[redacted]"),
        ),
        (
            "the secret as an extra argument",
            with(cli(), |c| {
                c.args(["--api-secret", SECRET, "payments", "get", "abc", SECRET])
            }),
            2,
            Some("[redacted]"),
        ),
        // Help shows the base URL from the environment: a secret inside it is redacted.
        (
            "help showing the base URL",
            with(cli(), |c| {
                c.env("CRYPTOPOCKET_API_SECRET", SECRET)
                    .env("CRYPTOPOCKET_BASE_URL", &help_url)
                    .args(["assets", "list", "--help"])
            }),
            0,
            Some("key=[redacted]"),
        ),
        // Configuration errors, before any client exists: the secret the user gave is
        // redacted by value (here it is also part of the refused base URL).
        (
            "a refused base URL",
            with(cli_for(&refused_url, "pk_test", SECRET), |c| {
                c.args(["--json", "assets", "list"])
            }),
            2,
            None,
        ),
    ];
    for (case, mut command, code, redacted) in cases {
        let (output, printed) = run(&mut command, code);
        assert!(!printed.contains(SECRET), "{case}: {printed}");
        if let Some(redacted) = redacted {
            assert!(printed.contains(redacted), "{case}: {printed}");
        } else {
            assert_eq!(json_error(&output)["exit"], 2, "{case}");
        }
    }
}

#[test]
fn numbers_out_of_range_are_usage_errors_naming_the_flag() {
    let url = format!("http://127.0.0.1:{}/api", crate::support::closed_port());
    for (args, flag) in [
        (
            &["--timeout", "10000000000000000000", "assets", "list"][..],
            "--timeout",
        ),
        (&["--timeout", "1e30", "assets", "list"], "--timeout"),
        (&["--timeout", "86400.5", "assets", "list"], "--timeout"),
        (&["--timeout", "-5", "assets", "list"], "--timeout"),
        (
            &["payments", "watch", "abc", "--interval", "1e30"],
            "--interval",
        ),
        (&["payments", "list", "--per-page", "0"], "--per-page"),
        (&["payments", "list", "--per-page", "101"], "--per-page"),
        (
            &["payments", "list", "--per-page", "99999999999999999999"],
            "--per-page",
        ),
        (&["payments", "list", "--limit", "-1"], "--limit"),
        (
            &[
                "webhooks",
                "verify",
                "--body",
                "x",
                "--signature",
                "s",
                "--timestamp",
                "1",
                "--api-key",
                "k",
                "--tolerance",
                "1e30",
            ],
            "--tolerance",
        ),
    ] {
        let output = cli_for(&url, "pk_test", SECRET)
            .args(args)
            .output()
            .expect("run");
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // The longest accepted timeout is accepted (and the call then fails to connect).
    let output = cli_for(&url, "pk_test", SECRET)
        .args(["--timeout", "86400", "assets", "list"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
}

/// Whatever representation the server picks for a documented field (an 18-decimal amount as
/// a number or a string, the customer id as a number, cents as a string, a Laravel
/// timestamp), `--json` prints every amount digit for digit and the table agrees.
#[test]
fn amounts_are_printed_digit_for_digit_whatever_the_representation() {
    let get = ["payments", "get", "aBcDeFgHiJkLmNoPqRsTuVwXy"];
    for (coin_amount, user_id, cents, created_at) in [
        (
            "0.123456789012345678",
            r#""100067""#,
            "15050",
            "2026-06-26T10:30:00.000000Z",
        ),
        (
            r#""0.123456789012345678""#,
            "100067",
            r#""15050""#,
            "2026-06-26 10:30:00",
        ),
    ] {
        let payment = format!(
            r#"{{"status":"ok","data":{{"id":"aBcDeFgHiJkLmNoPqRsTuVwXy","external_id":"o-1",
                "user_id":{user_id},"status":"started","fiat_amount":{cents},"fiat_symbol":"EUR",
                "coin_symbol":"USDC","coin_amount":{coin_amount},"created_at":"{created_at}"}}}}"#
        );
        let case = format!("coin_amount {coin_amount}, user_id {user_id}, cents {cents}");
        let server = Canned::start(api(json_200(&payment)));
        let output = cli_for(&server.url(), "pk_test", SECRET)
            .args([&["--json"][..], &get].concat())
            .output()
            .expect("run the binary");
        assert_eq!(output.status.code(), Some(0), "{case}: {output:?}");
        let text = stdout(&output);
        assert!(text.contains("0.123456789012345678"), "{case}: {text}");
        assert!(!text.contains("0.12345678901234568"), "{case}: {text}");
        let result: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(result["user_id"], 100067, "{case}: {text}");
        assert!(text.contains("150.50"), "{case}: {text}");
        assert!(text.contains("2026-06-26T10:30:00"), "{case}: {text}");

        let server = Canned::start(api(json_200(&payment)));
        let output = cli_for(&server.url(), "pk_test", SECRET)
            .args(get)
            .output()
            .expect("run the binary");
        assert_eq!(output.status.code(), Some(0), "{case}: {output:?}");
        assert!(
            stdout(&output).contains("0.123456789012345678"),
            "{case}: {}",
            stdout(&output)
        );
    }
}

/// The inferred results (bank accounts and their transactions, assets) are the crate's own
/// types now: `--json` still prints each amount digit for digit as the server sent it, the
/// scale included, with no float on the way.
#[test]
fn bank_amounts_and_assets_are_printed_digit_for_digit() {
    let cases: [(&[&str], String, &[&str]); 3] = [
        (
            &["bank-accounts", "list"],
            r#"{"status":"ok","data":[{"iban":"ES9121000418450200051332",
                "balance":"1234567890.123456789012345678","currency":"EUR"}]}"#
                .to_owned(),
            &[r#""balance":"1234567890.123456789012345678""#],
        ),
        (
            &["bank-accounts", "transactions", "ES9121000418450200051332"],
            r#"{"status":"ok","data":[{"id":"tx_1","amount":"0.123456789012345678",
                "booking_date":"2026-04-30","direction":"credit"},
                {"id":2,"amount":"240.00"}]}"#
                .to_owned(),
            &[
                r#""amount":"0.123456789012345678""#,
                r#""amount":"240.00""#,
                r#""id":"2""#,
                r#""booking_date":"2026-04-30""#,
            ],
        ),
        (
            &["assets", "list"],
            r#"{"status":"ok","data":[{"symbol":"USDC","chain":"polygon","decimals":"6"}]}"#
                .to_owned(),
            &[r#""decimals":6"#, r#""symbol":"USDC""#],
        ),
    ];
    for (args, body, expected) in cases {
        let server = Canned::start(api(json_200(&body)));
        let output = cli_for(&server.url(), "pk_test", SECRET)
            .args([&["--json"][..], args].concat())
            .output()
            .expect("run the binary");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        let text = stdout(&output);
        let compact = serde_json::to_string(&serde_json::from_str::<Value>(&text).expect("JSON"))
            .expect("JSON text");
        for want in expected {
            assert!(compact.contains(want), "{args:?}: {want} not in {compact}");
        }
    }
}

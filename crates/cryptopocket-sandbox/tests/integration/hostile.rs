//! The sandbox as a server facing a hostile client, where [`super::robustness`] does not
//! reach: the `/sandbox/*` control routes given absurd values (clock jumps past `u64`,
//! negative, repeated; ids that are `..`, NUL or 10 000 characters), control state a
//! client could grow without end (injected failures, extra subscriber URLs), path
//! parameters that try to climb out of their route, repeated form keys and heads with
//! too many or too large headers. Every answer is the API's error envelope or a bare 4xx
//! from hyper, never a panic, a hang or a dropped connection, and the sandbox serves
//! afterwards.

use cryptopocket_sandbox::Sandbox;
use serde_json::Value;

use crate::support::{RawAnswer, http, raw, request, token};

/// Sends `method target` (with `headers`, no body) to `sandbox` and returns the answer.
async fn ask(sandbox: &Sandbox, method: &str, target: &[u8], headers: &[&[u8]]) -> RawAnswer {
    raw(sandbox.addr(), request(method, target, headers, b"")).await
}

/// The answer is JSON in the API's style: `ok`, or `error` with a code and a message, and
/// never a server error.
fn assert_enveloped(target: &[u8], answer: &RawAnswer) -> Value {
    let shown = String::from_utf8_lossy(target);
    let shown = &shown[..shown.len().min(120)];
    assert!(answer.status < 500, "{shown}: HTTP {}", answer.status);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json"),
        "{shown}"
    );
    let body = answer.json();
    match body["status"].as_str() {
        Some("ok") => assert!(answer.status == 200, "{shown}: {body}"),
        Some("error") => {
            assert!(
                body["error"].as_str().is_some_and(|c| !c.is_empty()),
                "{shown}: {body}"
            );
            assert!(
                body["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{shown}: an error says what was wrong: {body}"
            );
        }
        _ => panic!("{shown}: not the API's envelope: {body}"),
    }
    body
}

/// The error code of an error envelope.
fn error_code(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

/// The sandbox still authenticates a client.
async fn assert_serving(sandbox: &Sandbox) {
    token(&http(), sandbox).await;
}

/// Every control route given values no caller means: refused (or done) in the API's
/// envelope, never a 5xx; the clock never moves backwards.
#[tokio::test]
async fn control_routes_answer_absurd_values_in_the_api_style() {
    let sandbox = Sandbox::start().await.unwrap();
    let before = sandbox.control().now();
    let long = "x".repeat(10_000);
    let targets: Vec<(&str, String)> = vec![
        ("POST", "/sandbox/advance?seconds=-1".into()),
        (
            "POST",
            "/sandbox/advance?seconds=-18446744073709551615".into(),
        ),
        (
            "POST",
            "/sandbox/advance?seconds=18446744073709551615".into(),
        ),
        (
            "POST",
            "/sandbox/advance?seconds=18446744073709551616".into(),
        ),
        ("POST", "/sandbox/advance?seconds=1e300".into()),
        ("POST", "/sandbox/advance?seconds=NaN".into()),
        ("POST", "/sandbox/advance?seconds=%00".into()),
        ("POST", "/sandbox/advance?seconds=".into()),
        ("POST", "/sandbox/advance?seconds=1&seconds=-5".into()),
        ("POST", "/sandbox/advance?seconds[]=1".into()),
        ("POST", "/sandbox/payments/..%2F..%2Fadvance/pay".into()),
        ("POST", "/sandbox/payments/%2e%2e/pay?method=card".into()),
        ("POST", "/sandbox/payments/%00/pay?method=%00".into()),
        ("POST", format!("/sandbox/payments/{long}/pay")),
        ("POST", "/sandbox/payments/%FF%FE/transfer".into()),
        ("POST", "/sandbox/customers/-1/ban".into()),
        ("POST", "/sandbox/customers/0/ban".into()),
        ("POST", "/sandbox/customers/18446744073709551616/ban".into()),
        ("POST", "/sandbox/customers/%00/ban".into()),
        ("POST", "/sandbox/customers/1%2F..%2F2/ban".into()),
        ("POST", "/sandbox/deliveries/..%2Fall/redeliver".into()),
        ("POST", "/sandbox/deliveries/%00/redeliver".into()),
        ("POST", "/sandbox/deliveries/all/redeliver".into()),
        ("POST", "/sandbox/deliver-twice?enabled=%FF".into()),
        (
            "POST",
            "/sandbox/deliver-twice?enabled=false&enabled=true".into(),
        ),
        ("POST", "/sandbox/webhook-urls?url=%00".into()),
        (
            "POST",
            "/sandbox/webhook-urls?url=file%3A%2F%2F%2Fetc%2Fpasswd".into(),
        ),
        (
            "POST",
            "/sandbox/webhook-urls?url=javascript%3Aalert(1)".into(),
        ),
        (
            "DELETE",
            "/sandbox/webhook-urls?url=http%3A%2F%2Fnever.added%2F".into(),
        ),
        ("POST", "/sandbox/fail-next?operation=%00".into()),
        (
            "POST",
            "/sandbox/fail-next?operation=..%2FcreatePayment".into(),
        ),
        ("POST", "/sandbox/fail-next".into()),
        ("GET", "/sandbox/deliveries?limit=-1".into()),
    ];
    for (method, target) in &targets {
        let answer = ask(&sandbox, method, target.as_bytes(), &[]).await;
        assert_enveloped(target.as_bytes(), &answer);
        assert!(
            sandbox.control().now() >= before,
            "{target}: the clock went back"
        );
    }
    assert_serving(&sandbox).await;
}

/// `POST /sandbox/fail-next` as many times as a client likes: the failures queued are
/// bounded (each call past the bound refused in the envelope, naming the bound), and so is
/// the length of an injected code; the sandbox serves afterwards.
#[tokio::test]
async fn injected_failures_cannot_grow_without_end() {
    let sandbox = Sandbox::start().await.unwrap();
    let target = b"/sandbox/fail-next?operation=getPayment&code=unexpected_error";
    let mut refused = None;
    for n in 0..1_100 {
        let answer = ask(&sandbox, "POST", target, &[]).await;
        let body = assert_enveloped(target, &answer);
        if body["status"] == "error" {
            refused = Some((n, body));
            break;
        }
    }
    let (n, body) = refused.expect("1 100 injected failures of one operation were all queued");
    assert!(n >= 16, "refused after only {n}: {body}");
    assert_eq!(error_code(&body), "sandbox_control", "{body}");

    let code = "c".repeat(4_000);
    let target = format!("/sandbox/fail-next?operation=createPayment&code={code}");
    let answer = ask(&sandbox, "POST", target.as_bytes(), &[]).await;
    let body = assert_enveloped(target.as_bytes(), &answer);
    assert_eq!(
        body["error"], "invalid_parameter",
        "a 4 000-byte code was queued"
    );
    assert_serving(&sandbox).await;
}

/// `POST /sandbox/webhook-urls` with a new URL each time: the extra subscribers are bounded
/// (every event would be sent to each of them), the call past the bound refused in the
/// envelope.
#[tokio::test]
async fn extra_subscriber_urls_cannot_grow_without_end() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut refused = None;
    for n in 0..1_100 {
        let target = format!("/sandbox/webhook-urls?url=http%3A%2F%2F127.0.0.1%3A9%2Fhook{n}");
        let answer = ask(&sandbox, "POST", target.as_bytes(), &[]).await;
        let body = assert_enveloped(target.as_bytes(), &answer);
        if body["status"] == "error" {
            refused = Some((n, body));
            break;
        }
    }
    let (n, body) = refused.expect("1 100 extra subscriber URLs were all kept");
    assert!(n >= 8, "refused after only {n}: {body}");
    assert_eq!(error_code(&body), "sandbox_control", "{body}");
    assert!(sandbox.control().webhook_urls().len() <= n);
    assert_serving(&sandbox).await;
}

/// Path parameters that try to climb out of their route (`..`, `%2F`, NUL) are ids like
/// any other: not found, in the API's envelope.
#[tokio::test]
async fn path_parameters_cannot_climb_out_of_their_route() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = token(&http(), &sandbox).await;
    let auth = format!("auth: {token}");
    for target in [
        "/api/payment/..%2F..%2Fsandbox%2Fdeliveries",
        "/api/payment/%2e%2e",
        "/api/payment/%00",
        "/api/payment/a%00b",
        "/api/getRampoff?id=..%2F1",
        "/api/getRampoff?id=%00",
    ] {
        let answer = ask(&sandbox, "GET", target.as_bytes(), &[auth.as_bytes()]).await;
        let body = assert_enveloped(target.as_bytes(), &answer);
        assert_eq!(body["status"], "error", "{target}: {body}");
    }
    assert_serving(&sandbox).await;
}

/// A form with every key repeated (the secret first wrong, then right, and the other way
/// round), and heads with a thousand headers or one of 200 KiB or 1 MiB: each answered (the
/// envelope, or hyper's bare 4xx for the heads), and the sandbox serves afterwards.
#[tokio::test]
async fn repeated_form_keys_and_huge_heads_are_answered() {
    let sandbox = Sandbox::start().await.unwrap();
    let (key, secret) = (sandbox.api_key(), sandbox.api_secret());
    for form in [
        format!("api_key={key}&api_secret=wrong&api_secret={secret}"),
        format!("api_key={key}&api_secret={secret}&api_secret=wrong"),
        format!("api_key=&api_key={key}&api_secret={secret}&api_key=%00"),
        "api_key&api_secret&=&&&=".to_owned(),
    ] {
        let target = b"/api/authenticate";
        let answer = raw(
            sandbox.addr(),
            request(
                "POST",
                target,
                &[b"Content-Type: application/x-www-form-urlencoded"],
                form.as_bytes(),
            ),
        )
        .await;
        assert_enveloped(target, &answer);
    }

    let many: Vec<Vec<u8>> = (0..1_000)
        .map(|n| format!("X-Hostile-{n}: {}", "v".repeat(64)).into_bytes())
        .collect();
    let many: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
    // hyper refuses a head past its buffer (about 400 KiB) or of more than 100 headers
    // with a bare 431; below that, the head reaches the routes and is answered in the
    // envelope.
    let huge = |kib: usize| format!("X-Hostile: {}", "h".repeat(kib * 1024)).into_bytes();
    let (large, too_large) = (huge(200), huge(1024));
    for headers in [many, vec![large.as_slice()], vec![too_large.as_slice()]] {
        let target = b"/api/payment/x";
        let answer = ask(&sandbox, "GET", target, &headers).await;
        if answer.header("content-type") == Some("application/json") {
            assert_enveloped(target, &answer);
        } else {
            assert!(
                (400..500).contains(&answer.status),
                "HTTP {} to a head of {} headers",
                answer.status,
                headers.len()
            );
        }
    }
    assert_serving(&sandbox).await;
}

//! The sandbox never falls over: whatever arrives, it answers in the API's own style
//! (`{"status": "error", "error": code, "message": text}`, or the documented Laravel 422
//! body of company registration), never with a dropped connection or a panic, and it keeps
//! answering valid requests afterwards.
//!
//! Two kinds of input never reach the sandbox's code: a request line that is not HTTP
//! (raw non-ASCII bytes in the target, garbage) and a target longer than 64 KiB. hyper
//! answers those itself, with a bare 400 or 414 and no body; the tests pin that down too.

use std::time::Duration;

use cryptopocket_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

use crate::support::{assert_api_error, filled_path, http, raw, register, request, send, token};

/// Every JSON-bodied operation refuses a body it cannot read as a JSON object with
/// `invalid_json` (HTTP 200; 422 on the upload, whose errors are real statuses), and
/// company registration with its Laravel 422 body, as Laravel reads such a body as no input.
#[tokio::test]
async fn malformed_json_bodies_are_refused_in_the_api_style() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let user_id = register(&http, &sandbox, &token, "ada@example.com").await;
    let deep = "[".repeat(100_000);
    let bodies: [&[u8]; 10] = [
        b"{\"user_id\": ",
        b"[1, 2, 3]",
        b"null",
        b"\"a string\"",
        b"42",
        b"{\"a\": 1} {\"b\": 2}",
        b"{'single': 'quotes'}",
        deep.as_bytes(),
        b"\xff\xfe{\"name\": \"\xc3\x28\"}",
        b"name=Ada&email=ada%40example.com",
    ];
    let paths = [
        "authenticate",
        "registerUser",
        "registerUser/kyc-delegated",
        "onboarding-form",
        "createPayment",
        "createGuidedPayment",
        "createRampoff",
        "banking/reconcile",
    ];
    for body in bodies {
        for path in paths {
            let (status, answer) = send(
                http.post(format!("{}/{path}", sandbox.base_url()))
                    .header("auth", &token)
                    .header("content-type", "application/json")
                    .body(body.to_vec()),
            )
            .await;
            assert_api_error(status, &answer, 200, "invalid_json");
        }
        let (status, answer) = send(
            http.post(format!(
                "{}/customers/{user_id}/documents",
                sandbox.base_url()
            ))
            .header("auth", &token)
            .body(body.to_vec()),
        )
        .await;
        assert_api_error(status, &answer, 422, "invalid_json");
        let (status, answer) = send(
            http.post(format!("{}/register/company", sandbox.base_url()))
                .header("auth", &token)
                .body(body.to_vec()),
        )
        .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(
            answer["errors"]["company_name"][0],
            "The company name field is required."
        );
    }
    assert_still_serves(&sandbox).await;
}

/// A field of the wrong type is refused with a code and a message that names the field.
#[tokio::test]
async fn wrong_types_are_refused_naming_the_field() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let base = sandbox.base_url();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "authenticate",
            json!({"api_key": [1], "api_secret": "x"}),
            "api_key",
        ),
        (
            "registerUser",
            json!({"name": {"first": "Ada"}, "email": "ada@example.com"}),
            "name",
        ),
        (
            "registerUser",
            json!({"name": "Ada", "email": true}),
            "email",
        ),
        ("createPayment", json!({"user_id": [106]}), "user_id"),
        ("createPayment", json!({"user_id": -3}), "user_id"),
        ("createPayment", json!({"user_id": 1.5}), "user_id"),
        ("createPayment", json!({"user_id": "abc"}), "user_id"),
        (
            "createPayment",
            json!({"user_id": 106, "payment_type": "card", "fiat_symbol": "EUR",
                   "fiat_amount": "many"}),
            "fiat_amount",
        ),
        (
            "createGuidedPayment",
            json!({"user_id": 106, "coin_symbol": "USDC", "coin_chain": "polygon",
                   "fiat_amount": {"value": 100}}),
            "fiat_amount",
        ),
        ("createRampoff", json!({"user_id": true}), "user_id"),
        ("onboarding-form", json!({"user_id": null}), "user_id"),
    ];
    for (path, body, field) in cases {
        let (status, answer) = send(
            http.post(format!("{base}/{path}"))
                .header("auth", &token)
                .json(&body),
        )
        .await;
        assert_api_error(status, &answer, 200, "fail_mandatory_field");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(field), "{path} {body}: {message}");
    }
    let queries = [
        ("kyc/check?user_id=abc", "fail_mandatory_field"),
        ("kyc/check?user_id=1&user_id=", "fail_mandatory_field"),
        ("customers/list?page=-1", "invalid_parameter"),
        ("customers/list?per_page=1.5", "invalid_parameter"),
        (
            "payments/list?page=99999999999999999999999",
            "invalid_parameter",
        ),
        ("getRampoff", "fail_mandatory_field"),
        (
            "quote?amount=-5&symbol=USDC&payment_type=card",
            "fail_mandatory_field",
        ),
        (
            "banking/accounts/ES9121000418450200051332/transactions?from=yesterday",
            "invalid_parameter",
        ),
    ];
    for (query, code) in queries {
        let (status, answer) =
            send(http.get(format!("{base}/{query}")).header("auth", &token)).await;
        assert_api_error(status, &answer, 200, code);
    }
    let forms = [
        "type=NOT_AN_EVENT&url=https%3A%2F%2Fdemo.com",
        "type=PAY_IN&url=javascript%3Aalert(1)",
        "type=PAY_IN&url=not%20a%20url",
        "type[]=PAY_IN&url[]=https%3A%2F%2Fdemo.com",
        "",
    ];
    for form in forms {
        let (status, answer) = send(
            http.post(format!("{base}/subscribeToWebhook"))
                .header("auth", &token)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form),
        )
        .await;
        assert_api_error(status, &answer, 200, "fail_mandatory_field");
    }
    assert_still_serves(&sandbox).await;
}

/// Unknown paths answer 404 `not_found`, known paths with the wrong method 405
/// `wrong_http_method` with an `Allow` header; both in the API's style.
#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_refused_in_the_api_style() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let origin = sandbox.base_url().trim_end_matches("/api");
    for path in [
        "/",
        "/api",
        "/api/",
        "/api/nope",
        "/api/payment",
        "/api/payment/",
        "/api/authenticate/",
        "/API/authenticate",
        "/api/customers/1/documents/extra",
        "/favicon.ico",
    ] {
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let (status, answer) = send(
                http.request(method.clone(), format!("{origin}{path}"))
                    .header("auth", &token),
            )
            .await;
            assert_api_error(status, &answer, 404, "not_found");
        }
    }
    let wrong = [
        (reqwest::Method::DELETE, "/api/authenticate", "POST"),
        (reqwest::Method::GET, "/api/createPayment", "POST"),
        (reqwest::Method::PUT, "/api/quote", "GET,HEAD"),
        (reqwest::Method::PATCH, "/api/payment/abc", "GET,HEAD"),
        (reqwest::Method::OPTIONS, "/api/subscribeToWebhook", "POST"),
        (reqwest::Method::GET, "/api/customers/1/documents", "POST"),
    ];
    for (method, path, allow) in wrong {
        let answer = http
            .request(method.clone(), format!("{origin}{path}"))
            .header("auth", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        let (status, body) = (
            answer.status().as_u16(),
            answer.json::<Value>().await.unwrap(),
        );
        assert_api_error(status, &body, 405, "wrong_http_method");
    }
    // An unknown method is still a method.
    let custom = reqwest::Method::from_bytes(b"BREW").unwrap();
    let (status, answer) = send(http.request(custom, format!("{origin}/api/quote"))).await;
    assert_api_error(status, &answer, 405, "wrong_http_method");
    assert_still_serves(&sandbox).await;
}

/// Percent-escapes that do not decode (or decode to bytes that are not UTF-8) in a path
/// parameter are answered as the lookup they stand for, in the API's style.
#[tokio::test]
async fn invalid_percent_encoding_in_paths_is_answered_in_the_api_style() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let auth = format!("auth: {token}");
    let cases: [(&str, &[u8], u16, &str); 9] = [
        ("GET", b"/api/payment/%ZZ", 200, "payment_not_found"),
        ("GET", b"/api/payment/%", 200, "payment_not_found"),
        ("GET", b"/api/payment/%FF%FE", 200, "payment_not_found"),
        ("GET", b"/api/payment/%C3%28", 200, "payment_not_found"),
        (
            "GET",
            b"/api/banking/accounts/%FF/transactions",
            404,
            "account_not_found",
        ),
        (
            "GET",
            b"/api/banking/accounts/ES91%2/transactions",
            404,
            "account_not_found",
        ),
        (
            "POST",
            b"/api/customers/%FF/documents",
            404,
            "user_not_found",
        ),
        ("GET", b"/api/nope%FF%00", 404, "not_found"),
        (
            "GET",
            b"/api/getRampoff?id=%FF%FE%ZZ",
            200,
            "rampoff_not_found",
        ),
    ];
    for (method, target, http_status, code) in cases {
        let answer = raw(
            sandbox.addr(),
            request(method, target, &[auth.as_bytes()], b""),
        )
        .await;
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{}",
            String::from_utf8_lossy(target)
        );
        assert_api_error(answer.status, &answer.json(), http_status, code);
    }
    assert_still_serves(&sandbox).await;
}

/// Bytes that are not UTF-8 in a body, a form, a query or a header are read the way PHP
/// would (lossily, or as no token) and refused in the API's style.
#[tokio::test]
async fn non_utf8_bytes_are_refused_in_the_api_style() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let auth = format!("auth: {token}");
    let addr = sandbox.addr();
    let cases: [(Vec<u8>, u16, &str); 6] = [
        (
            request("POST", b"/api/authenticate", &[], b"\xff\xfe\xfd"),
            200,
            "invalid_json",
        ),
        (
            request(
                "POST",
                b"/api/registerUser",
                &[auth.as_bytes(), b"Content-Type: application/json"],
                b"{\"name\": \"\xff\", \"email\": \"a@b.co\"}",
            ),
            200,
            "invalid_json",
        ),
        (
            request(
                "POST",
                b"/api/subscribeToWebhook",
                &[auth.as_bytes()],
                b"type=\xff\xfe&url=https%3A%2F%2F\xff.example",
            ),
            200,
            "fail_mandatory_field",
        ),
        (
            request(
                "GET",
                b"/api/token-price?symbol=%FF%FE",
                &[auth.as_bytes()],
                b"",
            ),
            200,
            "coin_not_supported",
        ),
        (
            request(
                "GET",
                b"/api/available-assets",
                &[b"auth: \xff\xfe\x80"],
                b"",
            ),
            200,
            "authorization_incorrect",
        ),
        (
            request("GET", b"/api/available-assets", &[b"auth:"], b""),
            200,
            "authorization_incorrect",
        ),
    ];
    for (bytes, http_status, code) in cases {
        let answer = raw(addr, bytes).await;
        assert_api_error(answer.status, &answer.json(), http_status, code);
    }
    // Raw non-ASCII bytes in the request target are not HTTP: hyper refuses them before
    // the sandbox sees a request, with a bare 400. Garbage is refused the same way.
    for bytes in [
        request("GET", b"/api/payment/\xff\xfe", &[], b""),
        request("GET", b"/api/quote?amount=\xff", &[], b""),
        b"NOT HTTP AT ALL\r\n\r\n".to_vec(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(),
    ] {
        let answer = raw(addr, bytes).await;
        assert_eq!(answer.status, 400);
    }
    assert_still_serves(&sandbox).await;
}

/// Query strings up to hyper's limit on a request target (64 KiB) reach the sandbox and
/// get an API answer; beyond it hyper answers 414 (and 431 past its 400 KiB head buffer)
/// with no body. Either way the sandbox goes on serving.
#[tokio::test]
async fn huge_query_strings_are_answered() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let base = sandbox.base_url();
    let long = "9".repeat(60 * 1024);
    let (status, answer) = send(
        http.get(format!(
            "{base}/quote?amount={long}&symbol=USDC&payment_type=card"
        ))
        .header("auth", &token),
    )
    .await;
    assert_api_error(status, &answer, 200, "fail_mandatory_field");
    let many = "page=2&".repeat(8 * 1024);
    let (status, answer) = send(
        http.get(format!("{base}/customers/list?{many}"))
            .header("auth", &token),
    )
    .await;
    assert_eq!((status, &answer["status"]), (200, &json!("ok")), "{answer}");
    let symbol = "S".repeat(60 * 1024);
    let (status, answer) = send(
        http.get(format!("{base}/token-price?symbol={symbol}"))
            .header("auth", &token),
    )
    .await;
    assert_api_error(status, &answer, 200, "coin_not_supported");
    assert!(
        answer["message"].as_str().unwrap().len() < 61 * 1024,
        "the message need not echo 60 KiB twice"
    );
    for (size, http_status) in [(100 * 1024, 414), (512 * 1024, 431)] {
        let target = format!("/api/quote?amount={}", "1".repeat(size));
        let answer = raw(sandbox.addr(), request("GET", target.as_bytes(), &[], b"")).await;
        assert_eq!(answer.status, http_status);
    }
    assert_still_serves(&sandbox).await;
}

/// A body over `Limits::max_body_bytes` (2 MiB) is refused with HTTP 413 and
/// `payload_too_large`, whether it says its length or comes in chunks; the client sees the
/// answer, not a reset connection. Exactly the limit is read.
#[tokio::test]
async fn oversized_bodies_get_413_in_the_api_style() {
    let sandbox = Sandbox::start().await.unwrap();
    let limit = SandboxConfig::default().limits.max_body_bytes;
    assert_eq!(limit, 2 * 1024 * 1024);
    let http = http();
    let token = token(&http, &sandbox).await;
    let base = sandbox.base_url();
    let over = vec![b' '; limit + 1];
    for path in [
        "registerUser",
        "createPayment",
        "subscribeToWebhook",
        "authenticate",
    ] {
        let (status, answer) = send(
            http.post(format!("{base}/{path}"))
                .header("auth", &token)
                .body(over.clone()),
        )
        .await;
        assert_api_error(status, &answer, 413, "payload_too_large");
    }
    let user_id = register(&http, &sandbox, &token, "ada@example.com").await;
    let (status, answer) = send(
        http.post(format!("{base}/customers/{user_id}/documents"))
            .header("auth", &token)
            .body(vec![b'A'; limit * 3]),
    )
    .await;
    assert_api_error(status, &answer, 413, "payload_too_large");
    // Chunked, without a length: still counted, still refused.
    let auth = format!("auth: {token}");
    let mut chunked = Vec::new();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..(limit / chunk.len() + 1) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(
        sandbox.addr(),
        request(
            "GET",
            b"/api/registerUser",
            &[auth.as_bytes(), b"Transfer-Encoding: chunked"],
            b"",
        ),
    )
    .await;
    assert_eq!(answer.status, 405, "a GET with a body is still a GET");
    let mut head = request(
        "POST",
        b"/api/registerUser",
        &[auth.as_bytes(), b"Transfer-Encoding: chunked"],
        b"",
    );
    // `request` adds `Content-Length: 0` to a POST; a chunked one has none.
    let zero = b"Content-Length: 0\r\n";
    let at = head.windows(zero.len()).position(|w| w == zero).unwrap();
    head.drain(at..at + zero.len());
    head.extend_from_slice(&chunked);
    let answer = raw(sandbox.addr(), head).await;
    assert_api_error(answer.status, &answer.json(), 413, "payload_too_large");
    // A declared length far over the limit, written while the answer is read.
    let body = vec![b'{'; 3 * 1024 * 1024];
    let answer = raw(
        sandbox.addr(),
        request("POST", b"/api/registerUser", &[auth.as_bytes()], &body),
    )
    .await;
    assert_api_error(answer.status, &answer.json(), 413, "payload_too_large");
    // Exactly the limit is read and judged on its content.
    let mut exact = b"{\"name\": \"Ada\"}".to_vec();
    exact.resize(limit, b' ');
    let (status, answer) = send(
        http.post(format!("{base}/registerUser"))
            .header("auth", &token)
            .body(exact),
    )
    .await;
    assert_api_error(status, &answer, 200, "fail_mandatory_field");
    // Authentication comes first: without a token the size does not matter.
    let (status, answer) = send(http.post(format!("{base}/registerUser")).body(over)).await;
    assert_api_error(status, &answer, 200, "authorization_incorrect");
    assert_still_serves(&sandbox).await;
}

/// Amounts too large for the sandbox's decimal arithmetic used to panic in the handler
/// (a dropped connection): fees, prices and cents overflowed. They are refused now, and
/// the largest accepted amount goes through the whole flow.
#[tokio::test]
async fn absurd_amounts_are_refused_instead_of_overflowing() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let base = sandbox.base_url();
    let huge = [
        "10000000000000000000000000",
        "79228162514264337593543950335",
        "1e25",
        "1000000000000000.01",
    ];
    for amount in huge {
        for query in [
            format!("getRampoffQuote?amount={amount}&symbol=BTC"),
            format!("quote?amount={amount}&symbol=USDC&payment_type=card"),
        ] {
            let (status, answer) =
                send(http.get(format!("{base}/{query}")).header("auth", &token)).await;
            assert_api_error(status, &answer, 200, "fail_mandatory_field");
        }
    }
    let user_id = register(&http, &sandbox, &token, "whale@example.com").await;
    for amount in [json!(1e25), json!("79228162514264337593543950335")] {
        let (status, answer) = send(
            http.post(format!("{base}/createRampoff"))
                .header("auth", &token)
                .json(
                    &json!({"user_id": user_id, "amount": amount, "symbol": "BTC",
                              "blockchain": "bitcoin", "iban": "ES9121000418450200051332"}),
                ),
        )
        .await;
        assert_api_error(status, &answer, 200, "fail_mandatory_field");
    }
    // The largest amount works end to end: quote, sale, status.
    let max = "1000000000000000";
    let (_, quote) = send(
        http.get(format!("{base}/getRampoffQuote?amount={max}&symbol=BTC"))
            .header("auth", &token),
    )
    .await;
    assert_eq!(quote["status"], "ok", "{quote}");
    let (_, created) = send(
        http.post(format!("{base}/createRampoff"))
            .header("auth", &token)
            .json(&json!({"user_id": user_id, "amount": max, "symbol": "BTC",
                          "blockchain": "bitcoin", "iban": "ES9121000418450200051332"})),
    )
    .await;
    assert_eq!(created["status"], "ok", "{created}");
    let id = created["data"]["id"].as_str().unwrap();
    sandbox.control().advance(Duration::from_secs(120));
    let (_, status) = send(
        http.get(format!("{base}/getRampoff?id={id}"))
            .header("auth", &token),
    )
    .await;
    assert_eq!(status["data"]["status"], "finished", "{status}");
    assert_eq!(status["data"]["amount"], "100000000000000000000000");
    // And a purchase of the largest amount, by a customer cleared for it, with psd2
    // (no quarterly card limit): created, paid, received, its cents reported.
    let control = sandbox.control();
    control.advance(Duration::from_secs(60));
    let (_, link) = send(
        http.post(format!("{base}/onboarding-form"))
            .header("auth", &token)
            .json(&json!({"user_id": user_id})),
    )
    .await;
    assert_eq!(link["status"], "ok", "{link}");
    control.advance(Duration::from_secs(60));
    let (_, payment) = send(
        http.post(format!("{base}/createPayment"))
            .header("auth", &token)
            .json(
                &json!({"user_id": user_id, "payment_type": "psd2", "fiat_symbol": "EUR",
                          "fiat_amount": max, "coin_symbol": "BTC", "coin_chain": "bitcoin",
                          "wallet": "bc1qsandbox"}),
            ),
    )
    .await;
    assert_eq!(payment["status"], "success", "{payment}");
    let payment_id = payment["data"]["payment_id"].as_str().unwrap();
    control.pay(payment_id, "psd2").unwrap();
    control.advance(Duration::from_secs(60));
    let (_, got) = send(
        http.get(format!("{base}/payment/{payment_id}"))
            .header("auth", &token),
    )
    .await;
    assert_eq!(got["data"]["status"], "coins_sent", "{got}");
    assert_eq!(
        got["data"]["fiat_amount"],
        json!(100_000_000_000_000_000_u64)
    );
    assert_still_serves(&sandbox).await;
}

/// Advancing the virtual clock by any amount used to overflow chrono on the next request
/// and leave every later request panicking; now `Control::advance` stops the clock at ten
/// thousand years, `POST /sandbox/advance` refuses to go past that, and the sandbox keeps
/// serving either way.
#[tokio::test]
async fn the_clock_can_be_advanced_by_any_amount() {
    let sandbox = Sandbox::start().await.unwrap();
    let control = sandbox.control();
    let before = control.now();
    control.advance(Duration::MAX);
    control.advance(Duration::MAX);
    let parked = control.now();
    assert!(parked > before);
    let http = http();
    let origin = sandbox.base_url().trim_end_matches("/api");
    let (status, answer) =
        send(http.post(format!("{origin}/sandbox/advance?seconds={}", u64::MAX))).await;
    assert_api_error(status, &answer, 422, "invalid_parameter");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("`seconds` must be at most 0:"),
        "{answer}"
    );
    assert_eq!(control.now(), parked);
    assert_still_serves(&sandbox).await;
}

/// Ten thousand years, the clock's cap, in seconds: the largest advance a fresh sandbox
/// accepts.
const CAP_SECONDS: u64 = 10_000 * 366 * 24 * 60 * 60;

/// `POST /sandbox/advance` past the clock's cap used to park the clock there, where no
/// scheduled step ever happened again. It is refused now, naming `seconds` and the largest
/// value accepted, and the clock does not move: a later advance still moves a new
/// customer's KYC along.
#[tokio::test]
async fn advancing_past_the_clock_cap_is_refused() {
    let sandbox = Sandbox::start().await.unwrap();
    let control = sandbox.control();
    let http = http();
    let origin = sandbox.base_url().trim_end_matches("/api");
    let advance = |seconds: String| {
        let http = http.clone();
        let url = format!("{origin}/sandbox/advance?seconds={seconds}");
        async move { send(http.post(url)).await }
    };
    let start = control.now();
    for (seconds, largest) in [
        (u64::MAX, CAP_SECONDS),
        (CAP_SECONDS + 1, CAP_SECONDS),
        (CAP_SECONDS, CAP_SECONDS - 60),
    ] {
        if seconds == CAP_SECONDS {
            // A minute on, a minute less is left.
            let (status, answer) = advance("60".into()).await;
            assert_eq!((status, &answer["status"]), (200, &json!("ok")), "{answer}");
        }
        let before = control.now();
        let (status, answer) = advance(seconds.to_string()).await;
        assert_api_error(status, &answer, 422, "invalid_parameter");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("`seconds` must be at most {largest}:")),
            "{message}"
        );
        assert_eq!(
            control.now(),
            before,
            "a refused advance leaves the clock alone"
        );
    }
    assert_eq!(control.now() - start, chrono::TimeDelta::seconds(60));

    // Scheduled steps still happen: a new customer's KYC is decided 30 s after it
    // registers.
    let token = token(&http, &sandbox).await;
    let user_id = register(&http, &sandbox, &token, "after-the-cap@example.com").await;
    let kyc = || {
        let request = http
            .get(format!(
                "{}/kyc/check?user_id={user_id}",
                sandbox.base_url()
            ))
            .header("auth", &token);
        async move {
            let (_, answer) = send(request).await;
            answer["data"]["kyc_status"].clone()
        }
    };
    assert_eq!(kyc().await, "unused");
    let (status, answer) = advance("60".into()).await;
    assert_eq!((status, &answer["status"]), (200, &json!("ok")), "{answer}");
    assert_eq!(kyc().await, "valid");
    // And the largest value still goes through, ending where the clock stops.
    let (status, answer) = advance((CAP_SECONDS - 120).to_string()).await;
    assert_eq!((status, &answer["status"]), (200, &json!("ok")), "{answer}");
    let (status, answer) = advance("1".into()).await;
    assert_api_error(status, &answer, 422, "invalid_parameter");
    assert_still_serves(&sandbox).await;
}

/// Every operation, sent with nothing but a token, answers JSON in the API's style (an
/// envelope or a documented 4xx), never a server error.
#[tokio::test]
async fn every_operation_answers_an_empty_request() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let base = sandbox.base_url();
    // The spec's operation table, each path with its parameters filled in.
    for op in cryptopocket_api::operations::ALL {
        let path = filled_path(op.path);
        let path = path.trim_start_matches('/');
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
        let (status, answer) = send(
            http.request(method, format!("{base}/{path}"))
                .header("auth", &token),
        )
        .await;
        assert!(
            matches!(status, 200 | 404 | 422),
            "{path}: {status} {answer}"
        );
        let is_laravel_body = path == "register/company" && status == 422;
        if !is_laravel_body {
            assert!(answer["status"].is_string(), "{path}: {answer}");
        }
        if status != 200 {
            assert!(answer["message"].is_string(), "{path}: {answer}");
        }
    }
    let exchanges = sandbox.control().exchanges();
    assert!(exchanges.iter().all(|e| e.status < 500), "{exchanges:?}");
}

/// After whatever a test sent: a fresh token, a new customer, its KYC status and the list.
async fn assert_still_serves(sandbox: &Sandbox) {
    let http = http();
    let token = token(&http, sandbox).await;
    let email = format!("still-{}@example.com", fastrand_like_suffix());
    let user_id = register(&http, sandbox, &token, &email).await;
    let (status, answer) = send(
        http.get(format!(
            "{}/kyc/check?user_id={user_id}",
            sandbox.base_url()
        ))
        .header("auth", &token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"], "ok", "{answer}");
    assert_eq!(answer["data"]["user_id"], user_id);
}

/// A suffix that differs between calls in one process.
fn fastrand_like_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

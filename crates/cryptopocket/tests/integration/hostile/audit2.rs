//! The second attacker's round: a list server that lies about its pages, retries and the
//! one allowed replay of a create, and the look-up by external id against a server whose
//! rows nearly match. Each case asserts the error (or the items), and how many requests
//! reached the server.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use cryptopocket::{Client, Error, model::ApiErrorCode};
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::any};

use crate::support::{
    AUTHENTICATE, CREATE_PAYMENT, GET_PAYMENT, LIST_PAYMENTS, client_builder, mock,
    mock::Received as _, page_body, payment_data, payment_id, payment_request,
};

/// Payment number `n` of a list, with external id `ext-n`.
fn payment(n: u64) -> Value {
    let mut payment = payment_data();
    payment["id"] = json!(format!("Pay{n:0>22}"));
    payment["external_id"] = json!(format!("ext-{n}"));
    payment
}

/// A server that authenticates with `T1` and answers `GET /payments/list?page=N` with
/// `page(N)`; a client pointed at it (retries fast, 3 attempts).
async fn list_server(
    page: impl Fn(u64) -> ResponseTemplate + Send + Sync + 'static,
) -> (MockServer, Client) {
    let (server, client) = mock::authenticated().await;
    mock::otherwise(&server, move |request: &Request| {
        let number = request.query("page").and_then(|p| p.parse::<u64>().ok());
        match (request.url.path(), number) {
            (LIST_PAYMENTS, Some(n)) => page(n),
            _ => mock::json(404, json!({"message": "no such page"})),
        }
    })
    .await;
    (server, client)
}

/// The page numbers the server was asked for, in arrival order.
async fn pages_asked(server: &MockServer) -> Vec<u64> {
    mock::requests_to(server, LIST_PAYMENTS)
        .await
        .iter()
        .filter_map(|r| r.query("page").and_then(|p| p.parse().ok()))
        .collect()
}

/// Asked for page 2, the server says it is page 5 (a page it never served before): the
/// stream ends with an error naming both the page asked for and the page that came back,
/// after the items of page 1, and nothing further is asked for.
#[tokio::test]
async fn a_page_echoed_with_the_wrong_number_is_named_as_such() {
    for ahead in [0, 1, 3] {
        let (server, client) = list_server(|n| {
            let echoed = if n == 2 { 5 } else { n };
            mock::json(200, page_body(vec![payment(n)], echoed, 1, 9, 9))
        })
        .await;
        let results: Vec<_> = futures::StreamExt::collect::<Vec<_>>(
            client.onramp().list().fetch_ahead(ahead).stream(),
        )
        .await;
        assert_eq!(results.len(), 2, "fetching {ahead} ahead: {results:?}");
        assert_eq!(
            results[0].as_ref().unwrap().external_id.as_deref(),
            Some("ext-1")
        );
        let error = results[1].as_ref().unwrap_err();
        assert!(
            matches!(
                error,
                Error::RepeatedPage {
                    operation: "listPayments",
                    page: 5,
                    requested: 2
                }
            ),
            "{error:?}"
        );
        let shown = error.to_string();
        assert!(
            shown.contains("page 2") && shown.contains("page 5"),
            "the message names the page asked for and the one served: {shown}"
        );
        if ahead == 0 {
            assert_eq!(pages_asked(&server).await, [1, 2]);
        }
    }
}

/// `last_page` shrinks between pages (page 1 says 5, page 2 says 2): the walk ends after
/// page 2; it grows (page n says n + 1): the walk follows the latest, to an empty page.
/// One page at a time, exactly the pages walked are asked for.
#[tokio::test]
async fn last_page_changing_between_pages_follows_the_latest_page() {
    let (server, client) = list_server(|n| {
        let last = match n {
            1 => 5,
            _ => 2,
        };
        mock::json(200, page_body(vec![payment(n)], n, 1, last, last))
    })
    .await;
    let all = client
        .onramp()
        .list()
        .fetch_ahead(0)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(pages_asked(&server).await, [1, 2]);

    let (server, client) = list_server(|n| {
        let last = n + 1;
        let items = if n <= 3 { vec![payment(n)] } else { vec![] };
        mock::json(200, page_body(items, n, 1, last, last))
    })
    .await;
    let all = client
        .onramp()
        .list()
        .fetch_ahead(0)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
    // Page 4 is empty (though it announces page 5): the walk ends there.
    assert_eq!(pages_asked(&server).await, [1, 2, 3, 4]);
}

/// `current_page` as a string is read as the number; absent, or not a number, the page is
/// a decode error naming `current_page`, not a silently shortened list.
#[tokio::test]
async fn current_page_absent_or_mistyped() {
    let as_string = |n: u64| {
        let mut body = page_body(vec![payment(n)], n, 1, 2, 2);
        body["pagination"]["current_page"] = json!(n.to_string());
        mock::json(200, body)
    };
    let (_server, client) = list_server(as_string).await;
    let all = client.onramp().list().try_collect().await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");

    for broken in [Value::Null, json!("two"), json!({"n": 1}), json!(-1.5)] {
        let absent = broken.is_null();
        let served = broken.clone();
        let (server, client) = list_server(move |n| {
            let mut body = page_body(vec![payment(n)], n, 1, 2, 2);
            if absent {
                body["pagination"]
                    .as_object_mut()
                    .unwrap()
                    .remove("current_page");
            } else {
                body["pagination"]["current_page"] = served.clone();
            }
            mock::json(200, body)
        })
        .await;
        let error = client.onramp().list().try_collect().await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Decode {
                    operation: "listPayments",
                    ..
                }
            ),
            "{broken}: {error:?}"
        );
        assert!(
            error.to_string().contains("current_page"),
            "{broken}: {error}"
        );
        // A decode error is not retried: the same server sends the same page.
        assert_eq!(pages_asked(&server).await, [1], "{broken}");
    }
}

/// A page holding more rows than `per_page` said, and rows repeated across pages: the
/// items are passed on as served (the list is the server's), in order, and the walk ends
/// at the last page.
#[tokio::test]
async fn oversized_pages_and_repeated_rows_are_passed_on_in_order() {
    let (server, client) = list_server(|n| {
        let rows = vec![payment(1), payment(2), payment(n + 10)];
        mock::json(200, page_body(rows, n, 1, 3, 2))
    })
    .await;
    let all = client
        .onramp()
        .list()
        .per_page(1)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().filter_map(|p| p.external_id.clone()).collect();
    assert_eq!(
        ids,
        ["ext-1", "ext-2", "ext-11", "ext-1", "ext-2", "ext-12"]
    );
    assert_eq!(pages_asked(&server).await, [1, 2]);
}

/// A server that authenticates (`T1`, `T2`, …) and answers every other request with
/// `answer`; a client with `attempts` fast attempts and a 3 s deadline.
async fn answering(
    answer: impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
    attempts: u32,
) -> (MockServer, Client) {
    let server = MockServer::builder().start().await;
    mock::on(&server, "POST", AUTHENTICATE, mock::numbered_tokens()).await;
    Mock::given(any())
        .respond_with(answer)
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    let client = client_builder(&server)
        .retry_policy(crate::support::fast_retries(attempts))
        .deadline(Duration::from_secs(3))
        .build()
        .unwrap();
    (server, client)
}

/// HTTP 429 and 503 on a create, with `Retry-After` in every form (seconds, zero, a date in
/// the past, a leading `+`, spaces, a fraction, garbage, huge): never sent again, since the
/// request arrived; the error is the status, and says the create may exist.
#[tokio::test]
async fn a_429_or_503_on_a_create_is_never_resent_whatever_retry_after_says() {
    let forms = [
        "0",
        "1",
        "+1",
        " 2 ",
        "1.5",
        "soon",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "18446744073709551615",
        "99999999999999999999999",
    ];
    for status in [429, 503] {
        for form in forms {
            let (server, client) =
                answering(move |_| mock::retry_after(status, "busy", form), 5).await;
            let started = Instant::now();
            let error = client
                .onramp()
                .create(&payment_request("ORDER-429"))
                .await
                .unwrap_err();
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "{status} {form:?}"
            );
            assert!(
                matches!(&error, Error::UnexpectedStatus { status: s, operation: "createPayment", .. } if *s == status),
                "{status} {form:?}: {error:?}"
            );
            assert!(error.may_have_reached_server(), "{status} {form:?}");
            assert_eq!(
                mock::count(&server, CREATE_PAYMENT).await,
                1,
                "{status} {form:?}"
            );
        }
    }
}

/// The same answers on a read: retried (3 attempts) when `Retry-After` fits in the deadline
/// or cannot be read; one attempt and `RetryAfterPastDeadline` when it asks for longer than
/// the deadline; never a wait past the deadline.
#[tokio::test]
async fn retry_after_forms_on_a_read() {
    let cases: [(&str, usize); 8] = [
        ("0", 3),
        ("+0", 3),
        (" 0 ", 3),
        ("0.5", 3),
        ("soon", 3),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 3),
        ("3600", 1),
        ("18446744073709551615", 1),
    ];
    for (form, expected) in cases {
        let (server, client) = answering(move |_| mock::retry_after(503, "busy", form), 3).await;
        let started = Instant::now();
        let error = client.onramp().get(&payment_id()).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{form:?}: {:?}",
            started.elapsed()
        );
        let sent = mock::count(&server, GET_PAYMENT).await;
        assert_eq!(sent, expected, "{form:?}: {error:?}");
        if expected == 1 {
            assert!(
                matches!(error, Error::RetryAfterPastDeadline { status: 503, .. }),
                "{form:?}: {error:?}"
            );
        } else {
            assert!(
                matches!(error, Error::UnexpectedStatus { status: 503, .. }),
                "{form:?}: {error:?}"
            );
        }
    }
}

/// `authorization_incorrect` on a create, twice in a row: one fresh token and one replay
/// (the only replay a create gets), then the refusal is the answer: the create reached the
/// server exactly twice, each time with a different token.
#[tokio::test]
async fn authorization_incorrect_twice_on_a_create_replays_once() {
    let (server, client) = answering(|_| mock::api_error("authorization_incorrect"), 5).await;
    let error = client
        .onramp()
        .create(&payment_request("ORDER-AUTH"))
        .await
        .unwrap_err();
    match &error {
        Error::Api(api) => assert_eq!(api.code, ApiErrorCode::AuthorizationIncorrect),
        other => panic!("{other:?}"),
    }
    assert!(!error.may_have_reached_server(), "{error:?}");
    let creates = mock::requests_to(&server, CREATE_PAYMENT).await;
    let tokens: Vec<_> = creates
        .iter()
        .map(|r| r.auth().unwrap_or_default())
        .collect();
    assert_eq!(tokens, ["T1", "T2"]);
    assert_eq!(mock::count(&server, AUTHENTICATE).await, 2);
}

/// Refused once, then an answer that may have acted (a 503): the replay was the one allowed
/// send after the refusal, so nothing is sent a third time.
#[tokio::test]
async fn after_the_replay_a_create_is_not_retried() {
    let seen = Arc::new(AtomicUsize::new(0));
    let (server, client) = answering(
        move |_| match seen.fetch_add(1, Ordering::SeqCst) {
            0 => mock::api_error("authorization_incorrect"),
            _ => mock::retry_after(503, "busy", "0"),
        },
        5,
    )
    .await;
    let error = client
        .onramp()
        .create(&payment_request("ORDER-AUTH-503"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::UnexpectedStatus { status: 503, .. }),
        "{error:?}"
    );
    assert!(error.may_have_reached_server());
    assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 2);
}

/// The look-up by external id against rows that nearly match (another case, spaces, a
/// prefix) finds nothing; with several exact matches it returns the first, in list order.
#[tokio::test]
async fn find_by_external_id_compares_exactly_and_takes_the_first_match() {
    let near = |ext: &str, id: u64| {
        let mut row = payment(id);
        row["external_id"] = json!(ext);
        row
    };
    let rows = vec![
        near("order-7", 1),
        near(" ORDER-7", 2),
        near("ORDER-7 ", 3),
        near("ORDER-70", 4),
        near("ORDER-\u{0037}\u{200b}", 5),
    ];
    let page = mock::json(200, page_body(rows, 1, 100, 5, 1));
    let (server, client) = list_server(move |_| page.clone()).await;
    assert_eq!(
        client
            .onramp()
            .find_by_external_id("ORDER-7")
            .await
            .unwrap(),
        None
    );
    assert_eq!(pages_asked(&server).await, [1]);

    let rows = vec![near("ORDER-7", 8), near("ORDER-7", 9)];
    let (_server, client) = list_server(move |n| {
        mock::json(
            200,
            page_body(if n == 1 { rows.clone() } else { vec![] }, n, 100, 2, 1),
        )
    })
    .await;
    let found = client
        .onramp()
        .find_by_external_id("ORDER-7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id.to_string(), format!("Pay{:0>22}", 8));
}

/// Short (under 20 characters), so only redaction by value can hide them.
const ECHO_SECRET: &str = "Ae4/Xk+9Zr2Q";
const ECHO_TOKEN: &str = "Tq7Hm2Wd9Lx4";

/// Every six-character window of `secret`, as sent and as JSON with PHP's escaped slashes.
fn windows(secret: &str) -> Vec<String> {
    let mut out = Vec::new();
    for form in [secret.to_owned(), secret.replace('/', "\\/")] {
        let chars: Vec<char> = form.chars().collect();
        out.extend(chars.windows(6).map(|w| w.iter().collect::<String>()));
    }
    out
}

/// A server that puts the secret and the token everywhere an answer has text: a business
/// error's code and message, a validation body's message, field names and messages, a
/// misshapen page of a list fetched ahead, a lenient field of the token's answer, and the
/// response headers. Authenticate, a read, a create, a list and a failed list run with a
/// TRACE subscriber capturing everything: no window of either is in the logs or in any
/// error's `Display` or `Debug`.
#[tokio::test(flavor = "current_thread")]
async fn a_server_echoing_the_token_and_secret_everywhere_leaves_no_trace() {
    let (logs, _guard) = crate::support::logs::Captured::start(tracing::Level::TRACE);
    let server = MockServer::builder().start().await;
    let both = format!("secret {ECHO_SECRET} token {ECHO_TOKEN}");
    let echo = move |status: u16, body: Value| {
        mock::json(status, body)
            .insert_header("x-echo-token", ECHO_TOKEN)
            .insert_header("x-echo-secret", ECHO_SECRET)
            .insert_header(
                "set-cookie",
                format!("session={ECHO_TOKEN}; secret={ECHO_SECRET}"),
            )
    };
    let answer = {
        let both = both.clone();
        move |request: &Request| match (request.url.path(), request.query("page")) {
            (AUTHENTICATE, _) => echo(
                200,
                json!({"status": "ok", "data": {
                    "token": ECHO_TOKEN, "expires_in": 3600, "expires_at": both.clone(),
                }}),
            ),
            (GET_PAYMENT, _) => echo(
                200,
                json!({"status": "error", "error": ECHO_TOKEN, "message": both.clone()}),
            ),
            (CREATE_PAYMENT, _) => echo(
                422,
                json!({"message": both.clone(), "errors": {
                    "external_id": [both.clone()], ECHO_TOKEN: [ECHO_SECRET],
                }}),
            ),
            (LIST_PAYMENTS, Some("1")) => echo(200, page_body(vec![payment(1)], 1, 1, 2, 2)),
            (LIST_PAYMENTS, _) => echo(
                200,
                json!({"status": "ok", "data": [{"id": ECHO_TOKEN, "fiat_amount": both.clone()}],
                       "pagination": {"current_page": 2, "per_page": 1, "total": 2, "last_page": 2}}),
            ),
            _ => echo(404, json!({"message": both.clone()})),
        }
    };
    Mock::given(any()).respond_with(answer).mount(&server).await;
    let client = client_builder(&server)
        .credentials("key-test", ECHO_SECRET)
        .retry_policy(crate::support::fast_retries(2))
        .build()
        .unwrap();

    let mut errors = vec![];
    errors.push(client.onramp().get(&payment_id()).await.unwrap_err());
    errors.push(
        client
            .onramp()
            .create(&payment_request("ORDER-ECHO"))
            .await
            .unwrap_err(),
    );
    errors.push(
        client
            .onramp()
            .list()
            .fetch_ahead(1)
            .try_collect()
            .await
            .unwrap_err(),
    );
    assert!(matches!(errors[0], Error::Api(_)), "{:?}", errors[0]);
    // 422 is not among createPayment's documented answers: an unexpected status, quoted.
    assert!(
        matches!(
            errors[1],
            Error::Validation(_) | Error::UnexpectedStatus { status: 422, .. }
        ),
        "{:?}",
        errors[1]
    );
    assert!(matches!(errors[2], Error::Decode { .. }), "{:?}", errors[2]);
    // The create was sent once, with the token that was echoed.
    assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 1);

    let logs = logs.text();
    assert!(
        logs.contains("createPayment"),
        "the capture saw the calls: {logs}"
    );
    let shown: Vec<String> = errors.iter().map(|e| format!("{e}\n{e:?}")).collect();
    for window in windows(ECHO_SECRET).iter().chain(&windows(ECHO_TOKEN)) {
        assert!(
            !logs.contains(window.as_str()),
            "`{window}` in the TRACE logs:\n{logs}"
        );
        for text in &shown {
            assert!(
                !text.contains(window.as_str()),
                "`{window}` in an error: {text}"
            );
        }
    }
}

/// Set in the copy of this test binary that [`a_variable_that_is_not_utf8_is_named`] runs:
/// that copy builds a client from its environment and prints the outcome.
const FROM_ENV_CHILD: &str = "CRYPTOPOCKET_AUDIT2_FROM_ENV_CHILD";

/// `Client::from_env` with each of its variables set to bytes that are not UTF-8 (and the
/// others valid): the error names that variable, instead of reading it as unset and
/// falling back to a default (the published sandbox for the base URL, no deadline for the
/// timeout) or reporting a credential missing. The process environment can only be set
/// for a child (`unsafe_code` is forbidden), so the test runs a copy of itself.
#[test]
fn a_variable_that_is_not_utf8_is_named() {
    use std::os::unix::ffi::OsStrExt as _;
    if std::env::var_os(FROM_ENV_CHILD).is_some() {
        match Client::from_env() {
            Ok(_) => println!("OUTCOME: built"),
            Err(error) => println!("OUTCOME: {error} | {error:?}"),
        }
        return;
    }
    let not_utf8 = std::ffi::OsStr::from_bytes(b"12\xff34");
    for variable in [
        "CRYPTOPOCKET_API_KEY",
        "CRYPTOPOCKET_API_SECRET",
        "CRYPTOPOCKET_BASE_URL",
        "CRYPTOPOCKET_TIMEOUT",
        "CRYPTOPOCKET_MAX_ATTEMPTS",
        "CRYPTOPOCKET_ALLOW_HTTP_HOST",
    ] {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "hostile::audit2::a_variable_that_is_not_utf8_is_named",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(FROM_ENV_CHILD, "1")
            .env("CRYPTOPOCKET_API_KEY", "key")
            .env("CRYPTOPOCKET_API_SECRET", "secret")
            .env("CRYPTOPOCKET_BASE_URL", "http://127.0.0.1:9/api")
            .env_remove("CRYPTOPOCKET_TIMEOUT")
            .env_remove("CRYPTOPOCKET_MAX_ATTEMPTS")
            .env_remove("CRYPTOPOCKET_ALLOW_HTTP_HOST")
            .env_remove("CRYPTOPOCKET_CAPTURE")
            .env(variable, not_utf8)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        // The harness prints the test's name on the same line, before the outcome.
        let outcome = stdout
            .split_once("OUTCOME: ")
            .and_then(|(_, rest)| rest.lines().next())
            .unwrap_or_else(|| panic!("{variable}: the child printed no outcome: {output:?}"));
        assert!(
            outcome.contains(variable) && outcome.contains("UTF-8") && outcome.contains("EnvVar"),
            "{variable}: {outcome}"
        );
    }
}

/// A consumer asking to fetch "as far ahead as possible" (`usize::MAX`) from a server whose
/// first page announces `i64::MAX` pages: the pages in flight are capped (the server's
/// number never sizes the client's memory), and the walk still ends at the first empty
/// page, having asked for no more than the cap past it.
#[tokio::test]
async fn fetching_ahead_is_capped_whatever_last_page_says() {
    let (server, client) = list_server(|n| {
        let items = if n == 1 { vec![payment(1)] } else { vec![] };
        mock::json(
            200,
            page_body(items, n, 1, i64::MAX as u64, i64::MAX as u64),
        )
    })
    .await;
    let walk = client.onramp().list().fetch_ahead(usize::MAX).try_collect();
    let all = tokio::time::timeout(Duration::from_secs(20), walk)
        .await
        .expect("the walk ends")
        .unwrap();
    assert_eq!(all.len(), 1);
    let asked = pages_asked(&server).await;
    assert!(
        asked.len() <= 1 + cryptopocket::pagination::MAX_FETCH_AHEAD && asked.contains(&2),
        "{} pages asked for: {:?}…",
        asked.len(),
        &asked[..asked.len().min(40)]
    );
}

/// A base URL carrying a password is refused at build, with the password redacted; the
/// builder's (and the environment's) `Debug` before that, which a caller may log while
/// configuring, does not show it either.
#[test]
fn a_password_in_the_base_url_is_not_in_the_builder_debug() {
    use cryptopocket::Environment;
    const PASSWORD: &str = "Pw4Xz9Lq";
    for environment in [
        Environment::Custom(format!("https://bob:{PASSWORD}@api.example/api")),
        Environment::Production(format!("https://bob:{PASSWORD}@api.example/api")),
        Environment::Custom(format!("https://{PASSWORD}@api.example/api")),
    ] {
        let builder = Client::builder()
            .credentials("key", "secret")
            .environment(environment.clone());
        let shown = format!("{environment:?}\n{builder:?}");
        assert!(!shown.contains(PASSWORD), "{shown}");
        assert!(
            shown.contains("api.example/api"),
            "the rest is shown: {shown}"
        );
        let error = builder.build().unwrap_err();
        let shown = format!("{error}\n{error:?}");
        assert!(!shown.contains(PASSWORD), "{shown}");
    }
}

//! Edges the fault table in [`super`] does not reach: answers that are not one final
//! response (informational, `101`, `204`), heads that are huge, many-headered or trickled,
//! JSON nested past any stack, numbers no decimal holds, tokens issued with absurd
//! lifetimes or as bytes no header can carry, and a redirect whose host is the token (which
//! a URL parser lowercases, so that a by-value redaction no longer sees it).
//!
//! Each case asserts the exact error, how many creates the server saw, that no secret shows
//! (in any letter case) and that the call ended within its deadline plus a margin.

use std::time::Instant;

use cryptopocket::{Client, Error, model::ApiErrorCode};
use serde_json::{Value, json};
use wiremock::MockServer;

use super::{ATTEMPT, DEADLINE, MARGIN, SECRET, STALL, windows};
use crate::support::{
    AUTHENTICATE, CREATE_PAYMENT, GET_PAYMENT, Origin, api_error_body, client_builder, mock,
    ok_body, payment_data, payment_id, payment_request,
    raw::{RawServer, Reply, Step, head},
    token_body,
};

/// A token with upper- and lower-case letters, so that a lowercased echo differs from it.
const TOKEN: &str = "Tk7HwQr8Yb5Nc3Zx";

/// A client of `server` with the suite's secret, attempt timeout and deadline, and three
/// attempts (so that a repeat would happen if anything judged one safe).
fn client_of(server: &impl Origin) -> Client {
    client_builder(server)
        .credentials("key-test", SECRET)
        .attempt_timeout(ATTEMPT)
        .deadline(DEADLINE)
        .build()
        .unwrap()
}

/// A raw server issuing [`TOKEN`] and answering `POST /createPayment` and
/// `GET /payment/{id}` with `script`; anything else gets `user_not_found`.
async fn scripted(script: fn() -> Vec<Step>) -> RawServer {
    RawServer::start(move |request| {
        if request.is("POST", AUTHENTICATE) {
            Reply::Json(200, token_body(TOKEN))
        } else if request.is("POST", CREATE_PAYMENT) || request.is("GET", GET_PAYMENT) {
            Reply::Script(script())
        } else {
            Reply::Json(200, api_error_body("user_not_found"))
        }
    })
    .await
}

/// Panics when any six characters of the secret or the token show in `error`'s `Display`
/// or `Debug`, compared without regard to letter case.
fn assert_hidden(error: &Error) {
    let shown = format!("{error}\n{error:?}").to_lowercase();
    for window in windows(SECRET).iter().chain(&windows(TOKEN)) {
        assert!(
            !shown.contains(&window.to_lowercase()),
            "`{window}` of a secret shown (ignoring case) in {error:?}"
        );
    }
}

/// Sends the documented create through a fresh client of `server` and checks the promises
/// every create keeps: at most one request, within the deadline, nothing secret shown.
async fn create_once(server: &RawServer) -> Error {
    let client = client_of(server);
    let started = Instant::now();
    let result = client.onramp().create(&payment_request("ORDER-EDGE")).await;
    let elapsed = started.elapsed();
    let error = result.map(drop).unwrap_err();
    assert_eq!(server.count(CREATE_PAYMENT), 1, "{error:?}");
    assert!(elapsed < DEADLINE + MARGIN, "took {elapsed:?}: {error:?}");
    assert_hidden(&error);
    error
}

// ---------------------------------------------------------------------------------------
// Answers that are not one final response
// ---------------------------------------------------------------------------------------

/// `103 Early Hints` and `102 Processing` before the answer are interim: the create's answer
/// is the final one, and the create is not sent again.
#[tokio::test]
async fn interim_1xx_answers_before_a_create_are_skipped() {
    let server = scripted(|| {
        let body = api_error_body("min_purchase").to_string();
        vec![
            Step::text("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"),
            Step::text("HTTP/1.1 102 Processing\r\n\r\n"),
            Step::text(&head(
                "200 OK",
                &[("Content-Length", &body.len().to_string())],
            )),
            Step::text(&body),
        ]
    })
    .await;
    let error = create_once(&server).await;
    assert!(
        matches!(&error, Error::Api(api) if api.code == ApiErrorCode::MinPurchase),
        "{error:?}"
    );
}

/// A `101 Switching Protocols` nobody asked for, then frames that are not HTTP: the create
/// is not taken for a success nor sent again, and the error says it may exist.
#[tokio::test]
async fn a_101_to_a_create_is_an_error_that_may_have_reached_the_server() {
    let server = scripted(|| {
        vec![
            Step::text(&head(
                "101 Switching Protocols",
                &[("Upgrade", "websocket"), ("Connection", "Upgrade")],
            )),
            Step::Write(b"\x81\x05hello".to_vec()),
            Step::Sleep(STALL),
        ]
    })
    .await;
    let error = create_once(&server).await;
    assert!(
        matches!(
            error,
            Error::UnexpectedStatus { status: 101, .. } | Error::Transport { .. }
        ),
        "{error:?}"
    );
    assert!(error.may_have_reached_server(), "{error:?}");
}

/// `204 No Content` (and `205`) to a create: no payment to return, the create may exist, and
/// it is not sent again.
#[tokio::test]
async fn a_204_or_205_to_a_create_is_not_a_success_and_not_resent() {
    for status in [204u16, 205] {
        let server = MockServer::builder().start().await;
        mock::on(&server, "POST", AUTHENTICATE, mock::token(TOKEN)).await;
        mock::on(
            &server,
            "POST",
            CREATE_PAYMENT,
            wiremock::ResponseTemplate::new(status),
        )
        .await;
        let client = client_of(&server);
        let error = client
            .onramp()
            .create(&payment_request("ORDER-EDGE"))
            .await
            .map(drop)
            .unwrap_err();
        assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 1, "{status}");
        assert!(
            matches!(error, Error::UnexpectedStatus { status: s, .. } if s == status),
            "{status}: {error:?}"
        );
        assert!(error.may_have_reached_server(), "{status}: {error:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Heads no server should send
// ---------------------------------------------------------------------------------------

/// A thousand header lines: refused by the HTTP parser, once, as a break after sending.
#[tokio::test]
async fn a_thousand_headers_on_a_create_answer_fail_it_once() {
    let server = scripted(|| {
        let mut text = String::from("HTTP/1.1 200 OK\r\n");
        for n in 0..1000 {
            text.push_str(&format!("X-H{n}: v\r\n"));
        }
        text.push_str("Content-Length: 2\r\n\r\n{}");
        vec![Step::text(&text)]
    })
    .await;
    let error = create_once(&server).await;
    assert!(
        matches!(
            error,
            Error::Transport {
                maybe_sent: true,
                ..
            }
        ),
        "{error:?}"
    );
}

/// A status line of 4 MiB that never ends: refused at the parser's buffer limit, not held
/// whole and not waited on until the deadline.
#[tokio::test]
async fn a_status_line_of_four_mebibytes_is_refused_early() {
    let server = scripted(|| {
        vec![
            Step::text("HTTP/1.1 200 "),
            Step::Write(vec![b'A'; 4 << 20]),
            Step::Sleep(STALL),
        ]
    })
    .await;
    let started = Instant::now();
    let error = create_once(&server).await;
    assert!(
        matches!(
            error,
            Error::Transport {
                maybe_sent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < ATTEMPT,
        "waited {:?}",
        started.elapsed()
    );
}

/// Header bytes trickled one every 50 ms (each read makes progress, so only a timer on the
/// whole attempt ends it): a read ends at the deadline, a create too, and is not resent.
#[tokio::test]
async fn a_head_trickled_a_byte_at_a_time_ends_at_the_deadline() {
    fn trickle() -> Vec<Step> {
        let mut steps = vec![Step::text("HTTP/1.1 200 OK\r\nX-Slow: ")];
        for _ in 0..600 {
            steps.push(Step::text("a"));
            steps.push(Step::ms(50));
        }
        steps
    }
    let server = scripted(trickle).await;
    let error = create_once(&server).await;
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.may_have_reached_server());

    let client = client_of(&server);
    let started = Instant::now();
    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < DEADLINE + MARGIN,
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------
// Bodies no decoder should trust
// ---------------------------------------------------------------------------------------

/// JSON nested 300,000 deep, where data, an error's data and the whole body would be: a
/// decode error (serde_json's depth limit), never a stack overflow, with the capture on
/// (which reads every body too) and off. A stack overflow aborts the whole test binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn json_nested_past_any_stack_is_a_decode_error() {
    const DEPTH: usize = 300_000;
    let dir = tempfile::tempdir().unwrap();
    let open_arrays = format!(r#"{{"status":"ok","data":{}"#, "[".repeat(DEPTH));
    let objects = format!(
        r#"{{"status":"error","error":"user_not_found","data":{}1{}}}"#,
        r#"{"a":"#.repeat(DEPTH),
        "}".repeat(DEPTH)
    );
    let bare = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    for (name, body) in [
        ("open arrays in data", open_arrays),
        ("objects in an error's data", objects),
        ("a bare array", bare),
    ] {
        for capture in [false, true] {
            let server = MockServer::builder().start().await;
            mock::on(&server, "POST", AUTHENTICATE, mock::token(TOKEN)).await;
            mock::on(
                &server,
                "GET",
                GET_PAYMENT,
                mock::raw(200, "application/json", body.clone()),
            )
            .await;
            let mut builder = client_builder(&server)
                .credentials("key-test", SECRET)
                .retry_policy(cryptopocket::RetryPolicy::never());
            if capture {
                builder = builder.capture(dir.path());
            }
            let client = builder.build().unwrap();
            let error = client.onramp().get(&payment_id()).await.unwrap_err();
            assert!(
                matches!(error, Error::Decode { .. }),
                "{name}, capture {capture}: {error:?}"
            );
            assert!(
                error.to_string().len() < 2048,
                "{name}: an excerpt of {} bytes",
                error.to_string().len()
            );
        }
    }
}

/// A getPayment answer with `field` set to `value`.
async fn payment_with(field: &str, value: Value) -> Result<(), Error> {
    let mut data = payment_data();
    data[field] = value;
    let server = MockServer::builder().start().await;
    mock::on(&server, "POST", AUTHENTICATE, mock::token(TOKEN)).await;
    mock::on(&server, "GET", GET_PAYMENT, mock::ok(data)).await;
    let client = client_builder(&server)
        .retry_policy(cryptopocket::RetryPolicy::never())
        .build()
        .unwrap();
    client.onramp().get(&payment_id()).await.map(drop)
}

/// A getPayment answer whose `field` is the JSON number written `digits`, verbatim.
async fn payment_with_number(field: &str, digits: &str) -> Result<(), Error> {
    let marker = "\"__number__\"";
    let mut with_marker = payment_data();
    with_marker[field] = json!("__number__");
    let body = ok_body(with_marker).to_string().replace(marker, digits);
    let server = MockServer::builder().start().await;
    mock::on(&server, "POST", AUTHENTICATE, mock::token(TOKEN)).await;
    mock::on(
        &server,
        "GET",
        GET_PAYMENT,
        mock::raw(200, "application/json", body),
    )
    .await;
    let client = client_builder(&server)
        .retry_policy(cryptopocket::RetryPolicy::never())
        .build()
        .unwrap();
    client.onramp().get(&payment_id()).await.map(drop)
}

/// Numbers no `Decimal` or `i64` holds, as numbers and as strings, in an amount and in an
/// id: refused as decode errors, never rounded through `f64`, never a panic.
#[tokio::test]
async fn numbers_past_any_decimal_are_refused() {
    let absurd = [
        "1e400",
        "-1e400",
        "0.1e-400",
        "1e-29",
        "0.1e-28",
        "0.00000000000000000000000000001",
        "1e4294967296",
        "1e99999999999999999999",
        "100000000000000000000000000000",
        "79228162514264337593543950336",
        "1E+29",
    ];
    for digits in absurd {
        for field in ["coin_amount", "fiat_amount"] {
            let result = payment_with_number(field, digits).await;
            assert!(
                matches!(result, Err(Error::Decode { .. })),
                "{field} = {digits}: {result:?}"
            );
            let result = payment_with(field, json!(digits)).await;
            assert!(
                matches!(result, Err(Error::Decode { .. })),
                "{field} = \"{digits}\": {result:?}"
            );
        }
    }
    for digits in ["100000000000000000000000000000", "1e400", "-1e400"] {
        let result = payment_with_number("user_id", digits).await;
        assert!(
            matches!(result, Err(Error::Decode { .. })),
            "user_id = {digits}: {result:?}"
        );
    }
}

/// An amount in exponent form whose digits are more than a `Decimal` holds is refused, as
/// the same digits without an exponent are: "exact or refused", never silently rounded.
#[tokio::test]
async fn an_amount_in_exponent_form_is_exact_or_refused() {
    for digits in [
        "1.00000000000000000000000000001e0",
        "9999999999999999999999999999.99e0",
        "1.00000000000000000000000000001E+1",
    ] {
        let plain =
            payment_with_number("coin_amount", digits.split(['e', 'E']).next().unwrap()).await;
        assert!(
            matches!(plain, Err(Error::Decode { .. })),
            "{digits}: {plain:?}"
        );
        let result = payment_with_number("coin_amount", digits).await;
        assert!(
            matches!(result, Err(Error::Decode { .. })),
            "{digits} was accepted (rounded): {result:?}"
        );
    }
    // Exponent forms a Decimal holds exactly still read.
    payment_with_number("coin_amount", "1.4832e2")
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

/// Tokens issued already expired, with a negative, enormous or unreadable lifetime: each
/// create is still sent exactly once, after exactly one authenticate, within the deadline.
#[tokio::test]
async fn absurd_token_lifetimes_never_repeat_a_create() {
    let lifetimes = [
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!("-3600"),
        json!("soon"),
        json!(1e300),
    ];
    for lifetime in lifetimes {
        let server = MockServer::builder().start().await;
        mock::on(
            &server,
            "POST",
            AUTHENTICATE,
            mock::ok(json!({"token": TOKEN, "expires_in": lifetime})),
        )
        .await;
        mock::on(
            &server,
            "POST",
            CREATE_PAYMENT,
            mock::api_error("min_purchase"),
        )
        .await;
        let client = client_of(&server);
        let started = Instant::now();
        let result = client
            .onramp()
            .create(&payment_request("ORDER-EDGE"))
            .await
            .map(drop);
        assert!(started.elapsed() < DEADLINE + MARGIN, "{lifetime}");
        let error = result.unwrap_err();
        assert_hidden(&error);
        assert_eq!(mock::count(&server, AUTHENTICATE).await, 1, "{lifetime}");
        match &error {
            Error::Api(api) if api.code == ApiErrorCode::MinPurchase => {
                assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 1, "{lifetime}")
            }
            // A lifetime the client refuses to read fails authenticate, before the create.
            Error::Decode {
                operation: "authenticate",
                ..
            } => assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 0, "{lifetime}"),
            other => panic!("{lifetime}: {other:?}"),
        }
    }
}

/// A token no header can carry (a line break that would inject a header, a NUL):
/// authenticate fails, the create is never sent, the token is not shown.
#[tokio::test]
async fn a_token_no_header_can_carry_is_refused_without_sending_the_create() {
    for token in [format!("{TOKEN}\r\nX-Injected: 1"), format!("{TOKEN}\0")] {
        let server = MockServer::builder().start().await;
        mock::on(&server, "POST", AUTHENTICATE, mock::token(&token)).await;
        mock::otherwise(&server, mock::api_error("min_purchase")).await;
        let client = client_of(&server);
        let error = client
            .onramp()
            .create(&payment_request("ORDER-EDGE"))
            .await
            .map(drop)
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Decode {
                    operation: "authenticate",
                    ..
                }
            ),
            "{token:?}: {error:?}"
        );
        assert_eq!(mock::count(&server, CREATE_PAYMENT).await, 0);
        assert_hidden(&error);
    }
}

/// A proxy that puts the `auth` header it saw into the host of a redirect (an SSO gateway's
/// login URL): the URL parser lowercases the host, so the error's location must not show
/// the token in lower case either.
#[tokio::test]
async fn a_redirect_to_a_host_made_of_the_token_does_not_show_it_lowercased() {
    let server = MockServer::builder().start().await;
    mock::on(&server, "POST", AUTHENTICATE, mock::token(TOKEN)).await;
    mock::on(
        &server,
        "GET",
        GET_PAYMENT,
        mock::text(302, "login").insert_header(
            "Location",
            format!("http://{TOKEN}.sso.example/login").as_str(),
        ),
    )
    .await;
    let client = client_of(&server);
    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    assert!(
        matches!(error, Error::Redirect { status: 302, .. }),
        "{error:?}"
    );
    assert_hidden(&error);
    // The redaction leaves the origin recognisable where it can.
    assert!(format!("{error}").contains("sso.example"), "{error}");
}

/// The secret and the token echoed in the reason phrase of the status line: nowhere shown.
#[tokio::test]
async fn the_request_echoed_in_the_reason_phrase_is_not_shown() {
    let server = RawServer::start(|request| {
        if request.is("POST", AUTHENTICATE) {
            return Reply::Json(200, token_body(TOKEN));
        }
        let auth = request.header("auth").unwrap_or_default().to_owned();
        let reason = format!("Bad Gateway auth={auth} secret={SECRET}");
        Reply::Script(vec![Step::text(&head(
            &format!("502 {reason}"),
            &[("Content-Length", "0"), ("Connection", "close")],
        ))])
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_builder(&server)
        .credentials("key-test", SECRET)
        .capture(dir.path())
        .retry_policy(cryptopocket::RetryPolicy::never())
        .build()
        .unwrap();
    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    assert!(
        matches!(error, Error::UnexpectedStatus { status: 502, .. }),
        "{error:?}"
    );
    assert_hidden(&error);
    let mut captured = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        captured.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for window in windows(SECRET).iter().chain(&windows(TOKEN)) {
        assert!(
            !captured.contains(window.as_str()),
            "`{window}` in {captured}"
        );
    }
}

/// A list page of 15 MiB (under the default 16 MiB cap) whose every item carries a misshapen
/// optional field the lenient reading may drop: the reading re-parses and rewrites the whole
/// body for each field it drops, synchronous work no timer can interrupt, so its cost must
/// be bounded for the call to end by its deadline.
#[tokio::test]
async fn the_lenient_reading_of_a_huge_page_ends_by_the_deadline() {
    let pad = "p".repeat(1 << 20);
    let rampoff = crate::support::fixture("getRampoff.response.json")["data"].clone();
    let items: Vec<Value> = (0..15)
        .map(|n| {
            let mut item = rampoff.clone();
            item["external_id"] = json!({"misshapen": n});
            item["pad"] = json!(pad);
            item
        })
        .collect();
    let body = json!({
        "status": "ok",
        "data": items,
        "pagination": {"current_page": 1, "per_page": 15, "total": 15, "last_page": 1},
    });
    let server = MockServer::builder().start().await;
    mock::on(&server, "POST", AUTHENTICATE, mock::token(TOKEN)).await;
    mock::on(
        &server,
        "GET",
        crate::support::LIST_RAMPOFFS,
        mock::json(200, body),
    )
    .await;
    let client = client_builder(&server)
        .attempt_timeout(ATTEMPT)
        .deadline(DEADLINE)
        .retry_policy(cryptopocket::RetryPolicy::never())
        .build()
        .unwrap();
    client.authenticate().await.unwrap();
    let started = Instant::now();
    let result = client.offramp().list().page(1).await;
    let elapsed = started.elapsed();
    println!("{elapsed:?}: {:?}", result.as_ref().map(|p| p.items.len()));
    assert!(elapsed < DEADLINE + MARGIN, "took {elapsed:?}");
}

/// A body of exactly the cap is read; one byte more is refused as too large, announced by
/// `Content-Length` or sent chunked without one.
#[tokio::test]
async fn the_cap_is_exact_to_the_byte() {
    const SMALL_CAP: usize = 64 * 1024;
    let envelope = ok_body(payment_data()).to_string();
    for (extra, announced) in [(0, true), (1, true), (0, false), (1, false)] {
        let mut body = envelope.clone().into_bytes();
        body.resize(SMALL_CAP + extra, b' ');
        let server = RawServer::start(move |request| {
            if request.is("POST", AUTHENTICATE) {
                return Reply::Json(200, token_body(TOKEN));
            }
            let mut steps = Vec::new();
            if announced {
                steps.push(Step::text(&head(
                    "200 OK",
                    &[("Content-Length", &body.len().to_string())],
                )));
                steps.push(Step::Write(body.clone()));
            } else {
                steps.push(Step::text(&head(
                    "200 OK",
                    &[("Transfer-Encoding", "chunked")],
                )));
                for chunk in body.chunks(1000) {
                    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                    framed.extend_from_slice(chunk);
                    framed.extend_from_slice(b"\r\n");
                    steps.push(Step::Write(framed));
                }
                steps.push(Step::text("0\r\n\r\n"));
            }
            Reply::Script(steps)
        })
        .await;
        let client = client_builder(&server)
            .max_body_bytes(SMALL_CAP)
            .retry_policy(cryptopocket::RetryPolicy::never())
            .build()
            .unwrap();
        let result = client.onramp().get(&payment_id()).await;
        let case = format!("{} bytes, announced {announced}", SMALL_CAP + extra);
        if extra == 0 {
            assert!(result.is_ok(), "{case}: {result:?}");
        } else {
            assert!(
                matches!(result, Err(Error::BodyTooLarge { limit, .. }) if limit == SMALL_CAP),
                "{case}: {result:?}"
            );
        }
    }
}

//! The second attacker's round against the endpoint: timestamps and signatures in every odd
//! form, repeated headers, a body at exactly the cap, an unknown event type, a replay after
//! the window, and one delivery arriving at two receivers sharing an inbox at once. Driven
//! through `WebhookEndpoint::receive` (the same path the axum route takes), so each case
//! asserts the exact outcome and how many times the handler ran.

use std::sync::{
    Arc,
    atomic::{AtomicI64, AtomicUsize, Ordering},
};
use std::time::Duration;

use bytes::Bytes;
use cryptopocket::webhooks::{
    DeliveryHeaders, WebhookError, WebhookEvent, WebhookSigner, WebhookVerifier,
};
use cryptopocket_webhooks::{
    Delivery, MemoryInbox, Outcome, Rejection, SqliteInbox, WebhookEndpoint,
};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::Full;
use secrecy::SecretString;

const KEY: &str = "pk_hostile2";
const SECRET: &str = "Wh7Sq/x9+Lp2";
/// The fixed time every verifier here reads.
const NOW: i64 = 1_800_000_000;
const BODY: &str = r#"{"type":"PAY_IN","payment_id":"pay_h2","status":"payment_received"}"#;

fn signer() -> WebhookSigner {
    WebhookSigner::new(KEY, SecretString::from(SECRET))
}

/// A verifier whose clock reads `clock`.
fn verifier(clock: Arc<AtomicI64>) -> WebhookVerifier {
    WebhookVerifier::new(SecretString::from(SECRET))
        .expect_api_key(KEY)
        .clock(move || clock.load(Ordering::SeqCst))
}

/// An endpoint with a fixed clock at [`NOW`] and a handler counting its runs, deduplicating
/// through `inbox` when given.
fn endpoint(
    runs: &Arc<AtomicUsize>,
    inbox: Option<
        Box<
            dyn FnOnce(
                cryptopocket_webhooks::EndpointBuilder,
            ) -> cryptopocket_webhooks::EndpointBuilder,
        >,
    >,
    clock: Arc<AtomicI64>,
    cap: usize,
) -> WebhookEndpoint {
    let runs = Arc::clone(runs);
    let mut builder = WebhookEndpoint::builder(verifier(clock)).max_body_bytes(cap);
    if let Some(with_inbox) = inbox {
        builder = with_inbox(builder);
    }
    builder.handle(move |_: Delivery| {
        let runs = Arc::clone(&runs);
        async move {
            // Long enough for a second receiver to arrive while this one holds the claim.
            tokio::time::sleep(Duration::from_millis(200)).await;
            runs.fetch_add(1, Ordering::SeqCst);
            Ok::<(), std::io::Error>(())
        }
    })
}

fn fixed() -> Arc<AtomicI64> {
    Arc::new(AtomicI64::new(NOW))
}

/// The HMAC tag of `body` with `timestamp` (as text), as `WebhookSigner` computes it.
fn tag(body: &[u8], timestamp: &str) -> Vec<u8> {
    let t: i64 = timestamp.parse().expect("a numeric timestamp");
    hex::decode(signer().sign(body, t).signature).unwrap()
}

fn headers(signature: &str, timestamp: &str) -> HeaderMap {
    DeliveryHeaders::new(KEY, signature, timestamp).to_header_map()
}

async fn send(endpoint: &WebhookEndpoint, headers: &HeaderMap, body: &[u8]) -> Outcome {
    endpoint
        .receive(headers, Full::new(Bytes::copy_from_slice(body)))
        .await
}

fn unauthorized(outcome: &Outcome) -> &WebhookError {
    match outcome {
        Outcome::Rejected(Rejection::Unauthorized(error)) => error,
        other => panic!("expected a 401, got {other:?}"),
    }
}

/// Timestamps that are not plain digits (`+`, spaces, a sign, other scripts' digits), or too
/// large for an i64, are `InvalidTimestamp`; the largest i64 is from the future, zero has
/// expired; none panics, none runs the handler, none shows the secret.
#[tokio::test]
async fn odd_timestamps_are_refused_by_name() {
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = endpoint(&runs, None, fixed(), 64 * 1024);
    let good = hex::encode(tag(BODY.as_bytes(), &NOW.to_string()));
    let now = NOW.to_string();
    let cases: Vec<(String, &str)> = vec![
        (format!("+{now}"), "invalid"),
        (format!(" {now}"), "invalid"),
        (format!("{now} "), "invalid"),
        (format!("{now}.0"), "invalid"),
        ("-5".into(), "invalid"),
        ("-0".into(), "invalid"),
        ("".into(), "invalid"),
        // Not visible ASCII: not readable as a header's text, so it counts as missing.
        ("١٨٠٠٠٠٠٠٠٠".into(), "missing"),
        ("9".repeat(40), "invalid"),
        (i64::MAX.to_string(), "future"),
        ("9223372036854775808".into(), "invalid"),
        ("0".into(), "expired"),
        (format!("0{now}"), "ok"),
    ];
    for (timestamp, expected) in cases {
        let mut headers = headers(&good, &NOW.to_string());
        headers.insert(
            "x-timestamp",
            HeaderValue::from_bytes(timestamp.as_bytes()).unwrap(),
        );
        let outcome = send(&endpoint, &headers, BODY.as_bytes()).await;
        let shown = format!("{outcome:?} {}", outcome.text());
        assert!(!shown.contains(SECRET), "{shown}");
        match expected {
            "invalid" => assert!(
                matches!(unauthorized(&outcome), WebhookError::InvalidTimestamp),
                "{timestamp:?}: {outcome:?}"
            ),
            "missing" => assert!(
                matches!(
                    unauthorized(&outcome),
                    WebhookError::MissingHeader("X-Timestamp")
                ),
                "{timestamp:?}: {outcome:?}"
            ),
            "future" => assert!(
                matches!(unauthorized(&outcome), WebhookError::FromTheFuture { ahead_seconds } if *ahead_seconds == i64::MAX - NOW),
                "{timestamp:?}: {outcome:?}"
            ),
            "expired" => assert!(
                matches!(unauthorized(&outcome), WebhookError::Expired { age_seconds } if *age_seconds == NOW),
                "{timestamp:?}: {outcome:?}"
            ),
            // A leading zero is still digits, and is signed as sent: the tag for `NOW`
            // does not match the text `0NOW`.
            _ => assert!(
                matches!(unauthorized(&outcome), WebhookError::SignatureMismatch),
                "{timestamp:?}: {outcome:?}"
            ),
        }
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

/// The tag of the delivery in every encoding a sender might use: hex either case, base64
/// padded or not, surrounded by spaces, are accepted; base64url, a `sha256=` prefix, one
/// character short or long, 31 or 33 bytes, and a huge value are `MalformedSignature`;
/// another tag of the right length is `SignatureMismatch`.
#[tokio::test]
async fn signatures_of_every_form() {
    let now = NOW.to_string();
    let raw = tag(BODY.as_bytes(), &now);
    let hex_lower = hex::encode(&raw);
    let b64 = signer().sign_base64(BODY.as_bytes(), NOW).signature;
    let b64_nopad = b64.trim_end_matches('=').to_owned();
    // base64url differs from base64 only where the standard form has `+` or `/`: a body
    // whose tag has one, found by varying the body.
    let b64_url = (0..)
        .map(|n| {
            signer()
                .sign_base64(format!("{BODY}{n}").as_bytes(), NOW)
                .signature
        })
        .find(|s| s.contains(['+', '/']))
        .unwrap()
        .replace('+', "-")
        .replace('/', "_");
    let mut other = raw.clone();
    other[31] ^= 1;
    let accepted = [
        hex_lower.clone(),
        hex_lower.to_uppercase(),
        b64,
        b64_nopad,
        format!("  {hex_lower}\t"),
    ];
    let malformed = [
        b64_url,
        format!("sha256={hex_lower}"),
        hex_lower[..63].to_owned(),
        format!("{hex_lower}0"),
        hex::encode(&raw[..31]),
        hex::encode([raw.clone(), vec![0]].concat()),
        "f".repeat(100_000),
        String::new(),
    ];
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = endpoint(&runs, None, fixed(), 64 * 1024);
    for signature in &accepted {
        let outcome = send(&endpoint, &headers(signature, &now), BODY.as_bytes()).await;
        assert!(
            matches!(outcome, Outcome::Applied { .. }),
            "{signature:?}: {outcome:?}"
        );
    }
    for signature in &malformed {
        let outcome = send(&endpoint, &headers(signature, &now), BODY.as_bytes()).await;
        assert!(
            matches!(unauthorized(&outcome), WebhookError::MalformedSignature),
            "{signature:.80?}: {outcome:?}"
        );
    }
    let outcome = send(
        &endpoint,
        &headers(&hex::encode(other), &now),
        BODY.as_bytes(),
    )
    .await;
    assert!(matches!(
        unauthorized(&outcome),
        WebhookError::SignatureMismatch
    ));
    assert_eq!(runs.load(Ordering::SeqCst), accepted.len());
}

/// Several `X-Signature` (or `X-Timestamp`) headers: the first is the one checked, as
/// documented; a good one behind a bad one does not let the delivery in.
#[tokio::test]
async fn repeated_headers_use_the_first() {
    let now = NOW.to_string();
    let good = hex::encode(tag(BODY.as_bytes(), &now));
    let bad = "0".repeat(64);
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = endpoint(&runs, None, fixed(), 64 * 1024);
    let with = |name: &'static str, values: [&str; 2]| {
        let mut map = headers(&good, &now);
        map.remove(name);
        for value in values {
            map.append(name, HeaderValue::from_str(value).unwrap());
        }
        map
    };
    let outcome = send(
        &endpoint,
        &with("x-signature", [&bad, &good]),
        BODY.as_bytes(),
    )
    .await;
    assert!(
        matches!(unauthorized(&outcome), WebhookError::SignatureMismatch),
        "{outcome:?}"
    );
    let outcome = send(
        &endpoint,
        &with("x-signature", [&good, &bad]),
        BODY.as_bytes(),
    )
    .await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    let outcome = send(
        &endpoint,
        &with("x-timestamp", ["+1", &now]),
        BODY.as_bytes(),
    )
    .await;
    assert!(
        matches!(unauthorized(&outcome), WebhookError::InvalidTimestamp),
        "{outcome:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// A body of exactly the cap is read and verified; one byte more is 413, whether or not
/// `Content-Length` announces it.
#[tokio::test]
async fn a_body_at_exactly_the_cap_is_accepted_and_one_more_byte_is_not() {
    let now = NOW.to_string();
    let cap = 4096;
    let padded = |len: usize| {
        let head = r#"{"type":"PAY_IN","payment_id":"pay_cap","note":""#;
        let tail = r#""}"#;
        format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()))
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = endpoint(&runs, None, fixed(), cap);
    for (len, ok) in [(cap, true), (cap + 1, false)] {
        let body = padded(len);
        assert_eq!(body.len(), len);
        let signature = hex::encode(tag(body.as_bytes(), &now));
        for declared in [false, true] {
            let mut map = headers(&signature, &now);
            if declared {
                map.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            let outcome = send(&endpoint, &map, body.as_bytes()).await;
            if ok {
                assert!(
                    matches!(outcome, Outcome::Applied { .. }),
                    "{len} {declared}: {outcome:?}"
                );
            } else {
                assert_eq!(
                    outcome.status(),
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "{len} {declared}: {outcome:?}"
                );
            }
        }
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// An event type the crate does not know is handled (kept whole as `Unknown`) and
/// deduplicated like any other: applied once, then a duplicate.
#[tokio::test]
async fn an_unknown_event_type_is_handled_once() {
    let now = NOW.to_string();
    let body = r#"{"type":"KYC_SOMETHING_NEW","user_id":"7","nested":{"a":[1,2]}}"#;
    assert!(matches!(
        WebhookEvent::from_slice(body.as_bytes()).unwrap(),
        WebhookEvent::Unknown { ref event_type, .. } if event_type == "KYC_SOMETHING_NEW"
    ));
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = endpoint(
        &runs,
        Some(Box::new(|b| b.inbox(MemoryInbox::new()))),
        fixed(),
        64 * 1024,
    );
    let map = headers(&hex::encode(tag(body.as_bytes(), &now)), &now);
    let first = send(&endpoint, &map, body.as_bytes()).await;
    assert!(matches!(first, Outcome::Applied { .. }), "{first:?}");
    let second = send(&endpoint, &map, body.as_bytes()).await;
    assert!(matches!(second, Outcome::Duplicate { .. }), "{second:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// The same signed delivery replayed once the window has passed (five minutes and a
/// second later) is `Expired` with its age, and the handler does not run again; exactly
/// at the window's edge it is still accepted (and then a duplicate).
#[tokio::test]
async fn a_replay_after_the_window_is_expired() {
    let now = NOW.to_string();
    let clock = fixed();
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = endpoint(
        &runs,
        Some(Box::new(|b| b.inbox(MemoryInbox::new()))),
        Arc::clone(&clock),
        64 * 1024,
    );
    let map = headers(&hex::encode(tag(BODY.as_bytes(), &now)), &now);
    assert!(matches!(
        send(&endpoint, &map, BODY.as_bytes()).await,
        Outcome::Applied { .. }
    ));
    clock.store(NOW + 300, Ordering::SeqCst);
    let edge = send(&endpoint, &map, BODY.as_bytes()).await;
    assert!(matches!(edge, Outcome::Duplicate { .. }), "{edge:?}");
    clock.store(NOW + 301, Ordering::SeqCst);
    let late = send(&endpoint, &map, BODY.as_bytes()).await;
    assert!(
        matches!(
            unauthorized(&late),
            WebhookError::Expired { age_seconds: 301 }
        ),
        "{late:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// One delivery reaching two receivers at once, sharing one inbox (memory; SQLite through
/// two connections to one file): the handler runs once; the other receiver answers busy
/// (503 with `Retry-After`), and the sender's retry after that is a duplicate.
#[tokio::test]
async fn one_delivery_to_two_receivers_sharing_an_inbox_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("inbox.db");
    let memory = Arc::new(MemoryInbox::new());
    type Wire = Box<
        dyn FnOnce(
            cryptopocket_webhooks::EndpointBuilder,
        ) -> cryptopocket_webhooks::EndpointBuilder,
    >;
    let stores: Vec<(&str, Wire, Wire)> = vec![
        (
            "memory",
            Box::new({
                let m = Arc::clone(&memory);
                move |b| b.inbox(m)
            }),
            Box::new(move |b| b.inbox(memory)),
        ),
        (
            "sqlite",
            Box::new({
                let f = file.clone();
                move |b| b.inbox(SqliteInbox::open(f).unwrap())
            }),
            Box::new(move |b| b.inbox(SqliteInbox::open(file).unwrap())),
        ),
    ];
    let now = NOW.to_string();
    let map = headers(&hex::encode(tag(BODY.as_bytes(), &now)), &now);
    for (store, first, second) in stores {
        let runs = Arc::new(AtomicUsize::new(0));
        let a = endpoint(&runs, Some(first), fixed(), 64 * 1024);
        let b = endpoint(&runs, Some(second), fixed(), 64 * 1024);
        let (one, two) = tokio::join!(
            send(&a, &map, BODY.as_bytes()),
            send(&b, &map, BODY.as_bytes())
        );
        let mut statuses = [one.status().as_u16(), two.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 503], "{store}: {one:?} / {two:?}");
        let busy = if one.status() == StatusCode::OK {
            &two
        } else {
            &one
        };
        assert!(matches!(busy, Outcome::Busy { .. }), "{store}: {busy:?}");
        assert!(
            busy.retry_after().is_some_and(|s| s >= 1),
            "{store}: {busy:?}"
        );
        for endpoint in [&a, &b] {
            let again = send(endpoint, &map, BODY.as_bytes()).await;
            assert!(
                matches!(again, Outcome::Duplicate { .. }),
                "{store}: {again:?}"
            );
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{store}");
    }
}

/// A PostgreSQL URL (or key-value string) with a password that cannot be used (nothing
/// listens, a bad port, an unknown option, a bad value): the error names the problem, and
/// neither its `Display` nor its `Debug` shows the password.
#[tokio::test]
async fn a_database_password_never_shows_in_a_store_error() {
    const PASSWORD: &str = "DbPw7Kq2Zx";
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let urls = [
        format!("postgres://inbox:{PASSWORD}@127.0.0.1:{closed}/inbox"),
        format!("postgres://inbox:{PASSWORD}@127.0.0.1:notaport/inbox"),
        format!("postgres://inbox:{PASSWORD}@127.0.0.1:{closed}/inbox?sslmode=bogus"),
        format!("postgres://inbox:{PASSWORD}@127.0.0.1:{closed}/inbox?nonsense={PASSWORD}"),
        format!("host=127.0.0.1 port={closed} user=inbox password={PASSWORD} dbname=inbox"),
        format!("host=127.0.0.1 port=x{PASSWORD} password={PASSWORD}"),
        format!("host=127.0.0.1 password='{PASSWORD} port={closed}"),
    ];
    for url in urls {
        let connected = tokio::time::timeout(
            Duration::from_secs(20),
            cryptopocket_webhooks::PostgresInbox::connect(&url, 1),
        )
        .await
        .expect("the attempt ends");
        let error = match connected {
            Ok(_) => panic!("{url}: connected"),
            Err(error) => error,
        };
        let shown = format!("{error}\n{error:?}");
        assert!(!shown.contains(PASSWORD), "{url}: {shown}");
    }
}

//! Floods: ten thousand malformed requests of mixed kinds, and floods of the two operations
//! that create state without a business limit of their own (tokens and customers), leave
//! the sandbox answering correctly with its state inside `Limits`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cryptopocket_sandbox::{Limits, Sandbox, SandboxConfig};
use serde_json::{Value, json};

use crate::support::{assert_api_error, http, register, send, token};

const REQUESTS: usize = 10_000;
const IN_FLIGHT: usize = 32;

/// One malformed request of kind `i % KINDS`, and what it must get: the HTTP status and
/// the error code (`None` for the Laravel 422 body of company registration).
const KINDS: usize = 16;

fn malformed(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    i: usize,
) -> (reqwest::RequestBuilder, u16, Option<&'static str>) {
    let origin = base.trim_end_matches("/api");
    match i % KINDS {
        0 => (
            http.post(format!("{base}/registerUser"))
                .header("auth", token)
                .body(format!("{{\"name\": \"flood {i}\", ")),
            200,
            Some("invalid_json"),
        ),
        1 => (
            http.post(format!("{base}/createPayment"))
                .header("auth", token)
                .json(&json!([i, "an array, not an object"])),
            200,
            Some("invalid_json"),
        ),
        2 => (
            http.post(format!("{base}/createRampoff"))
                .header("auth", token)
                .json(&json!({"user_id": {"nested": i}, "amount": [1]})),
            200,
            Some("fail_mandatory_field"),
        ),
        3 => (
            http.get(format!("{base}/no/such/operation/{i}"))
                .header("auth", token),
            404,
            Some("not_found"),
        ),
        4 => (
            http.delete(format!("{base}/quote")).header("auth", token),
            405,
            Some("wrong_http_method"),
        ),
        5 => (
            http.get(format!("{base}/payment/%ZZ%C3%28{i}"))
                .header("auth", token),
            200,
            Some("payment_not_found"),
        ),
        6 => (
            http.get(format!(
                "{base}/quote?amount={}&symbol=USDC&payment_type=card",
                "x".repeat(16 * 1024)
            ))
            .header("auth", token),
            200,
            Some("fail_mandatory_field"),
        ),
        7 => (
            http.post(format!("{base}/authenticate"))
                .body(vec![0xff, 0xfe, 0xfd, (i % 256) as u8]),
            200,
            Some("invalid_json"),
        ),
        8 => (
            http.get(format!("{base}/customers/list"))
                .header("auth", format!("not-a-token-{i}")),
            200,
            Some("authorization_incorrect"),
        ),
        9 => (
            http.post(format!("{base}/authenticate"))
                .json(&json!({"api_key": format!("guess-{i}"), "api_secret": "nope"})),
            200,
            Some("authorization_incorrect"),
        ),
        10 => (
            http.post(format!("{base}/subscribeToWebhook"))
                .header("auth", token)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("type=EVERYTHING&url=ftp%3A%2F%2Fx{i}")),
            200,
            Some("fail_mandatory_field"),
        ),
        11 => (
            http.post(format!("{base}/register/company"))
                .header("auth", token)
                .json(&json!({"email": format!("not an e-mail {i}"), "company_name": ""})),
            422,
            None,
        ),
        12 => (
            http.post(format!("{base}/registerUser"))
                .header("auth", token)
                .json(&json!({"name": "Flood", "email": format!("flood-{i}")})),
            200,
            Some("fail_mandatory_field"),
        ),
        13 => (
            http.get(format!("{base}/banking/accounts/%FF{i}/transactions"))
                .header("auth", token),
            404,
            Some("account_not_found"),
        ),
        14 => (
            http.post(format!("{origin}/sandbox/advance?seconds=-{i}")),
            200,
            Some("fail_mandatory_field"),
        ),
        // Every 16th request: a body just over the 2 MiB limit.
        _ => (
            http.post(format!("{base}/createGuidedPayment"))
                .header("auth", token)
                .body(vec![b'{'; 2 * 1024 * 1024 + 1]),
            413,
            Some("payload_too_large"),
        ),
    }
}

/// Ten thousand malformed requests, 32 at a time: each is answered in the API's style, the
/// recorded exchanges stay within their bound, nothing else accumulates, and a valid flow
/// works afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_malformed_requests_leave_the_sandbox_serving() {
    let sandbox = Sandbox::start().await.unwrap();
    let limits = SandboxConfig::default().limits;
    let http = http();
    let token = token(&http, &sandbox).await;
    let base = Arc::<str>::from(sandbox.base_url());
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (http, base, token, next) = (http.clone(), base.clone(), token.clone(), next.clone());
        workers.spawn(async move {
            let mut answered = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= REQUESTS {
                    return answered;
                }
                let (request, status, code) = malformed(&http, &base, &token, i);
                let (got, body) = send(request).await;
                match code {
                    Some(code) => assert_api_error(got, &body, status, code),
                    None => {
                        assert_eq!(got, status, "{body}");
                        assert!(body["errors"].is_object(), "{body}");
                    }
                }
                answered += 1;
            }
        });
    }
    let mut answered = 0;
    while let Some(worker) = workers.join_next().await {
        answered += worker.unwrap();
    }
    assert_eq!(answered, REQUESTS);

    let control = sandbox.control();
    let stats = control.stats();
    assert!(stats.exchanges <= limits.max_exchanges, "{stats:?}");
    assert_eq!(
        stats.exchanges, limits.max_exchanges,
        "the log is full, not more"
    );
    assert!(stats.tokens <= limits.max_tokens, "{stats:?}");
    assert_eq!(stats.tokens, 1, "no guess made a token: {stats:?}");
    assert_eq!(
        stats.customers, 0,
        "no malformed request made a customer: {stats:?}"
    );
    assert_eq!(
        (stats.payments, stats.rampoffs, stats.deliveries),
        (0, 0, 0)
    );
    let recorded = control.exchanges();
    assert!(recorded.iter().all(|e| e.status < 500), "{recorded:?}");

    // A valid request is answered correctly afterwards, with the same token.
    let user_id = register(&http, &sandbox, &token, "after-the-flood@example.com").await;
    let (status, list) = send(
        http.get(format!("{base}/customers/list"))
            .header("auth", &token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["status"], "ok", "{list}");
    assert_eq!(list["pagination"]["total"], 1);
    assert_eq!(list["data"][0]["id"], user_id);
    assert_eq!(
        control.exchanges().last().unwrap().operation_id,
        "listCustomers"
    );
}

fn small_limits() -> SandboxConfig {
    SandboxConfig {
        limits: Limits {
            max_tokens: 8,
            max_customers: 20,
            ..Limits::default()
        },
        ..SandboxConfig::default()
    }
}

/// Authenticating again and again keeps at most `max_tokens` tokens: the oldest are
/// forgotten (and answer `authorization_incorrect`), the newest work.
#[tokio::test]
async fn a_token_flood_keeps_at_most_max_tokens() {
    let sandbox = Sandbox::start_with(small_limits()).await.unwrap();
    let http = http();
    let mut tokens = Vec::new();
    for _ in 0..200 {
        tokens.push(token(&http, &sandbox).await);
        assert!(sandbox.control().stats().tokens <= 8);
    }
    assert_eq!(sandbox.control().stats().tokens, 8);
    let assets = format!("{}/available-assets", sandbox.base_url());
    for (i, token) in tokens.iter().enumerate() {
        let (status, body) = send(http.get(&assets).header("auth", token)).await;
        if i < tokens.len() - 8 {
            assert_api_error(status, &body, 200, "authorization_incorrect");
        } else {
            assert_eq!((status, &body["status"]), (200, &json!("ok")), "{body}");
        }
    }
}

/// Registering past `max_customers` is refused with the API's `unexpected_error`, whichever
/// registration operation is used, and the count stays at the bound; lookups still work.
#[tokio::test]
async fn a_registration_flood_stops_at_max_customers() {
    let sandbox = Sandbox::start_with(small_limits()).await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    let base = sandbox.base_url();
    let mut ids = Vec::new();
    for i in 0..60 {
        let email = format!("flood-{i}@example.com");
        let request = match i % 3 {
            0 => http
                .post(format!("{base}/registerUser"))
                .json(&json!({"name": "Flood", "email": email})),
            1 => http
                .post(format!("{base}/register/company"))
                .json(&json!({"company_name": "Flood SL", "email": email})),
            _ => http
                .post(format!("{base}/registerUser/kyc-delegated"))
                .json(&json!({
                    "name": "Flood", "email": email, "country": "ES",
                    "document_type": "DNI", "document_number": "12345678Z",
                    "document_front": "data:image/png;base64,iVBORw0KGgo=",
                    "document_back": "data:image/png;base64,iVBORw0KGgo=",
                    "selfie": "data:image/png;base64,iVBORw0KGgo=",
                })),
        };
        let (status, body) = send(request.header("auth", &token)).await;
        if i < 20 {
            assert_eq!((status, &body["status"]), (200, &json!("ok")), "{body}");
            ids.push(body["data"]["id"].as_u64().unwrap());
        } else {
            assert_api_error(status, &body, 200, "unexpected_error");
        }
        assert!(sandbox.control().stats().customers <= 20);
    }
    assert_eq!(sandbox.control().stats().customers, 20);
    let (_, list) = send(
        http.get(format!("{base}/customers/list?per_page=100"))
            .header("auth", &token),
    )
    .await;
    assert_eq!(list["pagination"]["total"], 20, "{list}");
    let listed: Vec<Value> = list["data"].as_array().unwrap().clone();
    assert_eq!(
        listed
            .iter()
            .map(|c| c["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        ids
    );
    // The registered customers answer as before.
    let (status, body) = send(
        http.get(format!("{base}/kyc/check?user_id={}", ids[19]))
            .header("auth", &token),
    )
    .await;
    assert_eq!((status, &body["status"]), (200, &json!("ok")), "{body}");
}

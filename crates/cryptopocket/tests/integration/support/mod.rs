//! What the behaviour tests share: the documented payloads and request builders, a client
//! builder with test credentials and short timeouts, and three kinds of server.
//!
//! - [`mock`]: `wiremock` servers, for every answer that is well-formed HTTP (documented
//!   payloads, error envelopes, odd statuses and headers, redirects, a dropped connection, a
//!   server that never answers). [`mock::authenticated`] gives a server that already issues
//!   a token and a client pointed at it.
//! - [`raw`]: a small socket server for the faults no HTTP server library writes: a response
//!   that stalls or trickles mid-body, is cut short, never ends, is not HTTP at all, or whose
//!   header bytes are not ASCII.
//! - [`sandbox`]: the local sandbox, for the API's behaviour rather than for faults.
#![allow(dead_code)]

/// Asserts that `error` matches `kind` and comes from the call `operation` (its spec
/// operationId), showing the error (after the case, when format arguments name one) when it
/// does not.
macro_rules! assert_error {
    ($error:expr, $kind:pat, $operation:expr) => {
        assert_error!($error, $kind, $operation, "")
    };
    ($error:expr, $kind:pat, $operation:expr, $($case:tt)+) => {{
        let error = &$error;
        let case = format!($($case)+);
        assert!(matches!(error, $kind), "{case} {error:?}");
        assert_eq!(error.operation(), Some($operation), "{case} {error:?}");
    }};
}

pub mod logs;
pub mod mock;
pub mod raw;
pub mod sandbox;

use std::time::Duration;

use cryptopocket::{
    Client, ClientBuilder, Environment, RetryPolicy,
    model::{PaymentId, UserId},
    onramp::NewPayment,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Routes and ids the tests share
// ---------------------------------------------------------------------------------------

/// `POST /authenticate`.
pub const AUTHENTICATE: &str = "/api/authenticate";
/// `POST /createPayment`.
pub const CREATE_PAYMENT: &str = "/api/createPayment";
/// `POST /createGuidedPayment`.
pub const CREATE_GUIDED_PAYMENT: &str = "/api/createGuidedPayment";
/// `GET /payments/list`.
pub const LIST_PAYMENTS: &str = "/api/payments/list";
/// `GET /rampoffs/list`.
pub const LIST_RAMPOFFS: &str = "/api/rampoffs/list";
/// The id of the documented payment (`getPayment.response.json`).
pub const PAYMENT_ID: &str = "aBcDeFgHiJkLmNoPqRsTuVwXy";
/// `GET /payment/{PAYMENT_ID}`.
pub const GET_PAYMENT: &str = "/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy";

/// [`PAYMENT_ID`] as a typed id.
pub fn payment_id() -> PaymentId {
    PaymentId::new(PAYMENT_ID).unwrap()
}

// ---------------------------------------------------------------------------------------
// Response bodies: the documented fixtures and the envelopes every server answers with
// ---------------------------------------------------------------------------------------

/// The text of a documented payload in the workspace's `tests/fixtures`.
pub fn fixture_text(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read fixture {path}: {e}"))
}

/// A documented payload from `tests/fixtures`, parsed.
pub fn fixture(name: &str) -> Value {
    serde_json::from_str(&fixture_text(name))
        .unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}

/// The documented Retrieve payment `data`.
pub fn payment_data() -> Value {
    fixture("getPayment.response.json")["data"].clone()
}

/// A success: `{"status": "ok", "data": data}`.
pub fn ok_body(data: Value) -> Value {
    json!({"status": "ok", "data": data})
}

/// The API's business error: `{"status": "error", "error": code}`, sent with HTTP 200.
pub fn api_error_body(code: &str) -> Value {
    json!({"status": "error", "error": code})
}

/// A page of a list: `items` and the pagination the API sends beside them, for page `page`
/// of `last_page`, `per_page` items a page and `total` in all.
pub fn page_body(items: Vec<Value>, page: u64, per_page: u64, total: u64, last_page: u64) -> Value {
    json!({
        "status": "ok",
        "data": items,
        "pagination": {
            "current_page": page, "per_page": per_page, "total": total, "last_page": last_page,
        },
    })
}

/// An authenticate answer issuing `token` for an hour (the shape is inferred).
pub fn token_body(token: &str) -> Value {
    ok_body(json!({"token": token, "expires_in": 3600}))
}

// ---------------------------------------------------------------------------------------
// Requests and clients
// ---------------------------------------------------------------------------------------

/// The wallet of the documented createPayment request.
pub const WALLET: &str = "0xB51b2ce243bb1F88880bC8D287EBbfd7F695Ac55";

/// The documented createPayment request (EUR 240 of USDC on polygon for customer 106).
pub fn payment_request(external_id: &str) -> NewPayment {
    payment_for(&UserId::new(106), Decimal::new(240, 0)).external_id(external_id)
}

/// The documented createPayment request for `user_id` and `fiat_amount` euros, without an
/// external id.
pub fn payment_for(user_id: &UserId, fiat_amount: Decimal) -> NewPayment {
    NewPayment::new(user_id, fiat_amount, "EUR", "USDC", WALLET).coin_chain("polygon")
}

/// A server a client can be pointed at.
pub trait Origin {
    /// `http://127.0.0.1:PORT`.
    fn origin(&self) -> String;

    /// `http://127.0.0.1:PORT/api`, the base URL a client is given.
    fn base_url(&self) -> String {
        format!("{}/api", self.origin())
    }
}

impl Origin for wiremock::MockServer {
    fn origin(&self) -> String {
        self.uri()
    }
}

/// A client builder for `server` with test credentials and short timeouts and backoffs.
pub fn client_builder(server: &impl Origin) -> ClientBuilder {
    Client::builder()
        .environment(Environment::Custom(server.base_url()))
        .credentials("key-test", "secret-test")
        .attempt_timeout(Duration::from_secs(5))
        .deadline(Duration::from_secs(10))
        .retry_policy(fast_retries(3))
}

/// A client from [`client_builder`] allowing `max_attempts` attempts a call.
pub fn client_with_attempts(server: &impl Origin, max_attempts: u32) -> Client {
    client_builder(server)
        .retry_policy(fast_retries(max_attempts))
        .build()
        .unwrap()
}

/// `max_attempts` attempts with millisecond backoffs.
pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(max_attempts)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

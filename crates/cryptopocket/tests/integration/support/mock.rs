//! `wiremock` servers for the behaviour tests: ready-made answers (the API's envelopes, the
//! documented fixtures, a dropped connection, a server that never answers), a server that
//! already issues a token, and what the tests ask about the requests it received.
//!
//! A route is mounted with [`on`] (or `wiremock::Mock` directly when a test needs
//! `up_to_n_times` or a priority); a request no mock matches gets wiremock's empty 404.
//!
//! Every test's server is started bare (`MockServer::builder().start()`), never from
//! wiremock's pool (`MockServer::start()`): a request a finished test's client still had in
//! flight (a dropped stream's fetch ahead) would reach the next test handed the same pooled
//! server, and show up in its request counts.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use cryptopocket::Client;
use serde_json::Value;
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{any, header, method, path},
};

use super::{AUTHENTICATE, api_error_body, client_builder, fixture_text, ok_body, token_body};

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

/// Answers with this status and JSON body.
pub fn json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// `200 {"status": "ok", "data": data}`.
pub fn ok(data: Value) -> ResponseTemplate {
    json(200, ok_body(data))
}

/// The API's business error: `200 {"status": "error", "error": code}`.
pub fn api_error(code: &str) -> ResponseTemplate {
    json(200, api_error_body(code))
}

/// An authenticate answer issuing `token` for an hour.
pub fn token(token: &str) -> ResponseTemplate {
    json(200, token_body(token))
}

/// A documented payload from `tests/fixtures`, verbatim, with HTTP 200.
pub fn fixture(name: &str) -> ResponseTemplate {
    raw(200, "application/json", fixture_text(name))
}

/// Answers with this status, content type and body, as given.
pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, content_type)
}

/// A `text/plain` answer.
pub fn text(status: u16, body: impl Into<Vec<u8>>) -> ResponseTemplate {
    raw(status, "text/plain", body)
}

/// A `text/plain` answer carrying `Retry-After: value`.
pub fn retry_after(status: u16, body: &str, value: &str) -> ResponseTemplate {
    text(status, body).insert_header("Retry-After", value)
}

/// A server that keeps the connection open and answers long after any test's deadline.
pub fn hang() -> ResponseTemplate {
    ResponseTemplate::new(200).set_delay(Duration::from_secs(120))
}

/// For `Mock::respond_with_err`: the request arrived, and the connection is closed without
/// an answer.
pub fn dropped(_: &Request) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped on purpose")
}

/// Issues a new token on each authenticate: `T1`, then `T2`, … so that a second
/// authenticate shows in the tokens the other requests carry.
pub fn numbered_tokens() -> impl Respond {
    let issued = AtomicUsize::new(0);
    move |_: &Request| token(&format!("T{}", issued.fetch_add(1, Ordering::SeqCst) + 1))
}

// ---------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------

/// Mounts `responder` for `verb route` (a path without query).
pub async fn on(server: &MockServer, verb: &str, route: &str, responder: impl Respond + 'static) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(responder)
        .mount(server)
        .await;
}

/// Mounts `responder` for every request no other mock answers (the lowest priority).
pub async fn otherwise(server: &MockServer, responder: impl Respond + 'static) {
    Mock::given(any())
        .respond_with(responder)
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

/// A server whose authenticate issues `token`; nothing else is mounted.
pub async fn issuing(token: &str) -> MockServer {
    let server = MockServer::builder().start().await;
    on(&server, "POST", AUTHENTICATE, self::token(token)).await;
    server
}

/// A server that authenticates with `T1`, then answers each `(method, route)` called with
/// that token with its reply, and anything else with a 404; a client pointed at it.
pub async fn serving(routes: Vec<(&str, &str, ResponseTemplate)>) -> (MockServer, Client) {
    let (server, client) = authenticated().await;
    for (verb, route, reply) in routes {
        Mock::given(method(verb))
            .and(path(route))
            .and(header("auth", "T1"))
            .respond_with(reply)
            .mount(&server)
            .await;
    }
    let not_found = json(404, serde_json::json!({"message": "not found"}));
    otherwise(&server, not_found).await;
    (server, client)
}

/// A server whose authenticate issues `T1`, and a client (from
/// [`client_builder`](super::client_builder)) pointed at it.
pub async fn authenticated() -> (MockServer, Client) {
    let server = issuing("T1").await;
    let client = client_builder(&server).build().unwrap();
    (server, client)
}

// ---------------------------------------------------------------------------------------
// What the server received
// ---------------------------------------------------------------------------------------

/// Every request received so far, in arrival order.
pub async fn requests(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

/// The requests received for `route` (a path without query, e.g. `/api/authenticate`).
pub async fn requests_to(server: &MockServer, route: &str) -> Vec<Request> {
    let mut all = requests(server).await;
    all.retain(|r| r.url.path() == route);
    all
}

/// How many requests arrived for `route` (a path without query).
pub async fn count(server: &MockServer, route: &str) -> usize {
    requests_to(server, route).await.len()
}

/// What the tests read from a received request.
pub trait Received {
    /// The first value of header `name` (case-insensitive), when it is text.
    fn header(&self, name: &str) -> Option<&str>;
    /// The value of query parameter `name`, as sent (not percent-decoded).
    fn query(&self, name: &str) -> Option<&str>;
    /// The path and query, e.g. `/api/payments/list?page=2`.
    fn target(&self) -> String;
    /// The body as text (invalid UTF-8 replaced).
    fn text(&self) -> String;
    /// The body as JSON, when it is JSON.
    fn json(&self) -> Option<Value>;

    /// The `auth` header the API authenticates with.
    fn auth(&self) -> Option<&str> {
        self.header("auth")
    }
}

impl Received for Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.url.query()?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    fn target(&self) -> String {
        match self.url.query() {
            Some(query) => format!("{}?{query}", self.url.path()),
            None => self.url.path().to_owned(),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

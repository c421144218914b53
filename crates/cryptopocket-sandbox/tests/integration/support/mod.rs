//! What the sandbox's behaviour tests share: an HTTP client, authentication, a raw-socket
//! client for requests no HTTP library will send, and the assertion that an answer is an
//! error in the API's own style.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use cryptopocket_sandbox::Sandbox;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A client that talks to loopback directly, whatever proxy the environment names.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a reqwest client builds")
}

/// A path template of the spec (`/payment/{payment_id}`) with every parameter filled in
/// (`/payment/1`).
pub fn filled_path(template: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        path.push_str(before);
        rest = after.split_once('}').map_or("", |(_, after)| after);
        path.push('1');
    }
    path.push_str(rest);
    path
}

/// A token from `/authenticate` with the sandbox's own credentials.
pub async fn token(http: &reqwest::Client, sandbox: &Sandbox) -> String {
    let (status, body) = send(
        http.post(format!("{}/authenticate", sandbox.base_url()))
            .json(&json!({"api_key": sandbox.api_key(), "api_secret": sandbox.api_secret()})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok", "{body}");
    body["data"]["token"]
        .as_str()
        .expect("the token is a string")
        .to_owned()
}

/// Sends a request and returns its status and JSON body; every answer the sandbox gives
/// must be JSON, so anything else fails the test.
pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let answer = request.send().await.expect("the sandbox answers");
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = answer.bytes().await.expect("the whole body arrives");
    assert!(
        content_type.starts_with("application/json"),
        "HTTP {status} with content-type {content_type:?}: {}",
        String::from_utf8_lossy(&bytes)
    );
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "HTTP {status}: the body is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, body)
}

/// Asserts the API's error style, `{"status": "error", "error": code, "message": text}`,
/// at the given HTTP status.
pub fn assert_api_error(status: u16, body: &Value, http_status: u16, code: &str) {
    assert_eq!(status, http_status, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "an error says what was wrong: {body}"
    );
}

/// Registers an individual customer and returns its id.
pub async fn register(http: &reqwest::Client, sandbox: &Sandbox, token: &str, email: &str) -> u64 {
    let (status, body) = send(
        http.post(format!("{}/registerUser", sandbox.base_url()))
            .header("auth", token)
            .json(&json!({"name": "Ada", "surname": "Lovelace", "email": email})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok", "{body}");
    body["data"]["id"].as_u64().expect("the id is a number")
}

/// What came back on a raw connection.
#[derive(Debug)]
pub struct RawAnswer {
    /// The status code of the status line.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// Everything after the head.
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "HTTP {}: the body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Writes `request` as it is on a new connection (it should say `Connection: close`) and
/// reads the answer to the end. Writing and reading overlap, so a server that answers
/// before it has read a large body is seen to answer. Panics when the connection is
/// dropped without a status line.
pub async fn raw(addr: SocketAddr, request: Vec<u8>) -> RawAnswer {
    let stream = TcpStream::connect(addr).await.expect("the sandbox accepts");
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        // The server may close its side once it has answered; that is not a failure.
        write.write_all(&request).await.ok();
        write.flush().await.ok();
        write
    });
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), read.read_to_end(&mut answer))
        .await
        .expect("the sandbox answers within 30 s")
        .ok();
    drop(writer.await);
    parse(&answer)
}

fn parse(answer: &[u8]) -> RawAnswer {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no complete answer, the connection was dropped: {:?}",
                String::from_utf8_lossy(answer)
            )
        });
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    RawAnswer {
        status,
        headers,
        body: answer[end + 4..].to_vec(),
    }
}

/// A request head and body as bytes: `GET /path HTTP/1.1` with `Host`, `Connection:
/// close`, the extra header lines given (each without its line end) and a
/// `Content-Length` when there is a body.
pub fn request(method: &str, target: &[u8], headers: &[&[u8]], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target);
    out.extend_from_slice(b" HTTP/1.1\r\nHost: sandbox.test\r\nConnection: close\r\n");
    for header in headers {
        out.extend_from_slice(header);
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method == "POST" {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

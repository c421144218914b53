//! `Hooks::observe`: an observer sees each exchange whole (the spec's operationId, the
//! request, the status, headers and body), and the generated code decodes the same bytes,
//! read errors included, as it would without one.

use std::sync::{Arc, Mutex};

use cryptopocket_api::{BodyTooLarge, Client, Error, Exchange, ExchangeObserver, Hooks, types};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// What an observer saw of one exchange.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    operation_id: String,
    method: String,
    path: String,
    auth: Option<String>,
    status: Option<u16>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
    error: Option<String>,
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl ExchangeObserver for Recorder {
    fn exchange(&self, exchange: &Exchange<'_>) {
        let response = exchange.response.as_ref();
        self.0.lock().unwrap().push(Seen {
            operation_id: exchange.operation_id.to_owned(),
            method: exchange.method.to_string(),
            path: exchange.url.path().to_owned(),
            auth: exchange
                .request_headers
                .get("auth")
                .map(|v| v.to_str().unwrap().to_owned()),
            status: response.map(|r| r.status.as_u16()),
            content_type: response
                .and_then(|r| r.headers.get("content-type"))
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.map(|r| r.body.to_vec()),
            error: exchange.error.map(|e| e.to_string()),
        });
    }
}

/// Answers one connection with `status` and `body`, then closes.
async fn serve_once(status: u16, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut chunk = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut chunk).await.unwrap();
            head.extend_from_slice(&chunk[..n]);
        }
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = socket.write_all(response.as_bytes()).await;
    });
    base
}

fn observed(base: &str, recorder: &Arc<Recorder>) -> Client {
    let hooks = Hooks::auth_token("tok-observed")
        .unwrap()
        .observe(Arc::clone(recorder) as Arc<dyn ExchangeObserver>);
    Client::new(base, hooks)
}

#[tokio::test]
async fn the_observer_sees_the_exchange_and_the_client_decodes_the_same_body() {
    let fixture = include_str!("../../../../tests/fixtures/getPayment.response.json");
    let base = serve_once(200, fixture.to_owned()).await;
    let recorder = Arc::new(Recorder::default());

    let envelope = observed(&base, &recorder)
        .get_payment()
        .payment_id("aBcDeFgHiJkLmNoPqRsTuVwXy")
        .send()
        .await
        .unwrap()
        .into_inner();

    let expected: types::GetPaymentResponse = serde_json::from_str(fixture).unwrap();
    assert_eq!(envelope, expected);
    assert_eq!(
        *recorder.0.lock().unwrap(),
        [Seen {
            operation_id: "getPayment".into(),
            method: "GET".into(),
            path: "/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy".into(),
            auth: Some("tok-observed".into()),
            status: Some(200),
            content_type: Some("application/json".into()),
            body: Some(fixture.as_bytes().to_vec()),
            error: None,
        }]
    );
}

#[tokio::test]
async fn a_body_over_the_cap_fails_as_without_an_observer_and_the_observer_is_told() {
    let base = serve_once(
        200,
        format!("{{\"status\":\"ok\",\"pad\":\"{}\"}}", "x".repeat(4096)),
    )
    .await;
    let recorder = Arc::new(Recorder::default());
    let hooks = Hooks::default()
        .max_body_bytes(512)
        .observe(Arc::clone(&recorder) as Arc<dyn ExchangeObserver>);

    let error = Client::new(&base, hooks)
        .get_available_assets()
        .send()
        .await
        .unwrap_err();

    let Error::ResponseBodyError(error) = error else {
        panic!("expected a body error, got {error:?}");
    };
    assert_eq!(
        BodyTooLarge::find(&error),
        Some(BodyTooLarge { limit: 512 })
    );
    let seen = recorder.0.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].operation_id, "getAvailableAssets");
    assert_eq!(seen[0].status, Some(200));
    assert!(seen[0].body.as_ref().unwrap().len() <= 512 + 4096);
    assert!(seen[0].error.is_some());
}

#[tokio::test]
async fn an_attempt_without_a_response_is_observed_with_its_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api", listener.local_addr().unwrap());
    drop(listener);
    let recorder = Arc::new(Recorder::default());

    let error = observed(&base, &recorder)
        .get_available_assets()
        .send()
        .await
        .unwrap_err();

    assert!(matches!(error, Error::CommunicationError(_)), "{error:?}");
    let seen = recorder.0.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].status, seen[0].body.as_ref()), (None, None));
    assert!(seen[0].error.is_some());
}

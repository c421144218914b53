//! The generated client on its own, over real HTTP on loopback: the documented payloads are
//! served by a small recording server and decoded by the generated types.

use std::sync::{Arc, Mutex};

use cryptopocket_api::{Client, Error, Hooks, types};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    head: String,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Serves `responses` in order, one per connection, and records what it was sent.
async fn serve(responses: Vec<(u16, &'static str)>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        for (status, body) in responses {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, mut rest) = loop {
                let n = socket.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    break (head, buf[end + 4..].to_vec());
                }
            };
            let seen = Seen {
                head,
                body: String::new(),
            };
            let length: usize = seen
                .header("content-length")
                .map_or(0, |v| v.parse().unwrap());
            while rest.len() < length {
                let n = socket.read(&mut chunk).await.unwrap();
                rest.extend_from_slice(&chunk[..n]);
            }
            log.lock().unwrap().push(Seen {
                body: String::from_utf8(rest).unwrap(),
                ..seen
            });
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.unwrap();
        }
    });
    (base, seen)
}

fn with_token(base: &str, token: &str) -> Client {
    Client::new(base, Hooks::auth_token(token).unwrap())
}

#[tokio::test]
async fn a_payment_is_fetched_with_the_auth_header_and_decoded() {
    let fixture = include_str!("../../../../tests/fixtures/getPayment.response.json");
    let (base, seen) = serve(vec![(200, fixture)]).await;

    let envelope = with_token(&base, "b87bsdf8hdsj9fh9sd78fubsdoiufbj")
        .get_payment()
        .payment_id("aBcDeFgHiJkLmNoPqRsTuVwXy")
        .send()
        .await
        .unwrap()
        .into_inner();

    let request = seen.lock().unwrap()[0].clone();
    assert!(
        request
            .head
            .starts_with("GET /api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy HTTP/1.1"),
        "{}",
        request.head
    );
    assert_eq!(
        request.header("auth"),
        Some("b87bsdf8hdsj9fh9sd78fubsdoiufbj")
    );
    assert_eq!(envelope.status, "ok");
    let payment = envelope.data.unwrap();
    assert_eq!(payment.user_id, "100067");
    assert_eq!(payment.fiat_amount, 15050);
    assert_eq!(payment.holder, None);
    assert_eq!(
        payment.created_at.get().to_rfc3339(),
        "2026-06-26T10:30:00+00:00"
    );
}

#[tokio::test]
async fn webhook_subscriptions_are_sent_form_urlencoded_as_documented() {
    let fixture = include_str!("../../../../tests/fixtures/subscribeToWebhook.response.json");
    let (base, seen) = serve(vec![(200, fixture)]).await;

    let envelope = with_token(&base, "t")
        .subscribe_to_webhook()
        .body(
            types::WebhookSubscriptionRequest::builder()
                .type_(types::WebhookEventType::CoinsSent)
                .url("https://demo.com"),
        )
        .send()
        .await
        .unwrap()
        .into_inner();

    let request = seen.lock().unwrap()[0].clone();
    assert!(request.head.starts_with("POST /api/subscribeToWebhook "));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    // The documented curl sample's body, byte for byte (fields in the order the type has them).
    assert_eq!(request.body, "type=COINS_SENT&url=https%3A%2F%2Fdemo.com");
    assert_eq!(envelope.data.as_deref(), Some("subscription_created"));
}

#[tokio::test]
async fn business_errors_at_200_and_validation_errors_at_422_both_decode() {
    let business = include_str!(
        "../../../../tests/fixtures/registerCompany.response.error-user_already_exists.json"
    );
    let validation = include_str!("../../../../tests/fixtures/registerCompany.response.422.json");
    let (base, _) = serve(vec![(200, business), (422, validation)]).await;
    let client = with_token(&base, "t");
    let register = || {
        client.register_company().body(
            types::RegisterCompanyRequest::builder()
                .email("contact@acmecorp.com")
                .company_name("Acme Corporation S.L."),
        )
    };

    let envelope = register().send().await.unwrap().into_inner();
    assert_eq!(envelope.status, "error");
    assert_eq!(envelope.error.as_deref(), Some("user_already_exists"));
    assert_eq!(envelope.data, None);

    match register().send().await {
        Err(Error::ErrorResponse(response)) => {
            assert_eq!(response.status().as_u16(), 422);
            let errors = &response.into_inner().errors;
            assert_eq!(
                errors["company_name"],
                vec!["The company name field is required.".to_owned()]
            );
        }
        other => panic!("expected the documented 422 body, got {other:?}"),
    }
}

#[tokio::test]
async fn an_error_envelope_whose_data_is_not_the_success_shape_keeps_its_bytes() {
    let body = r#"{"status":"error","error":"require_kyc","data":"https://kyc.example/abc"}"#;
    let (base, _) = serve(vec![(200, body)]).await;

    let result = with_token(&base, "t")
        .create_guided_payment()
        .body(
            types::CreateGuidedPaymentRequest::builder()
                .user_id(106)
                .coin_symbol("USDC")
                .coin_chain("polygon")
                .fiat_amount("240".parse::<cryptopocket_api::Amount>().unwrap()),
        )
        .send()
        .await;

    match result {
        Err(Error::InvalidResponsePayload(bytes, _)) => assert_eq!(&bytes[..], body.as_bytes()),
        other => panic!("expected the raw bytes back, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_without_hooks_sends_no_auth_header() {
    let fixture = include_str!("../../../../tests/fixtures/getRampoff.response.json");
    let (base, seen) = serve(vec![(200, fixture)]).await;
    let envelope = Client::new(&base, Hooks::default())
        .get_rampoff()
        .id("S35AJ0gSzf6P30XJRc2yMsIOK")
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = seen.lock().unwrap()[0].clone();
    assert!(
        request
            .head
            .starts_with("GET /api/getRampoff?id=S35AJ0gSzf6P30XJRc2yMsIOK ")
    );
    assert_eq!(request.header("auth"), None);
    assert_eq!(envelope.data.unwrap().status, "finished");
}

#[test]
fn hooks_never_print_the_token() {
    let hooks = Hooks::auth_token("b87bsdf8hdsj9fh9sd78fubsdoiufbj").unwrap();
    let shown = format!("{hooks:?}");
    assert!(!shown.contains("b87bsdf8"), "{shown}");
    assert!(Hooks::auth_token("line\nbreak").is_err());
}

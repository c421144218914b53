//! A hostile sender against the endpoint: a delivery whose body stalls after its headers (or
//! trickles) must not hold the connection, its task and its buffer until the sender gives
//! up; the endpoint answers 408 once the body timeout passes, and no handler runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cryptopocket::webhooks::{WebhookSigner, WebhookVerifier};
use cryptopocket_webhooks::{Delivery, MemoryInbox, WebhookEndpoint};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::Server;

const BODY: &str = r#"{"type":"PAY_IN","payment_id":"pay_slow","status":"payment_received"}"#;

/// Sends the head of a signed delivery and `sent` bytes of its body, then (for `trickle`)
/// one more byte every 100 ms, and returns the status line the endpoint answers with and
/// how long it took; `None` when it did not answer within 10 s.
async fn slow_delivery(url: &str, sent: usize, trickle: bool) -> (Option<String>, Duration) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let headers = WebhookSigner::new("pk_test", SecretString::from("s3cr3t"))
        .sign(BODY.as_bytes(), now)
        .to_header_map();
    let authority = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut head = format!(
        "POST /hook HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n",
        BODY.len()
    );
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    let stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    writer.write_all(&BODY.as_bytes()[..sent]).await.unwrap();
    let started = Instant::now();
    let write = async move {
        let mut at = sent;
        while trickle && at + 1 < BODY.len() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer
                .write_all(&BODY.as_bytes()[at..at + 1])
                .await
                .is_err()
            {
                break;
            }
            at += 1;
        }
        // Never finishes the body; keeps the connection open.
        std::future::pending::<()>().await;
    };
    let read = async move {
        let mut answer = vec![0u8; 1024];
        let n = reader.read(&mut answer).await.unwrap_or(0);
        String::from_utf8_lossy(&answer[..n])
            .lines()
            .next()
            .map(str::to_owned)
    };
    let answered = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::select! {
            line = read => line,
            () = write => None,
        }
    })
    .await
    .ok()
    .flatten();
    (answered, started.elapsed())
}

/// A body that stalls after 10 bytes, and one that trickles a byte every 100 ms: each is
/// answered 408 at the body timeout (here 500 ms), and the handler never runs.
#[tokio::test]
async fn a_stalled_or_trickled_body_is_answered_408_at_the_body_timeout() {
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = {
        let runs = runs.clone();
        WebhookEndpoint::builder(
            WebhookVerifier::new(SecretString::from("s3cr3t")).expect_api_key("pk_test"),
        )
        .body_timeout(Duration::from_millis(500))
        .inbox(MemoryInbox::new())
        .handle(move |_: Delivery| {
            let runs = runs.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<(), cryptopocket_webhooks::BoxError>(())
            }
        })
    };
    let server = Server::start(endpoint.router("/hook"), "/hook").await;
    for trickle in [false, true] {
        let (answer, took) = slow_delivery(&server.url, 10, trickle).await;
        let answer = answer.unwrap_or_else(|| panic!("trickle {trickle}: no answer in 10 s"));
        assert!(answer.contains(" 408 "), "trickle {trickle}: {answer}");
        assert!(
            took < Duration::from_millis(2500),
            "trickle {trickle}: {took:?}"
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    assert_eq!(endpoint.stats().rejected, 2, "{:?}", endpoint.stats());
}

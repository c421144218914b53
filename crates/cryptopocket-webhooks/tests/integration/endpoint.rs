//! Verification and status codes through the endpoint and the extractor, over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use cryptopocket::webhooks::{WebhookEvent, WebhookSigner, WebhookVerifier};
use cryptopocket_webhooks::{
    BoxError, Delivery, MemoryInbox, VerifiedEvent, WebhookEndpoint, WebhookReceiver,
};
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use tokio::sync::Notify;

use crate::support::Server;

const KEY: &str = "pk_test";
const SECRET: &str = "s3cr3t";

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SecretString::from(SECRET)).expect_api_key(KEY)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn signed(body: &str) -> HeaderMap {
    WebhookSigner::new(KEY, SecretString::from(SECRET))
        .sign(body.as_bytes(), now())
        .to_header_map()
}

struct Posted {
    status: u16,
    retry_after: Option<String>,
    text: String,
}

async fn post_to(url: &str, headers: HeaderMap, body: impl Into<reqwest::Body>) -> Posted {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("the endpoint answers");
    Posted {
        status: response.status().as_u16(),
        retry_after: response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned()),
        text: response.text().await.unwrap(),
    }
}

const COINS_SENT: &str =
    r#"{"type":"COINS_SENT","payment_id":"pay_1","status":"coins_sent","txid":"0xabc"}"#;

#[tokio::test]
async fn every_status_code_over_http() {
    let runs = Arc::new(AtomicUsize::new(0));
    let fail_next = Arc::new(AtomicUsize::new(0));
    let endpoint = {
        let runs = runs.clone();
        let fail_next = fail_next.clone();
        WebhookEndpoint::builder(verifier())
            .max_body_bytes(1024)
            .inbox(MemoryInbox::new())
            .handle(move |delivery: Delivery| {
                let runs = runs.clone();
                let fail = fail_next.swap(0, Ordering::SeqCst) > 0;
                async move {
                    if fail {
                        return Err::<(), BoxError>("the database is down".into());
                    }
                    assert!(matches!(
                        delivery.event,
                        WebhookEvent::CoinsSent(_)
                            | WebhookEvent::PayIn(_)
                            | WebhookEvent::TransferRampoffFinished(_)
                    ));
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            })
    };
    let server = Server::start(endpoint.router("/hook"), "/hook").await;
    let url = &server.url;

    // Applied once; the same event again is a duplicate that does not run the handler.
    let first = post_to(url, signed(COINS_SENT), COINS_SENT).await;
    assert_eq!((first.status, first.text.as_str()), (200, "applied"));
    let again = post_to(url, signed(COINS_SENT), COINS_SENT).await;
    assert_eq!(again.status, 200);
    assert!(again.text.starts_with("duplicate"), "{}", again.text);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // The legacy pair: one effect for both names.
    let new = r#"{"type":"TRANSFER_RAMPOFF_FINISHED","id":"ro_9","status":"finished"}"#;
    let old = r#"{"type":"RAMPOFF_FINISHED","id":"ro_9","status":"finished"}"#;
    assert_eq!(post_to(url, signed(old), old).await.status, 200);
    assert_eq!(
        post_to(url, signed(new), new).await.text,
        "duplicate: already applied"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    // 401: wrong signature, wrong key, missing headers, outside the window.
    let mut forged = signed(COINS_SENT);
    forged.insert("x-signature", "00".repeat(32).parse().unwrap());
    assert_eq!(post_to(url, forged, COINS_SENT).await.status, 401);
    let other_key = WebhookSigner::new("pk_other", SecretString::from(SECRET))
        .sign(COINS_SENT.as_bytes(), now())
        .to_header_map();
    assert_eq!(post_to(url, other_key, COINS_SENT).await.status, 401);
    assert_eq!(post_to(url, HeaderMap::new(), COINS_SENT).await.status, 401);
    let stale = WebhookSigner::new(KEY, SecretString::from(SECRET))
        .sign(COINS_SENT.as_bytes(), now() - 3600)
        .to_header_map();
    let answer = post_to(url, stale, COINS_SENT).await;
    assert_eq!(answer.status, 401);
    assert!(answer.text.contains("ago"), "{}", answer.text);
    // The body is the signed one, or it is refused: a modified body with the old signature.
    let tampered = COINS_SENT.replace("pay_1", "pay_2");
    assert_eq!(post_to(url, signed(COINS_SENT), tampered).await.status, 401);

    // 400: authentic, but not an event.
    let not_an_event = r#"{"type":"PAY_IN"}"#;
    assert_eq!(
        post_to(url, signed(not_an_event), not_an_event)
            .await
            .status,
        400
    );

    // 413: over the cap, with or without a Content-Length.
    let big = format!(
        r#"{{"type":"COINS_SENT","payment_id":"p","pad":"{}"}}"#,
        "x".repeat(2048)
    );
    assert_eq!(post_to(url, signed(&big), big.clone()).await.status, 413);
    let chunks = futures::stream::iter(
        big.clone()
            .into_bytes()
            .chunks(100)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let streamed = post_to(url, signed(&big), reqwest::Body::wrap_stream(chunks)).await;
    assert_eq!(streamed.status, 413);

    // 500: the handler failed; the claim is released and the redelivery applies it.
    let body = r#"{"type":"PAY_IN","payment_id":"pay_3","status":"payment_received"}"#;
    fail_next.store(1, Ordering::SeqCst);
    assert_eq!(post_to(url, signed(body), body).await.status, 500);
    assert_eq!(post_to(url, signed(body), body).await.text, "applied");
    assert_eq!(runs.load(Ordering::SeqCst), 3);

    // 405 for anything but POST.
    let get = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);

    let stats = endpoint.stats();
    assert_eq!(
        (stats.applied, stats.duplicates, stats.failed),
        (3, 2, 1),
        "{stats:?}"
    );
    assert_eq!(stats.rejected, 8, "{stats:?}");
}

#[tokio::test]
async fn a_delivery_being_handled_elsewhere_gets_503_with_retry_after() {
    let entered = Arc::new(Notify::new());
    let go = Arc::new(Notify::new());
    let endpoint = {
        let (entered, go) = (entered.clone(), go.clone());
        WebhookEndpoint::builder(verifier())
            .lease(Duration::from_secs(20))
            .inbox(MemoryInbox::new())
            .handle(move |_: Delivery| {
                let (entered, go) = (entered.clone(), go.clone());
                async move {
                    entered.notify_one();
                    go.notified().await;
                    Ok::<_, BoxError>(())
                }
            })
    };
    let server = Server::start(endpoint.router("/hook"), "/hook").await;
    let url = server.url.clone();
    let first = tokio::spawn(async move { post_to(&url, signed(COINS_SENT), COINS_SENT).await });
    entered.notified().await;
    let busy = post_to(&server.url, signed(COINS_SENT), COINS_SENT).await;
    assert_eq!(busy.status, 503);
    let seconds: u64 = busy.retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=20).contains(&seconds), "{seconds}");
    go.notify_one();
    assert_eq!(first.await.unwrap().status, 200);
    assert_eq!(
        post_to(&server.url, signed(COINS_SENT), COINS_SENT)
            .await
            .status,
        200
    );
    assert_eq!(endpoint.stats().applied, 1);
}

#[tokio::test]
async fn a_handler_past_its_timeout_is_cancelled_and_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let effects = Arc::new(AtomicUsize::new(0));
    let endpoint = {
        let (calls, effects) = (calls.clone(), effects.clone());
        WebhookEndpoint::builder(verifier())
            .lease(Duration::from_millis(400))
            .inbox(MemoryInbox::new())
            .handle(move |_: Delivery| {
                let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
                let effects = effects.clone();
                async move {
                    if first {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    effects.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, BoxError>(())
                }
            })
    };
    let server = Server::start(endpoint.router("/hook"), "/hook").await;
    let hung = post_to(&server.url, signed(COINS_SENT), COINS_SENT).await;
    assert_eq!((hung.status, hung.retry_after.as_deref()), (503, Some("1")));
    assert_eq!(
        post_to(&server.url, signed(COINS_SENT), COINS_SENT)
            .await
            .text,
        "applied"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(effects.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn without_an_inbox_every_delivery_runs_the_handler() {
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = {
        let runs = runs.clone();
        WebhookEndpoint::builder(verifier()).handle(move |_: Delivery| {
            runs.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, BoxError>(()) }
        })
    };
    let server = Server::start(endpoint.router("/hook"), "/hook").await;
    for _ in 0..2 {
        assert_eq!(
            post_to(&server.url, signed(COINS_SENT), COINS_SENT)
                .await
                .status,
            200
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_extractor_verifies_and_answers_on_its_own() {
    async fn on_event(VerifiedEvent { key, event, .. }: VerifiedEvent) -> String {
        format!("{key} {:?}", event.event_type())
    }
    let receiver = WebhookReceiver::new(verifier()).max_body_bytes(512);
    let app: Router = Router::new()
        .route("/hook", post(on_event))
        .with_state(receiver);
    let server = Server::start(app, "/hook").await;

    let ok = post_to(&server.url, signed(COINS_SENT), COINS_SENT).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.text, r#"["COINS_SENT","pay_1","coins_sent"] CoinsSent"#);
    let mut forged = signed(COINS_SENT);
    forged.insert("x-timestamp", "1700000000".parse().unwrap());
    assert_eq!(post_to(&server.url, forged, COINS_SENT).await.status, 401);
    let big = "x".repeat(600);
    assert_eq!(post_to(&server.url, signed(&big), big).await.status, 413);
    let junk = "{not json";
    assert_eq!(post_to(&server.url, signed(junk), junk).await.status, 400);
}

/// Transactional mode's fence: a handler that outlives its lease is taken over, and when it
/// finally finishes its transaction is rolled back, so the user's table holds one row.
#[tokio::test]
async fn transactional_fence_rolls_back_a_handler_that_outlived_its_lease() {
    use cryptopocket_webhooks::PostgresInbox;

    let url = crate::support::fresh_database("fence").await;
    let inbox = PostgresInbox::connect(&url, 4).await.unwrap();
    let client = inbox.pool().get().await.unwrap();
    client
        .batch_execute("CREATE TABLE credits (delivery_key text NOT NULL)")
        .await
        .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let endpoint = {
        let calls = calls.clone();
        WebhookEndpoint::builder(verifier())
            .lease(Duration::from_millis(500))
            .handler_timeout(Duration::from_secs(5))
            .handle_in_transaction(inbox.clone(), move |delivery, tx| {
                let late = calls.fetch_add(1, Ordering::SeqCst) == 0;
                Box::pin(async move {
                    tx.execute(
                        "INSERT INTO credits (delivery_key) VALUES ($1)",
                        &[&delivery.key.as_str()],
                    )
                    .await?;
                    if late {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                    }
                    Ok(())
                })
            })
    };
    let server = Server::start(endpoint.router("/hook"), "/hook").await;
    let url = server.url.clone();
    let late = tokio::spawn(async move { post_to(&url, signed(COINS_SENT), COINS_SENT).await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    let taker = post_to(&server.url, signed(COINS_SENT), COINS_SENT).await;
    assert_eq!((taker.status, taker.text.as_str()), (200, "applied"));
    let late = late.await.unwrap();
    assert_eq!(late.status, 503, "{}", late.text);
    assert_eq!(late.text, "lease lost to another receiver");
    let rows: i64 = client
        .query_one("SELECT count(*) FROM credits", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1, "the late handler's insert was rolled back");
    assert_eq!(endpoint.stats().lease_lost, 1);
    assert_eq!(
        post_to(&server.url, signed(COINS_SENT), COINS_SENT)
            .await
            .status,
        200
    );
}

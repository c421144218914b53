//! `RemoteControl` over real HTTP on loopback: every method against a real sandbox, checked
//! through the in-process `Control` of the same sandbox; then servers that are not a
//! sandbox (redirects, huge, non-JSON, refusing, misshapen, stalled and garbage answers),
//! each classified as the one `RemoteError` it is, within the timeout, without a panic.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cryptopocket_sandbox::{DeliveryOutcome, RemoteControl, RemoteError, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{http, register, send, token};

/// Serves `app` on a free loopback port.
async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    addr
}

/// A webhook receiver that answers 200 to everything.
async fn receiver() -> String {
    let addr = serve(Router::new().route("/hook", post(|| async { StatusCode::OK }))).await;
    format!("http://{addr}/hook")
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

fn refused(result: Result<impl std::fmt::Debug, RemoteError>, code: &str, status: u16) -> String {
    match result {
        Err(RemoteError::Refused {
            code: got,
            message,
            status: got_status,
        }) if got == code && got_status == status => message,
        other => panic!("expected {code} with HTTP {status}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_does_what_control_sees() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        webhook_backoff: Duration::from_millis(1),
        webhook_attempts: 1,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let control = sandbox.control();
    let remote = RemoteControl::new(sandbox.base_url()).unwrap();
    // The origin works as well as the API base URL.
    let origin = sandbox.base_url().trim_end_matches("/api").to_owned();
    assert_eq!(RemoteControl::new(&origin).unwrap().origin(), origin);
    assert_eq!(remote.origin(), origin);

    // advance: the clock moves, and the answer is the sandbox's new now.
    let before = control.now();
    let now = remote.advance(Duration::from_secs(90)).await.unwrap();
    // The sandbox writes its now to the microsecond, as the API writes timestamps.
    assert_eq!(now.timestamp_micros(), control.now().timestamp_micros());
    assert_eq!(control.now() - before, chrono::TimeDelta::seconds(90));
    // Not whole seconds: refused before sending, the clock unmoved.
    let half = remote.advance(Duration::from_millis(1500)).await;
    match half {
        Err(RemoteError::InvalidInput(message)) => {
            assert!(message.contains("whole seconds, not 1.5s"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(control.now() - before, chrono::TimeDelta::seconds(90));
    // Past the clock's cap: the sandbox's refusal, the clock unmoved.
    let far = remote.advance(Duration::from_secs(u64::MAX / 2)).await;
    refused(far, "invalid_parameter", 422);
    assert_eq!(control.now() - before, chrono::TimeDelta::seconds(90));

    // A customer and two payments, through the API.
    let api = http();
    let token = token(&api, &sandbox).await;
    let user_id = register(&api, &sandbox, &token, "remote@example.com").await;
    control.set_kyc(user_id, "valid").unwrap();
    let create = |payment_type: &str| {
        api.post(format!("{}/createPayment", sandbox.base_url()))
            .header("auth", &token)
            .json(&json!({
                "user_id": user_id, "payment_type": payment_type, "fiat_symbol": "EUR",
                "fiat_amount": 50, "coin_symbol": "USDC", "coin_chain": "polygon",
                "wallet": "0xB51b2ce243bb1F88880bC8D287EBbfd7F695Ac55",
            }))
    };
    let (_, card) = send(create("card")).await;
    let card = card["data"]["payment_id"].as_str().unwrap().to_owned();
    let (_, transfer) = send(create("transfer")).await;
    let transfer = transfer["data"]["payment_id"].as_str().unwrap().to_owned();

    // Deliveries: one subscriber that takes them, one extra URL that refuses the connection.
    let hook = receiver().await;
    let (status, subscribed) = send(
        api.post(format!("{}/subscribeToWebhook", sandbox.base_url()))
            .header("auth", &token)
            .form(&[("type", "COINS_SENT"), ("url", hook.as_str())]),
    )
    .await;
    assert_eq!(status, 200, "{subscribed}");
    let closed = format!("http://127.0.0.1:{}/hook", closed_port().await);
    let settings = remote.add_webhook_url(&closed).await.unwrap();
    assert_eq!(settings.webhook_urls, std::slice::from_ref(&closed));
    assert_eq!(control.webhook_urls(), std::slice::from_ref(&closed));
    assert_eq!(
        remote.webhook_urls().await.unwrap(),
        std::slice::from_ref(&closed)
    );

    // pay: the payment moves on; paying again and an unknown id are the sandbox's refusals.
    remote.pay(&card, "card").await.unwrap();
    let again = refused(remote.pay(&card, "card").await, "sandbox_control", 409);
    assert!(again.contains("already paid"), "{again}");
    // An id with characters a path cannot hold arrives whole: percent-encoded.
    let odd = refused(
        remote.pay("a/b c?d#e%f", "card").await,
        "sandbox_control",
        404,
    );
    assert!(odd.contains("no payment with id a/b c?d#e%f"), "{odd}");
    for id in ["", ".", ".."] {
        let sent = remote.pay(id, "card").await;
        assert!(
            matches!(sent, Err(RemoteError::InvalidInput(_))),
            "{sent:?}"
        );
    }

    // send_transfer: a bank transaction is booked, and its id answered.
    let transactions = control.stats().bank_transactions;
    let tx = remote.send_transfer(&transfer).await.unwrap();
    assert!(!tx.is_empty());
    assert_eq!(control.stats().bank_transactions, transactions + 1);
    let twice = remote.send_transfer(&transfer).await;
    refused(twice, "sandbox_control", 409);

    control.advance(Duration::from_secs(600));
    control.settle().await;
    let deliveries = remote.deliveries().await.unwrap();
    assert_eq!(deliveries, control.deliveries());
    assert!(
        deliveries
            .iter()
            .any(|d| matches!(d.outcome, DeliveryOutcome::Delivered { status: 200 }))
            && deliveries
                .iter()
                .any(|d| matches!(d.outcome, DeliveryOutcome::Failed { .. })),
        "{deliveries:?}"
    );

    // Redelivery by id, the last, all.
    let first = &deliveries[0];
    let again = remote.redeliver(&first.id).await.unwrap();
    assert_eq!(again.duplicate_of.as_deref(), Some(first.id.as_str()));
    assert_eq!(
        (&again.event_type, &again.url),
        (&first.event_type, &first.url)
    );
    control.settle().await;
    let made = control.deliveries();
    assert_eq!(made.last().map(|d| &d.id), Some(&again.id));
    let last = remote.redeliver_last().await.unwrap();
    assert_eq!(last.duplicate_of, Some(again.id.clone()));
    control.settle().await;
    let count = control.deliveries().len();
    let all = remote.redeliver_all().await.unwrap();
    assert_eq!(all.len(), count);
    control.settle().await;
    assert_eq!(control.deliveries().len(), 2 * count);
    refused(remote.redeliver("dlv_4242").await, "sandbox_control", 404);
    for word in ["last", "all"] {
        let sent = remote.redeliver(word).await;
        assert!(
            matches!(sent, Err(RemoteError::InvalidInput(_))),
            "{sent:?}"
        );
    }
    assert_eq!(control.deliveries().len(), 2 * count, "nothing sent");

    // The drills' settings.
    assert!(!remote.deliver_twice().await.unwrap());
    assert!(remote.set_deliver_twice(true).await.unwrap().deliver_twice);
    assert!(control.deliver_twice());
    assert!(remote.drills().await.unwrap().deliver_twice);
    assert!(!remote.set_deliver_twice(false).await.unwrap().deliver_twice);
    assert!(!control.deliver_twice());
    let removed = remote.remove_webhook_url(&closed).await.unwrap();
    assert!(removed.webhook_urls.is_empty());
    assert!(control.webhook_urls().is_empty());
    refused(
        remote.remove_webhook_url(&closed).await,
        "sandbox_control",
        404,
    );
    let ftp = remote.add_webhook_url("ftp://example.com/hook").await;
    refused(ftp, "invalid_parameter", 422);
    assert!(control.webhook_urls().is_empty());

    // fail_next: the next call of the operation fails, once.
    let authenticate = || {
        api.post(format!("{}/authenticate", sandbox.base_url()))
            .json(&json!({"api_key": sandbox.api_key(), "api_secret": sandbox.api_secret()}))
    };
    remote
        .fail_next("authenticate", "unexpected_error")
        .await
        .unwrap();
    assert_eq!(send(authenticate()).await.1["error"], "unexpected_error");
    assert_eq!(send(authenticate()).await.1["status"], "ok");
    refused(
        remote
            .fail_next("noSuchOperation", "unexpected_error")
            .await,
        "invalid_parameter",
        422,
    );

    // ban: the customer's next payment is refused.
    remote.ban(user_id).await.unwrap();
    let (_, banned) = send(create("card")).await;
    assert_eq!(banned["error"], "user_banned", "{banned}");
    let unknown = refused(remote.ban(424_242).await, "sandbox_control", 404);
    assert!(unknown.contains("no customer with id 424242"), "{unknown}");
}

/// A server with one route per misbehaviour, each under its own prefix, so that a
/// `RemoteControl` whose base URL is `http://addr/PREFIX` meets it.
async fn hostile() -> (SocketAddr, Arc<AtomicUsize>) {
    let followed = Arc::new(AtomicUsize::new(0));
    let target = followed.clone();
    let envelope = |status: StatusCode, body: Value| {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    };
    let app = Router::new()
        .route(
            "/redirect/sandbox/deliveries",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "/target/sandbox/deliveries")],
                )
            }),
        )
        .route(
            "/target/sandbox/deliveries",
            get(move || {
                target.fetch_add(1, Ordering::SeqCst);
                async move { envelope(StatusCode::OK, json!({"status": "ok", "data": []})) }
            }),
        )
        .route(
            "/huge/sandbox/deliveries",
            get(|| async {
                // Streamed, with no length announced: the cap is met while reading.
                let chunk = bytes_of(1024 * 1024);
                let chunks = (0..17).map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
                Response::new(Body::from_stream(futures::stream::iter(chunks)))
            }),
        )
        .route(
            "/html/sandbox/deliveries",
            get(|| async { "<html><body>hello</body></html>" }),
        )
        .route(
            "/notfound/sandbox/deliveries",
            get(move || async move {
                envelope(
                    StatusCode::NOT_FOUND,
                    json!({"status": "error", "error": "not_found", "message": "no route"}),
                )
            }),
        )
        .route(
            "/refusing/sandbox/deliveries",
            get(move || async move {
                envelope(
                    StatusCode::CONFLICT,
                    json!({"status": "error", "error": "sandbox_control",
                           "message": "no \u{1b}[31mred\u{1b}[0m here"}),
                )
            }),
        )
        .route(
            "/misshapen/sandbox/advance",
            post(move || async move {
                envelope(StatusCode::OK, json!({"status": "ok", "data": {"now": 5}}))
            }),
        );
    (serve(app).await, followed)
}

fn bytes_of(n: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![b' '; n])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_that_are_not_a_sandbox_are_named_so() {
    let (addr, followed) = hostile().await;
    let at = |prefix: &str| {
        RemoteControl::new(format!("http://{addr}/{prefix}"))
            .unwrap()
            .with_timeout(Duration::from_secs(10))
    };

    // A redirect is an answer, not followed.
    let redirected = at("redirect").deliveries().await;
    assert!(
        matches!(
            redirected,
            Err(RemoteError::NotASandbox { status: 302, .. })
        ),
        "{redirected:?}"
    );
    assert_eq!(
        followed.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
    // (The target itself does answer as a sandbox would.)
    assert_eq!(at("target").deliveries().await.unwrap(), []);
    assert_eq!(followed.load(Ordering::SeqCst), 1);

    let huge = at("huge").deliveries().await;
    assert!(
        matches!(&huge, Err(RemoteError::TooLarge { limit, .. })
            if *limit == RemoteControl::MAX_ANSWER_BYTES),
        "{huge:?}"
    );
    let html = at("html").deliveries().await;
    assert!(
        matches!(html, Err(RemoteError::NotASandbox { status: 200, .. })),
        "{html:?}"
    );
    let missing = at("notfound").deliveries().await;
    assert!(
        matches!(missing, Err(RemoteError::NotASandbox { status: 404, .. })),
        "{missing:?}"
    );
    let message = refused(at("refusing").deliveries().await, "sandbox_control", 409);
    assert!(
        !message.contains('\u{1b}'),
        "control characters escaped: {message:?}"
    );
    assert!(message.contains("red"), "{message}");
    let misshapen = at("misshapen").advance(Duration::from_secs(1)).await;
    assert!(
        matches!(misshapen, Err(RemoteError::UnexpectedAnswer { .. })),
        "{misshapen:?}"
    );

    // Base URLs that are not http(s) URLs: refused before anything is sent.
    for url in [
        "",
        "not a url",
        "ftp://127.0.0.1/api",
        "http://127.0.0.1/api?x=1",
    ] {
        let made = RemoteControl::new(url);
        assert!(
            matches!(made, Err(RemoteError::InvalidInput(_))),
            "{url}: {made:?}"
        );
    }
}

/// A raw TCP server: each connection reads the request, then `answer` decides what happens.
async fn raw_server(answer: &'static [u8], then_stall: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(answer).await;
                if then_stall {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalls_garbage_and_closed_ports_end_within_the_timeout() {
    let timeout = Duration::from_millis(500);
    let remote = |addr: SocketAddr| {
        RemoteControl::new(format!("http://{addr}/api"))
            .unwrap()
            .with_timeout(timeout)
    };
    // No answer at all, and an answer whose body never ends.
    let silent = raw_server(b"", true).await;
    let half = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"sta",
        true,
    )
    .await;
    for addr in [silent, half] {
        let started = Instant::now();
        let stalled = remote(addr).deliveries().await;
        let took = started.elapsed();
        assert!(
            matches!(&stalled, Err(RemoteError::TimedOut { after, .. }) if *after == timeout),
            "{stalled:?}"
        );
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert!(stalled.unwrap_err().to_string().contains("500 ms"));
    }
    // A length announced past the cap: refused at once, not read (nor waited for).
    let announced = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17000000\r\n\r\n{",
        true,
    )
    .await;
    let got = remote(announced).deliveries().await;
    assert!(matches!(got, Err(RemoteError::TooLarge { .. })), "{got:?}");
    // Bytes that are not HTTP, and a closed port: unreachable, no panic.
    let garbage = raw_server(b"\x00\xff\xfe garbage \r\n\r\n\x1b[2J", false).await;
    let got = remote(garbage).deliveries().await;
    assert!(
        matches!(got, Err(RemoteError::Unreachable { .. })),
        "{got:?}"
    );
    let closed: SocketAddr = format!("127.0.0.1:{}", closed_port().await)
        .parse()
        .unwrap();
    let got = remote(closed).advance(Duration::from_secs(1)).await;
    match got {
        Err(error @ RemoteError::Unreachable { .. }) => {
            assert!(
                error
                    .to_string()
                    .starts_with("cannot reach the sandbox at http://127.0.0.1:")
            );
        }
        other => panic!("{other:?}"),
    }
}

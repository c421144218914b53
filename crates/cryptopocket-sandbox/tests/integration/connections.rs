//! Hostile connections over real TCP on loopback: a request head sent a byte at a time, a
//! keep-alive connection left idle, and more silent connections than the cap. Each is cut
//! off after `Limits::header_timeout`, and no more than `Limits::max_connections` are
//! served at once. The tests use a one-second timeout so that they run in seconds.

use std::net::SocketAddr;
use std::time::Duration;

use cryptopocket_sandbox::{Limits, Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::support::{assert_api_error, http, raw, register, request, token};

const TIMEOUT: Duration = Duration::from_secs(1);
/// How late a close may be seen on a loaded machine; far below what an unbounded server
/// would show (it never closes).
const MARGIN: Duration = Duration::from_secs(3);
/// Every wait in these tests ends by then, whatever the server does.
const GIVE_UP: Duration = Duration::from_secs(15);

fn config(max_connections: usize) -> SandboxConfig {
    SandboxConfig {
        limits: Limits {
            max_connections,
            header_timeout: TIMEOUT,
            ..Limits::default()
        },
        ..SandboxConfig::default()
    }
}

/// Waits until the server closes `stream` (end of stream or a reset), writing one more
/// byte of a request head every `trickle` if given. Returns when that happened, counted
/// from `since`, or `None` if it was still open at [`GIVE_UP`]. Panics if the server
/// answers instead.
async fn closed_after(
    mut stream: TcpStream,
    trickle: Option<Duration>,
    since: Instant,
) -> Option<Duration> {
    let deadline = tokio::time::sleep_until(since + GIVE_UP);
    tokio::pin!(deadline);
    let mut ticks = tokio::time::interval(trickle.unwrap_or(GIVE_UP));
    ticks.tick().await;
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return Some(since.elapsed()),
                Ok(n) => panic!(
                    "the server answered a connection that never sent a whole head: {:?}",
                    String::from_utf8_lossy(&buf[..n])
                ),
            },
            _ = ticks.tick(), if trickle.is_some() => {
                if stream.write_all(b"a").await.is_err() {
                    return Some(since.elapsed());
                }
            }
            () = &mut deadline => return None,
        }
    }
}

/// A slow-loris client: the start of a request head, then one byte every half second. The
/// server closes it once the header timeout has passed, however steadily bytes arrive; and
/// a sandbox with such a client connected still shuts down at once.
#[tokio::test]
async fn a_request_head_sent_a_byte_at_a_time_is_cut_off() {
    let sandbox = Sandbox::start_with(config(1024)).await.unwrap();
    let started = Instant::now();
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(b"GET /api/available-assets HTTP/1.1\r\nHost: sandbox.test\r\nX-Slow: ")
        .await
        .unwrap();
    let closed = closed_after(stream, Some(Duration::from_millis(500)), started)
        .await
        .expect("the server closes a slow-loris connection");
    assert!(
        closed >= TIMEOUT.mul_f32(0.8) && closed <= TIMEOUT + MARGIN,
        "closed after {closed:?}, the header timeout is {TIMEOUT:?}"
    );

    // A connection that says nothing at all goes the same way.
    let started = Instant::now();
    let silent = TcpStream::connect(sandbox.addr()).await.unwrap();
    let closed = closed_after(silent, None, started)
        .await
        .expect("the server closes a silent connection");
    assert!(closed <= TIMEOUT + MARGIN, "closed after {closed:?}");

    // The sandbox is unharmed, and stops promptly with a slow client mid-head.
    let http = http();
    let token = token(&http, &sandbox).await;
    register(&http, &sandbox, &token, "after-loris@example.com").await;
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(b"GET /api/quote HTTP/1.1\r\n")
        .await
        .unwrap();
    let stopping = Instant::now();
    sandbox.shutdown().await;
    assert!(stopping.elapsed() <= MARGIN, "{:?}", stopping.elapsed());
}

/// After an answer, a keep-alive connection that sends no next request is closed within
/// the same bound rather than held for ever.
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let sandbox = Sandbox::start_with(config(1024)).await.unwrap();
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(b"GET /api/available-assets HTTP/1.1\r\nHost: sandbox.test\r\n\r\n")
        .await
        .unwrap();
    let answer = read_one_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("connection: close"));
    let idle_since = Instant::now();
    let closed = closed_after(stream, None, idle_since)
        .await
        .expect("the server closes an idle keep-alive connection");
    assert!(
        closed >= TIMEOUT.mul_f32(0.8) && closed <= TIMEOUT + MARGIN,
        "closed after {closed:?} idle"
    );
}

/// Reads one answer with a `Content-Length` from a connection that stays open.
async fn read_one_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(GIVE_UP, async {
        loop {
            let n = stream.read(&mut buf).await.expect("the answer arrives");
            assert!(n > 0, "the server closed before answering");
            answer.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&answer).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .expect("the answer has a Content-Length");
                if answer.len() >= end + 4 + length {
                    return text;
                }
            }
        }
    })
    .await
    .expect("the sandbox answers")
}

/// With a cap of four, eight silent connections are served four at a time: the fifth is
/// accepted only once one of the first four has timed out, so it closes a whole timeout
/// later; and a real request queued behind them is answered once they have all gone,
/// not before. An uncapped server would close all eight together and answer at once.
#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    const CAP: usize = 4;
    const STALLED: usize = 2 * CAP;
    let sandbox = Sandbox::start_with(config(CAP)).await.unwrap();
    let addr = sandbox.addr();
    let started = Instant::now();
    let mut stalled = Vec::new();
    for _ in 0..STALLED {
        let stream = TcpStream::connect(addr).await.unwrap();
        stalled.push(tokio::spawn(closed_after(stream, None, started)));
        // Accepted in the order they connect.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let probe = tokio::spawn(answered_after(addr, started));
    let mut closes = Vec::new();
    for task in stalled {
        closes.push(
            task.await
                .unwrap()
                .expect("every stalled connection is closed in the end"),
        );
    }
    closes.sort();
    // Each silent connection lives one timeout from its acceptance, and the k-th can only
    // be accepted once the (k - CAP)-th has closed: never more than CAP at once.
    for k in CAP..STALLED {
        let gap = closes[k] - closes[k - CAP];
        assert!(
            gap >= TIMEOUT.mul_f32(0.8),
            "connection {k} closed {gap:?} after connection {}, so they were served at \
             once: {closes:?}",
            k - CAP
        );
    }
    let answered = probe.await.unwrap();
    // The probe is accepted when the first of the second four closes; the two are seen by
    // different tasks here, hence the slack.
    assert!(
        answered + Duration::from_millis(200) >= closes[CAP]
            && answered <= closes[STALLED - 1] + MARGIN,
        "the queued request was answered after {answered:?}; the stalled connections \
         closed after {closes:?}"
    );
    // Once the stalled ones are gone, the sandbox serves as usual.
    let http = http();
    let token = token(&http, &sandbox).await;
    register(&http, &sandbox, &token, "after-the-queue@example.com").await;
}

/// Sends a whole request on a new connection and returns when its answer arrived.
async fn answered_after(addr: SocketAddr, since: Instant) -> Duration {
    let answer = raw(addr, request("GET", b"/api/available-assets", &[], b"")).await;
    let at = since.elapsed();
    assert_api_error(
        answer.status,
        &answer.json(),
        200,
        "authorization_incorrect",
    );
    at
}

/// A client that sends its head promptly and then its body a byte at a time is answered 408
/// once `Limits::request_timeout` has passed, and disconnected: the header timeout bounds
/// the head, this bounds the rest.
#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_is_answered_408_and_cut_off() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        limits: Limits {
            header_timeout: TIMEOUT,
            request_timeout: TIMEOUT,
            ..Limits::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let started = Instant::now();
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(
            b"POST /api/authenticate HTTP/1.1\r\nHost: sandbox.test\r\n\
              Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        )
        .await
        .unwrap();
    let give_up = tokio::time::sleep_until(started + GIVE_UP);
    tokio::pin!(give_up);
    let mut ticks = tokio::time::interval(Duration::from_millis(200));
    let (mut answer, mut buf, mut writing) = (Vec::new(), [0u8; 1024], true);
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            },
            _ = ticks.tick(), if writing => {
                writing = stream.write_all(b" ").await.is_ok();
            }
            () = &mut give_up => panic!("the trickling request was still open at {GIVE_UP:?}"),
        }
    }
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert!(
        elapsed >= TIMEOUT && elapsed < TIMEOUT + MARGIN,
        "answered after {elapsed:?}"
    );
}

//! `watch`: following a payment or an off-ramp until its status is final, over loopback HTTP
//! (a mock server answering each poll with the next status of a script) and, for exact
//! timing, on tokio's paused clock with a poll of the test's own.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use cryptopocket::{
    Error,
    model::{KycStatus, OffRampId, OffRampStatus, PaymentStatus},
    watch::{Outcome, Watch, Watchable},
};
use futures::{StreamExt as _, TryStreamExt as _};
use serde_json::json;
use tokio::time::Instant;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::support::{
    GET_PAYMENT,
    mock::{self, serving},
    ok_body, payment_data, payment_id,
    sandbox::Harness,
};

/// Answers each poll with the next status of `statuses` (then the last again), as Retrieve
/// payment's documented answer with a `txid` once the coins are sent; from poll `stall_from`
/// on (counted from 0), only after two minutes.
struct Script {
    statuses: &'static [&'static str],
    stall_from: usize,
    polls: AtomicUsize,
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let poll = self.polls.fetch_add(1, Ordering::SeqCst);
        let status = self.statuses[poll.min(self.statuses.len() - 1)];
        let mut data = payment_data();
        data["status"] = json!(status);
        if status == "coins_sent" {
            data["txid"] = json!("0xabc");
        }
        let answer = mock::json(200, ok_body(data));
        if poll >= self.stall_from {
            answer.set_delay(Duration::from_secs(120))
        } else {
            answer
        }
    }
}

/// A server whose payment goes through `statuses`, one per poll, and a watch of it polling
/// every 10 ms for at most `max_wait`.
async fn watching(
    statuses: &'static [&'static str],
    max_wait: Duration,
) -> (MockServer, Watch<cryptopocket::onramp::Payment>) {
    stalling(statuses, usize::MAX, max_wait).await
}

/// [`watching`], the server stalling from poll `stall_from` on.
async fn stalling(
    statuses: &'static [&'static str],
    stall_from: usize,
    max_wait: Duration,
) -> (MockServer, Watch<cryptopocket::onramp::Payment>) {
    let script = Script {
        statuses,
        stall_from,
        polls: AtomicUsize::new(0),
    };
    let (server, client) = mock::authenticated().await;
    mock::on(&server, "GET", GET_PAYMENT, script).await;
    let watch = client
        .onramp()
        .watch(&payment_id())
        .interval(Duration::from_millis(10))
        .max_wait(max_wait);
    (server, watch)
}

async fn polls(server: &MockServer) -> usize {
    mock::count(server, GET_PAYMENT).await
}

#[tokio::test]
async fn coins_sent_ends_the_watch_with_the_final_payment() {
    let (server, watch) = watching(
        &["started", "payment_received", "coins_sent"],
        Duration::from_secs(30),
    )
    .await;
    let outcome = watch.until_final().await.unwrap();
    let Outcome::Succeeded(payment) = outcome else {
        panic!("expected success, got {outcome:?}");
    };
    assert_eq!(payment.status, PaymentStatus::CoinsSent);
    assert_eq!(payment.txid.as_deref(), Some("0xabc"));
    assert_eq!(polls(&server).await, 3, "no poll after the final status");
}

#[tokio::test]
async fn a_failure_status_is_failed_not_success_and_ends_at_once() {
    let (server, watch) = watching(&["started", "payment_rejected"], Duration::from_secs(30)).await;
    let outcome = watch.until_final().await.unwrap();
    let Outcome::Failed(payment) = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert_eq!(payment.status, PaymentStatus::PaymentRejected);
    assert_eq!(polls(&server).await, 2);
}

#[tokio::test]
async fn an_unknown_status_is_never_final_the_watch_gives_up_naming_it() {
    let max_wait = Duration::from_millis(300);
    let (server, watch) = watching(&["started", "refunded_perhaps"], max_wait).await;
    let started = Instant::now();
    let outcome = watch.until_final().await.unwrap();
    let Outcome::GaveUp { last: Some(last) } = outcome else {
        panic!("expected to give up with a status, got {outcome:?}");
    };
    assert_eq!(last.status, PaymentStatus::from("refunded_perhaps"));
    assert!(started.elapsed() >= max_wait, "{:?}", started.elapsed());
    // Polled on after seeing it, until the wait was up.
    assert!(polls(&server).await >= 4, "{}", polls(&server).await);
}

#[tokio::test]
async fn a_stalling_server_is_bounded_by_max_wait() {
    // The client's own deadline is 10 s (`client_builder`): the wait, not it, ends these.
    let max_wait = Duration::from_millis(300);
    let (_server, watch) = stalling(&["started"], 0, max_wait).await;
    let started = Instant::now();
    let outcome = watch.until_final().await.unwrap();
    assert_eq!(outcome, Outcome::GaveUp { last: None });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Stalling after a first answer: the status seen is kept.
    let (_server, watch) = stalling(&["pending_bank"], 1, max_wait).await;
    let started = Instant::now();
    let outcome = watch.until_final().await.unwrap();
    let Outcome::GaveUp { last: Some(last) } = outcome else {
        panic!("expected to give up with a status, got {outcome:?}");
    };
    assert_eq!(last.status, PaymentStatus::PendingBank);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn each_status_is_yielded_once() {
    let (server, watch) = watching(
        &[
            "started",
            "started",
            "started",
            "payment_received",
            "payment_received",
            "coins_sent",
        ],
        Duration::from_secs(30),
    )
    .await;
    let statuses: Vec<PaymentStatus> = watch
        .stream()
        .map_ok(|payment| payment.status)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        statuses,
        [
            PaymentStatus::Started,
            PaymentStatus::PaymentReceived,
            PaymentStatus::CoinsSent
        ]
    );
    assert_eq!(polls(&server).await, 6);
}

#[tokio::test]
async fn dropping_the_stream_stops_the_polling() {
    let (server, watch) = watching(&["started"], Duration::from_secs(30)).await;
    let mut stream = watch.stream();
    let first = stream.try_next().await.unwrap().unwrap();
    assert_eq!(first.status, PaymentStatus::Started);
    // The same status again and again: nothing more comes, but the polls go on.
    let more = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
    assert!(more.is_err(), "{more:?}");
    assert!(polls(&server).await >= 3, "{}", polls(&server).await);
    drop(stream);
    // A request already on its way when the stream was dropped may still arrive.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after_drop = polls(&server).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(polls(&server).await, after_drop);
}

#[tokio::test]
async fn an_error_ends_the_watch_with_it() {
    let (server, client) = serving(vec![(
        "GET",
        GET_PAYMENT,
        mock::api_error("payment_not_found"),
    )])
    .await;
    let watch = client
        .onramp()
        .watch(&payment_id())
        .interval(Duration::from_millis(10))
        .max_wait(Duration::from_secs(5));
    let error = watch.until_final().await.unwrap_err();
    assert_error!(error, Error::Api(_), "getPayment");
    assert!(error.to_string().contains("payment_not_found"), "{error}");
    assert_eq!(polls(&server).await, 1);
}

#[tokio::test]
async fn an_off_ramp_is_watched_the_same_way() {
    let (server, client) = serving(vec![(
        "GET",
        "/api/getRampoff",
        mock::fixture("getRampoff.response.json"),
    )])
    .await;
    let id = OffRampId::new("S35AJ0gSzf6P30XJRc2yMsIOK").unwrap();
    let outcome = client.offramp().watch(&id).until_final().await.unwrap();
    let Outcome::Succeeded(operation) = outcome else {
        panic!("expected success, got {outcome:?}");
    };
    assert_eq!(operation.status, OffRampStatus::Finished);
    assert_eq!(mock::count(&server, "/api/getRampoff").await, 1);
}

#[tokio::test]
async fn a_kyc_check_is_watched_on_the_sandbox_until_valid() {
    let h = Harness::start().await;
    let user = h.register("watched@example.com").await;
    let watch = h.client.kyc().watch(&user);
    let mut checks = watch.interval(Duration::from_millis(5)).stream();
    let mut seen = vec![checks.try_next().await.unwrap().unwrap().status];
    for step in [5, 25] {
        h.control.advance(Duration::from_secs(step));
        seen.push(checks.try_next().await.unwrap().unwrap().status);
    }
    assert_eq!(
        seen,
        [KycStatus::Unused, KycStatus::Processing, KycStatus::Valid]
    );
    assert!(checks.try_next().await.unwrap().is_none(), "valid is final");

    let valid = h.client.kyc().get(&user).await.unwrap();
    assert_eq!(
        Outcome::from_last(Some(valid.clone())),
        Outcome::Succeeded(valid)
    );
}

/// A job of the test's own: `done` is final, `failed` a failure.
#[derive(Debug, Clone, PartialEq)]
struct Job(String);

impl Watchable for Job {
    type Status = String;

    fn status(&self) -> &String {
        &self.0
    }

    fn is_final(&self) -> bool {
        self.0 == "done" || self.0 == "failed"
    }

    fn is_failure(&self) -> bool {
        self.0 == "failed"
    }
}

/// A watch of a job always `running`, counting its polls.
fn running(polls: &Arc<AtomicUsize>) -> Watch<Job> {
    let polls = Arc::clone(polls);
    Watch::new(move || {
        polls.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Error>(Job("running".into())) }
    })
}

#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_the_defaults_poll_every_5_s_for_10_minutes() {
    let polls = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let outcome = running(&polls).until_final().await.unwrap();
    assert_eq!(
        outcome,
        Outcome::GaveUp {
            last: Some(Job("running".into()))
        }
    );
    assert_eq!(started.elapsed(), Duration::from_secs(600));
    // At 0, 5, …, 595 s; at 600 s the wait is up.
    assert_eq!(polls.load(Ordering::SeqCst), 120);

    // The end of the wait comes before a poll that would be after it.
    let polls = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let watch = running(&polls).max_wait(Duration::from_secs(12));
    assert!(matches!(
        watch.until_final().await,
        Ok(Outcome::GaveUp { .. })
    ));
    assert_eq!(started.elapsed(), Duration::from_secs(12));
    assert_eq!(polls.load(Ordering::SeqCst), 3);

    // The wait starts at the first poll, not when the watch is built.
    let polls = Arc::new(AtomicUsize::new(0));
    let mut stream = running(&polls)
        .interval(Duration::from_secs(1))
        .max_wait(Duration::from_secs(10))
        .stream();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        polls.load(Ordering::SeqCst),
        0,
        "nothing polled before the stream is"
    );
    let started = Instant::now();
    assert_eq!(
        stream.try_next().await.unwrap(),
        Some(Job("running".into()))
    );
    assert_eq!(stream.try_next().await.unwrap(), None);
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    assert_eq!(polls.load(Ordering::SeqCst), 10);
}

#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_a_poll_that_never_answers_ends_at_max_wait() {
    let started = Instant::now();
    let watch =
        Watch::new(std::future::pending::<Result<Job, Error>>).max_wait(Duration::from_secs(3600));
    assert_eq!(
        watch.until_final().await.unwrap(),
        Outcome::GaveUp { last: None }
    );
    assert_eq!(started.elapsed(), Duration::from_secs(3600));
}

#[tokio::test(start_paused = true)]
async fn a_job_of_ones_own_fails_or_succeeds_by_its_status() {
    for (script, expected) in [
        (["queued", "failed"], Outcome::Failed(Job("failed".into()))),
        (["queued", "done"], Outcome::Succeeded(Job("done".into()))),
    ] {
        let polls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&polls);
        let watch = Watch::new(move || {
            let poll = counter.fetch_add(1, Ordering::SeqCst);
            let status = script[poll.min(1)];
            async move { Ok::<_, Error>(Job(status.into())) }
        });
        assert_eq!(watch.until_final().await.unwrap(), expected);
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }
}

#[test]
fn an_ended_stream_tells_its_outcome_from_its_last_item() {
    let job = |s: &str| Some(Job(s.into()));
    assert_eq!(
        Outcome::from_last(None::<Job>),
        Outcome::GaveUp { last: None }
    );
    assert_eq!(
        Outcome::from_last(job("running")),
        Outcome::GaveUp {
            last: job("running")
        }
    );
    assert_eq!(
        Outcome::from_last(job("done")),
        Outcome::Succeeded(Job("done".into()))
    );
    assert_eq!(
        Outcome::from_last(job("failed")),
        Outcome::Failed(Job("failed".into()))
    );
}

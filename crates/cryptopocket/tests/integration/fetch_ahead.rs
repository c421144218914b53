//! Fetching pages ahead over real HTTP on loopback: a list's stream requests page p + 1
//! while the consumer works on page p, keeps the items in order and an error at its place,
//! never asks past the last page, and closes the request in flight when it is dropped.
//!
//! The server here is a small axum app of this file's own. It reports what it sees as
//! [`Event`]s on the same channel the consumer reports its items to, so the tests assert
//! the order things happened in, never how long they took (timeouts only bound a hang).

use std::{collections::HashMap, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::StatusCode,
    routing::{get, post},
};
use cryptopocket::{Client, Environment, Error, onramp::Payment};
use futures::{Stream, StreamExt as _, TryStreamExt as _};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

use crate::support::payment_data;

/// What happened, in the order it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// The server received the request for this page.
    Requested(u64),
    /// The server answered this page.
    Answered(u64),
    /// The server dropped its handler for this page before answering: the connection went
    /// away.
    Abandoned(u64),
    /// The consumer received the payment with this number.
    Pulled(u64),
}

/// What the server serves: pages of payments numbered 1, 2, … across pages.
#[derive(Default)]
struct Script {
    /// How many payments each page holds; the number of pages is the last page.
    sizes: Vec<u64>,
    /// The page answered with an API error.
    failing: Option<u64>,
    /// Whether page 1 comes back whatever page is asked for.
    repeat_first: bool,
    /// Pages held until their `Notify` is notified (forever when nobody does).
    held: HashMap<u64, Arc<Notify>>,
    /// When the page of the key has been answered, the page of the value is let go.
    releases: HashMap<u64, u64>,
}

impl Script {
    fn pages(sizes: &[u64]) -> Self {
        Self {
            sizes: sizes.to_vec(),
            ..Self::default()
        }
    }

    fn hold(mut self, page: u64) -> (Self, Arc<Notify>) {
        let gate = Arc::new(Notify::new());
        self.held.insert(page, Arc::clone(&gate));
        (self, gate)
    }
}

struct Shared {
    script: Script,
    events: mpsc::UnboundedSender<Event>,
}

/// Sends `Abandoned` when its handler is dropped before it answered.
struct Guard {
    page: u64,
    answered: bool,
    events: mpsc::UnboundedSender<Event>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.answered {
            let _ = self.events.send(Event::Abandoned(self.page));
        }
    }
}

/// A running server: its address, a client for it and the events.
struct Server {
    addr: SocketAddr,
    client: Client,
    events: mpsc::UnboundedSender<Event>,
    received: mpsc::UnboundedReceiver<Event>,
}

impl Server {
    async fn start(script: Script) -> Self {
        let (events, received) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            script,
            events: events.clone(),
        });
        let app = Router::new()
            .route("/api/authenticate", post(authenticate))
            .route("/api/payments/list", get(list))
            .route("/ping", get(|| async { "pong" }))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = Client::builder()
            .environment(Environment::Custom(format!("http://{addr}/api")))
            .credentials("key-test", "secret-test")
            .attempt_timeout(Duration::from_secs(20))
            .deadline(Duration::from_secs(30))
            .build()
            .expect("a client for the loopback server");
        Self {
            addr,
            client,
            events,
            received,
        }
    }

    /// Receives events until `wanted`; fails after a generous time (a bound on a hang, not
    /// a measure). Returns those received, `wanted` last.
    async fn wait_for(&mut self, wanted: Event) -> Vec<Event> {
        let mut seen = vec![];
        let wait = async {
            while let Some(event) = self.received.recv().await {
                seen.push(event);
                if event == wanted {
                    return;
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .is_err()
        {
            panic!("no {wanted:?}, only {seen:?}");
        }
        seen
    }

    /// The events received so far.
    fn so_far(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.received.try_recv().ok()).collect()
    }

    /// The consumer's own async work between two items: a round trip to the same server,
    /// during which anything the stream had started (but it must not have) reaches it.
    async fn busy(&self) {
        for _ in 0..2 {
            let pong = reqwest::get(format!("http://{}/ping", self.addr))
                .await
                .expect("the ping is answered");
            assert!(pong.status().is_success());
        }
    }

    /// Pulls every item of `stream`, busy before each, reporting each as `Pulled`.
    async fn pull_all(
        &self,
        mut stream: impl Stream<Item = Result<Payment, Error>> + Unpin,
    ) -> Vec<Result<u64, Error>> {
        let mut results = vec![];
        loop {
            self.busy().await;
            match stream.next().await {
                Some(Ok(payment)) => {
                    let n = number_of(&payment);
                    self.events.send(Event::Pulled(n)).unwrap();
                    results.push(Ok(n));
                }
                Some(Err(error)) => results.push(Err(error)),
                None => return results,
            }
        }
    }
}

async fn authenticate() -> Json<Value> {
    Json(json!({"status": "ok", "data": {"token": "T1", "expires_in": 3600}}))
}

async fn list(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let script = &shared.script;
    let Some(page) = query.get("page").and_then(|p| p.parse::<u64>().ok()) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"message": "no page"})));
    };
    let _ = shared.events.send(Event::Requested(page));
    let mut guard = Guard {
        page,
        answered: false,
        events: shared.events.clone(),
    };
    if let Some(gate) = script.held.get(&page) {
        gate.notified().await;
    }
    guard.answered = true;
    let _ = shared.events.send(Event::Answered(page));
    if let Some(release) = script.releases.get(&page) {
        script.held[release].notify_one();
    }
    if script.failing == Some(page) {
        return (
            StatusCode::OK,
            Json(json!({"status": "error", "error": "page_unavailable"})),
        );
    }
    let served = if script.repeat_first { 1 } else { page };
    let Some(size) = usize::try_from(served - 1)
        .ok()
        .and_then(|index| script.sizes.get(index))
    else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "no such page"})),
        );
    };
    let first: u64 = script.sizes[..usize::try_from(served - 1).unwrap()]
        .iter()
        .sum::<u64>()
        + 1;
    let data: Vec<Value> = (first..first + size).map(payment).collect();
    let body = json!({
        "status": "ok",
        "data": data,
        "pagination": {
            "current_page": served,
            "per_page": 2,
            "total": script.sizes.iter().sum::<u64>(),
            "last_page": script.sizes.len(),
        },
    });
    (StatusCode::OK, Json(body))
}

/// Payment number `n` in the shape of Retrieve payment's documented example.
fn payment(n: u64) -> Value {
    let mut payment = payment_data();
    payment["id"] = json!(format!("Pay{n:022}"));
    payment["external_id"] = json!(format!("order-{n}"));
    payment
}

fn number_of(payment: &Payment) -> u64 {
    payment.id.as_str()[3..]
        .parse()
        .expect("a numbered payment")
}

fn position(events: &[Event], event: Event) -> usize {
    events
        .iter()
        .position(|e| *e == event)
        .unwrap_or_else(|| panic!("no {event:?} in {events:?}"))
}

fn requested(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Requested(page) => Some(*page),
            _ => None,
        })
        .collect()
}

/// Walks five payments on pages of 2, 2 and 1, fetching `ahead` pages ahead, and checks that
/// every one arrived in order; the server, for its events.
async fn walk_five(ahead: usize) -> Server {
    let server = Server::start(Script::pages(&[2, 2, 1])).await;
    let payments = server.client.onramp().list().fetch_ahead(ahead).stream();
    let results = numbers(server.pull_all(payments).await);
    assert_eq!(results, [1, 2, 3, 4, 5], "fetching {ahead} ahead");
    server
}

fn numbers(results: Vec<Result<u64, Error>>) -> Vec<u64> {
    results
        .into_iter()
        .map(|r| r.expect("every item"))
        .collect()
}

#[tokio::test]
async fn the_next_page_is_requested_while_the_consumer_works_on_the_current_one() {
    let (script, page_2) = Script::pages(&[2, 2, 1]).hold(2);
    let mut server = Server::start(script).await;
    let mut payments = server.client.onramp().list().stream();

    let first = payments.try_next().await.unwrap().expect("payment 1");
    assert_eq!(number_of(&first), 1);
    server.events.send(Event::Pulled(1)).unwrap();
    // The consumer does not poll the stream here, yet page 2 reaches the server.
    let mut events = server.wait_for(Event::Requested(2)).await;
    // Page 1's last item while page 2 is held by the server: it is in flight meanwhile.
    let second = payments.try_next().await.unwrap().expect("payment 2");
    assert_eq!(number_of(&second), 2);
    server.events.send(Event::Pulled(2)).unwrap();
    page_2.notify_one();

    let rest = numbers(server.pull_all(payments).await);
    assert_eq!(rest, [3, 4, 5]);
    events.extend(server.so_far());
    assert_eq!(requested(&events), [1, 2, 3], "{events:?}");
    assert!(
        position(&events, Event::Requested(2)) < position(&events, Event::Pulled(2))
            && position(&events, Event::Pulled(2)) < position(&events, Event::Answered(2)),
        "{events:?}"
    );
    // One page ahead by default: page 3 only once the consumer has reached page 2.
    assert!(
        position(&events, Event::Pulled(2)) < position(&events, Event::Requested(3)),
        "{events:?}"
    );
}

#[tokio::test]
async fn fetching_zero_ahead_requests_a_page_only_when_the_consumer_needs_it() {
    let mut server = walk_five(0).await;
    use Event::{Answered as A, Pulled as P, Requested as R};
    assert_eq!(
        server.so_far(),
        [
            R(1),
            A(1),
            P(1),
            P(2),
            R(2),
            A(2),
            P(3),
            P(4),
            R(3),
            A(3),
            P(5)
        ]
    );
}

#[tokio::test]
async fn try_collect_fetches_ahead_and_keeps_the_order_when_a_later_page_answers_first() {
    // Page 2 is held until page 3 has been answered: only a list that asks for page 3
    // while page 2 is in flight ever ends, and its items must still come in order.
    let (mut script, _page_2) = Script::pages(&[2, 2, 2, 1]).hold(2);
    script.releases.insert(3, 2);
    let mut server = Server::start(script).await;

    let all = server
        .client
        .onramp()
        .list()
        .fetch_ahead(2)
        .try_collect()
        .await
        .unwrap();
    let all: Vec<u64> = all.iter().map(number_of).collect();
    assert_eq!(all, [1, 2, 3, 4, 5, 6, 7]);
    let events = server.so_far();
    assert!(
        position(&events, Event::Answered(3)) < position(&events, Event::Answered(2)),
        "{events:?}"
    );
}

#[tokio::test]
async fn an_error_on_page_three_arrives_after_every_item_of_pages_one_and_two() {
    for ahead in [0, 1, 2, 5] {
        let mut script = Script::pages(&[2, 2, 2, 1]);
        script.failing = Some(3);
        let server = Server::start(script).await;
        let payments = server.client.onramp().list().fetch_ahead(ahead).stream();

        let results = server.pull_all(payments).await;
        assert_eq!(results.len(), 5, "fetching {ahead} ahead: {results:#?}");
        let before: Vec<u64> = results[..4].iter().map(|r| *r.as_ref().unwrap()).collect();
        assert_eq!(before, [1, 2, 3, 4], "fetching {ahead} ahead");
        assert!(
            matches!(&results[4], Err(Error::Api(_))),
            "fetching {ahead} ahead: {results:#?}"
        );
    }
}

#[tokio::test]
async fn dropping_the_stream_closes_the_request_in_flight() {
    // Page 2 is held forever: only a closed connection ends its handler.
    let (script, _never) = Script::pages(&[2, 2, 1]).hold(2);
    let mut server = Server::start(script).await;
    let mut payments = server.client.onramp().list().stream();

    payments.try_next().await.unwrap().expect("payment 1");
    server.wait_for(Event::Requested(2)).await;
    drop(payments);
    server.wait_for(Event::Abandoned(2)).await;
}

#[tokio::test]
async fn a_known_last_page_bounds_how_far_ahead_pages_are_requested() {
    let mut server = walk_five(5).await;
    server.busy().await;
    let events = server.so_far();
    assert_eq!(requested(&events), [1, 2, 3], "{events:?}");
}

#[tokio::test]
async fn a_server_that_repeats_page_one_still_ends_the_stream_with_repeated_page() {
    for ahead in [1, 3] {
        let mut script = Script::pages(&[2, 2, 1]);
        script.repeat_first = true;
        let server = Server::start(script).await;
        let payments = server.client.onramp().list().fetch_ahead(ahead).stream();

        // Bounded, so a stream that loops forever fails the test instead of hanging it.
        let results = server.pull_all(payments.take(50)).await;
        assert_eq!(results.len(), 3, "fetching {ahead} ahead: {results:#?}");
        assert_eq!(results[0].as_ref().unwrap(), &1);
        assert_eq!(results[1].as_ref().unwrap(), &2);
        let case = format!("fetching {ahead} ahead: {results:#?}");
        let error = results[2].as_ref().expect_err(&case);
        assert_error!(
            error,
            Error::RepeatedPage { page: 1, .. },
            "listPayments",
            "{case}"
        );
    }
}

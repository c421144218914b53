//! Starting and stopping a sandbox, the shared state behind every request, and the layer
//! that authenticates, injects failures and records each exchange.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::body::{Bytes, HttpBody};
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderName, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::FutureExt as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api;
use crate::clock::Clock;
use crate::config::{ClockMode, SandboxConfig};
use crate::connections::{self, Bounds};
use crate::control::{Control, Exchange};

/// The header that carries the token; parsed once, not on every request.
const AUTH: HeaderName = HeaderName::from_static(cryptopocket_api::AUTH_HEADER);
use crate::reply::Fail;
use crate::webhooks::Outbox;
use crate::world::World;

/// Locks a mutex, carrying on after a panic elsewhere: the sandbox's state is always left
/// consistent between statements, and a test server that stops answering helps nobody.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What every request and the control handle share.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) clock: Clock,
    pub(crate) origin: String,
    guarded: Mutex<Guarded>,
    pub(crate) outbox: Outbox,
    /// The answered exchanges, at most `Limits::max_exchanges`.
    pub(crate) exchanges: Mutex<Exchanges>,
}

/// The state, and the one answer kept written from it, behind one lock.
struct Guarded {
    world: World,
    /// Counts the changes the state may have had: every [`Shared::world`] (whose closure
    /// may change anything) and every [`World::tick`] that moved a status. An answer
    /// written at one count is the answer at that count, so a kept one is good as long
    /// as the count has not moved.
    generation: u64,
    /// The last answer [`Shared::answer`] wrote.
    kept: Option<Kept>,
}

/// An answer written from the state, and what it answered.
struct Kept {
    generation: u64,
    operation_id: &'static str,
    key: String,
    body: Bytes,
}

impl Shared {
    /// Runs `f` on the state brought up to the virtual now, then queues the webhook
    /// deliveries of every status change that happened meanwhile.
    pub(crate) fn world<R>(&self, f: impl FnOnce(&mut World, DateTime<Utc>) -> R) -> R {
        let now = self.clock.now();
        let schedule = &self.config.schedule;
        let (result, jobs) = {
            let mut guarded = lock(&self.guarded);
            let world = &mut guarded.world;
            world.tick(now, schedule);
            let result = f(world, now);
            world.tick(now, schedule);
            let jobs = self.deliveries(world);
            // `f` had the state to change as it liked: no answer written before holds.
            guarded.generation += 1;
            (result, jobs)
        };
        if !jobs.is_empty() {
            self.outbox.send_all(jobs);
        }
        result
    }

    /// The webhook deliveries of the status changes raised since the last call.
    fn deliveries(&self, world: &mut World) -> Vec<crate::webhooks::Routed> {
        let events = std::mem::take(&mut world.events);
        // Subscriptions, extra subscriber URLs and the legacy name: see `Outbox::route`.
        if events.is_empty() {
            Vec::new()
        } else {
            self.outbox.route(events, &world.subscriptions)
        }
    }

    /// The body of `operation_id`'s answer for `key`, written by `write` from the state
    /// brought up to the virtual now, or the one written before if the state has not
    /// changed since (the last answer is kept).
    ///
    /// `write` gets the state read-only and no clock: what it writes must follow from
    /// the state alone, so that the same state gives the same bytes. An answer that
    /// shows the time (a token's `expires_in`, a KYC status) is no answer for this.
    pub(crate) fn answer<E>(
        &self,
        operation_id: &'static str,
        key: &str,
        write: impl FnOnce(&World) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        let now = self.clock.now();
        let (result, jobs) = {
            let mut guarded = lock(&self.guarded);
            let Guarded {
                world,
                generation,
                kept,
            } = &mut *guarded;
            if world.tick(now, &self.config.schedule) {
                *generation += 1;
            }
            let result = match kept {
                Some(k)
                    if k.generation == *generation
                        && k.operation_id == operation_id
                        && k.key == key =>
                {
                    Ok(k.body.clone())
                }
                _ => write(world).inspect(|body| {
                    let k = kept.get_or_insert_with(|| Kept {
                        generation: 0,
                        operation_id,
                        key: String::new(),
                        body: Bytes::new(),
                    });
                    k.generation = *generation;
                    k.operation_id = operation_id;
                    overwrite(&mut k.key, key);
                    k.body = body.clone();
                }),
            };
            (result, self.deliveries(world))
        };
        if !jobs.is_empty() {
            self.outbox.send_all(jobs);
        }
        result
    }

    /// Runs `f` on the state as it stands, without bringing it up to the virtual now:
    /// for a look that changes no status (the token check), cheaper than [`Shared::world`].
    /// Nothing an answer shows may change here: kept answers are not let go.
    fn peek<R>(&self, f: impl FnOnce(&mut World, DateTime<Utc>) -> R) -> R {
        let now = self.clock.now();
        f(&mut lock(&self.guarded).world, now)
    }

    /// The recorded exchanges, oldest first.
    pub(crate) fn exchanges(&self) -> Vec<Exchange> {
        let exchanges = lock(&self.exchanges);
        let (newer, older) = exchanges.ring.split_at(exchanges.oldest);
        older.iter().chain(newer).map(Recorded::exchange).collect()
    }
}

/// The axum state: the shared part.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) shared: Arc<Shared>,
}

/// A running CryptoPocket sandbox.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use cryptopocket_sandbox::Sandbox;
///
/// let sandbox = Sandbox::start().await?;
/// println!("{} accepts {}", sandbox.base_url(), sandbox.api_key());
/// sandbox.control().advance(std::time::Duration::from_secs(60));
/// sandbox.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    ticker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts a sandbox for a test: loopback, a free port, random credentials, a manual
    /// clock. Needs a Tokio runtime.
    pub async fn start() -> std::io::Result<Sandbox> {
        Sandbox::start_with(SandboxConfig::default()).await
    }

    /// Starts a sandbox as configured.
    pub async fn start_with(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        let origin = format!("http://{host}");
        let clock = Clock::new(config.clock);
        let world = World::new(clock.now());
        let shared = Arc::new(Shared {
            outbox: Outbox::start(&config),
            exchanges: Mutex::new(Exchanges::default()),
            guarded: Mutex::new(Guarded {
                world,
                generation: 0,
                kept: None,
            }),
            origin: origin.clone(),
            clock,
            config,
        });
        let state = AppState {
            shared: shared.clone(),
        };
        let app = router(state);
        let bounds = Bounds::of(&shared.config.limits);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(connections::serve(listener, app, bounds, async {
            stopped.await.ok();
        }));
        let ticker = (shared.config.clock == ClockMode::Realtime).then(|| {
            // Statuses change by themselves in real time, so somebody must look at the
            // clock even when no request arrives; a weak handle lets the sandbox go.
            let weak = Arc::downgrade(&shared);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(200));
                loop {
                    every.tick().await;
                    match weak.upgrade() {
                        Some(shared) => shared.world(|_, _| ()),
                        None => break,
                    }
                }
            })
        });
        Ok(Sandbox {
            addr,
            base_url: format!("{origin}/api"),
            shared,
            stop: Some(stop),
            server: Some(server),
            ticker,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client: `http://127.0.0.1:PORT/api`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key `/authenticate` accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// The API secret `/authenticate` accepts and webhooks are signed with.
    pub fn api_secret(&self) -> &str {
        &self.shared.config.api_secret
    }

    /// The handle that moves time, plays the end user and inspects what happened.
    pub fn control(&self) -> Control {
        Control::new(self.shared.clone())
    }

    /// What a standalone server prints on start: where it listens and the environment a
    /// client needs.
    pub fn banner(&self) -> String {
        let clock = match self.shared.config.clock {
            ClockMode::Realtime => "time runs by itself",
            ClockMode::Manual => "time moves only when told to",
        };
        format!(
            "CryptoPocket sandbox listening on {url} ({clock})\n\
             \n\
             \x20 export CRYPTOPOCKET_BASE_URL={url}\n\
             \x20 export CRYPTOPOCKET_API_KEY={key}\n\
             \x20 export CRYPTOPOCKET_API_SECRET={secret}\n\
             \n\
             End-user pages: {origin}/gateway/…; jump ahead: POST {origin}/sandbox/advance?seconds=N\n",
            url = self.base_url,
            key = self.shared.config.api_key,
            secret = self.shared.config.api_secret,
            origin = self.shared.origin,
        )
    }

    /// Stops accepting requests and waits (briefly) for the open ones to finish; after two
    /// seconds every connection still open is dropped.
    pub async fn shutdown(mut self) {
        self.stop_now();
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn router(state: AppState) -> Router {
    let mut api = Router::new();
    for op in api::OPERATIONS {
        api = api.route(&op.route(), op.method_router());
    }
    // The operations catch their own panics (see `Checked`); the pages and control routes
    // get the same treatment from a layer. The request deadline is applied where a handler
    // waits for the client, reading its body (`RawBody`).
    let pages = api::gateway::routes()
        .merge(crate::control::routes())
        .layer(middleware::from_fn(catch_panic));
    api.merge(pages)
        .fallback(Checked::new(None, unknown_path))
        .method_not_allowed_fallback(Checked::new(None, wrong_method))
        .with_state(state)
}

/// A handler behind what every operation shares: authentication, injected failures and
/// the record of what was answered (for `Some(operationId)`), and, for every handler it
/// wraps, a panic answered HTTP 500 `unexpected_error` instead of a dropped connection.
///
/// A handler wrapper rather than a middleware layer: it knows its operation without
/// looking up the matched route. Its future ([`Answering`]) is written out rather than
/// boxed: the checks run before the handler is called, and the answer is recorded as soon
/// as it is ready.
#[derive(Clone)]
pub(crate) struct Checked<H> {
    operation_id: Option<&'static str>,
    handler: H,
}

impl<H> Checked<H> {
    pub(crate) fn new(operation_id: Option<&'static str>, handler: H) -> Self {
        Checked {
            operation_id,
            handler,
        }
    }
}

impl<H, T> Handler<T, AppState> for Checked<H>
where
    H: Handler<T, AppState>,
    H::Future: Unpin,
    T: 'static,
{
    type Future = Answering<H::Future>;

    fn call(self, request: Request, state: AppState) -> Self::Future {
        let Some(operation_id) = self.operation_id else {
            let stage = Stage::Running(self.handler.call(request, state), None);
            return Answering { stage };
        };
        let shared = state.shared.clone();
        let refused = std::panic::catch_unwind(AssertUnwindSafe(|| {
            refusal(&shared, operation_id, &request)
        }));
        let record = Record {
            shared,
            operation_id,
            method: request.method().clone(),
            path: request.uri().path_and_query().cloned(),
        };
        let stage = match refused {
            Ok(None) => Stage::Running(self.handler.call(request, state), Some(record)),
            Ok(Some(fail)) => Stage::Answered(fail.into_response(), Some(record)),
            Err(_) => Stage::Answered(panicked(), None),
        };
        Answering { stage }
    }
}

/// Authentication and injected failures: the refusal an operation's request gets before
/// its handler sees it, if any.
fn refusal(shared: &Shared, operation_id: &'static str, request: &Request) -> Option<Fail> {
    // The first `auth` value, as `HeaderMap::get` gives it (entries come in insertion
    // order, each with its first value first), found by comparing names instead of hashing
    // one: a request has a handful of headers.
    let token = request
        .headers()
        .iter()
        .find(|(name, _)| **name == AUTH)
        .map(|(_, v)| v.to_str().ok());
    // The handler's own look at the state brings it up to now (and the request's webhooks
    // go out then); the checks need no more than the tokens and the queue.
    shared.peek(|world, now| {
        if operation_id != "authenticate" {
            let problem = match token {
                None => Some("the `auth` header is missing; POST /authenticate for a token"),
                Some(None) => Some("the `auth` header is not visible ASCII, so it is no token"),
                Some(Some(t)) if !world.token_valid(t, now) => {
                    Some("the token in `auth` is unknown or expired; authenticate again")
                }
                Some(Some(_)) => None,
            };
            if let Some(problem) = problem {
                return Some(Fail::code("authorization_incorrect").message(problem));
            }
        }
        if world.injected.is_empty() {
            return None;
        }
        world
            .injected
            .get_mut(operation_id)
            .and_then(VecDeque::pop_front)
            .map(|code| Fail::code(&code).message("injected by the sandbox's control handle"))
    })
}

/// What is kept of an operation's request until its answer is recorded.
struct Record {
    shared: Arc<Shared>,
    operation_id: &'static str,
    method: Method,
    path: Option<PathAndQuery>,
}

/// A body being collected (one that did not arrive in one piece), with the rest of the
/// answer and its record.
type Collecting = (
    Pin<Box<dyn Future<Output = Bytes> + Send>>,
    axum::http::response::Parts,
    Record,
);

enum Stage<F> {
    /// The handler runs; its answer is recorded when there is a record to keep.
    Running(F, Option<Record>),
    /// Answered without the handler (refused, or panicked before it ran).
    Answered(Response, Option<Record>),
    /// The answer's body is being read whole for the record.
    Collecting(Collecting),
    /// Answered (a poll now is a bug, answered like a panic).
    Done,
}

/// The future of a [`Checked`] handler.
pub(crate) struct Answering<F> {
    stage: Stage<F>,
}

impl<F: Future<Output = Response> + Unpin> Future for Answering<F> {
    type Output = Response;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Response> {
        use std::task::Poll;
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
            match std::mem::replace(&mut self.stage, Stage::Done) {
                Stage::Running(mut handler, record) => match Pin::new(&mut handler).poll(cx) {
                    Poll::Pending => {
                        self.stage = Stage::Running(handler, record);
                        Poll::Pending
                    }
                    Poll::Ready(response) => self.recorded(response, record, cx),
                },
                Stage::Answered(response, record) => self.recorded(response, record, cx),
                Stage::Collecting((mut body, parts, record)) => match body.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.stage = Stage::Collecting((body, parts, record));
                        Poll::Pending
                    }
                    Poll::Ready(bytes) => Poll::Ready(keep(&record, parts, bytes)),
                },
                Stage::Done => Poll::Ready(panicked()),
            }
        }));
        polled.unwrap_or_else(|_| Poll::Ready(panicked()))
    }
}

impl<F> Answering<F> {
    /// The answer, kept among the recorded exchanges when it has a record. A request cut
    /// off by its deadline (408) is not an answered exchange and is not kept.
    fn recorded(
        &mut self,
        response: Response,
        record: Option<Record>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Response> {
        use std::task::Poll;
        let Some(record) = record else {
            return Poll::Ready(response);
        };
        let max = record.shared.config.limits.max_exchanges;
        if max == 0 || response.status() == StatusCode::REQUEST_TIMEOUT {
            return Poll::Ready(response);
        }
        let (parts, mut body) = response.into_parts();
        // Every answer is a small JSON document built here, in one piece: taken at once.
        let first = match Pin::new(&mut body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
            Poll::Ready(Some(Err(_)) | None) => Bytes::new(),
            Poll::Pending => {
                let rest = Box::pin(async move { collect(Bytes::new(), body).await });
                self.stage = Stage::Collecting((rest, parts, record));
                return Poll::Pending;
            }
        };
        if body.is_end_stream() {
            return Poll::Ready(keep(&record, parts, first));
        }
        let rest = Box::pin(async move { collect(first, body).await });
        self.stage = Stage::Collecting((rest, parts, record));
        // Woken by nothing yet: poll the collection now.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// `first` and the rest of `body` (the bound is a guard, not a limit).
async fn collect(first: Bytes, body: Body) -> Bytes {
    let rest = axum::body::to_bytes(body, 4 * 1024 * 1024)
        .await
        .unwrap_or_default();
    if first.is_empty() {
        rest
    } else {
        [first, rest].concat().into()
    }
}

/// Around everything: a handler that panics (a sandbox bug) answers HTTP 500 with the
/// API's `unexpected_error` instead of dropping the connection. The panic message still
/// goes to standard error, and the state is still usable: [`lock`] shrugs off poisoning.
async fn catch_panic(request: Request, next: Next) -> Response {
    AssertUnwindSafe(next.run(request))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| panicked())
}

/// The answer to a request whose handler panicked.
fn panicked() -> Response {
    Fail::code("unexpected_error")
        .message("the sandbox failed while answering; its standard error says why")
        .with_status(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}

/// An answered exchange as recorded: the body as answered, shared with the answer rather
/// than copied (a kept answer's body is the same bytes every time), made an [`Exchange`]
/// only when somebody asks for the record.
pub(crate) struct Recorded {
    operation_id: &'static str,
    method: Method,
    /// A copy, not the request's `PathAndQuery`: that shares the connection's read buffer,
    /// which it would keep from being reused.
    path: String,
    status: StatusCode,
    body: Bytes,
}

impl Recorded {
    fn exchange(&self) -> Exchange {
        Exchange {
            operation_id: self.operation_id,
            method: self.method.as_str().to_owned(),
            path: self.path.clone(),
            status: self.status.as_u16(),
            // Every answer is JSON written here, so UTF-8; anything else is shown lossily.
            body: String::from_utf8_lossy(&self.body).into_owned(),
        }
    }
}

/// The recorded exchanges: a ring that, once it holds `Limits::max_exchanges`, overwrites
/// the oldest in place (its path's buffer reused), so a full record costs no allocation
/// and moves no entry.
#[derive(Default)]
pub(crate) struct Exchanges {
    /// In the order recorded, from `oldest` round to just before it.
    ring: Vec<Recorded>,
    /// The index of the oldest entry; 0 until the ring is full.
    oldest: usize,
}

impl Exchanges {
    /// How many are held.
    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }
}

/// Keeps the answer among the recorded exchanges (the oldest goes once the bound is
/// reached), and gives it back.
fn keep(record: &Record, parts: axum::http::response::Parts, bytes: Bytes) -> Response {
    let max = record.shared.config.limits.max_exchanges;
    let path = record.path.as_ref().map_or("", PathAndQuery::path);
    {
        let mut exchanges = lock(&record.shared.exchanges);
        let Exchanges { ring, oldest } = &mut *exchanges;
        let len = ring.len();
        if len < max {
            ring.push(Recorded {
                operation_id: record.operation_id,
                method: record.method.clone(),
                path: path.to_owned(),
                status: parts.status,
                body: bytes.clone(),
            });
        } else if let Some(old) = ring.get_mut(*oldest) {
            old.operation_id = record.operation_id;
            old.method.clone_from(&record.method);
            overwrite(&mut old.path, path);
            old.status = parts.status;
            old.body.clone_from(&bytes);
            *oldest = if *oldest + 1 >= len { 0 } else { *oldest + 1 };
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `buffer = text`, reusing the buffer unless it is far larger than needed.
fn overwrite(buffer: &mut String, text: &str) {
    if buffer.capacity() > 4096 && buffer.capacity() / 4 > text.len() {
        *buffer = text.to_owned();
    } else {
        buffer.clear();
        buffer.push_str(text);
    }
}

async fn unknown_path(method: Method, uri: Uri) -> Fail {
    Fail::code("not_found")
        .message(format!(
            "no operation at {method} {}; the operations are listed in openapi/cryptopocket.yaml",
            shortened(uri.path())
        ))
        .with_status(StatusCode::NOT_FOUND)
}

async fn wrong_method(method: Method, uri: Uri) -> Fail {
    // Not the API's `method_not_allowed`, which is about payment methods.
    Fail::code("wrong_http_method")
        .message(format!(
            "{} does not answer {method}",
            shortened(uri.path())
        ))
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
}

/// A client's text echoed in a message, cut short: a 60 KiB path is not worth repeating.
fn shortened(text: &str) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An operation whose handler panics answers HTTP 500 `unexpected_error` (the
    /// connection stays usable) and is not recorded; a refused one is answered and
    /// recorded without its handler running.
    #[tokio::test]
    async fn a_panicking_operation_answers_unexpected_error() {
        async fn boom() -> &'static str {
            panic!("a deliberate panic, to test Checked")
        }
        let sandbox = Sandbox::start().await.unwrap();
        let shared = sandbox.shared.clone();
        let token = shared.world(|world, now| {
            let expires = crate::clock::later(now, Duration::from_secs(3600));
            world.issue_token(expires, &shared.config.limits)
        });
        let app = Router::new()
            .route(
                "/boom",
                axum::routing::get(Checked::new(Some("getPayment"), boom)),
            )
            .with_state(AppState {
                shared: shared.clone(),
            });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let url = format!("http://{addr}/boom");
        for _ in 0..2 {
            let answer = http.get(&url).header("auth", &token).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let body: serde_json::Value = answer.json().await.unwrap();
            assert_eq!(body["error"], "unexpected_error");
        }
        assert!(sandbox.control().exchanges().is_empty());
        let answer = http.get(&url).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["error"], "authorization_incorrect");
        let recorded = sandbox.control().exchanges();
        assert_eq!(recorded.len(), 1);
        let exchange = &recorded[0];
        assert_eq!(
            (
                exchange.operation_id,
                exchange.method.as_str(),
                exchange.path.as_str()
            ),
            ("getPayment", "GET", "/boom")
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&exchange.body).unwrap(),
            body
        );
    }

    /// `GET /payment/{id}` answers the payment as it stands although its text is kept:
    /// virtual time moving the status on (the clock alone, no other request), a change
    /// through the state, and a second payment each give their own answer, and every
    /// answer is the one written afresh from the state.
    #[tokio::test]
    async fn a_kept_payment_answer_follows_the_state() {
        async fn post(
            http: &reqwest::Client,
            url: String,
            token: &str,
            body: serde_json::Value,
        ) -> serde_json::Value {
            let answer = http
                .post(url)
                .header("auth", token)
                .json(&body)
                .send()
                .await
                .unwrap();
            answer.json().await.unwrap()
        }
        let sandbox = Sandbox::start().await.unwrap();
        let shared = sandbox.shared.clone();
        let token = shared.world(|world, now| {
            let expires = crate::clock::later(now, Duration::from_secs(24 * 3600));
            world.issue_token(expires, &shared.config.limits)
        });
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let base = sandbox.base_url().to_owned();
        let user = post(
            &http,
            format!("{base}/registerUser"),
            &token,
            serde_json::json!({"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"}),
        )
        .await;
        let user_id = user["data"]["id"].as_u64().unwrap();
        sandbox.control().advance(Duration::from_secs(60));
        let mut ids = Vec::new();
        for amount in [150.5, 20.0] {
            let payment = post(
                &http,
                format!("{base}/createPayment"),
                &token,
                serde_json::json!({
                    "user_id": user_id, "payment_type": "card", "fiat_symbol": "EUR",
                    "fiat_amount": amount, "coin_symbol": "USDC", "coin_chain": "polygon",
                    "wallet": "0x1111111111111111111111111111111111111111",
                }),
            )
            .await;
            ids.push(payment["data"]["payment_id"].as_str().unwrap().to_owned());
        }
        sandbox.control().pay(&ids[0], "card").unwrap();
        // The answer, checked against the payment's view written afresh.
        let get = |id: String| {
            let (http, token, shared) = (http.clone(), token.clone(), shared.clone());
            let url = format!("{base}/payment/{id}");
            async move {
                let answer = http.get(url).header("auth", token).send().await.unwrap();
                let text = answer.text().await.unwrap();
                let fresh = {
                    let guarded = lock(&shared.guarded);
                    guarded.world.payments.get(&id).map(|p| {
                        String::from_utf8_lossy(&crate::reply::ok_text(p.view())).into_owned()
                    })
                };
                assert_eq!(Some(text.as_str()), fresh.as_deref());
                serde_json::from_str::<serde_json::Value>(&text).unwrap()
            }
        };
        let status =
            |answer: &serde_json::Value| answer["data"]["status"].as_str().unwrap().to_owned();
        let first = get(ids[0].clone()).await;
        assert_eq!(status(&first), "started");
        assert_eq!(get(ids[0].clone()).await, first);
        // Kept: the second look wrote nothing new.
        let kept = lock(&shared.guarded)
            .kept
            .as_ref()
            .map(|k| k.body.clone())
            .unwrap();
        assert_eq!(get(ids[0].clone()).await, first);
        let again = lock(&shared.guarded)
            .kept
            .as_ref()
            .map(|k| k.body.clone())
            .unwrap();
        assert_eq!(
            kept.as_ptr(),
            again.as_ptr(),
            "the kept answer was written again"
        );
        // Another payment is not answered with the kept one.
        let other = get(ids[1].clone()).await;
        assert_eq!(other["data"]["id"], ids[1].as_str());
        assert_eq!(other["data"]["fiat_amount"], 2000);
        // The clock alone moves the status on: no request, no control call in between.
        let schedule = &shared.config.schedule;
        shared.clock.advance(schedule.payment_received);
        assert_eq!(status(&get(ids[0].clone()).await), "payment_received");
        shared.clock.advance(schedule.coins_sent);
        let sent = get(ids[0].clone()).await;
        assert_eq!(status(&sent), "coins_sent");
        assert!(sent["data"]["txid"].is_string(), "{sent}");
        // A change through the state is seen too.
        shared.world(|world, _| {
            world.payments.get_mut(&ids[0]).unwrap().holder = Some("Grace Hopper".into());
        });
        assert_eq!(get(ids[0].clone()).await["data"]["holder"], "Grace Hopper");
        assert_eq!(get(ids[1].clone()).await, other);
    }

    /// Past `max_exchanges` the oldest exchange goes and the rest keep their order, round
    /// the ring as many times as it takes.
    #[tokio::test]
    async fn the_record_keeps_the_newest_exchanges_in_order() {
        let config = SandboxConfig {
            limits: crate::config::Limits {
                max_exchanges: 3,
                ..Default::default()
            },
            ..Default::default()
        };
        let sandbox = Sandbox::start_with(config).await.unwrap();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        for n in 0..8 {
            let paths: Vec<String> = sandbox
                .control()
                .exchanges()
                .into_iter()
                .map(|e| e.path)
                .collect();
            let expected: Vec<String> = (n.max(3) - 3..n)
                .map(|i| format!("/api/payment/p{i}"))
                .collect();
            assert_eq!(paths, expected);
            assert_eq!(sandbox.control().stats().exchanges, expected.len());
            // No token: refused, and recorded with its own path.
            let url = format!("{}/payment/p{n}", sandbox.base_url());
            let answer = http.get(url).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
        }
        let last = sandbox.control().exchanges().pop().unwrap();
        assert_eq!((last.operation_id, last.status), ("getPayment", 200));
        assert!(
            last.body.contains("authorization_incorrect"),
            "{}",
            last.body
        );
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_unexpected_error() {
        async fn boom() -> &'static str {
            panic!("a deliberate panic, to test the catch_panic layer")
        }
        let app = Router::new()
            .route("/boom", axum::routing::get(boom))
            .layer(middleware::from_fn(catch_panic));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        for _ in 0..2 {
            let answer = http
                .get(format!("http://{addr}/boom"))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let body: serde_json::Value = answer.json().await.unwrap();
            assert_eq!(body["status"], "error");
            assert_eq!(body["error"], "unexpected_error");
        }
    }
}

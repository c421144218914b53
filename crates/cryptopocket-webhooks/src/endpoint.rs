//! The endpoint: receive, deduplicate through the inbox, run the user's handler, answer.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cryptopocket::webhooks::{WebhookEvent, WebhookVerifier};
use futures::future::BoxFuture;
use http::{HeaderMap, StatusCode};

use crate::DeliveryKey;
use crate::inbox::{Claim, Inbox, InboxError, Lease};
use crate::receiver::{BoxError, Rejection, WebhookReceiver, retry_after_secs};

/// The default lease on a claim: one minute.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// One event handed to user code.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// Its identity.
    pub key: DeliveryKey,
    /// The typed event.
    pub event: WebhookEvent,
    /// The body as received (parse it again for a field [`WebhookEvent`] does not type).
    pub body: Bytes,
    /// Which claim of the key this is: 1 the first time, more after a failure, a hang or a
    /// crash. Always 1 without an inbox.
    pub attempt: u32,
}

/// User code that applies an event. Any `Fn(Delivery) -> impl Future<Output = Result<(), E>>`
/// is one, for `E` convertible into a boxed error.
pub trait Handler: Send + Sync + 'static {
    /// Applies the event; an error releases the claim so a redelivery runs it again.
    fn handle(&self, delivery: Delivery) -> BoxFuture<'static, Result<(), BoxError>>;
}

impl<F, Fut, E> Handler for F
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError>,
{
    fn handle(&self, delivery: Delivery) -> BoxFuture<'static, Result<(), BoxError>> {
        let future = self(delivery);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

/// Runs a handler's future, turning a panic into an error so that the claim is released and
/// the sender gets a 500 instead of a dropped connection.
pub(crate) async fn guarded(
    future: impl Future<Output = Result<(), BoxError>>,
) -> Result<(), BoxError> {
    use futures::FutureExt as _;
    std::panic::AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err("the webhook handler panicked".into()))
}

/// What happened to one delivery, and so what the endpoint answered.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The handler ran and succeeded; the key is done. **200**.
    Applied {
        /// The event's identity.
        key: DeliveryKey,
        /// The claim's attempt number.
        attempt: u32,
    },
    /// The key was done already; the handler did not run. **200**.
    Duplicate {
        /// The event's identity.
        key: DeliveryKey,
    },
    /// Another receiver is applying the key right now. **503** with `Retry-After`.
    Busy {
        /// The event's identity.
        key: DeliveryKey,
        /// When the other holder's lease runs out at the latest.
        retry_after: Duration,
    },
    /// The handler returned an error; the claim was released. **500**.
    HandlerFailed {
        /// The event's identity.
        key: DeliveryKey,
        /// The handler's error.
        error: BoxError,
    },
    /// The handler ran past its deadline and was cancelled; the claim was released. **503**.
    TimedOut {
        /// The event's identity.
        key: DeliveryKey,
    },
    /// The handler succeeded but the lease had been taken over meanwhile. In claim/lease mode
    /// the effect happened, so **200**; in transactional mode it was rolled back, so **503**.
    LeaseLost {
        /// The event's identity.
        key: DeliveryKey,
        /// Whether the handler's work was rolled back (transactional mode).
        rolled_back: bool,
    },
    /// The inbox store failed (database down): **503**, the sender retries.
    StoreFailed {
        /// The store's error.
        error: InboxError,
    },
    /// Refused before user code ran: **413**, **401** or **400**.
    Rejected(Rejection),
}

impl Outcome {
    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Applied { .. }
            | Self::Duplicate { .. }
            | Self::LeaseLost {
                rolled_back: false, ..
            } => StatusCode::OK,
            Self::Busy { .. }
            | Self::TimedOut { .. }
            | Self::StoreFailed { .. }
            | Self::LeaseLost {
                rolled_back: true, ..
            } => StatusCode::SERVICE_UNAVAILABLE,
            Self::HandlerFailed { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Rejected(rejection) => rejection.status(),
        }
    }

    /// The `Retry-After` header, in seconds, when the answer carries one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Busy { retry_after, .. } => Some(retry_after_secs(*retry_after)),
            Self::TimedOut { .. } | Self::StoreFailed { .. } | Self::LeaseLost { .. } => Some(1),
            _ => None,
        }
    }

    /// The event's identity, when the delivery got as far as being verified.
    pub fn key(&self) -> Option<&DeliveryKey> {
        match self {
            Self::Applied { key, .. }
            | Self::Duplicate { key }
            | Self::Busy { key, .. }
            | Self::HandlerFailed { key, .. }
            | Self::TimedOut { key }
            | Self::LeaseLost { key, .. } => Some(key),
            Self::StoreFailed { .. } | Self::Rejected(_) => None,
        }
    }

    /// The short body text answered. Never the handler's or the store's error text: that may
    /// hold anything, and the sender does not need it.
    pub fn text(&self) -> String {
        match self {
            Self::Applied { .. } => "applied".into(),
            Self::Duplicate { .. } => "duplicate: already applied".into(),
            Self::Busy { .. } => "busy: being applied by another receiver; retry".into(),
            Self::HandlerFailed { .. } => "handler failed; retry".into(),
            Self::TimedOut { .. } => "handler timed out; retry".into(),
            Self::LeaseLost { .. } => "lease lost to another receiver".into(),
            Self::StoreFailed { .. } => "inbox unavailable; retry".into(),
            Self::Rejected(rejection) => format!("rejected: {rejection}"),
        }
    }
}

/// Counts of outcomes since the endpoint was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointStats {
    /// Deliveries received (every request).
    pub received: u64,
    /// Handler runs that succeeded and completed the key.
    pub applied: u64,
    /// Deliveries of a done key, acknowledged without running the handler.
    pub duplicates: u64,
    /// Deliveries answered 503 because another receiver held the key.
    pub busy: u64,
    /// Handler errors and timeouts (claim released).
    pub failed: u64,
    /// Completions refused because the lease had been taken over.
    pub lease_lost: u64,
    /// Store failures.
    pub store_failed: u64,
    /// Deliveries refused with 413, 401 or 400.
    pub rejected: u64,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    applied: AtomicU64,
    duplicates: AtomicU64,
    busy: AtomicU64,
    failed: AtomicU64,
    lease_lost: AtomicU64,
    store_failed: AtomicU64,
    rejected: AtomicU64,
}

impl Counters {
    fn count(&self, outcome: &Outcome) {
        self.received.fetch_add(1, Ordering::Relaxed);
        let counter = match outcome {
            Outcome::Applied { .. } => &self.applied,
            Outcome::Duplicate { .. } => &self.duplicates,
            Outcome::Busy { .. } => &self.busy,
            Outcome::HandlerFailed { .. } | Outcome::TimedOut { .. } => &self.failed,
            Outcome::LeaseLost { .. } => &self.lease_lost,
            Outcome::StoreFailed { .. } => &self.store_failed,
            Outcome::Rejected(_) => &self.rejected,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> EndpointStats {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        EndpointStats {
            received: read(&self.received),
            applied: read(&self.applied),
            duplicates: read(&self.duplicates),
            busy: read(&self.busy),
            failed: read(&self.failed),
            lease_lost: read(&self.lease_lost),
            store_failed: read(&self.store_failed),
            rejected: read(&self.rejected),
        }
    }
}

pub(crate) enum Mode {
    /// No inbox: every verified delivery runs the handler.
    Every(Arc<dyn Handler>),
    /// Claim/lease: effects anywhere, applied once unless a handler outlives its lease.
    Once {
        inbox: Arc<dyn Inbox>,
        handler: Arc<dyn Handler>,
    },
    /// PostgreSQL, the user's work and the inbox mark in one transaction.
    #[cfg(feature = "postgres")]
    Transactional {
        inbox: crate::postgres::PostgresInbox,
        handler: Arc<dyn crate::postgres::TransactionalHandler>,
    },
}

type Observer = Box<dyn Fn(&Outcome) + Send + Sync>;

struct Inner {
    receiver: WebhookReceiver,
    lease: Duration,
    handler_timeout: Duration,
    mode: Mode,
    counters: Counters,
    observer: Option<Observer>,
}

/// A webhook endpoint: verifies each delivery, applies each event once through an
/// [`Inbox`], and answers with the status the sender needs. Cheap to clone.
///
/// | Answer | When |
/// |---|---|
/// | 200 | applied now, or a duplicate of an event already applied (the handler does not run) |
/// | 400 | authentic, but the body is not an event (a retry cannot help) |
/// | 401 | a missing or wrong `X-API-Key` / `X-Signature` / `X-Timestamp`, or outside the window |
/// | 408 | the body did not arrive within the body timeout |
/// | 413 | the body is over the cap |
/// | 500 | the handler failed; the claim is released so the redelivery runs it |
/// | 503 + `Retry-After` | another receiver is applying the same event now; or the handler timed out; or the store is down |
///
/// Build one with [`WebhookEndpoint::builder`]; mount it with
/// `route` / `router` (feature `axum`) or
/// call [`receive`](WebhookEndpoint::receive) from any framework.
#[derive(Clone)]
pub struct WebhookEndpoint {
    inner: Arc<Inner>,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("receiver", &self.inner.receiver)
            .field("lease", &self.inner.lease)
            .field("handler_timeout", &self.inner.handler_timeout)
            .finish_non_exhaustive()
    }
}

/// Configures a [`WebhookEndpoint`]; finish with [`handle`](Self::handle) or, with PostgreSQL,
/// `handle_in_transaction` (feature `postgres`).
pub struct EndpointBuilder {
    receiver: WebhookReceiver,
    lease: Duration,
    handler_timeout: Option<Duration>,
    inbox: Option<Arc<dyn Inbox>>,
    observer: Option<Observer>,
}

impl fmt::Debug for EndpointBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointBuilder")
            .field("receiver", &self.receiver)
            .field("lease", &self.lease)
            .field("handler_timeout", &self.handler_timeout)
            .field("inbox", &self.inbox.is_some())
            .finish_non_exhaustive()
    }
}

impl WebhookEndpoint {
    /// Starts a configuration with the verifier of the integration's `api_secret`.
    pub fn builder(verifier: WebhookVerifier) -> EndpointBuilder {
        EndpointBuilder {
            receiver: WebhookReceiver::new(verifier),
            lease: DEFAULT_LEASE,
            handler_timeout: None,
            inbox: None,
            observer: None,
        }
    }

    /// Outcome counts so far.
    pub fn stats(&self) -> EndpointStats {
        self.inner.counters.snapshot()
    }

    /// The receiver (cap and verifier) this endpoint reads deliveries with.
    pub fn receiver(&self) -> &WebhookReceiver {
        &self.inner.receiver
    }

    /// Handles one request: reads and verifies the body, deduplicates, runs the handler.
    /// Answer with [`Outcome::status`], [`Outcome::retry_after`] and [`Outcome::text`] (the
    /// axum route does).
    ///
    /// Call it inside a Tokio runtime: a verified delivery is handled on a task of its own, so
    /// that dropping this future (the sender disconnected) does not cancel the handler.
    pub async fn receive<B>(&self, headers: &HeaderMap, body: B) -> Outcome
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let verified = match self.inner.receiver.receive(headers, body).await {
            Ok(verified) => verified,
            Err(rejection) => return self.record(Outcome::Rejected(rejection)),
        };
        // Once verified, the delivery is handled on its own task: a sender that gives up and
        // disconnects does not cancel a handler half-way (hyper drops the request's future);
        // the handler runs to completion or to its timeout, and the sender's retry finds the
        // event done.
        let this = self.clone();
        let task = tokio::spawn(async move {
            let outcome = this
                .process(verified.key, verified.event, verified.body)
                .await;
            this.record(outcome)
        });
        match task.await {
            Ok(outcome) => outcome,
            // Only when the runtime shuts down under the task.
            Err(error) => Outcome::StoreFailed {
                error: InboxError::store(error),
            },
        }
    }

    /// Counts, logs and reports an outcome.
    fn record(&self, outcome: Outcome) -> Outcome {
        self.inner.counters.count(&outcome);
        log(&outcome);
        if let Some(observer) = &self.inner.observer {
            observer(&outcome);
        }
        outcome
    }

    async fn process(&self, key: DeliveryKey, event: WebhookEvent, body: Bytes) -> Outcome {
        let inner = &*self.inner;
        let (inbox, lease) = match &inner.mode {
            Mode::Every(handler) => {
                let delivery = Delivery {
                    key: key.clone(),
                    event,
                    body,
                    attempt: 1,
                };
                return match tokio::time::timeout(
                    inner.handler_timeout,
                    guarded(handler.handle(delivery)),
                )
                .await
                {
                    Ok(Ok(())) => Outcome::Applied { key, attempt: 1 },
                    Ok(Err(error)) => Outcome::HandlerFailed { key, error },
                    Err(_) => Outcome::TimedOut { key },
                };
            }
            Mode::Once { inbox, .. } => (&**inbox, inner.lease),
            #[cfg(feature = "postgres")]
            Mode::Transactional { inbox, .. } => (inbox as &dyn Inbox, inner.lease),
        };
        let held = match inbox.claim(&key, lease).await {
            Ok(Claim::Acquired(held)) => held,
            Ok(Claim::Done) => return Outcome::Duplicate { key },
            Ok(Claim::Busy { retry_after }) => return Outcome::Busy { key, retry_after },
            Err(error) => return Outcome::StoreFailed { error },
        };
        let delivery = Delivery {
            key: key.clone(),
            event,
            body,
            attempt: held.attempt,
        };
        match &inner.mode {
            Mode::Once { handler, .. } => self.run_once(inbox, held, &**handler, delivery).await,
            #[cfg(feature = "postgres")]
            Mode::Transactional { inbox, handler } => {
                inbox
                    .apply(&held, delivery, &**handler, inner.handler_timeout)
                    .await
            }
            Mode::Every(_) => unreachable!("returned above"),
        }
    }

    async fn run_once(
        &self,
        inbox: &dyn Inbox,
        held: Lease,
        handler: &dyn Handler,
        delivery: Delivery,
    ) -> Outcome {
        let key = held.key.clone();
        let attempt = held.attempt;
        let ran = tokio::time::timeout(
            self.inner.handler_timeout,
            guarded(handler.handle(delivery)),
        )
        .await;
        match ran {
            Ok(Ok(())) => match inbox.complete(&held).await {
                Ok(()) => Outcome::Applied { key, attempt },
                Err(InboxError::LeaseLost) => Outcome::LeaseLost {
                    key,
                    rolled_back: false,
                },
                Err(error) => Outcome::StoreFailed { error },
            },
            Ok(Err(error)) => {
                release(inbox, &held).await;
                Outcome::HandlerFailed { key, error }
            }
            Err(_) => {
                release(inbox, &held).await;
                Outcome::TimedOut { key }
            }
        }
    }
}

/// Releases a claim after a failure; if that fails too, the lease expires by itself.
pub(crate) async fn release(inbox: &dyn Inbox, held: &Lease) {
    if let Err(error) = inbox.release(held).await {
        tracing::warn!(key = %held.key, %error, "could not release a webhook claim; it will expire");
    }
}

fn log(outcome: &Outcome) {
    match outcome {
        Outcome::Applied { key, attempt } => {
            tracing::debug!(%key, attempt, "webhook applied");
        }
        Outcome::Duplicate { key } => tracing::debug!(%key, "webhook duplicate acknowledged"),
        Outcome::Busy { key, .. } => tracing::debug!(%key, "webhook busy elsewhere"),
        Outcome::HandlerFailed { key, error } => {
            tracing::warn!(%key, %error, "webhook handler failed; claim released");
        }
        Outcome::TimedOut { key } => tracing::warn!(%key, "webhook handler timed out"),
        Outcome::LeaseLost { key, rolled_back } => {
            tracing::warn!(%key, rolled_back, "webhook lease taken over while handling");
        }
        Outcome::StoreFailed { error } => tracing::warn!(%error, "webhook inbox failed"),
        Outcome::Rejected(rejection) => tracing::info!(%rejection, "webhook rejected"),
    }
}

impl EndpointBuilder {
    /// Sets the largest body read (default 64 KiB); more is refused with 413.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.receiver = self.receiver.max_body_bytes(limit);
        self
    }

    /// Sets how long a delivery's body may take to arrive (default 10 s); a body that
    /// stalls or trickles past it is refused with 408 and no handler runs.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.receiver = self.receiver.body_timeout(timeout);
        self
    }

    /// Sets how long a claim stands before another receiver may take it over (default one
    /// minute). Choose it longer than the handler ever takes; the handler is cancelled at
    /// [`handler_timeout`](Self::handler_timeout), which defaults to three quarters of it.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets how long the handler may run before it is cancelled (its future dropped), the
    /// claim released and 503 answered. Default three quarters of the lease, so that a slow
    /// handler is stopped before anyone else can take its event over; in claim/lease mode it
    /// is capped at the lease. In transactional mode it may be longer: a handler that outlives
    /// its lease and is taken over has its transaction rolled back by the fence.
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = Some(timeout);
        self
    }

    /// Deduplicates through `inbox`: each event's handler runs until it succeeds once.
    /// Without an inbox every verified delivery runs the handler.
    pub fn inbox(mut self, inbox: impl Inbox) -> Self {
        self.inbox = Some(Arc::new(inbox));
        self
    }

    /// Calls `observer` with every outcome (logging, metrics, a CLI's output).
    pub fn on_outcome(mut self, observer: impl Fn(&Outcome) + Send + Sync + 'static) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// The handler's deadline. Capped at the lease in claim/lease mode, where a handler that
    /// outlived its lease could apply an event a second receiver is applying too; not in
    /// transactional mode, where the fence rolls such a handler's work back.
    fn timeout(&self, capped: bool) -> Duration {
        let default = self.lease.saturating_mul(3) / 4;
        let timeout = self.handler_timeout.unwrap_or(default);
        if capped {
            timeout.min(self.lease)
        } else {
            timeout
        }
    }

    /// Finishes the endpoint with the handler that applies each event.
    pub fn handle(mut self, handler: impl Handler) -> WebhookEndpoint {
        let handler: Arc<dyn Handler> = Arc::new(handler);
        let timeout = self.timeout(self.inbox.is_some());
        let mode = match self.inbox.take() {
            Some(inbox) => Mode::Once { inbox, handler },
            None => Mode::Every(handler),
        };
        self.finish(mode, timeout)
    }

    /// Finishes the endpoint in **transactional mode**: the handler gets a transaction of
    /// `inbox`'s database; its work and the inbox's "done" mark commit together, and a
    /// handler error, a timeout or a lost lease rolls both back. Any inbox set with
    /// [`inbox`](Self::inbox) is replaced by `inbox`.
    #[cfg(feature = "postgres")]
    pub fn handle_in_transaction<H>(
        self,
        inbox: crate::postgres::PostgresInbox,
        handler: H,
    ) -> WebhookEndpoint
    where
        H: for<'t> Fn(
                Delivery,
                &'t tokio_postgres::Transaction<'t>,
            ) -> BoxFuture<'t, Result<(), BoxError>>
            + Send
            + Sync
            + 'static,
    {
        let timeout = self.timeout(false);
        let handler: Arc<dyn crate::postgres::TransactionalHandler> = Arc::new(handler);
        self.finish(Mode::Transactional { inbox, handler }, timeout)
    }

    fn finish(self, mode: Mode, handler_timeout: Duration) -> WebhookEndpoint {
        WebhookEndpoint {
            inner: Arc::new(Inner {
                receiver: self.receiver,
                lease: self.lease,
                handler_timeout,
                mode,
                counters: Counters::default(),
                observer: self.observer,
            }),
        }
    }
}

impl<I: Inbox + ?Sized> Inbox for Arc<I> {
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, InboxError>> {
        (**self).claim(key, lease)
    }

    fn complete<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>> {
        (**self).complete(lease)
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>> {
        (**self).release(lease)
    }

    fn done_count(&self) -> BoxFuture<'_, Result<u64, InboxError>> {
        (**self).done_count()
    }
}

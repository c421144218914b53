//! Following something until its status is final: [`Watch`], from
//! [`OnRamp::watch`](crate::onramp::OnRamp::watch) (a payment),
//! [`OffRamp::watch`](crate::offramp::OffRamp::watch) (an off-ramp operation), or
//! [`Watch::new`] over any read whose result is [`Watchable`] (a KYC check, say).
//!
//! A watch polls at an [`interval`](Watch::interval) for at most a
//! [`max_wait`](Watch::max_wait), which bounds every poll too: a server that stalls cannot
//! hold it longer. It ends at the first final status. A status this version does not know
//! is never taken as final, so a watch over an unknown status ends only when the wait is up,
//! as [`Outcome::GaveUp`] carrying it. A failure status ([`PaymentStatus::is_failure`]) is
//! [`Outcome::Failed`], distinct from success.
//!
//! Either take each new status as it comes ([`Watch::stream`]) or only the end
//! ([`Watch::until_final`]); a stream dropped stops the polling. Time is tokio's, so a test
//! with paused time runs a ten-minute watch at once.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use cryptopocket::{Client, Environment, model::{PaymentStatus, PaymentType}};
//! use cryptopocket::{customers::NewCustomer, onramp::NewPayment, watch::Outcome};
//! use cryptopocket_sandbox::Sandbox;
//! use futures::TryStreamExt as _;
//! use rust_decimal::Decimal;
//!
//! // The local sandbox, whose clock this example moves; a live client is built alike.
//! let sandbox = Sandbox::start().await?;
//! let control = sandbox.control();
//! let client = Client::builder()
//!     .environment(Environment::Custom(sandbox.base_url().to_owned()))
//!     .credentials(sandbox.api_key(), sandbox.api_secret())
//!     .build()?;
//! let customer = client.customers().create(&NewCustomer::new("Ada", "ada@example.com")).await?;
//! control.advance(Duration::from_secs(30)); // KYC is decided
//! let payment = NewPayment::new(&customer.id, Decimal::new(100, 0), "EUR", "USDC", "0xabc")
//!     .coin_chain("polygon")
//!     .payment_type(PaymentType::Card);
//! let id = client.onramp().create(&payment).await?.payment_id;
//! control.pay(id.as_str(), "card")?; // the customer pays
//!
//! // Each new status once, polled every 10 ms for at most a minute.
//! let watch = client.onramp().watch(&id).interval(Duration::from_millis(10));
//! let mut statuses = watch.max_wait(Duration::from_secs(60)).stream();
//! control.advance(Duration::from_secs(10)); // the sandbox receives the fiat
//! let payment = statuses.try_next().await?.expect("a status");
//! assert_eq!(payment.status, PaymentStatus::PaymentReceived);
//! control.advance(Duration::from_secs(20)); // and sends the coins
//! let payment = statuses.try_next().await?.expect("a status");
//! assert_eq!(payment.status, PaymentStatus::CoinsSent);
//! assert!(statuses.try_next().await?.is_none(), "coins_sent is final");
//!
//! // Or only the end.
//! match client.onramp().watch(&id).until_final().await? {
//!     Outcome::Succeeded(payment) => println!("sent in {:?}", payment.txid),
//!     Outcome::Failed(payment) => println!("failed: {}", payment.status),
//!     Outcome::GaveUp { last } => println!("not final: {:?}", last.map(|p| p.status)),
//!     _ => println!("an outcome this version does not know"),
//! }
//! # sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::{fmt, time::Duration};

use futures::{Stream, TryStreamExt as _, future::BoxFuture, stream};
use tokio::time::Instant;

use crate::{
    Error,
    customers::KycCheck,
    model::{KycStatus, OffRampStatus, PaymentStatus},
    offramp::OffRampOperation,
    onramp::Payment,
};

/// The time between polls unless [`Watch::interval`] says otherwise: 5 s.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// The longest a watch runs unless [`Watch::max_wait`] says otherwise: 10 minutes.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(600);

/// A result with a status that says when polling can stop: a [`Payment`], an
/// [`OffRampOperation`], a [`KycCheck`], or a type of your own; see [`Watch::new`].
pub trait Watchable {
    /// The status; a watch yields a result each time it differs from the last one yielded.
    type Status: Clone + PartialEq + Send;

    /// Where it stands.
    fn status(&self) -> &Self::Status;

    /// Whether polling can stop, a failure included. A status this version does not know
    /// must not be final: it may be an intermediate state.
    fn is_final(&self) -> bool;

    /// Whether it ended without what was asked for; such a status must also be final.
    fn is_failure(&self) -> bool {
        false
    }
}

impl Watchable for Payment {
    type Status = PaymentStatus;

    fn status(&self) -> &PaymentStatus {
        &self.status
    }

    /// `coins_sent` or `payment_rejected` ([`PaymentStatus::is_final`]).
    fn is_final(&self) -> bool {
        self.status.is_final()
    }

    /// `payment_rejected` ([`PaymentStatus::is_failure`]).
    fn is_failure(&self) -> bool {
        self.status.is_failure()
    }
}

impl Watchable for OffRampOperation {
    type Status = OffRampStatus;

    fn status(&self) -> &OffRampStatus {
        &self.status
    }

    /// `finished`, the only word documented; no failure word is known.
    fn is_final(&self) -> bool {
        self.status.is_final()
    }
}

/// A KYC/KYB check, watched with [`Watch::new`] over
/// [`Kyc::get`](crate::customers::Kyc::get).
impl Watchable for KycCheck {
    type Status = KycStatus;

    fn status(&self) -> &KycStatus {
        &self.status
    }

    /// `valid` or `fail` ([`KycStatus::is_final`]); every other word is still in progress.
    fn is_final(&self) -> bool {
        self.status.is_final()
    }

    /// `fail`.
    fn is_failure(&self) -> bool {
        self.status.is_final() && !self.status.is_approved()
    }
}

/// How a watch ended, short of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome<T> {
    /// A final status that is not a failure (`coins_sent`, `finished`): the last poll's
    /// result.
    Succeeded(T),
    /// A failure status (`payment_rejected`): the last poll's result.
    Failed(T),
    /// The wait was up before a final status: the result that first showed the last status
    /// seen (it may be one this version does not know, and which may be final), or `None`
    /// when no poll answered in time.
    GaveUp {
        /// The last status seen, with its result.
        last: Option<T>,
    },
}

impl<T: Watchable> Outcome<T> {
    /// What a watch came to whose [`stream`](Watch::stream) ended, without an error, after
    /// yielding `last` (or nothing): the end of a hand-driven stream, as
    /// [`until_final`](Watch::until_final) reports it.
    pub fn from_last(last: Option<T>) -> Self {
        match last {
            Some(last) if last.is_failure() => Self::Failed(last),
            Some(last) if last.is_final() => Self::Succeeded(last),
            last => Self::GaveUp { last },
        }
    }
}

/// One poll: sends the read again.
type Poll<T> = Box<dyn FnMut() -> BoxFuture<'static, Result<T, Error>> + Send>;

/// Polls until the status is final, for at most [`max_wait`](Self::max_wait); built by
/// [`OnRamp::watch`](crate::onramp::OnRamp::watch),
/// [`OffRamp::watch`](crate::offramp::OffRamp::watch) or [`Watch::new`]. See the
/// [module](self).
#[must_use = "a watch polls nothing until `stream` or `until_final` runs it"]
pub struct Watch<T> {
    poll: Poll<T>,
    interval: Duration,
    max_wait: Duration,
}

impl<T> fmt::Debug for Watch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("interval", &self.interval)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

impl<T: Watchable + Send + 'static> Watch<T> {
    /// A watch that calls `poll` for each poll, [`DEFAULT_INTERVAL`] apart, for at most
    /// [`DEFAULT_MAX_WAIT`].
    ///
    /// ```
    /// # async fn run(client: cryptopocket::Client, id: cryptopocket::model::PaymentId) {
    /// use cryptopocket::watch::Watch;
    ///
    /// // What `client.onramp().watch(&id)` builds.
    /// let watch = Watch::new(move || {
    ///     let (onramp, id) = (client.onramp(), id.clone());
    ///     async move { onramp.get(&id).await }
    /// });
    /// # }
    /// ```
    pub fn new<F, Fut>(mut poll: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        Self {
            poll: Box::new(move || Box::pin(poll())),
            interval: DEFAULT_INTERVAL,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }

    /// The time from one poll's answer to the next poll ([`DEFAULT_INTERVAL`] unless set).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The longest the watch runs, every poll included, from its first poll
    /// ([`DEFAULT_MAX_WAIT`] unless set). A wait too long for the clock to represent has
    /// no end.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Each new status once, with the result that showed it: the first poll's result, then
    /// each one whose status differs from the last yielded. The stream ends after a final
    /// status, when the wait is up (so a status never final ends it there), or after an
    /// error, which it yields. Nothing is polled before the stream is, and dropping it
    /// stops the polling. [`Outcome::from_last`] tells how it ended.
    pub fn stream(self) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static {
        let state = Polling {
            poll: self.poll,
            interval: self.interval,
            max_wait: self.max_wait,
            deadline: None,
            last: None,
            ended: false,
        };
        Box::pin(stream::unfold(state, Polling::next))
    }

    /// Polls until the status is final or the wait is up.
    ///
    /// # Errors
    ///
    /// A poll's error, which ends the watch (each read has already retried what it safely
    /// could): see [`Error`].
    pub async fn until_final(self) -> Result<Outcome<T>, Error> {
        let last = self
            .stream()
            .try_fold(None, |_, item| async move { Ok(Some(item)) })
            .await?;
        Ok(Outcome::from_last(last))
    }
}

/// The [`Watch`] of the record `$id` of the area handle `$area`: each poll is the area's
/// `get(&id)`, with the handle's per-call options.
macro_rules! watching {
    ($area:expr, $id:expr) => {{
        let (area, id) = ($area.clone(), $id.clone());
        $crate::watch::Watch::new(move || {
            let (area, id) = (area.clone(), id.clone());
            async move { area.get(&id).await }
        })
    }};
}
pub(crate) use watching;

/// A running watch, carried from one item of its stream to the next.
struct Polling<T: Watchable> {
    poll: Poll<T>,
    interval: Duration,
    max_wait: Duration,
    /// Set at the first poll: `Some(None)` when the wait has no end the clock can hold.
    deadline: Option<Option<Instant>>,
    /// The status last yielded.
    last: Option<T::Status>,
    /// Set by a final status or an error: the stream has nothing more.
    ended: bool,
}

impl<T: Watchable> Polling<T> {
    /// Polls (after the interval, but the first time) until a new status, the end of the
    /// wait, or an error.
    async fn next(mut self) -> Option<(Result<T, Error>, Self)> {
        if self.ended {
            return None;
        }
        loop {
            let deadline = match self.deadline {
                Some(deadline) => {
                    // The next poll, or the end of the wait if that comes first (or has).
                    let next = Instant::now().checked_add(self.interval);
                    let next = match (next, deadline) {
                        (Some(next), Some(deadline)) => Some(next.min(deadline)),
                        (next, None) => next,
                        (None, deadline) => deadline,
                    };
                    match next {
                        Some(next) => tokio::time::sleep_until(next).await,
                        // Only without a deadline: an interval past the clock's range.
                        None => std::future::pending().await,
                    }
                    if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                        return None;
                    }
                    deadline
                }
                None => *self
                    .deadline
                    .insert(Instant::now().checked_add(self.max_wait)),
            };
            let poll = (self.poll)();
            // The wait bounds the poll too: a server that stalls cannot hold the watch.
            let answer = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, poll).await.ok()?,
                None => poll.await,
            };
            let item = match answer {
                Ok(item) => item,
                Err(error) => {
                    self.ended = true;
                    return Some((Err(error), self));
                }
            };
            self.ended = item.is_final();
            if self.last.as_ref() != Some(item.status()) {
                self.last = Some(item.status().clone());
                return Some((Ok(item), self));
            }
            if self.ended {
                return None;
            }
        }
    }
}

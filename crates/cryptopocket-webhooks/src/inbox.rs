//! The inbox protocol: claim → handle → complete, with a lease.

use std::time::Duration;

use futures::future::BoxFuture;

use crate::DeliveryKey;

/// Where deliveries are remembered so that each event is applied once.
///
/// One protocol, whatever the store:
///
/// 1. [`claim`](Inbox::claim) the event's [`DeliveryKey`] for a lease. The answer is
///    - [`Claim::Acquired`]: nobody has applied it and nobody holds it (or the holder's lease
///      ran out: it crashed or hung, and this claim takes over); run the handler;
///    - [`Claim::Done`]: it was applied already; acknowledge without running user code;
///    - [`Claim::Busy`]: another receiver is applying it right now; answer with a retryable
///      status and let the sender come back.
/// 2. run the user's handler;
/// 3. on success [`complete`](Inbox::complete) the claim (the key is then done for ever); on
///    failure [`release`](Inbox::release) it, so that the sender's redelivery runs it again.
///
/// Completing or releasing checks the claim's [`Lease::token`]: a holder whose lease ran out
/// and was taken over gets [`InboxError::LeaseLost`] and changes nothing.
///
/// The methods return boxed futures so that `Arc<dyn Inbox>` works, and a store can be chosen
/// at run time (`--store sqlite:PATH | postgres:URL`).
pub trait Inbox: Send + Sync + 'static {
    /// Tries to take `key` for `lease`.
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, InboxError>>;

    /// Marks the claimed key done. [`InboxError::LeaseLost`] when the lease was taken over.
    fn complete<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>>;

    /// Gives the claim up so the next delivery of the key runs the handler.
    /// [`InboxError::LeaseLost`] when the lease was taken over already.
    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>>;

    /// How many keys are done; for drills, tests and health pages.
    fn done_count(&self) -> BoxFuture<'_, Result<u64, InboxError>>;
}

/// The answer to [`Inbox::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the key until [`Lease`]'s deadline: run the handler.
    Acquired(Lease),
    /// The key was completed before: acknowledge, do not run the handler.
    Done,
    /// Another receiver holds the key; its lease runs out in `retry_after` at the latest.
    Busy {
        /// How long the current holder's lease still runs (at least one second).
        retry_after: Duration,
    },
}

/// A held claim: the key, and the token that proves this holder still holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The key claimed.
    pub key: DeliveryKey,
    /// A random token, new for every claim; complete and release compare it.
    pub token: i64,
    /// How many times the key has been claimed, this claim included (1 on the first
    /// delivery; more after a handler failure, a crash or a hang).
    pub attempt: u32,
}

impl Lease {
    pub(crate) fn new(key: &DeliveryKey, attempt: u32) -> Self {
        Self {
            key: key.clone(),
            token: fastrand::i64(1..i64::MAX),
            attempt,
        }
    }
}

/// Why an inbox operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The claim's lease ran out and another receiver took the key over; this holder must not
    /// complete it (in transactional mode its work was rolled back).
    #[error("the inbox claim's lease ran out and another receiver took the delivery over")]
    LeaseLost,
    /// The store failed (a database error, a poisoned lock, a closed pool).
    #[error("the webhook inbox store failed: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl InboxError {
    pub(crate) fn store(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Store(Box::new(error))
    }
}

/// A retry-after of at least a second, rounded up: the header carries whole seconds.
pub(crate) fn at_least_a_second(remaining: Duration) -> Duration {
    let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}

/// Milliseconds of a lease, for stores that keep integers.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn millis(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)
}

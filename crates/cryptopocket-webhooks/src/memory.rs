//! The in-memory inbox: tests and a single process that may forget on restart.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::DeliveryKey;
use crate::inbox::{Claim, Inbox, InboxError, Lease, at_least_a_second};

/// An [`Inbox`] in a `HashMap`: correct within one process, forgotten when it stops.
///
/// For tests, and for a single process whose handlers are idempotent across restarts anyway.
/// Use `SqliteInbox` (feature `sqlite`) to survive a restart, or
/// `PostgresInbox` (feature `postgres`) for several replicas.
#[derive(Debug, Default)]
pub struct MemoryInbox {
    entries: Mutex<HashMap<DeliveryKey, Entry>>,
}

#[derive(Debug)]
enum Entry {
    Claimed {
        token: i64,
        until: Instant,
        attempts: u32,
    },
    Done,
}

impl MemoryInbox {
    /// An empty inbox.
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<DeliveryKey, Entry>> {
        // Every critical section leaves the map consistent, so a panic elsewhere does not
        // make it unusable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn claim_now(&self, key: &DeliveryKey, lease: Duration) -> Claim {
        let now = Instant::now();
        let mut entries = self.entries();
        let attempt = match entries.get(key) {
            None => 1,
            Some(Entry::Done) => return Claim::Done,
            Some(Entry::Claimed {
                until, attempts, ..
            }) => {
                if *until > now {
                    return Claim::Busy {
                        retry_after: at_least_a_second(*until - now),
                    };
                }
                attempts + 1
            }
        };
        let held = Lease::new(key, attempt);
        entries.insert(
            key.clone(),
            Entry::Claimed {
                token: held.token,
                until: now + lease,
                attempts: attempt,
            },
        );
        Claim::Acquired(held)
    }

    fn finish(&self, lease: &Lease, complete: bool) -> Result<(), InboxError> {
        let mut entries = self.entries();
        match entries.get_mut(&lease.key) {
            Some(entry @ Entry::Claimed { .. }) => {
                let Entry::Claimed { token, until, .. } = entry else {
                    unreachable!("matched just above")
                };
                if *token != lease.token {
                    return Err(InboxError::LeaseLost);
                }
                if complete {
                    *entry = Entry::Done;
                } else {
                    // Released: expired at once, the attempt count kept.
                    *until = Instant::now();
                    *token = 0;
                }
                Ok(())
            }
            _ => Err(InboxError::LeaseLost),
        }
    }
}

impl Inbox for MemoryInbox {
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, InboxError>> {
        Box::pin(async move { Ok(self.claim_now(key, lease)) })
    }

    fn complete<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(async move { self.finish(lease, true) })
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(async move { self.finish(lease, false) })
    }

    fn done_count(&self) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(async move {
            let done = self
                .entries()
                .values()
                .filter(|e| matches!(e, Entry::Done))
                .count();
            Ok(done as u64)
        })
    }
}

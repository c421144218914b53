//! The SQLite inbox: one machine, a file that survives restarts.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::DeliveryKey;
use crate::inbox::{Claim, Inbox, InboxError, Lease, at_least_a_second, millis};

/// The schema, run by [`SqliteInbox::open`]; also `migrations/sqlite.sql` in the crate.
pub const SQLITE_MIGRATION: &str = include_str!("../migrations/sqlite.sql");

/// An [`Inbox`] in an SQLite file: the embedded default for a service on one machine.
///
/// Claims survive a restart (a claim whose holder died expires after its lease and is taken
/// over), and several processes on the same machine may share the file: every claim is one
/// `BEGIN IMMEDIATE` transaction, and the file is in WAL mode with a busy timeout. Calls run
/// on Tokio's blocking pool, so the async executor never waits on the disk.
#[derive(Clone)]
pub struct SqliteInbox {
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteInbox").finish_non_exhaustive()
    }
}

impl SqliteInbox {
    /// Opens (or creates) the database file and runs the migration.
    ///
    /// # Errors
    ///
    /// [`InboxError::Store`] when the file cannot be opened or the schema cannot be created.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, InboxError> {
        let connection = Connection::open(path).map_err(InboxError::store)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(InboxError::store)?;
        Self::from_connection(connection)
    }

    /// An inbox in a private in-memory database (tests).
    ///
    /// # Errors
    ///
    /// [`InboxError::Store`] when SQLite cannot create the schema.
    pub fn in_memory() -> Result<Self, InboxError> {
        Self::from_connection(Connection::open_in_memory().map_err(InboxError::store)?)
    }

    /// Wraps an open connection, sets a busy timeout and runs the migration.
    ///
    /// # Errors
    ///
    /// [`InboxError::Store`] when the schema cannot be created.
    pub fn from_connection(connection: Connection) -> Result<Self, InboxError> {
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(InboxError::store)?;
        connection
            .execute_batch(SQLITE_MIGRATION)
            .map_err(InboxError::store)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, InboxError> + Send + 'static,
    ) -> Result<T, InboxError> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = connection
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut connection)
        })
        .await
        .map_err(InboxError::store)?
    }

    async fn finish(&self, lease: &Lease, complete: bool) -> Result<(), InboxError> {
        let key = lease.key.as_str().to_owned();
        let token = lease.token;
        self.with(move |c| {
            let sql = if complete {
                "UPDATE cryptopocket_webhook_inbox
                    SET state = 'done', claim_token = NULL, done_at_ms = ?3
                  WHERE delivery_key = ?1 AND claim_token = ?2 AND state = 'claimed'"
            } else {
                "UPDATE cryptopocket_webhook_inbox
                    SET claim_token = NULL, lease_until_ms = 0
                  WHERE delivery_key = ?1 AND claim_token = ?2 AND state = 'claimed'"
            };
            let changed = if complete {
                c.execute(sql, params![key, token, now_ms()])
            } else {
                c.execute(sql, params![key, token])
            }
            .map_err(InboxError::store)?;
            if changed == 1 {
                Ok(())
            } else {
                Err(InboxError::LeaseLost)
            }
        })
        .await
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn claim_in(c: &mut Connection, key: &DeliveryKey, lease: Duration) -> rusqlite::Result<Claim> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = now_ms();
    let row: Option<(String, i64, u32)> = tx
        .query_row(
            "SELECT state, lease_until_ms, attempts FROM cryptopocket_webhook_inbox
              WHERE delivery_key = ?1",
            params![key.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let attempt = match row {
        Some((state, _, _)) if state == "done" => return Ok(Claim::Done),
        Some((_, until, _)) if until > now => {
            let left = u64::try_from(until - now).unwrap_or(0);
            return Ok(Claim::Busy {
                retry_after: at_least_a_second(Duration::from_millis(left)),
            });
        }
        Some((_, _, attempts)) => attempts + 1,
        None => 1,
    };
    let held = Lease::new(key, attempt);
    let until = now.saturating_add(millis(lease));
    tx.execute(
        "INSERT INTO cryptopocket_webhook_inbox
             (delivery_key, event_kind, object_id, status, state, claim_token, lease_until_ms,
              attempts, first_seen_ms)
         VALUES (?1, ?2, ?3, ?4, 'claimed', ?5, ?6, ?7, ?8)
         ON CONFLICT (delivery_key) DO UPDATE
            SET claim_token = excluded.claim_token, lease_until_ms = excluded.lease_until_ms,
                attempts = excluded.attempts",
        params![
            key.as_str(),
            key.kind(),
            key.object_id(),
            key.status(),
            held.token,
            until,
            attempt,
            now
        ],
    )?;
    tx.commit()?;
    Ok(Claim::Acquired(held))
}

impl Inbox for SqliteInbox {
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, InboxError>> {
        let key = key.clone();
        Box::pin(self.with(move |c| claim_in(c, &key, lease).map_err(InboxError::store)))
    }

    fn complete<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(self.finish(lease, true))
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(self.finish(lease, false))
    }

    fn done_count(&self) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(self.with(|c| {
            c.query_row(
                "SELECT count(*) FROM cryptopocket_webhook_inbox WHERE state = 'done'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(InboxError::store)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        let key = DeliveryKey::new("PAY_IN", "p1", "payment_received");
        {
            let inbox = SqliteInbox::open(&path).unwrap();
            let Claim::Acquired(lease) = inbox.claim(&key, Duration::from_secs(30)).await.unwrap()
            else {
                panic!("first claim")
            };
            inbox.complete(&lease).await.unwrap();
        }
        let inbox = SqliteInbox::open(&path).unwrap();
        assert_eq!(
            inbox.claim(&key, Duration::from_secs(30)).await.unwrap(),
            Claim::Done
        );
        assert_eq!(inbox.done_count().await.unwrap(), 1);
    }
}

//! The PostgreSQL inbox: several replicas, claim/lease mode and transactional mode.

use std::time::Duration;

use deadpool_postgres::{Manager, Pool};
use futures::future::BoxFuture;
use tokio_postgres::{NoTls, Transaction};

use crate::DeliveryKey;
use crate::endpoint::{Delivery, Outcome, guarded, release};
use crate::inbox::{Claim, Inbox, InboxError, Lease, at_least_a_second, millis};
use crate::receiver::BoxError;

/// The schema, run by [`PostgresInbox::migrate`]; also `migrations/postgres.sql` in the crate.
pub const POSTGRES_MIGRATION: &str = include_str!("../migrations/postgres.sql");

/// Serialises concurrent migrations: `CREATE TABLE IF NOT EXISTS` alone can fail when two
/// replicas start at the same moment.
const MIGRATION_LOCK: i64 = 0x4350_5748_4F4F_4B53; // "CPWHOOKS"

/// An [`Inbox`] in PostgreSQL, shared by every replica of a service.
///
/// Two modes:
///
/// - **claim/lease** ([`EndpointBuilder::inbox`](crate::EndpointBuilder::inbox) then
///   [`handle`](crate::EndpointBuilder::handle)), for effects outside this database (an
///   e-mail, another API): each claim is one statement, leases are compared with the
///   database's clock;
/// - **transactional**
///   ([`handle_in_transaction`](crate::EndpointBuilder::handle_in_transaction)), for effects
///   kept in this database: the handler gets a transaction, and the inbox's "done" mark is
///   written in it, fenced by the claim's token. The user's rows and the mark commit
///   together or not at all, so even a handler that outlives its lease (and is taken over)
///   cannot apply an event twice.
///
/// Connections come from a `deadpool-postgres` pool.
#[derive(Clone)]
pub struct PostgresInbox {
    pool: Pool,
}

impl std::fmt::Debug for PostgresInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresInbox")
            .field("pool", &self.pool.status())
            .finish()
    }
}

/// User code that applies an event inside the inbox's transaction; see
/// [`handle_in_transaction`](crate::EndpointBuilder::handle_in_transaction).
pub trait TransactionalHandler: Send + Sync + 'static {
    /// Applies the event with `transaction`; do not commit it, the inbox does.
    fn handle<'t>(
        &'t self,
        delivery: Delivery,
        transaction: &'t Transaction<'t>,
    ) -> BoxFuture<'t, Result<(), BoxError>>;
}

impl<F> TransactionalHandler for F
where
    F: for<'t> Fn(Delivery, &'t Transaction<'t>) -> BoxFuture<'t, Result<(), BoxError>>
        + Send
        + Sync
        + 'static,
{
    fn handle<'t>(
        &'t self,
        delivery: Delivery,
        transaction: &'t Transaction<'t>,
    ) -> BoxFuture<'t, Result<(), BoxError>> {
        self(delivery, transaction)
    }
}

impl PostgresInbox {
    /// A pool of up to `max_connections` connections to `url`
    /// (`postgres://user@host:port/db` or `host=… port=…`), without TLS, and the migration run.
    ///
    /// # Errors
    ///
    /// [`InboxError::Store`] when the URL is not one or the database cannot be reached.
    pub async fn connect(url: &str, max_connections: usize) -> Result<Self, InboxError> {
        let config: tokio_postgres::Config = url.parse().map_err(InboxError::store)?;
        let pool = Pool::builder(Manager::new(config, NoTls))
            .max_size(max_connections.max(1))
            .build()
            .map_err(InboxError::store)?;
        let inbox = Self::from_pool(pool);
        inbox.migrate().await?;
        Ok(inbox)
    }

    /// Wraps an existing pool (for TLS or custom settings); call [`migrate`](Self::migrate)
    /// unless the schema is managed elsewhere.
    pub fn from_pool(pool: Pool) -> Self {
        Self { pool }
    }

    /// The pool, for the service's own queries.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Creates the inbox table if missing ([`POSTGRES_MIGRATION`]), under an advisory lock so
    /// that replicas starting together do not collide.
    ///
    /// # Errors
    ///
    /// [`InboxError::Store`] on any database error.
    pub async fn migrate(&self) -> Result<(), InboxError> {
        let mut client = self.pool.get().await.map_err(InboxError::store)?;
        let tx = client.transaction().await.map_err(InboxError::store)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(InboxError::store)?;
        tx.batch_execute(POSTGRES_MIGRATION)
            .await
            .map_err(InboxError::store)?;
        tx.commit().await.map_err(InboxError::store)
    }

    async fn claim_now(&self, key: &DeliveryKey, lease: Duration) -> Result<Claim, InboxError> {
        let client = self.pool.get().await.map_err(InboxError::store)?;
        let token = fastrand::i64(1..i64::MAX);
        let ms = millis(lease);
        let row = client
            .query_opt(
                "INSERT INTO cryptopocket_webhook_inbox AS i
                     (delivery_key, event_kind, object_id, status, state, claim_token,
                      lease_until, attempts)
                 VALUES ($1, $2, $3, $4, 'claimed', $5,
                         clock_timestamp() + $6::bigint * interval '1 millisecond', 1)
                 ON CONFLICT (delivery_key) DO UPDATE
                    SET claim_token = EXCLUDED.claim_token, lease_until = EXCLUDED.lease_until,
                        attempts = i.attempts + 1
                  WHERE i.state = 'claimed' AND i.lease_until <= clock_timestamp()
                 RETURNING i.attempts",
                &[
                    &key.as_str(),
                    &key.kind(),
                    &key.object_id(),
                    &key.status(),
                    &token,
                    &ms,
                ],
            )
            .await
            .map_err(InboxError::store)?;
        if let Some(row) = row {
            let attempts: i32 = row.get(0);
            return Ok(Claim::Acquired(Lease {
                key: key.clone(),
                token,
                attempt: u32::try_from(attempts).unwrap_or(1),
            }));
        }
        let row = client
            .query_opt(
                "SELECT state,
                        GREATEST(0, (EXTRACT(EPOCH FROM lease_until - clock_timestamp()) * 1000))::bigint
                   FROM cryptopocket_webhook_inbox WHERE delivery_key = $1",
                &[&key.as_str()],
            )
            .await
            .map_err(InboxError::store)?;
        Ok(match row {
            Some(row) if row.get::<_, &str>(0) == "done" => Claim::Done,
            Some(row) => Claim::Busy {
                retry_after: at_least_a_second(Duration::from_millis(
                    u64::try_from(row.get::<_, i64>(1)).unwrap_or(0),
                )),
            },
            // Raced with a release between the two statements: come back shortly.
            None => Claim::Busy {
                retry_after: Duration::from_secs(1),
            },
        })
    }

    async fn finish(&self, lease: &Lease, complete: bool) -> Result<(), InboxError> {
        let client = self.pool.get().await.map_err(InboxError::store)?;
        let sql = if complete {
            COMPLETE_SQL
        } else {
            "UPDATE cryptopocket_webhook_inbox
                SET claim_token = NULL, lease_until = to_timestamp(0)
              WHERE delivery_key = $1 AND claim_token = $2 AND state = 'claimed'"
        };
        let changed = client
            .execute(sql, &[&lease.key.as_str(), &lease.token])
            .await
            .map_err(InboxError::store)?;
        if changed == 1 {
            Ok(())
        } else {
            Err(InboxError::LeaseLost)
        }
    }

    /// Transactional mode: runs `handler` in a transaction that also marks `held`'s key done,
    /// fenced by its token, and commits both or neither.
    pub(crate) async fn apply(
        &self,
        held: &Lease,
        delivery: Delivery,
        handler: &dyn TransactionalHandler,
        deadline: Duration,
    ) -> Outcome {
        let key = held.key.clone();
        let attempt = held.attempt;
        let mut client = match self.pool.get().await {
            Ok(client) => client,
            Err(e) => {
                release(self, held).await;
                return Outcome::StoreFailed {
                    error: InboxError::store(e),
                };
            }
        };
        let tx = match client.transaction().await {
            Ok(tx) => tx,
            Err(e) => {
                release(self, held).await;
                return Outcome::StoreFailed {
                    error: InboxError::store(e),
                };
            }
        };
        let ran = tokio::time::timeout(deadline, guarded(handler.handle(delivery, &tx))).await;
        let failure = match ran {
            Ok(Ok(())) => {
                // The fence: only the current holder's token marks the key done. A holder whose
                // lease was taken over matches no row, and its work is rolled back.
                match tx
                    .execute(COMPLETE_SQL, &[&key.as_str(), &held.token])
                    .await
                {
                    Ok(1) => match tx.commit().await {
                        Ok(()) => return Outcome::Applied { key, attempt },
                        Err(e) => Outcome::StoreFailed {
                            error: InboxError::store(e),
                        },
                    },
                    Ok(_) => {
                        tx.rollback().await.ok();
                        return Outcome::LeaseLost {
                            key,
                            rolled_back: true,
                        };
                    }
                    Err(e) => {
                        tx.rollback().await.ok();
                        Outcome::StoreFailed {
                            error: InboxError::store(e),
                        }
                    }
                }
            }
            Ok(Err(error)) => {
                tx.rollback().await.ok();
                Outcome::HandlerFailed { key, error }
            }
            Err(_) => {
                tx.rollback().await.ok();
                Outcome::TimedOut { key }
            }
        };
        drop(client);
        release(self, held).await;
        failure
    }
}

const COMPLETE_SQL: &str = "UPDATE cryptopocket_webhook_inbox
    SET state = 'done', claim_token = NULL, done_at = clock_timestamp()
  WHERE delivery_key = $1 AND claim_token = $2 AND state = 'claimed'";

impl Inbox for PostgresInbox {
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, InboxError>> {
        Box::pin(self.claim_now(key, lease))
    }

    fn complete<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(self.finish(lease, true))
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), InboxError>> {
        Box::pin(self.finish(lease, false))
    }

    fn done_count(&self) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(InboxError::store)?;
            let row = client
                .query_one(
                    "SELECT count(*) FROM cryptopocket_webhook_inbox WHERE state = 'done'",
                    &[],
                )
                .await
                .map_err(InboxError::store)?;
            Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
        })
    }
}

#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "axum")]
mod axum;
mod endpoint;
mod inbox;
mod key;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod receiver;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "axum")]
pub use crate::axum::VerifiedEvent;
pub use endpoint::{
    DEFAULT_LEASE, Delivery, EndpointBuilder, EndpointStats, Handler, Outcome, WebhookEndpoint,
};
pub use inbox::{Claim, Inbox, InboxError, Lease};
pub use key::DeliveryKey;
pub use memory::MemoryInbox;
#[cfg(feature = "postgres")]
pub use postgres::{POSTGRES_MIGRATION, PostgresInbox, TransactionalHandler};
pub use receiver::{
    BoxError, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY_BYTES, Rejection, Verified, WebhookReceiver,
};
#[cfg(feature = "sqlite")]
pub use sqlite::{SQLITE_MIGRATION, SqliteInbox};

/// The connection pool [`PostgresInbox`] uses.
#[cfg(feature = "postgres")]
pub use deadpool_postgres;
/// The SQLite driver [`SqliteInbox`] uses.
#[cfg(feature = "sqlite")]
pub use rusqlite;
/// The PostgreSQL driver this crate uses, for the transactional handler's `Transaction`.
#[cfg(feature = "postgres")]
pub use tokio_postgres;

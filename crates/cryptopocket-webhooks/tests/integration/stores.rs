//! The inbox protocol, the same on every store.

use std::time::Duration;

use cryptopocket_webhooks::{
    Claim, DeliveryKey, Inbox, InboxError, MemoryInbox, PostgresInbox, SqliteInbox,
};

use crate::support::fresh_database;

async fn protocol(inbox: &dyn Inbox) {
    let long = Duration::from_secs(30);
    let key = DeliveryKey::new(
        "COINS_SENT",
        format!("pay-{}", fastrand::u64(..)),
        "coins_sent",
    );

    // First claim: acquired; a second one while it is held: busy, with a retry-after.
    let Claim::Acquired(first) = inbox.claim(&key, long).await.unwrap() else {
        panic!("the first claim is acquired")
    };
    assert_eq!(first.attempt, 1);
    match inbox.claim(&key, long).await.unwrap() {
        Claim::Busy { retry_after } => {
            assert!(
                retry_after >= Duration::from_secs(1) && retry_after <= long,
                "{retry_after:?}"
            );
        }
        other => panic!("expected busy, got {other:?}"),
    }

    // A handler error releases it: the next delivery runs it again.
    inbox.release(&first).await.unwrap();
    let Claim::Acquired(second) = inbox.claim(&key, long).await.unwrap() else {
        panic!("a released claim is acquired again")
    };
    assert_eq!(second.attempt, 2);
    assert!(matches!(
        inbox.release(&first).await,
        Err(InboxError::LeaseLost)
    ));

    // A holder that crashed: its lease runs out and the key is taken over.
    inbox.release(&second).await.unwrap();
    let Claim::Acquired(crashed) = inbox.claim(&key, Duration::from_millis(200)).await.unwrap()
    else {
        panic!("claim")
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    let Claim::Acquired(taker) = inbox.claim(&key, long).await.unwrap() else {
        panic!("an expired claim is taken over")
    };
    assert_eq!(taker.attempt, 4);
    // The crashed holder comes back: it can neither complete nor release.
    assert!(matches!(
        inbox.complete(&crashed).await,
        Err(InboxError::LeaseLost)
    ));
    assert!(matches!(
        inbox.release(&crashed).await,
        Err(InboxError::LeaseLost)
    ));

    // Completed: every later delivery is a duplicate.
    let before = inbox.done_count().await.unwrap();
    inbox.complete(&taker).await.unwrap();
    assert_eq!(inbox.claim(&key, long).await.unwrap(), Claim::Done);
    assert_eq!(inbox.claim(&key, long).await.unwrap(), Claim::Done);
    assert_eq!(inbox.done_count().await.unwrap(), before + 1);
    assert!(matches!(
        inbox.complete(&taker).await,
        Err(InboxError::LeaseLost)
    ));
}

#[tokio::test]
async fn memory_follows_the_protocol() {
    protocol(&MemoryInbox::new()).await;
}

#[tokio::test]
async fn sqlite_follows_the_protocol() {
    let dir = tempfile::tempdir().unwrap();
    protocol(&SqliteInbox::open(dir.path().join("inbox.db")).unwrap()).await;
    protocol(&SqliteInbox::in_memory().unwrap()).await;
}

#[tokio::test]
async fn postgres_follows_the_protocol() {
    let url = fresh_database("protocol").await;
    let inbox = PostgresInbox::connect(&url, 4).await.unwrap();
    protocol(&inbox).await;
    // The migration runs again harmlessly (every replica runs it on start), even concurrently.
    let (a, b) = tokio::join!(
        PostgresInbox::connect(&url, 2),
        PostgresInbox::connect(&url, 2)
    );
    a.unwrap();
    b.unwrap();
}

#[tokio::test]
async fn sqlite_claims_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let key = DeliveryKey::new("PAY_IN", "p1", "payment_received");
    let held = {
        let inbox = SqliteInbox::open(&path).unwrap();
        let Claim::Acquired(held) = inbox.claim(&key, Duration::from_millis(300)).await.unwrap()
        else {
            panic!("claim")
        };
        held
        // The process "crashes" here, holding the claim.
    };
    let inbox = SqliteInbox::open(&path).unwrap();
    assert!(matches!(
        inbox.claim(&key, Duration::from_secs(5)).await.unwrap(),
        Claim::Busy { .. }
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let Claim::Acquired(after) = inbox.claim(&key, Duration::from_secs(5)).await.unwrap() else {
        panic!("taken over after the restart")
    };
    assert_eq!(after.attempt, 2);
    assert!(matches!(
        inbox.complete(&held).await,
        Err(InboxError::LeaseLost)
    ));
    inbox.complete(&after).await.unwrap();
}

/// The migrations are plain SQL a user can run themselves (idempotently), then hand the
/// inbox a pool or a connection without it migrating again.
#[tokio::test]
async fn the_migrations_can_be_run_by_hand() {
    use cryptopocket_webhooks::deadpool_postgres::{Manager, Pool};
    use cryptopocket_webhooks::tokio_postgres::{self, NoTls};
    use cryptopocket_webhooks::{POSTGRES_MIGRATION, SQLITE_MIGRATION, rusqlite};

    assert_eq!(
        POSTGRES_MIGRATION,
        include_str!("../../migrations/postgres.sql")
    );
    let url = fresh_database("by_hand").await;
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute(POSTGRES_MIGRATION).await.unwrap();
    client.batch_execute(POSTGRES_MIGRATION).await.unwrap();
    let pool = Pool::builder(Manager::new(url.parse().unwrap(), NoTls))
        .max_size(2)
        .build()
        .unwrap();
    protocol(&PostgresInbox::from_pool(pool)).await;

    let dir = tempfile::tempdir().unwrap();
    let connection = rusqlite::Connection::open(dir.path().join("by_hand.db")).unwrap();
    connection.execute_batch(SQLITE_MIGRATION).unwrap();
    connection.execute_batch(SQLITE_MIGRATION).unwrap();
    protocol(&SqliteInbox::from_connection(connection).unwrap()).await;
}

-- cryptopocket-webhooks: the webhook inbox, SQLite.
--
-- One row per delivery identity (see `DeliveryKey`): claimed while a receiver applies the
-- event, done once it has. Idempotent: `SqliteInbox::open` runs it on every start, and it can
-- be run by hand:  sqlite3 webhooks.db < migrations/sqlite.sql
CREATE TABLE IF NOT EXISTS cryptopocket_webhook_inbox (
    -- JSON array ["KIND","object id","status"]; the legacy RAMPOFF_FINISHED is folded into
    -- TRANSFER_RAMPOFF_FINISHED.
    delivery_key   TEXT    PRIMARY KEY,
    event_kind     TEXT    NOT NULL,
    object_id      TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('claimed', 'done')),
    -- The current holder's random token; NULL once done or released.
    claim_token    INTEGER,
    -- Unix milliseconds until which the holder's claim stands; 0 once released.
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    -- Claims made, takeovers and retries after a handler error included.
    attempts       INTEGER NOT NULL DEFAULT 0,
    first_seen_ms  INTEGER NOT NULL,
    done_at_ms     INTEGER
);

-- cryptopocket-webhooks: the webhook inbox, PostgreSQL.
--
-- One row per delivery identity (see `DeliveryKey`): claimed while a receiver applies the
-- event, done once it has. Leases are compared with the database server's clock, so replicas
-- with skewed clocks still agree. Idempotent: `PostgresInbox::migrate` runs it, and it can be
-- run by hand:  psql "$DATABASE_URL" -f migrations/postgres.sql
CREATE TABLE IF NOT EXISTS cryptopocket_webhook_inbox (
    -- JSON array ["KIND","object id","status"]; the legacy RAMPOFF_FINISHED is folded into
    -- TRANSFER_RAMPOFF_FINISHED.
    delivery_key text        PRIMARY KEY,
    event_kind   text        NOT NULL,
    object_id    text        NOT NULL,
    status       text        NOT NULL,
    state        text        NOT NULL CHECK (state IN ('claimed', 'done')),
    -- The current holder's random token; NULL once done or released.
    claim_token  bigint,
    -- Until when the holder's claim stands; the epoch once released.
    lease_until  timestamptz NOT NULL,
    -- Claims made, takeovers and retries after a handler error included.
    attempts     integer     NOT NULL DEFAULT 0,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz
);

//! cryptopocket-webhooks' integration tests, one binary:
//!
//! - `endpoint`: verification and every status code through the endpoint and the extractor,
//!   over real HTTP;
//! - `hostile`: a sender whose body stalls or trickles is answered 408 at the body timeout;
//! - `stores`: the inbox protocol (claim, busy, release, complete, lease takeover) on every
//!   store;
//! - `drills`: the sandbox delivering real events with duplicates, the legacy pair, failing,
//!   hanging and dying handlers, per store, and two PostgreSQL receivers sharing a database;
//! - `sandbox_drills`: the sandbox's own drills (deliver twice, two subscriber URLs, redeliver
//!   all) against one inbox, memory and SQLite.
//!
//! The PostgreSQL tests need `CRYPTOPOCKET_TEST_POSTGRES_URL` (`cargo xtask test` sets it) and
//! fail without it. `cargo test -p cryptopocket-webhooks -- --nocapture` prints the drills'
//! figures (lines starting `DRILL` and `THROUGHPUT`).

mod drill;
mod drills;
mod endpoint;
mod hostile;
mod hostile2;
mod sandbox_drills;
mod stores;
mod support;

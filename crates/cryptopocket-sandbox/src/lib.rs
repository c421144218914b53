//! A local, stateful CryptoPocket server for offline development and tests.
//!
//! It answers the 26 operations of `openapi/cryptopocket.yaml` with the documented
//! envelopes and quirks (`sucess`, cents in Retrieve payment, a string `user_id`, decimal
//! strings in off-ramp status), keeps customers, payments, off-ramps and bank accounts in
//! memory, moves them along the documented status flows on a virtual clock, raises the
//! documented business errors under rules a test can trigger, and posts signed webhooks to
//! subscribers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use cryptopocket_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;      // port 0, random credentials, manual clock
//! let base_url = sandbox.base_url();          // http://127.0.0.1:PORT/api
//! // ... point a client at base_url with sandbox.api_key() / sandbox.api_secret() ...
//! let control = sandbox.control();
//! control.advance(Duration::from_secs(60));   // KYC decided, due payments move on
//! control.settle().await;                     // webhooks delivered
//! # Ok(()) }
//! ```
//!
//! The rules that make each documented error happen (a disposable e-mail domain, an
//! amount under the minimum, …) are listed in the README's "Sandbox rules" table.
//!
//! Standalone: `cargo run -p cryptopocket-sandbox -- --port 8080` (or
//! `cryptopocket sandbox serve --port 8080`) prints the environment a client needs; both take
//! the flags of [`SandboxArgs`].
//!
//! ---
//!
//! The guide below is the crate's README.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod api;
mod args;
mod catalogue;
mod clock;
mod config;
mod connections;
mod control;
mod input;
mod remote;
mod reply;
mod server;
mod webhooks;
mod world;

pub use args::SandboxArgs;
pub use config::{ClockMode, Limits, SandboxConfig, Schedule};
pub use control::{Control, ControlError, Exchange, Stats};
pub use remote::{DrillSettings, Redelivery, RemoteControl, RemoteError};
pub use server::Sandbox;
pub use webhooks::{Delivery, DeliveryOutcome, sign};

/// The `operationId` of every operation the sandbox serves, in the spec's order.
pub fn operation_ids() -> impl Iterator<Item = &'static str> {
    api::OPERATIONS.iter().map(|op| op.id())
}

//! Rust client for the [CryptoPocket API](https://api-doc.cryptopocket.io): crypto on-ramp
//! and off-ramp for businesses.
//!
//! It sits on the generated `cryptopocket-api` crate and adds what the raw API leaves to you.
//! It holds the token, turns the HTTP-200 error envelope into [`Error`], converts cents,
//! decimal strings and base units into [`Decimal`](rust_decimal::Decimal) amounts, walks
//! paginated lists ([`pagination::List`]), verifies webhook deliveries, and retries only
//! what is safe to retry.
//!
//! # One shape for every area
//!
//! Each area is a handle from the client (`client.onramp()`, `client.customers()`, …) with
//! the same verbs: `get(&id)`, `list()` (a [`pagination::List`]: `.per_page(n)`, then
//! `.page(n)`, `.stream()` or `.try_collect()`), `create(&input)` and `quote(&input)`.
//! Inputs are builders whose constructor takes what is required and whose methods set the
//! rest; they are checked before anything is sent. Ids are passed by reference.
//!
//! # The buy flow
//!
//! Authenticate, register the customer, wait for KYC, quote, create a guided payment, and
//! follow it until the crypto is sent:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use cryptopocket::{
//!     Client,
//!     customers::NewCustomer,
//!     model::PaymentType,
//!     onramp::{NewGuidedPayment, QuoteRequest},
//!     watch::Outcome,
//! };
//! use futures::TryStreamExt as _;
//! use rust_decimal::Decimal;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Reads CRYPTOPOCKET_API_KEY, CRYPTOPOCKET_API_SECRET and CRYPTOPOCKET_BASE_URL. The
//! // first call authenticates; the token is cached and refreshed when refused.
//! let client = Client::from_env()?;
//!
//! // Register the customer and send them to the KYC form.
//! let customer = client
//!     .customers()
//!     .create(&NewCustomer::new("John", "john@example.com"))
//!     .await?;
//! println!("send the customer to {}", customer.kyc_form_url);
//!
//! // Wait until KYC is decided: a poll every 30 s for at most a day.
//! let kyc = client.kyc().watch(&customer.id).interval(Duration::from_secs(30));
//! let Outcome::Succeeded(_) = kyc.max_wait(Duration::from_secs(86_400)).until_final().await? else {
//!     return Err("KYC failed or was not decided in a day".into());
//! };
//!
//! // What does 100 EUR buy?
//! let quote = client
//!     .onramp()
//!     .quote(&QuoteRequest::new(Decimal::new(100, 0), "USDC", PaymentType::Card).chain("polygon"))
//!     .await?;
//! println!("100 EUR buys {} USDC", quote.coin_amount);
//!
//! // A guided payment: the customer picks the method and wallet on CryptoPocket's page.
//! let payment = client
//!     .onramp()
//!     .create_guided(
//!         &NewGuidedPayment::new(&customer.id, Decimal::new(100, 0), "USDC", "polygon")
//!             .external_id("order-001"),
//!     )
//!     .await?;
//! println!("send the customer to {}", payment.gateway_url);
//!
//! // Follow it until the crypto is sent (or subscribe to COINS_SENT instead): each new
//! // status once, a poll every 10 s (the default wait is 10 minutes).
//! let watch = client.onramp().watch(&payment.payment_id);
//! let mut states = watch.interval(Duration::from_secs(10)).stream();
//! while let Some(state) = states.try_next().await? {
//!     println!("{}: {} EUR, {}", state.id, state.fiat_amount, state.status);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! Every call returns [`Error`]. The API's refusals (most arrive as HTTP 200) are
//! [`Error::Api`] with an [`ApiErrorCode`], and `require_kyc` carries the verification URL
//! ([`ApiError::verification_url`]). Laravel 422 bodies are [`Error::Validation`]. Transport,
//! timeouts, undocumented statuses and undecodable bodies have their own variants.
//!
//! # Results as JSON
//!
//! The typed results implement `serde::Serialize` for logs, queues and command lines:
//! amounts as decimal strings in the unit a person means (`"150.50"`, never cents),
//! statuses, codes and ids as the API spells them. `RegisteredCompany` does not, because
//! it holds the KYB password.
//!
//! # Testing offline
//!
//! The `cryptopocket-sandbox` crate of this workspace is a local, stateful CryptoPocket
//! server: point [`Environment::Custom`] at `Sandbox::base_url()` and move its clock from
//! the test. `cargo run --example buy_flow` shows the whole flow against it.
//!
//! # Money never moves twice
//!
//! Reads are retried on transient failures, with jittered backoff and `Retry-After`, within
//! the deadline. A call that creates something is never sent again once it may have reached
//! the server. The only replay is after the server refused the token
//! (`authorization_incorrect`). If a create fails with
//! [`Error::may_have_reached_server`], look the payment up by your `external_id`
//! ([`OnRamp::find_by_external_id`](onramp::OnRamp::find_by_external_id)) before creating
//! another.
//!
//! # Per-call options and hooks
//!
//! Each area handle takes a deadline and a retry policy for the calls made through it:
//! `client.onramp().with_timeout(Duration::from_secs(5)).get(&id)`,
//! `client.customers().with_retry(RetryPolicy::never())`. A
//! [`RequestHook`](api::RequestHook) of your own
//! ([`ClientBuilder::request_hook`]) sees every request just before it leaves.
//!
//! # Provenance
//!
//! About half of the API is documented. Every operation takes and returns this crate's own
//! types, whether its shape is documented or inferred; each type's docs say which of its
//! fields are documented and which are inferred, and the workspace README lists each
//! operation's provenance.
//!
//! The generated types ([`api::types`]) appear in no signature of this crate except
//! [`Client::raw`], the escape hatch: it gives the generated client, with the same token,
//! for a field this crate does not carry yet or an operation's wire shape.
//!
//! ---
//!
//! The guide below is the crate's README.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod assets;
mod auth;
pub mod bank_accounts;
mod call;
pub mod capture;
mod client;
mod config;
mod convert;
pub mod customers;
pub mod duration;
mod envelope;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
mod lenient;
pub mod model;
pub mod offramp;
pub mod onramp;
pub mod pagination;
#[cfg(test)]
mod public_api_tests;
mod redact;
mod retry;
pub mod subscriptions;
pub mod watch;
pub mod webhooks;

pub use capture::ENV_CAPTURE;
pub use client::Client;
pub use config::{
    ClientBuilder, ENV_ALLOW_HTTP_HOST, ENV_API_KEY, ENV_API_SECRET, ENV_BASE_URL,
    ENV_MAX_ATTEMPTS, ENV_TIMEOUT, Environment, MAX_TIMEOUT, SANDBOX_BASE_URL,
};
/// The generated low-level client and its types.
pub use cryptopocket_api as api;
pub use error::{ApiError, ConfigError, Error, ValidationError};
pub use model::ApiErrorCode;
pub use redact::Redactor;
pub use retry::RetryPolicy;

//! Webhook deliveries: verification, signing and typed events.
//!
//! CryptoPocket notifies a subscribed URL (see `subscribeToWebhook`) with a `POST` whose JSON
//! body describes the event and whose headers authenticate it:
//!
//! | Header | Content |
//! |---|---|
//! | `X-API-Key` | the integration's public API key: tells which `api_secret` to check with |
//! | `X-Signature` | HMAC-SHA256 of the raw body followed by the `X-Timestamp` text, keyed with `api_secret` |
//! | `X-Timestamp` | Unix time in seconds at which the delivery was signed |
//!
//! # Verifying a delivery
//!
//! [`WebhookVerifier`] performs these steps, in this order, and stops at the first failure:
//!
//! 1. read the three headers ([`DeliveryHeaders::from_header_map`]);
//! 2. if an expected API key was configured, compare `X-API-Key` with it;
//! 3. parse `X-Timestamp` as whole Unix seconds;
//! 4. refuse it if it is more than five minutes old, **or** more than five minutes in the
//!    future (the documentation only mentions old ones; the same window absorbs clock skew);
//! 5. decode `X-Signature` from hex (either case) or standard base64 (padded or not), since
//!    the encoding is undocumented;
//! 6. compute HMAC-SHA256 over the **raw body bytes as received** immediately followed by the
//!    `X-Timestamp` value exactly as sent (no separator), keyed with `api_secret`, and compare
//!    it with the decoded signature in constant time;
//! 7. only then parse the body into a [`WebhookEvent`].
//!
//! Pass the body bytes untouched: parsing the JSON and serialising it again changes spacing
//! and key order, and the signature will not match.
//!
//! Every failure is a distinct [`WebhookError`] variant. None of them carry the body or the
//! secret, so they are safe to log; answer the sender with a 4xx status.
//!
//! ```
//! use cryptopocket::webhooks::{WebhookEvent, WebhookSigner, WebhookVerifier};
//! use secrecy::SecretString;
//!
//! let body = br#"{"type":"COINS_SENT","payment_id":"pay_1","status":"coins_sent","txid":"0xabc"}"#;
//! // In a test, play CryptoPocket's part with the signer:
//! let headers = WebhookSigner::new("pk_1", SecretString::from("s3cr3t"))
//!     .sign(body, 1_700_000_000)
//!     .to_header_map();
//!
//! // In the receiving handler:
//! let verifier = WebhookVerifier::new(SecretString::from("s3cr3t"))
//!     .expect_api_key("pk_1")
//!     .clock(|| 1_700_000_100);
//! match verifier.verify_event(&headers, body)? {
//!     WebhookEvent::CoinsSent(event) => assert_eq!(event.txid.as_deref(), Some("0xabc")),
//!     other => panic!("unexpected event {other:?}"),
//! }
//! # Ok::<(), cryptopocket::webhooks::WebhookError>(())
//! ```
//!
//! # What is documented
//!
//! The event names, the three headers, the signed message and the five-minute limit are
//! documented. The signature encoding, the treatment of future timestamps and the **body
//! fields of every event are not**: [`PaymentEvent`] and [`OffRampEvent`] are inferred from
//! the other endpoints. They type every field the spec's inferred payload schemas name,
//! amounts as exact decimals; for anything else, parse the verified body again.

mod clock;
mod event;
mod sign;
mod verify;

pub use clock::{Clock, SystemClock};
pub use event::{OffRampEvent, PaymentEvent, WebhookEvent};
pub use sign::WebhookSigner;
pub use verify::{
    DEFAULT_TOLERANCE, DeliveryHeaders, HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP,
    WebhookVerifier,
};

use hmac::{Hmac, KeyInit as _};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;

/// Why a webhook delivery was refused.
///
/// Messages name the failed check and what to look at. They never contain the request body
/// or the `api_secret`, so they can be logged as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A signature header is absent, or its value is not valid UTF-8.
    #[error(
        "webhook delivery has no usable {0} header (absent or not UTF-8); check that the \
         proxy or framework in front of this handler passes request headers through"
    )]
    MissingHeader(&'static str),

    /// `X-API-Key` is not the key this verifier was configured to expect.
    #[error(
        "webhook X-API-Key does not match the expected API key; the delivery is for another \
         integration: check the key and use the api_secret that belongs to it"
    )]
    ApiKeyMismatch,

    /// `X-Timestamp` is not a Unix time in whole seconds (ASCII digits only).
    #[error("webhook X-Timestamp is not a Unix time in whole seconds (digits only)")]
    InvalidTimestamp,

    /// `X-Timestamp` is further in the past than the tolerance allows.
    #[error(
        "webhook delivery was signed {age_seconds} s ago, outside the allowed window; it may \
         be a replay, or this server's clock is wrong"
    )]
    Expired {
        /// How old the delivery is, in seconds.
        age_seconds: i64,
    },

    /// `X-Timestamp` is further in the future than the tolerance allows.
    #[error(
        "webhook X-Timestamp is {ahead_seconds} s in the future, outside the allowed window; \
         check this server's clock, and that the timestamp is in seconds, not milliseconds"
    )]
    FromTheFuture {
        /// How far ahead of the clock the delivery is, in seconds.
        ahead_seconds: i64,
    },

    /// `X-Signature` is not hex or base64 of a 32-byte HMAC-SHA256.
    #[error(
        "webhook X-Signature is not a hex or base64 HMAC-SHA256 (expected 64 hex digits or \
         44 base64 characters)"
    )]
    MalformedSignature,

    /// The signature does not match the body and timestamp.
    #[error(
        "webhook X-Signature does not match the body and X-Timestamp; check that the \
         api_secret belongs to the X-API-Key and that the raw body bytes are verified, not \
         re-serialised JSON"
    )]
    SignatureMismatch,

    /// The body is not the JSON the event type calls for.
    #[error("webhook body is not a valid event at `{path}`: {reason}")]
    InvalidPayload {
        /// Where in the JSON the problem is, e.g. `payment_id`, or `.` for the whole body.
        path: String,
        /// What was wrong, from the JSON decoder, with any quoted body content removed.
        reason: String,
    },
}

type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 instance keyed with the secret, ready for the message.
fn keyed_mac(secret: &SecretString) -> HmacSha256 {
    // HMAC is defined for keys of every length (long keys are hashed, short ones padded), so
    // this error is unreachable; `Hmac`'s own fixed-size `KeyInit::new` makes the same call.
    HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC-SHA256 accepts keys of any length")
}

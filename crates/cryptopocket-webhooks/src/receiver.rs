//! Reading, verifying and decoding one delivery, whatever the web framework.

use std::time::Duration;

use bytes::Bytes;
use cryptopocket::webhooks::{WebhookError, WebhookEvent, WebhookVerifier};
use http::{HeaderMap, StatusCode, header::CONTENT_LENGTH};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use crate::DeliveryKey;

/// The default cap on a delivery body: 64 KiB. CryptoPocket's payloads are well under 2 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// The default time a delivery's body may take to arrive once its headers have: 10 s.
/// CryptoPocket's payloads are well under 2 KiB; a body still arriving after that is a
/// sender holding the connection (and its buffer) open.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// An error type for boxed errors from user code and bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Reads a delivery's raw body under a cap, verifies it with a [`WebhookVerifier`] and
/// decodes the typed [`WebhookEvent`]. Cheap to clone.
///
/// The framework-free half of [`WebhookEndpoint`](crate::WebhookEndpoint), and the state the
/// axum [`VerifiedEvent`](crate::VerifiedEvent) extractor reads (via `FromRef`).
#[derive(Debug, Clone)]
pub struct WebhookReceiver {
    verifier: WebhookVerifier,
    max_body_bytes: usize,
    body_timeout: Duration,
}

/// A delivery that passed every check: its identity, its typed event and the raw body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verified {
    /// The identity the inbox deduplicates on.
    pub key: DeliveryKey,
    /// The decoded event.
    pub event: WebhookEvent,
    /// The body exactly as received and signed.
    pub body: Bytes,
}

/// Why a delivery was refused before any user code ran.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The body is longer than the cap: **413**.
    #[error("the webhook body is larger than {limit} bytes")]
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The body could not be read (the connection broke): **400**.
    #[error("the webhook body could not be read")]
    Unreadable,
    /// The body did not arrive whole within the body timeout: **408**.
    #[error("the webhook body did not arrive within {} ms", timeout.as_millis())]
    TimedOut {
        /// The body timeout.
        timeout: Duration,
    },
    /// A missing or wrong `X-API-Key`, `X-Signature` or `X-Timestamp`, or a timestamp outside
    /// the window: **401**. The sender is not who it says, or the delivery is a replay.
    #[error(transparent)]
    Unauthorized(WebhookError),
    /// The delivery is authentic but its body is not the JSON of an event: **400**. A retry
    /// of the same bytes cannot succeed.
    #[error(transparent)]
    BadPayload(WebhookError),
}

impl Rejection {
    /// The HTTP status the endpoint answers: 413, 408, 401 or 400.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Unreadable | Self::BadPayload(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn from_webhook(error: WebhookError) -> Self {
        // Every variant but the payload one is about who sent the delivery and when:
        // MissingHeader, ApiKeyMismatch, InvalidTimestamp, Expired, FromTheFuture,
        // MalformedSignature, SignatureMismatch. Anything added later is treated the same way,
        // because refusing an authentic delivery is retried while accepting a forged one is not
        // undone.
        match error {
            WebhookError::InvalidPayload { .. } => Self::BadPayload(error),
            other => Self::Unauthorized(other),
        }
    }
}

impl WebhookReceiver {
    /// A receiver with the [default cap](DEFAULT_MAX_BODY_BYTES) and
    /// [body timeout](DEFAULT_BODY_TIMEOUT).
    pub fn new(verifier: WebhookVerifier) -> Self {
        Self {
            verifier,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }

    /// Sets how long the body may take to arrive whole (default 10 s); a body that stalls
    /// or trickles past it is refused with 408, so that a sender cannot hold a connection
    /// and its buffer open for as long as it likes.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Sets the largest body read; a longer one is refused with 413 without being read whole.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The cap in bytes.
    pub fn limit(&self) -> usize {
        self.max_body_bytes
    }

    /// Reads `body` under the cap, then [`check`](Self::check)s it.
    ///
    /// # Errors
    ///
    /// A [`Rejection`], whose [`status`](Rejection::status) is the answer to send.
    pub async fn receive<B>(&self, headers: &HeaderMap, body: B) -> Result<Verified, Rejection>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<BoxError>,
    {
        let limit = self.max_body_bytes;
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Rejection::TooLarge { limit });
        }
        let timeout = self.body_timeout;
        let read = Limited::new(body, limit).collect();
        let bytes = match tokio::time::timeout(timeout, read).await {
            Err(_) => return Err(Rejection::TimedOut { timeout }),
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return Err(Rejection::TooLarge { limit });
            }
            Ok(Err(_)) => return Err(Rejection::Unreadable),
        };
        self.check(headers, bytes)
    }

    /// Verifies the headers and signature of a body already read, then decodes it.
    ///
    /// # Errors
    ///
    /// [`Rejection::TooLarge`] over the cap, [`Rejection::Unauthorized`] for any signature,
    /// key or window failure, [`Rejection::BadPayload`] for an authentic body that is not an
    /// event.
    pub fn check(&self, headers: &HeaderMap, body: Bytes) -> Result<Verified, Rejection> {
        if body.len() > self.max_body_bytes {
            return Err(Rejection::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        let event = self
            .verifier
            .verify_event(headers, &body)
            .map_err(Rejection::from_webhook)?;
        Ok(Verified {
            key: DeliveryKey::of(&event, &body),
            event,
            body,
        })
    }
}

/// A `Retry-After` value in whole seconds, at least one.
pub(crate) fn retry_after_secs(after: Duration) -> u64 {
    (after.as_secs() + u64::from(after.subsec_nanos() > 0)).max(1)
}

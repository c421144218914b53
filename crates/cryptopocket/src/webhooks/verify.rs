//! Checking that a delivery really comes from CryptoPocket.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hmac::Mac as _;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;

use super::clock::{Clock, SystemClock};
use super::event::WebhookEvent;
use super::{WebhookError, keyed_mac};

/// Name of the header carrying the integration's public API key.
pub const HEADER_API_KEY: &str = "X-API-Key";
/// Name of the header carrying the HMAC-SHA256 signature.
pub const HEADER_SIGNATURE: &str = "X-Signature";
/// Name of the header carrying the Unix time (seconds) at which the delivery was signed.
pub const HEADER_TIMESTAMP: &str = "X-Timestamp";

/// The default replay window: the documented five minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Bytes in an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;

/// Longest `X-Signature` worth decoding. A tag is 64 hex or 44 base64 characters; the margin
/// leaves room for whitespace while keeping a hostile multi-megabyte header from being decoded.
const MAX_SIGNATURE_LEN: usize = 128;

/// The three signature headers of a webhook delivery, as strings exactly as sent.
///
/// The values are kept verbatim because the timestamp is signed as text: re-formatting it (for
/// example dropping a leading zero) would break verification.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryHeaders {
    /// `X-API-Key`: the integration's public API key (not a secret).
    pub api_key: String,
    /// `X-Signature`: HMAC-SHA256 of the body followed by the timestamp, hex or base64.
    pub signature: String,
    /// `X-Timestamp`: Unix time in seconds, as sent.
    pub timestamp: String,
}

impl DeliveryHeaders {
    /// The three headers as received: `X-API-Key`, `X-Signature` and `X-Timestamp`, each
    /// verbatim.
    pub fn new(
        api_key: impl Into<String>,
        signature: impl Into<String>,
        timestamp: impl Into<String>,
    ) -> Self {
        Self {
            api_key: api_key.into(),
            signature: signature.into(),
            timestamp: timestamp.into(),
        }
    }

    /// Reads the three headers from an HTTP request's header map.
    ///
    /// Header names are matched case-insensitively. When a header appears more than once the
    /// first value is used; the signature check then decides whether it was the right one.
    ///
    /// # Errors
    ///
    /// [`WebhookError::MissingHeader`] naming the first header that is absent or not valid
    /// UTF-8 (checked in the order `X-API-Key`, `X-Signature`, `X-Timestamp`).
    pub fn from_header_map(headers: &HeaderMap) -> Result<Self, WebhookError> {
        let read = |name: &'static str| -> Result<String, WebhookError> {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
                .ok_or(WebhookError::MissingHeader(name))
        };
        Ok(Self {
            api_key: read(HEADER_API_KEY)?,
            signature: read(HEADER_SIGNATURE)?,
            timestamp: read(HEADER_TIMESTAMP)?,
        })
    }

    /// Builds a header map carrying the three headers, e.g. to send a signed test delivery.
    ///
    /// A value that cannot be an HTTP header value (a control character such as a newline,
    /// which only a misconfigured API key could contain) is left out rather than panicking;
    /// the receiver then reports it as [`WebhookError::MissingHeader`].
    pub fn to_header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(3);
        let pairs = [
            (HEADER_API_KEY, &self.api_key),
            (HEADER_SIGNATURE, &self.signature),
            (HEADER_TIMESTAMP, &self.timestamp),
        ];
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.insert(name, value);
            }
        }
        map
    }
}

impl fmt::Debug for DeliveryHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signature is not secret, but 64 characters of noise per log line help nobody.
        f.debug_struct("DeliveryHeaders")
            .field("api_key", &self.api_key)
            .field(
                "signature",
                &format_args!("<{} chars>", self.signature.chars().count()),
            )
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// Verifies webhook deliveries with the integration's `api_secret`.
///
/// A delivery is accepted when, in this order:
///
/// 1. `X-API-Key` equals the key set with [`expect_api_key`](Self::expect_api_key) (skipped
///    when none is set);
/// 2. `X-Timestamp` is a Unix time in whole seconds;
/// 3. that time is within the [tolerance](Self::tolerance) (default five minutes) of the
///    [clock](Self::clock), in the past or in the future;
/// 4. `X-Signature` decodes as hex (either case) or standard base64 (padded or not) to 32 bytes;
/// 5. it equals HMAC-SHA256(raw body bytes followed by the `X-Timestamp` text, `api_secret`),
///    compared in constant time.
///
/// Cheap to clone and shareable between threads, so one verifier can serve a whole web server.
///
/// # Example
///
/// ```
/// use cryptopocket::webhooks::{WebhookError, WebhookSigner, WebhookVerifier};
/// use secrecy::SecretString;
///
/// let now = 1_700_000_000_i64;
/// let body = br#"{"type":"PAY_IN","payment_id":"pay_123","status":"payment_received"}"#;
///
/// // What CryptoPocket does when it sends the delivery:
/// let signer = WebhookSigner::new("pk_live_abc", SecretString::from("s3cr3t"));
/// let headers = signer.sign(body, now);
///
/// // What the receiving server does, with a fixed clock so the example never goes stale:
/// let verifier = WebhookVerifier::new(SecretString::from("s3cr3t"))
///     .expect_api_key("pk_live_abc")
///     .clock(move || now + 30);
/// verifier.verify(&headers, body)?;
///
/// // A modified body is refused.
/// let forged = br#"{"type":"PAY_IN","payment_id":"pay_999"}"#;
/// assert!(matches!(
///     verifier.verify(&headers, forged),
///     Err(WebhookError::SignatureMismatch)
/// ));
/// # Ok::<(), WebhookError>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    api_secret: SecretString,
    expected_api_key: Option<String>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
}

impl WebhookVerifier {
    /// A verifier for deliveries signed with `api_secret`, with the default five-minute window
    /// and the system clock, accepting any `X-API-Key`.
    pub fn new(api_secret: SecretString) -> Self {
        Self {
            api_secret,
            expected_api_key: None,
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemClock),
        }
    }

    /// Refuses deliveries whose `X-API-Key` is not `api_key`, with
    /// [`WebhookError::ApiKeyMismatch`].
    ///
    /// The key tells which integration (and so which secret) a delivery is for. Setting it
    /// turns a delivery meant for another integration into a clear error instead of a
    /// confusing [`WebhookError::SignatureMismatch`].
    pub fn expect_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.expected_api_key = Some(api_key.into());
        self
    }

    /// Sets how far `X-Timestamp` may be from the clock, in either direction (default five
    /// minutes, the documented limit). Sub-second parts are ignored: timestamps are whole
    /// seconds. A timestamp exactly `tolerance` away is still accepted.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Replaces the clock used for the replay window (default [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the headers and signature of one delivery; `body` must be the raw bytes received.
    ///
    /// # Errors
    ///
    /// The first failed check, in the order listed on [`WebhookVerifier`]:
    /// [`ApiKeyMismatch`](WebhookError::ApiKeyMismatch),
    /// [`InvalidTimestamp`](WebhookError::InvalidTimestamp),
    /// [`Expired`](WebhookError::Expired), [`FromTheFuture`](WebhookError::FromTheFuture),
    /// [`MalformedSignature`](WebhookError::MalformedSignature),
    /// [`SignatureMismatch`](WebhookError::SignatureMismatch).
    pub fn verify(&self, headers: &DeliveryHeaders, body: &[u8]) -> Result<(), WebhookError> {
        if let Some(expected) = &self.expected_api_key {
            // The API key is public, so an ordinary comparison leaks nothing.
            if headers.api_key != *expected {
                return Err(WebhookError::ApiKeyMismatch);
            }
        }

        let sent_at = parse_timestamp(&headers.timestamp)?;
        self.check_window(sent_at)?;

        let tag = decode_signature(&headers.signature)?;
        let mut mac = keyed_mac(&self.api_secret);
        mac.update(body);
        // The timestamp text as sent, not `sent_at` re-formatted: that is what was signed.
        mac.update(headers.timestamp.as_bytes());
        mac.verify_slice(&tag)
            .map_err(|_| WebhookError::SignatureMismatch)
    }

    /// Reads the headers, [verifies](Self::verify) the delivery and decodes its body into a
    /// [`WebhookEvent`].
    ///
    /// The body is parsed only after the signature has been checked, so unauthenticated
    /// input never reaches the JSON decoder.
    ///
    /// # Errors
    ///
    /// [`WebhookError::MissingHeader`], any error of [`verify`](Self::verify), or
    /// [`WebhookError::InvalidPayload`] from [`WebhookEvent::from_slice`].
    pub fn verify_event(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        let headers = DeliveryHeaders::from_header_map(headers)?;
        self.verify(&headers, body)?;
        WebhookEvent::from_slice(body)
    }

    fn check_window(&self, sent_at: i64) -> Result<(), WebhookError> {
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        // Saturating: both the timestamp and a custom clock may be anywhere in i64.
        let age = self.clock.now_unix().saturating_sub(sent_at);
        if age > tolerance {
            Err(WebhookError::Expired { age_seconds: age })
        } else if age < tolerance.saturating_neg() {
            Err(WebhookError::FromTheFuture {
                ahead_seconds: age.saturating_neg(),
            })
        } else {
            Ok(())
        }
    }
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("api_secret", &"[REDACTED]")
            .field("expected_api_key", &self.expected_api_key)
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

/// Parses `X-Timestamp` strictly: ASCII digits only.
///
/// `str::parse` would also take a leading `+`, which no sender emits; refusing it keeps
/// the accepted set to what the documentation describes.
fn parse_timestamp(value: &str) -> Result<i64, WebhookError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebhookError::InvalidTimestamp);
    }
    value.parse().map_err(|_| WebhookError::InvalidTimestamp)
}

/// Decodes `X-Signature` as hex (either case) or standard base64 (padding optional).
///
/// The encoding is undocumented, so both are accepted. 64 hex digits are also valid base64
/// (of 48 bytes), so hex is tried first; base64 of a 32-byte tag is 43 or 44 characters and
/// never 64, so the order cannot make a valid base64 signature fail.
fn decode_signature(value: &str) -> Result<Vec<u8>, WebhookError> {
    let value = value.trim_matches(|c: char| c.is_ascii_whitespace());
    if value.len() > MAX_SIGNATURE_LEN {
        return Err(WebhookError::MalformedSignature);
    }
    let tag = if value.len() == 2 * TAG_LEN && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(value).map_err(|_| WebhookError::MalformedSignature)?
    } else {
        base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
            .decode(value)
            .map_err(|_| WebhookError::MalformedSignature)?
    };
    if tag.len() == TAG_LEN {
        Ok(tag)
    } else {
        Err(WebhookError::MalformedSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::WebhookSigner;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000;
    const SECRET: &str = "unit-test-secret";
    const BODY: &[u8] = br#"{"type":"PAY_IN","payment_id":"p1"}"#;

    fn verifier() -> WebhookVerifier {
        WebhookVerifier::new(SecretString::from(SECRET)).clock(|| NOW)
    }

    fn signed(at: i64) -> DeliveryHeaders {
        WebhookSigner::new("key", SecretString::from(SECRET)).sign(BODY, at)
    }

    #[test]
    fn timestamp_parsing_is_strict() {
        assert_eq!(parse_timestamp("1700000000").ok(), Some(1_700_000_000));
        assert_eq!(parse_timestamp("0").ok(), Some(0));
        for bad in [
            "",
            "+1",
            "-1",
            " 1",
            "1.5",
            "1e9",
            "99999999999999999999",
            "١٢",
        ] {
            assert!(
                matches!(parse_timestamp(bad), Err(WebhookError::InvalidTimestamp)),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn signature_decoding() {
        let tag = [0xab_u8; TAG_LEN];
        let lower = hex::encode(tag);
        assert_eq!(decode_signature(&lower).ok(), Some(tag.to_vec()));
        assert_eq!(
            decode_signature(&lower.to_uppercase()).ok(),
            Some(tag.to_vec())
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(tag);
        assert_eq!(decode_signature(&b64).ok(), Some(tag.to_vec()));
        assert_eq!(
            decode_signature(b64.trim_end_matches('=')).ok(),
            Some(tag.to_vec())
        );
        // Wrong length, wrong alphabet, URL-safe base64 (not the documented alphabet), huge.
        for bad in [
            hex::encode([0_u8; 31]),
            "zz".repeat(32),
            base64::engine::general_purpose::URL_SAFE.encode([0xfb_u8; TAG_LEN]),
            "a".repeat(10_000),
            String::new(),
        ] {
            assert!(
                matches!(
                    decode_signature(&bad),
                    Err(WebhookError::MalformedSignature)
                ),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn window_edges() {
        let v = verifier();
        assert!(v.verify(&signed(NOW - 300), BODY).is_ok());
        assert!(v.verify(&signed(NOW + 300), BODY).is_ok());
        assert!(matches!(
            v.verify(&signed(NOW - 301), BODY),
            Err(WebhookError::Expired { age_seconds: 301 })
        ));
        assert!(matches!(
            v.verify(&signed(NOW + 301), BODY),
            Err(WebhookError::FromTheFuture { ahead_seconds: 301 })
        ));
    }

    #[test]
    fn extreme_clocks_and_timestamps_do_not_overflow() {
        let headers = signed(i64::MAX);
        let v = WebhookVerifier::new(SecretString::from(SECRET)).clock(|| i64::MIN);
        assert!(matches!(
            v.verify(&headers, BODY),
            Err(WebhookError::FromTheFuture { .. })
        ));
        let v = WebhookVerifier::new(SecretString::from(SECRET))
            .clock(|| i64::MAX)
            .tolerance(Duration::MAX);
        assert!(v.verify(&signed(0), BODY).is_ok());
    }

    #[test]
    fn custom_tolerance() {
        let v = verifier().tolerance(Duration::from_millis(10_900));
        assert!(v.verify(&signed(NOW - 10), BODY).is_ok());
        assert!(matches!(
            v.verify(&signed(NOW - 11), BODY),
            Err(WebhookError::Expired { age_seconds: 11 })
        ));
    }

    #[test]
    fn signature_covers_the_timestamp_text_as_sent() {
        // "01700000000" and "1700000000" are the same instant but different signed messages.
        let mut headers = signed(NOW);
        headers.timestamp = format!("0{}", headers.timestamp);
        assert!(matches!(
            verifier().verify(&headers, BODY),
            Err(WebhookError::SignatureMismatch)
        ));
    }

    #[test]
    fn header_debug_shows_signature_length_only() {
        let headers = signed(NOW);
        let debug = format!("{headers:?}");
        assert!(debug.contains("<64 chars>"), "{debug}");
        assert!(!debug.contains(&headers.signature), "{debug}");
        assert!(debug.contains("1700000000"), "{debug}");
    }

    #[test]
    fn verifier_is_clone_send_sync() {
        fn assert_traits<T: Clone + Send + Sync + 'static>() {}
        assert_traits::<WebhookVerifier>();
        assert_traits::<DeliveryHeaders>();
    }

    proptest! {
        // Whatever was delivered, a signature made with the secret over those exact bytes
        // passes, in hex and in base64; one flipped bit in the body or the timestamp fails.
        #[test]
        fn exactly_the_signed_bytes_verify(
            body: Vec<u8>,
            // Inside the window even a second later, so that only the signature can fail.
            offset in -299i64..=299,
            flip: proptest::sample::Index,
            bit in 0u8..8,
        ) {
            let at = NOW + offset;
            let signer = WebhookSigner::new("key", SecretString::from(SECRET));
            let hex = verifier().verify(&signer.sign(&body, at), &body);
            prop_assert!(hex.is_ok(), "{:?}", hex);
            let base64 = verifier().verify(&signer.sign_base64(&body, at), &body);
            prop_assert!(base64.is_ok(), "{:?}", base64);

            let mut tampered = body.clone();
            if tampered.is_empty() {
                tampered.push(1 << bit);
            } else {
                tampered[flip.index(body.len())] ^= 1 << bit;
            }
            let outcome = verifier().verify(&signer.sign(&body, at), &tampered);
            prop_assert!(matches!(outcome, Err(WebhookError::SignatureMismatch)), "{:?}", outcome);
            let mut late = signer.sign(&body, at);
            late.timestamp = (at + 1).to_string();
            let outcome = verifier().verify(&late, &body);
            prop_assert!(matches!(outcome, Err(WebhookError::SignatureMismatch)), "{:?}", outcome);
        }

        // Headers as anyone on the internet may send them: refused, never a panic.
        #[test]
        fn forged_headers_are_refused(
            api_key in "\\PC{0,20}",
            signature in "\\PC{0,100}|[0-9a-f]{64}|[A-Za-z0-9+/]{43}=",
            timestamp in "\\PC{0,24}|[0-9]{1,25}|1700000[0-9]{3}",
            body: Vec<u8>,
        ) {
            let headers = DeliveryHeaders { api_key, signature, timestamp };
            prop_assert!(verifier().verify(&headers, &body).is_err());
        }
    }
}

//! Producing signed deliveries, the way CryptoPocket does.

use std::fmt;

use base64::Engine as _;
use hmac::Mac as _;
use secrecy::SecretString;

use super::keyed_mac;
use super::verify::DeliveryHeaders;

/// Signs webhook bodies as CryptoPocket does, for tests and local simulators.
///
/// The signature is HMAC-SHA256 over the raw body bytes immediately followed by the decimal
/// timestamp, keyed with `api_secret`. Use it to feed realistic deliveries to your own
/// receiver, which should verify them with a [`WebhookVerifier`](super::WebhookVerifier).
///
/// # Example
///
/// ```
/// use cryptopocket::webhooks::{WebhookSigner, WebhookVerifier};
/// use secrecy::SecretString;
///
/// let body = br#"{"type":"COINS_SENT","payment_id":"pay_1","txid":"0xabc"}"#;
/// let signer = WebhookSigner::new("pk_test", SecretString::from("s3cr3t"));
/// let headers = signer.sign(body, 1_700_000_000);
/// assert_eq!(headers.timestamp, "1700000000");
/// assert_eq!(headers.signature.len(), 64); // lower-case hex
///
/// let verifier = WebhookVerifier::new(SecretString::from("s3cr3t")).clock(|| 1_700_000_000);
/// assert!(verifier.verify(&headers, body).is_ok());
/// ```
#[derive(Clone)]
pub struct WebhookSigner {
    api_key: String,
    api_secret: SecretString,
}

impl WebhookSigner {
    /// A signer that puts `api_key` in `X-API-Key` and signs with `api_secret`.
    pub fn new(api_key: impl Into<String>, api_secret: SecretString) -> Self {
        Self {
            api_key: api_key.into(),
            api_secret,
        }
    }

    /// Signs `body` as sent at `timestamp` (Unix seconds), with a lower-case hex signature.
    pub fn sign(&self, body: &[u8], timestamp: i64) -> DeliveryHeaders {
        self.headers(body, timestamp, |tag| hex::encode(tag))
    }

    /// Like [`sign`](Self::sign) but with a padded standard base64 signature, to exercise
    /// receivers against the other encoding the vendor might use.
    pub fn sign_base64(&self, body: &[u8], timestamp: i64) -> DeliveryHeaders {
        self.headers(body, timestamp, |tag| {
            base64::engine::general_purpose::STANDARD.encode(tag)
        })
    }

    fn headers(
        &self,
        body: &[u8],
        timestamp: i64,
        encode: impl FnOnce(&[u8]) -> String,
    ) -> DeliveryHeaders {
        let timestamp = timestamp.to_string();
        let mut mac = keyed_mac(&self.api_secret);
        mac.update(body);
        mac.update(timestamp.as_bytes());
        let tag = mac.finalize().into_bytes();
        DeliveryHeaders {
            api_key: self.api_key.clone(),
            signature: encode(tag.as_slice()),
            timestamp,
        }
    }
}

impl fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSigner")
            .field("api_key", &self.api_key)
            .field("api_secret", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        // Computed outside Rust (Python's hmac module) over the body followed directly by the
        // timestamp text, so the signer is checked against an independent implementation.
        let signer = WebhookSigner::new("k", SecretString::from("s3cr3t"));
        let body = br#"{"type":"PAY_IN","payment_id":"p1"}"#;
        assert_eq!(
            signer.sign(body, 1_700_000_000).signature,
            "f9b24b86d8d2dbe69dd73a802a920539cad34f31d7b05eba3b2754ada385aaf8"
        );
        assert_eq!(
            signer.sign_base64(body, 1_700_000_000).signature,
            "+bJLhtjS2+ad1zqAKpIFOcrTTzHXsF66OydUraOFqvg="
        );
    }

    #[test]
    fn base64_and_hex_carry_the_same_tag() {
        let signer = WebhookSigner::new("k", SecretString::from("s"));
        let hex_headers = signer.sign(b"{}", 1);
        let b64_headers = signer.sign_base64(b"{}", 1);
        let from_b64 = base64::engine::general_purpose::STANDARD
            .decode(&b64_headers.signature)
            .unwrap();
        assert_eq!(hex::encode(from_b64), hex_headers.signature);
        assert!(b64_headers.signature.ends_with('='));
        assert_eq!(hex_headers.api_key, "k");
        assert_eq!(hex_headers.timestamp, "1");
    }

    #[test]
    fn negative_timestamps_are_signed_verbatim() {
        let headers = WebhookSigner::new("k", SecretString::from("s")).sign(b"", -5);
        assert_eq!(headers.timestamp, "-5");
    }

    #[test]
    fn debug_redacts_the_secret() {
        let signer = WebhookSigner::new("pk", SecretString::from("hunter2-secret"));
        let debug = format!("{signer:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("pk"), "{debug}");
    }
}

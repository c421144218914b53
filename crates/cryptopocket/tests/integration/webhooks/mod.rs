//! Webhook verification and decoding through the public API only: signatures and their
//! encodings, timestamps and headers in [`signatures`]; the events a verified delivery
//! decodes to in [`events`]; and the secret kept out of every output.

use std::time::Duration;

use base64::Engine as _;
use cryptopocket::model::{EventType, OffRampStatus, PaymentStatus};
use cryptopocket::webhooks::{
    Clock, DeliveryHeaders, HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, SystemClock,
    WebhookError, WebhookEvent, WebhookSigner, WebhookVerifier,
};
use hmac::{Hmac, KeyInit as _, Mac as _};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rust_decimal::Decimal;
use secrecy::SecretString;
use sha2::Sha256;

mod events;
mod signatures;

const NOW: i64 = 1_700_000_000;
const API_KEY: &str = "pk_test_integration";
const SECRET: &str = "sk_super_secret_value_42";
const BODY: &[u8] =
    br#"{"type":"PAY_IN","payment_id":"aBcDeFgHiJkLmNoPqRsTuVwXy","status":"payment_received"}"#;

fn secret() -> SecretString {
    SecretString::from(SECRET)
}

fn signer() -> WebhookSigner {
    WebhookSigner::new(API_KEY, secret())
}

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(secret())
        .expect_api_key(API_KEY)
        .clock(|| NOW)
}

/// HMAC-SHA256(body || timestamp, secret), computed here without the crate's code.
fn independent_tag(body: &[u8], timestamp: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.update(timestamp.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn headers_with(signature: String, timestamp: &str) -> DeliveryHeaders {
    DeliveryHeaders::new(API_KEY, signature, timestamp)
}

fn signed_map(body: &[u8]) -> HeaderMap {
    signer().sign(body, NOW).to_header_map()
}

fn expect_err(result: Result<(), WebhookError>) -> WebhookError {
    match result {
        Ok(()) => panic!("delivery was accepted"),
        Err(error) => error,
    }
}

// --- secrets stay out of output ------------------------------------------------------------

#[test]
fn secret_never_appears_in_debug_or_errors() {
    let verifier = verifier();
    let signer = signer();
    let debug_verifier = format!("{verifier:?}");
    let debug_signer = format!("{signer:?}");
    for text in [&debug_verifier, &debug_signer] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("super_secret"), "{text}");
    }
    assert!(debug_signer.contains(API_KEY));

    let body_marker = "BODY-MARKER-7f3a";
    let body = format!(r#"{{"type":"PAY_IN","payment_id":"p","fiat_amount":"{body_marker}"}}"#);
    let body = body.as_bytes();
    let mut failures = Vec::new();
    let ok = signer.sign(body, NOW);
    let mut wrong_key = ok.clone();
    wrong_key.api_key = "other".into();
    let mut bad_ts = ok.clone();
    bad_ts.timestamp = "x".into();
    let mut bad_sig = ok.clone();
    bad_sig.signature = "??".into();
    let mut mismatch = ok.clone();
    mismatch.signature = hex::encode([0_u8; 32]);
    for headers in [wrong_key, bad_ts, bad_sig, mismatch] {
        failures.push(verifier.verify(&headers, body).unwrap_err());
    }
    failures.push(expect_err(verifier.verify(&signer.sign(body, 0), body)));
    failures.push(expect_err(
        verifier.verify(&signer.sign(body, NOW + 9_999), body),
    ));
    failures.push(verifier.verify_event(&HeaderMap::new(), body).unwrap_err());
    failures.push(
        verifier
            .verify_event(&ok.to_header_map(), body)
            .unwrap_err(),
    );
    assert_eq!(failures.len(), 8);
    assert!(matches!(failures[7], WebhookError::InvalidPayload { .. }));
    for error in &failures {
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(SECRET), "{text}");
            assert!(!text.contains(body_marker), "{text}");
            assert!(!text.is_empty());
        }
    }
}

#[test]
fn clocks() {
    let fixed = || 5_i64;
    assert_eq!(fixed.now_unix(), 5);
    let now = SystemClock.now_unix();
    assert!(now > NOW, "system clock says {now}");
}

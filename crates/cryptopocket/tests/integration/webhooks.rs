//! Webhook verification and decoding through the public API only.

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

// --- signing and encodings ---------------------------------------------------------------

#[test]
fn signer_matches_an_independent_hmac_and_verifies() {
    let headers = signer().sign(BODY, NOW);
    assert_eq!(headers.api_key, API_KEY);
    assert_eq!(headers.timestamp, "1700000000");
    assert_eq!(
        headers.signature,
        hex::encode(independent_tag(BODY, "1700000000"))
    );
    assert!(
        headers
            .signature
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    );
    verifier().verify(&headers, BODY).unwrap();
}

#[test]
fn base64_signer_matches_an_independent_hmac() {
    let headers = signer().sign_base64(BODY, NOW);
    assert_eq!(
        headers.signature,
        base64::engine::general_purpose::STANDARD.encode(independent_tag(BODY, "1700000000"))
    );
    verifier().verify(&headers, BODY).unwrap();
}

#[test]
fn independently_signed_delivery_verifies() {
    // A delivery produced without the crate's signer, as CryptoPocket would send it.
    let tag = independent_tag(BODY, "1700000000");
    verifier()
        .verify(&headers_with(hex::encode(&tag), "1700000000"), BODY)
        .unwrap();
}

#[test]
fn upper_case_hex_is_accepted() {
    let upper = hex::encode_upper(independent_tag(BODY, "1700000000"));
    verifier()
        .verify(&headers_with(upper, "1700000000"), BODY)
        .unwrap();
}

#[test]
fn base64_with_and_without_padding_is_accepted() {
    let tag = independent_tag(BODY, "1700000000");
    let padded = base64::engine::general_purpose::STANDARD.encode(&tag);
    let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&tag);
    assert!(padded.ends_with('='));
    assert_ne!(padded, unpadded);
    verifier()
        .verify(&headers_with(padded, "1700000000"), BODY)
        .unwrap();
    verifier()
        .verify(&headers_with(unpadded, "1700000000"), BODY)
        .unwrap();
}

// --- refusals ----------------------------------------------------------------------------

#[test]
fn tampered_body_is_refused() {
    let headers = signer().sign(BODY, NOW);
    let tampered = br#"{"type":"PAY_IN","payment_id":"aBcDeFgHiJkLmNoPqRsTuVwXz","status":"payment_received"}"#;
    assert!(matches!(
        expect_err(verifier().verify(&headers, tampered)),
        WebhookError::SignatureMismatch
    ));
    // Re-serialised JSON (different whitespace) is a different message too.
    let reformatted = br#"{ "type":"PAY_IN","payment_id":"aBcDeFgHiJkLmNoPqRsTuVwXy","status":"payment_received"}"#;
    assert!(matches!(
        expect_err(verifier().verify(&headers, reformatted)),
        WebhookError::SignatureMismatch
    ));
}

#[test]
fn tampered_timestamp_is_refused() {
    let mut headers = signer().sign(BODY, NOW);
    headers.timestamp = (NOW - 1).to_string();
    assert!(matches!(
        expect_err(verifier().verify(&headers, BODY)),
        WebhookError::SignatureMismatch
    ));
}

#[test]
fn tampered_signature_is_refused() {
    let mut headers = signer().sign(BODY, NOW);
    let last = headers.signature.pop().unwrap();
    headers.signature.push(if last == '0' { '1' } else { '0' });
    assert!(matches!(
        expect_err(verifier().verify(&headers, BODY)),
        WebhookError::SignatureMismatch
    ));
}

#[test]
fn wrong_secret_is_refused() {
    let headers = WebhookSigner::new(API_KEY, SecretString::from("another secret")).sign(BODY, NOW);
    assert!(matches!(
        expect_err(verifier().verify(&headers, BODY)),
        WebhookError::SignatureMismatch
    ));
}

#[test]
fn malformed_signatures_are_refused() {
    for signature in [
        "",
        "not a signature",
        "abcd",
        &"g".repeat(64),
        &hex::encode([0_u8; 33]),
        &"A".repeat(5_000),
    ] {
        let headers = headers_with(signature.to_owned(), "1700000000");
        assert!(
            matches!(
                expect_err(verifier().verify(&headers, BODY)),
                WebhookError::MalformedSignature
            ),
            "{signature:?}"
        );
    }
}

#[test]
fn stale_timestamp_is_refused() {
    let headers = signer().sign(BODY, NOW - 301);
    assert!(matches!(
        expect_err(verifier().verify(&headers, BODY)),
        WebhookError::Expired { age_seconds: 301 }
    ));
}

#[test]
fn timestamp_exactly_at_the_edge_is_accepted() {
    verifier()
        .verify(&signer().sign(BODY, NOW - 300), BODY)
        .unwrap();
    verifier()
        .verify(&signer().sign(BODY, NOW + 300), BODY)
        .unwrap();
}

#[test]
fn future_timestamp_is_refused() {
    let headers = signer().sign(BODY, NOW + 301);
    assert!(matches!(
        expect_err(verifier().verify(&headers, BODY)),
        WebhookError::FromTheFuture { ahead_seconds: 301 }
    ));
    // Milliseconds instead of seconds look like a date far in the future.
    let headers = signer().sign(BODY, NOW * 1000);
    assert!(matches!(
        expect_err(verifier().verify(&headers, BODY)),
        WebhookError::FromTheFuture { .. }
    ));
}

#[test]
fn window_is_checked_before_the_signature() {
    // A stale delivery with a bad signature reports the age, the cheaper and clearer fact.
    let headers = headers_with("zz".to_owned(), &(NOW - 1000).to_string());
    assert!(matches!(
        expect_err(verifier().verify(&headers, BODY)),
        WebhookError::Expired { age_seconds: 1000 }
    ));
}

#[test]
fn custom_tolerance_applies() {
    let strict = verifier().tolerance(Duration::from_secs(10));
    assert!(matches!(
        expect_err(strict.verify(&signer().sign(BODY, NOW - 11), BODY)),
        WebhookError::Expired { age_seconds: 11 }
    ));
    strict.verify(&signer().sign(BODY, NOW - 10), BODY).unwrap();
}

#[test]
fn non_numeric_timestamp_is_refused() {
    for timestamp in [
        "",
        "soon",
        "1700000000.5",
        "+1700000000",
        "2023-11-14T22:13:20Z",
    ] {
        let headers = headers_with(hex::encode(independent_tag(BODY, timestamp)), timestamp);
        assert!(
            matches!(
                expect_err(verifier().verify(&headers, BODY)),
                WebhookError::InvalidTimestamp
            ),
            "{timestamp:?}"
        );
    }
}

#[test]
fn wrong_api_key_is_refused() {
    let headers = WebhookSigner::new("pk_someone_else", secret()).sign(BODY, NOW);
    assert!(matches!(
        expect_err(verifier().verify(&headers, BODY)),
        WebhookError::ApiKeyMismatch
    ));
    // Without an expected key, any key passes on to the signature check.
    WebhookVerifier::new(secret())
        .clock(|| NOW)
        .verify(&headers, BODY)
        .unwrap();
}

#[test]
fn each_missing_header_is_named() {
    for name in [HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP] {
        let mut map = signed_map(BODY);
        assert!(map.remove(name).is_some());
        match verifier().verify_event(&map, BODY) {
            Err(WebhookError::MissingHeader(missing)) => assert_eq!(missing, name),
            other => panic!("{name}: expected MissingHeader, got {other:?}"),
        }
    }
}

#[test]
fn non_utf8_header_counts_as_missing() {
    let mut map = signed_map(BODY);
    map.insert(
        HEADER_SIGNATURE,
        HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
    );
    assert!(matches!(
        DeliveryHeaders::from_header_map(&map),
        Err(WebhookError::MissingHeader("X-Signature"))
    ));
}

#[test]
fn header_names_are_case_insensitive() {
    let headers = signer().sign(BODY, NOW);
    let mut map = HeaderMap::new();
    for (name, value) in [
        ("x-api-key", &headers.api_key),
        ("X-SIGNATURE", &headers.signature),
        ("x-TimeStamp", &headers.timestamp),
    ] {
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    assert_eq!(DeliveryHeaders::from_header_map(&map).unwrap(), headers);
    assert!(verifier().verify_event(&map, BODY).is_ok());
}

#[test]
fn header_map_round_trip() {
    let headers = signer().sign(BODY, NOW);
    let map = headers.to_header_map();
    assert_eq!(map.len(), 3);
    assert_eq!(map[HEADER_TIMESTAMP], "1700000000");
    assert_eq!(DeliveryHeaders::from_header_map(&map).unwrap(), headers);
}

#[test]
fn hostile_header_bytes_do_not_panic() {
    let verifier = verifier();
    let nasty: [&[u8]; 6] = [
        b"",
        b"\t",
        b"\xe2\x82",
        b"-9223372036854775808",
        b"99999999999999999999999999",
        b"0000000000000000000000000000001700000000",
    ];
    for bytes in nasty {
        for name in [HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP] {
            let mut map = signed_map(BODY);
            if let Ok(value) = HeaderValue::from_bytes(bytes) {
                map.insert(name, value);
            }
            assert!(
                verifier.verify_event(&map, BODY).is_err(),
                "{name}: {bytes:?}"
            );
        }
    }
}

#[test]
fn leading_zeros_in_the_timestamp_are_signed_as_sent() {
    // Accepted only if the signature covers the text as sent, zeros included.
    let timestamp = "0001700000000";
    let headers = headers_with(hex::encode(independent_tag(BODY, timestamp)), timestamp);
    verifier().verify(&headers, BODY).unwrap();
}

// --- events ------------------------------------------------------------------------------

fn event(body: &[u8]) -> WebhookEvent {
    verifier()
        .verify_event(&signed_map(body), body)
        .expect("signed delivery should verify and decode")
}

#[test]
fn pay_in_decodes() {
    let WebhookEvent::PayIn(payment) = event(BODY) else {
        panic!("not PayIn");
    };
    assert_eq!(payment.payment_id.as_str(), "aBcDeFgHiJkLmNoPqRsTuVwXy");
    assert_eq!(payment.status, Some(PaymentStatus::PaymentReceived));
    assert_eq!(payment.txid, None);
    assert_eq!(payment.event_type, "PAY_IN");
}

#[test]
fn coins_sent_decodes_with_txid() {
    let body = br#"{"type":"COINS_SENT","payment_id":"p-1","user_id":"100067","status":"coins_sent","txid":"0xdeadbeef","coin_amount":148.32,"coin_symbol":"USDC"}"#;
    let decoded = event(body);
    assert_eq!(decoded.event_type(), EventType::CoinsSent);
    let WebhookEvent::CoinsSent(payment) = decoded else {
        panic!("not CoinsSent");
    };
    assert_eq!(payment.txid.as_deref(), Some("0xdeadbeef"));
    assert_eq!(payment.status, Some(PaymentStatus::CoinsSent));
    assert_eq!(payment.user_id.map(|id| id.get()), Some(100_067));
    assert_eq!(payment.coin_symbol.as_deref(), Some("USDC"));
    assert_eq!(
        payment.coin_amount.map(|a| a.to_string()).as_deref(),
        Some("148.32")
    );
}

#[test]
fn crypto_received_decodes() {
    let body = br#"{"type":"CRYPTO_RECEIVED","id":"ro_1","status":"crypto_received","blockchain":"bsc","crypto":"BUSD","amount":"20000000000000000000","decimals":18,"txid":"0xabc"}"#;
    let decoded = event(body);
    assert_eq!(decoded.event_type(), EventType::CryptoReceived);
    let WebhookEvent::CryptoReceived(off_ramp) = decoded else {
        panic!("not CryptoReceived");
    };
    assert_eq!(off_ramp.id.as_str(), "ro_1");
    assert_eq!(off_ramp.txid.as_deref(), Some("0xabc"));
    // 20000000000000000000 base units with 18 decimals: 20 tokens.
    assert_eq!(off_ramp.amount, Some(Decimal::new(20, 0)));
    assert_eq!(off_ramp.crypto.as_deref(), Some("BUSD"));
    assert_eq!(off_ramp.blockchain.as_deref(), Some("bsc"));
}

#[test]
fn transfer_rampoff_finished_decodes() {
    let body = br#"{"type":"TRANSFER_RAMPOFF_FINISHED","id":"ro_2","status":"finished","fiat_amount":"4800.24"}"#;
    let decoded = event(body);
    assert_eq!(decoded.event_type(), EventType::TransferRampoffFinished);
    let WebhookEvent::TransferRampoffFinished(off_ramp) = decoded else {
        panic!("not TransferRampoffFinished");
    };
    assert_eq!(off_ramp.status, Some(OffRampStatus::Finished));
    assert_eq!(off_ramp.event_type, "TRANSFER_RAMPOFF_FINISHED");
    assert_eq!(
        off_ramp.fiat_amount.map(|a| a.to_string()).as_deref(),
        Some("4800.24")
    );
}

#[test]
fn legacy_rampoff_finished_decodes_as_transfer_rampoff_finished() {
    let body = br#"{"type":"RAMPOFF_FINISHED","id":"ro_3","status":"finished"}"#;
    let decoded = event(body);
    assert_eq!(decoded.event_type(), EventType::TransferRampoffFinished);
    let WebhookEvent::TransferRampoffFinished(off_ramp) = decoded else {
        panic!("legacy name not mapped");
    };
    assert_eq!(off_ramp.id.as_str(), "ro_3");
    assert_eq!(off_ramp.event_type, "RAMPOFF_FINISHED");
}

#[test]
fn unknown_type_keeps_raw_json() {
    let body =
        br#"{"type":"KYC_APPROVED","user_id":100067,"details":{"level":2,"tags":["a","b"]}}"#;
    let decoded = event(body);
    assert_eq!(decoded.event_type().as_str(), "KYC_APPROVED");
    let WebhookEvent::Unknown {
        event_type,
        payload,
    } = decoded
    else {
        panic!("not Unknown");
    };
    assert_eq!(event_type, "KYC_APPROVED");
    assert_eq!(
        payload,
        serde_json::from_slice::<serde_json::Value>(body).unwrap()
    );
    assert_eq!(payload["details"]["tags"][1], "b");
}

#[test]
fn malformed_json_names_the_path() {
    let cases: [(&[u8], &str); 4] = [
        // A number is a tolerated id; an object is not.
        (br#"{"type":"PAY_IN","payment_id":{"n":42}}"#, "payment_id"),
        (
            br#"{"type":"COINS_SENT","payment_id":"p","fiat_amount":"12.5"}"#,
            "fiat_amount",
        ),
        (
            br#"{"type":"CRYPTO_RECEIVED","id":"r","decimals":true}"#,
            "decimals",
        ),
        (br#"{"type":["PAY_IN"]}"#, "type"),
    ];
    for (body, expected_path) in cases {
        match verifier().verify_event(&signed_map(body), body) {
            Err(WebhookError::InvalidPayload { path, reason }) => {
                assert_eq!(path, expected_path);
                assert!(!reason.is_empty());
            }
            other => panic!("{expected_path}: expected InvalidPayload, got {other:?}"),
        }
    }
    for body in [&b"{not json"[..], b"{\"type\":\"PAY_IN\",", b"[]", b""] {
        assert!(matches!(
            verifier().verify_event(&signed_map(body), body),
            Err(WebhookError::InvalidPayload { .. })
        ));
    }
}

#[test]
fn body_is_not_parsed_before_the_signature_is_checked() {
    let body = b"{not json";
    let mut map = signed_map(body);
    map.insert(HEADER_SIGNATURE, HeaderValue::from_static("00"));
    assert!(matches!(
        verifier().verify_event(&map, body),
        Err(WebhookError::MalformedSignature)
    ));
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

//! Signing and verification: encodings, tampering, timestamps, headers.

use super::*;

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

//! The events a verified delivery decodes to.

use super::*;

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

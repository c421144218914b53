//! The representation-tolerant types the spec's integers, timestamps and ids are generated
//! as, and the operation table generated beside them.

use chrono::{DateTime, Utc};
use cryptopocket_api::{Id, Int, Operation, Timestamp, operations, types};
use proptest::prelude::*;

#[test]
fn no_generated_type_holds_a_bare_integer_or_timestamp() {
    let generated = include_str!("../../src/generated.rs");
    for bare in ["i64", "i32", "u64", "chrono::"] {
        let found = generated
            .lines()
            .filter(|line| line.trim_start().starts_with("pub ") && line.contains(bare))
            .collect::<Vec<_>>();
        assert!(
            found.is_empty(),
            "generated fields still hold {bare}: {found:#?}"
        );
    }
}

#[test]
fn the_operation_table_holds_every_operation_once_in_order() {
    assert_eq!(operations::ALL.len(), 26);
    assert!(operations::ALL.windows(2).all(|w| w[0].id < w[1].id));
    let op = Operation::find("listPayments").unwrap();
    assert_eq!(op, &operations::LIST_PAYMENTS);
    assert!(op.is_lenient("/pagination/from"));
    assert!(
        !op.is_lenient("/pagination"),
        "pagination decides the next page"
    );
    assert!(!op.is_lenient("/status"));
    // A documented operation's fields are never dropped.
    assert!(Operation::find("getPayment").unwrap().lenient.is_empty());
    assert!(Operation::find("noSuchOperation").is_none());
}

#[test]
fn a_documented_payment_decodes_with_every_integer_and_id_retyped() {
    let documented = r#"{"status":"ok","data":{"id":"aBcDeFgHiJkLmNoPqRsTuVwXy","user_id":"100067",
        "status":"started","fiat_amount":15050,"fiat_symbol":"EUR","coin_symbol":"USDC",
        "coin_amount":148.32,"created_at":"2026-06-26T10:30:00.000000Z"}}"#;
    let retyped = documented
        .replace(r#""user_id":"100067""#, r#""user_id":100067"#)
        .replace(r#""fiat_amount":15050"#, r#""fiat_amount":"15050""#)
        .replace("2026-06-26T10:30:00.000000Z", "2026-06-26 10:30:00");
    let a: types::GetPaymentResponse = serde_json::from_str(documented).unwrap();
    let b: types::GetPaymentResponse = serde_json::from_str(&retyped).unwrap();
    assert_eq!(a, b);
}

proptest! {
    // Any 64-bit integer, as a number or a string, reads back as itself and encodes as a number.
    #[test]
    fn any_integer_round_trips(value: i64, quoted: bool) {
        let json = if quoted { format!("\"{value}\"") } else { value.to_string() };
        let int: Int = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(int.get(), value);
        prop_assert_eq!(serde_json::to_string(&int).unwrap(), value.to_string());
    }

    // Any non-negative integer id reads as its digits, from a number or a string.
    #[test]
    fn any_integer_id_reads_as_its_digits(value: u64) {
        let from_number: Id = serde_json::from_str(&value.to_string()).unwrap();
        let from_string: Id = serde_json::from_str(&format!("\"{value}\"")).unwrap();
        prop_assert_eq!(from_number.as_str(), value.to_string());
        prop_assert_eq!(from_number, from_string);
    }

    // Any second between 1970 and 9999, written in Laravel's format or RFC 3339 with any
    // offset, is the same instant.
    #[test]
    fn any_instant_reads_the_same_in_every_accepted_format(seconds in 0i64..253_402_300_799, offset_minutes in -1439i32..=1439) {
        let at = DateTime::<Utc>::from_timestamp(seconds, 0).unwrap();
        let laravel = at.format("%Y-%m-%d %H:%M:%S").to_string();
        let zone = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
        let rfc = at.with_timezone(&zone).to_rfc3339();
        let a: Timestamp = laravel.parse().unwrap();
        let b: Timestamp = rfc.parse().unwrap();
        prop_assert_eq!(a.get(), at);
        prop_assert_eq!(b.get(), at);
        prop_assert_eq!(serde_json::from_str::<Timestamp>(&serde_json::to_string(&a).unwrap()).unwrap(), a);
    }

    // Any text: a value or an error, never a panic.
    #[test]
    fn any_text_decodes_or_is_refused(text in ".{0,40}") {
        let quoted = serde_json::to_string(&text).unwrap();
        for json in [&text, &quoted] {
            let _ = serde_json::from_str::<Int>(json);
            let _ = serde_json::from_str::<Id>(json);
            let _ = serde_json::from_str::<Timestamp>(json);
        }
    }
}

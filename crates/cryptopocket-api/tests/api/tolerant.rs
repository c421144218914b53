//! The representation-tolerant types the spec's integers, timestamps and ids are generated
//! as, and the operation table generated beside them.

use chrono::{DateTime, Utc};
use cryptopocket_api::{Id, Int, Operation, Timestamp, operations, types};
use proptest::prelude::*;
use serde::Deserialize;

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
    // `*` stands for an array index and nothing else.
    let quote = Operation::find("getAvailableAssets").unwrap();
    assert!(quote.is_lenient("/data/3/name"));
    assert!(!quote.is_lenient("/data/x/name"));
    assert!(!quote.is_lenient("/data/3/name/0"));
    assert!(!quote.is_lenient("/data"));
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

fn int(json: &str) -> Result<i64, String> {
    serde_json::from_str::<Int>(json)
        .map(Int::get)
        .map_err(|e| e.to_string())
}

#[test]
fn an_integer_arrives_as_a_number_or_a_string() {
    assert_eq!(int("3600"), Ok(3600));
    assert_eq!(int("-7"), Ok(-7));
    assert_eq!(int(r#""3600""#), Ok(3600));
    assert_eq!(int(r#"" 3600 ""#), Ok(3600));
    assert_eq!(int(&i64::MAX.to_string()), Ok(i64::MAX));
}

#[test]
fn an_integer_of_another_meaning_is_refused() {
    for bad in [
        r#""36.5""#,
        "36.5",
        "3600.0",
        "3.6e3",
        "15050.000000000000001",
        r#""""#,
        r#""-""#,
        r#""1e3""#,
        r#""0x10""#,
        "true",
        "null",
        "[1]",
        "18446744073709551615",
        r#""99999999999999999999""#,
        "1e300",
    ] {
        assert!(int(bad).is_err(), "{bad} was accepted");
    }
}

#[test]
fn an_integer_decodes_inside_an_untagged_enum() {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Count { n: Int },
    }
    let Either::Count { n } = serde_json::from_str(r#"{"n":"5"}"#).unwrap();
    assert_eq!(n.get(), 5);
    assert_eq!(serde_json::to_string(&n).unwrap(), "5");
}

fn at(json: &str) -> Result<String, String> {
    serde_json::from_value::<Timestamp>(serde_json::Value::String(json.to_owned()))
        .map(|t| t.to_string())
        .map_err(|e| e.to_string())
}

#[test]
fn a_timestamp_arrives_in_rfc_3339_or_laravel_format() {
    let want = Ok("2026-06-26T10:30:00Z".to_owned());
    assert_eq!(at("2026-06-26T10:30:00Z"), want);
    assert_eq!(at("2026-06-26T12:30:00+02:00"), want);
    assert_eq!(at("2026-06-26 10:30:00"), want);
    assert_eq!(at("2026-06-26T10:30:00"), want);
    assert_eq!(
        at("2026-06-26T10:30:00.000000Z"),
        want,
        "Laravel's JSON form"
    );
    assert_eq!(
        at("2026-06-26 10:30:00.250"),
        Ok("2026-06-26T10:30:00.250Z".to_owned())
    );
}

#[test]
fn a_timestamp_of_another_meaning_is_refused() {
    for bad in [
        "",
        "tomorrow",
        "2026-06-26",
        "2026-13-26 10:30:00",
        "2026-06-26 25:30:00",
        "26/06/2026 10:30",
    ] {
        assert!(at(bad).is_err(), "{bad:?} was accepted");
    }
    assert!(serde_json::from_str::<Timestamp>("1782469800").is_err());
}

#[test]
fn an_id_arrives_as_a_string_or_an_integer() {
    let id = |json: &str| serde_json::from_str::<Id>(json).map(Id::into_string);
    assert_eq!(id(r#""aBc123""#).unwrap(), "aBc123");
    assert_eq!(id("100067").unwrap(), "100067");
    assert_eq!(id("-3").unwrap(), "-3");
    assert!(id("1.5").is_err());
    assert!(id("1e30").is_err());
    assert!(id("null").is_err());
    assert!(id("{}").is_err());
    assert_eq!(serde_json::to_string(&Id::from("7")).unwrap(), r#""7""#);
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

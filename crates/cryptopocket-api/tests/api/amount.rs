//! `Amount`: every amount decodes from its own text, exactly or not at all, and encodes
//! as exactly its digits.

use cryptopocket_api::{Amount, types};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[test]
fn numbers_and_strings_decode_exactly() {
    for (json, shown) in [
        ("240", "240"),
        ("240.0", "240.0"),
        ("0.00384", "0.00384"),
        ("0.123456789012345678", "0.123456789012345678"),
        ("-12.5", "-12.5"),
        ("1.5e-3", "0.0015"),
        ("2E+2", "200"),
        (r#""150.50""#, "150.50"),
        (r#"" 7 ""#, "7"),
        ("20000000000000000000", "20000000000000000000"),
    ] {
        let amount: Amount = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(amount.to_string(), shown, "{json}");
    }
}

#[test]
fn what_does_not_fit_is_refused_not_rounded() {
    for json in [
        "0.12345678901234567890123456789",
        "1e40",
        "79228162514264337593543950336",
        r#""12,50""#,
        r#""1.""#,
        r#""""#,
        r#""abc""#,
        "true",
        "null",
        "[1]",
        r#""NaN""#,
        r#""+1""#,
    ] {
        assert!(serde_json::from_str::<Amount>(json).is_err(), "{json}");
    }
}

#[test]
fn encoding_writes_the_exact_number() {
    for text in ["240", "240.00", "0.123456789012345678", "-0.5"] {
        let amount: Amount = text.parse().unwrap();
        assert_eq!(serde_json::to_string(&amount).unwrap(), text);
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Body {
        fiat_amount: Amount,
        coin_amount: Option<Amount>,
    }
    let body = r#"{"fiat_amount":240.50,"coin_amount":0.123456789012345678}"#;
    let parsed: Body = serde_json::from_str(body).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), body);
}

#[test]
fn generated_types_hold_amounts_exactly() {
    let body = r#"{"symbol":"ETH","chain":"ethereum","fiat_amount":100,"fiat_symbol":"EUR","coin_amount":0.123456789012345678,"price":2999.99}"#;
    let quote: types::Quote = serde_json::from_str(body).unwrap();
    assert_eq!(quote.coin_amount.to_string(), "0.123456789012345678");
    let again = serde_json::to_string(&quote).unwrap();
    assert!(
        again.contains(r#""coin_amount":0.123456789012345678"#),
        "{again}"
    );
    assert!(again.contains(r#""price":2999.99"#), "{again}");
}

#[test]
fn no_generated_type_holds_a_float() {
    let generated = include_str!("../../src/generated.rs");
    // Code only: the header's spec hash is hex and may spell `f64` by chance.
    let code = generated.lines().filter(|line| !line.starts_with("//"));
    let floats = code
        .map(|line| line.matches("f64").count() + line.matches("f32").count())
        .sum::<usize>();
    assert_eq!(floats, 0, "the generated client holds {floats} floats");
}

proptest! {
    // Any decimal with up to 28 significant digits, as a JSON number or a JSON string,
    // comes back digit for digit, and encodes as the same number.
    #[test]
    fn any_decimal_round_trips(mantissa in any::<i64>(), extra in 0u64..1_000_000, scale in 0u32..=28, quoted: bool) {
        let wide = i128::from(mantissa) * 1_000_000 + i128::from(extra);
        let Ok(value) = Decimal::try_from_i128_with_scale(wide, scale) else {
            return Ok(());
        };
        let text = value.to_string();
        let json = if quoted { format!("\"{text}\"") } else { text.clone() };
        let amount: Amount = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(amount.value(), value);
        prop_assert_eq!(amount.to_string(), text.clone());
        prop_assert_eq!(serde_json::to_string(&amount).unwrap(), text);
    }

    // Any text at all: an amount or an error, never a panic.
    #[test]
    fn any_text_decodes_or_is_refused(text in ".{0,40}") {
        let _ = serde_json::from_str::<Amount>(&text);
        let _ = text.parse::<Amount>();
    }
}

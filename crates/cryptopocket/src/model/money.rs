//! Conversions from the API's three amount representations to [`Decimal`].
//!
//! Every function returns the amount in the unit a person means (euros,
//! whole tokens), so the rest of the crate never has to remember which
//! endpoint used cents, which used base units and which used a decimal
//! string. JSON numbers never reach a float: the generated types hold them as
//! [`cryptopocket_api::Amount`], read from the number's text. Arithmetic stays
//! in [`Decimal`].

use std::str::FromStr;

use rust_decimal::Decimal;

/// The most characters of an offending input an error message repeats, so a
/// hostile or corrupt response cannot blow up logs.
const SHOWN_INPUT_CHARS: usize = 64;

/// Why an amount could not be converted exactly.
///
/// Every failure is an error rather than a rounded value: an amount that is
/// silently off by a cent or a token fraction is worse than no amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// The amount text was empty, which the API never means as zero.
    #[error("amount is empty")]
    Empty,
    /// A base-unit amount held something other than the digits 0-9.
    #[error("base-unit amount {input:?} must contain only the digits 0-9")]
    NotDigits {
        /// The offending text (at most 64 characters of it).
        input: String,
    },
    /// The token's decimals exceed what a [`Decimal`] can scale by.
    #[error("token decimals {decimals} exceed 28, the most a Decimal supports")]
    TooManyDecimals {
        /// The decimals value that was given.
        decimals: u32,
    },
    /// A decimal string was not a plain `-?digits(.digits)?` number.
    #[error("amount {input:?} is not a plain decimal number: {reason}")]
    Malformed {
        /// The offending text (at most 64 characters of it).
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// The value is too large or has too many significant digits to be held
    /// exactly (a [`Decimal`] keeps at most 28 decimal places and a 96-bit
    /// mantissa).
    #[error("amount {input:?} cannot be held exactly in a Decimal (too large or too many digits)")]
    OutOfRange {
        /// The offending value as text (at most 64 characters of it).
        input: String,
    },
}

/// Shortens an input for an error message.
fn shown(input: &str) -> String {
    crate::error::shortened(input, SHOWN_INPUT_CHARS)
}

/// Converts an integer number of cents (Retrieve payment's `fiat_amount`)
/// into the major unit, keeping two decimal places so `15050` reads as
/// `150.50`.
#[inline]
pub fn from_cents(cents: i64) -> Decimal {
    // `Decimal::new(cents, 2)`, built from its parts: `new` is not inlined across crates and
    // lists convert one amount a row. `from_parts` is, and its scale check is constant; the
    // sign is set after it, as its check for a negative zero cannot apply (cents < 0 is
    // never zero).
    let magnitude = cents.unsigned_abs();
    let mut amount = Decimal::from_parts(magnitude as u32, (magnitude >> 32) as u32, 0, false, 2);
    amount.set_sign_negative(cents < 0);
    amount
}

/// Converts a token amount in base units (Get rampoff status's `amount`, a
/// string because values like 2×10¹⁹ overflow `u64`) into whole tokens by
/// dividing by `10^decimals`.
///
/// The result is normalised (`20`, not `20.000000000000000000`), because the
/// scale of a base-unit division carries no meaning.
pub fn from_base_units(units: &str, decimals: u32) -> Result<Decimal, AmountError> {
    if units.is_empty() {
        return Err(AmountError::Empty);
    }
    if !units.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AmountError::NotDigits {
            input: shown(units),
        });
    }
    if decimals > Decimal::MAX_SCALE {
        return Err(AmountError::TooManyDecimals { decimals });
    }
    let out_of_range = || AmountError::OutOfRange {
        input: shown(units),
    };

    // Trailing zeros that the division would remove anyway are dropped first,
    // so large but round amounts (1e32 base units, 18 decimals) still fit in
    // the 96-bit mantissa.
    let significant = units.trim_start_matches('0');
    let without_zeros = significant.trim_end_matches('0');
    let removable = significant.len() - without_zeros.len();
    let dropped = removable.min(usize::try_from(decimals).map_err(|_| out_of_range())?);
    let digits = significant
        .get(..significant.len() - dropped)
        .ok_or_else(out_of_range)?;
    let scale = decimals - u32::try_from(dropped).map_err(|_| out_of_range())?;

    if digits.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let mantissa = i128::from_str(digits).map_err(|_| out_of_range())?;
    Decimal::try_from_i128_with_scale(mantissa, scale)
        .map(|value| value.normalize())
        .map_err(|_| out_of_range())
}

/// Parses a decimal string such as Get rampoff status's `fiat_amount`
/// (`"4800.24"`).
///
/// Only `-?digits(.digits)?` is accepted: no `+`, exponents, `NaN`,
/// separators or surrounding spaces, because each of those hides an
/// ambiguity (is `1.234` a thousand or one?) that must not turn into money.
/// The scale is kept as sent.
pub fn parse_decimal(text: &str) -> Result<Decimal, AmountError> {
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    let malformed = |reason| AmountError::Malformed {
        input: shown(text),
        reason,
    };

    let body = text.strip_prefix('-').unwrap_or(text);
    let mut before_dot = 0usize;
    let mut after_dot = 0usize;
    let mut seen_dot = false;
    for c in body.chars() {
        match c {
            '0'..='9' if seen_dot => after_dot += 1,
            '0'..='9' => before_dot += 1,
            '.' if seen_dot => return Err(malformed("more than one '.'")),
            '.' => seen_dot = true,
            '+' | '-' => return Err(malformed("a sign is only allowed as a leading '-'")),
            'e' | 'E' => return Err(malformed("exponents are not allowed")),
            ',' | '_' | '\'' => return Err(malformed("digit separators are not allowed")),
            c if c.is_whitespace() => return Err(malformed("spaces are not allowed")),
            _ => {
                return Err(malformed(
                    "only digits, one '.' and a leading '-' are allowed",
                ));
            }
        }
    }
    if before_dot == 0 {
        return Err(malformed("a digit is required before any '.'"));
    }
    if seen_dot && after_dot == 0 {
        return Err(malformed("a digit is required after '.'"));
    }

    Decimal::from_str_exact(text).map_err(|_| AmountError::OutOfRange { input: shown(text) })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::{AmountError, from_base_units, from_cents, parse_decimal};

    fn dec(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap_or_else(|e| panic!("bad test literal {text}: {e}"))
    }

    #[test]
    fn cents_keep_two_decimals() {
        let amount = from_cents(15050);
        assert_eq!(amount, dec("150.5"));
        assert_eq!(amount.to_string(), "150.50");
        assert_eq!(from_cents(-1).to_string(), "-0.01");
        assert_eq!(from_cents(i64::MAX).to_string(), "92233720368547758.07");
        assert_eq!(from_cents(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn base_units_divide_and_normalise() -> Result<(), AmountError> {
        let amount = from_base_units("20000000000000000000", 18)?;
        assert_eq!(amount.to_string(), "20");
        assert_eq!(from_base_units("1500000", 6)?.to_string(), "1.5");
        assert_eq!(
            from_base_units("1", 18)?.to_string(),
            "0.000000000000000001"
        );
        assert_eq!(from_base_units("0", 18)?, Decimal::ZERO);
        assert_eq!(from_base_units("000", 0)?, Decimal::ZERO);
        assert_eq!(from_base_units("00042", 1)?.to_string(), "4.2");
        assert_eq!(from_base_units("1200", 0)?.to_string(), "1200");
        Ok(())
    }

    #[test]
    fn base_units_fit_large_round_values() -> Result<(), AmountError> {
        // 1e32 base units is beyond the 96-bit mantissa, but 1e14 tokens is not.
        let units = format!("1{}", "0".repeat(32));
        assert_eq!(from_base_units(&units, 18)?.to_string(), "100000000000000");
        // The largest mantissa, at the largest scale.
        assert_eq!(
            from_base_units("79228162514264337593543950335", 28)?.to_string(),
            "7.9228162514264337593543950335"
        );
        Ok(())
    }

    #[test]
    fn base_units_refuse_what_cannot_be_exact() {
        assert!(matches!(
            from_base_units("79228162514264337593543950336", 0),
            Err(AmountError::OutOfRange { .. })
        ));
        // 31 significant digits cannot be held exactly even though the value
        // itself (about 123.4) is small.
        assert!(matches!(
            from_base_units("1234567890123456789012345678901", 28),
            Err(AmountError::OutOfRange { .. })
        ));
        let huge = "9".repeat(10_000);
        match from_base_units(&huge, 18) {
            Err(AmountError::OutOfRange { input }) => {
                assert_eq!(input.chars().count(), 65);
                assert!(input.ends_with('…'));
            }
            other => panic!("expected OutOfRange, got {other:?}"),
        }
    }

    #[test]
    fn base_units_refuse_bad_text_and_scale() {
        assert_eq!(from_base_units("", 18), Err(AmountError::Empty));
        for bad in ["-1", "+1", "1.0", " 1", "1e18", "١٢"] {
            assert_eq!(
                from_base_units(bad, 18),
                Err(AmountError::NotDigits {
                    input: bad.to_owned()
                }),
                "{bad}"
            );
        }
        assert_eq!(
            from_base_units("1", 29),
            Err(AmountError::TooManyDecimals { decimals: 29 })
        );
        assert_eq!(
            from_base_units("1", u32::MAX),
            Err(AmountError::TooManyDecimals { decimals: u32::MAX })
        );
    }

    #[test]
    fn parse_decimal_accepts_plain_numbers() -> Result<(), AmountError> {
        assert_eq!(parse_decimal("4800.24")?, dec("4800.24"));
        assert_eq!(parse_decimal("-0.5")?, dec("-0.5"));
        assert_eq!(parse_decimal("007")?, dec("7"));
        assert_eq!(parse_decimal("4800.20")?.to_string(), "4800.20");
        Ok(())
    }

    #[test]
    fn parse_decimal_refuses_ambiguous_text() {
        assert_eq!(parse_decimal(""), Err(AmountError::Empty));
        let cases = [
            ("+1", "a sign is only allowed as a leading '-'"),
            ("1-", "a sign is only allowed as a leading '-'"),
            ("--1", "a sign is only allowed as a leading '-'"),
            ("1e5", "exponents are not allowed"),
            ("1E5", "exponents are not allowed"),
            ("1,000.00", "digit separators are not allowed"),
            ("1_000", "digit separators are not allowed"),
            ("1.234.567", "more than one '.'"),
            (" 1", "spaces are not allowed"),
            ("NaN", "only digits, one '.' and a leading '-' are allowed"),
            ("inf", "only digits, one '.' and a leading '-' are allowed"),
            (".5", "a digit is required before any '.'"),
            ("-", "a digit is required before any '.'"),
            ("5.", "a digit is required after '.'"),
        ];
        for (text, reason) in cases {
            assert_eq!(
                parse_decimal(text),
                Err(AmountError::Malformed {
                    input: text.to_owned(),
                    reason
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn parse_decimal_refuses_unrepresentable() {
        let too_precise = format!("0.{}1", "0".repeat(28));
        assert!(matches!(
            parse_decimal(&too_precise),
            Err(AmountError::OutOfRange { .. })
        ));
        assert!(matches!(
            parse_decimal("79228162514264337593543950336"),
            Err(AmountError::OutOfRange { .. })
        ));
    }

    #[test]
    fn error_messages_name_the_input() {
        let message = parse_decimal("1,5").map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err(
                "amount \"1,5\" is not a plain decimal number: digit separators are not allowed"
                    .to_owned()
            )
        );
        let message = from_base_units("1", 30).map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err("token decimals 30 exceed 28, the most a Decimal supports".to_owned())
        );
    }

    #[test]
    fn cents_are_built_exactly_as_decimal_new_builds_them() {
        // The same 16 bytes (mantissa, scale, sign), not only an equal value: the scale of
        // two is what makes `15050` print `150.50`.
        for cents in [
            0,
            1,
            -1,
            5,
            99,
            -99,
            100,
            15050,
            -15050,
            i64::from(u32::MAX),
        ]
        .into_iter()
        .chain([i64::from(u32::MAX) + 1, i64::MAX, i64::MIN, i64::MIN + 1])
        {
            assert_eq!(
                from_cents(cents).serialize(),
                Decimal::new(cents, 2).serialize(),
                "{cents}"
            );
        }
        assert_eq!(from_cents(15050).to_string(), "150.50");
        assert_eq!(from_cents(-5).to_string(), "-0.05");
    }

    proptest! {
        #[test]
        fn cents_match_decimal_new(cents: i64) {
            prop_assert_eq!(from_cents(cents).serialize(), Decimal::new(cents, 2).serialize());
        }

        // Whatever text a server sends, parsing answers; what it accepts reads back the same.
        #[test]
        fn parse_decimal_never_panics_and_round_trips(text in "\\PC{0,40}|-?[0-9]{1,30}(\\.[0-9]{1,30})?") {
            if let Ok(amount) = parse_decimal(&text) {
                prop_assert_eq!(parse_decimal(&amount.to_string()), Ok(amount));
            }
        }

        // Against a second path to the same value: the mantissa and scale given directly.
        #[test]
        fn base_units_are_the_integer_divided_exactly(units: u64, decimals in 0u32..=28) {
            let expected = Decimal::from_i128_with_scale(i128::from(units), decimals).normalize();
            prop_assert_eq!(from_base_units(&units.to_string(), decimals), Ok(expected));
        }

        #[test]
        fn base_units_never_panic(units in "[0-9]{0,60}|\\PC{0,20}", decimals: u32) {
            let _ = from_base_units(&units, decimals);
        }
    }
}

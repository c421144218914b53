//! Durations written by people: `30`, `2.5`, `500ms`, `1.5s`, `2 min`, `1m30s`, `1d`.
//!
//! One parser for every place a duration is typed: `CRYPTOPOCKET_TIMEOUT` and the command
//! line's `--timeout`, `--interval`, `--max-wait` and `--tolerance`. Each caller checks its
//! own range (a call's deadline is at most [`MAX_TIMEOUT`](crate::MAX_TIMEOUT)); the parser
//! only says whether the text is a duration above zero, and if not, why.
//!
//! The arithmetic is exact: digits are read as integers of nanoseconds, never through a
//! float, so `0.1s` is 100 ms and not 99.999… ms.
//!
//! ```
//! use std::time::Duration;
//! use cryptopocket::duration::{parse_duration, DurationError};
//!
//! assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
//! assert_eq!(parse_duration(" 2.5 "), Ok(Duration::from_millis(2500)));
//! assert_eq!(
//!     parse_duration("5x"),
//!     Err(DurationError::UnknownUnit { unit: "x".into() })
//! );
//! // The message reads after the text it is about.
//! assert_eq!(
//!     format!("`0s` {}", parse_duration("0s").unwrap_err()),
//!     "`0s` must be a duration above zero"
//! );
//! ```

use std::{fmt, time::Duration};

/// The forms accepted, for error messages.
const FORMS: &str =
    "write a number with a unit, like 500ms, 1.5s, 1m, 2h or 1m30s (a bare number is seconds)";

/// Nanoseconds a unit stands for.
fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ms" => 1_000_000,
        "s" | "sec" | "secs" => 1_000_000_000,
        "m" | "min" | "mins" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    })
}

/// Why a text is not a duration. Its `Display` is a phrase that reads after the text, e.g.
/// ``format!("`{text}` {error}")``.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DurationError {
    /// Not numbers with units at all (empty, a sign, an exponent, two decimal points, a word).
    Malformed,
    /// A number without a unit after another part (`1m30`): a bare number is only seconds
    /// when it stands alone.
    NoUnit {
        /// The number that has no unit.
        number: String,
    },
    /// A unit other than `ms`, `s`, `m`, `h` or `d` (and their spelled-out forms).
    UnknownUnit {
        /// The unit as written.
        unit: String,
    },
    /// Zero in all: a duration must be longer than zero.
    Zero,
    /// Above zero, but shorter than a nanosecond, the finest a duration holds.
    BelowNanosecond,
    /// Longer than a [`Duration`] holds.
    TooLong,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => write!(f, "is not a duration: {FORMS}"),
            Self::NoUnit { number } => {
                write!(f, "has a number without a unit (`{number}`); {FORMS}")
            }
            Self::UnknownUnit { unit } => {
                write!(f, "has an unknown unit `{unit}`; use ms, s, m, h or d")
            }
            Self::Zero => f.write_str("must be a duration above zero"),
            Self::BelowNanosecond => f.write_str("is shorter than a nanosecond"),
            Self::TooLong => f.write_str("is too long a duration"),
        }
    }
}

impl std::error::Error for DurationError {}

/// `text` as a duration above zero: a bare decimal number of seconds (`30`, `2.5`), or
/// numbers each followed by a unit, `ms`, `s`, `m`, `h` or `d` (`500ms`, `1.5s`, `2 min`,
/// `1m30s`). Spaces around the whole and between a number and its unit are allowed.
///
/// # Errors
///
/// [`DurationError`] saying why not; no sign, exponent, `inf` or `NaN` is a duration.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let is_number = |c: char| c.is_ascii_digit() || c == '.';
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(DurationError::Malformed);
    }
    let mut nanos: u128 = 0;
    let mut first = true;
    while !rest.is_empty() {
        let (number, after) = rest.split_at(rest.find(|c| !is_number(c)).unwrap_or(rest.len()));
        let (unit, after) = after.split_at(after.find(is_number).unwrap_or(after.len()));
        let unit = unit.trim();
        let scale = match unit_nanos(unit) {
            Some(scale) => scale,
            // A bare number is seconds, alone only (`1m30` is a mistake, not 90 s).
            None if unit.is_empty() && first && after.is_empty() => 1_000_000_000,
            None if unit.is_empty() => {
                return Err(DurationError::NoUnit {
                    number: number.to_owned(),
                });
            }
            // A unit where a number should be (`ms`, `-1s`): no number at all.
            None if number.is_empty() => return Err(DurationError::Malformed),
            None => {
                return Err(DurationError::UnknownUnit {
                    unit: unit.to_owned(),
                });
            }
        };
        nanos = nanos
            .checked_add(part_nanos(number, scale)?)
            .ok_or(DurationError::TooLong)?;
        first = false;
        rest = after.trim_start();
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| DurationError::TooLong)?;
    let duration = Duration::new(secs, (nanos % 1_000_000_000) as u32);
    if duration.is_zero() {
        // Nonzero digits that came to less than a nanosecond are not "zero".
        let digits = text.chars().filter(char::is_ascii_digit);
        return Err(if digits.clone().any(|c| c != '0') {
            DurationError::BelowNanosecond
        } else {
            DurationError::Zero
        });
    }
    Ok(duration)
}

/// `number` (digits with at most one point) units of `scale` nanoseconds, rounded down to
/// a whole nanosecond.
fn part_nanos(number: &str, scale: u128) -> Result<u128, DurationError> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
        return Err(DurationError::Malformed);
    }
    let whole_nanos = whole
        .chars()
        .try_fold(0u128, |n, c| {
            n.checked_mul(10)?.checked_add(u128::from(c as u8 - b'0'))
        })
        .and_then(|n| n.checked_mul(scale))
        .ok_or(DurationError::TooLong)?;
    // The largest scale is below 10^14 ns, so digits past the 20th are below a nanosecond
    // of any unit and 10^20 · scale fits a u128.
    let fraction = &fraction[..fraction.len().min(20)];
    let numerator = fraction
        .chars()
        .fold(0u128, |n, c| n * 10 + u128::from(c as u8 - b'0'));
    let fraction_nanos = numerator * scale / 10u128.pow(fraction.len() as u32);
    whole_nanos
        .checked_add(fraction_nanos)
        .ok_or(DurationError::TooLong)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_alone_or_numbers_with_units() {
        let ms = Duration::from_millis;
        for (text, expected) in [
            ("30", ms(30_000)),
            ("2.5", ms(2500)),
            (" 500ms ", ms(500)),
            ("1.5s", ms(1500)),
            ("2m", ms(120_000)),
            ("1h", ms(3_600_000)),
            ("0.5 s", ms(500)),
            ("1m30s", ms(90_000)),
            ("1m0s", ms(60_000)),
            ("1d", ms(86_400_000)),
            ("2 min", ms(120_000)),
            ("7d", ms(604_800_000)),
            (".5", ms(500)),
            ("5.", ms(5000)),
            ("0.1", ms(100)),
            ("0.000000001", Duration::from_nanos(1)),
            ("1.0000000019", Duration::new(1, 1)),
            (
                "10000000000000000000",
                Duration::from_secs(10_000_000_000_000_000_000),
            ),
        ] {
            assert_eq!(parse_duration(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn every_refusal_says_why() {
        use DurationError::*;
        let unit = |u: &str| UnknownUnit { unit: u.into() };
        for (text, expected) in [
            ("", Malformed),
            ("   ", Malformed),
            (".", Malformed),
            ("1.2.3", Malformed),
            ("1.2.3s", Malformed),
            ("ms", Malformed),
            ("-1", Malformed),
            ("-1s", Malformed),
            ("+1", Malformed),
            ("soon", Malformed),
            ("inf", Malformed),
            ("NaN", Malformed),
            (
                "1m30",
                NoUnit {
                    number: "30".into(),
                },
            ),
            ("5x", unit("x")),
            ("1e3", unit("e")),
            ("1e-300", unit("e-")),
            ("0", Zero),
            ("0s", Zero),
            ("0ms0s", Zero),
            ("0.0000000001", BelowNanosecond),
            ("99999999999999999999999h", TooLong),
            ("18446744073709551616", TooLong),
        ] {
            assert_eq!(parse_duration(text), Err(expected), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn seconds_with_nine_decimals_are_exact(secs in 0u64..=u64::MAX, nanos in 1u32..1_000_000_000) {
            let text = format!("{secs}.{nanos:09}");
            proptest::prop_assert_eq!(parse_duration(&text), Ok(Duration::new(secs, nanos)));
            let text = format!("{secs}s {nanos}ms");
            let expected = u128::from(secs) * 1_000_000_000 + u128::from(nanos) * 1_000_000;
            let parsed = parse_duration(&text).map(|d| d.as_nanos());
            if expected / 1_000_000_000 > u128::from(u64::MAX) {
                proptest::prop_assert_eq!(parsed, Err(DurationError::TooLong));
            } else {
                proptest::prop_assert_eq!(parsed, Ok(expected));
            }
        }
    }

    #[test]
    fn no_input_panics() {
        for text in [
            "\u{1F4A3}",
            "1\u{0301}s",
            "1 ms ms",
            "9".repeat(60).as_str(),
            "1.",
            "..s",
        ] {
            let _ = parse_duration(text);
        }
        assert_eq!(
            format!("`5x` {}", parse_duration("5x").unwrap_err()),
            "`5x` has an unknown unit `x`; use ms, s, m, h or d"
        );
    }
}

//! [`Amount`]: the exact decimal every amount of the spec is generated as.
//!
//! The API sends amounts as JSON numbers (`240`, `0.00384`) and an 18-decimal token amount
//! does not survive a float: `0.123456789012345678` becomes `0.12345678901234568`. So an
//! amount is read from the text of the JSON value itself (serde_json's `RawValue`), never
//! through `f64`, and written back as exactly that number.

use std::{fmt, str::FromStr};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
use serde_json::value::RawValue;

/// An amount of money or tokens, exact: the spec's `Amount` schema.
///
/// Decodes from a JSON number or a JSON string holding a decimal (`240`, `"240.50"`,
/// `1.5e-3`), keeping every digit and the scale as sent (`240.0` stays `240.0`). A value a
/// [`Decimal`] cannot hold exactly (more than 28 significant digits, or beyond about
/// 7.9 × 10²⁸) is a decode error, never a rounded value. Encodes as a JSON number with
/// exactly its digits.
///
/// ```
/// use cryptopocket_api::Amount;
///
/// let amount: Amount = serde_json::from_str("0.123456789012345678").unwrap();
/// assert_eq!(amount.to_string(), "0.123456789012345678");
/// assert_eq!(serde_json::to_string(&amount).unwrap(), "0.123456789012345678");
/// let quoted: Amount = serde_json::from_str(r#""150.50""#).unwrap();
/// assert_eq!(quoted.value(), rust_decimal::Decimal::new(15050, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Amount(Decimal);

impl Amount {
    /// The amount as a [`Decimal`].
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for Amount {
    fn from(value: Decimal) -> Self {
        Amount(value)
    }
}

impl From<Amount> for Decimal {
    fn from(amount: Amount) -> Self {
        amount.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Why a text is not an [`Amount`]. Names what is wrong, never the text itself (bodies carry
/// personal data; the caller knows where the value came from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountError(&'static str);

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for AmountError {}

impl FromStr for Amount {
    type Err = AmountError;

    /// Reads a decimal number as JSON writes one (`-12`, `0.5`, `1.5e-3`, `2E+2`), with
    /// surrounding whitespace allowed. Exact or refused.
    fn from_str(text: &str) -> Result<Self, AmountError> {
        let text = text.trim();
        if !is_json_number(text) {
            return Err(AmountError("not a decimal number"));
        }
        let parsed = match text.split_once(['e', 'E']) {
            // `from_scientific` reads the digits before the exponent with the rounding
            // `from_str`: they are checked to fit exactly first. The exponent's scaling after
            // that is exact or an error.
            Some((digits, _)) => {
                Decimal::from_str_exact(digits).and_then(|_| Decimal::from_scientific(text))
            }
            None => Decimal::from_str_exact(text),
        };
        parsed
            .map(Amount)
            .map_err(|_| AmountError("too many digits or too large to hold exactly"))
    }
}

/// Whether `text` follows JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
/// Leading zeros (`007`) are tolerated, since a string amount may carry them.
fn is_json_number(text: &str) -> bool {
    let bytes = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut at = digits(0);
    if at == 0 {
        return false;
    }
    if bytes.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction == 0 {
            return false;
        }
        at += 1 + fraction;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == 0 {
            return false;
        }
        at += exponent;
    }
    at == bytes.len()
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The value's own text: a number's digits before any float sees them.
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        let number = if text.starts_with('"') {
            serde_json::from_str::<String>(text).map_err(D::Error::custom)?
        } else {
            text.to_owned()
        };
        number
            .parse()
            .map_err(|e: AmountError| D::Error::custom(format!("invalid amount: {e}")))
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `Decimal`'s text is always a valid JSON number (no exponent, no leading `+`).
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl schemars::JsonSchema for Amount {
    fn schema_name() -> String {
        "Amount".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{InstanceType, Metadata, SchemaObject, SubschemaValidation};
        let of = |instance: InstanceType| {
            SchemaObject {
                instance_type: Some(instance.into()),
                ..Default::default()
            }
            .into()
        };
        SchemaObject {
            metadata: Some(Box::new(Metadata {
                description: Some(
                    "An exact decimal amount: a JSON number, or a string holding one.".to_owned(),
                ),
                ..Default::default()
            })),
            subschemas: Some(Box::new(SubschemaValidation {
                one_of: Some(vec![of(InstanceType::Number), of(InstanceType::String)]),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

//! The spec's integers, timestamps and ids, read in every representation a server plausibly
//! sends for them, with their meaning kept strict.
//!
//! The API is only partly documented and is served by Laravel. It sends the customer id as a
//! number in requests and as a string in Retrieve payment, and a PHP back end writes
//! integers as strings (`"3600"`) and timestamps in Laravel's default `2026-06-26 10:30:00`
//! as readily as in RFC 3339. A value in another *representation* is accepted; a value of
//! another *meaning* (`"12.5"` for an integer, `"tomorrow"` for a timestamp) is still an
//! error. `cargo xtask gen` maps the spec's shapes onto these types:
//!
//! | spec | type |
//! |---|---|
//! | `type: integer` with `format: int64` or `int32` | [`Int`] |
//! | `type: string, format: date-time` | [`Timestamp`] |
//! | `type: string, format: id` (our own format for identifiers) | [`Id`] |
//!
//! The visitors below take what serde hands them (rather than a `RawValue`), so the types
//! also decode inside untagged enums and flattened structs.

use std::{fmt, ops::Deref, str::FromStr};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, Visitor},
};

/// An integer of the spec (ids such as the customer's `user_id`, counters, lifetimes).
///
/// Decodes from a JSON integer or a string holding a decimal integer (`"3600"`, surrounding
/// whitespace allowed). A JSON number written with a fraction or an exponent (`3600.0`) is
/// refused: serde hands it over only as an `f64`, which may have rounded it. Encodes as a
/// JSON number.
///
/// ```
/// use cryptopocket_api::Int;
///
/// let a: Int = serde_json::from_str("3600").unwrap();
/// let b: Int = serde_json::from_str(r#""3600""#).unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.get(), 3600);
/// assert!(serde_json::from_str::<Int>(r#""36.5""#).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Int(i64);

impl Int {
    /// The integer.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl PartialEq<i64> for Int {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

impl From<i64> for Int {
    fn from(value: i64) -> Self {
        Int(value)
    }
}

impl From<i32> for Int {
    fn from(value: i32) -> Self {
        Int(value.into())
    }
}

impl From<Int> for i64 {
    fn from(value: Int) -> Self {
        value.0
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Why a text is not what a tolerant type wants. Names what is wrong, never the text (bodies
/// carry personal data; the caller knows where the value came from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepresentationError(&'static str);

impl fmt::Display for RepresentationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for RepresentationError {}

impl FromStr for Int {
    type Err = RepresentationError;

    /// Reads `[-]digits`, surrounding whitespace allowed.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RepresentationError("not an integer"));
        }
        text.parse()
            .map(Int)
            .map_err(|_| RepresentationError("an integer out of the 64-bit range"))
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntVisitor;

        impl Visitor<'_> for IntVisitor {
            type Value = Int;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer, as a JSON number or a string")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom("an integer out of the 64-bit range"))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Int, E> {
                // serde hands over a number with a fraction or an exponent only as an f64,
                // which may already have rounded it (`15050.000000000000001` arrives as
                // 15050.0): refused rather than guessed, since integers here include cents.
                Err(E::custom(
                    "a number with a fraction or an exponent where an integer belongs",
                ))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(IntVisitor)
    }
}

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl schemars::JsonSchema for Int {
    fn schema_name() -> String {
        "Int".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        either_of(
            "An integer: a JSON number, or a string holding one.",
            schemars::schema::InstanceType::Integer,
        )
    }
}

/// A point in time of the spec (`created_at`, `expires_at`), in UTC.
///
/// Decodes from RFC 3339 (`2026-06-26T10:30:00Z`, `2026-06-26T12:30:00+02:00`, any
/// fraction) and from Laravel's default `YYYY-MM-DD HH:MM:SS[.fraction]` without an offset,
/// read as UTC (the API documents no time zone; Laravel's default is UTC). Encodes as RFC
/// 3339 in UTC.
///
/// ```
/// use cryptopocket_api::Timestamp;
///
/// let laravel: Timestamp = serde_json::from_str(r#""2026-06-26 10:30:00""#).unwrap();
/// let rfc: Timestamp = serde_json::from_str(r#""2026-06-26T12:30:00+02:00""#).unwrap();
/// assert_eq!(laravel, rfc);
/// assert_eq!(laravel.to_string(), "2026-06-26T10:30:00Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The instant.
    pub fn get(self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Timestamp(value)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl FromStr for Timestamp {
    type Err = RepresentationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(Timestamp(at.with_timezone(&Utc)));
        }
        // Laravel's `Y-m-d H:i:s`, and the same with a `T` or a fraction, without an offset.
        ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(|naive| Timestamp(naive.and_utc()))
            .ok_or(RepresentationError(
                "not a timestamp (RFC 3339 or YYYY-MM-DD HH:MM:SS)",
            ))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;

        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp string (RFC 3339 or YYYY-MM-DD HH:MM:SS)")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(TimestampVisitor)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> String {
        "Timestamp".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_owned()),
            ..Default::default()
        }
        .into()
    }
}

/// An identifier of the spec (a payment id, a transaction id, a txid), as text.
///
/// Decodes from a JSON string or a JSON integer (written as its digits: `100067` becomes
/// `"100067"`); a number with a fraction or an exponent is refused, since its digits may
/// already be lost. Encodes as a JSON string.
///
/// ```
/// use cryptopocket_api::Id;
///
/// let a: Id = serde_json::from_str("100067").unwrap();
/// let b: Id = serde_json::from_str(r#""100067""#).unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.as_str(), "100067");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Id(String);

impl Id {
    /// The identifier's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier's text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl Deref for Id {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Id {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl From<String> for Id {
    fn from(value: String) -> Self {
        Id(value)
    }
}

impl From<&str> for Id {
    fn from(value: &str) -> Self {
        Id(value.to_owned())
    }
}

impl From<Id> for String {
    fn from(value: Id) -> Self {
        value.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Id {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Id(text.to_owned()))
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl Visitor<'_> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an identifier, as a string or an integer")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Id, E> {
                Err(E::custom(
                    "an identifier sent as a non-integer number (its digits may be lost)",
                ))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id(v))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl schemars::JsonSchema for Id {
    fn schema_name() -> String {
        "Id".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        either_of(
            "An identifier: a string, or an integer read as its digits.",
            schemars::schema::InstanceType::String,
        )
    }
}

/// A schema for "`primary`, or the other of integer and string", with a description.
fn either_of(
    description: &str,
    primary: schemars::schema::InstanceType,
) -> schemars::schema::Schema {
    use schemars::schema::{InstanceType, Metadata, SchemaObject, SingleOrVec};
    let other = if primary == InstanceType::String {
        InstanceType::Integer
    } else {
        InstanceType::String
    };
    SchemaObject {
        metadata: Some(Box::new(Metadata {
            description: Some(description.to_owned()),
            ..Default::default()
        })),
        instance_type: Some(SingleOrVec::Vec(vec![primary, other])),
        ..Default::default()
    }
    .into()
}

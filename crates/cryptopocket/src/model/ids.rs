//! Identifier newtypes, so a payment id cannot be passed where an off-ramp id
//! or an IBAN is expected.
//!
//! Constructors validate what the caller builds, because these values go
//! into URL paths and queries. Deserialisation is permissive: whatever the
//! server sends is its own id and must be kept, not refused.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most characters of an offending input an error message repeats.
const SHOWN_INPUT_CHARS: usize = 64;

/// Why a value cannot be used as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The value was empty or only whitespace.
    #[error("{kind} is empty")]
    Empty {
        /// Which kind of id it was meant to be (e.g. `payment id`).
        kind: &'static str,
    },
    /// The value holds a character that would change the meaning of a URL
    /// path or query it is put into.
    #[error("{kind} {input:?} contains {found:?}, which cannot go in a URL path or query")]
    ForbiddenChar {
        /// Which kind of id it was meant to be.
        kind: &'static str,
        /// The offending value (at most 64 characters of it).
        input: String,
        /// The first forbidden character.
        found: char,
    },
    /// The value is not a customer id.
    #[error("user id {input:?} is invalid: {reason}")]
    InvalidUserId {
        /// The offending value (at most 64 characters of it).
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// The value is not a valid IBAN.
    #[error("IBAN {input:?} is invalid: {reason}")]
    InvalidIban {
        /// The offending value (at most 64 characters of it).
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },
}

/// Shortens an input for an error message.
fn shown(input: &str) -> String {
    crate::error::shortened(input, SHOWN_INPUT_CHARS)
}

/// A customer id (`user_id`).
///
/// Requests send it as a JSON number but Retrieve payment returns it as a
/// string (`"100067"`), so deserialisation accepts both and serialisation
/// always writes the number the requests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(i64);

impl UserId {
    /// Wraps a customer id as returned by registration.
    pub fn new(id: i64) -> Self {
        Self(id)
    }

    /// The numeric id, for request fields and path parameters.
    pub fn get(&self) -> i64 {
        self.0
    }
}

impl From<i64> for UserId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl From<&UserId> for UserId {
    fn from(id: &UserId) -> Self {
        *id
    }
}

impl FromStr for UserId {
    type Err = IdError;

    /// Accepts only the digits 0-9 (no sign, no spaces), the form the
    /// server uses when it sends the id as a string.
    #[inline]
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // Up to 8 digits (every id seen so far) are checked and read 8 bytes at once
        // (lists read one id a row); anything else takes the byte-by-byte path.
        match eight_digits(text.as_bytes()) {
            Some(value) => Ok(Self(value)),
            None => parse_user_id(text),
        }
    }
}

/// [`UserId::from_str`] byte by byte: empty, longer than 8 bytes, or not all digits.
#[cold]
#[inline(never)]
fn parse_user_id(text: &str) -> Result<UserId, IdError> {
    if text.is_empty() {
        return Err(IdError::Empty { kind: "user id" });
    }
    let invalid = |reason| IdError::InvalidUserId {
        input: shown(text),
        reason,
    };
    // One pass: digits are checked and accumulated together.
    let mut value: Option<i64> = Some(0);
    for b in text.bytes() {
        if !b.is_ascii_digit() {
            return Err(invalid("only the digits 0-9 are allowed"));
        }
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(i64::from(b - b'0')));
    }
    value
        .map(UserId)
        .ok_or_else(|| invalid("too large for a 64-bit id"))
}

/// The value of 1 to 8 ASCII digits, or `None` when there are more bytes or one is not a
/// digit (the caller's loop then says which). The digits are left-padded with `0` into
/// one little-endian word, checked and combined without a loop over bytes.
#[inline]
fn eight_digits(bytes: &[u8]) -> Option<i64> {
    let len = bytes.len();
    if len == 0 || len > 8 {
        return None;
    }
    // The digits in the high `len` bytes, the first lowest, read without a `memcpy` call:
    // two overlapping 4-byte reads (the overlap holds the same bytes in both), or for 1 to
    // 3 digits the first, middle and last bytes; `0` in the `8 - len` low bytes (none for
    // 8 digits).
    let at = |i: usize| 8 * (8 - len + i);
    let digits = if let (Some(head), Some(tail)) =
        (bytes.first_chunk::<4>(), bytes.last_chunk::<4>())
    {
        u64::from(u32::from_le_bytes(*tail)) << 32 | u64::from(u32::from_le_bytes(*head)) << at(0)
    } else {
        u64::from(bytes[len - 1]) << 56
            | u64::from(bytes[len / 2]) << at(len / 2)
            | u64::from(bytes[0]) << at(0)
    };
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    // `ZEROS >> 8 * len` in two shifts, so that 8 digits (a shift by 64) need no branch.
    let word = digits | (ZEROS >> (8 * len - 8)) >> 8;
    // Each byte 0x30..=0x39: its high nibble is 3, and adding 6 leaves it 3.
    const NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let high = (word & NIBBLES) | ((word.wrapping_add(0x0606_0606_0606_0606) & NIBBLES) >> 4);
    if high != 0x3333_3333_3333_3333 {
        return None;
    }
    // Pairs, then fours, then eight: the first byte is the most significant digit.
    let word = ((word & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561)) >> 8;
    let word = ((word & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601)) >> 16;
    let value = ((word & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001)) >> 32;
    // At most 99,999,999.
    Some(value as i64)
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for UserId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UserIdVisitor;

        impl Visitor<'_> for UserIdVisitor {
            type Value = UserId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a user id as a JSON integer or a string of digits")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<UserId, E> {
                Ok(UserId(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<UserId, E> {
                i64::try_from(value).map(UserId).map_err(|_| {
                    E::custom(IdError::InvalidUserId {
                        input: value.to_string(),
                        reason: "too large for a 64-bit id",
                    })
                })
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<UserId, E> {
                text.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_any(UserIdVisitor)
    }
}

/// Checks a caller-built string id; shared by the string id types so they
/// refuse exactly the same characters.
#[inline]
fn check_string_id(kind: &'static str, id: &str) -> Result<(), IdError> {
    // Every id the API issues is printable ASCII: a byte test says "fine" without decoding
    // characters (lists check one id a row). Anything else takes the full check.
    if !id.is_empty() && printable_ascii(id.as_bytes()) {
        return Ok(());
    }
    check_string_id_chars(kind, id)
}

/// [`check_string_id`] character by character, for an id that is not all printable ASCII.
#[cold]
#[inline(never)]
fn check_string_id_chars(kind: &'static str, id: &str) -> Result<(), IdError> {
    if id.trim().is_empty() {
        return Err(IdError::Empty { kind });
    }
    match id
        .chars()
        .find(|&c| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c.is_control())
    {
        Some(found) => Err(IdError::ForbiddenChar {
            kind,
            input: shown(id),
            found,
        }),
        None => Ok(()),
    }
}

/// Whether every byte is printable ASCII other than `/`, `?` and `#`: the fast path of
/// [`check_string_id`]. Tested a block of 16 (or 8) bytes at a time: the first and the
/// last block (overlapping when the length is not a multiple of the block) and any in
/// between. Each byte's test is a few comparisons with no branch, OR-ed over a pair of
/// blocks into one flag with no early exit, so the compiler tests a block's bytes at once
/// and reduces both blocks with one mask (ids under 8 bytes are tested byte by byte).
#[inline(always)]
fn printable_ascii(bytes: &[u8]) -> bool {
    /// Whether a byte is not allowed: outside `!`..=`~`, or `/` or `?` (the only bytes that
    /// read `?` with bit 4 set), or `#`.
    #[inline(always)]
    fn refused(b: u8) -> bool {
        (b.wrapping_sub(b'!') > b'~' - b'!') | ((b | 0x10) == b'?') | (b == b'#')
    }
    /// Whether either block holds a refused byte.
    #[inline(always)]
    fn any_refused<const N: usize>(a: &[u8; N], b: &[u8; N]) -> bool {
        a.iter()
            .zip(b)
            .fold(false, |found, (&x, &y)| found | refused(x) | refused(y))
    }
    if let (Some(first), Some(last)) = (bytes.first_chunk::<16>(), bytes.last_chunk::<16>()) {
        let mut found = any_refused(first, last);
        let mut middle = &bytes[16..];
        while let Some((next, rest)) = middle.split_first_chunk::<16>() {
            if rest.is_empty() {
                break;
            }
            found |= any_refused(next, next);
            middle = rest;
        }
        return !found;
    }
    if let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        return !any_refused(first, last);
    }
    !bytes.iter().fold(false, |found, &b| found | refused(b))
}

/// Defines a string id newtype with the shared validation and serde rules.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks an id built by the caller: it must not be empty and
            /// must not hold `/`, `?`, `#`, whitespace or control characters,
            /// which would change the URL it is put into.
            // Always inlined: a list page checks one id a row, and once the row is
            // written straight into the page (see `output!`), the optimiser otherwise
            // calls this out of line and copies the row's fields through the stack.
            #[inline(always)]
            pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
                let id = id.into();
                check_string_id($kind, &id)?;
                Ok(Self(id))
            }

            /// The id as the API wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// An id the server sent, kept as sent (like `Deserialize`): a genuine id
            /// must not be refused because it would not pass [`Self::new`].
            #[allow(dead_code)]
            pub(crate) fn from_server(id: impl Into<String>) -> Self {
                Self(id.into())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::new(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// Accepts any string: an id the server issued is kept as sent,
            /// even if it would not pass [`Self::new`].
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self)
            }
        }
    };
}

string_id! {
    /// The id of an on-ramp payment (`payment_id`, or `id` in Retrieve
    /// payment), a 25-character alphanumeric token in every example.
    PaymentId, "payment id"
}

string_id! {
    /// The id of an off-ramp operation (`data.id` of Create rampoff), used
    /// to look up its status.
    OffRampId, "off-ramp id"
}

string_id! {
    /// The id of a bank-account transaction (List account transactions),
    /// used to reconcile a `pending_bank` payment with it.
    TransactionId, "transaction id"
}

/// An International Bank Account Number.
///
/// Built with [`Iban::new`], it is normalised (no spaces, upper case) and
/// checksummed, so a typo is caught before money is sent to the wrong
/// account and the value can go straight into a URL path. Deserialised, it
/// keeps exactly what the server sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iban(String);

impl Iban {
    /// Normalises and validates an IBAN: 15–34 letters and digits, a
    /// two-letter country code, two check digits, and the ISO 13616
    /// mod-97 checksum (checked by the `iban_validate` crate, which the
    /// sandbox uses too).
    pub fn new(iban: &str) -> Result<Iban, IdError> {
        let invalid = |reason| IdError::InvalidIban {
            input: shown(iban),
            reason,
        };
        let normal: String = iban
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();

        if normal.is_empty() {
            return Err(IdError::Empty { kind: "IBAN" });
        }
        // These checks only say what is wrong; `iban_validate` decides below.
        if !normal.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid("only letters and digits are allowed"));
        }
        // Only ASCII is left, so the byte length is the character count.
        if !(15..=34).contains(&normal.len()) {
            return Err(invalid("must be 15 to 34 characters long"));
        }
        let bytes = normal.as_bytes();
        if !bytes.iter().take(2).all(u8::is_ascii_uppercase) {
            return Err(invalid("must start with a two-letter country code"));
        }
        if !bytes.iter().skip(2).take(2).all(u8::is_ascii_digit) {
            return Err(invalid("characters 3 and 4 must be check digits"));
        }
        match normal.parse::<iban::BaseIban>() {
            Ok(_) => Ok(Iban(normal)),
            Err(iban::ParseBaseIbanError::InvalidChecksum) => {
                Err(invalid("checksum does not match (mistyped?)"))
            }
            Err(iban::ParseBaseIbanError::InvalidFormat) => {
                Err(invalid("is not in the IBAN format"))
            }
        }
    }

    /// The IBAN as stored: normalised when built by [`Iban::new`], as sent
    /// when deserialised.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An IBAN the server sent, kept as sent (like `Deserialize`).
    pub(crate) fn from_server(iban: impl Into<String>) -> Self {
        Iban(iban.into())
    }
}

impl From<&Iban> for Iban {
    fn from(iban: &Iban) -> Self {
        iban.clone()
    }
}

impl FromStr for Iban {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::new(text)
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl Serialize for Iban {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Iban {
    /// Accepts any string: the server's IBAN is kept as sent.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Iban)
    }
}

#[cfg(test)]
mod tests {
    use super::{Iban, IdError, OffRampId, PaymentId, TransactionId, UserId};

    /// The destination IBAN of the documented bank-transfer example.
    const DOCUMENTED_IBAN: &str = "ES6867130002530016234794";

    #[test]
    fn the_block_test_of_ids_agrees_with_a_byte_by_byte_one() {
        let fine = |b: u8| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#');
        for len in 0..=48 {
            let base: Vec<u8> = (0..len).map(|i| b'!' + (i % 90) as u8).collect();
            assert_eq!(
                super::printable_ascii(&base),
                base.iter().all(|&b| fine(b)),
                "{len}"
            );
            for at in 0..len {
                for bad in [b' ', b'/', b'?', b'#', 0x7f, 0x80, 0xff, 0, b'\n', b'a'] {
                    let mut id = base.clone();
                    id[at] = bad;
                    assert_eq!(
                        super::printable_ascii(&id),
                        id.iter().all(|&b| fine(b)),
                        "{len} {at} {bad}"
                    );
                }
            }
        }
    }

    /// The block test before the per-byte test became branch-free comparisons OR-ed over a
    /// pair of blocks (a per-block AND fold of `matches!`), kept to hold the new one to it.
    fn printable_ascii_before(bytes: &[u8]) -> bool {
        fn fine(b: u8) -> bool {
            matches!(b, b'!'..=b'~') & (b != b'/') & (b != b'?') & (b != b'#')
        }
        fn block<const N: usize>(block: &[u8; N]) -> bool {
            block.iter().fold(true, |ok, &b| ok & fine(b))
        }
        if let (Some(first), Some(last)) = (bytes.first_chunk::<16>(), bytes.last_chunk::<16>()) {
            let mut ok = block(first) & block(last);
            let mut middle = &bytes[16..];
            while let Some((next, rest)) = middle.split_first_chunk::<16>() {
                if rest.is_empty() {
                    break;
                }
                ok &= block(next);
                middle = rest;
            }
            return ok;
        }
        if let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            return block(first) & block(last);
        }
        bytes.iter().fold(true, |ok, &b| ok & fine(b))
    }

    /// `eight_digits` before it read the digits without a `memcpy` call, kept to hold the
    /// new one to it.
    fn eight_digits_before(bytes: &[u8]) -> Option<i64> {
        if bytes.is_empty() || bytes.len() > 8 {
            return None;
        }
        let mut word = [b'0'; 8];
        word[8 - bytes.len()..].copy_from_slice(bytes);
        let word = u64::from_le_bytes(word);
        const NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
        let high = (word & NIBBLES) | ((word.wrapping_add(0x0606_0606_0606_0606) & NIBBLES) >> 4);
        if high != 0x3333_3333_3333_3333 {
            return None;
        }
        let word = ((word & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561)) >> 8;
        let word = ((word & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601)) >> 16;
        let value = ((word & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001)) >> 32;
        Some(value as i64)
    }

    #[test]
    fn the_block_test_of_ids_agrees_with_its_previous_form_on_every_byte() {
        // Each of the 256 byte values at each position of ids of every length up to 48 (so
        // the first, last and middle blocks and the 8-byte and short paths), in an id that
        // is otherwise fine.
        for len in 0..=48usize {
            let base: Vec<u8> = (0..len).map(|i| b'!' + (i % 90) as u8).collect();
            assert_eq!(
                super::printable_ascii(&base),
                printable_ascii_before(&base),
                "{len}"
            );
            for at in 0..len {
                for bad in 0..=u8::MAX {
                    let mut id = base.clone();
                    id[at] = bad;
                    assert_eq!(
                        super::printable_ascii(&id),
                        printable_ascii_before(&id),
                        "{len} {at} {bad}"
                    );
                }
            }
        }
    }

    #[test]
    fn user_id_words_agree_with_their_previous_form() {
        // Every length from empty to 10, each position holding each byte that borders or
        // is a digit, in otherwise all-digit text.
        for len in 0..=10usize {
            let base: Vec<u8> = (0..len).map(|i| b'1' + (i % 9) as u8).collect();
            assert_eq!(
                super::eight_digits(&base),
                eight_digits_before(&base),
                "{len}"
            );
            for at in 0..len {
                for byte in (0..=u8::MAX).filter(|b| !(0x3a..0xf0).contains(b)) {
                    let mut text = base.clone();
                    text[at] = byte;
                    assert_eq!(
                        super::eight_digits(&text),
                        eight_digits_before(&text),
                        "{text:?}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_block_test_of_ids_agrees_with_its_previous_form(
            id in proptest::collection::vec(
                proptest::prop_oneof![30 => b'!'..=b'~', 1 => proptest::num::u8::ANY],
                0..80,
            )
        ) {
            proptest::prop_assert_eq!(super::printable_ascii(&id), printable_ascii_before(&id));
        }

        #[test]
        fn user_id_words_agree_with_their_previous_form_on_any_text(
            text in proptest::collection::vec(
                proptest::prop_oneof![20 => b'0'..=b'9', 1 => proptest::num::u8::ANY],
                0..12,
            )
        ) {
            proptest::prop_assert_eq!(super::eight_digits(&text), eight_digits_before(&text));
        }
    }

    #[test]
    fn user_ids_of_any_length_parse_as_the_digits_say() {
        for text in [
            "0",
            "7",
            "00000001",
            "12345678",
            "99999999",
            "123456789",
            "100067",
        ] {
            assert_eq!(
                text.parse::<UserId>().map(|id| id.get()).ok(),
                text.parse::<i64>().ok(),
                "{text}"
            );
        }
        for n in (0..100_000_i64).chain((0..2_000).map(|i| i * 49_999 + 7)) {
            assert_eq!(n.to_string().parse::<UserId>().ok(), Some(UserId::new(n)));
        }
        assert_eq!(
            "9223372036854775807".parse::<UserId>().ok(),
            Some(UserId::new(i64::MAX))
        );
        assert!("9223372036854775808".parse::<UserId>().is_err());
        for len in 1..=20 {
            for at in 0..len {
                for bad in [b'/', b':', b' ', b'a', b'-', b'+', 0xc3] {
                    let mut text = vec![b'1'; len];
                    text[at] = bad;
                    let text = String::from_utf8_lossy(&text).into_owned();
                    assert!(
                        matches!(
                            text.parse::<UserId>(),
                            Err(IdError::InvalidUserId {
                                reason: "only the digits 0-9 are allowed",
                                ..
                            })
                        ),
                        "{text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn user_id_accepts_number_and_digit_string() -> Result<(), serde_json::Error> {
        let from_number: UserId = serde_json::from_str("106")?;
        let from_string: UserId = serde_json::from_str("\"100067\"")?;
        assert_eq!(from_number.get(), 106);
        assert_eq!(from_string, UserId::new(100_067));
        assert_eq!(serde_json::to_string(&from_string)?, "100067");
        assert_eq!(from_string.to_string(), "100067");
        assert_eq!(UserId::from(5), UserId::new(5));
        Ok(())
    }

    #[test]
    fn user_id_rejects_bad_values_naming_them() {
        for json in ["\"10a\"", "\"-5\"", "\" 5\"", "\"\"", "1.5", "null", "true"] {
            assert!(serde_json::from_str::<UserId>(json).is_err(), "{json}");
        }
        let message = serde_json::from_str::<UserId>("\"12x\"")
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default();
        assert!(message.contains("\"12x\""), "{message}");
        let message = serde_json::from_str::<UserId>("18446744073709551615")
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default();
        assert!(message.contains("18446744073709551615"), "{message}");
        assert_eq!(
            "99999999999999999999".parse::<UserId>(),
            Err(IdError::InvalidUserId {
                input: "99999999999999999999".to_owned(),
                reason: "too large for a 64-bit id"
            })
        );
        assert_eq!(
            "".parse::<UserId>(),
            Err(IdError::Empty { kind: "user id" })
        );
    }

    #[test]
    fn string_ids_accept_documented_examples() -> Result<(), IdError> {
        let id = PaymentId::new("Fx1ZjLOkQGdPHr1u8Rsy9JvTh")?;
        assert_eq!(id.as_str(), "Fx1ZjLOkQGdPHr1u8Rsy9JvTh");
        assert_eq!(id.to_string(), "Fx1ZjLOkQGdPHr1u8Rsy9JvTh");
        let off: OffRampId = "S35AJ0gSzf6P30XJRc2yMsIOK".parse()?;
        assert_eq!(off.as_str(), "S35AJ0gSzf6P30XJRc2yMsIOK");
        assert!(TransactionId::new(String::from("tx-123_abc.4")).is_ok());
        Ok(())
    }

    #[test]
    fn string_ids_refuse_url_breaking_characters() {
        assert_eq!(
            PaymentId::new(""),
            Err(IdError::Empty { kind: "payment id" })
        );
        assert_eq!(
            OffRampId::new(" \t"),
            Err(IdError::Empty {
                kind: "off-ramp id"
            })
        );
        for (bad, found) in [
            ("a/b", '/'),
            ("a?id=1", '?'),
            ("a#b", '#'),
            ("a b", ' '),
            (" ab", ' '),
            ("a\u{a0}b", '\u{a0}'),
            ("a\0b", '\0'),
        ] {
            assert_eq!(
                TransactionId::new(bad),
                Err(IdError::ForbiddenChar {
                    kind: "transaction id",
                    input: bad.to_owned(),
                    found
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn string_id_errors_truncate_input() {
        let long = format!("{}/", "x".repeat(200));
        let message = PaymentId::new(long).map_err(|e| e.to_string()).err();
        let message = message.unwrap_or_default();
        assert!(message.starts_with("payment id \""), "{message}");
        assert!(
            message.contains(&format!("{}…", "x".repeat(64))),
            "{message}"
        );
        assert!(!message.contains(&"x".repeat(65)), "{message}");
    }

    #[test]
    fn string_ids_deserialize_permissively() -> Result<(), serde_json::Error> {
        let id: PaymentId = serde_json::from_str("\"odd id/with slash\"")?;
        assert_eq!(id.as_str(), "odd id/with slash");
        assert_eq!(serde_json::to_string(&id)?, "\"odd id/with slash\"");
        assert!(serde_json::from_str::<PaymentId>("123").is_err());
        Ok(())
    }

    #[test]
    fn documented_iban_passes_checksum() -> Result<(), IdError> {
        let iban = Iban::new(DOCUMENTED_IBAN)?;
        assert_eq!(iban.as_str(), DOCUMENTED_IBAN);
        Ok(())
    }

    #[test]
    fn iban_is_normalised() -> Result<(), IdError> {
        let iban = Iban::new(" es68 6713 0002 5300 1623 4794 ")?;
        assert_eq!(iban.as_str(), DOCUMENTED_IBAN);
        assert_eq!(iban.to_string(), DOCUMENTED_IBAN);
        // Other well-known examples, with letters in the account part.
        assert!(Iban::new("GB82 WEST 1234 5698 7654 32").is_ok());
        assert!(Iban::new("NO9386011117947").is_ok());
        assert!(Iban::new("LC55HEMM000100010012001200023015").is_ok());
        Ok(())
    }

    #[test]
    fn iban_rejects_invalid_values() {
        let cases = [
            (
                "ES6967130002530016234794",
                "checksum does not match (mistyped?)",
            ),
            (
                "ES6867130002530016234749",
                "checksum does not match (mistyped?)",
            ),
            ("ES68671300025300", "checksum does not match (mistyped?)"),
            (
                "ES68-6713-0002-5300-1623-4794",
                "only letters and digits are allowed",
            ),
            (
                "ÉS6867130002530016234794",
                "only letters and digits are allowed",
            ),
            ("ES686713", "must be 15 to 34 characters long"),
            (
                "ES6867130002530016234794000000000000",
                "must be 15 to 34 characters long",
            ),
            (
                "1S6867130002530016234794",
                "must start with a two-letter country code",
            ),
            (
                "ESX867130002530016234794",
                "characters 3 and 4 must be check digits",
            ),
        ];
        for (bad, reason) in cases {
            assert_eq!(
                Iban::new(bad),
                Err(IdError::InvalidIban {
                    input: bad.to_owned(),
                    reason
                }),
                "{bad}"
            );
        }
        assert_eq!(Iban::new("   "), Err(IdError::Empty { kind: "IBAN" }));
    }

    #[test]
    fn an_invalid_iban_is_named_not_echoed_whole() {
        let long = format!("ES68{}", "1".repeat(500));
        let Err(error) = Iban::new(&long) else {
            panic!("a 504-character IBAN was accepted");
        };
        let text = error.to_string();
        assert!(text.contains("must be 15 to 34 characters long"), "{text}");
        assert!(text.len() < 160, "{text}");
    }

    #[test]
    fn iban_deserializes_permissively() -> Result<(), serde_json::Error> {
        let iban: Iban = serde_json::from_str("\"es68 6713\"")?;
        assert_eq!(iban.as_str(), "es68 6713");
        assert_eq!(serde_json::to_string(&iban)?, "\"es68 6713\"");
        Ok(())
    }

    #[test]
    fn ids_order_and_hash_by_value() {
        let mut ids = [UserId::new(3), UserId::new(1), UserId::new(2)];
        ids.sort();
        assert_eq!(ids, [UserId::new(1), UserId::new(2), UserId::new(3)]);
        let set: std::collections::HashSet<PaymentId> = ["a", "a", "b"]
            .into_iter()
            .filter_map(|s| PaymentId::new(s).ok())
            .collect();
        assert_eq!(set.len(), 2);
    }
}

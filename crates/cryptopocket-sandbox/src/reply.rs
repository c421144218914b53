//! The API's answer shapes: the HTTP-200 envelope, its error form, and the few real HTTP
//! error bodies the docs describe.

use std::fmt::Write as _;

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::clock::ApiTime;

/// A JSON object written straight from its fields, without a `Value` tree:
/// `object! {"id": id, "external_id"?: option}`; a `?` key is left out when its value is
/// `None`. The keys must come in sorted order, the order serde_json's map (and so every
/// answer the sandbox ever gave) has; debug builds check it.
macro_rules! object {
    (@ [$($done:tt)*]) => { $crate::reply::Object(($($done)*)) };
    (@ [$($done:tt)*] $key:literal ?: $value:expr $(, $($rest:tt)*)?) => {
        $crate::reply::object!(@ [$($done)*
            ($key, concat!("\"", $key, "\":"), $crate::reply::Skip($value)),] $($($rest)*)?)
    };
    (@ [$($done:tt)*] $key:literal : $value:expr $(, $($rest:tt)*)?) => {
        $crate::reply::object!(@ [$($done)*
            ($key, concat!("\"", $key, "\":"), $crate::reply::Always($value)),] $($($rest)*)?)
    };
    ($($fields:tt)*) => { $crate::reply::object!(@ [] $($fields)*) };
}
pub(crate) use object;

/// A [`Fail`] with a formatted message: `fail!("code", "no payment {id}")`, and with a real
/// HTTP status first where the docs give one: `fail!(NOT_FOUND, "user_not_found", "…")`.
macro_rules! fail {
    ($status:ident, $code:expr, $($message:tt)+) => {
        $crate::reply::Fail::code($code)
            .message(format!($($message)+))
            .with_status(axum::http::StatusCode::$status)
    };
    ($code:expr, $($message:tt)+) => {
        $crate::reply::Fail::code($code).message(format!($($message)+))
    };
}
pub(crate) use fail;

/// A value the sandbox answers with, written as compact JSON straight into the answer's
/// text: byte for byte what serde_json writes for the same value (strings escaped alike,
/// numbers alike), without building a `Value` or going through a serializer per field.
pub(crate) trait Json {
    fn write(&self, out: &mut String);
}

/// The compact JSON text of `value`.
pub(crate) fn json_text(value: &(impl Json + ?Sized)) -> String {
    let mut out = String::with_capacity(512);
    value.write(&mut out);
    out
}

/// `value` as the body of an answer, with the `content-type` that `axum::Json` sets.
pub(crate) fn json_response(status: StatusCode, value: &impl Json) -> Response {
    json_body(status, Body::from(json_text(value)))
}

/// JSON text already written (see [`ok_text`]) as an HTTP-200 answer, as
/// [`json_response`] answers it.
pub(crate) fn json_bytes_response(text: Bytes) -> Response {
    json_body(StatusCode::OK, Body::from(text))
}

fn json_body(status: StatusCode, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A success envelope: `{"status": word, "message"?: message, "data"?: data}`.
///
/// The word differs by endpoint as the docs show it (`ok`, `success`, and the misspelt
/// `sucess` of the transfer answer), so each handler names its own.
pub(crate) fn envelope(word: &str, message: Option<&str>, data: Option<impl Json>) -> Response {
    let body = object! {"data"?: data, "message"?: message, "status": word};
    json_response(StatusCode::OK, &body)
}

/// `{"status": "ok", "data": data}`, the most common success.
pub(crate) fn ok(data: impl Json) -> Response {
    envelope("ok", None, Some(data))
}

/// The body [`ok`] answers for `data`, as bytes to keep (see `Shared::answer`).
pub(crate) fn ok_text(data: impl Json) -> Bytes {
    let body = object! {"data": data, "status": "ok"};
    Bytes::from(json_text(&body))
}

/// A list envelope with the Laravel pagination block.
pub(crate) fn page(items: impl Json, pagination: impl Json) -> Response {
    let body = object! {"data": items, "pagination": pagination, "status": "ok"};
    json_response(StatusCode::OK, &body)
}

/// Whether `text` holds a byte JSON must escape: a control character, `"` or `\\`.
/// Eight bytes at a time (each test below is exact for "some byte is"), the rest one by
/// one.
fn needs_escape(text: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of `x` is below `n` (for n <= 128): the classic has-less-than test.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut chunks = text.chunks_exact(8);
    let mut found = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        found |= below(x, 0x20)
            | below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1);
    }
    found != 0
        || chunks
            .remainder()
            .iter()
            .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

impl Json for str {
    fn write(&self, out: &mut String) {
        if needs_escape(self.as_bytes()) {
            // serde_json's escapes (`\n`, `\u001f`, …); rare enough not to hurry.
            out.push_str(&Value::from(self).to_string());
        } else {
            out.push('"');
            out.push_str(self);
            out.push('"');
        }
    }
}

impl Json for String {
    fn write(&self, out: &mut String) {
        self.as_str().write(out);
    }
}

impl<T: Json + ?Sized> Json for &T {
    fn write(&self, out: &mut String) {
        (**self).write(out);
    }
}

impl<T: Json> Json for Option<T> {
    fn write(&self, out: &mut String) {
        match self {
            Some(value) => value.write(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: Json> Json for [T] {
    fn write(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write(out);
        }
        out.push(']');
    }
}

impl<T: Json> Json for Vec<T> {
    fn write(&self, out: &mut String) {
        self.as_slice().write(out);
    }
}

impl Json for bool {
    fn write(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

/// The two-digit numbers 00 to 99, one after the other.
pub(crate) const PAIRS: &[u8; 200] = b"\
    00010203040506070809101112131415161718192021222324\
    25262728293031323334353637383940414243444546474849\
    50515253545556575859606162636465666768697071727374\
    75767778798081828384858687888990919293949596979899";

/// The digits of `v` two at a time, right-aligned in `buf`: the slice written.
fn u64_digits(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + v as u8;
    }
    &buf[at..]
}

/// ASCII bytes (digits, punctuation) appended as text.
pub(crate) fn push_ascii(out: &mut String, ascii: &[u8]) {
    out.push_str(std::str::from_utf8(ascii).unwrap_or_default());
}

/// Decimal digits of `v`, as itoa (and so serde_json) writes them.
fn write_u64(out: &mut String, v: u64) {
    push_ascii(out, u64_digits(v, &mut [0; 20]));
}

macro_rules! json_unsigned {
    ($($t:ty),*) => {$(
        impl Json for $t {
            fn write(&self, out: &mut String) {
                write_u64(out, u64::from(*self));
            }
        }
    )*};
}
json_unsigned!(u32, u64);

impl Json for usize {
    fn write(&self, out: &mut String) {
        write_u64(out, u64::try_from(*self).unwrap_or(u64::MAX));
    }
}

impl Json for i64 {
    fn write(&self, out: &mut String) {
        if *self < 0 {
            out.push('-');
        }
        write_u64(out, self.unsigned_abs());
    }
}

/// Anything else (the control routes' trees, …) through serde_json itself.
impl Json for Value {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Json for uuid::Uuid {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "\"{self}\"");
    }
}

impl Json for ApiTime {
    fn write(&self, out: &mut String) {
        out.push('"');
        push_ascii(out, self.as_text().as_bytes());
        out.push('"');
    }
}

/// A number the API sends as a string (`"user_id": "100001"`).
pub(crate) struct Text(pub(crate) u64);

impl Json for Text {
    fn write(&self, out: &mut String) {
        out.push('"');
        write_u64(out, self.0);
        out.push('"');
    }
}

/// A decimal with two places, as the API writes money in strings (`"12.50"`).
pub(crate) struct Money(pub(crate) Decimal);

impl Json for Money {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "\"{:.2}\"", self.0);
    }
}

/// A decimal as a JSON number (the docs show `coin_amount` as `148.32`): its shortest
/// text read as serde_json reads a number, so the digits are those `Value` always wrote.
pub(crate) struct Num(pub(crate) Decimal);

impl Json for Num {
    fn write(&self, out: &mut String) {
        let n = self.0.normalize();
        let (digits, scale) = (n.mantissa().unsigned_abs(), n.scale());
        // Up to 15 significant digits and no smaller than 1e-5: the nearest f64 is found
        // exactly and its shortest text is these very digits, written plainly (ryu writes
        // `1e-6` below that), so the number can be written as the decimal reads.
        let length = digits.checked_ilog10().map_or(0, |l| l + 1);
        if (1..1_000_000_000_000_000).contains(&digits) && length + 4 >= scale {
            if n.is_sign_negative() {
                out.push('-');
            }
            let mut buf = [0; 20];
            let text = u64_digits(u64::try_from(digits).unwrap_or_default(), &mut buf);
            let scale = scale as usize;
            if scale == 0 {
                push_ascii(out, text);
            } else if scale < text.len() {
                let (whole, fraction) = text.split_at(text.len() - scale);
                push_ascii(out, whole);
                out.push('.');
                push_ascii(out, fraction);
            } else {
                out.push_str("0.");
                (text.len()..scale).for_each(|_| out.push('0'));
                push_ascii(out, text);
            }
            return;
        }
        match serde_json::from_str::<serde_json::Number>(&n.to_string()) {
            Ok(number) => {
                let _ = write!(out, "{number}");
            }
            Err(_) => out.push_str("null"),
        }
    }
}

/// A JSON object: a tuple of `(key, "\"key\":", entry)`; build one with [`object!`].
pub(crate) struct Object<T>(pub(crate) T);

/// An entry of an [`Object`]: [`Always`] written, or [`Skip`] left out when `None`.
pub(crate) trait Entry {
    /// Writes `,"key":value` (no comma first); false when there was nothing to write.
    fn put(&self, key: &'static str, first: bool, out: &mut String) -> bool;
}

pub(crate) struct Always<T>(pub(crate) T);

pub(crate) struct Skip<T>(pub(crate) Option<T>);

impl<T: Json> Entry for Always<T> {
    fn put(&self, key: &'static str, first: bool, out: &mut String) -> bool {
        if !first {
            out.push(',');
        }
        out.push_str(key);
        self.0.write(out);
        true
    }
}

impl<T: Json> Entry for Skip<T> {
    fn put(&self, key: &'static str, first: bool, out: &mut String) -> bool {
        match &self.0 {
            Some(value) => Always(value).put(key, first, out),
            None => false,
        }
    }
}

macro_rules! object_of_tuple {
    ($($entry:ident $i:tt),+) => {
        impl<$($entry: Entry),+> Json for Object<($((&'static str, &'static str, $entry),)+)> {
            fn write(&self, out: &mut String) {
                debug_assert!(
                    [$((self.0).$i.0),+].is_sorted(),
                    "object keys out of order: {:?}",
                    [$((self.0).$i.0),+]
                );
                out.push('{');
                let mut first = true;
                $(first &= !(self.0).$i.2.put((self.0).$i.1, first, out);)+
                let _ = first;
                out.push('}');
            }
        }
    };
}

object_of_tuple!(A 0);
object_of_tuple!(A 0, B 1);
object_of_tuple!(A 0, B 1, C 2);
object_of_tuple!(A 0, B 1, C 2, D 3);
object_of_tuple!(A 0, B 1, C 2, D 3, E 4);
object_of_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
object_of_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
object_of_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
object_of_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
object_of_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
object_of_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
object_of_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// Why a request failed, already in the shape the API answers with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fail {
    pub(crate) http: StatusCode,
    pub(crate) body: Value,
}

impl Fail {
    /// A business error: HTTP 200, `{"status": "error", "error": code}`, as every
    /// documented error table says.
    pub(crate) fn code(code: &str) -> Self {
        Fail {
            http: StatusCode::OK,
            body: json!({"status": "error", "error": code}),
        }
    }

    /// Adds the human `message`; the sandbox always says what was wrong.
    pub(crate) fn message(mut self, message: impl Into<String>) -> Self {
        self.body["message"] = Value::String(message.into());
        self
    }

    /// Adds `data` (the verification URL of `require_kyc`).
    pub(crate) fn data(mut self, data: Value) -> Self {
        self.body["data"] = data;
        self
    }

    /// The same body with a real HTTP status, where the docs give one (document upload's
    /// 403/404/422, the bank operations' errors, the sandbox's own 404/405/413).
    pub(crate) fn with_status(mut self, http: StatusCode) -> Self {
        self.http = http;
        self
    }

    /// A missing or malformed field: `fail_mandatory_field` naming the field.
    pub(crate) fn field(field: &str, problem: &str) -> Self {
        Fail::code("fail_mandatory_field").message(format!("`{field}` {problem}"))
    }

    /// Laravel's 422 validation body: `{"message": "<first> (and N more error[s])",
    /// "errors": {field: [messages]}}`.
    pub(crate) fn validation(errors: Vec<(&str, String)>) -> Self {
        let first = errors
            .first()
            .map(|(_, m)| m.clone())
            .unwrap_or_else(|| "The given data was invalid.".into());
        let message = match errors.len() {
            0 | 1 => first,
            2 => format!("{first} (and 1 more error)"),
            n => format!("{first} (and {} more errors)", n - 1),
        };
        let mut fields = Map::new();
        for (field, text) in errors {
            let entry = fields
                .entry(field.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = entry {
                list.push(Value::String(text));
            }
        }
        Fail {
            http: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"message": message, "errors": fields}),
        }
    }

    /// The error code this failure carries, if it has one (a 422 body has none).
    #[cfg(test)]
    pub(crate) fn error_code(&self) -> Option<&str> {
        self.body.get("error").and_then(Value::as_str)
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        (self.http, axum::Json(self.body)).into_response()
    }
}

/// What every handler returns: an answer, or the API-style reason it was refused.
pub(crate) type Answer = Result<Response, Fail>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_summarises_like_laravel() {
        let fail = Fail::validation(vec![
            ("email", "The email field is required.".into()),
            ("company_name", "The company name field is required.".into()),
        ]);
        assert_eq!(fail.http, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            fail.body["message"],
            "The email field is required. (and 1 more error)"
        );
        assert_eq!(
            fail.body["errors"]["company_name"][0],
            "The company name field is required."
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// `Num` writes what the `Value` parsed from the decimal's text wrote.
        #[test]
        fn numbers_are_written_as_serde_json_wrote_them(
            mantissa in proptest::prelude::any::<i64>(),
            small in -100_000i64..100_000,
            scale in 0u32..=28,
        ) {
            for m in [mantissa, small, mantissa % 1_000_000_000_000_000] {
                let d = Decimal::new(m, scale);
                let tree: Value = serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null);
                proptest::prop_assert_eq!(json_text(&Num(d)), tree.to_string(), "{}", d);
            }
        }
    }

    proptest::proptest! {
        /// Strings (escapes, controls, any Unicode) and integers are written as serde_json
        /// writes them.
        #[test]
        fn strings_and_integers_are_written_as_serde_json_writes_them(
            text in proptest::prelude::any::<String>(),
            unsigned in proptest::prelude::any::<u64>(),
            signed in proptest::prelude::any::<i64>(),
        ) {
            proptest::prop_assert_eq!(json_text(&text), serde_json::to_string(&text).unwrap());
            proptest::prop_assert_eq!(json_text(&unsigned), unsigned.to_string());
            proptest::prop_assert_eq!(json_text(&signed), signed.to_string());
        }
    }

    /// A kept answer is the very answer `ok` gives: the same bytes, status and headers.
    #[tokio::test]
    async fn kept_text_answers_as_ok_does() {
        let data = || object! {"holder": None::<&str>, "id": "p\"1", "user_id": Text(7)};
        let (written, kept) = (ok(data()), json_bytes_response(ok_text(data())));
        assert_eq!(written.status(), kept.status());
        assert_eq!(written.headers(), kept.headers());
        let body = |r: Response| axum::body::to_bytes(r.into_body(), 4096);
        let (written, kept) = (body(written).await.unwrap(), body(kept).await.unwrap());
        assert_eq!(written, kept);
        assert_eq!(
            &kept[..],
            br#"{"data":{"holder":null,"id":"p\"1","user_id":"7"},"status":"ok"}"#
        );
    }

    #[test]
    fn business_errors_travel_at_http_200() {
        let fail = Fail::code("user_not_found").message("no customer 7");
        assert_eq!(fail.http, StatusCode::OK);
        assert_eq!(fail.error_code(), Some("user_not_found"));
        assert_eq!(fail.body["status"], "error");
    }
}

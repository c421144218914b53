//! Reading requests without ever refusing them in a shape the API would not use: bodies
//! are read under a size bound, JSON and forms are parsed by hand, and every problem
//! becomes a [`Fail`] that names the field.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::reply::Fail;
use crate::server::AppState;

/// The largest amount any request may carry: 10^15, far beyond a real purchase or sale, and
/// far enough inside `Decimal`'s range (about 7.9 × 10^28) that prices, fees, cents and
/// account balances computed from it never overflow (`Decimal` arithmetic panics when it
/// does).
pub(crate) const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// A request body, read whole (up to the configured limit) before anything looks at it.
///
/// Reading it is the one thing a handler waits for, so this is where the request deadline
/// (`Limits::request_timeout`) applies: a body that trickles in is answered HTTP 408
/// `request_timeout` once the deadline has passed, and the connection is closed. The
/// header timeout bounds the head; this bounds the rest.
pub(crate) struct RawBody(pub(crate) Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let limits = &state.shared.config.limits;
        let deadline = limits
            .request_timeout
            .clamp(Duration::from_millis(1), Duration::from_secs(24 * 60 * 60));
        let limit = limits.max_body_bytes;
        match tokio::time::timeout(deadline, axum::body::to_bytes(req.into_body(), limit)).await {
            Ok(Ok(bytes)) => Ok(RawBody(bytes)),
            Ok(Err(_)) => Err(too_large(limit).into_response()),
            Err(_) => {
                let mut response = Fail::code("request_timeout")
                    .message("the request took too long to arrive; send it whole and promptly")
                    .with_status(StatusCode::REQUEST_TIMEOUT)
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                Err(response)
            }
        }
    }
}

/// The fields of a JSON object body (see [`Fields::json`]).
pub(crate) struct JsonBody(pub(crate) Fields);

impl FromRequest<AppState> for JsonBody {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let RawBody(body) = RawBody::from_request(req, state).await?;
        Fields::json(&body)
            .map(JsonBody)
            .map_err(IntoResponse::into_response)
    }
}

/// The route's one path parameter, percent-decoded; `None` when it does not decode to
/// UTF-8. Never refuses: each handler says what a bad parameter means for it.
pub(crate) struct PathParam(pub(crate) Option<String>);

impl FromRequestParts<AppState> for PathParam {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Fail> {
        let value = Path::<String>::from_request_parts(parts, state).await.ok();
        Ok(PathParam(value.map(|Path(value)| value)))
    }
}

/// The fields of the query string (see [`Fields::query`]).
pub(crate) struct Query(pub(crate) Fields);

impl FromRequestParts<AppState> for Query {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Fail> {
        Ok(Query(Fields::query(parts.uri.query())))
    }
}

pub(crate) fn too_large(limit: usize) -> Fail {
    Fail::code("payload_too_large")
        .message(format!("the request body is larger than {limit} bytes"))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

/// The fields of a JSON object body or of a form or query string, with typed getters
/// whose errors name the field.
#[derive(Debug, Default)]
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// A JSON body must be an object; anything else is refused with `invalid_json`.
    pub(crate) fn json(bytes: &[u8]) -> Result<Self, Fail> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Fields(map)),
            Ok(other) => Err(Fail::code("invalid_json").message(format!(
                "the body must be a JSON object, not {}",
                kind(&other)
            ))),
            Err(e) => Err(Fail::code("invalid_json").message(format!(
                "the body is not valid JSON: {} at line {} column {}",
                serde_category(&e),
                e.line(),
                e.column()
            ))),
        }
    }

    /// `a=1&b=2`, from a form body or a query string. Repeated keys keep the last value,
    /// as PHP does.
    pub(crate) fn form(bytes: &[u8]) -> Self {
        let map = form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Fields(map)
    }

    pub(crate) fn query(raw: Option<&str>) -> Self {
        Fields::form(raw.unwrap_or_default().as_bytes())
    }

    fn get(&self, field: &str) -> Option<&Value> {
        match self.0.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(v),
        }
    }

    /// A text field; numbers are accepted as their text, as PHP would.
    pub(crate) fn text(&self, field: &str) -> Result<Option<String>, Fail> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(Fail::field(
                field,
                &format!("must be a string, not {}", kind(other)),
            )),
        }
    }

    pub(crate) fn required_text(&self, field: &str) -> Result<String, Fail> {
        self.text(field)?
            .ok_or_else(|| Fail::field(field, "is required"))
    }

    /// A positive integer id, as a JSON number or a string of digits.
    pub(crate) fn id(&self, field: &str) -> Result<Option<u64>, Fail> {
        let bad = || Fail::field(field, "must be a positive integer");
        match self.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().filter(|&v| v > 0).map(Some).ok_or_else(bad),
            Some(Value::String(s)) => s
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&v| v > 0)
                .map(Some)
                .ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    pub(crate) fn required_id(&self, field: &str) -> Result<u64, Fail> {
        self.id(field)?
            .ok_or_else(|| Fail::field(field, "is required"))
    }

    /// An amount, as a JSON number or a decimal string; it must be positive and at most
    /// [`MAX_AMOUNT`].
    pub(crate) fn amount(&self, field: &str) -> Result<Option<Decimal>, Fail> {
        let bad = || {
            Fail::field(
                field,
                &format!("must be a positive amount no larger than {MAX_AMOUNT}"),
            )
        };
        let parsed = match self.get(field) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.to_string().parse::<Decimal>().ok().or_else(|| {
                n.as_f64()
                    .and_then(Decimal::from_f64_retain)
                    .map(|d| d.normalize())
            }),
            Some(Value::String(s)) => s.trim().parse::<Decimal>().ok(),
            Some(_) => None,
        };
        parsed
            .filter(|d| d.is_sign_positive() && !d.is_zero() && *d <= MAX_AMOUNT)
            .map(Some)
            .ok_or_else(bad)
    }

    pub(crate) fn required_amount(&self, field: &str) -> Result<Decimal, Fail> {
        self.amount(field)?
            .ok_or_else(|| Fail::field(field, "is required"))
    }

    /// A page number or size: a positive integer, `default` when absent, clamped to `max`.
    pub(crate) fn page_param(&self, field: &str, default: u64, max: u64) -> Result<u64, Fail> {
        Ok(self
            .id(field)
            .map_err(|_| {
                Fail::code("invalid_parameter")
                    .message(format!("`{field}` must be a positive integer"))
            })?
            .unwrap_or(default)
            .min(max))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json's message without the offending text, which could be anything a client sent.
fn serde_category(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "unreadable input",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected data",
        Category::Eof => "unexpected end of input",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_is_refused_with_a_position() {
        let fail = Fields::json(b"{\"user_id\": ").unwrap_err();
        assert_eq!(fail.error_code(), Some("invalid_json"));
        let message = fail.body["message"].as_str().unwrap();
        assert!(message.contains("line 1"), "{message}");
    }

    #[test]
    fn a_json_array_is_not_an_object() {
        let fail = Fields::json(b"[1,2]").unwrap_err();
        assert!(fail.body["message"].as_str().unwrap().contains("an array"));
    }

    #[test]
    fn ids_accept_numbers_and_digit_strings_only() {
        let f = Fields::json(br#"{"a": 106, "b": "107", "c": -1, "d": 1.5, "e": "x", "f": true}"#)
            .unwrap();
        assert_eq!(f.id("a").unwrap(), Some(106));
        assert_eq!(f.id("b").unwrap(), Some(107));
        for bad in ["c", "d", "e", "f"] {
            let fail = f.id(bad).unwrap_err();
            assert_eq!(fail.error_code(), Some("fail_mandatory_field"), "{bad}");
            assert!(fail.body["message"].as_str().unwrap().contains(bad));
        }
        assert_eq!(
            f.required_id("missing").unwrap_err().error_code(),
            Some("fail_mandatory_field")
        );
    }

    #[test]
    fn amounts_keep_their_decimals() {
        let f = Fields::json(br#"{"a": 150.5, "b": "0.10", "c": 0, "d": 1e400}"#);
        // 1e400 is out of f64 range: serde_json refuses the body as a whole.
        assert!(f.is_err());
        let f = Fields::json(br#"{"a": 150.5, "b": "0.10", "c": 0}"#).unwrap();
        assert_eq!(f.amount("a").unwrap(), Some(Decimal::new(1505, 1)));
        assert_eq!(f.amount("b").unwrap(), Some(Decimal::new(10, 2)));
        assert!(f.amount("c").is_err());
    }

    #[test]
    fn amounts_are_bounded() {
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_000_u64));
        let f = Fields::json(
            br#"{"max": "1000000000000000", "over": "1000000000000000.01",
                "huge": "79228162514264337593543950335", "big": 1e20}"#,
        )
        .unwrap();
        assert_eq!(f.amount("max").unwrap(), Some(MAX_AMOUNT));
        for bad in ["over", "huge", "big"] {
            let fail = f.amount(bad).unwrap_err();
            assert_eq!(fail.error_code(), Some("fail_mandatory_field"), "{bad}");
        }
    }

    #[test]
    fn forms_and_queries_decode_percent_escapes() {
        let f = Fields::form(b"type=COINS_SENT&url=https%3A%2F%2Fdemo.com");
        assert_eq!(f.text("url").unwrap().as_deref(), Some("https://demo.com"));
        let q = Fields::query(Some("page=0"));
        assert_eq!(
            q.page_param("page", 1, 100).unwrap_err().error_code(),
            Some("invalid_parameter")
        );
        assert_eq!(Fields::query(None).page_param("page", 1, 100).unwrap(), 1);
        assert_eq!(
            Fields::query(Some("per_page=1000"))
                .page_param("per_page", 15, 100)
                .unwrap(),
            100
        );
    }
}

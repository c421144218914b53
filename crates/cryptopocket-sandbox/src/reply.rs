//! The API's answer shapes: the HTTP-200 envelope, its error form, and the few real HTTP
//! error bodies the docs describe.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A success envelope: `{"status": word, "message"?: message, "data"?: data}`.
///
/// The word differs by endpoint as the docs show it (`ok`, `success`, and the misspelt
/// `sucess` of the transfer answer), so each handler names its own.
pub(crate) fn envelope(word: &str, message: Option<&str>, data: Option<Value>) -> Response {
    let mut body = Map::new();
    body.insert("status".into(), Value::from(word));
    if let Some(message) = message {
        body.insert("message".into(), Value::from(message));
    }
    if let Some(data) = data {
        body.insert("data".into(), data);
    }
    (StatusCode::OK, axum::Json(Value::Object(body))).into_response()
}

/// `{"status": "ok", "data": data}`, the most common success.
pub(crate) fn ok(data: Value) -> Response {
    envelope("ok", None, Some(data))
}

/// A list envelope with the Laravel pagination block.
pub(crate) fn page(items: Vec<Value>, pagination: Value) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"status": "ok", "data": items, "pagination": pagination})),
    )
        .into_response()
}

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

    #[test]
    fn business_errors_travel_at_http_200() {
        let fail = Fail::code("user_not_found").message("no customer 7");
        assert_eq!(fail.http, StatusCode::OK);
        assert_eq!(fail.error_code(), Some("user_not_found"));
        assert_eq!(fail.body["status"], "error");
    }
}

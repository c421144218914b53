//! Turning the generated types' raw fields into checked values, with errors that say where.

use std::fmt::Display;

use rust_decimal::Decimal;

use crate::{Error, model::money};

/// The `data` of a success envelope, which must be present.
pub(crate) fn required<T>(data: Option<T>, operation: &'static str) -> Result<T, Error> {
    data.ok_or_else(|| Error::Decode {
        operation,
        path: "data".into(),
        reason: "a success envelope without `data`".into(),
        excerpt: String::new(),
    })
}

/// A field of a response that did not hold a valid value.
pub(crate) fn field<T, E: Display>(
    operation: &'static str,
    path: &str,
    value: Result<T, E>,
) -> Result<T, Error> {
    value.map_err(|e| Error::Decode {
        operation,
        path: path.into(),
        reason: e.to_string(),
        excerpt: String::new(),
    })
}

/// A request amount as the JSON number the generated types send; refused before sending
/// when the number would not be exactly the amount asked for.
pub(crate) fn amount(name: &str, value: Decimal) -> Result<f64, Error> {
    money::to_json_number(value).map_err(|e| Error::InvalidRequest(format!("{name}: {e}")))
}

/// A required text field of a request: refused before sending when empty.
pub(crate) fn text(name: &str, value: &str) -> Result<String, Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidRequest(format!("{name} must not be empty")));
    }
    Ok(value.to_owned())
}

//! Turning the generated types' raw fields into checked values, with errors that say where.

use std::fmt::Display;

use crate::Error;

/// The `data` of a success envelope, which must be present.
pub(crate) fn required<T>(data: Option<T>, operation: &'static str) -> Result<T, Error> {
    data.ok_or_else(|| Error::Decode {
        operation,
        path: "data".into(),
        reason: "a success envelope without `data`".into(),
        excerpt: String::new(),
    })
}

/// The `data` of a success envelope answering a create. Without it the server said yes
/// without saying what it made, so the object may exist: the error says to look before
/// creating again (and [`Error::may_have_reached_server`] is `true`).
pub(crate) fn created_object<T>(data: Option<T>, operation: &'static str) -> Result<T, Error> {
    data.ok_or_else(|| Error::Decode {
        operation,
        path: "data".into(),
        reason: "a success envelope without `data`: the server accepted the request, so \
                 what it creates may exist; look it up (a payment by your external_id) \
                 before creating it again"
            .into(),
        excerpt: String::new(),
    })
}

/// A field of a response that did not hold a valid value. The reason keeps what our
/// checks say but not the value itself: quoted parts are masked, as in
/// [`crate::error::serde_reason`], because response values may hold personal data or an
/// echoed token.
pub(crate) fn field<T, E: Display>(
    operation: &'static str,
    path: &str,
    value: Result<T, E>,
) -> Result<T, Error> {
    value.map_err(|e| Error::Decode {
        operation,
        path: path.into(),
        reason: mask_quoted(&e.to_string()),
        excerpt: String::new(),
    })
}

/// `text` with the contents of every `"…"` quoted part (Rust's `{:?}` of a string)
/// replaced by `…`.
fn mask_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            let mut escaped = false;
            for c in chars.by_ref() {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => break,
                    _ => {}
                }
            }
            out.push_str("…\"");
        }
    }
    out
}

/// A required text field of a request: refused before sending when empty.
pub(crate) fn text(name: &str, value: &str) -> Result<String, Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidRequest(format!("{name} must not be empty")));
    }
    Ok(value.to_owned())
}

/// An optional text field of a request: when set, it must not be empty.
pub(crate) fn optional_text(name: &str, value: Option<&str>) -> Result<Option<String>, Error> {
    value.map(|value| text(name, value)).transpose()
}

/// An optional URL field of a request: when set, an absolute `http(s)` URL.
pub(crate) fn optional_url(name: &str, value: Option<&str>) -> Result<Option<String>, Error> {
    value
        .map(|value| {
            let url = reqwest::Url::parse(value)
                .map_err(|e| Error::InvalidRequest(format!("{name} is not a URL: {e}")))?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(Error::InvalidRequest(format!(
                    "{name} must be an http(s) URL"
                )));
            }
            Ok(value.to_owned())
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_keep_the_rule_but_not_the_value() {
        let error = field::<(), _>(
            "getPayment",
            "data.user_id",
            Err("user id \"tok-\\\"secret\" is invalid: not a number"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            !error.contains("tok-") && !error.contains("secret"),
            "{error}"
        );
        assert!(
            error.contains("user id \"…\" is invalid: not a number"),
            "{error}"
        );
    }
}

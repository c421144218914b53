//! Turning the generated types' raw fields into checked values, with errors that say where.

use std::fmt::Display;

use crate::{
    Client, Error,
    call::Attempt,
    envelope::{Data, Wired},
};

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

/// The crate's value for a generated one, `Raw`, that operation `op` answered: what
/// [`output!`](crate::model::output) defines for each result.
pub(crate) trait FromApi<Raw>: Sized {
    fn from_api(op: &'static str, raw: Raw) -> Result<Self, Error>;
}

/// Sends `E` as `send` builds it (once per attempt) and returns the `data` of its answer,
/// which must be present ([`required`]), as the crate's `T`.
pub(crate) async fn data<E: Wired, T: FromApi<Data<E>>>(
    client: &Client,
    send: impl for<'a> Fn(&'a cryptopocket_api::Client) -> Attempt<'a, E>,
) -> Result<T, Error> {
    let op = E::OPERATION.id;
    T::from_api(op, required(client.call::<E>(send).await?.data, op)?)
}

/// As [`data`], for an operation that creates: a missing `data` is [`created_object`]'s
/// error, which says to look before creating again.
pub(crate) async fn created<E: Wired, T: FromApi<Data<E>>>(
    client: &Client,
    send: impl for<'a> Fn(&'a cryptopocket_api::Client) -> Attempt<'a, E>,
) -> Result<T, Error> {
    let op = E::OPERATION.id;
    T::from_api(op, created_object(client.call::<E>(send).await?.data, op)?)
}

/// `send_body!(area, Endpoint, builder, body)`: the future of an operation that creates,
/// sent with the area handle's client as `api.builder().body(body)` (the same body on each
/// attempt), answering its `data` as the crate's type ([`created`]).
macro_rules! send_body {
    ($area:expr, $endpoint:ident, $builder:ident, $body:expr) => {{
        use futures::FutureExt as _;
        let body = $body;
        crate::convert::created::<endpoints::$endpoint, _>(&$area.client, move |api| {
            api.$builder().body(body.clone()).send().boxed()
        })
    }};
}
pub(crate) use send_body;

/// Sets an optional parameter of a generated request builder: `set(self, value)` when
/// there is a value, the builder unchanged otherwise.
pub(crate) trait Maybe: Sized {
    fn maybe<V>(self, value: Option<V>, set: impl FnOnce(Self, V) -> Self) -> Self {
        match value {
            Some(value) => set(self, value),
            None => self,
        }
    }
}

impl<T> Maybe for T {}

/// The [`List`](crate::pagination::List) of a list operation whose only parameters are
/// `page` and `per_page`: `paged!(area, Endpoint, builder)` sends `api.builder()` with the
/// area handle's client for each page and turns each item into the crate's type with
/// [`FromApi`].
macro_rules! paged {
    ($area:expr, $endpoint:ident, $builder:ident) => {
        crate::pagination::List::new::<endpoints::$endpoint>(
            $area.client.clone(),
            (),
            |client, (), at| {
                use crate::convert::Maybe as _;
                use futures::FutureExt as _;
                async move {
                    let parts = client
                        .call::<endpoints::$endpoint>(move |api| {
                            api.$builder()
                                .page(at.page)
                                .maybe(at.per_page, |request, n| request.per_page(n))
                                .send()
                                .boxed()
                        })
                        .await?;
                    let op = <endpoints::$endpoint as cryptopocket_api::Endpoint>::OPERATION.id;
                    crate::pagination::Page::from_parts(at.page, parts, |raw| {
                        crate::convert::FromApi::from_api(op, raw)
                    })
                }
                .boxed()
            },
        )
    };
}
pub(crate) use paged;

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

/// A required text field that the spec constrains (a length, a pattern): refused before
/// sending when empty or when the generated type's `TryFrom` refuses it, naming the field.
pub(crate) fn constrained<T>(name: &str, value: &str) -> Result<T, Error>
where
    T: TryFrom<String, Error: Display>,
{
    T::try_from(text(name, value)?).map_err(|e| Error::InvalidRequest(format!("{name}: {e}")))
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

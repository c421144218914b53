//! Turning the generated types' raw fields into checked values, with errors that say where.

use std::fmt::Display;

use cryptopocket_api::{Amount, Id, Int};
use rust_decimal::Decimal;

use crate::{
    Client, Error,
    call::Attempt,
    envelope::{Data, Parts, Wired},
    model::{EventType, Iban, PaymentId, PaymentType, TransactionId, UserId},
};

/// The `data` of a success envelope, which must be present.
pub(crate) fn required<T>(data: Option<T>, operation: &'static str) -> Result<T, Error> {
    data.ok_or_else(|| without_data(operation))
}

/// [`required`]'s error: a success envelope without `data`.
#[cold]
fn without_data(operation: &'static str) -> Error {
    Error::Decode {
        operation,
        path: "data".into(),
        reason: "a success envelope without `data`".into(),
        excerpt: String::new(),
    }
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

    /// [`from_api`](Self::from_api), the value pushed onto `out`: a list page converts its
    /// rows with it. [`output!`](crate::model::output) builds the value in the `push`
    /// instead of returning it in a `Result` that is then moved into the `Vec`.
    #[inline]
    fn push_from_api(op: &'static str, raw: Raw, out: &mut Vec<Self>) -> Result<(), Error> {
        out.push(Self::from_api(op, raw)?);
        Ok(())
    }
}

/// [`FromApi::push_from_api`] when `out` has no room: converted, then pushed (growing
/// `out`). Out of line and cold: a page's `Vec` is reserved for all its rows.
#[cold]
#[inline(never)]
pub(crate) fn push_growing<Raw, T: FromApi<Raw>>(
    op: &'static str,
    raw: Raw,
    out: &mut Vec<T>,
) -> Result<(), Error> {
    out.push(T::from_api(op, raw)?);
    Ok(())
}

/// Sends `E` as `send` builds it (once per attempt) and returns the `data` of its answer,
/// which must be present ([`required`]), as the crate's `T`.
pub(crate) async fn data<E: Wired, T: FromApi<Data<E>>>(
    client: &Client,
    send: impl for<'a> Fn(&'a cryptopocket_api::Client) -> Attempt<'a, E>,
) -> Result<T, Error> {
    let op = E::OPERATION.id;
    // The parts are decoded into this slot and converted from it, not moved out of
    // `call`'s future first.
    let mut parts = None;
    client.call_into::<E>(send, &mut parts).await?;
    // Matched in place, as `required` would check it: the data is converted from where it
    // was decoded instead of being moved into an `Option`, then a `Result`, first.
    match parts {
        Some(Parts {
            data: Some(raw), ..
        }) => T::from_api(op, raw),
        _ => Err(without_data(op)),
    }
}

/// The send future `make` builds, boxed as the [`Attempt`] of `E`: the box is allocated
/// first and the future written into it, not built on the stack and copied in. A send
/// future is about a kilobyte, of which only the request builder is written before its
/// first poll.
#[inline(always)]
pub(crate) fn boxed<'a, E: Wired, F>(make: impl FnOnce() -> F) -> Attempt<'a, E>
where
    F: Future<
            Output = Result<
                progenitor_client::ResponseValue<E::Envelope>,
                progenitor_client::Error<E::ErrorBody>,
            >,
        > + Send
        + 'a,
{
    let future: Box<F> = Box::write(Box::new_uninit(), make());
    Box::into_pin(future)
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
        let body = $body;
        crate::convert::created::<endpoints::$endpoint, _>(&$area.client, move |api| {
            crate::convert::boxed(|| api.$builder().body(body.clone()).send())
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
                            crate::convert::boxed(|| {
                                api.$builder()
                                    .page(at.page)
                                    .maybe(at.per_page, |request, n| request.per_page(n))
                                    .send()
                            })
                        })
                        .await?;
                    let op = <endpoints::$endpoint as cryptopocket_api::Endpoint>::OPERATION.id;
                    crate::pagination::Page::from_parts_pushing(at.page, parts, |raw, items| {
                        crate::convert::FromApi::push_from_api(op, raw, items)
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

/// A required text field of a request: refused before sending when blank.
pub(crate) fn text(name: &str, value: &str) -> Result<String, Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidRequest(format!("{name} must not be empty")));
    }
    Ok(value.to_owned())
}

/// A request field as the generated client takes it, checked before anything is sent: the
/// one conversion [`input!`](crate::model::input) derives for each field, chosen by the
/// field's type and the generated field's. `field` is the field's name, which every error
/// starts with (a command line turns it into the flag to correct).
pub(crate) trait ToApi<Target> {
    fn to_api(&self, field: &'static str) -> Result<Target, Error>;
}

/// A required text: refused when blank, then held to what the target type checks (a
/// length, a pattern the spec gives) by its `TryFrom`; a plain `String` or an [`Id`] takes
/// any text.
impl<T> ToApi<T> for String
where
    T: TryFrom<String, Error: Display>,
{
    fn to_api(&self, field: &'static str) -> Result<T, Error> {
        T::try_from(text(field, self)?).map_err(|e| Error::InvalidRequest(format!("{field}: {e}")))
    }
}

/// An optional field: unset is not sent; when set, checked as the value itself is.
impl<T: ToApi<U>, U> ToApi<Option<U>> for Option<T> {
    fn to_api(&self, field: &'static str) -> Result<Option<U>, Error> {
        self.as_ref().map(|value| value.to_api(field)).transpose()
    }
}

/// `infallible! { Source => Target: |value| expression, … }`: the conversions that cannot
/// refuse, because the source type was checked when it was built (ids, IBANs) or holds any
/// value the API takes (amounts, open words).
macro_rules! infallible {
    ($($(#[doc = $doc:literal])* $source:ty => $target:ty: |$value:ident| $convert:expr,)*) => {
        $(
            $(#[doc = $doc])*
            impl ToApi<$target> for $source {
                fn to_api(&self, _: &'static str) -> Result<$target, Error> {
                    let $value = self;
                    Ok($convert)
                }
            }
        )*
    };
}

infallible! {
    /// An amount in a body: exact, every digit kept.
    Decimal => Amount: |amount| Amount::from(*amount),
    /// An amount in a query string: the decimal's text, every digit of it.
    Decimal => String: |amount| amount.to_string(),
    UserId => Int: |id| id.get().into(),
    /// A payment method, as the API spells it (an open word, so any value is sent).
    PaymentType => String: |method| method.to_string(),
    PaymentId => Id: |id| id.as_str().into(),
    TransactionId => Id: |id| id.as_str().into(),
    /// An IBAN, normalised and checksummed when it was built.
    Iban => String: |iban| iban.as_str().to_owned(),
}

/// A text field held to a rule of [`check`] that its type does not imply, which
/// [`input!`](crate::model::input)'s `#[check(rule)]` names: the rule replaces the plain
/// not-blank check, and an unset optional field is not checked.
pub(crate) struct Checked<'a, T>(
    pub(crate) &'a T,
    pub(crate) fn(&'static str, &str) -> Result<String, Error>,
);

impl ToApi<String> for Checked<'_, String> {
    fn to_api(&self, field: &'static str) -> Result<String, Error> {
        (self.1)(field, self.0)
    }
}

impl ToApi<Option<String>> for Checked<'_, Option<String>> {
    fn to_api(&self, field: &'static str) -> Result<Option<String>, Error> {
        self.0
            .as_deref()
            .map(|value| (self.1)(field, value))
            .transpose()
    }
}

/// An event type the generated (closed) enum holds; one this version does not know cannot
/// be subscribed to.
impl ToApi<cryptopocket_api::types::WebhookEventType> for EventType {
    fn to_api(
        &self,
        field: &'static str,
    ) -> Result<cryptopocket_api::types::WebhookEventType, Error> {
        EventType::to_api(self).ok_or_else(|| {
            Error::InvalidRequest(format!(
                "{field} `{self}` is not an event type the API accepts ({})",
                EventType::KNOWN.join(", ")
            ))
        })
    }
}

/// The rules `#[check(rule)]` names. Each refuses with [`Error::InvalidRequest`] naming the
/// field, never quoting the value (it may be personal data).
pub(crate) mod check {
    use crate::Error;

    use super::text;

    /// An e-mail address: not blank, one `@` with text on both sides, no whitespace.
    pub(crate) fn email(name: &'static str, value: &str) -> Result<String, Error> {
        let value = text(name, value)?;
        let well_formed = value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        }) && !value.chars().any(char::is_whitespace);
        if !well_formed {
            return Err(Error::InvalidRequest(format!(
                "{name} is not an e-mail address (expected one `@` with text on both sides \
                 and no spaces)"
            )));
        }
        Ok(value)
    }

    /// A file the server reads: a `data:` URI or an `http(s)` URL it fetches.
    pub(crate) fn file(name: &'static str, value: &str) -> Result<String, Error> {
        let value = text(name, value)?;
        if !(value.starts_with("data:")
            || value.starts_with("https://")
            || value.starts_with("http://"))
        {
            return Err(Error::InvalidRequest(format!(
                "{name} must be a data: URI with base64 content or an http(s) URL"
            )));
        }
        Ok(value)
    }

    /// An absolute `http(s)` URL.
    pub(crate) fn url(name: &'static str, value: &str) -> Result<String, Error> {
        let url = reqwest::Url::parse(value)
            .map_err(|e| Error::InvalidRequest(format!("{name} is not a URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(Error::InvalidRequest(format!(
                "{name} must be an http(s) URL"
            )));
        }
        Ok(value.to_owned())
    }

    /// A calendar date, `YYYY-MM-DD`.
    pub(crate) fn date(name: &'static str, value: &str) -> Result<String, Error> {
        chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|_| value.to_owned())
            .map_err(|_| Error::InvalidRequest(format!("{name} must be YYYY-MM-DD")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input's derived `to_api` refuses each field it checks, before anything is sent,
    /// with a message that starts with the field's name (the flag's id, which the command
    /// line turns into the flag to correct); the same inputs with valid fields pass.
    #[test]
    fn each_input_refuses_each_checked_field_by_name() {
        use crate::{
            assets::TokenPriceRequest,
            customers::{
                CustomerLookup, NewCompany, NewCustomer, NewDelegatedKycCustomer, NewDocument,
                VerifiedDocument,
            },
            model::{DocumentType, IdentityDocumentType, PaymentType},
            offramp::{NewOffRamp, OffRampQuoteRequest},
            onramp::{NewGuidedPayment, NewPayment, PaymentMethodFilter, QuoteRequest},
        };

        fn sent<T>(result: Result<T, Error>) -> Result<(), Error> {
            result.map(drop)
        }
        let user = UserId::new(106);
        let one = Decimal::ONE;
        let image = "data:image/png;base64,iVBORw0KGgo=";
        let url = "https://files.example/statement.pdf";
        let id_document = |number: &str, front: &str, back: &str| {
            VerifiedDocument::new(IdentityDocumentType::Passport, number, front, back)
        };
        let id = || id_document("P", image, image);
        let registration = |name: &str, email: &str, country: &str, selfie: &str| {
            NewDelegatedKycCustomer::new(name, email, country, id(), selfie)
        };
        let with_id = |document| NewDelegatedKycCustomer::new("B", "b@e.c", "ES", document, image);
        let delegated = || registration("Bob", "bob@example.com", "ES", image);
        let customer = || NewCustomer::new("Ana", "ana@example.com");
        let company = NewCompany::new;
        let upload = |file: &str| NewDocument::new(DocumentType::Invoice, file);
        let payment =
            |fiat: &str, coin: &str, wallet: &str| NewPayment::new(&user, one, fiat, coin, wallet);
        let pay = || payment("EUR", "USDC", "0xabc");
        let guided = |coin: &str, chain: &str| NewGuidedPayment::new(&user, one, coin, chain);
        let sale = |symbol: &str| NewOffRamp::new(&user, one, symbol);
        let quote = |symbol: &str| QuoteRequest::new(one, symbol, PaymentType::Card);
        let methods = PaymentMethodFilter::new;
        let sale_quote = |symbol: &str| OffRampQuoteRequest::new(one, symbol);
        let price = TokenPriceRequest::new;
        let long_email = format!("{}@acme.example", "a".repeat(250));

        #[rustfmt::skip]
        let valid = [
            sent(CustomerLookup::by_email("a@b.c").external_id("x").to_api()),
            sent(company("ops@acme.example", "Acme").to_api()),
            sent(upload(url).to_api()),
            sent(customer().surname("G").phone("1").country("ES").callback_url(url).to_api()),
            sent(delegated().birth_date("1990-01-31").callback_url(url).to_api()),
            sent(quote("USDC").chain("polygon").to_api()),
            sent(methods().country("CL").fiat_symbol("CLP").to_api()),
            sent(pay().coin_chain("polygon").callback_url(url).to_api()),
            sent(guided("USDC", "polygon").external_id("x").to_api()),
            sent(sale("BUSD").blockchain("bsc").iban("ES1").bank_name("B").to_api()),
            sent(sale_quote("BUSD").blockchain("bsc").to_api()),
            sent(price("USDC").chain("polygon").fiat_symbol("EUR").to_api()),
        ];
        for result in valid {
            assert!(result.is_ok(), "{result:?}");
        }

        let (delegated_kyc, verified) = ("NewDelegatedKycCustomer", "VerifiedDocument");
        #[rustfmt::skip]
        let refused = [
            ("CustomerLookup", "email", sent(CustomerLookup::by_email(" ").to_api())),
            ("CustomerLookup", "external_id", sent(CustomerLookup::by_external_id("").to_api())),
            ("NewCompany", "email", sent(company("", "Acme").to_api())),
            ("NewCompany", "email", sent(company(&long_email, "Acme").to_api())),
            ("NewCompany", "company_name", sent(company("o@a.e", " ").to_api())),
            ("NewCompany", "company_name", sent(company("o@a.e", &"n".repeat(256)).to_api())),
            ("NewDocument", "file", sent(upload("C:\\a.pdf").to_api())),
            ("NewDocument", "file", sent(upload(" ").to_api())),
            ("NewCustomer", "name", sent(NewCustomer::new(" ", "ana@example.com").to_api())),
            ("NewCustomer", "email", sent(NewCustomer::new("Ana", "").to_api())),
            ("NewCustomer", "email", sent(NewCustomer::new("Ana", "ana.example.com").to_api())),
            ("NewCustomer", "surname", sent(customer().surname("").to_api())),
            ("NewCustomer", "phone", sent(customer().phone(" ").to_api())),
            ("NewCustomer", "country", sent(customer().country("").to_api())),
            ("NewCustomer", "document_number",
                sent(customer().document(IdentityDocumentType::Dni, " ").to_api())),
            ("NewCustomer", "external_id", sent(customer().external_id("").to_api())),
            ("NewCustomer", "callback_url", sent(customer().callback_url("ftp://x.e/").to_api())),
            ("NewCustomer", "callback_url", sent(customer().callback_url("").to_api())),
            (verified, "document_number", sent(with_id(id_document(" ", image, image)).to_api())),
            (verified, "document_front", sent(with_id(id_document("P", "a.png", image)).to_api())),
            (verified, "document_back", sent(with_id(id_document("P", image, "")).to_api())),
            (delegated_kyc, "name", sent(registration("", "b@e.c", "ES", image).to_api())),
            (delegated_kyc, "email", sent(registration("B", "b@", "ES", image).to_api())),
            (delegated_kyc, "country", sent(registration("B", "b@e.c", " ", image).to_api())),
            (delegated_kyc, "selfie", sent(registration("B", "b@e.c", "ES", "a.jpg").to_api())),
            (delegated_kyc, "surname", sent(delegated().surname("").to_api())),
            (delegated_kyc, "phone", sent(delegated().phone(" ").to_api())),
            (delegated_kyc, "birth_date", sent(delegated().birth_date("31/01/1990").to_api())),
            (delegated_kyc, "birth_date", sent(delegated().birth_date("").to_api())),
            (delegated_kyc, "company_name", sent(delegated().company_name("").to_api())),
            (delegated_kyc, "external_id", sent(delegated().external_id(" ").to_api())),
            (delegated_kyc, "callback_url", sent(delegated().callback_url("/x").to_api())),
            ("QuoteRequest", "symbol", sent(quote(" ").to_api())),
            ("QuoteRequest", "chain", sent(quote("USDC").chain("").to_api())),
            ("PaymentMethodFilter", "country", sent(methods().country("").to_api())),
            ("PaymentMethodFilter", "fiat_symbol", sent(methods().fiat_symbol(" ").to_api())),
            ("NewPayment", "fiat_symbol", sent(payment("", "USDC", "0xabc").to_api())),
            ("NewPayment", "coin_symbol", sent(payment("EUR", " ", "0xabc").to_api())),
            ("NewPayment", "coin_chain", sent(pay().coin_chain("").to_api())),
            ("NewPayment", "wallet", sent(payment("EUR", "USDC", "").to_api())),
            ("NewPayment", "external_id", sent(pay().external_id(" ").to_api())),
            ("NewPayment", "callback_url", sent(pay().callback_url("a").to_api())),
            ("NewGuidedPayment", "coin_symbol", sent(guided("", "polygon").to_api())),
            ("NewGuidedPayment", "coin_chain", sent(guided("USDC", " ").to_api())),
            ("NewGuidedPayment", "external_id", sent(guided("USDC", "p").external_id("").to_api())),
            ("NewOffRamp", "symbol", sent(sale(" ").to_api())),
            ("NewOffRamp", "blockchain", sent(sale("BUSD").blockchain("").to_api())),
            ("NewOffRamp", "iban", sent(sale("BUSD").iban(" ").to_api())),
            ("NewOffRamp", "bank_name", sent(sale("BUSD").bank_name("").to_api())),
            ("NewOffRamp", "external_id", sent(sale("BUSD").external_id("").to_api())),
            ("OffRampQuoteRequest", "symbol", sent(sale_quote("").to_api())),
            ("OffRampQuoteRequest", "blockchain",
                sent(sale_quote("BUSD").blockchain(" ").to_api())),
            ("TokenPriceRequest", "symbol", sent(price(" ").to_api())),
            ("TokenPriceRequest", "chain", sent(price("USDC").chain("").to_api())),
            ("TokenPriceRequest", "fiat_symbol", sent(price("USDC").fiat_symbol("").to_api())),
        ];
        for (input, field, result) in refused {
            let message = match result {
                Err(Error::InvalidRequest(message)) => message,
                other => panic!("{input}.{field}: expected InvalidRequest, got {other:?}"),
            };
            let rest = message.strip_prefix(field).unwrap_or_default();
            assert!(
                rest.starts_with([' ', ':']),
                "{input}.{field}: the message does not name the field first: {message}"
            );
        }

        // With several fields wrong, the first declared is the one named, a flattened
        // input's fields in its place.
        let first = |result: Result<(), Error>| match result {
            Err(Error::InvalidRequest(message)) => message,
            other => panic!("expected InvalidRequest, got {other:?}"),
        };
        let both = NewDelegatedKycCustomer::new("B", "b@e.c", "ES", id_document("P", "x", ""), "y");
        assert!(first(sent(both.to_api())).starts_with("document_front "));
        let both = payment("", "USDC", "");
        assert_eq!(first(sent(both.to_api())), "fiat_symbol must not be empty");
    }

    /// A list converts its rows with `push_from_api`, which `output!` writes out a second
    /// time (building the value inside the `push`, or, with no room in the `Vec`, through
    /// `push_growing`): both ways must give what `from_api` gives, the same error for the
    /// same bad field, and push nothing when a row is refused.
    #[test]
    fn pushing_a_converted_row_matches_converting_it() -> Result<(), serde_json::Error> {
        use crate::onramp::Payment;
        use cryptopocket_api::types;

        let row = |id: &str, user_id: &str, status: &str| {
            serde_json::from_value::<types::Payment>(serde_json::json!({
                "id": id, "external_id": "order-abc-001", "user_id": user_id,
                "status": status, "fiat_amount": 15050, "fiat_symbol": "EUR",
                "coin_symbol": "USDC", "coin_amount": 148.32,
                "created_at": "2026-06-26T10:30:00.000000Z", "holder": null, "txid": "0xabc"
            }))
        };
        let good = "aBcDeFgHiJkLmNoPqRsTuVwXy";
        let cases = [
            row(good, "100067", "started")?,
            row(good, "123456789", "a_new_word")?,
            row(good, "7", "coins_sent")?,
            row("a/b", "100067", "started")?,
            row("", "100067", "started")?,
            row(good, "12x", "started")?,
            row("a b", "", "started")?,
        ];
        // Room for the row (a page's reserved `Vec`) and none (the growing path).
        let with_room = cases.iter().map(|raw| (raw.clone(), 1));
        for (raw, room) in with_room.chain(cases.iter().map(|raw| (raw.clone(), 0))) {
            let expected = Payment::from_api("listPayments", raw.clone());
            let mut pushed = Vec::with_capacity(room);
            let result = Payment::push_from_api("listPayments", raw, &mut pushed);
            match expected {
                Ok(payment) => {
                    assert!(result.is_ok(), "{result:?}");
                    assert_eq!(pushed, [payment]);
                }
                Err(error) => {
                    let Err(pushed_error) = result else {
                        panic!("push_from_api accepted what from_api refused: {error}");
                    };
                    assert_eq!(pushed_error.to_string(), error.to_string());
                    assert!(pushed.is_empty());
                }
            }
        }
        Ok(())
    }

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

    /// `data` converts the payment a success envelope holds, and a success envelope
    /// without `data` is a decode error naming the field, as [`required`] says it.
    #[tokio::test]
    async fn data_converts_the_payment_or_names_the_missing_field() {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/getPayment.response.json"
        ))
        .unwrap();
        let server = MockServer::builder().start().await;
        Mock::given(matchers::path_regex("authenticate"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"status": "ok", "data": {"token": "t", "expires_in": 3600}}),
            ))
            .mount(&server)
            .await;
        Mock::given(matchers::path_regex("without-data"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "ok"})),
            )
            .mount(&server)
            .await;
        Mock::given(matchers::any())
            .respond_with(ResponseTemplate::new(200).set_body_json(fixture.clone()))
            .mount(&server)
            .await;
        let client = Client::builder()
            .environment(crate::Environment::Custom(format!("{}/api", server.uri())))
            .allow_plain_http_to("127.0.0.1")
            .credentials("key", "secret")
            .retry_policy(crate::RetryPolicy::never())
            .build()
            .unwrap();

        let id = fixture["data"]["id"].as_str().unwrap();
        let payment = client
            .onramp()
            .get(&PaymentId::new(id).unwrap())
            .await
            .unwrap();
        assert_eq!(payment.id.as_str(), id);

        let missing = PaymentId::new("without-data").unwrap();
        match client.onramp().get(&missing).await {
            Err(Error::Decode {
                operation, path, ..
            }) => assert_eq!((operation, path.as_str()), ("getPayment", "data")),
            other => panic!("expected a decode error naming `data`, got {other:?}"),
        }
    }
}

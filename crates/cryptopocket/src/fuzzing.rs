//! Not part of the API; entry points for cargo-fuzz.
//!
//! The decoders that meet what a server or a webhook sender wrote are private to the crate,
//! so the fuzz targets in the workspace's `fuzz/` directory reach them through these thin
//! functions. Each takes raw bytes and runs the crate's own code on them, as a response or a
//! delivery would: nothing here re-implements a decoder. Where a conversion of `data` is
//! written inline in an async method (a quote, a created payment), it cannot be called
//! without a server; the same fallible calls (`model::money`, the id constructors) are made
//! on the decoded fields instead. Nothing here is stable; it may change with any release.
//!
//! The functions must not panic on any input. Where the crate promises more than that
//! (amounts round-trip, a signed delivery verifies, a secret never shows), the function or
//! its fuzz target asserts the promise, so a panic always means a bug in the crate.

use std::{
    any::TypeId,
    sync::LazyLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use cryptopocket_api::{Endpoint, endpoints};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;

use crate::{
    Error,
    convert::{FromApi as _, created_object, field, required},
    envelope::{Data, Envelope as _, ErrorBody as _, Parts, Wired, second_look},
    error::excerpt,
    model::{OffRampId, PaymentId, UserId, money},
    pagination::Page,
    redact::{REDACTED, Secrets},
    retry::parse_retry_after,
    webhooks::{
        DeliveryHeaders, HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, WebhookError,
        WebhookEvent, WebhookSigner, WebhookVerifier,
    },
};

/// The secret the client under test holds while an error is redacted, as in `call.rs`.
const CLIENT_SECRET: &str = "fuzz-client-secret";

/// The secrets of [`CLIENT_SECRET`], built once: building them per input would dominate.
static CLIENT_SECRETS: LazyLock<Secrets> =
    LazyLock::new(|| Secrets::new(&SecretString::from(CLIENT_SECRET)));

/// What runs one operation's response body: the 200 path, and the declared 4xx body if the
/// operation has one. Everything but the conversion comes from the generated endpoint type.
struct Operation {
    /// The operationId, as the crate passes it to its errors.
    id: &'static str,
    /// Decodes a 200 body and converts its data; `Err` is the error the caller would get.
    ok: fn(&[u8]) -> Result<(), Error>,
    /// Decodes a body of a declared error status; `None` when the operation declares none.
    error: fn(u16, &[u8]) -> Option<Error>,
    /// Whether the envelope's parts carry `pagination` (`envelope.rs`'s `paged` marker),
    /// held to the spec's `paged` by a test.
    #[cfg_attr(
        not(test),
        allow(dead_code, reason = "read by the test against the spec")
    )]
    reads_pagination: fn() -> bool,
}

/// `Endpoint, |op, parts| conversion;` for every operation of the generated table.
macro_rules! operations {
    ($($endpoint:ident, $convert:expr;)*) => {
        const TABLE: &[Operation] = &[$(Operation {
            id: <endpoints::$endpoint as Endpoint>::OPERATION.id,
            ok: |body| status_200::<endpoints::$endpoint>(body, $convert),
            error: error_status::<endpoints::$endpoint>,
            reads_pagination: reads_pagination::<endpoints::$endpoint>,
        }),*];
    };
}

operations! {
    Authenticate, |op, parts| {
        // `auth.rs`: remember the token before anything else, then work out its expiry.
        let issued = required(parts.data, op)?;
        Secrets::default().remember_token(&issued.token);
        let _ = HeaderValue::from_str(&issued.token);
        let _ = crate::auth::expiry(issued.expires_in);
        Ok(())
    };
    GetTokenPrice, |op, parts| {
        let raw = required(parts.data, op)?;
        let _ = raw.price.value();
        Ok(())
    };
    GetAvailableAssets, |_, parts| {
        drop(parts.data.unwrap_or_default());
        Ok(())
    };
    RegisterUser, |op, parts| {
        created_object(parts.data, op).map(|user| {
            let _ = UserId::new(user.id.get());
        })
    };
    RegisterUserKycDelegated, |op, parts| {
        let user = created_object(parts.data, op)?;
        drop(user.kyc_status.map(crate::model::KycStatus::from));
        Ok(())
    };
    RegisterCompany, |op, parts| {
        created_object(parts.data, op).map(drop)
    };
    CheckKyc, |op, parts| {
        let kyc = required(parts.data, op)?;
        drop(crate::model::KycStatus::from(kyc.kyc_status));
        Ok(())
    };
    CreateOnboardingForm, |op, parts| {
        created_object(parts.data, op).map(drop)
    };
    UploadCustomerDocument, |_, _| Ok(());
    FindUser, |op, parts| required(parts.data, op).map(drop);
    ListPaymentMethods, |_, parts| {
        drop(parts.data.unwrap_or_default());
        Ok(())
    };
    GetQuote, |op, parts| {
        // The conversion is inline in `OnRamp::quote`; its amounts decoded with the body.
        let raw = required(parts.data, op)?;
        let _ = (raw.coin_amount.value(), raw.price, raw.fiat_amount);
        Ok(())
    };
    CreatePayment, |op, parts| {
        // Inline in `OnRamp::create`; the id is its fallible step.
        let created = created_object(parts.data, op)?;
        field(op, "data.payment_id", PaymentId::new(created.payment_id)).map(drop)
    };
    CreateGuidedPayment, |op, parts| {
        let created = created_object(parts.data, op)?;
        field(op, "data.payment_id", PaymentId::new(created.payment_id)).map(drop)
    };
    GetPayment, |op, parts| {
        crate::onramp::Payment::from_api(op, required(parts.data, op)?).map(drop)
    };
    GetRampoffQuote, |op, parts| {
        // Inline in `OffRamp::quote`.
        let raw = required(parts.data, op)?;
        field(op, "data.fiat_amount", money::parse_decimal(&raw.fiat_amount))?;
        let _ = raw.amount.map(cryptopocket_api::Amount::value);
        Ok(())
    };
    CreateRampoff, |op, parts| {
        let created = created_object(parts.data, op)?;
        field(op, "data.id", OffRampId::new(created.id)).map(drop)
    };
    GetRampoff, |op, parts| {
        crate::offramp::OffRampOperation::from_api(op, required(parts.data, op)?).map(drop)
    };
    ReconcilePayment, |op, parts| {
        created_object(parts.data, op).map(drop)
    };
    SubscribeToWebhook, |op, parts| {
        required(parts.data, op).map(drop)
    };
    UpdateWebhookSubscription, |op, parts| {
        required(parts.data, op).map(drop)
    };
    ListCustomers, |_, parts| page(parts, Ok);
    ListPayments, |op, parts| {
        page(parts, |p| crate::onramp::Payment::from_api(op, p))
    };
    ListRampoffs, |op, parts| {
        page(parts, |r| crate::offramp::OffRampOperation::from_api(op, r))
    };
    ListBankAccounts, |_, parts| page(parts, Ok);
    ListBankAccountTransactions,
        |_, parts| page(parts, Ok);
}

/// The number of operations [`envelope`] knows; an index is taken modulo this.
pub const OPERATION_COUNT: u8 = TABLE.len() as u8;

/// The operationId that [`envelope`] runs for `operation_index`.
pub fn operation_id(operation_index: u8) -> &'static str {
    operation(operation_index).id
}

fn operation(index: u8) -> &'static Operation {
    &TABLE[usize::from(index) % TABLE.len()]
}

/// Runs `body` as operation `operation_index`'s HTTP 200 response, the way the client does:
/// decoded by serde_json into the operation's envelope type (as the generated client does),
/// then `into_parts().into_result(op)`, or the second look at a body that did not decode
/// (as `classify` in `call.rs` does), then the conversion of `data` into the public types
/// where the crate has it as a function. An error is redacted and formatted, as a caller
/// would log it.
///
/// # Errors
///
/// The [`Error`] a caller of the operation would get.
pub fn envelope(operation_index: u8, body: &[u8]) -> Result<(), Error> {
    let operation = operation(operation_index);
    (operation.ok)(body).map_err(finish)
}

/// Runs `body` as a response of HTTP `status` to an operation that declares an error body
/// (`ErrorResponse` or `IntegrationError`), the way `classify` does; `None` for an
/// operation that declares none.
pub fn error_body(operation_index: u8, status: u16, body: &[u8]) -> Option<Error> {
    let operation = operation(operation_index);
    (operation.error)(status, body).map(finish)
}

/// What `classify` does with a 200 body.
fn status_200<E: Wired>(
    body: &[u8],
    convert: impl FnOnce(&'static str, Parts<Data<E>>) -> Result<(), Error>,
) -> Result<(), Error> {
    let op = E::OPERATION.id;
    let parts = match serde_json::from_slice::<E::Envelope>(body) {
        Ok(envelope) => envelope.into_parts().into_result(op).map_err(Error::Api)?,
        Err(_) => return Err(second_look::<E>(body)),
    };
    convert(op, parts)
}

/// What `classify` does with a body of a declared error status; `None` for an operation
/// that declares none (its error body is `()`).
fn error_status<E: Wired>(status: u16, body: &[u8]) -> Option<Error>
where
    E::ErrorBody: 'static,
{
    if TypeId::of::<E::ErrorBody>() == TypeId::of::<()>() {
        return None;
    }
    Some(match serde_json::from_slice::<E::ErrorBody>(body) {
        Ok(error) => error.into_error(E::OPERATION.id, status),
        Err(_) => second_look::<E>(body),
    })
}

/// Whether a success envelope of `E` with a `pagination` object keeps it in its parts.
fn reads_pagination<E: Wired>() -> bool {
    let body =
        br#"{"status":"ok","pagination":{"current_page":1,"last_page":1,"per_page":15,"total":0}}"#;
    serde_json::from_slice::<E::Envelope>(body)
        .is_ok_and(|envelope| envelope.into_parts().pagination.is_some())
}

/// A list's page, as the list methods build it.
fn page<D, T>(parts: Parts<Vec<D>>, convert: impl Fn(D) -> Result<T, Error>) -> Result<(), Error> {
    Page::from_parts(std::num::NonZeroU64::MIN, parts, convert).map(|page| {
        let _ = page.has_next();
    })
}

/// What happens to an error before a caller sees it: redacted (`call.rs`), then asked
/// about and printed.
fn finish(error: Error) -> Error {
    let error = CLIENT_SECRETS.redact_error(error);
    let _ = (error.is_retryable(), error.may_have_reached_server());
    let _ = format!("{error} {error:?}");
    error
}

/// A body with a secret and a token in it, for the excerpt and redaction pass.
#[derive(Debug, Clone)]
pub struct RedactCase {
    /// The client's API secret.
    pub secret: String,
    /// A token the client was issued.
    pub token: String,
    /// The body a server sent.
    pub body: Vec<u8>,
}

/// The secret of a [`RedactCase`] read from input with no NUL byte in it.
const DEFAULT_SECRET: &str = "s3cr3t/Value+1";
/// The token of a [`RedactCase`] read from input with no NUL byte in it.
const DEFAULT_TOKEN: &str = "12|t0kenValue";

impl RedactCase {
    /// Reads `secret NUL token NUL template`, or the whole input as the template (with a
    /// fixed secret and token) when it has fewer than two NUL bytes. The body is the
    /// template with every byte `0x01` replaced by the secret and every `0x02` by the token;
    /// a template without `0x01` gets the secret a third of the way in, one without `0x02`
    /// the token two thirds in.
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut parts = data.splitn(3, |&b| b == 0);
        let (secret, token, template) = match (parts.next(), parts.next(), parts.next()) {
            (Some(secret), Some(token), Some(template)) => (
                String::from_utf8_lossy(secret).into_owned(),
                String::from_utf8_lossy(token).into_owned(),
                template,
            ),
            _ => (DEFAULT_SECRET.to_owned(), DEFAULT_TOKEN.to_owned(), data),
        };
        let mut template = template.to_vec();
        if !template.contains(&1) {
            template.insert(template.len() / 3, 1);
        }
        if !template.contains(&2) {
            template.insert(template.len() * 2 / 3, 2);
        }
        let mut body = Vec::with_capacity(template.len() + secret.len() + token.len());
        for byte in template {
            match byte {
                1 => body.extend_from_slice(secret.as_bytes()),
                2 => body.extend_from_slice(token.as_bytes()),
                other => body.push(other),
            }
        }
        Self {
            secret,
            token,
            body,
        }
    }

    /// The body's excerpt (`error::excerpt`) after the redaction pass (`redact::Secrets`),
    /// as an error shows it.
    pub fn redacted_excerpt(&self) -> String {
        let secrets = Secrets::new(&SecretString::from(self.secret.as_str()));
        secrets.remember_token(&self.token);
        secrets.redact(&excerpt(&self.body))
    }

    /// The secret or token that `shown` gives away, if any: whole anywhere, or its start
    /// (three characters or more) at the end, where a cut excerpt ends.
    ///
    /// Only secrets the pass is meant to find are checked: three characters or more (shorter
    /// ones are left alone on purpose), and none that the pass's own output could spell by
    /// itself (one holding `[`, `]` or `…`, or inside `[redacted]`). Control characters are
    /// left out too: an excerpt escapes them, so such a secret is shown escaped, a form the
    /// pass does not look for.
    pub fn leak(&self, shown: &str) -> Option<&str> {
        let end = shown.strip_suffix('…').unwrap_or(shown);
        [self.secret.as_str(), self.token.as_str()]
            .into_iter()
            .filter(|secret| checkable(secret))
            .find(|secret| {
                shown.contains(secret)
                    || secret
                        .char_indices()
                        .skip(3)
                        .any(|(at, _)| end.ends_with(&secret[..at]))
            })
    }
}

/// Whether the redaction pass promises to hide `secret` (see [`RedactCase::leak`]).
fn checkable(secret: &str) -> bool {
    secret.chars().count() >= 3
        && !secret
            .chars()
            .any(|c| c.is_control() || matches!(c, '[' | ']' | '…'))
        && !REDACTED.contains(secret)
        && !"<empty>".contains(secret)
}

/// Runs the excerpt and redaction pass over the [`RedactCase`] read from `data` and
/// returns the case and what an error would show.
pub fn excerpt_redact(data: &[u8]) -> (RedactCase, String) {
    let case = RedactCase::from_bytes(data);
    let shown = case.redacted_excerpt();
    (case, shown)
}

/// Reads `value` as a `Retry-After` header (`retry::parse_retry_after`) at several clocks.
///
/// # Panics
///
/// When delay-seconds (digits only, spaces around) are not read as that many seconds.
pub fn retry_after(value: &[u8]) -> Option<Duration> {
    let value = String::from_utf8_lossy(value);
    let clocks = [
        UNIX_EPOCH,
        UNIX_EPOCH + Duration::from_secs(1_795_521_600),
        SystemTime::now(),
        UNIX_EPOCH
            .checked_add(Duration::from_secs(i64::MAX as u64))
            .unwrap_or(UNIX_EPOCH),
    ];
    let trimmed = value.trim();
    let seconds = (!trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()))
        .then(|| trimmed.parse::<u64>().ok().map(Duration::from_secs));
    let mut answer = None;
    for now in clocks {
        answer = parse_retry_after(&value, now);
        if let Some(expected) = seconds {
            assert_eq!(answer, expected, "delay-seconds {trimmed:?}");
        }
    }
    answer
}

/// Every amount parser over `data`: as a decimal string, as base units with several
/// decimals, as a JSON value decoded into [`cryptopocket_api::Amount`] (as the generated
/// types hold amounts), and its first bytes as cents.
///
/// # Panics
///
/// When an amount that converts does not read back the same: a decimal string through its
/// own `Display`, an `Amount` through its JSON encoding, base units with no decimals against
/// the same digits as a decimal string.
pub fn amounts(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(amount) = money::parse_decimal(&text) {
        assert_eq!(
            money::parse_decimal(&amount.to_string()),
            Ok(amount),
            "{text:?}"
        );
    }
    for decimals in [0, 1, 2, 6, 8, 18, 27, 28, 29, u32::MAX] {
        let units = money::from_base_units(&text, decimals);
        if let Ok(tokens) = &units {
            assert!(tokens.is_sign_positive() || tokens.is_zero(), "{text:?}");
        }
        if decimals == 0
            && let (Ok(units), Ok(plain)) = (units, money::parse_decimal(&text))
        {
            assert_eq!(units, plain, "{text:?}");
        }
    }
    if let Ok(amount) = serde_json::from_slice::<cryptopocket_api::Amount>(data) {
        let written = serde_json::to_string(&amount).expect("an amount always encodes");
        let back: cryptopocket_api::Amount =
            serde_json::from_str(&written).expect("an encoded amount decodes");
        assert_eq!(back, amount, "{text:?}");
        assert_eq!(back.to_string(), amount.to_string(), "{text:?}");
    }
    if let Some(bytes) = data.first_chunk::<8>() {
        let _ = money::from_cents(i64::from_le_bytes(*bytes));
    }
}

/// The clock of a [`webhook`] delivery whose timestamp is not a number.
const WEBHOOK_NOW: i64 = 1_700_000_000;

/// One webhook delivery read from `data`: `secret NUL api_key NUL signature NUL timestamp
/// NUL body`, or the whole input as the body (with a fixed secret and headers) when it has
/// fewer than four NUL bytes.
///
/// Runs, on that body: [`WebhookEvent::from_slice`]; a delivery signed with the
/// [`WebhookSigner`] (hex and base64) through [`WebhookVerifier::verify`] and
/// [`WebhookVerifier::verify_event`]; the headers as given through `verify` at the
/// timestamp's own clock and at extreme clocks; and the headers as raw header values through
/// `verify_event`.
///
/// # Panics
///
/// When a delivery signed with the secret fails verification for any reason but its body,
/// or when a signature that is not the body's HMAC is accepted.
pub fn webhook(data: &[u8]) {
    let parts: Vec<&[u8]> = data.splitn(5, |&b| b == 0).collect();
    let (secret, api_key, signature, timestamp, body) = match parts[..] {
        [secret, api_key, signature, timestamp, body] => {
            (secret, api_key, signature, timestamp, body)
        }
        _ => (
            &b"whsec"[..],
            &b"pk_1"[..],
            &b""[..],
            &b"1700000000"[..],
            data,
        ),
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let secret = SecretString::from(text(secret));

    let decoded = WebhookEvent::from_slice(body);
    if let Ok(event) = &decoded {
        let _ = format!("{:?} {}", event.event_type(), event.event_type());
    }

    // Signed by the sender with the secret: verifies, and decodes as the body alone does.
    let api_key_text = text(api_key);
    let sent_at = text(timestamp)
        .parse::<i64>()
        .ok()
        .filter(|t| *t >= 0)
        .unwrap_or(WEBHOOK_NOW);
    let signer = WebhookSigner::new(api_key_text.clone(), secret.clone());
    let verifier = WebhookVerifier::new(secret.clone())
        .expect_api_key(api_key_text.clone())
        .clock(move || sent_at);
    let hex = signer.sign(body, sent_at);
    let base64 = signer.sign_base64(body, sent_at);
    for headers in [&hex, &base64] {
        if let Err(error) = verifier.verify(headers, body) {
            panic!("a delivery signed with the secret was refused: {error}");
        }
    }
    let usable_key = HeaderValue::from_str(&api_key_text).is_ok_and(|v| v.to_str().is_ok());
    match verifier.verify_event(&hex.to_header_map(), body) {
        Ok(_) => assert!(decoded.is_ok()),
        Err(WebhookError::InvalidPayload { .. }) => assert!(decoded.is_err()),
        Err(WebhookError::MissingHeader(HEADER_API_KEY)) if !usable_key => {}
        Err(error) => panic!("a delivery signed with the secret was refused: {error}"),
    }

    // The headers as given: refused unless the signature is the body's own.
    let given = DeliveryHeaders {
        api_key: api_key_text,
        signature: text(signature),
        timestamp: text(timestamp),
    };
    let clock = given.timestamp.parse::<i64>().unwrap_or(WEBHOOK_NOW);
    let verifiers = [
        WebhookVerifier::new(secret.clone()).clock(move || clock),
        WebhookVerifier::new(secret.clone()).clock(|| i64::MIN),
        WebhookVerifier::new(secret.clone())
            .clock(|| i64::MAX)
            .tolerance(Duration::MAX),
    ];
    for verifier in &verifiers {
        if verifier.verify(&given, body).is_ok() {
            let sent = given
                .signature
                .trim_matches(|c: char| c.is_ascii_whitespace());
            assert!(
                signed_over(&secret, body, &given.timestamp, sent),
                "a signature that is not the body's HMAC was accepted"
            );
        }
    }

    // The same headers as raw header values, as a web framework hands them over.
    let mut map = HeaderMap::new();
    for (name, value) in [
        (HEADER_API_KEY, api_key),
        (HEADER_SIGNATURE, signature),
        (HEADER_TIMESTAMP, timestamp),
    ] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.insert(name, value);
        }
    }
    for verifier in &verifiers {
        let _ = verifier.verify_event(&map, body).map_err(|e| e.to_string());
    }
}

/// Whether `sent` is the HMAC of `body` and `timestamp` under `secret`, in one of the
/// encodings the verifier accepts.
fn signed_over(secret: &SecretString, body: &[u8], timestamp: &str, sent: &str) -> bool {
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    use secrecy::ExposeSecret as _;
    // The oracle is computed here, independently of the verifier under test.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.expose_secret().as_bytes())
    else {
        return false;
    };
    mac.update(body);
    mac.update(timestamp.as_bytes());
    let tag = mac.finalize().into_bytes();
    let b64 = base64::engine::general_purpose::STANDARD.encode(tag);
    sent.eq_ignore_ascii_case(&hex::encode(tag)) || sent == b64 || sent == b64.trim_end_matches('=')
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The workspace's documented payloads: the fuzzers' seed corpus.
    fn fixtures() -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(path).unwrap())
            })
            .collect()
    }

    #[test]
    fn every_operation_of_the_spec_is_in_the_table_once() {
        let ids: Vec<&str> = TABLE.iter().map(|op| op.id).collect();
        let spec: Vec<&str> = cryptopocket_api::operations::ALL
            .iter()
            .map(|op| op.id)
            .collect();
        for id in &spec {
            assert_eq!(
                ids.iter().filter(|i| *i == id).count(),
                1,
                "{id} must be in fuzzing.rs's operations! once"
            );
        }
        assert_eq!(ids.len(), spec.len(), "{ids:?}");
    }

    /// `envelopes!` marks the envelopes that carry `pagination`; the spec's table says which
    /// operations page. They agree, so no list loses its pages and no marker is stale.
    #[test]
    fn the_paged_envelopes_are_the_spec_s_paged_operations() {
        for op in TABLE {
            let spec = cryptopocket_api::Operation::find(op.id).expect("in the spec");
            assert_eq!((op.reads_pagination)(), spec.paged, "{}", op.id);
        }
        assert_eq!(TABLE.iter().filter(|op| (op.reads_pagination)()).count(), 5);
    }

    #[test]
    fn documented_responses_decode_as_their_operation() {
        for (name, body) in fixtures() {
            let Some((op, rest)) = name.split_once(".response") else {
                continue;
            };
            let index = (0..OPERATION_COUNT)
                .find(|&i| operation_id(i) == op)
                .unwrap_or_else(|| panic!("no operation {op}"));
            if rest.starts_with(".4") {
                assert!(error_body(index, 422, &body).is_some(), "{name}");
            } else if rest.starts_with(".error") {
                assert!(
                    matches!(envelope(index, &body), Err(Error::Api(_))),
                    "{name}"
                );
            } else {
                let outcome = envelope(index, &body);
                assert!(outcome.is_ok(), "{name}: {outcome:?}");
            }
            for index in 0..OPERATION_COUNT {
                let _ = envelope(index, &body);
                let _ = error_body(index, 404, &body);
            }
        }
    }

    #[test]
    fn the_other_entry_points_take_the_fixtures() {
        for (name, body) in fixtures() {
            let (case, shown) = excerpt_redact(&body);
            assert_eq!(case.leak(&shown), None, "{name}: {shown}");
            let _ = retry_after(&body);
            amounts(&body);
            webhook(&body);
        }
    }

    #[test]
    fn redaction_cases_place_the_secrets() {
        let (case, shown) = excerpt_redact(b"abcdefgh\0tok-123\0error: \x01 and \x02\n");
        assert_eq!(case.body, b"error: abcdefgh and tok-123\n");
        assert_eq!(shown, "error: [redacted] and [redacted]\\n");
        assert_eq!(case.leak("x abcdefgh"), Some("abcdefgh"));
        assert_eq!(case.leak("cut at abcd…"), Some("abcdefgh"));
        assert_eq!(case.leak("cut at ab…"), None);
        let (case, _) = excerpt_redact(b"plain");
        assert_eq!(case.secret, DEFAULT_SECRET);
        assert_eq!(
            case.body.len(),
            5 + DEFAULT_SECRET.len() + DEFAULT_TOKEN.len()
        );
    }

    #[test]
    fn retry_after_and_amounts_take_edge_cases() {
        assert_eq!(retry_after(b" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(b"99999999999999999999999"), None);
        amounts(b"4800.24");
        amounts(b"20000000000000000000");
        amounts(&f64::NAN.to_le_bytes());
    }

    #[test]
    fn webhook_reads_its_parts() {
        webhook(b"s3cr3t\0pk_1\0not-a-signature\x001700000000\0{\"type\":\"PAY_IN\"}");
        webhook(b"s3cr3t\0pk\n1\0\0-5\0[]");
    }
}

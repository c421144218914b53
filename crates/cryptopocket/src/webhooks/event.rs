//! Typed webhook events, decoded from a verified body.
//!
//! The event names are documented; the body fields are **not**. The shapes used here are the
//! spec's inferred `PaymentWebhookEvent` and `RampoffWebhookEvent` (mirroring Retrieve payment
//! and Get rampoff status). Every field those schemas name is typed here, amounts as exact
//! decimals; a field they do not name is ignored, so parse the verified body again (for
//! example into `cryptopocket::api::types`) if you need one.

use chrono::{DateTime, Utc};
use cryptopocket_api::{
    Amount, Id, Timestamp,
    types::{PaymentWebhookEvent, RampoffWebhookEvent},
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::value::StrDeserializer;
use serde::de::{DeserializeOwned, IntoDeserializer as _};

use super::WebhookError;
use crate::error::serde_reason;
use crate::model::{EventType, OffRampId, OffRampStatus, PaymentId, PaymentStatus, UserId, money};

/// Longest JSON path an error repeats. Paths are built from the body's keys; the cap keeps a
/// pathological key from flooding a log line.
const MAX_PATH_CHARS: usize = 128;

/// A webhook delivery, by event `type`.
///
/// Decode it with [`WebhookEvent::from_slice`] **after** verifying the signature, or let
/// [`WebhookVerifier::verify_event`](super::WebhookVerifier::verify_event) do both.
///
/// The payload fields of every event are inferred, not documented; see [`PaymentEvent`] and
/// [`OffRampEvent`].
///
/// Serialised (for a log or a queue) as the payload's fields with an `event` tag naming the
/// variant (`PAY_IN`, …, `UNKNOWN`); amounts as decimal strings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
#[serde(tag = "event", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WebhookEvent {
    /// `PAY_IN`: the customer's fiat payment for an on-ramp purchase was received.
    PayIn(PaymentEvent),
    /// `COINS_SENT`: the purchased tokens were sent to the customer's wallet (`txid` set).
    CoinsSent(PaymentEvent),
    /// `CRYPTO_RECEIVED`: CryptoPocket received the tokens of an off-ramp operation.
    CryptoReceived(OffRampEvent),
    /// `TRANSFER_RAMPOFF_FINISHED`, or its legacy name `RAMPOFF_FINISHED`: the payout bank
    /// transfer of an off-ramp operation was sent. [`OffRampEvent::event_type`] tells which
    /// name was used.
    TransferRampoffFinished(OffRampEvent),
    /// An event type this crate does not know (for example a KYC event, whose names are
    /// undocumented), kept whole so it can be logged or handled by hand.
    Unknown {
        /// The `type` field as sent.
        event_type: String,
        /// The whole body as JSON.
        payload: serde_json::Value,
    },
}

/// The payload of the on-ramp events `PAY_IN` and `COINS_SENT`.
///
/// **Inferred**: CryptoPocket does not document these bodies. The fields follow the spec's
/// `PaymentWebhookEvent`, itself modelled on Retrieve payment; amounts are converted the same
/// way (the fiat amount arrives in cents and is given here in major units).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct PaymentEvent {
    /// The `type` field exactly as sent (`PAY_IN` or `COINS_SENT`).
    pub event_type: String,
    /// The payment the event is about (`payment_id`), kept as sent.
    pub payment_id: PaymentId,
    /// The integrator's own reference given when the payment was created (`external_id`).
    pub external_id: Option<String>,
    /// The customer (`user_id`, sent as a string of digits).
    pub user_id: Option<UserId>,
    /// The payment's status after the event (`status`); unknown words are kept.
    pub status: Option<PaymentStatus>,
    /// What the customer pays, in major units (`fiat_amount`, sent in cents: 2500 is 25.00).
    pub fiat_amount: Option<Decimal>,
    /// The fiat currency (`fiat_symbol`), e.g. `EUR`.
    pub fiat_symbol: Option<String>,
    /// Tokens bought, in whole tokens, exactly as sent (`coin_amount`).
    pub coin_amount: Option<Decimal>,
    /// The token bought (`coin_symbol`), e.g. `USDC`.
    pub coin_symbol: Option<String>,
    /// The on-chain transaction hash (`txid`); expected on `COINS_SENT` only.
    pub txid: Option<String>,
    /// When the event happened (`created_at`).
    pub created_at: Option<DateTime<Utc>>,
}

/// The payload of the off-ramp events `CRYPTO_RECEIVED` and `TRANSFER_RAMPOFF_FINISHED`.
///
/// **Inferred**: CryptoPocket does not document these bodies. The fields follow the spec's
/// `RampoffWebhookEvent`, itself modelled on Get rampoff status; amounts are converted the
/// same way as [`OffRampOperation`](crate::offramp::OffRampOperation)'s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct OffRampEvent {
    /// The `type` field exactly as sent: `CRYPTO_RECEIVED`, `TRANSFER_RAMPOFF_FINISHED` or
    /// the legacy `RAMPOFF_FINISHED`.
    pub event_type: String,
    /// The off-ramp operation the event is about (`id`), kept as sent.
    pub id: OffRampId,
    /// The operation's status after the event (`status`); unknown words are kept.
    pub status: Option<OffRampStatus>,
    /// The chain (`blockchain`), e.g. `bsc`.
    pub blockchain: Option<String>,
    /// The token (`crypto`), e.g. `BUSD`.
    pub crypto: Option<String>,
    /// Tokens, in whole tokens: `amount` (base units) divided by 10^`decimals`. `None` when
    /// either is missing, since base units without `decimals` cannot be read as tokens.
    pub amount: Option<Decimal>,
    /// The fiat equivalent, exactly as sent (`fiat_amount`, a decimal string; currency
    /// undocumented).
    pub fiat_amount: Option<Decimal>,
    /// The on-chain hash of the customer's deposit (`txid`).
    pub txid: Option<String>,
    /// When the event happened (`created_at`).
    pub created_at: Option<DateTime<Utc>>,
}

/// Just enough of a body to choose the payload type.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "type")]
    kind: String,
}

impl WebhookEvent {
    /// Decodes a delivery body; call it only on a body whose signature has been verified.
    ///
    /// The `type` field chooses the payload shape. `RAMPOFF_FINISHED` is read as
    /// [`WebhookEvent::TransferRampoffFinished`]; any other unknown type becomes
    /// [`WebhookEvent::Unknown`] with the body as JSON. Fields the spec does not name are
    /// ignored rather than refused, so a vendor addition never breaks decoding; they are not
    /// kept either, so parse the body again if you need one of them.
    ///
    /// ```
    /// use cryptopocket::webhooks::WebhookEvent;
    ///
    /// let body = br#"{"type":"RAMPOFF_FINISHED","id":"ro_1","status":"finished"}"#;
    /// let WebhookEvent::TransferRampoffFinished(event) = WebhookEvent::from_slice(body)? else {
    ///     panic!("legacy name not recognised");
    /// };
    /// assert_eq!(event.id.as_str(), "ro_1");
    /// # Ok::<(), cryptopocket::webhooks::WebhookError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`WebhookError::InvalidPayload`] when the body is not JSON, has no string `type`, or
    /// does not fit the payload of its type (for example no `payment_id` on `PAY_IN`, or a
    /// `user_id` that is not digits, or an amount that is not one). The error names the JSON
    /// path, never the body's values.
    pub fn from_slice(body: &[u8]) -> Result<Self, WebhookError> {
        // A derived `Deserialize` also accepts a JSON array (`["PAY_IN", ...]`); deliveries
        // are objects, so anything else is refused before it can be read positionally.
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|&b| b != b'{') {
            return Err(invalid_payload(".", "expected a JSON object"));
        }
        let Probe { kind } = decode::<Probe>(body)?;
        let event = match EventType::from(kind.as_str()) {
            EventType::PayIn => Self::PayIn(PaymentEvent::try_from_raw(decode(body)?)?),
            EventType::CoinsSent => Self::CoinsSent(PaymentEvent::try_from_raw(decode(body)?)?),
            EventType::CryptoReceived => {
                Self::CryptoReceived(OffRampEvent::try_from_raw(decode(body)?)?)
            }
            EventType::TransferRampoffFinished => {
                Self::TransferRampoffFinished(OffRampEvent::try_from_raw(decode(body)?)?)
            }
            // `EventType` is non-exhaustive: a type it learns later but this module does not
            // handle yet still reaches the caller, whole.
            _ => Self::Unknown {
                event_type: kind,
                payload: decode(body)?,
            },
        };
        Ok(event)
    }

    /// The event's type. Both `TRANSFER_RAMPOFF_FINISHED` and the legacy `RAMPOFF_FINISHED`
    /// give [`EventType::TransferRampoffFinished`].
    pub fn event_type(&self) -> EventType {
        match self {
            Self::PayIn(_) => EventType::PayIn,
            Self::CoinsSent(_) => EventType::CoinsSent,
            Self::CryptoReceived(_) => EventType::CryptoReceived,
            Self::TransferRampoffFinished(_) => EventType::TransferRampoffFinished,
            Self::Unknown { event_type, .. } => EventType::from(event_type.as_str()),
        }
    }
}

impl PaymentEvent {
    fn try_from_raw(raw: PaymentWebhookEvent) -> Result<Self, WebhookError> {
        let user_id = match raw.user_id.as_deref() {
            // `UserId`'s own error repeats the value; this one names the field only.
            Some(text) => Some(text.parse::<UserId>().map_err(|_| {
                invalid_payload("user_id", "expected a customer id made of the digits 0-9")
            })?),
            None => None,
        };
        Ok(Self {
            payment_id: server_id("payment_id", &raw.payment_id)?,
            event_type: raw.type_,
            external_id: raw.external_id.map(Id::into_string),
            user_id,
            status: raw.status.map(PaymentStatus::from),
            fiat_amount: raw.fiat_amount.map(|cents| money::from_cents(cents.get())),
            fiat_symbol: raw.fiat_symbol,
            coin_amount: raw.coin_amount.map(Amount::value),
            coin_symbol: raw.coin_symbol,
            txid: raw.txid.map(Id::into_string),
            created_at: raw.created_at.map(Timestamp::get),
        })
    }
}

impl OffRampEvent {
    fn try_from_raw(raw: RampoffWebhookEvent) -> Result<Self, WebhookError> {
        let amount = match (raw.amount.as_deref(), raw.decimals) {
            (Some(units), Some(decimals)) => {
                let decimals = u32::try_from(decimals.get())
                    .map_err(|_| invalid_payload("decimals", "not a number of decimals"))?;
                Some(money::from_base_units(units, decimals).map_err(|_| {
                    invalid_payload("amount", "expected an integer number of base units")
                })?)
            }
            // Base units without `decimals` cannot be read as tokens; better none than wrong.
            _ => None,
        };
        let fiat_amount = raw
            .fiat_amount
            .as_deref()
            .map(|text| {
                money::parse_decimal(text)
                    .map_err(|_| invalid_payload("fiat_amount", "expected a decimal string"))
            })
            .transpose()?;
        Ok(Self {
            id: server_id("id", &raw.id)?,
            event_type: raw.type_,
            status: raw.status.map(OffRampStatus::from),
            blockchain: raw.blockchain,
            crypto: raw.crypto,
            amount,
            fiat_amount,
            txid: raw.txid.map(Id::into_string),
            created_at: raw.created_at.map(Timestamp::get),
        })
    }
}

/// Wraps an id the server sent through the id type's `Deserialize`, which keeps any string
/// as sent, rather than `new`, which validates ids a caller builds for URLs. A genuine,
/// signed event must not be dropped because its id looks unusual.
fn server_id<T: DeserializeOwned>(path: &'static str, text: &str) -> Result<T, WebhookError> {
    let deserializer: StrDeserializer<'_, serde::de::value::Error> = text.into_deserializer();
    T::deserialize(deserializer).map_err(|_| invalid_payload(path, "not a usable id"))
}

fn invalid_payload(path: &str, reason: &str) -> WebhookError {
    WebhookError::InvalidPayload {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Decodes the whole body as `T`, trailing garbage included, reporting the JSON path of the
/// first problem.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebhookError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        WebhookError::InvalidPayload {
            path: shorten_path(error.path().to_string()),
            reason: serde_reason(error.inner()),
        }
    })?;
    deserializer
        .end()
        .map_err(|error| WebhookError::InvalidPayload {
            path: ".".to_owned(),
            reason: serde_reason(&error),
        })?;
    Ok(value)
}

fn shorten_path(path: String) -> String {
    match path.char_indices().nth(MAX_PATH_CHARS) {
        Some((cut, _)) => format!("{}…", &path[..cut]),
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn payload_error(body: &[u8]) -> (String, String) {
        match WebhookEvent::from_slice(body) {
            Err(WebhookError::InvalidPayload { path, reason }) => (path, reason),
            other => panic!("expected InvalidPayload, got {other:?}"),
        }
    }

    #[test]
    fn pay_in_fields_are_typed() {
        let body =
            br#"{"type":"PAY_IN","payment_id":"aBcDeFgHiJkLmNoPqRsTuVwXy","external_id":"order-7",
            "user_id":"100067","status":"payment_received","fiat_amount":2500,"fiat_symbol":"EUR",
            "created_at":"2026-01-02T03:04:05Z","something_new":{"nested":true}}"#;
        let WebhookEvent::PayIn(event) = WebhookEvent::from_slice(body).unwrap() else {
            panic!("not PAY_IN");
        };
        assert_eq!(event.payment_id.as_str(), "aBcDeFgHiJkLmNoPqRsTuVwXy");
        assert_eq!(event.external_id.as_deref(), Some("order-7"));
        assert_eq!(event.user_id, Some(UserId::new(100_067)));
        assert_eq!(event.status, Some(PaymentStatus::PaymentReceived));
        assert_eq!(event.txid, None);
        assert_eq!(
            event.created_at.map(|t| t.to_rfc3339()),
            Some("2026-01-02T03:04:05+00:00".to_owned())
        );
        assert_eq!(event.fiat_amount, Some(Decimal::new(2500, 2)));
        assert_eq!(event.fiat_symbol.as_deref(), Some("EUR"));
        assert_eq!(event.event_type, "PAY_IN");
        let json = serde_json::to_value(WebhookEvent::PayIn(event)).unwrap();
        assert_eq!(json["event"], "PAY_IN");
        assert_eq!(json["fiat_amount"], "25.00");
        assert_eq!(json["payment_id"], "aBcDeFgHiJkLmNoPqRsTuVwXy");
    }

    #[test]
    fn off_ramp_amounts_are_exact() {
        let body =
            br#"{"type":"TRANSFER_RAMPOFF_FINISHED","id":"r1","amount":"20123456789012345678",
            "decimals":18,"fiat_amount":"4800.240","crypto":"BUSD","blockchain":"bsc"}"#;
        let WebhookEvent::TransferRampoffFinished(event) = WebhookEvent::from_slice(body).unwrap()
        else {
            panic!("not TRANSFER_RAMPOFF_FINISHED");
        };
        assert_eq!(event.amount.unwrap().to_string(), "20.123456789012345678");
        assert_eq!(event.fiat_amount.unwrap().to_string(), "4800.240");
        assert_eq!(event.crypto.as_deref(), Some("BUSD"));
        let (path, _) =
            payload_error(br#"{"type":"CRYPTO_RECEIVED","id":"r1","amount":"1e18","decimals":18}"#);
        assert_eq!(path, "amount");
        let (path, _) =
            payload_error(br#"{"type":"CRYPTO_RECEIVED","id":"r1","fiat_amount":"1,5"}"#);
        assert_eq!(path, "fiat_amount");
    }

    #[test]
    fn unknown_status_words_are_kept() {
        let body = br#"{"type":"CRYPTO_RECEIVED","id":"r1","status":"half_done"}"#;
        let WebhookEvent::CryptoReceived(event) = WebhookEvent::from_slice(body).unwrap() else {
            panic!("not CRYPTO_RECEIVED");
        };
        assert_eq!(
            event.status.as_ref().map(OffRampStatus::as_str),
            Some("half_done")
        );
        assert!(matches!(event.status, Some(OffRampStatus::Unknown(_))));
    }

    #[test]
    fn server_ids_are_kept_as_sent() {
        // `PaymentId::new` would refuse a space; an id the server sent is still its id.
        let body = br#"{"type":"COINS_SENT","payment_id":"odd id","txid":"0x1"}"#;
        let WebhookEvent::CoinsSent(event) = WebhookEvent::from_slice(body).unwrap() else {
            panic!("not COINS_SENT");
        };
        assert_eq!(event.payment_id.as_str(), "odd id");
    }

    #[test]
    fn bad_user_id_names_the_field_not_the_value() {
        let (path, reason) = payload_error(
            br#"{"type":"PAY_IN","payment_id":"p","user_id":"jane.doe@example.com"}"#,
        );
        assert_eq!(path, "user_id");
        assert!(!reason.contains("jane"), "{reason}");
    }

    #[test]
    fn reasons_never_quote_body_values() {
        let cases: [(&[u8], &str); 4] = [
            (
                br#"{"type":"PAY_IN","payment_id":"p","fiat_amount":"SECRET-4111"}"#,
                "fiat_amount",
            ),
            (
                br#"{"type":"PAY_IN","payment_id":"p","fiat_amount":987654.5}"#,
                "fiat_amount",
            ),
            (
                br#"{"type":"CRYPTO_RECEIVED","id":"r","decimals":"SECRET, expected x"}"#,
                "decimals",
            ),
            (
                br#"{"type":"PAY_IN","payment_id":"p","created_at":"SECRET-date"}"#,
                "created_at",
            ),
        ];
        for (body, expected_path) in cases {
            let (path, reason) = payload_error(body);
            assert_eq!(path, expected_path);
            assert!(!reason.contains("SECRET"), "{reason}");
            assert!(!reason.contains("987654"), "{reason}");
            assert!(reason.contains("line 1 column"), "{reason}");
        }
        let (_, reason) =
            payload_error(br#"{"type":"PAY_IN","payment_id":"p","fiat_amount":"SECRET"}"#);
        assert!(reason.starts_with("not an integer"), "{reason}");
    }

    #[test]
    fn missing_fields_are_named() {
        let (path, reason) = payload_error(br#"{"type":"PAY_IN"}"#);
        assert_eq!(path, ".");
        assert!(reason.contains("missing field `payment_id`"), "{reason}");
        let (path, reason) = payload_error(br#"{"payment_id":"p"}"#);
        assert_eq!(path, ".");
        assert!(reason.contains("missing field `type`"), "{reason}");
        let (path, _) = payload_error(br#"{"type":7}"#);
        assert_eq!(path, "type");
    }

    #[test]
    fn non_objects_and_garbage_are_refused() {
        for body in [
            &br#"["PAY_IN","p"]"#[..],
            b"",
            b"   ",
            b"null",
            b"\xff\xfe",
            br#"{"type":"X"} trailing"#,
            br#"{"type":"PAY_IN","payment_id":"p"}{}"#,
        ] {
            payload_error(body);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut body = br#"{"type":"NEW","x":"#.to_vec();
        body.extend(std::iter::repeat_n(b'[', 100_000));
        payload_error(&body);
    }

    #[test]
    fn long_paths_are_shortened() {
        let key = "k".repeat(10_000);
        let body = format!(r#"{{"type":"NEW","{key}":[}}"#);
        let (path, _) = payload_error(body.as_bytes());
        assert!(path.chars().count() <= MAX_PATH_CHARS + 1, "{}", path.len());
    }

    #[test]
    fn event_type_round_trip() {
        let legacy = WebhookEvent::from_slice(br#"{"type":"RAMPOFF_FINISHED","id":"r"}"#).unwrap();
        assert_eq!(legacy.event_type(), EventType::TransferRampoffFinished);
        let WebhookEvent::TransferRampoffFinished(event) = legacy else {
            panic!("legacy name not mapped");
        };
        assert_eq!(event.event_type, "RAMPOFF_FINISHED");
        let unknown = WebhookEvent::from_slice(br#"{"type":"KYC_DONE"}"#).unwrap();
        assert_eq!(unknown.event_type().as_str(), "KYC_DONE");
    }

    proptest! {
        // A delivery that passed the signature check is still untrusted JSON: any bytes, and
        // objects of every event type with fields of the wrong kinds, are an event or an
        // InvalidPayload, never a panic.
        #[test]
        fn any_body_is_an_event_or_an_invalid_payload(body: Vec<u8>) {
            let outcome = WebhookEvent::from_slice(&body);
            prop_assert!(
                !matches!(outcome, Err(ref e) if !matches!(e, WebhookError::InvalidPayload { .. })),
                "{:?}", outcome
            );
        }

        #[test]
        fn any_fields_of_a_known_type_are_an_event_or_an_invalid_payload(
            kind in "PAY_IN|COINS_SENT|CRYPTO_RECEIVED|TRANSFER_RAMPOFF_FINISHED|RAMPOFF_FINISHED",
            fields in proptest::collection::btree_map(
                "payment_id|user_id|status|created_at|id|amount|txid|fiat_amount",
                prop_oneof![
                    any::<String>().prop_map(serde_json::Value::String),
                    any::<i64>().prop_map(serde_json::Value::from),
                    any::<f64>().prop_map(serde_json::Value::from),
                    Just(serde_json::Value::Null),
                    Just(serde_json::json!([1, "x"])),
                ],
                0..8,
            ),
        ) {
            let mut body: serde_json::Map<String, serde_json::Value> = fields.into_iter().collect();
            body.insert("type".into(), kind.into());
            let outcome = WebhookEvent::from_slice(serde_json::to_string(&body).unwrap().as_bytes());
            prop_assert!(
                !matches!(outcome, Err(ref e) if !matches!(e, WebhookError::InvalidPayload { .. })),
                "{:?}", outcome
            );
        }
    }
}

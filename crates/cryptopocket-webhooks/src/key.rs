//! The identity of a delivery, derived from its payload.

use std::fmt;

use cryptopocket::model::EventType;
use cryptopocket::webhooks::WebhookEvent;
use sha2::{Digest as _, Sha256};

/// What makes two deliveries "the same event", derived from the payload because CryptoPocket
/// sends no event id.
///
/// The identity is three parts:
///
/// 1. **the event kind, legacy names folded together**: `RAMPOFF_FINISHED` and
///    `TRANSFER_RAMPOFF_FINISHED` are one kind, because a subscriber under both names gets
///    both deliveries for the same off-ramp and must pay out once;
/// 2. **the object**: the `payment_id` of `PAY_IN` / `COINS_SENT`, the off-ramp `id` of
///    `CRYPTO_RECEIVED` / `TRANSFER_RAMPOFF_FINISHED`;
/// 3. **the status** the payload says the object reached (`-` when it carries none).
///
/// Why these and nothing else:
///
/// - a retry of the same event repeats all three, whatever else changes (`X-Timestamp` and
///   the signature change on every attempt, and nothing documents that the body is
///   byte-identical between attempts or between the legacy and the new name: the `type`
///   field at least differs);
/// - `created_at` is left out: it is inferred, not documented, and a sender that stamps each
///   attempt or each name separately would defeat deduplication;
/// - the status is kept in: each kind is sent once per object in the documented flows, but if
///   CryptoPocket ever sends one kind twice for one object with different statuses, those
///   are two facts and both must be applied. The cost is the reverse risk: a sender that
///   changed the status word of a retry would be applied twice, which no documented flow does.
///
/// An event of a kind this crate does not know ([`WebhookEvent::Unknown`]) has no known object
/// id; its identity is its `type` plus the SHA-256 of the raw body, so only byte-identical
/// redeliveries of it are recognised.
///
/// The text form ([`DeliveryKey::as_str`], the inbox's primary key) is a JSON array of the
/// three parts, e.g. `["TRANSFER_RAMPOFF_FINISHED","ro_1","finished"]`: unambiguous whatever
/// characters an id contains, and readable in a database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryKey {
    kind: String,
    object_id: String,
    status: String,
    text: String,
}

impl DeliveryKey {
    /// The identity of a decoded event; `body` is only read for an unknown event kind.
    pub fn of(event: &WebhookEvent, body: &[u8]) -> Self {
        match event {
            WebhookEvent::PayIn(e) | WebhookEvent::CoinsSent(e) => Self::new(
                folded_kind(event),
                e.payment_id.as_str(),
                e.status.as_ref().map_or("-", |s| s.as_str()),
            ),
            WebhookEvent::CryptoReceived(e) | WebhookEvent::TransferRampoffFinished(e) => {
                Self::new(
                    folded_kind(event),
                    e.id.as_str(),
                    e.status.as_ref().map_or("-", |s| s.as_str()),
                )
            }
            // `WebhookEvent` is non-exhaustive: anything else is identified by its bytes.
            _ => {
                let digest = hex::encode(Sha256::digest(body));
                Self::new(folded_kind(event), format!("sha256:{digest}"), "-")
            }
        }
    }

    /// A key from its three parts, for tests and for stores that read keys back.
    pub fn new(
        kind: impl Into<String>,
        object_id: impl Into<String>,
        status: impl Into<String>,
    ) -> Self {
        let (kind, object_id, status) = (kind.into(), object_id.into(), status.into());
        let text = serde_json::to_string(&[&kind, &object_id, &status])
            .unwrap_or_else(|_| format!("{kind}\u{1f}{object_id}\u{1f}{status}"));
        Self {
            kind,
            object_id,
            status,
            text,
        }
    }

    /// The folded event kind, e.g. `TRANSFER_RAMPOFF_FINISHED` for `RAMPOFF_FINISHED` too.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The payment or off-ramp id (`sha256:…` of the body for an unknown kind).
    pub fn object_id(&self) -> &str {
        &self.object_id
    }

    /// The status the event carries, `-` when none.
    pub fn status(&self) -> &str {
        &self.status
    }

    /// The text form: a JSON array of the three parts, the inbox's primary key.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The event's kind with legacy names folded: [`WebhookEvent::event_type`] already maps
/// `RAMPOFF_FINISHED` to [`EventType::TransferRampoffFinished`].
fn folded_kind(event: &WebhookEvent) -> String {
    let kind: EventType = event.event_type();
    kind.as_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(body: &str) -> DeliveryKey {
        let event = WebhookEvent::from_slice(body.as_bytes()).expect("an event");
        DeliveryKey::of(&event, body.as_bytes())
    }

    #[test]
    fn legacy_and_new_names_are_one_identity() {
        let new = key(r#"{"type":"TRANSFER_RAMPOFF_FINISHED","id":"ro_1","status":"finished"}"#);
        let old = key(
            r#"{"type":"RAMPOFF_FINISHED","id":"ro_1","status":"finished","created_at":"2026-01-01T00:00:00Z"}"#,
        );
        assert_eq!(new, old);
        assert_eq!(
            new.as_str(),
            r#"["TRANSFER_RAMPOFF_FINISHED","ro_1","finished"]"#
        );
    }

    #[test]
    fn kind_object_and_status_each_count() {
        let a = key(r#"{"type":"PAY_IN","payment_id":"p1","status":"payment_received"}"#);
        assert_ne!(
            a,
            key(r#"{"type":"COINS_SENT","payment_id":"p1","status":"payment_received"}"#)
        );
        assert_ne!(
            a,
            key(r#"{"type":"PAY_IN","payment_id":"p2","status":"payment_received"}"#)
        );
        assert_ne!(
            a,
            key(r#"{"type":"PAY_IN","payment_id":"p1","status":"pending_bank"}"#)
        );
        assert_eq!(
            a,
            key(
                r#"{"status":"payment_received","payment_id":"p1","type":"PAY_IN","fiat_amount":2500}"#
            )
        );
    }

    #[test]
    fn ids_with_separators_stay_unambiguous() {
        let a = DeliveryKey::new("K", "a\",\"b", "c");
        let b = DeliveryKey::new("K", "a", "b\",\"c");
        assert_ne!(a.as_str(), b.as_str());
    }

    #[test]
    fn unknown_kinds_are_identified_by_their_bytes() {
        let a = key(r#"{"type":"KYC_DONE","user":1}"#);
        assert_eq!(a.kind(), "KYC_DONE");
        assert!(a.object_id().starts_with("sha256:"));
        assert_eq!(a, key(r#"{"type":"KYC_DONE","user":1}"#));
        assert_ne!(a, key(r#"{"type":"KYC_DONE","user":2}"#));
    }
}

//! Status words, webhook event types and payment methods.

use cryptopocket_api::types::WebhookEventType;

use super::open_enum::open_enum;

open_enum! {
    /// Where an on-ramp payment stands (`data.status` of Retrieve payment).
    ///
    /// The docs name only the happy path (`started` → `pending_bank` for bank transfers →
    /// `payment_received` → `coins_sent`). The one failure word known, `payment_rejected`,
    /// is undocumented (seen in a public integration of the same vendor); refund, cancel and
    /// expiry words are unknown. So a poller must expect [`PaymentStatus::Unknown`], keep it
    /// visible, and bound its wait rather than treat an unknown word as success, failure or
    /// an end.
    PaymentStatus {
        /// Created; the customer has not finished checkout or not yet sent the
        /// bank transfer.
        Started => "started",
        /// Bank transfer only: the customer says the transfer was sent, but
        /// CryptoPocket has not reconciled it yet.
        PendingBank => "pending_bank",
        /// Fiat received; the crypto purchase and sending are under way.
        PaymentReceived => "payment_received",
        /// Crypto sent to the customer's wallet; `txid` is now present. The
        /// only documented final state, and the only success.
        CoinsSent => "coins_sent",
        /// The payment was rejected and no crypto will be sent: final, a failure.
        ///
        /// Undocumented: seen in a public integration of the same vendor, where it is the
        /// first known failure state; the official docs do not list it.
        PaymentRejected => "payment_rejected",
    }
}

impl PaymentStatus {
    /// Whether polling can stop: `coins_sent` (success) and `payment_rejected` (failure,
    /// see [`PaymentStatus::is_failure`]). An unknown word may be an intermediate state, so
    /// it is not final: a poller must bound its wait itself.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::CoinsSent | Self::PaymentRejected)
    }

    /// Whether the payment ended without the crypto being sent: `payment_rejected`. Such a
    /// status is also [`final`](PaymentStatus::is_final); a final status that is not a
    /// failure is a success (`coins_sent`). An unknown word is neither final nor a failure.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::PaymentRejected)
    }
}

open_enum! {
    /// Result of a KYC/KYB check (`kyc_status`).
    ///
    /// The integration guide says any value other than `valid` or `fail`
    /// means "still in progress", so unknown values are treated that way.
    KycStatus {
        /// Approved; payments may be created for this customer.
        Valid => "valid",
        /// Rejected; the guide says to stop here.
        Fail => "fail",
        /// Still in progress (presumably the form has not been used yet);
        /// check again later.
        Unused => "unused",
        /// Still in progress; check again later.
        Processing => "processing",
    }
}

impl KycStatus {
    /// Whether checking again is pointless: only `valid` and `fail` end the
    /// check; everything else, unknown words included, is still in progress.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Valid | Self::Fail)
    }

    /// Whether payments may be created for the customer.
    pub fn is_approved(&self) -> bool {
        matches!(self, Self::Valid)
    }
}

open_enum! {
    /// Where an off-ramp operation stands (`data.status` of Get rampoff
    /// status).
    ///
    /// Only `finished` is documented; every other word is kept as
    /// [`OffRampStatus::Unknown`] so it can still be shown and logged.
    OffRampStatus {
        /// The operation is complete.
        Finished => "finished",
    }
}

impl OffRampStatus {
    /// Whether polling can stop: only `finished` is known to be final.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Finished)
    }
}

open_enum! {
    /// The `type` of a webhook event, used both to subscribe and to route
    /// deliveries.
    ///
    /// The off-ramp completion event was renamed; the older name
    /// `RAMPOFF_FINISHED` still parses to
    /// [`EventType::TransferRampoffFinished`] so subscriptions made under
    /// either name are routed the same way, and the current name is written.
    EventType {
        /// On-ramp: the customer's fiat payment was received.
        PayIn => "PAY_IN",
        /// On-ramp: the purchased tokens were sent to the customer's wallet.
        CoinsSent => "COINS_SENT",
        /// Off-ramp: CryptoPocket received the crypto the customer sent.
        CryptoReceived => "CRYPTO_RECEIVED",
        /// Off-ramp: the payout bank transfer was sent.
        TransferRampoffFinished => "TRANSFER_RAMPOFF_FINISHED" | "RAMPOFF_FINISHED",
    }
}

impl EventType {
    /// The generated client's value for this event, for subscription
    /// requests; `None` for an unknown event, which the generated (closed)
    /// enum cannot carry.
    pub(crate) fn to_api(&self) -> Option<WebhookEventType> {
        match self {
            Self::PayIn => Some(WebhookEventType::PayIn),
            Self::CoinsSent => Some(WebhookEventType::CoinsSent),
            Self::CryptoReceived => Some(WebhookEventType::CryptoReceived),
            Self::TransferRampoffFinished => Some(WebhookEventType::TransferRampoffFinished),
            Self::Unknown(_) => None,
        }
    }
}

open_enum! {
    /// The payment method of an on-ramp purchase (`payment_type`).
    ///
    /// The four documented words are matched in any case because the docs
    /// write both `psd2` and `PSD2`; they are always sent in lower case.
    /// LATAM method names come from the payment-methods endpoint and are sent
    /// exactly as given, as [`PaymentType::Other`].
    PaymentType fallback
    /// LATAM method names such as `KHIPU` live here.
    Other, ignore_ascii_case {
        /// Card payment through a hosted page (the default of guided
        /// payments).
        Card => "card",
        /// PayPal.
        Paypal => "paypal",
        /// Bank payment initiated through a PSD2 provider.
        Psd2 => "psd2",
        /// Manual bank transfer to the IBAN returned by the API.
        Transfer => "transfer",
    }
}

open_enum! {
    /// Whether a customer is a person or a company (`type` of a customer record; inferred,
    /// with the values the registration endpoints suggest).
    CustomerKind {
        /// A person, registered with Create customer.
        Individual => "individual",
        /// A company, registered with Create company customer.
        Company => "company",
    }
}

open_enum! {
    /// Which way money moved on a bank account (`direction` of a bank transaction; inferred).
    TransactionDirection {
        /// Incoming: money received, such as a customer's transfer for a payment.
        Credit => "credit",
        /// Outgoing: money sent, such as an off-ramp payout.
        Debit => "debit",
    }
}

#[cfg(test)]
mod tests {
    use cryptopocket_api::types::WebhookEventType;

    use super::{EventType, KycStatus, OffRampStatus, PaymentStatus, PaymentType};

    #[test]
    fn payment_status_parses_and_only_coins_sent_and_rejected_are_final() {
        // (wire, status, final, failure)
        let cases = [
            ("started", PaymentStatus::Started, false, false),
            ("pending_bank", PaymentStatus::PendingBank, false, false),
            (
                "payment_received",
                PaymentStatus::PaymentReceived,
                false,
                false,
            ),
            ("coins_sent", PaymentStatus::CoinsSent, true, false),
            (
                "payment_rejected",
                PaymentStatus::PaymentRejected,
                true,
                true,
            ),
        ];
        for (wire, status, is_final, is_failure) in cases {
            let parsed = PaymentStatus::from(wire);
            assert_eq!(parsed, status);
            assert_eq!(parsed.as_str(), wire);
            assert_eq!(parsed.is_final(), is_final, "{wire}");
            assert_eq!(parsed.is_failure(), is_failure, "{wire}");
        }
        // Unknown words, failure-sounding ones included, are neither final nor failures:
        // only a word this crate knows ends a poll.
        for wire in [
            "refunded",
            "foo_bar",
            "payment_failed",
            "PAYMENT_REJECTED",
            "",
        ] {
            let unknown = PaymentStatus::from(wire);
            assert_eq!(unknown, PaymentStatus::Unknown(wire.to_owned()));
            assert!(!unknown.is_final(), "{wire}");
            assert!(!unknown.is_failure(), "{wire}");
            assert_eq!(unknown.as_str(), wire);
        }
        assert_eq!(
            PaymentStatus::from("COINS_SENT"),
            PaymentStatus::Unknown("COINS_SENT".to_owned())
        );
    }

    #[test]
    fn payment_rejected_round_trips_through_json() -> Result<(), serde_json::Error> {
        let parsed: PaymentStatus = serde_json::from_str(r#""payment_rejected""#)?;
        assert_eq!(parsed, PaymentStatus::PaymentRejected);
        assert_eq!(serde_json::to_string(&parsed)?, r#""payment_rejected""#);
        Ok(())
    }

    #[test]
    fn kyc_unknown_values_are_in_progress() {
        assert!(KycStatus::from("valid").is_final());
        assert!(KycStatus::from("valid").is_approved());
        assert!(KycStatus::from("fail").is_final());
        assert!(!KycStatus::from("fail").is_approved());
        for wire in ["unused", "processing", "pending_review", "VALID"] {
            let status = KycStatus::from(wire);
            assert!(!status.is_final(), "{wire}");
            assert!(!status.is_approved(), "{wire}");
            assert_eq!(status.as_str(), wire);
        }
        assert_eq!(KycStatus::from("unused"), KycStatus::Unused);
        assert_eq!(KycStatus::from("processing"), KycStatus::Processing);
    }

    #[test]
    fn off_ramp_status() {
        assert_eq!(OffRampStatus::from("finished"), OffRampStatus::Finished);
        assert!(OffRampStatus::Finished.is_final());
        assert!(!OffRampStatus::from("payment created").is_final());
    }

    #[test]
    fn legacy_event_name_maps_to_current_one() {
        let legacy = EventType::from("RAMPOFF_FINISHED");
        assert_eq!(legacy, EventType::TransferRampoffFinished);
        assert_eq!(legacy.as_str(), "TRANSFER_RAMPOFF_FINISHED");
        assert_eq!(
            EventType::from("TRANSFER_RAMPOFF_FINISHED"),
            EventType::TransferRampoffFinished
        );
    }

    #[test]
    fn event_types_map_to_generated_enum() {
        let cases = [
            ("PAY_IN", Some(WebhookEventType::PayIn)),
            ("COINS_SENT", Some(WebhookEventType::CoinsSent)),
            ("CRYPTO_RECEIVED", Some(WebhookEventType::CryptoReceived)),
            (
                "RAMPOFF_FINISHED",
                Some(WebhookEventType::TransferRampoffFinished),
            ),
            ("KYC_DONE", None),
            ("pay_in", None),
        ];
        for (wire, api) in cases {
            assert_eq!(EventType::from(wire).to_api(), api, "{wire}");
        }
        // Both sides must agree on the wire string.
        for event in [
            EventType::PayIn,
            EventType::CoinsSent,
            EventType::CryptoReceived,
            EventType::TransferRampoffFinished,
        ] {
            let api = event.to_api().map(|api| api.to_string());
            assert_eq!(api.as_deref(), Some(event.as_str()));
        }
    }

    #[test]
    fn payment_type_ignores_case_of_known_words_only() {
        assert_eq!(PaymentType::from("PSD2"), PaymentType::Psd2);
        assert_eq!(PaymentType::from("TRANSFER").as_str(), "transfer");
        assert_eq!(PaymentType::from("Card"), PaymentType::Card);
        assert_eq!(PaymentType::from("paypal"), PaymentType::Paypal);
        let latam = PaymentType::from("KHIPU");
        assert_eq!(latam, PaymentType::Other("KHIPU".to_owned()));
        assert_eq!(latam.as_str(), "KHIPU");
    }

    #[test]
    fn payment_type_serializes_lower_case() -> Result<(), serde_json::Error> {
        let parsed: Vec<PaymentType> = serde_json::from_str(r#"["PSD2","KHIPU"]"#)?;
        assert_eq!(serde_json::to_string(&parsed)?, r#"["psd2","KHIPU"]"#);
        Ok(())
    }
}

//! Business error codes returned in the error envelope.

use super::open_enum::open_enum;

open_enum! {
    /// A business error code from an error envelope (`"status": "error"`).
    ///
    /// Most of these arrive with HTTP 200, so callers must branch on this
    /// code, not on the HTTP status. The documented list is per endpoint and
    /// not promised to be complete, and unhandled server exceptions come back
    /// as free text in place of a code, which is why the fallback is
    /// [`ApiErrorCode::Other`].
    ApiErrorCode fallback
    /// This also carries the raw exception text that the guided-payment
    /// endpoint returns for an unhandled internal error.
    Other {
        /// The `auth` token is missing, invalid, expired or its caller is not
        /// whitelisted: authenticate again before retrying.
        AuthorizationIncorrect => "authorization_incorrect",
        /// A mandatory request field (documented case: `user_id`) was not sent.
        FailMandatoryField => "fail_mandatory_field",
        /// No customer has the given `user_id`.
        UserNotFound => "user_not_found",
        /// The customer is banned and cannot operate.
        UserBanned => "user_banned",
        /// The customer must pass KYC first; the envelope's `data` holds the
        /// verification URL to send them to.
        RequireKyc => "require_kyc",
        /// Higher limits need the enhanced onboarding: the customer must
        /// complete the `onboarding_link` before retrying.
        KycReinforcedRequired => "kyc_reinforced_required",
        /// Guided payments accept EUR only and another fiat was requested.
        GuidedPaymentEurOnly => "guided_payment_eur_only",
        /// The customer's quarterly card-purchase limit is used up (the code
        /// keeps the API's misspelling).
        LimitExceded => "limit_exceded",
        /// The `coin_symbol` + `coin_chain` pair is not active in the project.
        CoinNotSupported => "coin_not_supported",
        /// The amount is below the project minimum; the envelope's `message`
        /// states the minimum.
        MinPurchase => "min_purchase",
        /// The payment method (card) is disabled for this integration.
        MethodNotAllowed => "method_not_allowed",
        /// The card/PSD2 provider failed to create the payment.
        ErrorPaymentCreation => "error_payment_creation",
        /// The e-mail is already registered as a customer.
        UserAlreadyExists => "user_already_exists",
        /// The e-mail belongs to a disposable or temporary domain.
        EmailNotAllowed => "email_not_allowed",
        /// The server failed internally (documented for company registration).
        UnexpectedError => "unexpected_error",
        /// The customer exists but belongs to a different integration (sent
        /// with HTTP 403 by Upload Customer Document).
        UserNotInIntegration => "user_not_in_integration",
        /// The uploaded document's content was refused (sent with HTTP 422 by
        /// Upload Customer Document; exact conditions undocumented).
        InvalidFile => "invalid_file",
    }
}

impl ApiErrorCode {
    /// Whether this is one of the codes the documentation lists; `false`
    /// means the text is an undocumented code or a raw exception message, so
    /// a caller should log it rather than act on it.
    pub fn is_documented(&self) -> bool {
        !matches!(self, Self::Other(_))
    }

    /// Reads a code from a `message` field, where some payment endpoints put
    /// the code instead of in `error`; `None` means the message is ordinary
    /// text (for example `payment_created` or a sentence), not an error code.
    pub fn from_message(text: &str) -> Option<ApiErrorCode> {
        match ApiErrorCode::from(text.trim()) {
            ApiErrorCode::Other(_) => None,
            code => Some(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ApiErrorCode;

    const DOCUMENTED: [(&str, ApiErrorCode); 17] = [
        (
            "authorization_incorrect",
            ApiErrorCode::AuthorizationIncorrect,
        ),
        ("fail_mandatory_field", ApiErrorCode::FailMandatoryField),
        ("user_not_found", ApiErrorCode::UserNotFound),
        ("user_banned", ApiErrorCode::UserBanned),
        ("require_kyc", ApiErrorCode::RequireKyc),
        (
            "kyc_reinforced_required",
            ApiErrorCode::KycReinforcedRequired,
        ),
        (
            "guided_payment_eur_only",
            ApiErrorCode::GuidedPaymentEurOnly,
        ),
        ("limit_exceded", ApiErrorCode::LimitExceded),
        ("coin_not_supported", ApiErrorCode::CoinNotSupported),
        ("min_purchase", ApiErrorCode::MinPurchase),
        ("method_not_allowed", ApiErrorCode::MethodNotAllowed),
        ("error_payment_creation", ApiErrorCode::ErrorPaymentCreation),
        ("user_already_exists", ApiErrorCode::UserAlreadyExists),
        ("email_not_allowed", ApiErrorCode::EmailNotAllowed),
        ("unexpected_error", ApiErrorCode::UnexpectedError),
        (
            "user_not_in_integration",
            ApiErrorCode::UserNotInIntegration,
        ),
        ("invalid_file", ApiErrorCode::InvalidFile),
    ];

    #[test]
    fn every_documented_code_round_trips() {
        for (wire, code) in DOCUMENTED {
            assert_eq!(ApiErrorCode::from(wire), code, "{wire}");
            assert_eq!(code.as_str(), wire);
            assert!(code.is_documented(), "{wire}");
        }
    }

    #[test]
    fn misspelling_is_kept_and_correct_spelling_is_not_guessed() {
        assert_eq!(ApiErrorCode::LimitExceded.as_str(), "limit_exceded");
        assert_eq!(
            ApiErrorCode::from("limit_exceeded"),
            ApiErrorCode::Other("limit_exceeded".to_owned())
        );
    }

    #[test]
    fn free_text_becomes_other_and_is_not_documented() {
        let text = "SQLSTATE[23000]: Integrity constraint violation";
        let code = ApiErrorCode::from(text);
        assert_eq!(code, ApiErrorCode::Other(text.to_owned()));
        assert!(!code.is_documented());
        assert_eq!(code.to_string(), text);
    }

    #[test]
    fn from_message_accepts_trimmed_codes_only() {
        assert_eq!(
            ApiErrorCode::from_message(" min_purchase\n"),
            Some(ApiErrorCode::MinPurchase)
        );
        assert_eq!(ApiErrorCode::from_message("payment_created"), None);
        assert_eq!(ApiErrorCode::from_message("USER_BANNED"), None);
        assert_eq!(
            ApiErrorCode::from_message("min_purchase: minimum is 20 EUR"),
            None
        );
        assert_eq!(ApiErrorCode::from_message(""), None);
    }

    #[test]
    fn deserializes_from_error_field() -> Result<(), serde_json::Error> {
        #[derive(serde::Deserialize)]
        struct Body {
            error: ApiErrorCode,
        }
        let body: Body = serde_json::from_str(r#"{"status":"error","error":"user_banned"}"#)?;
        assert_eq!(body.error, ApiErrorCode::UserBanned);
        Ok(())
    }
}

//! The API's HTTP-200 envelope, turned into `Result`.
//!
//! Every 200 body is `{status, message?, error?, data?}` (see the spec). Success is decoded
//! once, by the generated client, straight into the operation's envelope type. Only when
//! that fails, or when the envelope says `error`, does this module look again.

use cryptopocket_api::{Endpoint, types};
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    error::{ApiError, Error, ValidationError, excerpt, serde_reason, shortened},
    model::ApiErrorCode,
};

/// An operation of the generated table whose 200 envelope and declared error body this
/// module can read: every `cryptopocket_api::endpoints::*` type. The operationId, effect,
/// envelope and error body all come from it, so no call site restates them.
pub(crate) trait Wired:
    Endpoint<Envelope: Envelope + DeserializeOwned, ErrorBody: ErrorBody + DeserializeOwned>
{
}

impl<E> Wired for E where
    E: Endpoint<Envelope: Envelope + DeserializeOwned, ErrorBody: ErrorBody + DeserializeOwned>
{
}

/// What the `data` of `E`'s success envelope holds.
pub(crate) type Data<E> = <<E as Endpoint>::Envelope as Envelope>::Data;

/// The fields every envelope has, whatever its `data`.
pub(crate) struct Parts<D> {
    pub(crate) status: String,
    pub(crate) message: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) data: Option<D>,
    pub(crate) pagination: Option<types::Pagination>,
}

/// An operation's 200 body.
pub(crate) trait Envelope {
    /// What `data` holds on success.
    type Data;
    fn into_parts(self) -> Parts<Self::Data>;
}

/// `Name => Data` for an envelope; `Name => Data, paged` for one that also carries
/// `pagination`.
macro_rules! envelopes {
    (@pagination $envelope:ident, paged) => { $envelope.pagination };
    (@pagination $envelope:ident,) => { None };
    ($($name:ident => $data:ty $(, $paged:ident)?;)*) => {$(
        impl Envelope for types::$name {
            type Data = $data;
            fn into_parts(self) -> Parts<$data> {
                Parts {
                    pagination: envelopes!(@pagination self, $($paged)?),
                    status: self.status,
                    message: self.message,
                    error: self.error,
                    data: self.data,
                }
            }
        }
    )*};
}

/// What `authenticate` issued, wherever the envelope carried it.
pub(crate) struct IssuedToken {
    pub(crate) token: String,
    pub(crate) expires_in: Option<i64>,
}

/// Where a token is looked for, in order; named in the error when none holds one.
pub(crate) const TOKEN_PLACES: &str =
    "`data.token`, a string `data`, and a `token` next to `status`";

/// The token's place is undocumented (see the spec's `AuthenticateResponse`): `data.token`,
/// a bare string in `data`, or `token` at the top level; the lifetime beside it or at the top.
impl Envelope for types::AuthenticateResponse {
    type Data = IssuedToken;
    fn into_parts(self) -> Parts<IssuedToken> {
        use types::AuthenticateResponseData as Data;
        let expires_in = self.expires_in.map(cryptopocket_api::Int::get);
        let data = match self.data {
            Some(Data::AuthToken(issued)) => Some(IssuedToken {
                token: issued.token,
                expires_in: issued
                    .expires_in
                    .map(cryptopocket_api::Int::get)
                    .or(expires_in),
            }),
            Some(Data::String(token)) => Some(IssuedToken { token, expires_in }),
            None => self.token.map(|token| IssuedToken { token, expires_in }),
        };
        Parts {
            status: self.status,
            message: self.message,
            error: self.error,
            data,
            pagination: None,
        }
    }
}

/// The status's place is inferred: inside `data` (the usual envelope) or, as a public
/// integration of the same vendor reads it, at the top level.
impl Envelope for types::KycCheckResponse {
    type Data = types::KycStatus;
    fn into_parts(self) -> Parts<types::KycStatus> {
        let top_level = self.kyc_status.map(|kyc_status| types::KycStatus {
            kyc_status,
            kyc_form_url: self.kyc_form_url,
            user_id: None,
        });
        Parts {
            status: self.status,
            message: self.message,
            error: self.error,
            data: self.data.or(top_level),
            pagination: None,
        }
    }
}

envelopes! {
    TokenPriceResponse => types::TokenPrice;
    AvailableAssetsResponse => Vec<types::Asset>;
    RegisterUserResponse => types::RegisteredUser;
    RegisterUserKycDelegatedResponse => types::RegisteredKycDelegatedUser;
    RegisterCompanyResponse => types::RegisteredCompany;
    CreateOnboardingFormResponse => types::OnboardingForm;
    UploadCustomerDocumentResponse => serde_json::Map<String, serde_json::Value>;
    FindUserSuccess => types::Customer;
    PaymentMethodsResponse => Vec<types::PaymentMethod>;
    QuoteResponse => types::Quote;
    CreatePaymentResponse => types::CreatedPayment;
    CreateGuidedPaymentResponse => types::GuidedPayment;
    GetPaymentResponse => types::Payment;
    RampoffQuoteResponse => types::RampoffQuote;
    CreateRampoffResponse => types::CreatedRampoff;
    GetRampoffResponse => types::Rampoff;
    ReconcilePaymentSuccessResponse => types::Reconciliation;
    WebhookSubscriptionResponse => String;
    ListCustomersResponse => Vec<types::Customer>, paged;
    ListPaymentsResponse => Vec<types::Payment>, paged;
    ListRampoffsResponse => Vec<types::Rampoff>, paged;
    BankAccountsListResponse => Vec<types::BankAccount>, paged;
    BankAccountTransactionsResponse => Vec<types::BankAccountTransaction>, paged;
}

impl<D> Parts<D> {
    /// `Ok(self)` for a success envelope; the API's error otherwise. The code may travel in
    /// `error` or, on the payment endpoints, in `message`.
    pub(crate) fn into_result(self, operation: &'static str) -> Result<Self, ApiError> {
        if self.is_success() {
            return Ok(self);
        }
        Err(self.into_api_error(operation))
    }

    /// Whether the envelope says success: a `status` other than `error`, and no `error`.
    pub(crate) fn is_success(&self) -> bool {
        self.status != "error" && self.error.is_none()
    }

    /// The API's error an envelope that is not a success carries.
    #[cold]
    pub(crate) fn into_api_error(self, operation: &'static str) -> ApiError {
        api_error(
            operation,
            200,
            self.error.as_deref(),
            self.message.as_deref(),
            None,
        )
    }
}

/// The loosest reading of an error envelope: used only on bodies the operation's own type
/// could not decode (for instance `require_kyc`, whose `data` is a URL, not the success
/// object).
#[derive(Deserialize)]
struct LooseEnvelope {
    status: Option<String>,
    error: Option<String>,
    message: Option<String>,
    data: Option<serde_json::Value>,
}

/// A body `E`'s envelope type did not accept: the API's error if it is an error
/// envelope, otherwise a decode error naming the JSON path.
pub(crate) fn second_look<E: Wired>(body: &[u8]) -> Error {
    let operation = E::OPERATION.id;
    if let Ok(loose) = serde_json::from_slice::<LooseEnvelope>(body)
        && (loose.status.as_deref() == Some("error") || loose.error.is_some())
    {
        return Error::Api(api_error(
            operation,
            200,
            loose.error.as_deref(),
            loose.message.as_deref(),
            loose.data.filter(|d| !d.is_null()),
        ));
    }
    decode_error::<E::Envelope>(operation, body)
}

/// Decodes `body` again with path tracking, to say where it went wrong.
pub(crate) fn decode_error<T: DeserializeOwned>(operation: &'static str, body: &[u8]) -> Error {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (path, reason) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(e) => (e.path().to_string(), serde_reason(e.inner())),
        Ok(_) => (
            ".".to_owned(),
            "the body decoded on a second try".to_owned(),
        ),
    };
    Error::Decode {
        operation,
        path,
        reason,
        excerpt: excerpt(body),
    }
}

/// The documented 4xx bodies (`ErrorResponse`, `IntegrationError`) as errors: per-field
/// messages become [`ValidationError`], a code becomes [`ApiError`].
pub(crate) trait ErrorBody {
    fn into_error(self, operation: &'static str, http_status: u16) -> Error;
}

impl ErrorBody for types::ErrorResponse {
    fn into_error(self, operation: &'static str, http_status: u16) -> Error {
        if !self.errors.is_empty() {
            return Error::Validation(ValidationError {
                operation,
                message: self.message.unwrap_or_default(),
                fields: self.errors,
            });
        }
        Error::Api(api_error(
            operation,
            http_status,
            self.error.as_deref(),
            self.message.as_deref(),
            None,
        ))
    }
}

impl ErrorBody for types::IntegrationError {
    fn into_error(self, operation: &'static str, http_status: u16) -> Error {
        Error::Api(api_error(
            operation,
            http_status,
            self.error.as_deref(),
            self.message.as_deref(),
            None,
        ))
    }
}

/// Operations that declare no 4xx body.
impl ErrorBody for () {
    fn into_error(self, operation: &'static str, http_status: u16) -> Error {
        Error::UnexpectedStatus {
            operation,
            status: http_status,
            excerpt: String::new(),
            retry_after: None,
        }
    }
}

const MESSAGE_CHARS: usize = 300;

fn api_error(
    operation: &'static str,
    http_status: u16,
    error: Option<&str>,
    message: Option<&str>,
    data: Option<serde_json::Value>,
) -> ApiError {
    let code = match (error, message) {
        // A server exception can stand where the code should be: as long as a message.
        (Some(code), _) if !code.trim().is_empty() => match ApiErrorCode::from(code.trim()) {
            ApiErrorCode::Other(text) => ApiErrorCode::Other(shorten(&text)),
            known => known,
        },
        (_, Some(message)) => ApiErrorCode::from_message(message)
            .unwrap_or_else(|| ApiErrorCode::Other(shorten(message))),
        _ => ApiErrorCode::Other("error envelope without a code".to_owned()),
    };
    ApiError {
        operation,
        http_status,
        code,
        message: message.map(shorten),
        data,
    }
}

fn shorten(text: &str) -> String {
    shortened(text, MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use cryptopocket_api::endpoints;
    use proptest::prelude::*;

    use super::*;

    fn parts(status: &str, error: Option<&str>, message: Option<&str>) -> Parts<()> {
        Parts {
            status: status.into(),
            message: message.map(Into::into),
            error: error.map(Into::into),
            data: None,
            pagination: None,
        }
    }

    #[test]
    fn the_three_success_words_are_success() {
        for word in ["ok", "success", "sucess"] {
            assert!(
                parts(word, None, Some("payment_created"))
                    .into_result("x")
                    .is_ok()
            );
        }
    }

    #[test]
    fn the_code_is_read_from_error_or_from_message() {
        let e = parts("error", Some("user_banned"), None).into_result("createPayment");
        assert_eq!(e.err().unwrap().code, ApiErrorCode::UserBanned);
        let e = parts("error", None, Some("limit_exceded")).into_result("createPayment");
        assert_eq!(e.err().unwrap().code, ApiErrorCode::LimitExceded);
        let e = parts("error", None, Some("SQLSTATE[23000]: boom")).into_result("x");
        assert_eq!(
            e.err().unwrap().code,
            ApiErrorCode::Other("SQLSTATE[23000]: boom".into())
        );
        // An `error` field alone means failure even with a success word.
        assert!(
            parts("ok", Some("unexpected_error"), None)
                .into_result("x")
                .is_err()
        );
    }

    #[test]
    fn require_kyc_keeps_its_url_on_the_second_look() {
        let body = br#"{"status":"error","error":"require_kyc","data":"https://kyc.example/abc"}"#;
        match second_look::<endpoints::CreateGuidedPayment>(body) {
            Error::Api(e) => {
                assert_eq!(e.code, ApiErrorCode::RequireKyc);
                assert_eq!(e.verification_url(), Some("https://kyc.example/abc"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_malformed_success_names_the_json_path() {
        // A string of digits is a tolerated integer; an object is not.
        let body =
            br#"{"status":"ok","data":{"id":"x","status":"started","fiat_amount":{"v":"15050"}}}"#;
        match second_look::<endpoints::GetPayment>(body) {
            Error::Decode { path, excerpt, .. } => {
                assert!(path.starts_with("data."), "{path}");
                assert!(!excerpt.contains("15050\""), "{excerpt}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decode_errors_never_quote_values_from_the_body() {
        let body = br#"{"status":"ok","data":{"id":"TOKEN-t0k3n-VALUE","status":7}}"#;
        let shown = format!(
            "{:?}",
            decode_error::<types::GetPaymentResponse>("getPayment", body)
        );
        assert!(!shown.contains("t0k3n"), "{shown}");
        assert!(shown.contains("data."), "{shown}");
    }

    #[test]
    fn the_token_is_read_from_each_place_it_may_be() {
        for body in [
            r#"{"status":"ok","data":{"token":"T1","expires_in":60}}"#,
            r#"{"status":"ok","data":"T1","expires_in":60}"#,
            r#"{"status":"success","token":"T1","expires_in":60}"#,
            r#"{"status":"ok","data":{"token":"T1"},"expires_in":60}"#,
        ] {
            let envelope: types::AuthenticateResponse = serde_json::from_str(body).unwrap();
            let issued = envelope.into_parts().data.expect(body);
            assert_eq!(
                (issued.token.as_str(), issued.expires_in),
                ("T1", Some(60)),
                "{body}"
            );
        }
        let envelope: types::AuthenticateResponse =
            serde_json::from_str(r#"{"status":"ok","data":null}"#).unwrap();
        assert!(envelope.into_parts().data.is_none());
    }

    #[test]
    fn laravel_bodies_become_validation_errors() {
        let body: types::ErrorResponse = serde_json::from_str(
            r#"{"message":"The email field is required.","errors":{"email":["The email field is required."]}}"#,
        )
        .unwrap();
        match body.into_error("registerCompany", 422) {
            Error::Validation(v) => assert_eq!(v.fields["email"].len(), 1),
            other => panic!("{other:?}"),
        }
    }

    /// A value of any JSON kind in which `secret` may sit as a string, a key's value or an
    /// array item.
    fn carrying(secret: String) -> impl Strategy<Value = serde_json::Value> {
        use serde_json::{Value, json};
        prop_oneof![
            Just(Value::String(secret.clone())),
            Just(json!([secret.clone()])),
            Just(json!({ "x": secret })),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            Just(Value::Null),
        ]
    }

    proptest! {
        // A success envelope whose data has the wrong shape is a decode error that names
        // the path and never quotes a value: the payment's fields, any kinds, a secret in them.
        #[test]
        fn decode_errors_never_show_a_value_of_the_body(
            (secret, data) in "S3CR3T[a-z0-9]{6}".prop_flat_map(|secret| (
                Just(secret.clone()),
                prop_oneof![
                    carrying(secret.clone()),
                    proptest::collection::btree_map(
                        "id|external_id|user_id|status|fiat_amount|fiat_symbol|coin_amount|\
                         coin_symbol|wallet|txid|created_at",
                        carrying(secret),
                        0..8,
                    )
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
                ],
            )),
        ) {
            let body = serde_json::json!({ "status": "ok", "data": data }).to_string();
            let error = second_look::<endpoints::GetPayment>(body.as_bytes());
            let shown = format!("{error} {error:?}");
            prop_assert!(!shown.contains(&secret), "{}", shown);
        }

        // Any bytes at all from a server: an error, never a panic.
        #[test]
        fn any_body_is_an_error(body: Vec<u8>) {
            let error = second_look::<endpoints::GetPayment>(&body);
            prop_assert!(matches!(error, Error::Api(_) | Error::Decode { .. }), "{:?}", error);
        }
    }
}

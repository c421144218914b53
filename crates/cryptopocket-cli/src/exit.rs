//! Failures, their exit codes, and how they are told to the user.
//!
//! | Code | Meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the API answered with an error (its code and message are printed), or a webhook delivery was rejected |
//! | 2 | usage or configuration error: a bad flag, missing credentials, an unreadable file, input the API's rules refuse before anything is sent |
//! | 3 | transport error, timeout, or an answer that could not be read (unexpected HTTP status, undecodable body) |
//!
//! Every [`cryptopocket::Error`] variant is mapped explicitly in [`Failure::from`]. Messages
//! never hold the API secret; body excerpts come from the crate, which masks string values.

use std::{fmt::Write as _, process::ExitCode};

use cryptopocket::{ApiError, ApiErrorCode, Error, ValidationError};

/// The exit code classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 1: the API refused, or a webhook delivery was rejected.
    Refused = 1,
    /// 2: usage or configuration.
    Usage = 2,
    /// 3: transport, timeout, or an unreadable answer.
    Unreachable = 3,
}

/// Why a command failed: an exit code, a one-line message and optional detail lines.
#[derive(Debug)]
pub struct Failure {
    /// The exit code class.
    pub code: Code,
    /// The first line, after `error: `.
    pub message: String,
    /// Further lines (field messages, what to do), printed indented.
    pub details: Vec<String>,
}

impl Failure {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message)
    }

    /// Exit code 1.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Code::Refused, message)
    }

    /// Exit code 3.
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self::new(Code::Unreachable, message)
    }

    /// Adds a detail line.
    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }

    /// Prints the failure on stderr and returns its exit code.
    pub fn report(&self) -> ExitCode {
        let mut text = format!("error: {}\n", self.message);
        for line in &self.details {
            let _ = writeln!(text, "  {line}");
        }
        eprint!("{text}");
        ExitCode::from(self.code as u8)
    }
}

/// Operations that create something: after a failure that may have reached the server, the
/// user must look before creating again.
const CREATES: [&str; 9] = [
    "createPayment",
    "createGuidedPayment",
    "createRampoff",
    "registerUser",
    "registerUserKycDelegated",
    "registerCompany",
    "uploadCustomerDocument",
    "reconcilePayment",
    "createOnboardingForm",
];

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let failure = match &error {
            Error::Api(api) => api_failure(api),
            Error::Validation(validation) => validation_failure(validation),
            Error::InvalidRequest(message) => Failure::usage(format!("invalid input: {message}"))
                .detail("nothing was sent; correct the value and run the command again"),
            Error::Config(message) => Failure::usage(format!("configuration: {message}")).detail(
                "set CRYPTOPOCKET_API_KEY, CRYPTOPOCKET_API_SECRET and, for a server other than \
                 the published sandbox, CRYPTOPOCKET_BASE_URL (or --base-url)",
            ),
            // The message ends with the cause ("Connection refused", a TLS or DNS failure).
            Error::Transport { .. } => Failure::unreachable(format!("cannot reach the API: {error}"))
                .detail("check --base-url / CRYPTOPOCKET_BASE_URL and the network, then try again"),
            Error::Timeout { .. } => Failure::unreachable(error.to_string())
                .detail("the server is slow or unreachable; try again, or raise --timeout"),
            Error::UnexpectedStatus { status, .. } => {
                Failure::unreachable(error.to_string()).detail(if *status == 404 {
                    "is the base URL right? It must end in /api"
                } else {
                    "the server (or a proxy in front of it) answered outside the API; try again later"
                })
            }
            Error::Decode { .. } => Failure::unreachable(error.to_string()).detail(
                "the answer does not have the documented shape: is the base URL a CryptoPocket API?",
            ),
            Error::RepeatedPage { .. } => Failure::unreachable(error.to_string())
                .detail("the server's pagination is broken; use --limit to read the first pages"),
            // `Error` is non-exhaustive: a variant added later is reported as it describes
            // itself, with the transport class, until it is mapped here.
            _ => Failure::unreachable(error.to_string()),
        };
        let creates = match &error {
            Error::Transport { operation, .. } | Error::Timeout { operation, .. } => {
                CREATES.contains(operation)
            }
            _ => false,
        };
        if creates && error.may_have_reached_server() {
            failure.detail(
                "the request may have reached the server: look it up (for a payment, by your \
                 --external-id in `cryptopocket payments list`) before creating it again",
            )
        } else {
            failure
        }
    }
}

fn api_failure(api: &ApiError) -> Failure {
    let code = shortened(api.code.as_str(), 200);
    let hint = hint(&api.code);
    let message = match &api.message {
        Some(message) if message != api.code.as_str() && !message.is_empty() => message.clone(),
        _ => hint.unwrap_or("the API refused the call").to_owned(),
    };
    let mut failure = Failure::refused(format!("{code}: {message}"));
    if let Some(url) = api.verification_url() {
        failure = failure.detail(format!("complete KYC at: {url}"));
    }
    if let Some(minimum) = api.minimum_amount()
        && !message.contains(&minimum.to_string())
    {
        failure = failure.detail(format!("minimum amount: {minimum}"));
    }
    if let Some(hint) = hint
        && api
            .message
            .as_deref()
            .is_some_and(|m| m != api.code.as_str())
    {
        failure = failure.detail(hint);
    }
    failure.detail(format!(
        "(refused by {}, HTTP {})",
        api.operation, api.http_status
    ))
}

fn validation_failure(validation: &ValidationError) -> Failure {
    let mut failure = Failure::refused(format!(
        "{} rejected the input: {}",
        validation.operation, validation.message
    ));
    for (field, messages) in &validation.fields {
        for message in messages {
            failure = failure.detail(format!("{field}: {message}"));
        }
    }
    failure
}

/// What the user can do about each documented code.
fn hint(code: &ApiErrorCode) -> Option<&'static str> {
    Some(match code {
        ApiErrorCode::AuthorizationIncorrect => {
            "the credentials were refused: check CRYPTOPOCKET_API_KEY and CRYPTOPOCKET_API_SECRET, \
             and that this machine may call the API"
        }
        ApiErrorCode::FailMandatoryField => {
            "a required field was missing; see the command's --help"
        }
        ApiErrorCode::UserNotFound => {
            "no customer has this user id; look it up with `cryptopocket customers find`"
        }
        ApiErrorCode::UserBanned => "the customer is banned and cannot operate",
        ApiErrorCode::RequireKyc => "the customer must pass KYC first",
        ApiErrorCode::KycReinforcedRequired => {
            "higher limits need the enhanced verification: `cryptopocket kyc enhanced-link USER_ID`"
        }
        ApiErrorCode::GuidedPaymentEurOnly => "guided payments take EUR only",
        ApiErrorCode::LimitExceded => "the customer's quarterly card-purchase limit is used up",
        ApiErrorCode::CoinNotSupported => {
            "this coin and chain are not active; see `cryptopocket assets list`"
        }
        ApiErrorCode::MinPurchase => "the amount is below the minimum purchase; raise it",
        ApiErrorCode::MethodNotAllowed => {
            "this payment method is disabled; see `cryptopocket payments methods`"
        }
        ApiErrorCode::ErrorPaymentCreation => {
            "the payment provider could not create the payment; try again later"
        }
        ApiErrorCode::UserAlreadyExists => {
            "this e-mail is already registered; find it with `cryptopocket customers find --email`"
        }
        ApiErrorCode::EmailNotAllowed => "disposable or temporary e-mail domains are refused",
        ApiErrorCode::UnexpectedError => "the server failed internally; try again later",
        ApiErrorCode::UserNotInIntegration => "the customer belongs to another integration",
        ApiErrorCode::InvalidFile => {
            "the document was refused; send a PDF or image file, a data: URI or an http(s) URL"
        }
        _ => return None,
    })
}

/// `text` cut to `max` characters, with `…` when cut.
fn shortened(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn api(code: ApiErrorCode, message: Option<&str>, data: Option<serde_json::Value>) -> Error {
        Error::Api(ApiError {
            operation: "createPayment",
            http_status: 200,
            code,
            message: message.map(str::to_owned),
            data,
        })
    }

    #[test]
    fn every_variant_has_its_code() {
        let cases: Vec<(Error, Code)> = vec![
            (api(ApiErrorCode::UserNotFound, None, None), Code::Refused),
            (
                Error::Validation(ValidationError {
                    operation: "registerCompany",
                    message: "invalid".into(),
                    fields: [("email".to_owned(), vec!["taken".to_owned()])].into(),
                }),
                Code::Refused,
            ),
            (Error::InvalidRequest("x".into()), Code::Usage),
            (Error::Config("x".into()), Code::Usage),
            (
                Error::Transport {
                    operation: "getPayment",
                    message: "refused".into(),
                    maybe_sent: false,
                },
                Code::Unreachable,
            ),
            (
                Error::Timeout {
                    operation: "getPayment",
                    elapsed: Duration::from_secs(1),
                },
                Code::Unreachable,
            ),
            (
                Error::UnexpectedStatus {
                    operation: "getPayment",
                    status: 502,
                    excerpt: String::new(),
                    retry_after: None,
                },
                Code::Unreachable,
            ),
            (
                Error::Decode {
                    operation: "getPayment",
                    path: "data".into(),
                    reason: "x".into(),
                    excerpt: String::new(),
                },
                Code::Unreachable,
            ),
            (
                Error::RepeatedPage {
                    operation: "listPayments",
                    page: 1,
                },
                Code::Unreachable,
            ),
        ];
        for (error, code) in cases {
            let shown = error.to_string();
            assert_eq!(Failure::from(error).code, code, "{shown}");
        }
    }

    #[test]
    fn api_errors_name_the_code_and_the_kyc_url() {
        let failure = Failure::from(api(
            ApiErrorCode::RequireKyc,
            Some("require_kyc"),
            Some(serde_json::json!("https://kyc.example/abc")),
        ));
        assert_eq!(
            failure.message,
            "require_kyc: the customer must pass KYC first"
        );
        assert!(
            failure
                .details
                .iter()
                .any(|d| d.contains("https://kyc.example/abc"))
        );
    }

    #[test]
    fn validation_errors_list_every_field_message() {
        let failure = Failure::from(Error::Validation(ValidationError {
            operation: "registerCompany",
            message: "The given data was invalid.".into(),
            fields: [
                ("email".to_owned(), vec!["is taken".to_owned()]),
                (
                    "company_name".to_owned(),
                    vec!["a".to_owned(), "b".to_owned()],
                ),
            ]
            .into(),
        }));
        assert_eq!(failure.details.len(), 3);
        assert!(failure.details.contains(&"email: is taken".to_owned()));
    }

    #[test]
    fn a_create_that_may_have_been_sent_says_to_look_first() {
        let failure = Failure::from(Error::Timeout {
            operation: "createPayment",
            elapsed: Duration::from_secs(30),
        });
        assert!(
            failure
                .details
                .iter()
                .any(|d| d.contains("before creating"))
        );
        let failure = Failure::from(Error::Transport {
            operation: "createPayment",
            message: "connection refused".into(),
            maybe_sent: false,
        });
        assert!(
            !failure
                .details
                .iter()
                .any(|d| d.contains("before creating"))
        );
    }
}

//! Failures, their exit codes, and how they are told to the user.
//!
//! | Code | Meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the API answered with an error (its code and message are printed), a webhook delivery was rejected, or a watched payment was rejected |
//! | 2 | usage or configuration error: a bad flag, missing credentials, an unreadable file, input the API's rules refuse before anything is sent |
//! | 3 | transport error, timeout, or an answer that could not be read (unexpected HTTP status, redirect, undecodable or oversized body) |
//!
//! Every [`cryptopocket::Error`] variant is mapped explicitly in [`Failure::from`]. One rule
//! covers every call that creates something: when it failed and
//! [`Error::may_have_reached_server`] is true, the failure says the object may exist and how
//! to look it up before creating it again (the command that created supplies the exact
//! look-up, with the user's own `--external-id` or e-mail: [`Failure::look_up_with`]).
//!
//! A failure is printed on stderr, as text, or with `--json` as one JSON object (see
//! [`Failure::to_json`]: `code`, `message`, `hint`, `operation`, `exit`,
//! `may_have_reached_server`, …); either way it passes through [`output::write_stderr`],
//! which redacts.

use std::{borrow::Cow, fmt::Write as _, process::ExitCode};

use cryptopocket::{
    ApiError, ApiErrorCode, ConfigError, Error, ValidationError,
    error::{BaseUrlProblem, Credential},
};
use serde::Serialize;
use serde_json::json;

use crate::output;

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

/// Why a command failed: an exit code, a one-line message and optional detail lines. Boxed
/// (failures travel in every `Result`); its fields are read through `Deref`.
#[derive(Debug)]
pub struct Failure(Box<Fields>);

impl std::ops::Deref for Failure {
    type Target = Fields;

    fn deref(&self) -> &Fields {
        &self.0
    }
}

impl std::ops::DerefMut for Failure {
    fn deref_mut(&mut self) -> &mut Fields {
        &mut self.0
    }
}

/// What a [`Failure`] holds.
#[derive(Debug)]
pub struct Fields {
    /// The exit code class.
    pub code: Code,
    /// A stable, machine-readable name of what went wrong: the API's own error code when the
    /// API refused (`min_purchase`), else one of the command line's (`timeout`, `usage`, …).
    pub error_code: Cow<'static, str>,
    /// The first line, after `error: `.
    pub message: String,
    /// What the user can do about it, printed indented after the message.
    pub hint: Option<String>,
    /// Further lines (field messages, the KYC URL, …), printed indented.
    pub details: Vec<String>,
    /// The spec's operationId of the call that failed, when a call did.
    pub operation: Option<&'static str>,
    /// The API's error code, when the API refused the call.
    pub api_code: Option<String>,
    /// Whether the request may have reached the server (and acted on it). `false` when
    /// nothing was sent or the API refused it by a documented rule.
    pub may_have_reached_server: bool,
    /// For a create that may have reached the server: what may exist and how to find it
    /// (boxed: failures travel in every `Result`).
    pub warning: Option<Box<CreateWarning>>,
}

/// How to find what a failed create may have made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// This command finds it.
    Command(String),
    /// No command finds it exactly: what to do instead, as the end of a sentence.
    Manual(String),
}

impl Lookup {
    /// A payment: by the `--external-id` given, or through every payment when none was.
    pub fn payment(external_id: Option<&str>) -> Self {
        match external_id.filter(|id| !id.is_empty()) {
            Some(id) => Lookup::Command(format!(
                "cryptopocket payments find --external-id {}",
                shell_word(id)
            )),
            None => Lookup::Manual(
                "you gave no --external-id; look through `cryptopocket payments list` before \
                 creating it again"
                    .to_owned(),
            ),
        }
    }

    /// A customer or company: by its e-mail.
    pub fn customer(email: &str) -> Self {
        Lookup::Command(format!(
            "cryptopocket customers find --email {}",
            shell_word(email)
        ))
    }
}

/// The warning a failed create carries when its request may have reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateWarning {
    /// What may exist now (`the payment may exist`).
    pub effect: &'static str,
    /// How to find it.
    pub lookup: Lookup,
}

impl CreateWarning {
    /// The sentence printed: what may exist, and how to look before creating again.
    pub fn advice(&self) -> String {
        let how = match &self.lookup {
            Lookup::Command(command) => {
                format!("look it up with `{command}` before creating it again")
            }
            Lookup::Manual(how) => how.clone(),
        };
        format!(
            "the request may have reached the server, so {}: {how}",
            self.effect
        )
    }

    /// The command that finds the object, when there is one.
    pub fn command(&self) -> Option<&str> {
        match &self.lookup {
            Lookup::Command(command) => Some(command),
            Lookup::Manual(_) => None,
        }
    }
}

/// Operations that create something: after a failure that may have reached the server, the
/// user must look before creating again. Each with what may exist and the look-up used when
/// the command gives none more exact.
fn create_warning(operation: &str) -> Option<CreateWarning> {
    let command = |c: &str| Lookup::Command(c.to_owned());
    let manual = |m: &str| Lookup::Manual(m.to_owned());
    let (effect, lookup) = match operation {
        "createPayment" | "createGuidedPayment" => (
            "the payment may exist",
            manual("look through `cryptopocket payments list` before creating it again"),
        ),
        "createRampoff" => (
            "the off-ramp operation may exist",
            command("cryptopocket offramp list"),
        ),
        "registerUser" | "registerUserKycDelegated" => (
            "the customer may exist",
            manual(
                "look it up with `cryptopocket customers find --email …` before registering again",
            ),
        ),
        "registerCompany" => (
            "the company may exist",
            manual(
                "look it up with `cryptopocket customers find --email …` before registering again",
            ),
        ),
        "uploadCustomerDocument" => (
            "the document may be attached",
            manual(
                "no command lists a customer's documents; uploading it again may attach it twice",
            ),
        ),
        "reconcilePayment" => (
            "the payment may be reconciled",
            manual(
                "look at the transaction's `reconciled` in `cryptopocket bank-accounts \
                 transactions IBAN` before reconciling again",
            ),
        ),
        "createOnboardingForm" => (
            "a link may exist",
            manual("no command lists the links made; asking again may make a second one"),
        ),
        _ => return None,
    };
    Some(CreateWarning { effect, lookup })
}

/// The operations [`create_warning`] knows.
#[cfg(test)]
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

/// `text` as one shell word: unquoted when it is plain, else in single quotes.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '+' | '=' | ',')
        });
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

impl Failure {
    fn new(code: Code, message: impl Into<String>) -> Self {
        let error_code = match code {
            Code::Refused => "refused",
            Code::Usage => "usage",
            Code::Unreachable => "unreachable",
        };
        Self(Box::new(Fields {
            code,
            error_code: Cow::Borrowed(error_code),
            message: message.into(),
            hint: None,
            details: Vec::new(),
            operation: None,
            api_code: None,
            may_have_reached_server: false,
            warning: None,
        }))
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

    /// A failure of `operation`; `maybe` says whether the request may have reached the
    /// server, and then a create warns that the object may exist.
    pub fn of_operation(mut self, operation: &'static str, maybe: bool) -> Self {
        self.operation = Some(operation);
        self.may_have_reached_server = maybe;
        self.warning = if maybe {
            create_warning(operation).map(Box::new)
        } else {
            None
        };
        self
    }

    /// Sets what the user can do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the machine-readable code (`code` in the JSON object).
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.error_code = Cow::Borrowed(code);
        self
    }

    /// For a failed create: the exact look-up (with the user's own values), used when the
    /// failure warns that the object may exist. Failures that do not warn are unchanged.
    pub fn look_up_with(mut self, lookup: Lookup) -> Self {
        if let Some(warning) = &mut self.warning {
            warning.lookup = lookup;
        }
        self
    }

    /// The detail lines as printed: the create warning first, when there is one, then the
    /// hint (unless the message already says it), then the details.
    pub fn lines(&self) -> Vec<String> {
        let hint = self
            .hint
            .iter()
            .filter(|hint| !self.message.contains(hint.as_str()))
            .cloned();
        self.warning
            .iter()
            .map(|w| w.advice())
            .chain(hint)
            .chain(self.details.iter().cloned())
            .collect()
    }

    /// What to do, as `hint` in the JSON object: the create warning's advice when there is
    /// one (it matters most), else the hint.
    fn json_hint(&self) -> Option<String> {
        match (&self.warning, &self.hint) {
            (Some(warning), Some(hint)) => Some(format!("{}; {hint}", warning.advice())),
            (Some(warning), None) => Some(warning.advice()),
            (None, hint) => hint.clone(),
        }
    }

    /// The failure as `--json` prints it: one object on one line, fields in a fixed order.
    ///
    /// ```text
    /// {"code", "message", "hint", "operation", "exit", "may_have_reached_server",
    ///  "api_code", "lookup", "advice", "details"}
    /// ```
    ///
    /// `code` is the API's error code when the API refused, else the command line's own;
    /// `api_code` is the API's code or null; `lookup` the command that finds what a failed
    /// create may have made; `advice` the sentence about it (also at the start of `hint`).
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct JsonFailure<'a> {
            code: &'a str,
            message: &'a str,
            hint: Option<String>,
            operation: Option<&'static str>,
            exit: u8,
            may_have_reached_server: bool,
            api_code: Option<&'a str>,
            lookup: Option<&'a str>,
            advice: Option<String>,
            details: &'a [String],
        }
        let failure = JsonFailure {
            code: &self.error_code,
            message: &self.message,
            hint: self.json_hint(),
            operation: self.operation,
            exit: self.code as u8,
            may_have_reached_server: self.may_have_reached_server,
            api_code: self.api_code.as_deref(),
            lookup: self.warning.as_ref().and_then(|w| w.command()),
            advice: self.warning.as_ref().map(|w| w.advice()),
            details: &self.details,
        };
        serde_json::to_string(&failure).unwrap_or_else(|e| {
            json!({
                "code": "internal",
                "message": format!("cannot serialise the error: {e}"),
                "hint": null,
                "operation": null,
                "exit": self.code as u8,
                "may_have_reached_server": self.may_have_reached_server,
            })
            .to_string()
        })
    }

    /// Prints the failure on stderr (text, or a JSON object with `json`), redacted, and
    /// returns its exit code.
    pub fn report(&self, json: bool) -> ExitCode {
        let text = if json {
            format!("{}\n", self.to_json())
        } else {
            let mut text = format!("error: {}\n", self.message);
            for line in self.lines() {
                let _ = writeln!(text, "  {line}");
            }
            text
        };
        output::write_stderr(&text);
        ExitCode::from(self.code as u8)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let mut failure = match &error {
            Error::Api(api) => api_failure(api),
            Error::Validation(validation) => validation_failure(validation),
            Error::InvalidRequest(message) => Failure::usage(format!("invalid input: {message}"))
                .with_code("invalid_request")
                .hint("nothing was sent; correct the value and run the command again"),
            Error::Config(config) => config_failure(config),
            // The message ends with the cause ("Connection refused", a TLS or DNS failure).
            Error::Transport {
                maybe_sent: false, ..
            } => Failure::unreachable(format!("cannot reach the API: {error}"))
                .with_code("connect_failed")
                .hint("check --base-url / CRYPTOPOCKET_BASE_URL and the network, then try again"),
            Error::Transport { .. } => {
                Failure::unreachable(format!("the connection to the API broke: {error}"))
                    .with_code("connection_broken")
                    .hint("check the network and the server, then try again")
            }
            Error::Timeout { .. } => Failure::unreachable(error.to_string())
                .with_code("timeout")
                .hint("the server is slow or unreachable; try again, or raise --timeout"),
            Error::UnexpectedStatus { status, .. } => Failure::unreachable(error.to_string())
                .with_code("unexpected_status")
                .hint(if *status == 404 {
                    "is the base URL right? It must end in /api"
                } else {
                    "the server (or a proxy in front of it) answered outside the API; try again later"
                }),
            Error::Redirect { location, .. } => Failure::unreachable(error.to_string())
                .with_code("redirect")
                .hint(match location {
                    Some(origin) => format!(
                        "the server (or a proxy) redirected to {origin}; the CLI never follows \
                         redirects: check --base-url / CRYPTOPOCKET_BASE_URL"
                    ),
                    None => "the server (or a proxy) answered with a redirect; the CLI never \
                             follows redirects: check --base-url / CRYPTOPOCKET_BASE_URL"
                        .to_owned(),
                }),
            Error::RetryAfterPastDeadline { retry_after, .. } => {
                Failure::unreachable(error.to_string())
                    .with_code("retry_after_past_deadline")
                    .hint(format!(
                    "the server is busy and asked to wait {} s, longer than the call may take; \
                     try again later, or raise --timeout",
                    retry_after.as_secs_f64().ceil()
                ))
            }
            Error::BodyTooLarge { limit, .. } => Failure::unreachable(error.to_string())
                .with_code("body_too_large")
                .hint(format!(
                    "the answer was longer than {limit} bytes, which no API answer is: is the \
                     base URL a CryptoPocket API?"
                )),
            Error::Decode { .. } => Failure::unreachable(error.to_string())
                .with_code("decode")
                .hint(
                    "the answer does not have the documented shape: is the base URL a CryptoPocket API?",
                ),
            Error::RepeatedPage { .. } => Failure::unreachable(error.to_string())
                .with_code("repeated_page")
                .hint("the server's pagination is broken; use --limit to read the first pages"),
            // `Error` is non-exhaustive: a variant added later is reported as it describes
            // itself, with the transport class, until it is mapped here.
            _ => Failure::unreachable(error.to_string()).with_code("error"),
        };
        failure.operation = error.operation();
        failure.api_code = error.api_code().map(|code| shortened(code.as_str(), 200));
        failure.may_have_reached_server = error.may_have_reached_server();
        if failure.may_have_reached_server {
            failure.warning = failure.operation.and_then(create_warning).map(Box::new);
        }
        failure
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
    failure.error_code = Cow::Owned(code.clone());
    if let Some(hint) = hint {
        failure = failure.hint(hint);
    }
    if let Some(url) = api.verification_url() {
        failure = failure.detail(format!("complete KYC at: {url}"));
    }
    if let Some(minimum) = api.minimum_amount()
        && !message.contains(&minimum.to_string())
    {
        failure = failure.detail(format!("minimum amount: {minimum}"));
    }
    failure.detail(format!(
        "(refused by {}, HTTP {})",
        api.operation, api.http_status
    ))
}

/// A configuration error, with the hint that fits it (not one hint for all).
fn config_failure(config: &ConfigError) -> Failure {
    let failure = Failure::usage(format!("configuration: {config}")).with_code("config");
    match config {
        ConfigError::MissingCredential { credential, .. } => {
            let variable = match credential {
                Credential::ApiKey => "CRYPTOPOCKET_API_KEY (or pass --api-key)",
                _ => "CRYPTOPOCKET_API_SECRET (or pass --api-secret)",
            };
            failure
                .with_code("missing_credentials")
                .hint(format!("set {variable}"))
        }
        ConfigError::BaseUrl { problem, .. } => {
            let hint = match problem {
                BaseUrlProblem::PlainHttp => {
                    "use https; for a sandbox on a private network (a container named `sandbox`), \
                     allow plain http to that one host with --allow-http-host HOST or \
                     CRYPTOPOCKET_ALLOW_HTTP_HOST=HOST"
                }
                BaseUrlProblem::Userinfo => {
                    "remove the user name and password from the URL; credentials come from \
                     CRYPTOPOCKET_API_KEY and CRYPTOPOCKET_API_SECRET"
                }
                BaseUrlProblem::NoTlsBackend => {
                    "this build has no TLS backend: rebuild the command line with the `rustls` \
                     feature, or use a plain-http local sandbox"
                }
                _ => {
                    "give the API base URL, ending in /api (https://…/api, or \
                     http://127.0.0.1:PORT/api for a local sandbox), with --base-url or \
                     CRYPTOPOCKET_BASE_URL"
                }
            };
            failure.with_code("invalid_base_url").hint(hint)
        }
        ConfigError::DurationOutOfRange { .. } => failure
            .with_code("invalid_value")
            .hint("give --timeout above zero and at most a day (24h)"),
        ConfigError::EnvVar { variable, .. } => failure
            .with_code("invalid_value")
            .hint(format!("correct or unset {variable}")),
        _ => failure
            .hint("check CRYPTOPOCKET_BASE_URL (or --base-url), --timeout and --allow-http-host"),
    }
}

fn validation_failure(validation: &ValidationError) -> Failure {
    let mut failure = Failure::refused(format!(
        "{} rejected the input: {}",
        validation.operation, validation.message
    ))
    .with_code("validation_failed")
    .hint("correct the fields named and run the command again");
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
pub fn shortened(text: &str, max: usize) -> String {
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
        let mut error = ApiError::new("createPayment", 200, code);
        if let Some(message) = message {
            error = error.with_message(message);
        }
        if let Some(data) = data {
            error = error.with_data(data);
        }
        Error::Api(error)
    }

    #[test]
    fn every_variant_has_its_code() {
        let cases: Vec<(Error, Code)> = vec![
            (api(ApiErrorCode::UserNotFound, None, None), Code::Refused),
            (
                Error::Validation(ValidationError::new(
                    "registerCompany",
                    "invalid",
                    [("email".to_owned(), vec!["taken".to_owned()])].into(),
                )),
                Code::Refused,
            ),
            (Error::InvalidRequest("x".into()), Code::Usage),
            (
                Error::Config(ConfigError::MissingCredential {
                    credential: Credential::ApiKey,
                    variable: None,
                }),
                Code::Usage,
            ),
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
                    requested: 2,
                },
                Code::Unreachable,
            ),
            (
                Error::Redirect {
                    operation: "getPayment",
                    status: 307,
                    location: Some("https://elsewhere.example:8443".into()),
                },
                Code::Unreachable,
            ),
            (
                Error::RetryAfterPastDeadline {
                    operation: "getPayment",
                    status: 503,
                    retry_after: Duration::from_secs(120),
                },
                Code::Unreachable,
            ),
            (
                Error::BodyTooLarge {
                    operation: "getPayment",
                    limit: 16,
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
    fn each_configuration_error_has_its_own_hint() {
        let plain_http = Failure::from(Error::Config(ConfigError::BaseUrl {
            url: "http://sandbox:8080/api".into(),
            problem: BaseUrlProblem::PlainHttp,
            variable: Some("CRYPTOPOCKET_BASE_URL"),
        }));
        let hint = plain_http.hint.clone().unwrap_or_default();
        assert!(hint.contains("--allow-http-host"), "{hint}");
        assert!(!hint.contains("CRYPTOPOCKET_API_KEY"), "{hint}");
        assert_eq!(plain_http.error_code, "invalid_base_url");
        let missing = Failure::from(Error::Config(ConfigError::MissingCredential {
            credential: Credential::ApiSecret,
            variable: None,
        }));
        assert!(
            missing
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("CRYPTOPOCKET_API_SECRET"))
        );
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
        let failure = Failure::from(Error::Validation(ValidationError::new(
            "registerCompany",
            "The given data was invalid.",
            [
                ("email".to_owned(), vec!["is taken".to_owned()]),
                (
                    "company_name".to_owned(),
                    vec!["a".to_owned(), "b".to_owned()],
                ),
            ]
            .into(),
        )));
        assert_eq!(failure.details.len(), 3);
        assert!(failure.details.contains(&"email: is taken".to_owned()));
    }

    #[test]
    fn a_create_that_may_have_been_sent_says_to_look_first() {
        let advice = |error: Error| Failure::from(error).warning.as_ref().map(|w| w.advice());
        for maybe_sent in [
            Error::Timeout {
                operation: "createPayment",
                elapsed: Duration::from_secs(30),
            },
            Error::UnexpectedStatus {
                operation: "registerUser",
                status: 500,
                excerpt: String::new(),
                retry_after: None,
            },
            Error::Redirect {
                operation: "createRampoff",
                status: 302,
                location: None,
            },
            Error::BodyTooLarge {
                operation: "uploadCustomerDocument",
                limit: 1,
            },
            Error::Decode {
                operation: "createGuidedPayment",
                path: "data".into(),
                reason: "no data".into(),
                excerpt: String::new(),
            },
            api(ApiErrorCode::UnexpectedError, None, None),
        ] {
            let shown = maybe_sent.to_string();
            let advice = advice(maybe_sent).unwrap_or_default();
            assert!(advice.contains("may have reached the server"), "{shown}");
        }
        for never_sent_or_refused in [
            Error::Transport {
                operation: "createPayment",
                message: "connection refused".into(),
                maybe_sent: false,
            },
            api(
                ApiErrorCode::MinPurchase,
                Some("The minimum purchase is 20 EUR"),
                None,
            ),
            Error::InvalidRequest("amount".into()),
            // A read that may have reached the server creates nothing.
            Error::Timeout {
                operation: "getPayment",
                elapsed: Duration::from_secs(30),
            },
        ] {
            let shown = never_sent_or_refused.to_string();
            assert_eq!(advice(never_sent_or_refused), None, "{shown}");
        }
    }

    #[test]
    fn the_payment_look_up_uses_the_external_id_given() {
        let failure = Failure::from(Error::Timeout {
            operation: "createPayment",
            elapsed: Duration::from_secs(30),
        });
        let with = failure.look_up_with(Lookup::payment(Some("order 17's")));
        let warning = with.warning.as_ref().map(|w| w.command());
        assert_eq!(
            warning,
            Some(Some(
                r"cryptopocket payments find --external-id 'order 17'\''s'"
            ))
        );
        assert!(with.lines()[0].contains("before creating it again"));
        let without = Lookup::payment(None);
        assert!(matches!(&without, Lookup::Manual(m) if m.contains("you gave no --external-id")));
        // A failure that does not warn is left alone.
        let refused = Failure::from(api(ApiErrorCode::UserNotFound, None, None))
            .look_up_with(Lookup::payment(Some("x")));
        assert!(refused.warning.is_none());
        assert!(refused.to_json().contains(r#""advice":null"#));
    }

    #[test]
    fn every_create_in_the_spec_and_only_those_warn() {
        let spec = include_str!("../../../openapi/cryptopocket.yaml");
        let operations: Vec<&str> = spec
            .lines()
            .filter_map(|line| line.trim().strip_prefix("operationId: "))
            .collect();
        assert!(operations.len() > 20, "{operations:?}");
        for name in CREATES {
            assert!(operations.contains(&name), "{name} is not in the spec");
        }
        for name in operations {
            assert_eq!(
                create_warning(name).is_some(),
                CREATES.contains(&name),
                "{name}"
            );
        }
    }
}

//! The one error type of the crate.
//!
//! Every failure a caller can act on differently is its own variant: the API's own refusal
//! (most arrive as HTTP 200 envelopes), a Laravel validation body, bad input caught before
//! sending, transport and timeouts, an HTTP status the API does not document (a proxy's 502
//! page), and a body that does not decode. No variant holds a secret or a whole body.

use std::{collections::BTreeMap, fmt, time::Duration};

use rust_decimal::Decimal;

use crate::model::ApiErrorCode;

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API refused the call with an error code.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The API refused the input with per-field messages (HTTP 422, Laravel style).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The input breaks a rule the docs state; nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client is misconfigured (builder, environment variables or per-call options);
    /// nothing was sent. [`ConfigError`] says what, naming the setting or variable.
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    /// The connection failed or broke.
    #[error(
        "transport error in {operation}: {message}{}",
        if *maybe_sent { " (the request may have reached the server)" } else { "" }
    )]
    Transport {
        /// The spec's operationId.
        operation: &'static str,
        /// What reqwest reported.
        message: String,
        /// Whether the server may have received the request. `false` only when the
        /// connection was never established.
        maybe_sent: bool,
    },
    /// An attempt, or the call as a whole, ran out of time.
    #[error("{operation} timed out after {elapsed:?}")]
    Timeout {
        /// The spec's operationId.
        operation: &'static str,
        /// Time spent before giving up.
        elapsed: Duration,
    },
    /// The server answered with an HTTP status the API does not use for this call.
    #[error("unexpected HTTP {status} from {operation}: {excerpt}")]
    UnexpectedStatus {
        /// The spec's operationId.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The start of the body, string values masked.
        excerpt: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The server answered with a redirect. Redirects are never followed: a create sent on
    /// to another address could move money twice, and the token and secret must not reach
    /// a server the client was not configured for.
    #[error(
        "{operation} was answered with a redirect (HTTP {status}){}; redirects are never followed",
        match location { Some(origin) => format!(" to {origin}"), None => String::new() }
    )]
    Redirect {
        /// The spec's operationId.
        operation: &'static str,
        /// The HTTP status (301, 302, 303, 307, 308, …).
        status: u16,
        /// The origin (`scheme://host:port`) the server pointed to, when it named a valid
        /// one; never its path, query or userinfo.
        location: Option<String>,
    },
    /// The server asked to be tried again later (`Retry-After`), but not before the call's
    /// deadline; the call gave up at once instead of sleeping past it.
    #[error(
        "{operation} answered HTTP {status} and asked to retry after {retry_after:?}, past the \
         call's deadline"
    )]
    RetryAfterPastDeadline {
        /// The spec's operationId.
        operation: &'static str,
        /// The HTTP status (429, 503, …).
        status: u16,
        /// How long the server asked to wait.
        retry_after: Duration,
    },
    /// A response body was longer than the client's cap
    /// ([`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)); reading
    /// stopped there.
    #[error("the {operation} response is longer than the {limit}-byte cap")]
    BodyTooLarge {
        /// The spec's operationId.
        operation: &'static str,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The body did not have the documented shape.
    #[error(
        "cannot decode the {operation} response at `{path}`: {reason}{}",
        if excerpt.is_empty() { String::new() } else { format!(" (body: {excerpt})") }
    )]
    Decode {
        /// The spec's operationId.
        operation: &'static str,
        /// JSON path of the first problem, e.g. `data.fiat_amount`.
        path: String,
        /// What serde reported.
        reason: String,
        /// The start of the body, string values masked.
        excerpt: String,
    },
    /// A paginated list served the same page again, or another page than the one asked
    /// for; the stream stops instead of looping or skipping.
    #[error(
        "{operation} served page {page} {}; stopping instead of looping",
        served_instead(*.page, *.requested)
    )]
    RepeatedPage {
        /// The spec's operationId.
        operation: &'static str,
        /// The page number the answer carried: one served before, or not the one asked for.
        page: i64,
        /// The page number that was asked for.
        requested: i64,
    },
}

/// How [`Error::RepeatedPage`] describes the page served: again, or in place of the one
/// asked for (a server echoing the wrong number is not a repeat, and saying so would send
/// the reader looking for a loop).
fn served_instead(page: i64, requested: i64) -> String {
    if page == requested {
        "again".to_owned()
    } else {
        format!("when page {requested} was asked for")
    }
}

impl Error {
    /// Whether trying the same call again later may succeed: transport failures, timeouts
    /// and HTTP 429/502/503/504.
    ///
    /// For a call that creates something (a payment, an off-ramp, a customer) a retryable
    /// error whose request [may have reached the server](Self::may_have_reached_server) may
    /// mean the creation happened: look it up (by your `external_id`) before creating again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::UnexpectedStatus { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Error::RetryAfterPastDeadline { .. } => true,
            _ => false,
        }
    }

    /// The spec's operationId of the call that failed, when the error comes from a call.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Api(e) => Some(e.operation),
            Error::Validation(e) => Some(e.operation),
            Error::Transport { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::UnexpectedStatus { operation, .. }
            | Error::Redirect { operation, .. }
            | Error::RetryAfterPastDeadline { operation, .. }
            | Error::BodyTooLarge { operation, .. }
            | Error::Decode { operation, .. }
            | Error::RepeatedPage { operation, .. } => Some(operation),
            Error::InvalidRequest(_) | Error::Config(_) => None,
        }
    }

    /// Whether the server may have received and acted on the request.
    ///
    /// `false` only when it certainly did not: the request never left (bad input, bad
    /// configuration, a connection that was never established), or the API refused it
    /// with a documented business code or per-field messages. Everything else is `true`:
    /// a timeout, a broken connection, any HTTP status outside the API (a proxy's 502, a
    /// redirect), an oversized or undecodable answer, a server exception
    /// (`unexpected_error`, `error_payment_creation`, a free-text code). After a failed
    /// create for which this is `true`, look the object up before creating it again: a
    /// payment by the `external_id` you gave it with
    /// [`OnRamp::find_by_external_id`](crate::onramp::OnRamp::find_by_external_id), an
    /// off-ramp with
    /// [`OffRamp::find_by_external_id`](crate::offramp::OffRamp::find_by_external_id) (both
    /// walk the list: the API has no look-up by reference, so they are inferred).
    ///
    /// ```no_run
    /// # async fn run(client: cryptopocket::Client, order: cryptopocket::onramp::NewPayment) -> Result<(), cryptopocket::Error> {
    /// // `order` was built with `.external_id("order-001")`.
    /// match client.onramp().create(&order).await {
    ///     Ok(created) => println!("created {}", created.payment_id),
    ///     Err(e) if e.may_have_reached_server() => {
    ///         match client.onramp().find_by_external_id("order-001").await? {
    ///             Some(payment) => println!("it was created after all: {}", payment.id),
    ///             None => println!("not created (yet): safe to try again later"),
    ///         }
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Error::Transport { maybe_sent, .. } => *maybe_sent,
            Error::InvalidRequest(_) | Error::Config(_) | Error::Validation(_) => false,
            Error::Api(api) => matches!(
                api.code,
                ApiErrorCode::UnexpectedError
                    | ApiErrorCode::ErrorPaymentCreation
                    | ApiErrorCode::Other(_)
            ),
            _ => true,
        }
    }

    /// The API's error code, when the API refused the call.
    pub fn api_code(&self) -> Option<&ApiErrorCode> {
        match self {
            Error::Api(e) => Some(&e.code),
            _ => None,
        }
    }
}

/// What is wrong with a client's configuration: [`Error::Config`].
///
/// Each variant names the setting (a builder method, or an environment variable read by
/// [`Client::from_env`](crate::Client::from_env)) so that a program can say how to fix it.
/// None holds a secret: the API secret never appears, and a URL is shown without its user
/// name and password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The API key or the API secret was not given (or is blank).
    #[error(
        "no {credential}: {}",
        match variable {
            Some(variable) => format!("set {variable}"),
            None => "call .credentials(key, secret)".to_owned(),
        }
    )]
    MissingCredential {
        /// Which one is missing.
        credential: Credential,
        /// The environment variable it was looked for in, for [`Client::from_env`](crate::Client::from_env).
        variable: Option<&'static str>,
    },
    /// The base URL cannot be used.
    #[error(
        "base URL `{url}`{} {problem}",
        match variable {
            Some(variable) => format!(" (from {variable})"),
            None => String::new(),
        }
    )]
    BaseUrl {
        /// The URL as given, with any user name and password removed.
        url: String,
        /// What is wrong with it.
        problem: BaseUrlProblem,
        /// The environment variable it came from, for [`Client::from_env`](crate::Client::from_env).
        variable: Option<&'static str>,
    },
    /// A duration is zero or longer than the longest accepted.
    #[error(
        "{setting} of {value:?} is out of range: {}",
        if value.is_zero() {
            "it must be longer than zero".to_owned()
        } else {
            format!("it is longer than the longest accepted, {max:?}")
        }
    )]
    DurationOutOfRange {
        /// The builder method or per-call option, e.g. `deadline` or `with_timeout`.
        setting: &'static str,
        /// The value given.
        value: Duration,
        /// The longest accepted ([`MAX_TIMEOUT`](crate::MAX_TIMEOUT)).
        max: Duration,
    },
    /// Another setting has a value that cannot be used.
    #[error("{setting}: {reason}")]
    InvalidValue {
        /// The builder method or per-call option, e.g. `max_body_bytes` or `retry_policy`.
        setting: &'static str,
        /// What is wrong, and what is accepted.
        reason: String,
    },
    /// An environment variable read by [`Client::from_env`](crate::Client::from_env) has a
    /// value that cannot be used.
    #[error("{variable}: {reason}")]
    EnvVar {
        /// The variable, e.g. `CRYPTOPOCKET_TIMEOUT`.
        variable: &'static str,
        /// What is wrong, and what is accepted.
        reason: String,
    },
    /// The HTTP client could not be built (for example a TLS setting of your own
    /// `reqwest::ClientBuilder`).
    #[error("cannot build the HTTP client: {message}")]
    HttpClient {
        /// What reqwest reported.
        message: String,
    },
}

/// Which credential [`ConfigError::MissingCredential`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// The API key.
    ApiKey,
    /// The API secret.
    ApiSecret,
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credential::ApiKey => "API key",
            Credential::ApiSecret => "API secret",
        })
    }
}

/// Why a base URL is refused ([`ConfigError::BaseUrl`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseUrlProblem {
    /// It is not an absolute URL; the parser's reason.
    #[error("is not a valid URL: {0}")]
    NotAUrl(String),
    /// It carries a user name or password.
    #[error(
        "carries a user name or password; give credentials with .credentials(key, secret) \
         instead"
    )]
    Userinfo,
    /// It is plain `http` to a host that is neither loopback nor the one allowed with
    /// [`ClientBuilder::allow_plain_http_to`](crate::ClientBuilder::allow_plain_http_to).
    #[error(
        "is plain http: the token and secret would cross the network unencrypted; use https \
         (plain http is allowed for loopback addresses, and for one host named with \
         .allow_plain_http_to(host) or CRYPTOPOCKET_ALLOW_HTTP_HOST)"
    )]
    PlainHttp,
    /// Its scheme is neither `https` nor `http`.
    #[error("has scheme `{0}`; use https")]
    UnsupportedScheme(String),
    /// It is `https` but this build has no TLS backend.
    #[error(
        "is https but this build has no TLS backend; enable the `rustls` (default), \
         `rustls-ring` or `native-tls` feature of cryptopocket"
    )]
    NoTlsBackend,
    /// It has a query or a fragment.
    #[error("must not have a query or fragment")]
    QueryOrFragment,
}

/// The API's refusal: an error envelope (`{"status": "error", "error": "<code>"}`, mostly
/// at HTTP 200) or a documented 4xx body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The spec's operationId.
    pub operation: &'static str,
    /// The HTTP status (200 for most business errors).
    pub http_status: u16,
    /// The code; unknown codes and free-text exceptions are [`ApiErrorCode::Other`].
    pub code: ApiErrorCode,
    /// The envelope's `message`, shortened to 300 characters.
    pub message: Option<String>,
    /// The envelope's `data`, when it carries something (for `require_kyc`, the
    /// verification URL).
    pub data: Option<serde_json::Value>,
}

impl ApiError {
    /// The refusal `code` of `operation` at HTTP `http_status`, without message or data:
    /// for tests of code that handles refusals (the crate builds its own from responses).
    ///
    /// ```
    /// use cryptopocket::{ApiError, ApiErrorCode};
    ///
    /// let refusal = ApiError::new("createPayment", 200, ApiErrorCode::RequireKyc)
    ///     .with_data(serde_json::json!("https://kyc.example/abc"));
    /// assert_eq!(refusal.verification_url(), Some("https://kyc.example/abc"));
    /// ```
    pub fn new(operation: &'static str, http_status: u16, code: ApiErrorCode) -> Self {
        Self {
            operation,
            http_status,
            code,
            message: None,
            data: None,
        }
    }

    /// The same refusal with the envelope's `message`.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// The same refusal with the envelope's `data`.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    /// For `require_kyc`: where to send the customer to complete KYC. The docs say `data`
    /// holds the URL; both a bare string and an object with a `url`-like field are read.
    pub fn verification_url(&self) -> Option<&str> {
        match self.data.as_ref()? {
            serde_json::Value::String(url) => Some(url),
            serde_json::Value::Object(map) => ["url", "verification_url", "kyc_form_url"]
                .iter()
                .find_map(|key| map.get(*key)?.as_str()),
            _ => None,
        }
    }

    /// For `min_purchase`: the minimum amount, when the message states one (the docs say it
    /// does; its wording is undocumented, so the first number in it is taken).
    pub fn minimum_amount(&self) -> Option<Decimal> {
        if self.code != ApiErrorCode::MinPurchase {
            return None;
        }
        first_number(self.message.as_deref()?)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} refused: {}", self.operation, self.code)?;
        if let Some(message) = &self.message
            && message != self.code.as_str()
        {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A Laravel validation body (`{"message": …, "errors": {"field": ["…"]}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The spec's operationId.
    pub operation: &'static str,
    /// The summary message.
    pub message: String,
    /// The messages for each field, by field name.
    pub fields: BTreeMap<String, Vec<String>>,
}

impl ValidationError {
    /// A validation failure of `operation` with its summary `message` and the messages of
    /// each field: for tests of code that handles refusals.
    pub fn new(
        operation: &'static str,
        message: impl Into<String>,
        fields: BTreeMap<String, Vec<String>>,
    ) -> Self {
        Self {
            operation,
            message: message.into(),
            fields,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rejected the input: {}", self.operation, self.message)?;
        for (field, messages) in &self.fields {
            write!(f, "; {field}: {}", messages.join(" "))?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

fn first_number(text: &str) -> Option<Decimal> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let number: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    // "10,50" and "1,000.00" both occur in human messages: a lone comma is the decimal mark.
    let number = if number.contains('.') {
        number.replace(',', "")
    } else {
        number.replace(',', ".")
    };
    number.trim_end_matches('.').parse().ok()
}

/// serde's message for `error`, without any value copied from the body.
///
/// serde quotes the offending value in messages such as
/// ``invalid type: string "4111 1111…", expected i64`` or ``unknown variant `x`, expected …``,
/// and bodies hold tokens and personal data. The part that describes the received value is
/// cut at its first quote (`"`, `'` or `` ` ``); the part after the last `, expected ` comes
/// from our types, not the body, and is kept. `missing field` and `duplicate field` messages
/// only ever name fields of our own types, so they are kept whole.
pub(crate) fn serde_reason(error: &serde_json::Error) -> String {
    let full = error.to_string();
    // serde_json appends the position; strip it so the rest can be examined, then re-add it.
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(position.as_str()).unwrap_or(&full);

    let mut reason =
        if message.starts_with("missing field `") || message.starts_with("duplicate field `") {
            message.to_owned()
        } else {
            let (received, expected) = match message.rfind(", expected ") {
                Some(at) => message.split_at(at),
                None => (message, ""),
            };
            let received = match received.find(['"', '\'', '`']) {
                Some(quote) => received[..quote].trim_end(),
                None => received,
            };
            format!("{received}{expected}")
        };
    if error.line() != 0 {
        reason.push_str(&position);
    }
    reason
}

/// `text` cut to `max` characters (on a character boundary), with `…` when cut.
pub(crate) fn shortened(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// The longest excerpt of a body an error shows.
const EXCERPT_CHARS: usize = 120;

/// How much of a body an excerpt looks at: enough to find JSON after a long notice.
const EXCERPT_SCAN_BYTES: usize = 64 * 1024;

/// The start of a body for an error message: at most 120 characters, control characters
/// escaped, and in JSON every string value masked as `"…"` (keys kept), because bodies carry
/// tokens, passwords and personal data.
///
/// The JSON is found wherever it starts: after a byte-order mark, or after junk such as a
/// PHP notice or a proxy's banner. Outside JSON, a run of 20 or more token-like characters
/// that mixes letters and digits (a token, a key, a signature) is masked as `…` too. The
/// client's own secrets are replaced by value later, when the error leaves the call.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_SCAN_BYTES)]);
    let text = text.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
    let masked = match json_start(text) {
        Some(at) => {
            let (junk, json) = text.split_at(at);
            mask_token_runs(&format!("{junk}{}", mask_json_strings(json)))
        }
        None => mask_token_runs(text),
    };
    let mut out = escape_controls(masked.chars().take(EXCERPT_CHARS));
    if masked.chars().count() > EXCERPT_CHARS || body.len() > EXCERPT_SCAN_BYTES {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("<empty>");
    }
    out
}

/// `chars` with every control character escaped (`\n`, `\u{1}`), so that a body cannot
/// move the cursor or forge log lines. The redaction pass looks for secrets in this form too.
pub(crate) fn escape_controls(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    for c in chars {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Where the first JSON object or array in `text` starts: a `{` followed by a key or `}`,
/// or a `[` followed by a value that opens like JSON (so that `[notice]` is not taken).
fn json_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find(|&at| {
        let next = bytes[at + 1..]
            .iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace());
        matches!(
            (bytes[at], next),
            (b'{', Some(b'"' | b'}'))
                | (b'[', Some(b'{' | b'[' | b'"' | b']' | b'-' | b'0'..=b'9'))
        )
    })
}

/// The shortest run of token-like characters masked outside JSON strings.
const TOKEN_RUN_CHARS: usize = 20;

/// `text` with each run of at least [`TOKEN_RUN_CHARS`] characters from `[A-Za-z0-9_+/=-]`
/// that holds both a letter and a digit replaced by `…`.
fn mask_token_runs(text: &str) -> String {
    let is_token_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '=');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let long = run.len() >= TOKEN_RUN_CHARS;
        let mixed =
            run.chars().any(|c| c.is_ascii_digit()) && run.chars().any(|c| c.is_ascii_alphabetic());
        if long && mixed {
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Replaces the contents of every JSON string that is a value (not an object key).
fn mask_json_strings(json: &str) -> String {
    #[derive(PartialEq)]
    enum Container {
        Object,
        Array,
    }
    let mut out = String::with_capacity(json.len());
    let mut stack = Vec::new();
    // In an object, a string is a key when it comes after `{` or `,`.
    let mut expecting_key = false;
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let is_key = expecting_key && stack.last() == Some(&Container::Object);
                let mut content = String::new();
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                    content.push(c);
                }
                if is_key {
                    out.push('"');
                    out.push_str(&content);
                    out.push('"');
                } else {
                    out.push_str("\"…\"");
                }
                expecting_key = false;
            }
            '{' => {
                stack.push(Container::Object);
                expecting_key = true;
                out.push(c);
            }
            '[' => {
                stack.push(Container::Array);
                expecting_key = false;
                out.push(c);
            }
            '}' | ']' => {
                stack.pop();
                out.push(c);
            }
            ',' => {
                expecting_key = stack.last() == Some(&Container::Object);
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn excerpts_mask_string_values_but_keep_keys_and_numbers() {
        let body = br#"{"status":"ok","data":{"id":1234,"kyb_link":"https://b2b.example.com/kyb/x","password":"xK9mP2nQ4rTv","tags":["a","b"]}}"#;
        let shown = excerpt(body);
        assert!(!shown.contains("xK9mP2nQ4rTv"), "{shown}");
        assert!(!shown.contains("b2b.example.com"), "{shown}");
        assert!(shown.starts_with(r#"{"status":"…","data":{"id":1234,"kyb_link":"…","password":"…","tags":["…","…"]}}"#), "{shown}");
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        let html = format!("<html>\n<body>{}</body>", "x".repeat(500));
        let shown = excerpt(html.as_bytes());
        assert!(shown.starts_with("<html>\\n<body>xxx"), "{shown}");
        assert!(shown.chars().count() <= EXCERPT_CHARS + 10);
        assert_eq!(excerpt(b""), "<empty>");
        assert_eq!(excerpt(&[0xff, 0xfe]), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn json_after_a_bom_or_junk_is_still_masked() {
        let json = r#"{"status":"ok","data":{"token":"tok1","email":"ann@example.com"}}"#;
        for body in [
            format!("\u{feff}{json}"),
            format!(
                "<br />\n<b>Notice</b>: Undefined index \"x\" in [file] on line 3<br />\n{json}"
            ),
            format!("  \r\n{json}"),
        ] {
            let shown = excerpt(body.as_bytes());
            assert!(
                !shown.contains("tok1") && !shown.contains("ann@"),
                "{shown}"
            );
            assert!(shown.contains(r#""token":"…""#), "{shown}");
        }
    }

    #[test]
    fn token_like_runs_outside_json_are_masked() {
        let shown = excerpt(b"502 Bad Gateway\nauth: 12|aB3dE5fG7hI9jK1lM3nO5pQ7\nUser-Agent: cryptopocket-rust/0.1.0");
        assert!(!shown.contains("aB3dE5"), "{shown}");
        assert!(
            shown.contains("502 Bad Gateway") && shown.contains("cryptopocket-rust"),
            "{shown}"
        );
    }

    #[test]
    fn escaped_quotes_do_not_unmask_the_rest() {
        let shown = excerpt(br#"{"token":"a\"b","secret":"s3cr3t"}"#);
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("a\\"),
            "{shown}"
        );
    }

    #[test]
    fn the_minimum_is_read_from_min_purchase_messages() {
        let error = |code: ApiErrorCode, message: &str| ApiError {
            operation: "createPayment",
            http_status: 200,
            code,
            message: Some(message.into()),
            data: None,
        };
        let min = |m: &str| error(ApiErrorCode::MinPurchase, m).minimum_amount();
        assert_eq!(
            min("The minimum purchase is 20 EUR"),
            Some(Decimal::new(20, 0))
        );
        assert_eq!(min("Minimum amount: 10,50€"), Some(Decimal::new(1050, 2)));
        assert_eq!(min("min 1,000.00 EUR"), Some(Decimal::new(100000, 2)));
        assert_eq!(min("min_purchase"), None);
        assert_eq!(error(ApiErrorCode::UserBanned, "20").minimum_amount(), None);
    }

    #[test]
    fn the_kyc_url_is_read_from_a_string_or_an_object() {
        let mut e = ApiError {
            operation: "createGuidedPayment",
            http_status: 200,
            code: ApiErrorCode::RequireKyc,
            message: None,
            data: Some(serde_json::json!("https://kyc.example/abc")),
        };
        assert_eq!(e.verification_url(), Some("https://kyc.example/abc"));
        e.data = Some(serde_json::json!({"url": "https://kyc.example/def"}));
        assert_eq!(e.verification_url(), Some("https://kyc.example/def"));
        e.data = Some(serde_json::json!(42));
        assert_eq!(e.verification_url(), None);
    }

    #[test]
    fn only_transient_failures_are_retryable() {
        let status = |status| Error::UnexpectedStatus {
            operation: "getPayment",
            status,
            excerpt: String::new(),
            retry_after: None,
        };
        assert!(status(503).is_retryable() && status(429).is_retryable());
        assert!(!status(500).is_retryable() && !status(404).is_retryable());
        let never_sent = Error::Transport {
            operation: "createPayment",
            message: "connection refused".into(),
            maybe_sent: false,
        };
        assert!(never_sent.is_retryable() && !never_sent.may_have_reached_server());
        assert!(!Error::InvalidRequest("x".into()).is_retryable());
    }

    /// A JSON value as a server might send it: strings with any characters (quotes,
    /// backslashes, control characters, emoji), numbers, and a little nesting.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        prop_oneof![
            any::<String>().prop_map(Value::String),
            any::<i32>().prop_map(Value::from),
            proptest::collection::vec(any::<String>().prop_map(Value::String), 0..3)
                .prop_map(Value::Array),
            any::<String>().prop_map(|s| serde_json::json!({ "k": s })),
        ]
    }

    proptest! {
        // A secret after any mix of strings is still masked: no escape, quote or character
        // in an earlier value can put the masking out of step.
        #[test]
        fn no_string_value_escapes_the_mask(
            entries in proptest::collection::btree_map("[a-y]{1,3}", json_value(), 0..4),
            secret in "S[A-Za-z0-9]{8,16}",
        ) {
            let mut body: serde_json::Map<String, serde_json::Value> = entries.into_iter().collect();
            body.insert("zz".into(), serde_json::Value::String(secret.clone()));
            let shown = excerpt(serde_json::to_string(&body).unwrap().as_bytes());
            prop_assert!(!shown.contains(&secret), "{}", shown);
            // The secret's place was reached, not cut off.
            prop_assert!(shown.contains(r#""zz":"…""#), "{}", shown);
        }

        // Any bytes at all: an answer, short, with every control character escaped.
        #[test]
        fn any_body_gives_a_short_printable_excerpt(body: Vec<u8>) {
            let shown = excerpt(&body);
            prop_assert!(!shown.is_empty());
            prop_assert!(!shown.chars().any(char::is_control), "{:?}", shown);
            // Each of the 120 characters kept escapes to at most `\u{10ffff}`.
            prop_assert!(shown.chars().count() <= EXCERPT_CHARS * 10 + 1);
        }
    }
}

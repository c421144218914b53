//! [`RemoteControl`]: the `/sandbox/*` control routes of a sandbox running elsewhere
//! (another process, a container), driven over HTTP with what [`Control`](crate::Control)
//! does in process. The command line's `cryptopocket sandbox advance | pay | …` go through
//! it, so the requests, the envelope reading and the failure classes live here once.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cryptopocket_api::PathSegment;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::webhooks::Delivery;

/// A client for the control routes of a sandbox at a base URL.
///
/// Each method sends one request to a `/sandbox/*` route and mirrors the
/// [`Control`](crate::Control) method of the same name; where the route answers a record,
/// the result is typed. Redirects are never followed, every request has a timeout
/// ([`RemoteControl::DEFAULT_TIMEOUT`] unless [`RemoteControl::with_timeout`] says
/// otherwise), and an answer is read up to [`RemoteControl::MAX_ANSWER_BYTES`], no further.
/// The control routes take no credentials. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cryptopocket_sandbox::RemoteControl;
///
/// // The CRYPTOPOCKET_BASE_URL that `cryptopocket sandbox serve` (or the docker image) prints.
/// let remote = RemoteControl::new("http://127.0.0.1:8080/api")?;
/// let now = remote.advance(Duration::from_secs(60)).await?; // KYC decided, payments move on
/// remote.fail_next("createPayment", "unexpected_error").await?;
/// for delivery in remote.deliveries().await? {
///     println!("{} {} {:?}", delivery.id, delivery.event_type, delivery.outcome);
/// }
/// # let _ = now; Ok(()) }
/// ```
///
/// Against a sandbox started in this process (as a test would reach one in a container):
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cryptopocket_sandbox::{RemoteControl, RemoteError, Sandbox};
///
/// let sandbox = Sandbox::start().await?;
/// let remote = RemoteControl::new(sandbox.base_url())?;
/// let before = sandbox.control().now();
/// let now = remote.advance(Duration::from_secs(90)).await?;
/// assert_eq!(sandbox.control().now() - before, chrono::TimeDelta::seconds(90));
/// assert_eq!(now.timestamp_micros(), sandbox.control().now().timestamp_micros());
/// // The sandbox's refusals come back with its code and HTTP status.
/// let refused = remote.pay("no-such-payment", "card").await;
/// assert!(matches!(refused, Err(RemoteError::Refused { status: 404, .. })));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemoteControl {
    /// The base URL without its `/api` and trailing `/`: the control routes hang off it.
    origin: String,
    http: reqwest::Client,
    timeout: Duration,
}

impl std::fmt::Debug for RemoteControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteControl")
            .field("origin", &self.origin)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why a [`RemoteControl`] call did not do what it asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// A value the call cannot send (a base URL that is not http or https, an advance
    /// that is not whole seconds, an empty id); nothing was sent.
    #[error("{0}")]
    InvalidInput(String),
    /// No answer: the connection failed or broke.
    #[error("cannot reach the sandbox at {origin}: {reason}")]
    Unreachable {
        /// Where the sandbox was looked for.
        origin: String,
        /// What the transport said, cause by cause.
        reason: String,
    },
    /// No whole answer within the timeout ([`RemoteControl::with_timeout`]).
    #[error(
        "cannot reach the sandbox at {origin}: no answer within {} ms",
        after.as_millis()
    )]
    TimedOut {
        /// Where the sandbox was looked for.
        origin: String,
        /// The timeout that ran out.
        after: Duration,
    },
    /// The server answered, but not as a sandbox does: a body that is not the API's JSON
    /// envelope (a redirect, an HTML page), or `not_found` / `wrong_http_method`, what a
    /// server without the control routes answers.
    #[error("{origin} did not answer as a CryptoPocket sandbox (HTTP {status})")]
    NotASandbox {
        /// Where the sandbox was looked for.
        origin: String,
        /// The HTTP status it answered.
        status: u16,
    },
    /// The sandbox refused: an unknown id (`sandbox_control`, HTTP 404), a wrong state
    /// (`sandbox_control`, HTTP 409), a bad value (`invalid_parameter`, HTTP 422).
    #[error("{code}: {message} (refused by the sandbox, HTTP {status})")]
    Refused {
        /// The envelope's `error` code.
        code: String,
        /// The envelope's `message` (control characters escaped, at most 2000 characters).
        message: String,
        /// The HTTP status.
        status: u16,
    },
    /// The answer is longer than [`RemoteControl::MAX_ANSWER_BYTES`]; reading stopped there.
    #[error("the answer from {origin} is longer than {limit} bytes")]
    TooLarge {
        /// Where the sandbox was looked for.
        origin: String,
        /// The limit passed.
        limit: usize,
    },
    /// A success envelope whose `data` is not the shape this route answers (a sandbox of
    /// another version, or not a sandbox).
    #[error("the sandbox at {origin} answered a shape this client does not read: {reason}")]
    UnexpectedAnswer {
        /// Where the sandbox was looked for.
        origin: String,
        /// What did not fit.
        reason: String,
    },
}

/// A redelivery queued by [`RemoteControl::redeliver`] and its siblings: `GET
/// /sandbox/deliveries` (or [`RemoteControl::deliveries`]) shows how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Redelivery {
    /// The new delivery's id.
    pub id: String,
    /// The delivery it repeats.
    pub duplicate_of: Option<String>,
    /// The event type.
    pub event_type: String,
    /// Where it goes.
    pub url: String,
}

/// What the webhook drills are set to, as the drill routes answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DrillSettings {
    /// Whether every event is delivered twice ([`RemoteControl::set_deliver_twice`]).
    pub deliver_twice: bool,
    /// The extra subscriber URLs, in the order they were added.
    pub webhook_urls: Vec<String>,
}

impl RemoteControl {
    /// The timeout of each request unless [`RemoteControl::with_timeout`] sets another.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// The longest answer read (the deliveries, with their bodies, are the longest a
    /// sandbox sends); a longer one is [`RemoteError::TooLarge`].
    pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

    /// A client for the sandbox at `base_url`: the API base URL a client uses
    /// (`http://127.0.0.1:8080/api`, as `cryptopocket sandbox serve` prints it) or the bare
    /// origin (`http://127.0.0.1:8080`). Sends nothing; a URL that is not http or https
    /// with a host is [`RemoteError::InvalidInput`].
    pub fn new(base_url: impl AsRef<str>) -> Result<Self, RemoteError> {
        let trimmed = base_url.as_ref().trim().trim_end_matches('/');
        let origin = trimmed.strip_suffix("/api").unwrap_or(trimmed);
        match reqwest::Url::parse(origin) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.host().is_some()
                    && url.query().is_none()
                    && url.fragment().is_none() => {}
            _ => {
                return Err(RemoteError::InvalidInput(format!(
                    "the sandbox's base URL must be an http or https URL such as \
                     http://127.0.0.1:8080/api, not {:?}",
                    clean(origin, 200)
                )));
            }
        }
        let http = reqwest::Client::builder()
            // A redirect is not a sandbox's answer, and following it would send the action
            // wherever the server points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RemoteError::Unreachable {
                origin: origin.to_owned(),
                reason: format!("no HTTP client could be built: {}", causes(&e)),
            })?;
        Ok(Self {
            origin: origin.to_owned(),
            http,
            timeout: Self::DEFAULT_TIMEOUT,
        })
    }

    /// The same client with each request limited to `timeout`, answer included.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Where the control routes are: the base URL without `/api`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The whole seconds `by` is, which [`RemoteControl::advance`] sends, or the
    /// [`RemoteError::InvalidInput`] it would refuse `by` with (the sandbox's clock moves in
    /// whole seconds). For a front end that checks its input before it knows where the
    /// sandbox is.
    pub fn whole_seconds(by: Duration) -> Result<u64, RemoteError> {
        if by.subsec_nanos() == 0 {
            return Ok(by.as_secs());
        }
        let text = format!("{}.{:09}", by.as_secs(), by.subsec_nanos());
        Err(RemoteError::InvalidInput(format!(
            "the sandbox's clock moves in whole seconds, not {}s",
            text.trim_end_matches('0')
        )))
    }

    /// `POST /sandbox/advance`: moves the virtual clock forward by `by` (whole seconds)
    /// and returns the sandbox's new now (to the microsecond, as the API writes
    /// timestamps). An advance past the clock's cap (ten thousand
    /// years ahead of its start) is refused (`invalid_parameter`) and the clock stays.
    pub async fn advance(&self, by: Duration) -> Result<DateTime<Utc>, RemoteError> {
        #[derive(Deserialize)]
        struct Advanced {
            now: DateTime<Utc>,
        }
        let seconds = Self::whole_seconds(by)?.to_string();
        let answer: Advanced = self
            .call(Method::POST, "/sandbox/advance", &[("seconds", &seconds)])
            .await?;
        Ok(answer.now)
    }

    /// `POST /sandbox/payments/{id}/pay`: plays the end user paying a started payment
    /// with `method` (`card`, `psd2` or `transfer`), as [`Control::pay`](crate::Control::pay).
    pub async fn pay(&self, payment_id: &str, method: &str) -> Result<(), RemoteError> {
        let path = format!("/sandbox/payments/{}/pay", segment("payment", payment_id)?);
        self.send(Method::POST, &path, &[("method", method)]).await
    }

    /// `POST /sandbox/payments/{id}/transfer`: the payer sends the bank transfer; the bank
    /// transaction's id, which reconciliation takes.
    pub async fn send_transfer(&self, payment_id: &str) -> Result<String, RemoteError> {
        #[derive(Deserialize)]
        struct Sent {
            transaction_id: String,
        }
        let path = format!(
            "/sandbox/payments/{}/transfer",
            segment("payment", payment_id)?
        );
        let sent: Sent = self.call(Method::POST, &path, &[]).await?;
        Ok(sent.transaction_id)
    }

    /// `POST /sandbox/fail-next`: the next call of `operation_id` (the spec's
    /// `operationId`; another is refused with `invalid_parameter`) answers the error `code`.
    pub async fn fail_next(&self, operation_id: &str, code: &str) -> Result<(), RemoteError> {
        let query = [("operation", operation_id), ("code", code)];
        self.send(Method::POST, "/sandbox/fail-next", &query).await
    }

    /// `POST /sandbox/customers/{user_id}/ban`: the customer's payments are refused with
    /// `user_banned`.
    pub async fn ban(&self, user_id: u64) -> Result<(), RemoteError> {
        let path = format!("/sandbox/customers/{user_id}/ban");
        self.send(Method::POST, &path, &[]).await
    }

    /// `GET /sandbox/deliveries`: the webhook deliveries made so far, oldest first, as
    /// [`Control::deliveries`](crate::Control::deliveries) has them.
    pub async fn deliveries(&self) -> Result<Vec<Delivery>, RemoteError> {
        self.call(Method::GET, "/sandbox/deliveries", &[]).await
    }

    /// `POST /sandbox/deliveries/{id}/redeliver`: sends the delivery `delivery_id` again,
    /// signed afresh, as [`Control::redeliver`](crate::Control::redeliver).
    pub async fn redeliver(&self, delivery_id: &str) -> Result<Redelivery, RemoteError> {
        // The route reads these two words as the other two calls.
        if matches!(delivery_id, "last" | "all") {
            return Err(RemoteError::InvalidInput(format!(
                "no delivery has the id {delivery_id:?}: call redeliver_{delivery_id}"
            )));
        }
        self.redeliver_one(segment("delivery", delivery_id)?.to_string())
            .await
    }

    /// Like [`RemoteControl::redeliver`], for the delivery made last.
    pub async fn redeliver_last(&self) -> Result<Redelivery, RemoteError> {
        self.redeliver_one("last".into()).await
    }

    /// Like [`RemoteControl::redeliver`], for every delivery the sandbox remembers, in
    /// order (none when nothing was delivered yet).
    pub async fn redeliver_all(&self) -> Result<Vec<Redelivery>, RemoteError> {
        let path = "/sandbox/deliveries/all/redeliver";
        self.call(Method::POST, path, &[]).await
    }

    async fn redeliver_one(&self, segment: String) -> Result<Redelivery, RemoteError> {
        let path = format!("/sandbox/deliveries/{segment}/redeliver");
        let queued: Vec<Redelivery> = self.call(Method::POST, &path, &[]).await?;
        queued
            .into_iter()
            .next()
            .ok_or_else(|| self.unexpected("no redelivery was queued".into()))
    }

    /// `POST /sandbox/deliver-twice`: whether every event raised from now on is delivered
    /// twice in a row; the drills' settings after the change.
    pub async fn set_deliver_twice(&self, on: bool) -> Result<DrillSettings, RemoteError> {
        let enabled = if on { "true" } else { "false" };
        let query = [("enabled", enabled)];
        self.call(Method::POST, "/sandbox/deliver-twice", &query)
            .await
    }

    /// `GET /sandbox/webhook-urls`: what the drills are set to.
    pub async fn drills(&self) -> Result<DrillSettings, RemoteError> {
        self.call(Method::GET, "/sandbox/webhook-urls", &[]).await
    }

    /// Whether every event is delivered twice (from [`RemoteControl::drills`]).
    pub async fn deliver_twice(&self) -> Result<bool, RemoteError> {
        Ok(self.drills().await?.deliver_twice)
    }

    /// The extra subscriber URLs (from [`RemoteControl::drills`]).
    pub async fn webhook_urls(&self) -> Result<Vec<String>, RemoteError> {
        Ok(self.drills().await?.webhook_urls)
    }

    /// `POST /sandbox/webhook-urls`: adds an extra subscriber URL (one that is not http or
    /// https is refused with `invalid_parameter`); the drills' settings after the change.
    pub async fn add_webhook_url(&self, url: &str) -> Result<DrillSettings, RemoteError> {
        self.call(Method::POST, "/sandbox/webhook-urls", &[("url", url)])
            .await
    }

    /// `DELETE /sandbox/webhook-urls`: removes an extra subscriber URL; one that is not
    /// one is refused (`sandbox_control`, HTTP 404). The drills' settings after the change.
    pub async fn remove_webhook_url(&self, url: &str) -> Result<DrillSettings, RemoteError> {
        self.call(Method::DELETE, "/sandbox/webhook-urls", &[("url", url)])
            .await
    }

    /// [`RemoteControl::call`] for a route whose answer says nothing the caller lacks.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(), RemoteError> {
        self.call::<serde::de::IgnoredAny>(method, path, query)
            .await
            .map(drop)
    }

    /// Sends one control request and reads the envelope's `data` as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, RemoteError> {
        let mut url = format!("{}{path}", self.origin);
        if !query.is_empty() {
            url.push('?');
            url.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query)
                    .finish(),
            );
        }
        let response = self
            .http
            .request(method, url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        let status = response.status();
        let body = self.read(response).await?;
        let not_a_sandbox = || RemoteError::NotASandbox {
            origin: self.origin.clone(),
            status: status.as_u16(),
        };
        let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(&body) else {
            return Err(not_a_sandbox());
        };
        let word = envelope.get("status").and_then(Value::as_str);
        if status.is_success() && matches!(word, Some("ok" | "success" | "sucess")) {
            let data = envelope.remove("data").unwrap_or(Value::Null);
            return serde_json::from_value(data).map_err(|e| self.unexpected(e.to_string()));
        }
        match envelope.get("error").and_then(Value::as_str) {
            // An unknown path: a server without the control routes.
            None | Some("not_found" | "wrong_http_method") => Err(not_a_sandbox()),
            Some(code) => Err(RemoteError::Refused {
                code: clean(code, 200),
                message: clean(
                    envelope
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("the sandbox refused"),
                    2000,
                ),
                status: status.as_u16(),
            }),
        }
    }

    /// The body of `response`, refused once it is longer than [`Self::MAX_ANSWER_BYTES`].
    async fn read(&self, mut response: reqwest::Response) -> Result<Vec<u8>, RemoteError> {
        let too_large = || RemoteError::TooLarge {
            origin: self.origin.clone(),
            limit: Self::MAX_ANSWER_BYTES,
        };
        // A length announced past the limit is refused before a byte of it is read.
        let announced = response.content_length().unwrap_or(0);
        if announced > Self::MAX_ANSWER_BYTES as u64 {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(&e))? {
            if body.len() + chunk.len() > Self::MAX_ANSWER_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport(&self, error: &reqwest::Error) -> RemoteError {
        if error.is_timeout() {
            RemoteError::TimedOut {
                origin: self.origin.clone(),
                after: self.timeout,
            }
        } else {
            RemoteError::Unreachable {
                origin: self.origin.clone(),
                reason: causes(error),
            }
        }
    }

    fn unexpected(&self, reason: String) -> RemoteError {
        RemoteError::UnexpectedAnswer {
            origin: self.origin.clone(),
            reason: clean(&reason, 500),
        }
    }
}

/// `id` as a path segment, percent-encoded as the generated client encodes one; an id
/// that cannot be a segment (empty, or a dot segment, which URLs resolve away) is refused
/// before anything is sent.
fn segment<'a>(kind: &str, id: &'a str) -> Result<PathSegment<'a, str>, RemoteError> {
    if matches!(id, "" | "." | "..") {
        return Err(RemoteError::InvalidInput(format!(
            "no {kind} has the id {id:?}"
        )));
    }
    Ok(PathSegment(id))
}

/// An error and its causes, `: `-separated (reqwest's own text names only the first).
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

/// Text from the server, fit to print: control characters escaped (no terminal sequence
/// gets through), at most `max` characters.
fn clean(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

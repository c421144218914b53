//! Building a [`Client`]: where it talks to, with which credentials, and how patiently.

use std::{fmt, net::IpAddr, path::PathBuf, sync::Arc, time::Duration};

use cryptopocket_api::RequestHook;
use secrecy::SecretString;

use crate::{
    Client, Error,
    capture::ENV_CAPTURE,
    error::{BaseUrlProblem, ConfigError, Credential},
    retry::RetryPolicy,
};

/// The sandbox base URL published by CryptoPocket.
pub const SANDBOX_BASE_URL: &str = cryptopocket_api::SANDBOX_BASE_URL;

/// Which CryptoPocket server to talk to.
///
/// Its `Debug` leaves out a user name and password in the URL (which
/// [`ClientBuilder::build`] refuses), as every error does.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// The documented sandbox, `https://sandbox.cryptopocket.io/api`.
    Sandbox,
    /// Production. Its URL is not published: CryptoPocket gives it to each integrator.
    Production(String),
    /// Any other server speaking the API, such as a local sandbox (`http://127.0.0.1:…/api`).
    Custom(String),
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Sandbox => f.write_str("Sandbox"),
            Environment::Production(url) => f
                .debug_tuple("Production")
                .field(&crate::redact::redact_userinfo(url))
                .finish(),
            Environment::Custom(url) => f
                .debug_tuple("Custom")
                .field(&crate::redact::redact_userinfo(url))
                .finish(),
        }
    }
}

impl Environment {
    fn base_url(&self) -> &str {
        match self {
            Environment::Sandbox => SANDBOX_BASE_URL,
            Environment::Production(url) | Environment::Custom(url) => url,
        }
    }
}

/// The environment variables [`Client::from_env`] reads.
pub const ENV_API_KEY: &str = "CRYPTOPOCKET_API_KEY";
/// See [`ENV_API_KEY`].
pub const ENV_API_SECRET: &str = "CRYPTOPOCKET_API_SECRET";
/// See [`ENV_API_KEY`]; optional, the sandbox when unset.
pub const ENV_BASE_URL: &str = "CRYPTOPOCKET_BASE_URL";
/// Optional: the deadline of each call, as [`ClientBuilder::deadline`]. A bare decimal
/// number is seconds (`30`, `2.5`); otherwise numbers each followed by a unit, `ms`, `s`,
/// `m`, `h` or `d` (`500ms`, `1.5s`, `2m`, `1m30s`), as the command line's `--timeout`
/// takes them. Longer than zero and at most [`MAX_TIMEOUT`] (a day). The attempt timeout
/// (30 s) and the connect timeout (10 s) are lowered to it when it is shorter.
pub const ENV_TIMEOUT: &str = "CRYPTOPOCKET_TIMEOUT";
/// Optional: attempts per call in all, the first included, as
/// [`RetryPolicy::max_attempts`]; a whole number, 1 or more (1 disables retries).
pub const ENV_MAX_ATTEMPTS: &str = "CRYPTOPOCKET_MAX_ATTEMPTS";
/// Optional: the one host plain `http` is allowed to, as
/// [`ClientBuilder::allow_plain_http_to`] (e.g. `sandbox` for `http://sandbox:8080/api`).
pub const ENV_ALLOW_HTTP_HOST: &str = "CRYPTOPOCKET_ALLOW_HTTP_HOST";

/// Configures a [`Client`]; start with [`Client::builder`].
///
/// ```
/// use std::time::Duration;
/// use cryptopocket::{Client, Environment};
///
/// let client = Client::builder()
///     .environment(Environment::Sandbox)
///     .credentials("your_api_key", "your_api_secret")
///     .attempt_timeout(Duration::from_secs(10))
///     .deadline(Duration::from_secs(30))
///     .build()?;
/// # Ok::<(), cryptopocket::Error>(())
/// ```
pub struct ClientBuilder {
    environment: Environment,
    api_key: Option<String>,
    api_secret: Option<SecretString>,
    pub(crate) attempt_timeout: Duration,
    pub(crate) deadline: Duration,
    connect_timeout: Duration,
    user_agent: String,
    http: Option<reqwest::ClientBuilder>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_body_bytes: usize,
    pub(crate) capture: Option<PathBuf>,
    pub(crate) request_hook: Option<Arc<dyn RequestHook>>,
    allow_http_host: Option<String>,
    /// The environment variable the base URL came from (for its error message).
    base_url_variable: Option<&'static str>,
}

/// The `User-Agent` sent unless [`ClientBuilder::user_agent`] says otherwise.
const DEFAULT_USER_AGENT: &str = concat!("cryptopocket-rust/", env!("CARGO_PKG_VERSION"));

/// The longest deadline or timeout a [`ClientBuilder`] accepts: one day. Longer ones are
/// almost certainly a unit mistake, and bounding them keeps every instant computed from
/// them representable.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("environment", &self.environment)
            .field("api_key", &self.api_key)
            .field(
                "api_secret",
                &self.api_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("attempt_timeout", &self.attempt_timeout)
            .field("deadline", &self.deadline)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("capture", &self.capture)
            .field(
                "request_hook",
                &self.request_hook.as_ref().map(|_| "RequestHook"),
            )
            .field("allow_http_host", &self.allow_http_host)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            environment: Environment::Sandbox,
            api_key: None,
            api_secret: None,
            attempt_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(90),
            connect_timeout: Duration::from_secs(10),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            http: None,
            retry: RetryPolicy::default(),
            max_body_bytes: cryptopocket_api::DEFAULT_MAX_BODY_BYTES,
            capture: None,
            request_hook: None,
            allow_http_host: None,
            base_url_variable: None,
        }
    }
}

impl ClientBuilder {
    /// Which server to talk to (the sandbox by default).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self.base_url_variable = None;
        self
    }

    /// The API key and secret CryptoPocket issued. The secret is kept in a
    /// [`SecretString`]: it is never printed, and is zeroed when dropped.
    pub fn credentials(
        mut self,
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Self {
        self.api_key = Some(api_key.into());
        self.api_secret = Some(SecretString::from(api_secret.into()));
        self
    }

    /// The longest one HTTP attempt may take (30 s by default).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The longest a call may take, retries and token refresh included (90 s by default).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The longest establishing a connection may take (10 s by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header. Ignored when you supply your own
    /// [`http_client_builder`](Self::http_client_builder) (set it there).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Build the HTTP client from this `reqwest::ClientBuilder` (your proxies, TLS settings,
    /// root certificates, pool sizes).
    ///
    /// A builder, not a finished `reqwest::Client`, because a finished client cannot be
    /// inspected: [`build`](Self::build) sets on it what the crate's promises rest on,
    /// over whatever it held. Redirects are never followed (a create must not be sent on
    /// to another address, and the secret and token must not reach one), and the connect
    /// timeout and the request timeout (the [attempt timeout](Self::attempt_timeout)) are
    /// this builder's.
    ///
    /// ```
    /// let client = cryptopocket::Client::builder()
    ///     .credentials("your_api_key", "your_api_secret")
    ///     .http_client_builder(reqwest::Client::builder().user_agent("my-service/1.0"))
    ///     .build()?;
    /// # Ok::<(), cryptopocket::Error>(())
    /// ```
    pub fn http_client_builder(mut self, http: reqwest::ClientBuilder) -> Self {
        self.http = Some(http);
        self
    }

    /// The largest response body read, in bytes (16 MiB by default). A longer body fails
    /// the call with [`Error::BodyTooLarge`] as soon as the cap is passed, so memory stays
    /// bounded whatever a server sends.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Writes every exchange (each attempt) as one JSON line to a file in `dir`, to learn
    /// what a real server sends: `cargo xtask check-capture DIR` then checks each response
    /// against the spec and names every field where the two disagree. Off by default;
    /// [`Client::from_env`] turns it on from `CRYPTOPOCKET_CAPTURE` ([`ENV_CAPTURE`]).
    ///
    /// Each line holds the operationId, method, path, status, the response headers that
    /// matter, both bodies and a timestamp, redacted before anything touches disk: the API
    /// secret and every token by value, credentials by key, and every string of personal
    /// data (names, e-mails, addresses, documents, IBANs, wallets...) replaced by
    /// `"<redacted>"`, keeping each value's JSON type. The file is
    /// `capture-<unix-seconds>-<pid>.jsonl`, created (with `dir`) on the first exchange; a
    /// write that fails is logged with `tracing::warn!` and never fails the call. Each
    /// response body is then read whole before it is decoded (under the same cap); an
    /// attempt abandoned at its timeout before the body was read leaves no line.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), cryptopocket::Error> {
    /// let client = cryptopocket::Client::builder()
    ///     .credentials("your_api_key", "your_api_secret")
    ///     .capture("target/capture")
    ///     .build()?;
    /// client.assets().list().await?; // a line for authenticate, one for the list
    /// // then: cargo xtask check-capture target/capture
    /// # Ok(())
    /// # }
    /// ```
    pub fn capture(mut self, dir: impl Into<PathBuf>) -> Self {
        self.capture = Some(dir.into());
        self
    }

    /// How reads are retried; see [`RetryPolicy`]. Checked by [`build`](Self::build).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Runs `hook` on every request the client sends, once per attempt (authenticate and
    /// retries included), just before it goes out and after the crate has set the `auth`
    /// header: to add a header of your own (a request id, a tracing context), or to count
    /// attempts. The second argument is progenitor's snake-case name of the operation
    /// (`get_payment`).
    ///
    /// The hook sees the token in the `auth` header; leave it as it is. Whatever the hook
    /// does, the `auth` header leaves marked sensitive (reqwest never prints it), and every
    /// error, log line and capture of the crate still has the secret and every token
    /// replaced by value: a hook cannot make the crate print them.
    ///
    /// ```
    /// use cryptopocket::api::RequestHook;
    ///
    /// struct RequestId;
    ///
    /// impl RequestHook for RequestId {
    ///     fn before_send(&self, request: &mut reqwest::Request, _operation: &'static str) {
    ///         let id = reqwest::header::HeaderValue::from_static("req-123");
    ///         request.headers_mut().insert("x-request-id", id);
    ///     }
    /// }
    ///
    /// let client = cryptopocket::Client::builder()
    ///     .credentials("your_api_key", "your_api_secret")
    ///     .request_hook(RequestId)
    ///     .build()?;
    /// # Ok::<(), cryptopocket::Error>(())
    /// ```
    pub fn request_hook(mut self, hook: impl RequestHook + 'static) -> Self {
        self.request_hook = Some(Arc::new(hook));
        self
    }

    /// Allows plain `http://` to this one host (a name or an IP address, without scheme or
    /// port), e.g. `sandbox` for a sandbox in a container on a private network at
    /// `http://sandbox:8080/api`. Without it, plain http is refused unless the host is
    /// loopback; https needs nothing. Calling it again replaces the host.
    ///
    /// The token and the secret then cross that network unencrypted: every client built
    /// with a plain-http base URL to the host logs a `tracing::warn!` naming it. Never use it
    /// for production. [`Client::from_env`] reads it from `CRYPTOPOCKET_ALLOW_HTTP_HOST`.
    ///
    /// ```
    /// use cryptopocket::{Client, Environment};
    ///
    /// let client = Client::builder()
    ///     .environment(Environment::Custom("http://sandbox:8080/api".into()))
    ///     .credentials("sandbox_api_key", "sandbox_api_secret")
    ///     .allow_plain_http_to("sandbox")
    ///     .build()?;
    /// # Ok::<(), cryptopocket::Error>(())
    /// ```
    pub fn allow_plain_http_to(mut self, host: impl Into<String>) -> Self {
        self.allow_http_host = Some(host.into());
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with a [`ConfigError`] when credentials are missing, the base URL
    /// is not an absolute `https` URL (plain `http` is allowed for loopback addresses and
    /// the host named with [`allow_plain_http_to`](Self::allow_plain_http_to)) or carries a
    /// user name or password, a timeout is zero or longer than [`MAX_TIMEOUT`], the retry
    /// policy has no attempt or too long a backoff, the body cap is zero, or the HTTP
    /// client cannot be built.
    pub fn build(mut self) -> Result<Client, Error> {
        let api_key = self
            .api_key
            .clone()
            .filter(|k| !k.trim().is_empty())
            .ok_or(ConfigError::MissingCredential {
                credential: Credential::ApiKey,
                variable: None,
            })?;
        let api_secret = self
            .api_secret
            .clone()
            .ok_or(ConfigError::MissingCredential {
                credential: Credential::ApiSecret,
                variable: None,
            })?;
        let allowed = self
            .allow_http_host
            .as_deref()
            .map(|host| {
                allowed_host(host).map_err(|reason| ConfigError::InvalidValue {
                    setting: "allow_plain_http_to",
                    reason,
                })
            })
            .transpose()?;
        let base_url = checked_base_url(self.environment.base_url(), allowed.as_deref()).map_err(
            |(url, problem)| ConfigError::BaseUrl {
                url,
                problem,
                variable: self.base_url_variable,
            },
        )?;
        for (setting, value) in [
            ("attempt_timeout", self.attempt_timeout),
            ("deadline", self.deadline),
            ("connect_timeout", self.connect_timeout),
        ] {
            check_duration(setting, value)?;
        }
        self.retry.check("retry_policy")?;
        if self.max_body_bytes == 0 {
            return Err(ConfigError::InvalidValue {
                setting: "max_body_bytes",
                reason: "must be above zero".into(),
            }
            .into());
        }
        if let Some(host) = base_url.plain_http_host {
            tracing::warn!(
                host = host.as_str(),
                "plain http to {host} allowed: the API token and secret cross the network \
                 unencrypted; never do this in production"
            );
        }
        cryptopocket_api::prepare_tls();
        let http = match self.http.take() {
            Some(http) => http,
            // reqwest clones its default headers into every request (and again into the
            // copy it keeps of each): the default as a static value, whose clones touch no
            // reference count, rather than one reference count all calls in flight share.
            None if self.user_agent == DEFAULT_USER_AGENT => reqwest::Client::builder().user_agent(
                reqwest::header::HeaderValue::from_static(DEFAULT_USER_AGENT),
            ),
            None => reqwest::Client::builder().user_agent(&self.user_agent),
        };
        let http = http
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            // Every request, a raw one too, ends within one attempt's time: connecting,
            // sending, the status and the whole body, under one timer armed when it leaves.
            // The call loop adds a timer of its own only when the call's deadline is nearer
            // (see `call.rs`). A per-read timeout would arm another timer per response and
            // reset it per body chunk, and bound nothing this one does not.
            .timeout(self.attempt_timeout)
            .build()
            .map_err(|e| ConfigError::HttpClient {
                message: crate::redact::redact_userinfo(&crate::call::with_causes(&e)),
            })?;
        Ok(Client::from_parts(
            self,
            base_url.url,
            api_key,
            api_secret,
            http,
        ))
    }

    /// A builder filled from `lookup` (the environment, in [`Client::from_env`]).
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str, credential| {
            set(name).ok_or(ConfigError::MissingCredential {
                credential,
                variable: Some(name),
            })
        };
        let mut builder = Self::default().credentials(
            required(ENV_API_KEY, Credential::ApiKey)?,
            required(ENV_API_SECRET, Credential::ApiSecret)?,
        );
        if let Some(dir) = set(ENV_CAPTURE) {
            builder = builder.capture(dir);
        }
        if let Some(url) = set(ENV_BASE_URL) {
            builder = builder.environment(Environment::Custom(url));
            // Set after `environment`, which forgets it.
            builder.base_url_variable = Some(ENV_BASE_URL);
        }
        if let Some(value) = set(ENV_TIMEOUT) {
            let timeout = crate::duration::parse_duration(&value)
                .map_err(|error| error.to_string())
                .and_then(|timeout| {
                    if timeout > MAX_TIMEOUT {
                        Err(format!(
                            "is longer than the longest accepted, {MAX_TIMEOUT:?}"
                        ))
                    } else {
                        Ok(timeout)
                    }
                })
                .map_err(|reason| ConfigError::EnvVar {
                    variable: ENV_TIMEOUT,
                    reason: format!("`{}` {reason}", shown_value(&value)),
                })?;
            let attempt_timeout = timeout.min(builder.attempt_timeout);
            let connect_timeout = timeout.min(builder.connect_timeout);
            builder = builder
                .deadline(timeout)
                .attempt_timeout(attempt_timeout)
                .connect_timeout(connect_timeout);
        }
        if let Some(value) = set(ENV_MAX_ATTEMPTS) {
            let attempts = value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ConfigError::EnvVar {
                    variable: ENV_MAX_ATTEMPTS,
                    reason: format!(
                        "`{}` is not a whole number of attempts, 1 or more (1 disables retries)",
                        shown_value(&value)
                    ),
                })?;
            builder.retry = builder.retry.max_attempts(attempts);
        }
        if let Some(host) = set(ENV_ALLOW_HTTP_HOST) {
            allowed_host(&host).map_err(|reason| ConfigError::EnvVar {
                variable: ENV_ALLOW_HTTP_HOST,
                reason,
            })?;
            builder = builder.allow_plain_http_to(host);
        }
        Ok(builder)
    }
}

/// A duration setting: longer than zero, at most [`MAX_TIMEOUT`].
pub(crate) fn check_duration(setting: &'static str, value: Duration) -> Result<(), ConfigError> {
    if value.is_zero() || value > MAX_TIMEOUT {
        return Err(ConfigError::DurationOutOfRange {
            setting,
            value,
            max: MAX_TIMEOUT,
        });
    }
    Ok(())
}

/// An environment variable's value for an error message: short, printable.
fn shown_value(value: &str) -> String {
    crate::error::escape_controls(crate::error::shortened(value.trim(), 40).chars())
}

/// The host plain http may go to, normalised (lower case, IPv6 without brackets); an error
/// saying what is accepted when `host` is not a bare host name or IP address.
fn allowed_host(host: &str) -> Result<String, String> {
    let refused = || {
        format!(
            "`{}` is not a host name or IP address; give the host alone, without scheme, \
             port or path (e.g. `sandbox`)",
            shown_value(host)
        )
    };
    let host = host.trim();
    if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
        return Err(refused());
    }
    let parsed = reqwest::Url::parse(&format!("http://{host}/")).map_err(|_| refused())?;
    if parsed.port().is_some() || parsed.path() != "/" {
        return Err(refused());
    }
    let normalised = normalised_host(&parsed).ok_or_else(refused)?;
    let given = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    // A host the parser had to rewrite (`0x7f.1`) is not the one the user meant to name.
    if normalised != given {
        return Err(refused());
    }
    Ok(normalised)
}

fn normalised_host(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase(),
    )
}

/// A checked base URL.
struct BaseUrl {
    /// Without a trailing slash.
    url: String,
    /// The host when the URL is plain http to the allowed non-loopback host.
    plain_http_host: Option<String>,
}

/// The base URL without a trailing slash, refusing what would leak credentials; plain
/// http only to loopback and to `allowed_http_host` (normalised). A refusal gives the URL
/// without its userinfo.
fn checked_base_url(
    raw: &str,
    allowed_http_host: Option<&str>,
) -> Result<BaseUrl, (String, BaseUrlProblem)> {
    let shown = crate::redact::redact_userinfo(raw);
    let refuse = |problem| Err((shown.clone(), problem));
    let parsed = match reqwest::Url::parse(raw) {
        Ok(parsed) => parsed,
        Err(e) => return refuse(BaseUrlProblem::NotAUrl(e.to_string())),
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return refuse(BaseUrlProblem::Userinfo);
    }
    let mut plain_http_host = None;
    match parsed.scheme() {
        "https" if !cryptopocket_api::TLS => return refuse(BaseUrlProblem::NoTlsBackend),
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http"
            if allowed_http_host.is_some()
                && normalised_host(&parsed).as_deref() == allowed_http_host =>
        {
            plain_http_host = normalised_host(&parsed);
        }
        "http" => return refuse(BaseUrlProblem::PlainHttp),
        other => return refuse(BaseUrlProblem::UnsupportedScheme(other.to_owned())),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return refuse(BaseUrlProblem::QueryOrFragment);
    }
    Ok(BaseUrl {
        url: raw.trim_end_matches('/').to_owned(),
        plain_http_host,
    })
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built with each TLS feature in CI (`.ci/run`): the chosen backend builds a client for
    /// an https URL (with `rustls-ring`, only once its provider is installed), and a build
    /// without one says which features to enable instead of failing at the first call.
    #[test]
    fn an_https_client_builds_with_the_chosen_tls_backend() {
        let built = Client::builder()
            .environment(Environment::Sandbox)
            .credentials("key", "secret")
            .build();
        if cryptopocket_api::TLS {
            built.unwrap();
        } else {
            let error = built.unwrap_err();
            assert!(
                matches!(
                    &error,
                    Error::Config(ConfigError::BaseUrl {
                        problem: BaseUrlProblem::NoTlsBackend,
                        ..
                    })
                ),
                "{error:?}"
            );
            let message = error.to_string();
            assert!(message.contains("no TLS backend"), "{message}");
            assert!(message.contains("native-tls"), "{message}");
        }
    }

    fn problem(raw: &str, allowed: Option<&str>) -> BaseUrlProblem {
        checked_base_url(raw, allowed).err().unwrap().1
    }

    #[test]
    fn only_https_or_loopback_http_is_accepted() {
        assert_eq!(
            checked_base_url("https://sandbox.cryptopocket.io/api/", None)
                .ok()
                .unwrap()
                .url,
            "https://sandbox.cryptopocket.io/api"
        );
        for ok in [
            "http://127.0.0.1:8080/api",
            "http://localhost/api",
            "http://[::1]:1/api",
        ] {
            let checked = checked_base_url(ok, None).ok().unwrap();
            assert_eq!(checked.plain_http_host, None, "loopback needs no warning");
        }
        for (bad, expected) in [
            (
                "http://sandbox.cryptopocket.io/api",
                BaseUrlProblem::PlainHttp,
            ),
            ("http://10.0.0.1/api", BaseUrlProblem::PlainHttp),
            (
                "ftp://x/api",
                BaseUrlProblem::UnsupportedScheme("ftp".into()),
            ),
            ("https://x/api?debug=1", BaseUrlProblem::QueryOrFragment),
        ] {
            assert_eq!(problem(bad, None), expected, "{bad}");
            let (url, problem) = checked_base_url(bad, None).err().unwrap();
            let message = ConfigError::BaseUrl {
                url,
                problem,
                variable: None,
            }
            .to_string();
            assert!(message.contains(bad), "{message}");
        }
        assert!(matches!(
            problem("sandbox.cryptopocket.io/api", None),
            BaseUrlProblem::NotAUrl(_)
        ));
        let (url, problem) = checked_base_url("https://me:pa55w0rd@host/api", None)
            .err()
            .unwrap();
        assert_eq!(problem, BaseUrlProblem::Userinfo);
        let err = ConfigError::BaseUrl {
            url,
            problem,
            variable: Some(ENV_BASE_URL),
        }
        .to_string();
        assert!(err.contains("user name or password"), "{err}");
        assert!(err.contains(ENV_BASE_URL), "{err}");
        assert!(!err.contains("pa55w0rd") && !err.contains("me:"), "{err}");
    }

    #[test]
    fn plain_http_goes_only_to_the_one_allowed_host() {
        let checked = checked_base_url("http://sandbox:8080/api", Some("sandbox"))
            .ok()
            .unwrap();
        assert_eq!(checked.url, "http://sandbox:8080/api");
        assert_eq!(checked.plain_http_host.as_deref(), Some("sandbox"));
        assert_eq!(
            checked_base_url("http://SandBox:8080/api", Some("sandbox"))
                .ok()
                .unwrap()
                .plain_http_host
                .as_deref(),
            Some("sandbox")
        );
        assert_eq!(
            problem("http://other:8080/api", Some("sandbox")),
            BaseUrlProblem::PlainHttp
        );
        assert_eq!(
            problem("http://sandbox.evil.example/api", Some("sandbox")),
            BaseUrlProblem::PlainHttp
        );
        assert_eq!(allowed_host(" SandBox ").unwrap(), "sandbox");
        assert_eq!(allowed_host("10.0.0.7").unwrap(), "10.0.0.7");
        assert_eq!(allowed_host("[fd00::1]").unwrap(), "fd00::1");
        assert!(
            checked_base_url("http://[fd00::1]:8080/api", Some("fd00::1"))
                .ok()
                .is_some()
        );
        for bad in [
            "",
            "http://sandbox",
            "sandbox:8080",
            "sandbox/api",
            "u@sandbox",
            "0x7f.1",
        ] {
            assert!(allowed_host(bad).is_err(), "{bad}");
        }
        // Through the builder: refused without the opt-in, built (with a warning) with it.
        let builder = || {
            ClientBuilder::default()
                .environment(Environment::Custom("http://sandbox:8080/api".into()))
                .credentials("k", "s")
        };
        assert!(matches!(
            builder().build().unwrap_err(),
            Error::Config(ConfigError::BaseUrl {
                problem: BaseUrlProblem::PlainHttp,
                ..
            })
        ));
        assert_eq!(
            builder()
                .allow_plain_http_to("sandbox")
                .build()
                .unwrap()
                .base_url(),
            "http://sandbox:8080/api"
        );
        let error = builder()
            .allow_plain_http_to("sandbox:8080")
            .build()
            .unwrap_err();
        assert!(
            matches!(
                &error,
                Error::Config(ConfigError::InvalidValue {
                    setting: "allow_plain_http_to",
                    ..
                })
            ),
            "{error:?}"
        );
    }

    #[test]
    fn durations_beyond_a_day_are_refused_by_name() {
        for (name, builder) in [
            ("deadline", ClientBuilder::default().deadline(Duration::MAX)),
            (
                "attempt_timeout",
                ClientBuilder::default().attempt_timeout(Duration::from_secs(u64::MAX)),
            ),
            (
                "connect_timeout",
                ClientBuilder::default().connect_timeout(MAX_TIMEOUT + Duration::from_nanos(1)),
            ),
        ] {
            let err = builder.credentials("k", "s").build().unwrap_err();
            assert!(
                matches!(
                    &err,
                    Error::Config(ConfigError::DurationOutOfRange { setting, .. }) if *setting == name
                ),
                "{err:?}"
            );
            let err = err.to_string();
            assert!(err.contains(name) && err.contains("longest"), "{err}");
        }
        assert!(
            ClientBuilder::default()
                .credentials("k", "s")
                .deadline(MAX_TIMEOUT)
                .build()
                .is_ok()
        );
        let err = ClientBuilder::default()
            .credentials("k", "s")
            .retry_policy(RetryPolicy::default().max_attempts(0))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("max_attempts"), "{err}");
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn from_env_requires_key_and_secret_and_reads_the_base_url() {
        let err = ClientBuilder::from_lookup(env(&[(ENV_API_KEY, "k")])).unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingCredential {
                credential: Credential::ApiSecret,
                variable: Some(ENV_API_SECRET)
            }
        );
        assert!(err.to_string().contains(ENV_API_SECRET), "{err}");
        let builder = ClientBuilder::from_lookup(env(&[
            (ENV_API_KEY, "k"),
            (ENV_API_SECRET, "s3cr3t"),
            (ENV_BASE_URL, "http://127.0.0.1:9/api"),
        ]))
        .unwrap();
        assert_eq!(
            builder.environment,
            Environment::Custom("http://127.0.0.1:9/api".into())
        );
        assert_eq!(builder.capture, None);
        let captured = ClientBuilder::from_lookup(env(&[
            (ENV_API_KEY, "k"),
            (ENV_API_SECRET, "s3cr3t"),
            (ENV_CAPTURE, "/tmp/capture-here"),
        ]))
        .unwrap();
        assert_eq!(captured.capture, Some(PathBuf::from("/tmp/capture-here")));
        assert!(!format!("{builder:?}").contains("s3cr3t"));
        assert!(builder.build().is_ok());
        // A refused URL from the environment names the variable, never the secret.
        let err = ClientBuilder::from_lookup(env(&[
            (ENV_API_KEY, "k"),
            (ENV_API_SECRET, "s3cr3t"),
            (ENV_BASE_URL, "http://sandbox:8080/api"),
        ]))
        .unwrap()
        .build()
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(ENV_BASE_URL) && err.contains("plain http"),
            "{err}"
        );
        assert!(!err.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn from_env_reads_the_timeout_attempts_and_plain_http_host() {
        let builder = ClientBuilder::from_lookup(env(&[
            (ENV_API_KEY, "k"),
            (ENV_API_SECRET, "s"),
            (ENV_BASE_URL, "http://sandbox:8080/api"),
            (ENV_TIMEOUT, "2.5"),
            (ENV_MAX_ATTEMPTS, "5"),
            (ENV_ALLOW_HTTP_HOST, "sandbox"),
        ]))
        .unwrap();
        assert_eq!(builder.deadline, Duration::from_millis(2500));
        assert_eq!(builder.attempt_timeout, Duration::from_millis(2500));
        assert_eq!(builder.connect_timeout, Duration::from_millis(2500));
        assert_eq!(builder.retry.get_max_attempts(), 5);
        assert_eq!(
            builder.build().unwrap().base_url(),
            "http://sandbox:8080/api"
        );
        // A long timeout is the deadline; attempts and connects keep their defaults.
        let long = ClientBuilder::from_lookup(env(&[
            (ENV_API_KEY, "k"),
            (ENV_API_SECRET, "s"),
            (ENV_TIMEOUT, "2m"),
        ]))
        .unwrap();
        assert_eq!(long.deadline, Duration::from_secs(120));
        assert_eq!(long.attempt_timeout, Duration::from_secs(30));
        assert_eq!(long.connect_timeout, Duration::from_secs(10));

        for (variable, value) in [
            (ENV_TIMEOUT, "soon"),
            (ENV_TIMEOUT, "0"),
            (ENV_TIMEOUT, "-1"),
            (ENV_TIMEOUT, "25h"),
            (ENV_TIMEOUT, "1e3"),
            (ENV_MAX_ATTEMPTS, "0"),
            (ENV_MAX_ATTEMPTS, "three"),
            (ENV_MAX_ATTEMPTS, "-2"),
            (ENV_ALLOW_HTTP_HOST, "http://sandbox:8080"),
        ] {
            let pairs: &'static [(&str, &str)] = Box::leak(Box::new([
                (ENV_API_KEY, "k"),
                (ENV_API_SECRET, "s"),
                (variable, value),
            ]));
            let err = ClientBuilder::from_lookup(env(pairs)).unwrap_err();
            assert!(
                matches!(&err, ConfigError::EnvVar { variable: v, .. } if *v == variable),
                "{variable}={value}: {err:?}"
            );
            assert!(err.to_string().starts_with(variable), "{err}");
        }
    }

    #[test]
    fn missing_credentials_and_zero_timeouts_are_refused() {
        assert!(matches!(
            ClientBuilder::default().build().unwrap_err(),
            Error::Config(ConfigError::MissingCredential {
                credential: Credential::ApiKey,
                variable: None
            })
        ));
        let err = ClientBuilder::default()
            .credentials("k", "s")
            .deadline(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("longer than zero"), "{err}");
        let err = ClientBuilder::default()
            .credentials("k", "s")
            .max_body_bytes(0)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("max_body_bytes"), "{err}");
    }
}

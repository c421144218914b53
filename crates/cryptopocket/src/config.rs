//! Building a [`Client`]: where it talks to, with which credentials, and how patiently.

use std::{fmt, net::IpAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;

use crate::{Client, Error, capture::ENV_CAPTURE, retry::RetryPolicy};

/// The sandbox base URL published by CryptoPocket.
pub const SANDBOX_BASE_URL: &str = cryptopocket_api::SANDBOX_BASE_URL;

/// Which CryptoPocket server to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// The documented sandbox, `https://sandbox.cryptopocket.io/api`.
    Sandbox,
    /// Production. Its URL is not published: CryptoPocket gives it to each integrator.
    Production(String),
    /// Any other server speaking the API, such as a local sandbox (`http://127.0.0.1:…/api`).
    Custom(String),
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
}

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
            user_agent: concat!("cryptopocket-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            http: None,
            retry: RetryPolicy::default(),
            max_body_bytes: cryptopocket_api::DEFAULT_MAX_BODY_BYTES,
            capture: None,
        }
    }
}

impl ClientBuilder {
    /// Which server to talk to (the sandbox by default).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
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
    /// timeout and the per-read timeout are this builder's.
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
    /// client.assets().available().await?; // a line for authenticate, one for the list
    /// // then: cargo xtask check-capture target/capture
    /// # Ok(())
    /// # }
    /// ```
    pub fn capture(mut self, dir: impl Into<PathBuf>) -> Self {
        self.capture = Some(dir.into());
        self
    }

    /// How reads are retried; see [`RetryPolicy`].
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when credentials are missing, the base URL is not an absolute
    /// `https` URL (plain `http` is allowed for loopback addresses only) or carries a user
    /// name or password, a timeout is zero or longer than [`MAX_TIMEOUT`], the body cap is
    /// zero, or the HTTP client cannot be built.
    pub fn build(mut self) -> Result<Client, Error> {
        let api_key = self
            .api_key
            .clone()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Error::Config("no API key: call .credentials(key, secret)".into()))?;
        let api_secret = self
            .api_secret
            .clone()
            .ok_or_else(|| Error::Config("no API secret: call .credentials(key, secret)".into()))?;
        let base_url = checked_base_url(self.environment.base_url())?;
        for (name, value) in [
            ("attempt_timeout", self.attempt_timeout),
            ("deadline", self.deadline),
            ("connect_timeout", self.connect_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::Config(format!(
                    "timeouts must be longer than zero: {name} is zero"
                )));
            }
            if value > MAX_TIMEOUT {
                return Err(Error::Config(format!(
                    "{name} of {value:?} is longer than the longest accepted, {MAX_TIMEOUT:?}"
                )));
            }
        }
        if self.max_body_bytes == 0 {
            return Err(Error::Config("max_body_bytes must be above zero".into()));
        }
        cryptopocket_api::prepare_tls();
        let http = match self.http.take() {
            Some(http) => http,
            None => reqwest::Client::builder().user_agent(&self.user_agent),
        };
        let http = http
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            // A server that stalls mid-body is given up on after one attempt's time even
            // outside the call loop (a raw call); the call loop's own deadline is shorter.
            .read_timeout(self.attempt_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client::from_parts(
            self, base_url, api_key, api_secret, http,
        ))
    }

    /// A builder filled from `lookup` (the environment, in [`Client::from_env`]).
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let required = |name: &str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| Error::Config(format!("{name} is not set")))
        };
        let mut builder =
            Self::default().credentials(required(ENV_API_KEY)?, required(ENV_API_SECRET)?);
        if let Some(dir) = lookup(ENV_CAPTURE).filter(|v| !v.trim().is_empty()) {
            builder = builder.capture(dir);
        }
        Ok(
            match lookup(ENV_BASE_URL).filter(|v| !v.trim().is_empty()) {
                Some(url) => builder.environment(Environment::Custom(url)),
                None => builder,
            },
        )
    }
}

/// The base URL without a trailing slash, refusing what would leak credentials. Messages
/// name the URL without its userinfo.
fn checked_base_url(raw: &str) -> Result<String, Error> {
    let shown = crate::redact::redact_userinfo(raw);
    let url = shown.as_str();
    let parsed = reqwest::Url::parse(raw)
        .map_err(|e| Error::Config(format!("base URL `{url}` is not a valid URL: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(format!(
            "base URL `{url}` carries a user name or password; give credentials with \
             .credentials(key, secret) instead"
        )));
    }
    match parsed.scheme() {
        "https" if !cryptopocket_api::TLS => {
            return Err(Error::Config(format!(
                "base URL `{url}` is https but this build has no TLS backend; enable the \
                 `rustls` (default), `rustls-ring` or `native-tls` feature of cryptopocket"
            )));
        }
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => {
            return Err(Error::Config(format!(
                "base URL `{url}` is plain http: the token and secret would cross the network \
                 unencrypted; use https (http is allowed for loopback addresses only)"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "base URL `{url}` has scheme `{other}`; use https"
            )));
        }
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL `{url}` must not have a query or fragment"
        )));
    }
    Ok(raw.trim_end_matches('/').to_owned())
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
            let message = built.unwrap_err().to_string();
            assert!(message.contains("no TLS backend"), "{message}");
            assert!(message.contains("native-tls"), "{message}");
        }
    }

    #[test]
    fn only_https_or_loopback_http_is_accepted() {
        assert_eq!(
            checked_base_url("https://sandbox.cryptopocket.io/api/").unwrap(),
            "https://sandbox.cryptopocket.io/api"
        );
        for ok in [
            "http://127.0.0.1:8080/api",
            "http://localhost/api",
            "http://[::1]:1/api",
        ] {
            assert!(checked_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://sandbox.cryptopocket.io/api",
            "http://10.0.0.1/api",
            "ftp://x/api",
            "sandbox.cryptopocket.io/api",
            "https://x/api?debug=1",
        ] {
            let err = checked_base_url(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
        let err = checked_base_url("https://me:pa55w0rd@host/api")
            .unwrap_err()
            .to_string();
        assert!(err.contains("user name or password"), "{err}");
        assert!(!err.contains("pa55w0rd") && !err.contains("me:"), "{err}");
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
            let err = builder
                .credentials("k", "s")
                .build()
                .unwrap_err()
                .to_string();
            assert!(err.contains(name) && err.contains("longest"), "{err}");
        }
        assert!(
            ClientBuilder::default()
                .credentials("k", "s")
                .deadline(MAX_TIMEOUT)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn from_env_requires_key_and_secret_and_reads_the_base_url() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let err = ClientBuilder::from_lookup(env(&[(ENV_API_KEY, "k")])).unwrap_err();
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
    }

    #[test]
    fn missing_credentials_and_zero_timeouts_are_refused() {
        assert!(ClientBuilder::default().build().is_err());
        let err = ClientBuilder::default()
            .credentials("k", "s")
            .deadline(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("timeouts"), "{err}");
    }
}

//! The [`Client`] and its configuration-derived state.

use std::{fmt, sync::Arc, time::Duration};

use cryptopocket_api::RequestHook;
use secrecy::SecretString;

use crate::{
    Error,
    auth::{Auth, TokenHook},
    config::ClientBuilder,
    redact::Secrets,
    retry::RetryPolicy,
};

/// A CryptoPocket API client.
///
/// Cheap to clone: clones share one connection pool and one token. `Send + Sync`, so one
/// client can serve a whole service. Building one is not cheap: the HTTP client loads the
/// platform's root certificates (about 19 million instructions, a few milliseconds; see
/// `crates/cryptopocket-bench`), so build one and clone it rather than one per call.
///
/// ```no_run
/// # async fn run() -> Result<(), cryptopocket::Error> {
/// let client = cryptopocket::Client::from_env()?;
/// let kyc = client.kyc().get(&cryptopocket::model::UserId::new(12345)).await?;
/// println!("KYC is {}", kyc.status);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    /// What calls through this value use instead of the client's settings (set by the
    /// areas' `with_*` methods).
    pub(crate) options: CallOptions,
}

/// Per-call settings that replace the client's: `None` keeps the client's.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    /// The whole call's deadline, and the name of the method that set it.
    pub(crate) deadline: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
}

impl CallOptions {
    /// Whether the options can be used; checked by each call before anything is sent.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if let Some(deadline) = self.deadline {
            crate::config::check_duration("with_timeout", deadline)?;
        }
        if let Some(retry) = &self.retry {
            retry.check("with_retry")?;
        }
        Ok(())
    }
}

/// The `with_*` methods every area handle has: per-call deadline and retry policy.
macro_rules! call_options {
    ($area:ty) => {
        impl $area {
            /// The deadline of each call made through this handle (lists included),
            /// retries, token refresh and every body read included, in place of the
            /// client's [`deadline`](crate::ClientBuilder::deadline); each attempt is still
            /// bounded by the client's attempt timeout. Longer than zero and at most
            /// [`MAX_TIMEOUT`](crate::MAX_TIMEOUT), or the call fails with
            /// [`Error::Config`](crate::Error::Config) before sending anything.
            pub fn with_timeout(mut self, deadline: std::time::Duration) -> Self {
                self.client.options.deadline = Some(deadline);
                self
            }

            /// The retry policy of each call made through this handle (lists included), in
            /// place of the client's [`retry_policy`](crate::ClientBuilder::retry_policy);
            /// [`RetryPolicy::never`](crate::RetryPolicy::never) makes one attempt. A policy
            /// that cannot be used fails the call with [`Error::Config`](crate::Error::Config)
            /// before sending anything. Creates are never sent twice whatever the policy.
            pub fn with_retry(mut self, retry: crate::RetryPolicy) -> Self {
                self.client.options.retry = Some(retry);
                self
            }
        }
    };
}
pub(crate) use call_options;

/// Aligned to 128 bytes so that, inside its `Arc`, the fields every call reads start on a
/// cache line (and adjacent-line pair) of their own: the `Arc`'s reference counts, which
/// every area handle's clone and drop writes (`client.onramp()`), stay on the line before.
/// With calls on several cores, those writes would otherwise make each core's next read of
/// the settings, the generated client and the token's state miss its cache.
#[repr(align(128))]
pub(crate) struct Inner {
    pub(crate) api: cryptopocket_api::Client,
    pub(crate) auth: Arc<Auth>,
    pub(crate) attempt_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) retry: RetryPolicy,
    /// The secret and every token held, replaced in every error that leaves a call (and in
    /// every captured exchange).
    pub(crate) secrets: Arc<Secrets>,
    base_url: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth)
            .field("attempt_timeout", &self.inner.attempt_timeout)
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment:
    ///
    /// | Variable | Meaning |
    /// |---|---|
    /// | `CRYPTOPOCKET_API_KEY`, `CRYPTOPOCKET_API_SECRET` | the credentials (required) |
    /// | `CRYPTOPOCKET_BASE_URL` | the server; the sandbox when unset |
    /// | `CRYPTOPOCKET_TIMEOUT` | each call's deadline: seconds (`30`, `2.5`) or numbers with units `ms`, `s`, `m`, `h`, `d` (`500ms`, `1m30s`; [`duration`](crate::duration)); see [`ENV_TIMEOUT`](crate::ENV_TIMEOUT) |
    /// | `CRYPTOPOCKET_MAX_ATTEMPTS` | attempts per call, 1 or more (1 disables retries) |
    /// | `CRYPTOPOCKET_ALLOW_HTTP_HOST` | the one host plain http may go to ([`ClientBuilder::allow_plain_http_to`]) |
    /// | `CRYPTOPOCKET_CAPTURE` | a directory: write every exchange there, redacted ([`ClientBuilder::capture`]) |
    ///
    /// An empty variable counts as unset.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable that is missing or wrong
    /// ([`ConfigError::MissingCredential`](crate::ConfigError::MissingCredential),
    /// [`ConfigError::EnvVar`](crate::ConfigError::EnvVar),
    /// [`ConfigError::BaseUrl`](crate::ConfigError::BaseUrl)).
    pub fn from_env() -> Result<Self, Error> {
        use crate::{
            ConfigError, ENV_CAPTURE,
            config::{
                ENV_ALLOW_HTTP_HOST, ENV_API_KEY, ENV_API_SECRET, ENV_BASE_URL, ENV_MAX_ATTEMPTS,
                ENV_TIMEOUT,
            },
        };
        // `std::env::var` reads a value that is not UTF-8 as unset, which would fall back
        // silently to a default (the published sandbox, no deadline) or report a credential
        // missing that is there: such a value is named instead. The value is never shown.
        for variable in [
            ENV_API_KEY,
            ENV_API_SECRET,
            ENV_BASE_URL,
            ENV_TIMEOUT,
            ENV_MAX_ATTEMPTS,
            ENV_ALLOW_HTTP_HOST,
        ] {
            if std::env::var_os(variable).is_some_and(|value| value.to_str().is_none()) {
                return Err(ConfigError::EnvVar {
                    variable,
                    reason: "is set but is not valid UTF-8".into(),
                }
                .into());
            }
        }
        let mut builder = ClientBuilder::from_lookup(|name| std::env::var(name).ok())?;
        // A directory's name need not be UTF-8: taken as the bytes it is.
        if let Some(dir) = std::env::var_os(ENV_CAPTURE).filter(|dir| dir.to_str().is_none()) {
            builder = builder.capture(dir);
        }
        builder.build()
    }

    pub(crate) fn from_parts(
        builder: ClientBuilder,
        base_url: String,
        api_key: String,
        api_secret: SecretString,
        http: reqwest::Client,
    ) -> Self {
        let secrets = Arc::new(Secrets::new(&api_secret));
        let auth = Arc::new(Auth::new(api_key, api_secret));
        let token = TokenHook(Arc::clone(&auth));
        let mut hooks = match &builder.request_hook {
            Some(user) => cryptopocket_api::Hooks::new(Chain(token, Arc::clone(user))),
            None => cryptopocket_api::Hooks::new(token),
        }
        .max_body_bytes(builder.max_body_bytes);
        if let Some(dir) = &builder.capture {
            let capture = crate::capture::Capture::new(dir, Arc::clone(&secrets));
            hooks = hooks.observe(Arc::new(capture));
        }
        let api = cryptopocket_api::Client::new_with_client(&base_url, http, hooks);
        Self {
            inner: Arc::new(Inner {
                api,
                auth,
                attempt_timeout: builder.attempt_timeout,
                deadline: builder.deadline,
                retry: builder.retry,
                secrets,
                base_url,
            }),
            options: CallOptions::default(),
        }
    }

    /// The base URL every path is relative to (it ends in `/api`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Authenticates now, replacing any cached token.
    ///
    /// Never required: every call authenticates when it needs to. Use it to check the
    /// credentials (and the IP whitelist) up front, at start-up or from a health check.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with [`ApiErrorCode::AuthorizationIncorrect`](crate::ApiErrorCode)
    /// when the key and secret are refused, or any transport or decode error.
    pub async fn authenticate(&self) -> Result<(), Error> {
        self.inner.auth.renew(self).await
    }

    /// The API key this client authenticates with (public; it also identifies webhook
    /// deliveries in `X-API-Key`).
    pub fn api_key(&self) -> &str {
        self.inner.auth.api_key()
    }

    /// `text` with the API secret and every token this client has held replaced by
    /// `[redacted]`, in the forms a server may echo them in (as sent, JSON-escaped,
    /// percent-encoded), and with URL userinfo removed.
    ///
    /// Every [`Error`] a call returns has been through this already. Use it on anything
    /// else you print that a server sent: a result you log whole, a webhook body.
    ///
    /// ```
    /// let client = cryptopocket::Client::builder()
    ///     .credentials("key", "the-api-secret")
    ///     .build()?;
    /// assert_eq!(
    ///     client.redact("echo: api_secret=the-api-secret"),
    ///     "echo: api_secret=[redacted]"
    /// );
    /// # Ok::<(), cryptopocket::Error>(())
    /// ```
    pub fn redact(&self, text: &str) -> String {
        self.inner
            .secrets
            .redact(&crate::redact::redact_userinfo(text))
    }

    /// The generated low-level client underneath, for anything this crate does not cover.
    /// It carries this client's token hook, body cap, capture (when on), connect timeout
    /// and request timeout (the attempt timeout, bounding the whole exchange, body
    /// included), and never follows redirects; but a raw call has no deadline of its own,
    /// no retries and no redaction of its errors: those belong to this crate's calls.
    pub fn raw(&self) -> &cryptopocket_api::Client {
        &self.inner.api
    }
}

/// The crate's token hook, then the user's; the `auth` header leaves marked sensitive
/// whatever the user's hook did to it.
struct Chain(TokenHook, Arc<dyn RequestHook>);

impl RequestHook for Chain {
    fn before_send(&self, request: &mut reqwest::Request, operation_id: &'static str) {
        self.0.before_send(request, operation_id);
        self.1.before_send(request, operation_id);
        if let reqwest::header::Entry::Occupied(mut entry) =
            request.headers_mut().entry(cryptopocket_api::AUTH)
        {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// A hook that replaces the token with a value it did not mark sensitive.
    struct Replaces;

    impl RequestHook for Replaces {
        fn before_send(&self, request: &mut reqwest::Request, _: &'static str) {
            let plain = HeaderValue::from_static("replaced");
            request
                .headers_mut()
                .insert(cryptopocket_api::AUTH_HEADER, plain);
        }
    }

    #[test]
    fn the_auth_header_leaves_sensitive_whatever_the_users_hook_did() {
        let auth = Arc::new(Auth::new("k".into(), SecretString::from("s")));
        let chain = Chain(TokenHook(auth), Arc::new(Replaces));
        let mut request =
            reqwest::Request::new(reqwest::Method::GET, "http://127.0.0.1/".parse().unwrap());
        chain.before_send(&mut request, "get_payment");
        let sent = request
            .headers()
            .get(cryptopocket_api::AUTH_HEADER)
            .unwrap();
        assert_eq!(sent, "replaced");
        assert!(sent.is_sensitive());
        assert!(!format!("{request:?}").contains("replaced"));
    }
}

//! The [`Client`] and its configuration-derived state.

use std::{fmt, sync::Arc, time::Duration};

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
/// client can serve a whole service.
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
}

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

    /// A client configured from `CRYPTOPOCKET_API_KEY`, `CRYPTOPOCKET_API_SECRET` and,
    /// optionally, `CRYPTOPOCKET_BASE_URL` (the sandbox when unset) and
    /// `CRYPTOPOCKET_CAPTURE` (a directory: write every exchange there, redacted; see
    /// [`ClientBuilder::capture`]).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable that is missing or wrong.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())?.build()
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
        let mut hooks = cryptopocket_api::Hooks::new(TokenHook(Arc::clone(&auth)))
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
    /// It carries this client's token hook, body cap, capture (when on), connect and
    /// per-read timeouts, and never follows redirects; but a raw call has no deadline, no
    /// retries and no redaction of its errors: those belong to this crate's calls.
    pub fn raw(&self) -> &cryptopocket_api::Client {
        &self.inner.api
    }
}

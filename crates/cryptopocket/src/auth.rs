//! The token: obtained lazily, cached, refreshed by one caller at a time.
//!
//! Many tasks may find the token missing or expired at once; they queue on one lock, the
//! first refreshes, and the rest find the fresh token when they get the lock (single
//! flight). Each token has a generation number so that a task that saw an old token refused
//! does not throw away a newer one that another task already fetched.
//!
//! A call's usual path takes no lock and changes no reference count that every thread's
//! calls change: it reads the generation published in an atomic, and clones the token from
//! a copy of it that its own thread keeps (see [`Auth::cached_at`]), instead of taking the
//! read lock and cloning the shared `Arc` and header value. On one thread either is a few
//! instructions; with calls in flight on every core, each atomic write to memory all calls
//! share moves a cache line between cores.

use std::{
    cell::{Cell, RefCell},
    fmt,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use cryptopocket_api::{AUTH, Endpoint as _, RequestHook, endpoints, types};
use futures::{FutureExt as _, future::BoxFuture};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret as _, SecretString};

use crate::{Client, Error, convert::field, envelope::TOKEN_PLACES};

/// The operation that obtains tokens, which sends none itself.
const AUTHENTICATE: &cryptopocket_api::Operation = endpoints::Authenticate::OPERATION;

/// A token the API issued.
pub(crate) struct Token {
    /// The header value, marked sensitive so reqwest never prints it.
    value: HeaderValue,
    pub(crate) generation: u64,
    expires_at: Option<Instant>,
}

impl Token {
    /// The token as an attempt sends it (a clone of the shared value: off the usual path).
    fn for_attempt(&self) -> AttemptToken {
        AttemptToken {
            value: self.value.clone(),
            generation: self.generation,
        }
    }

    fn is_fresh_at(&self, now: Instant) -> bool {
        is_fresh_at(self.expires_at, now)
    }
}

fn is_fresh_at(expires_at: Option<Instant>, now: Instant) -> bool {
    expires_at.is_none_or(|at| now < at)
}

/// The token one attempt sends: the header value and its generation (to invalidate exactly
/// that token when the server refuses it).
pub(crate) struct AttemptToken {
    pub(crate) value: HeaderValue,
    pub(crate) generation: u64,
}

/// A thread's own copy of one client's current token ([`Auth::cached_at`]).
struct LocalToken {
    /// [`Auth::id`] of the client it belongs to.
    auth: u64,
    generation: u64,
    expires_at: Option<Instant>,
    /// A copy of the token's bytes made on this thread, so that the reference count its
    /// clones change is not the one every other thread's calls change.
    value: HeaderValue,
}

std::thread_local! {
    /// This thread's copy of the token it last sent (one client's; a thread alternating
    /// between clients copies again on each switch, which is only slower). It stays after
    /// the token is replaced or its client dropped, until this thread's next call replaces
    /// it or the thread ends, as copies of the token in requests and connections' buffers
    /// do; it is never printed ([`HeaderValue`]s marked sensitive print as `Sensitive`).
    static LOCAL_TOKEN: RefCell<Option<LocalToken>> = const { RefCell::new(None) };
}

/// Gives every [`Auth`] a number no other in this process has, so that a thread's copy of a
/// token is never taken for another client's, even one at the same address.
static AUTH_IDS: AtomicU64 = AtomicU64::new(1);

/// Credentials and the current token.
pub(crate) struct Auth {
    api_key: String,
    api_secret: SecretString,
    current: RwLock<Option<Arc<Token>>>,
    /// The generation of `current` when it holds a token, else 0; written under `current`'s
    /// write lock, read without it by [`cached_at`](Self::cached_at).
    published: AtomicU64,
    /// This value's number in the process ([`AUTH_IDS`]).
    id: u64,
    refresh: tokio::sync::Mutex<()>,
    generations: AtomicU64,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("api_key", &self.api_key)
            .field("api_secret", &"[redacted]")
            .field("has_token", &self.cached().is_some())
            .finish()
    }
}

impl Auth {
    pub(crate) fn new(api_key: String, api_secret: SecretString) -> Self {
        Self {
            api_key,
            api_secret,
            current: RwLock::new(None),
            published: AtomicU64::new(0),
            id: AUTH_IDS.fetch_add(1, Ordering::Relaxed),
            refresh: tokio::sync::Mutex::new(()),
            generations: AtomicU64::new(0),
        }
    }

    pub(crate) fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The current token, when there is one and it is fresh.
    pub(crate) fn cached(&self) -> Option<Arc<Token>> {
        self.current_at(Instant::now())
    }

    /// The current token, when there is one and it is still fresh at `now`.
    fn current_at(&self, now: Instant) -> Option<Arc<Token>> {
        // A poisoned lock only means another thread panicked mid-write of an Option<Arc>;
        // the value is still whole.
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().filter(|t| t.is_fresh_at(now)).cloned()
    }

    /// Makes `token` (or none) the current one and publishes its generation.
    fn install(&self, token: Option<Arc<Token>>) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        self.published.store(
            token.as_ref().map_or(0, |t| t.generation),
            Ordering::Release,
        );
        *current = token;
    }

    /// The current token for one attempt, when there is one and it is still fresh at `now`.
    ///
    /// The usual path takes no lock and changes no reference count other threads change:
    /// when this thread's copy is of the published generation, it is cloned. Otherwise the
    /// current token is read under the lock and this thread's copy made anew.
    #[inline]
    pub(crate) fn cached_at(&self, now: Instant) -> Option<AttemptToken> {
        let published = self.published.load(Ordering::Acquire);
        if published == 0 {
            return None;
        }
        let local = LOCAL_TOKEN.try_with(|slot| {
            let slot = slot.try_borrow().ok()?;
            let local = slot.as_ref()?;
            (local.auth == self.id
                && local.generation == published
                && is_fresh_at(local.expires_at, now))
            .then(|| AttemptToken {
                value: local.value.clone(),
                generation: published,
            })
        });
        match local {
            Ok(Some(token)) => Some(token),
            _ => self.cached_at_anew(now),
        }
    }

    /// [`cached_at`](Self::cached_at) under the lock, leaving this thread a copy.
    #[cold]
    #[inline(never)]
    fn cached_at_anew(&self, now: Instant) -> Option<AttemptToken> {
        let token = self.current_at(now)?;
        // The bytes were a header value already: the copy is one too.
        let Ok(mut value) = HeaderValue::from_bytes(token.value.as_bytes()) else {
            return Some(token.for_attempt());
        };
        value.set_sensitive(true);
        let local = LocalToken {
            auth: self.id,
            generation: token.generation,
            expires_at: token.expires_at,
            value,
        };
        let attempt = AttemptToken {
            value: local.value.clone(),
            generation: token.generation,
        };
        // The copy replaced is dropped after the slot is released.
        let _replaced = LOCAL_TOKEN
            .try_with(|slot| {
                slot.try_borrow_mut()
                    .ok()
                    .and_then(|mut slot| slot.replace(local))
            })
            .ok()
            .flatten();
        Some(attempt)
    }

    /// The current token, authenticating first when there is none or it expired.
    ///
    /// Returns a boxed future on purpose: authenticating is itself a call, and calls ask for
    /// tokens, so without the box the future types would contain themselves.
    pub(crate) fn token<'a>(
        &'a self,
        client: &'a Client,
    ) -> BoxFuture<'a, Result<AttemptToken, Error>> {
        async move {
            if let Some(token) = self.cached() {
                return Ok(token.for_attempt());
            }
            let _single_flight = self.refresh.lock().await;
            if let Some(token) = self.cached() {
                return Ok(token.for_attempt());
            }
            let token = Arc::new(self.authenticate(client).await?);
            let attempt = token.for_attempt();
            self.install(Some(token));
            Ok(attempt)
        }
        .boxed()
    }

    /// Authenticates now, replacing the cached token whatever its age.
    pub(crate) async fn renew(&self, client: &Client) -> Result<(), Error> {
        let _single_flight = self.refresh.lock().await;
        let token = Arc::new(self.authenticate(client).await?);
        self.install(Some(token));
        Ok(())
    }

    /// Forgets the token of `generation` after the server refused it (a newer one stays).
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|t| t.generation == generation) {
            self.published.store(0, Ordering::Release);
            *current = None;
        }
    }

    async fn authenticate(&self, client: &Client) -> Result<Token, Error> {
        let api_key = self.api_key.clone();
        let api_secret = self.api_secret.clone();
        let parts = client
            .call::<endpoints::Authenticate>(move |api| {
                let body = types::AuthenticateRequest {
                    api_key: api_key.clone(),
                    api_secret: api_secret.expose_secret().to_owned(),
                };
                crate::convert::boxed(|| api.authenticate().body(body).send())
            })
            .await
            .map_err(|mut error| {
                // Every call depends on this guess: say where the token was looked for.
                if let Error::Decode { reason, .. } = &mut error {
                    reason.push_str("; the token was looked for at ");
                    reason.push_str(TOKEN_PLACES);
                }
                error
            })?;
        let issued = parts.data.ok_or_else(|| Error::Decode {
            operation: AUTHENTICATE.id,
            path: "data".into(),
            reason: format!("a success envelope without a token at {TOKEN_PLACES}"),
            excerpt: String::new(),
        })?;
        // Remembered before anything else, so that a server echoing it from now on (even
        // one this client then refuses to send) never gets it printed.
        client.inner.secrets.remember_token(&issued.token);
        let header = HeaderValue::from_str(&issued.token)
            .map_err(|_| "the token cannot be sent as a header value");
        let mut value = field(AUTHENTICATE.id, "data.token", header)?;
        value.set_sensitive(true);
        Ok(Token {
            value,
            generation: self.generations.fetch_add(1, Ordering::Relaxed) + 1,
            expires_at: expiry(issued.expires_in),
        })
    }
}

/// When to stop using a token that lives `expires_in` seconds: a little early, so that a
/// request does not leave with a token that dies on the way.
pub(crate) fn expiry(expires_in: Option<i64>) -> Option<Instant> {
    let lifetime = Duration::from_secs(u64::try_from(expires_in?).ok()?);
    let margin = (lifetime / 10).min(Duration::from_secs(30));
    Instant::now().checked_add(lifetime - margin)
}

std::thread_local! {
    /// The token of the attempt being polled on this thread: `None` outside the call loop's
    /// attempts (a raw call), `Some(None)` in an attempt that sends none or whose request
    /// has taken it. A `Cell` swapped in around the polls of an attempt's request until its
    /// hook has taken the token (see [`with_token`]): cheaper than a task-local around every
    /// poll, and the hook takes the value instead of cloning it.
    static ATTEMPT_TOKEN: Cell<Option<Option<HeaderValue>>> = const { Cell::new(None) };
}

/// Runs `poll`, one poll of an attempt's request, with `token` as the one the request's
/// hook puts in the `auth` header: `Some(Some(value))` until the hook has taken it, then
/// `Some(None)`; `None` for an attempt that sends none.
///
/// The token is on the thread only during the poll, so another task's attempt polled on
/// the same thread in between never sees it; and only until the hook has taken it (in the
/// first poll: the generated code builds the request and runs the hook before it awaits
/// anything), after which the request is polled bare.
#[inline]
pub(crate) fn with_token<R>(
    token: &mut Option<Option<HeaderValue>>,
    poll: impl FnOnce() -> R,
) -> R {
    if !matches!(token, Some(Some(_))) {
        return poll();
    }
    // The poll's result is the tail, written where the caller wants it; the scope ends
    // after it.
    let _scope = Scope::enter(token);
    poll()
}

/// An attempt's token put on the thread for one poll; dropping it (after the poll, or
/// while a panic unwinds) puts back whatever was there and keeps what is left of the token.
struct Scope<'a> {
    slot: &'a mut Option<Option<HeaderValue>>,
    outer: Option<Option<HeaderValue>>,
}

impl<'a> Scope<'a> {
    #[inline]
    fn enter(slot: &'a mut Option<Option<HeaderValue>>) -> Self {
        let mine = slot.take();
        // Only while the thread is being torn down is the cell gone: the request then
        // gets the current token, as a raw call does.
        let outer = ATTEMPT_TOKEN
            .try_with(|cell| cell.replace(mine))
            .unwrap_or(None);
        Self { slot, outer }
    }
}

impl Drop for Scope<'_> {
    #[inline]
    fn drop(&mut self) {
        let outer = self.outer.take();
        if let Ok(mine) = ATTEMPT_TOKEN.try_with(|cell| cell.replace(outer)) {
            *self.slot = mine;
        }
    }
}

/// Puts the token in the `auth` header of every request but `authenticate`: the one the
/// attempt fetched when the crate's call loop sends it, else (a raw call through
/// `Client::raw`) the current one.
pub(crate) struct TokenHook(pub(crate) Arc<Auth>);

impl RequestHook for TokenHook {
    fn before_send(&self, request: &mut reqwest::Request, operation_id: &'static str) {
        // Hooks are given progenitor's name of the operation, not its operationId.
        if operation_id == AUTHENTICATE.name {
            return;
        }
        // An attempt sends one request: its token is taken, not cloned.
        let attempt = ATTEMPT_TOKEN
            .try_with(|cell| {
                let attempt = cell.take();
                if attempt.is_some() {
                    cell.set(Some(None));
                }
                attempt
            })
            .ok()
            .flatten();
        let token = attempt.unwrap_or_else(|| {
            let guard = self.0.current.read().unwrap_or_else(|e| e.into_inner());
            guard.as_ref().map(|t| t.value.clone())
        });
        if let Some(token) = token {
            request.headers_mut().insert(AUTH, token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_a_little_early() {
        let at = expiry(Some(3600)).unwrap();
        let left = at.saturating_duration_since(Instant::now());
        assert!(left <= Duration::from_secs(3570) && left > Duration::from_secs(3560));
        assert!(expiry(Some(-5)).is_none());
        assert!(expiry(None).is_none());
        // A very short lifetime still yields a usable, earlier instant.
        assert!(expiry(Some(1)).unwrap() <= Instant::now() + Duration::from_secs(1));
    }

    #[test]
    fn invalidating_an_old_generation_keeps_the_new_token() {
        let auth = Auth::new("k".into(), SecretString::from("s"));
        auth.install(Some(Arc::new(Token {
            value: HeaderValue::from_static("t"),
            generation: 2,
            expires_at: None,
        })));
        auth.invalidate(1);
        assert_eq!(auth.cached().map(|t| t.generation), Some(2));
        auth.invalidate(2);
        assert!(auth.cached().is_none());
        assert!(!format!("{auth:?}").contains("\"s\""));
    }

    #[tokio::test]
    async fn a_request_carries_its_attempts_token_not_the_newest() {
        let auth = Arc::new(Auth::new("k".into(), SecretString::from("s")));
        auth.install(Some(Arc::new(Token {
            value: HeaderValue::from_static("newest"),
            generation: 2,
            expires_at: None,
        })));
        let hook = TokenHook(Arc::clone(&auth));
        let sent = |operation| {
            let mut request =
                reqwest::Request::new(reqwest::Method::GET, "http://127.0.0.1/".parse().unwrap());
            hook.before_send(&mut request, operation);
            request
                .headers()
                .get(cryptopocket_api::AUTH_HEADER)
                .cloned()
        };
        let fetched = Token {
            value: HeaderValue::from_static("fetched"),
            generation: 1,
            expires_at: None,
        };
        let mut fetched = Some(Some(fetched.for_attempt().value));
        let in_attempt = with_token(&mut fetched, || sent("get_quote"));
        // The hook took it: a second request of the attempt gets none.
        assert!(matches!(fetched, Some(None)));
        assert_eq!(in_attempt, Some(HeaderValue::from_static("fetched")));
        // Outside the call loop (a raw call), the current token is sent.
        assert_eq!(sent("get_quote"), Some(HeaderValue::from_static("newest")));
        // authenticate never sends one.
        assert_eq!(sent(AUTHENTICATE.name), None);
    }

    fn token(value: &'static str, generation: u64, expires_at: Option<Instant>) -> Arc<Token> {
        let mut value = HeaderValue::from_static(value);
        value.set_sensitive(true);
        Arc::new(Token {
            value,
            generation,
            expires_at,
        })
    }

    fn sent_by(auth: &Auth, now: Instant) -> Option<(Vec<u8>, u64)> {
        auth.cached_at(now)
            .map(|t| (t.value.as_bytes().to_vec(), t.generation))
    }

    /// The thread's copy is used only while it is of the published generation, of this
    /// client, and fresh: a replaced, refused or expired token is never sent from it.
    #[test]
    fn the_threads_copy_follows_the_current_token() {
        let now = Instant::now();
        let auth = Auth::new("k".into(), SecretString::from("s"));
        assert_eq!(sent_by(&auth, now), None);
        auth.install(Some(token("first", 1, None)));
        assert_eq!(sent_by(&auth, now), Some((b"first".to_vec(), 1)));
        // From the thread's copy now (the same answer, and sensitive like the original).
        assert_eq!(sent_by(&auth, now), Some((b"first".to_vec(), 1)));
        assert!(auth.cached_at(now).unwrap().value.is_sensitive());

        auth.install(Some(token("second", 2, None)));
        assert_eq!(sent_by(&auth, now), Some((b"second".to_vec(), 2)));
        auth.invalidate(2);
        assert_eq!(sent_by(&auth, now), None);

        // Another client's token on the same thread is never taken for this one's.
        let other = Auth::new("k".into(), SecretString::from("s"));
        other.install(Some(token("other", 3, None)));
        auth.install(Some(token("third", 3, None)));
        assert_eq!(sent_by(&other, now), Some((b"other".to_vec(), 3)));
        assert_eq!(sent_by(&auth, now), Some((b"third".to_vec(), 3)));
        assert_eq!(sent_by(&other, now), Some((b"other".to_vec(), 3)));

        // An expired token is not sent, from the copy or otherwise.
        let expires = now + Duration::from_secs(60);
        auth.install(Some(token("fourth", 4, Some(expires))));
        assert_eq!(sent_by(&auth, now), Some((b"fourth".to_vec(), 4)));
        assert_eq!(sent_by(&auth, expires), None);
        assert_eq!(sent_by(&auth, now), Some((b"fourth".to_vec(), 4)));
    }
}

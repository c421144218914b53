//! Running one operation: token, attempts, retries, deadline, decoding, tracing.
//!
//! The rule that matters most: a call that creates something (a payment, an off-ramp, a
//! customer, a reconciliation) is never sent again once it may have reached the server,
//! because the API has no idempotency keys and a second send can move money twice. The only
//! replay is after the server refused the request with `authorization_incorrect`, which
//! means it did nothing with it.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant, SystemTime},
};

use cryptopocket_api::{Endpoint as _, endpoints};
use progenitor_client::ResponseValue;
use reqwest::header::HeaderValue;
use tracing::Instrument as _;

use crate::{
    Client, Error,
    envelope::{Data, Envelope as _, ErrorBody as _, Parts, Wired, second_look},
    error::excerpt,
    lenient,
    model::ApiErrorCode,
    retry::parse_retry_after,
};

/// One attempt of `E`: the generated client's send future, boxed ([`crate::convert::boxed`]),
/// polled through [`SendInto`] so that a decoded 200 envelope's parts go straight into the
/// caller's slot.
pub(crate) type Attempt<'a, E> = Pin<Box<dyn SendInto<E> + Send + 'a>>;

/// The generated client's send future of `E`, polled so that a decoded 200 envelope is taken
/// apart into `parts` where the future produced it, and the future's value is only what
/// went wrong. Returned through the box's poll and each layer of futures above it, the
/// ~400-byte `Result<ResponseValue<_>, _>` was copied some six times a call; the small
/// `Result<(), _>` of a success is a tag.
pub(crate) trait SendInto<E: Wired> {
    /// Polls the send with `token` as the attempt's ([`crate::auth::with_token`]); on a
    /// decoded 200 envelope, writes its parts into `parts` and is ready with `Ok(())`.
    fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        token: &mut Option<Option<HeaderValue>>,
        parts: &mut Option<Parts<Data<E>>>,
    ) -> Poll<Result<(), progenitor_client::Error<E::ErrorBody>>>;
}

impl<E: Wired, F> SendInto<E> for F
where
    F: Future<Output = Result<ResponseValue<E::Envelope>, progenitor_client::Error<E::ErrorBody>>>,
{
    #[inline]
    fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        token: &mut Option<Option<HeaderValue>>,
        parts: &mut Option<Parts<Data<E>>>,
    ) -> Poll<Result<(), progenitor_client::Error<E::ErrorBody>>> {
        match crate::auth::with_token(token, || self.poll(cx)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(value)) => {
                *parts = Some(value.into_inner().into_parts());
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
        }
    }
}

/// A UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// The longest part of an unexpected body kept for its error message.
const UNEXPECTED_BODY_BYTES: usize = 1024;

/// How much longer than one attempt the time left must be for the HTTP client's request
/// timeout alone to bound the attempt. That timer is armed when the request leaves, a few
/// microseconds of building after the time left was measured; the slack covers that and
/// a thread descheduled meanwhile, so the attempt still ends before the deadline.
const TIMER_SLACK: Duration = Duration::from_secs(1);

impl Client {
    /// Runs `send` until it succeeds, fails for good, or the deadline passes.
    ///
    /// The deadline and retry policy are this value's per-call options (set by an area's
    /// `with_timeout` / `with_retry`) where given, else the client's; options that cannot
    /// be used fail the call before anything is sent.
    ///
    /// `send` builds and sends the request from owned values each time it is called, so a
    /// retry sends exactly the same request. Everything else comes from the spec through
    /// `E`: the operationId (errors and spans name it), the effect (whether a failed attempt
    /// may be repeated), the envelope and the declared error body.
    pub(crate) async fn call<E: Wired>(
        &self,
        send: impl for<'a> Fn(&'a cryptopocket_api::Client) -> Attempt<'a, E>,
    ) -> Result<Parts<Data<E>>, Error> {
        let mut parts = None;
        self.call_into::<E>(send, &mut parts).await?;
        Ok(parts.expect("a successful call leaves its parts"))
    }

    /// [`call`](Self::call), the parts of a success written into `parts`, a slot the
    /// caller owns: a caller that converts them reads them where they were decoded,
    /// instead of having them moved out through this future's value first.
    pub(crate) async fn call_into<E: Wired>(
        &self,
        send: impl for<'a> Fn(&'a cryptopocket_api::Client) -> Attempt<'a, E>,
        parts: &mut Option<Parts<Data<E>>>,
    ) -> Result<(), Error> {
        let operation = E::OPERATION.id;
        let span = tracing::info_span!(
            "cryptopocket",
            operation,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let mut attempts = 0;
        // The successful attempt writes the parts straight into `parts`, so that they are
        // not moved again through every layer of futures on their way out.
        //
        // Without a subscriber that wants the span (the usual case in a hot loop), the
        // attempts run bare: no span to enter on every poll, no fields to format.
        if span.is_disabled() {
            let result = self
                .attempts::<E>(started, &send, &mut attempts, parts)
                .await;
            match &result {
                Ok(()) => tracing::debug!("call succeeded"),
                Err(e) if e.is_retryable() => tracing::warn!(error = %e, "call failed"),
                Err(e) => tracing::info!(error = %e, "call failed"),
            }
            return result;
        }
        let result = self
            .attempts::<E>(started, &send, &mut attempts, parts)
            .instrument(span.clone())
            .await;
        span.record("attempts", attempts);
        let outcome = match &result {
            Ok(_) => "ok",
            Err(Error::Api(e)) => e.code.as_str(),
            Err(e) => error_kind(e),
        };
        span.record("status", outcome);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        let _entered = span.enter();
        match &result {
            Ok(_) => tracing::debug!("call succeeded"),
            Err(e) if e.is_retryable() => tracing::warn!(error = %e, "call failed"),
            Err(e) => tracing::info!(error = %e, "call failed"),
        }
        result
    }

    /// The attempts of one call; `attempts` counts them for the span, and the successful
    /// one leaves the envelope's parts in `parts`.
    async fn attempts<E: Wired>(
        &self,
        started: Instant,
        send: &impl for<'a> Fn(&'a cryptopocket_api::Client) -> Attempt<'a, E>,
        attempts: &mut u32,
        parts: &mut Option<Parts<Data<E>>>,
    ) -> Result<(), Error> {
        let operation = E::OPERATION.id;
        self.options.check()?;
        let (deadline, budget) = deadline_after(
            started,
            self.options.deadline.unwrap_or(self.inner.deadline),
        );
        let retry = self.options.retry.as_ref().unwrap_or(&self.inner.retry);
        let timeout = || Error::Timeout {
            operation,
            elapsed: started.elapsed(),
        };
        let mut failures = 0u32;
        let mut replayed_after_auth = false;
        // The first attempt starts the moment the call did (a few microseconds of the
        // above ago), with the whole budget left: one reading of the clock and one
        // subtraction fewer on the usual path.
        let mut first = Some(budget);
        loop {
            *attempts += 1;
            let (mut now, mut left) = match first.take() {
                Some(budget) => (started, Some(budget)),
                None => (Instant::now(), None),
            };
            // Authenticating is part of the call, and so is its time.
            let token = if operation == endpoints::Authenticate::OPERATION.id {
                None
            } else if let Some(token) = self.inner.auth.cached_at(now) {
                // The usual case: a fresh token is at hand, no future to box or time.
                Some(token)
            } else {
                let token = self.inner.auth.token(self);
                let token = match tokio::time::timeout_at(deadline.into(), token).await {
                    Err(_) => return Err(timeout()),
                    Ok(token) => Some(token?),
                };
                now = Instant::now();
                left = None;
                token
            };
            // What a refusal invalidates; the value itself goes into the request.
            let generation = token.as_ref().map(|t| t.generation);
            let remaining = left.unwrap_or_else(|| deadline.saturating_duration_since(now));
            if remaining.is_zero() {
                return Err(timeout());
            }
            // The request carries the token this attempt fetched, whatever happens to the
            // cached one meanwhile, so a refusal is charged to the right generation. The
            // whole attempt runs under the budget: sending, the status, and every body read
            // (success, declared error or unexpected status).
            // Pinned where it is built: awaited, it is not moved (a `memcpy` of its whole
            // state) into the loop's future first.
            let attempt = std::pin::pin!(async {
                let mut request = send(&self.inner.api);
                let mut token = token.map(|t| Some(t.value));
                let sent =
                    std::future::poll_fn(|cx| request.as_mut().poll_into(cx, &mut token, parts))
                        .await;
                match sent {
                    // The usual case, inline: the envelope's fields were moved once, straight
                    // into the slot the caller takes the parts from, and are looked at there.
                    Ok(()) => match parts {
                        Some(done) if done.is_success() => Ok(()),
                        _ => parts.take().map_or(Ok(()), |done| {
                            Err(Error::Api(done.into_api_error(operation)))
                        }),
                    },
                    Err(error) => match classify::<E>(started, error) {
                        Classified::Done(outcome) => outcome.map(|done| *parts = Some(done)),
                        // Rare, and its body read would make every attempt's future larger.
                        Classified::Unexpected(response) => {
                            Err(Box::pin(unexpected(operation, started, *response)).await)
                        }
                    },
                }
            });
            let attempt_timeout = self.inner.attempt_timeout;
            let outcome = if remaining >= attempt_timeout.saturating_add(TIMER_SLACK) {
                // The HTTP client's own timeout (the attempt timeout, armed when the request
                // leaves, bounding every body read too: see `ClientBuilder::build`) ends
                // the attempt well before the deadline; a second timer would buy nothing.
                attempt.await
            } else {
                // Measured afresh: this timer alone keeps the deadline.
                let ends = Instant::now()
                    .checked_add(attempt_timeout)
                    .map_or(deadline, |at| at.min(deadline));
                match tokio::time::timeout_at(ends.into(), attempt).await {
                    Err(_) => Err(timeout()),
                    Ok(outcome) => outcome,
                }
            };
            let error = match outcome {
                Ok(()) => return Ok(()),
                // Redacted here, before it is logged or returned.
                Err(error) => self.inner.secrets.redact_error(error),
            };
            // The token expired or was revoked: the server refused without acting, so one
            // fresh token and one replay are safe, even for a create.
            if let (Error::Api(api), Some(generation)) = (&error, generation)
                && api.code == ApiErrorCode::AuthorizationIncorrect
                && !replayed_after_auth
            {
                replayed_after_auth = true;
                tracing::debug!("token refused; authenticating again and replaying once");
                self.inner.auth.invalidate(generation);
                continue;
            }
            failures += 1;
            // Reads and idempotent writes are repeated on a transient failure; a create
            // only when it certainly never reached the server.
            let retryable = error.is_retryable()
                && (E::OPERATION.effect.is_repeatable() || !error.may_have_reached_server());
            if !retryable || failures >= retry.get_max_attempts() {
                return Err(error);
            }
            let retry_after = match &error {
                Error::UnexpectedStatus {
                    retry_after: Some(asked),
                    status,
                    ..
                } => Some((*asked, *status)),
                _ => None,
            };
            let now = Instant::now();
            // A server's `Retry-After` can be any number: it is never added unchecked.
            if let Some((asked, status)) = retry_after
                && now.checked_add(asked).is_none_or(|at| at >= deadline)
            {
                return Err(Error::RetryAfterPastDeadline {
                    operation,
                    status,
                    retry_after: asked,
                });
            }
            let wait = retry.backoff(failures, retry_after.map(|(asked, _)| asked));
            let Some(resume) = now.checked_add(wait).filter(|at| *at < deadline) else {
                return Err(error);
            };
            tracing::debug!(wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            // Boxed: a timer is large and only a retry needs one.
            Box::pin(tokio::time::sleep_until(resume.into())).await;
        }
    }
}

/// The instant `budget` after `start`, and the time from `start` to it. Budgets are
/// bounded by the builder ([`crate::MAX_TIMEOUT`]); should an instant still not be
/// representable, the call gets no time rather than a panic.
#[inline]
fn deadline_after(start: Instant, budget: Duration) -> (Instant, Duration) {
    match start.checked_add(budget) {
        Some(deadline) => (deadline, budget),
        None => deadline_within_max(start),
    }
}

/// [`deadline_after`] when `start + budget` is not an instant.
#[cold]
fn deadline_within_max(start: Instant) -> (Instant, Duration) {
    start
        .checked_add(crate::MAX_TIMEOUT)
        .map_or((start, Duration::ZERO), |at| (at, crate::MAX_TIMEOUT))
}

/// What a failed attempt came to: its outcome, or a response of an unexpected status whose
/// body is still to be read (the only case that needs to wait for anything).
enum Classified<T> {
    Done(Result<T, Error>),
    Unexpected(Box<reqwest::Response>),
}

/// Turns what the generated client returned instead of a decoded 200 envelope into the
/// envelope's parts (a body only the second or lenient look could read) or an [`Error`].
fn classify<E: Wired>(
    started: Instant,
    error: progenitor_client::Error<E::ErrorBody>,
) -> Classified<Parts<Data<E>>> {
    use progenitor_client::Error as Generated;
    let operation = E::OPERATION.id;
    Classified::Done(match error {
        Generated::InvalidResponsePayload(body, _) => {
            // PHP behind a misconfigured editor or proxy prefixes a byte-order mark, which
            // serde_json refuses; the JSON after it is read as if the mark were not there.
            let body = body.strip_prefix(UTF8_BOM).unwrap_or(&body);
            match serde_json::from_slice::<E::Envelope>(body) {
                Ok(envelope) => envelope
                    .into_parts()
                    .into_result(operation)
                    .map_err(Error::Api),
                Err(_) => Err(second_look::<E>(body)),
            }
            .or_else(|error| match error {
                // An error envelope stays an error; only a body that failed to decode gets
                // the lenient reading, and keeps its first error when that does not help.
                Error::Decode { .. } => {
                    lenient::decode::<E>(body)
                        .ok_or(error)
                        .and_then(|(envelope, _)| {
                            envelope
                                .into_parts()
                                .into_result(operation)
                                .map_err(Error::Api)
                        })
                }
                other => Err(other),
            })
        }
        Generated::ErrorResponse(value) => {
            let status = value.status().as_u16();
            Err(value.into_inner().into_error(operation, status))
        }
        Generated::UnexpectedResponse(response) => {
            return Classified::Unexpected(Box::new(response));
        }
        Generated::CommunicationError(e) => Err(transport(operation, started, &e)),
        Generated::InvalidRequest(message) => Err(Error::InvalidRequest(message)),
        Generated::ResponseBodyError(e) | Generated::InvalidUpgrade(e) => {
            Err(body_error(operation, started, &e))
        }
        Generated::Custom(message) => Err(Error::Transport {
            operation,
            message,
            maybe_sent: true,
        }),
    })
}

/// A body that could not be read whole: over the cap, too slow, or cut off.
fn body_error(operation: &'static str, started: Instant, error: &reqwest::Error) -> Error {
    if let Some(cap) = cryptopocket_api::BodyTooLarge::find(error) {
        return Error::BodyTooLarge {
            operation,
            limit: cap.limit,
        };
    }
    transport(operation, started, error)
}

fn transport(operation: &'static str, started: Instant, error: &reqwest::Error) -> Error {
    if error.is_timeout() {
        return Error::Timeout {
            operation,
            elapsed: started.elapsed(),
        };
    }
    Error::Transport {
        operation,
        // reqwest's messages name the URL, which holds ids but never credentials; the
        // cause ("Connection refused", a TLS failure) is in the source chain.
        message: with_causes(error),
        // Only a connect failure proves the request never left.
        maybe_sent: !error.is_connect(),
    }
}

/// An error's text followed by each cause's that adds something.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The origin (`scheme://host:port`) a redirect points to, resolved against the request's
/// URL; `None` when the `Location` header is missing or not a URL.
fn redirect_origin(response: &reqwest::Response) -> Option<String> {
    let location = response.headers().get(reqwest::header::LOCATION)?;
    let target = response.url().join(location.to_str().ok()?).ok()?;
    let origin = target.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

async fn unexpected(
    operation: &'static str,
    started: Instant,
    mut response: reqwest::Response,
) -> Error {
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        return Error::Redirect {
            operation,
            status,
            location: redirect_origin(&response),
        };
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let mut body = Vec::new();
    while body.len() < UNEXPECTED_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            // The request's timeout ran out mid-body: the attempt timed out.
            Err(e) if e.is_timeout() => {
                return Error::Timeout {
                    operation,
                    elapsed: started.elapsed(),
                };
            }
            _ => break,
        }
    }
    Error::UnexpectedStatus {
        operation,
        status,
        excerpt: excerpt(&body),
        retry_after,
    }
}

fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::Api(_) => "api_error",
        Error::Validation(_) => "validation_error",
        Error::InvalidRequest(_) => "invalid_request",
        Error::Config(_) => "config_error",
        Error::Transport { .. } => "transport_error",
        Error::Timeout { .. } => "timeout",
        Error::UnexpectedStatus { .. } => "unexpected_status",
        Error::Redirect { .. } => "redirect",
        Error::RetryAfterPastDeadline { .. } => "retry_after_past_deadline",
        Error::BodyTooLarge { .. } => "body_too_large",
        Error::Decode { .. } => "decode_error",
        Error::RepeatedPage { .. } => "repeated_page",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A server that answers `/authenticate` with a token and every other request with
    /// `status`, a `Content-Length` of 1,000 and 10 bytes of body, then stalls.
    async fn stalls_mid_body(status: u16) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    loop {
                        let Ok(n) = stream.read(&mut buffer).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        let head = String::from_utf8_lossy(&buffer[..n]);
                        if head.contains("/authenticate") {
                            let body =
                                r#"{"status":"ok","data":{"token":"t0k3n","expires_in":3600}}"#;
                            let reply = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                 content-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = stream.write_all(reply.as_bytes()).await;
                        } else {
                            let reply = format!(
                                "HTTP/1.1 {status} Status\r\ncontent-type: application/json\r\n\
                                 content-length: 1000\r\n\r\n{{\"status\":"
                            );
                            let _ = stream.write_all(reply.as_bytes()).await;
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            return;
                        }
                    }
                });
            }
        });
        format!("http://{addr}/api")
    }

    fn client(base_url: String, attempt: Duration, deadline: Duration) -> Client {
        Client::builder()
            .environment(crate::Environment::Custom(base_url))
            .allow_plain_http_to("127.0.0.1")
            .credentials("key", "secret")
            .attempt_timeout(attempt)
            .deadline(deadline)
            .retry_policy(crate::RetryPolicy::never())
            .build()
            .unwrap()
    }

    /// With the deadline far off, the HTTP client's request timeout alone bounds the
    /// attempt (no timer of the call loop's own), a stall mid-body included.
    #[tokio::test]
    async fn a_stall_mid_body_ends_at_the_attempt_timeout_without_a_timer_of_our_own() {
        let attempt = Duration::from_millis(300);
        let deadline = Duration::from_secs(20);
        assert!(
            deadline >= attempt + TIMER_SLACK,
            "the fast path is the one under test"
        );
        for status in [200, 500] {
            let client = client(stalls_mid_body(status).await, attempt, deadline);
            client.authenticate().await.unwrap();
            let id = crate::model::PaymentId::new("aBcDeFgHiJkLmNoPqRsTuVwXy").unwrap();
            let started = Instant::now();
            let error = client.onramp().get(&id).await.unwrap_err();
            let took = started.elapsed();
            assert!(
                matches!(error, Error::Timeout { .. }),
                "{status}: {error:?}"
            );
            assert!(
                took >= attempt && took < attempt + Duration::from_secs(2),
                "{status}: took {took:?}"
            );
        }
    }

    /// A raw call through the generated client has the attempt timeout too.
    #[tokio::test]
    async fn a_raw_call_ends_at_the_attempt_timeout() {
        let attempt = Duration::from_millis(300);
        let client = client(stalls_mid_body(200).await, attempt, Duration::from_secs(20));
        let started = Instant::now();
        let result = client
            .raw()
            .get_payment()
            .payment_id("aBcDeFgHiJkLmNoPqRsTuVwXy")
            .send()
            .await;
        let took = started.elapsed();
        assert!(result.is_err());
        assert!(took < attempt + Duration::from_secs(2), "took {took:?}");
    }

    /// With the deadline nearer than one attempt, the call loop's timer ends the call.
    #[tokio::test]
    async fn a_near_deadline_ends_the_call_before_the_attempt_timeout() {
        let deadline = Duration::from_millis(400);
        let client = client(
            stalls_mid_body(200).await,
            Duration::from_secs(10),
            deadline,
        );
        client.authenticate().await.unwrap();
        let id = crate::model::PaymentId::new("aBcDeFgHiJkLmNoPqRsTuVwXy").unwrap();
        let started = Instant::now();
        let error = client.onramp().get(&id).await.unwrap_err();
        let took = started.elapsed();
        assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
        assert!(took < deadline + Duration::from_secs(2), "took {took:?}");
    }

    /// A budget past what an instant can hold falls back to the longest accepted, without
    /// a panic; an ordinary one is used as given.
    #[test]
    fn deadlines_are_always_representable() {
        let now = Instant::now();
        let second = Duration::from_secs(1);
        assert_eq!(deadline_after(now, second), (now + second, second));
        assert_eq!(
            deadline_after(now, Duration::MAX),
            (now + crate::MAX_TIMEOUT, crate::MAX_TIMEOUT)
        );
    }

    #[tokio::test]
    async fn transport_errors_name_their_cause() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let error = reqwest::Client::new()
            .get(format!("http://{addr}/api/quote"))
            .send()
            .await
            .unwrap_err();
        match transport("getQuote", Instant::now(), &error) {
            Error::Transport {
                message,
                maybe_sent,
                ..
            } => {
                assert!(message.to_lowercase().contains("refused"), "{message}");
                assert!(!maybe_sent, "a refused connection never sent anything");
            }
            other => panic!("expected a transport error, got {other:?}"),
        }
    }
}

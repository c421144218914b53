//! When and how long to wait before trying a call again.
//!
//! Only reads are retried after the request may have reached the server: a create that is
//! sent twice can move money twice. See [`crate::Error::is_retryable`] and the call loop in
//! `call.rs`.

use std::time::{Duration, SystemTime};

use crate::{config::MAX_TIMEOUT, error::ConfigError};

/// How reads are retried on transient failures (connect errors, timeouts, HTTP 429, 502,
/// 503, 504): exponential backoff with full jitter, waiting at least what `Retry-After`
/// asks for, always within the call's deadline.
///
/// A builder: start from [`RetryPolicy::default`] or [`RetryPolicy::never`] and set what
/// differs. The values are checked where the policy is used
/// ([`ClientBuilder::build`](crate::ClientBuilder::build), or the call for a per-call policy
/// such as [`OnRamp::with_retry`](crate::onramp::OnRamp::with_retry)): at least one attempt,
/// and backoffs no longer than [`MAX_TIMEOUT`](crate::MAX_TIMEOUT); otherwise
/// [`Error::Config`](crate::Error::Config).
///
/// ```
/// use std::time::Duration;
/// use cryptopocket::{Client, RetryPolicy};
///
/// let retries = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_backoff(Duration::from_secs(2));
/// assert_eq!(retries.get_max_attempts(), 5);
/// let client = Client::builder()
///     .credentials("your_api_key", "your_api_secret")
///     .retry_policy(retries)
///     .build()?;
/// # Ok::<(), cryptopocket::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, backoff from 200 ms up to 5 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all: one attempt (the replay after a refused token still happens,
    /// since the server did nothing with the refused request).
    pub fn never() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, the first included (3 by default; 1 disables retries, 0 is
    /// refused where the policy is used).
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// The backoff ceiling before the first retry (200 ms by default); it doubles after
    /// each attempt, up to [`max_backoff`](Self::max_backoff).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff ceiling (5 s by default).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Attempts in all, the first included.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff ceiling before the first retry.
    pub fn get_initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The largest backoff ceiling.
    pub fn get_max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// Whether the policy can be used: at least one attempt, backoffs within
    /// [`MAX_TIMEOUT`](crate::MAX_TIMEOUT). `setting` names where it was given.
    pub(crate) fn check(&self, setting: &'static str) -> Result<(), ConfigError> {
        if self.max_attempts == 0 {
            return Err(ConfigError::InvalidValue {
                setting,
                reason: "max_attempts must be 1 or more (1 means no retries)".into(),
            });
        }
        for (name, value) in [
            ("initial_backoff", self.initial_backoff),
            ("max_backoff", self.max_backoff),
        ] {
            if value > MAX_TIMEOUT {
                return Err(ConfigError::DurationOutOfRange {
                    setting: name,
                    value,
                    max: MAX_TIMEOUT,
                });
            }
        }
        Ok(())
    }

    /// How long to wait after failed attempt number `attempt` (1-based). Full jitter keeps
    /// many clients that failed together from retrying together.
    pub(crate) fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // `mul_f64` panics when the product rounds past `Duration::MAX`, which a ceiling
        // near it can; the checked conversion falls back to the ceiling.
        let jittered = Duration::try_from_secs_f64(ceiling.as_secs_f64() * fastrand::f64())
            .map_or(ceiling, |d| d.min(ceiling));
        retry_after.map_or(jittered, |asked| asked.max(jittered))
    }
}

/// Reads a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_within_its_ceiling_and_honours_retry_after() {
        let policy = RetryPolicy::default();
        for attempt in 1..=10 {
            let ceiling = (policy.initial_backoff * 2u32.pow(attempt - 1)).min(policy.max_backoff);
            for _ in 0..50 {
                assert!(policy.backoff(attempt, None) <= ceiling);
            }
        }
        let asked = Duration::from_secs(7);
        assert!(policy.backoff(1, Some(asked)) >= asked);
        // Huge attempt numbers neither overflow nor exceed the cap.
        assert!(policy.backoff(u32::MAX, None) <= policy.max_backoff);
        // Nor do absurd policies or server waits.
        let absurd = RetryPolicy::default()
            .max_attempts(u32::MAX)
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX);
        for attempt in [1, 2, 64, u32::MAX] {
            for _ in 0..100 {
                absurd.backoff(attempt, Some(Duration::MAX));
            }
        }
    }

    #[test]
    fn a_policy_is_checked_where_it_is_used() {
        assert!(RetryPolicy::default().check("retry_policy").is_ok());
        assert_eq!(RetryPolicy::never().get_max_attempts(), 1);
        let zero = RetryPolicy::default().max_attempts(0).check("retry_policy");
        assert!(
            matches!(
                &zero,
                Err(ConfigError::InvalidValue {
                    setting: "retry_policy",
                    ..
                })
            ),
            "{zero:?}"
        );
        assert!(zero.unwrap_err().to_string().contains("max_attempts"));
        let long = RetryPolicy::default()
            .max_backoff(MAX_TIMEOUT + Duration::from_secs(1))
            .check("retry_policy");
        assert!(
            matches!(
                long,
                Err(ConfigError::DurationOutOfRange {
                    setting: "max_backoff",
                    ..
                })
            ),
            "{long:?}"
        );
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(1))
            .max_backoff(Duration::from_millis(2));
        assert_eq!(policy.get_initial_backoff(), Duration::from_millis(1));
        assert_eq!(policy.get_max_backoff(), Duration::from_millis(2));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = httpdate::parse_http_date("Tue, 24 Nov 2026 10:00:00 GMT").unwrap();
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Tue, 24 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Tue, 24 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}

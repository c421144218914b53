//! When and how long to wait before trying a call again.
//!
//! Only reads are retried after the request may have reached the server: a create that is
//! sent twice can move money twice. See [`crate::Error::is_retryable`] and the call loop in
//! `call.rs`.

use std::time::{Duration, SystemTime};

/// How reads are retried on transient failures (connect errors, timeouts, HTTP 429, 502,
/// 503, 504): exponential backoff with full jitter, waiting at least what `Retry-After`
/// asks for, always within the call's deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (3 by default; 1 disables retries).
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry (200 ms by default); it doubles after
    /// each attempt.
    pub initial_backoff: Duration,
    /// The largest backoff ceiling (5 s by default).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
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
        let absurd = RetryPolicy {
            max_attempts: u32::MAX,
            initial_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
        };
        for attempt in [1, 2, 64, u32::MAX] {
            for _ in 0..100 {
                absurd.backoff(attempt, Some(Duration::MAX));
            }
        }
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

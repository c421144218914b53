//! The source of "now" for the replay window.

use std::time::{SystemTime, UNIX_EPOCH};

/// Tells a [`WebhookVerifier`](super::WebhookVerifier) the current Unix time in seconds.
///
/// The replay window (`X-Timestamp` no more than five minutes old) depends on the clock, so it
/// is injectable: tests and simulations pass a closure returning a fixed time, production code
/// keeps the default [`SystemClock`].
///
/// Any `Fn() -> i64 + Send + Sync` closure is a `Clock`:
///
/// ```
/// use cryptopocket::webhooks::Clock;
///
/// let fixed = || 1_700_000_000_i64;
/// assert_eq!(fixed.now_unix(), 1_700_000_000);
/// ```
pub trait Clock: Send + Sync {
    /// The current time as whole seconds since the Unix epoch (negative before 1970).
    fn now_unix(&self) -> i64;
}

/// The operating system's wall clock ([`SystemTime::now`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        // A wall clock set before 1970 is not an error worth failing a webhook for: report the
        // negative time and let the window check refuse the delivery with a clear message.
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
        }
    }
}

impl<F> Clock for F
where
    F: Fn() -> i64 + Send + Sync,
{
    fn now_unix(&self) -> i64 {
        self()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2023() {
        // 2023-11-14; any machine running these tests is later than that.
        assert!(SystemClock.now_unix() > 1_700_000_000);
    }

    #[test]
    fn closures_are_clocks() {
        let clock: &dyn Clock = &|| 42_i64;
        assert_eq!(clock.now_unix(), 42);
    }
}

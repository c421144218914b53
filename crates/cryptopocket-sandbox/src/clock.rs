//! The sandbox's virtual clock: tests move it; a standalone server lets it run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::ClockMode;

/// Virtual now = the wall time at start + the real time since (realtime mode only) + every
/// advance so far.
#[derive(Debug)]
pub(crate) struct Clock {
    origin: DateTime<Utc>,
    started: Instant,
    mode: ClockMode,
    advanced_ms: AtomicU64,
}

impl Clock {
    pub(crate) fn new(mode: ClockMode) -> Self {
        Clock {
            origin: Utc::now(),
            started: Instant::now(),
            mode,
            advanced_ms: AtomicU64::new(0),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        let running = match self.mode {
            ClockMode::Manual => Duration::ZERO,
            ClockMode::Realtime => self.started.elapsed(),
        };
        let advanced = Duration::from_millis(self.advanced_ms.load(Ordering::SeqCst));
        self.origin + to_chrono(running + advanced)
    }

    pub(crate) fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.advanced_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(ms))
            })
            .ok();
    }
}

/// Saturates instead of failing: a clock advanced by centuries is still a clock.
pub(crate) fn to_chrono(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

/// The API's timestamp style: microseconds and `Z` (`2026-06-26T10:30:00.000000Z`).
pub(crate) fn api_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::new(ClockMode::Manual);
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now() - t0, chrono::TimeDelta::seconds(90));
    }

    #[test]
    fn api_time_has_microseconds_and_z() {
        let t = DateTime::parse_from_rfc3339("2026-06-26T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(api_time(t), "2026-06-26T10:30:00.000000Z");
    }
}

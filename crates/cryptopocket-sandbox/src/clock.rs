//! The sandbox's virtual clock: tests move it; a standalone server lets it run.

use std::sync::Mutex;
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
    /// A manual clock's now, with the advance it was computed for: the clock stands
    /// still between advances, and every request reads it.
    manual_now: Mutex<Option<(u64, DateTime<Utc>)>>,
}

impl Clock {
    pub(crate) fn new(mode: ClockMode) -> Self {
        Clock {
            origin: Utc::now(),
            started: Instant::now(),
            mode,
            advanced_ms: AtomicU64::new(0),
            manual_now: Mutex::new(None),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        let advanced_ms = self.advanced_ms.load(Ordering::SeqCst);
        let advanced = Duration::from_millis(advanced_ms);
        if self.mode == ClockMode::Realtime {
            return later(self.origin, self.started.elapsed().saturating_add(advanced));
        }
        let mut known = crate::server::lock(&self.manual_now);
        match *known {
            Some((ms, now)) if ms == advanced_ms => now,
            _ => {
                let now = later(self.origin, advanced);
                *known = Some((advanced_ms, now));
                now
            }
        }
    }

    /// Moves virtual time forward; the total stops at [`MAX_SPAN`] however often or far it
    /// is asked to go.
    pub(crate) fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.advanced_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(ms).min(max_span_ms()))
            })
            .ok();
    }

    /// Moves virtual time forward by `by` if that keeps the total advance within
    /// [`MAX_SPAN`]; otherwise leaves the clock exactly where it was and returns the
    /// largest advance it would have accepted. A clock parked at its cap never reaches a
    /// step scheduled after it, so going past the cap is refused rather than cut short.
    pub(crate) fn try_advance(&self, by: Duration) -> Result<(), Duration> {
        let wanted = by.as_millis();
        self.advanced_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                let room = max_span_ms().saturating_sub(now);
                (wanted <= u128::from(room)).then(|| {
                    // `wanted` fits in a u64 here, being at most `room`.
                    now.saturating_add(u64::try_from(wanted).unwrap_or(room))
                })
            })
            .map(drop)
            .map_err(|now| Duration::from_millis(max_span_ms().saturating_sub(now)))
    }
}

/// The furthest the virtual clock moves ahead, and the longest span ever added to a date:
/// ten thousand years. A clock advanced by centuries is still a clock, but every date the
/// sandbox computes (now, plus a schedule step, plus a token's lifetime) must stay inside
/// chrono's range of ±262,000 years, or adding to it panics.
pub(crate) const MAX_SPAN: Duration = Duration::from_secs(10_000 * 366 * 24 * 60 * 60);

fn max_span_ms() -> u64 {
    u64::try_from(MAX_SPAN.as_millis()).unwrap_or(u64::MAX)
}

/// Saturates at [`MAX_SPAN`] instead of failing.
pub(crate) fn to_chrono(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d.min(MAX_SPAN)).unwrap_or(chrono::TimeDelta::MAX)
}

/// `t` moved by `d`, saturating at chrono's first or last instant instead of panicking as
/// `DateTime + TimeDelta` does when the sum leaves its range. Every date the sandbox
/// computes from the virtual now goes through here (or [`later`]).
pub(crate) fn shift(t: DateTime<Utc>, d: chrono::TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d)
        .unwrap_or(if d < chrono::TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// `t` plus a schedule step, a lifetime or an advance; never panics (see [`shift`]).
pub(crate) fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    shift(t, to_chrono(d))
}

/// The API's timestamp style: microseconds and `Z` (`2026-06-26T10:30:00.000000Z`).
pub(crate) fn api_time(t: DateTime<Utc>) -> String {
    ApiTime(t).as_text().as_str().to_owned()
}

/// A date in the API's timestamp style, written without allocating: exactly what chrono's
/// `%Y-%m-%dT%H:%M:%S%.6fZ` writes (a year outside 0..=9999 gets a sign and at least four
/// digits, a leap second shows as second 60), digit by digit, with no format string to read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiTime(pub(crate) DateTime<Utc>);

/// The text of an [`ApiTime`]: at most 7 + 6 + 9 + 8 = 30 bytes.
pub(crate) struct TimeText {
    buf: [u8; 32],
    len: usize,
}

impl TimeText {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }

    fn push(&mut self, byte: u8) {
        self.buf[self.len] = byte;
        self.len += 1;
    }

    /// `value` (below 100) in two digits.
    fn pair(&mut self, value: u32) {
        let at = value as usize % 100 * 2;
        self.buf[self.len..self.len + 2].copy_from_slice(&crate::reply::PAIRS[at..at + 2]);
        self.len += 2;
    }

    /// `value` in at least `width` digits, zero-padded.
    fn digits(&mut self, value: u32, width: usize) {
        let mut tmp = [b'0'; 10];
        let (mut v, mut n) = (value, 0);
        while v > 0 || n < width {
            tmp[n] = b'0' + (v % 10) as u8;
            v /= 10;
            n += 1;
        }
        for i in (0..n).rev() {
            self.push(tmp[i]);
        }
    }
}

impl ApiTime {
    pub(crate) fn as_text(self) -> TimeText {
        use chrono::{Datelike, Timelike};
        let (date, time) = (self.0.date_naive(), self.0.time());
        let mut text = TimeText {
            buf: [0; 32],
            len: 0,
        };
        let year = date.year();
        if !(0..10_000).contains(&year) {
            text.push(if year < 0 { b'-' } else { b'+' });
        }
        if (0..10_000).contains(&year) {
            text.pair(year.unsigned_abs() / 100);
            text.pair(year.unsigned_abs() % 100);
        } else {
            text.digits(year.unsigned_abs(), 4);
        }
        text.push(b'-');
        text.pair(date.month());
        text.push(b'-');
        text.pair(date.day());
        text.push(b'T');
        text.pair(time.hour());
        text.push(b':');
        text.pair(time.minute());
        text.push(b':');
        let nanos = time.nanosecond();
        // A leap second (nanoseconds past 10^9) is written as second 60, as chrono does.
        text.pair(time.second() + nanos / 1_000_000_000);
        text.push(b'.');
        let micros = nanos / 1_000 % 1_000_000;
        text.pair(micros / 10_000);
        text.pair(micros / 100 % 100);
        text.pair(micros % 100);
        text.push(b'Z');
        text
    }
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
    fn advancing_without_bound_stays_a_usable_clock() {
        let clock = Clock::new(ClockMode::Manual);
        let t0 = clock.now();
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        let far = clock.now();
        assert_eq!(far - t0, to_chrono(MAX_SPAN));
        // The sums the sandbox makes from the virtual now must not overflow either.
        let later = far + to_chrono(Duration::MAX) + to_chrono(Duration::MAX);
        assert!(later > far);
        assert!(api_time(later).ends_with('Z'));
    }

    #[test]
    fn advancing_past_the_cap_is_refused_and_changes_nothing() {
        let clock = Clock::new(ClockMode::Manual);
        let t0 = clock.now();
        assert_eq!(clock.try_advance(Duration::MAX), Err(MAX_SPAN));
        assert_eq!(
            clock.try_advance(MAX_SPAN + Duration::from_secs(1)),
            Err(MAX_SPAN)
        );
        assert_eq!(clock.now(), t0);
        assert_eq!(clock.try_advance(Duration::from_secs(60)), Ok(()));
        assert_eq!(clock.now() - t0, chrono::TimeDelta::seconds(60));
        let left = MAX_SPAN - Duration::from_secs(60);
        assert_eq!(
            clock.try_advance(left + Duration::from_millis(1)),
            Err(left)
        );
        assert_eq!(clock.try_advance(left), Ok(()));
        assert_eq!(clock.now() - t0, to_chrono(MAX_SPAN));
        assert_eq!(
            clock.try_advance(Duration::from_secs(1)),
            Err(Duration::ZERO)
        );
        assert_eq!(clock.now() - t0, to_chrono(MAX_SPAN));
    }

    #[test]
    fn shifting_a_date_saturates() {
        let t = Utc::now();
        assert_eq!(shift(t, chrono::TimeDelta::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(shift(t, chrono::TimeDelta::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            later(DateTime::<Utc>::MAX_UTC, Duration::MAX),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            later(t, Duration::from_secs(1)) - t,
            chrono::TimeDelta::seconds(1)
        );
    }

    /// chrono's own formatting of the API's style, which [`ApiTime`] replaces.
    fn chrono_api_time(t: DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// Every instant chrono can hold, leap seconds included, is written as chrono
        /// writes it.
        #[test]
        fn api_time_writes_what_chrono_writes(
            seconds in DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            nanos in 0u32..2_000_000_000,
        ) {
            if let Some(t) = DateTime::<Utc>::from_timestamp(seconds, nanos) {
                proptest::prop_assert_eq!(api_time(t), chrono_api_time(t));
            }
        }

        /// The same, around the dates the sandbox actually writes (now give or take a few
        /// centuries, up to its ten-thousand-year cap).
        #[test]
        fn api_time_near_now_writes_what_chrono_writes(
            offset in -20_000_000_000i64..400_000_000_000,
            nanos in 0u32..1_000_000_000,
        ) {
            let t = DateTime::<Utc>::from_timestamp(1_780_000_000 + offset, nanos).unwrap();
            proptest::prop_assert_eq!(api_time(t), chrono_api_time(t));
        }
    }

    #[test]
    fn api_time_at_the_edges() {
        let mut instants = vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC];
        for year in [
            -262_143, -10_000, -9_999, -1_000, -1, 0, 1, 999, 1_000, 9_999, 10_000,
        ] {
            let date = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
            instants.push(
                date.and_hms_nano_opt(23, 59, 59, 999_999_999)
                    .unwrap()
                    .and_utc(),
            );
            instants.push(
                date.and_hms_nano_opt(23, 59, 59, 1_999_999_999)
                    .unwrap()
                    .and_utc(),
            );
            instants.push(date.and_hms_opt(0, 0, 0).unwrap().and_utc());
        }
        for t in instants {
            assert_eq!(api_time(t), chrono_api_time(t));
            assert_eq!(
                crate::reply::json_text(&ApiTime(t)),
                format!("\"{}\"", chrono_api_time(t))
            );
        }
    }

    #[test]
    fn api_time_has_microseconds_and_z() {
        let t = DateTime::parse_from_rfc3339("2026-06-26T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(api_time(t), "2026-06-26T10:30:00.000000Z");
    }
}

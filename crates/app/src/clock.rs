//! Where the application reads the time: the system clock, or a manual one in tests.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use entra_cache::LATEST_TIME;

/// A source of the current time. The cache's expiry checks read it, so a test can
/// move time forward (together with mock-idp's clock) instead of waiting.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// A shared clock: pass an `Arc` to the builder and keep a clone to move the clock.
impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told: for tests.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use entra_auth::{Clock, ManualClock};
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(90));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: SystemTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `by`; a move past what `SystemTime` can hold stops
    /// at 9999-12-31, the latest time the token cache serves (or where the clock is, if it is later already).
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now = now
            .checked_add(by)
            .unwrap_or_else(|| (*now).max(saturating_from_unix_seconds(LATEST_TIME)));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The application's clock as entra-http's time source: waits with tokio's timer,
/// tells the time from the clock (so a test's manual clock also drives throttling).
pub(crate) struct ClockSleeper(pub(crate) Arc<dyn Clock>);

#[entra_http::async_trait]
impl entra_http::Sleeper for ClockSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

/// Seconds since the Unix epoch, saturating at zero for times before it.
pub(crate) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The instant `seconds` after the Unix epoch; `None` past [`LATEST_TIME`]
/// (9999-12-31T23:59:59Z), which not every platform's `SystemTime` holds and which no
/// token the cache serves may carry.
pub(crate) fn from_unix_seconds(seconds: u64) -> Option<SystemTime> {
    if seconds > LATEST_TIME {
        return None;
    }
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// The instant `seconds` after the Unix epoch, no later than [`LATEST_TIME`].
pub(crate) fn saturating_from_unix_seconds(seconds: u64) -> SystemTime {
    // LATEST_TIME fits every platform's SystemTime (Windows' reaches the year 30828);
    // the epoch is only a fallback the type system asks for.
    from_unix_seconds(seconds.min(LATEST_TIME)).unwrap_or(SystemTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_past_the_latest_are_none_or_saturate_and_never_panic() {
        for seconds in [LATEST_TIME + 1, 1 << 63, u64::MAX] {
            assert_eq!(from_unix_seconds(seconds), None, "{seconds}");
            assert_eq!(
                saturating_from_unix_seconds(seconds),
                saturating_from_unix_seconds(LATEST_TIME)
            );
        }
        let latest = from_unix_seconds(LATEST_TIME).expect("the latest time is representable");
        assert_eq!(unix_seconds(latest), LATEST_TIME);
        assert_eq!(
            unix_seconds(SystemTime::UNIX_EPOCH - Duration::from_secs(5)),
            0
        );
    }

    #[test]
    fn a_manual_clock_advanced_past_what_system_time_holds_stops_at_the_latest_time() {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        clock.advance(Duration::from_secs(u64::MAX));
        assert_eq!(unix_seconds(clock.now()), LATEST_TIME);
        clock.advance(Duration::from_secs(u64::MAX));
        assert_eq!(unix_seconds(clock.now()), LATEST_TIME);
    }
}

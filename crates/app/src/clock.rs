//! Where the application reads the time: the system clock, or a manual one in tests.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A source of the current time. The cache's expiry checks read it, so a test can
/// move time forward (together with mock-idp's clock) instead of waiting.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
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

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
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

/// The instant `seconds` after the Unix epoch.
pub(crate) fn from_unix_seconds(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

//! The clock the application reads: the system clock, shifted by a test hook.
//!
//! Test hook: `ENTRA_AUTH_CLOCK_OFFSET_SECS=N` makes the tool believe it is N seconds
//! later than the system clock says, so a test can move time forward together with
//! mock-idp's clock (`/_admin/clock/advance`) and watch a token expire and be refreshed
//! without waiting. It is not shown in `--help` and has no use outside tests.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use entra_auth::{Clock, SystemClock};

use crate::error::CliError;

/// The environment variable of the test hook.
pub(crate) const OFFSET_VAR: &str = "ENTRA_AUTH_CLOCK_OFFSET_SECS";

/// The system clock moved forward by a fixed offset (the test hook).
#[derive(Debug)]
struct OffsetClock {
    offset: Duration,
}

impl Clock for OffsetClock {
    fn now(&self) -> SystemTime {
        let now = SystemClock.now();
        // The offset is bounded (MAX_OFFSET_SECS), so this only fails on a system clock
        // already at the end of time; then the hook does nothing rather than panic.
        now.checked_add(self.offset).unwrap_or(now)
    }
}

/// The largest offset the test hook takes: a hundred years (of 365 days).
const MAX_OFFSET_SECS: u64 = 100 * 365 * 24 * 3600;

/// The system clock, or the offset clock when the test hook is set.
pub(crate) fn from_env() -> Result<Arc<dyn Clock>, CliError> {
    let Some(value) = std::env::var_os(OFFSET_VAR) else {
        return Ok(Arc::new(SystemClock));
    };
    let seconds = value
        .to_str()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|seconds| *seconds <= MAX_OFFSET_SECS)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{OFFSET_VAR} (a test hook) must be a whole number of seconds, at most \
                 {MAX_OFFSET_SECS}."
            ))
        })?;
    tracing::warn!(seconds, "test hook: the clock is shifted forward");
    Ok(Arc::new(OffsetClock {
        offset: Duration::from_secs(seconds),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_clock_runs_ahead_of_the_system_clock() {
        let clock = OffsetClock {
            offset: Duration::from_secs(7200),
        };
        let ahead = clock
            .now()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        assert!(ahead > Duration::from_secs(7000), "{ahead:?}");
    }
}

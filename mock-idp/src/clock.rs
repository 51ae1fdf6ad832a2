//! The mock clock: a fixed start in deterministic mode, real time otherwise; both move
//! forward when the admin API advances them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the deterministic clock starts: 2026-01-01T00:00:00Z.
pub const DETERMINISTIC_START: u64 = 1_767_225_600;

/// The last instant the clock reaches: 9999-12-31T23:59:59Z, the last second every
/// date format here can write. An advance past it is refused.
pub const MAX_INSTANT: u64 = 253_402_300_799;

#[derive(Debug)]
pub(crate) struct Clock {
    deterministic: bool,
    offset: Duration,
}

impl Clock {
    pub(crate) fn new(deterministic: bool) -> Self {
        Self {
            deterministic,
            offset: Duration::ZERO,
        }
    }

    /// Seconds since the Unix epoch, never past [`MAX_INSTANT`].
    pub(crate) fn now(&self) -> u64 {
        let base = if self.deterministic {
            DETERMINISTIC_START
        } else {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        };
        base.saturating_add(self.offset.as_secs()).min(MAX_INSTANT)
    }

    /// Moves the clock forward by `by`; refused (the clock unchanged) when that would
    /// take it past [`MAX_INSTANT`].
    pub(crate) fn advance(&mut self, by: Duration) -> Result<(), PastMaxInstant> {
        let moved = self
            .now()
            .checked_add(by.as_secs())
            .filter(|t| *t <= MAX_INSTANT)
            .and_then(|_| self.offset.checked_add(by))
            .ok_or(PastMaxInstant)?;
        self.offset = moved;
        Ok(())
    }
}

/// A clock advance that would go past [`MAX_INSTANT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the clock cannot move past 9999-12-31T23:59:59Z ({MAX_INSTANT} seconds since the Unix epoch)"
)]
pub(crate) struct PastMaxInstant;

/// `now` plus `seconds`, or `None` past [`MAX_INSTANT`].
pub(crate) fn later(now: u64, seconds: u64) -> Option<u64> {
    now.checked_add(seconds).filter(|t| *t <= MAX_INSTANT)
}

fn datetime(secs: u64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Entra's error timestamp: `2026-01-01 00:00:00Z`.
pub(crate) fn entra_timestamp(secs: u64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    datetime(secs).format(&format).unwrap_or_default()
}

/// RFC 3339: `2026-01-01T00:00:00Z`.
pub(crate) fn rfc3339(secs: u64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    datetime(secs).format(&format).unwrap_or_default()
}

/// An XML Schema dateTime with milliseconds, as ADFS writes them: `2026-01-01T00:00:00.000Z`.
pub(crate) fn xml_instant(secs: u64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000Z");
    datetime(secs).format(&format).unwrap_or_default()
}

/// Parses an RFC 3339 instant (fractions of a second dropped); `None` when it is not one
/// or is before 1970.
pub(crate) fn parse_instant(text: &str) -> Option<u64> {
    let parsed =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    u64::try_from(parsed.unix_timestamp()).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_deterministic_clock_moves_only_when_told() {
        let mut clock = Clock::new(true);
        assert_eq!(clock.now(), DETERMINISTIC_START);
        assert_eq!(entra_timestamp(clock.now()), "2026-01-01 00:00:00Z");
        clock.advance(Duration::from_secs(90)).unwrap();
        assert_eq!(rfc3339(clock.now()), "2026-01-01T00:01:30Z");
    }

    #[test]
    fn the_clock_refuses_to_move_past_its_last_instant() {
        let mut clock = Clock::new(true);
        assert_eq!(clock.advance(Duration::MAX), Err(PastMaxInstant));
        assert_eq!(
            clock.advance(Duration::from_secs(u64::MAX)),
            Err(PastMaxInstant)
        );
        assert_eq!(clock.now(), DETERMINISTIC_START);
        let to_the_end = Duration::from_secs(MAX_INSTANT - DETERMINISTIC_START);
        clock.advance(to_the_end).unwrap();
        assert_eq!(clock.now(), MAX_INSTANT);
        assert_eq!(rfc3339(clock.now()), "9999-12-31T23:59:59Z");
        assert_eq!(clock.advance(Duration::from_secs(1)), Err(PastMaxInstant));
        clock.advance(Duration::ZERO).unwrap();
        assert_eq!(later(MAX_INSTANT, 1), None);
        assert_eq!(later(u64::MAX, 0), None);
        assert_eq!(later(1, 2), Some(3));
    }

    #[test]
    fn xml_instants_round_trip() {
        let text = xml_instant(DETERMINISTIC_START + 61);
        assert_eq!(text, "2026-01-01T00:01:01.000Z");
        assert_eq!(parse_instant(&text), Some(DETERMINISTIC_START + 61));
        assert_eq!(
            parse_instant("2026-01-01T01:00:00+01:00"),
            Some(DETERMINISTIC_START)
        );
        assert_eq!(parse_instant("yesterday"), None);
    }
}

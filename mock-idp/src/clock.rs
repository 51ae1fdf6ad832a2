//! The mock clock: a fixed start in deterministic mode, real time otherwise; both move
//! forward when the admin API advances them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the deterministic clock starts: 2026-01-01T00:00:00Z.
pub const DETERMINISTIC_START: u64 = 1_767_225_600;

#[derive(Debug)]
pub(crate) struct Clock {
    deterministic: bool,
    offset: Duration,
}

impl Clock {
    pub fn new(deterministic: bool) -> Self {
        Self {
            deterministic,
            offset: Duration::ZERO,
        }
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> u64 {
        let base = if self.deterministic {
            DETERMINISTIC_START
        } else {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        };
        base.saturating_add(self.offset.as_secs())
    }

    pub fn advance(&mut self, by: Duration) {
        self.offset = self.offset.saturating_add(by);
    }
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
    use super::*;

    #[test]
    fn the_deterministic_clock_moves_only_when_told() {
        let mut clock = Clock::new(true);
        assert_eq!(clock.now(), DETERMINISTIC_START);
        assert_eq!(entra_timestamp(clock.now()), "2026-01-01 00:00:00Z");
        clock.advance(Duration::from_secs(90));
        assert_eq!(rfc3339(clock.now()), "2026-01-01T00:01:30Z");
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

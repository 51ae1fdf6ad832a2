//! What the commands print: JSON views of results and accounts (no secret but the
//! access token itself) and the RFC 3339 form of a time.

use std::time::SystemTime;

use entra_auth::{Account, AuthenticationResult, TokenSource};
use serde::Serialize;

/// `--output json` of `login` and `token`: no refresh token, no raw id token.
#[derive(Debug, Serialize)]
pub(crate) struct ResultView<'a> {
    /// The access token.
    pub(crate) access_token: &'a str,
    /// `Bearer`.
    pub(crate) token_type: &'a str,
    /// When it expires, in seconds since the Unix epoch.
    pub(crate) expires_on: u64,
    /// The same, RFC 3339 (UTC).
    pub(crate) expires_at: String,
    /// The scopes granted.
    pub(crate) scopes: Vec<&'a str>,
    /// The account, for later calls.
    pub(crate) account: Option<AccountView<'a>>,
    /// `cache` or `identity_provider`.
    pub(crate) token_source: &'static str,
    /// The correlation id of the call.
    pub(crate) correlation_id: String,
}

impl<'a> ResultView<'a> {
    /// The view of `result`.
    pub(crate) fn new(result: &'a AuthenticationResult) -> Self {
        let expires_on = unix_seconds(result.expires_on);
        ResultView {
            access_token: result.access_token.secret(),
            token_type: &result.token_type,
            expires_on,
            expires_at: rfc3339(expires_on),
            scopes: result.scopes.iter().collect(),
            account: result.account.as_ref().map(AccountView::new),
            token_source: match result.token_source {
                TokenSource::Cache => "cache",
                TokenSource::IdentityProvider => "identity_provider",
            },
            correlation_id: result.correlation_id.to_string(),
        }
    }
}

/// An account in JSON.
#[derive(Debug, Serialize)]
pub(crate) struct AccountView<'a> {
    /// `{object id}.{tenant id}`.
    pub(crate) home_account_id: &'a str,
    /// The sign-in name.
    pub(crate) username: &'a str,
    /// The identity provider's host.
    pub(crate) environment: &'a str,
    /// The tenant, as the cache records it.
    pub(crate) realm: &'a str,
}

impl<'a> AccountView<'a> {
    /// The view of `account`.
    pub(crate) fn new(account: &'a Account) -> Self {
        AccountView {
            home_account_id: &account.home_account_id,
            username: &account.username,
            environment: &account.environment,
            realm: &account.realm,
        }
    }
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The last second RFC 3339 can write with a four-digit year: 9999-12-31T23:59:59Z,
/// also the latest expiry entra-cache serves.
const LATEST_RFC3339: u64 = 253_402_300_799;

/// `2026-01-01T00:00:00Z` for seconds since the Unix epoch (proleptic Gregorian, UTC);
/// a time past the year 9999 is written as its last second.
pub(crate) fn rfc3339(unix_seconds: u64) -> String {
    let unix_seconds = unix_seconds.min(LATEST_RFC3339);
    let days = unix_seconds / 86_400;
    let seconds = unix_seconds % 86_400;
    // Days to civil date (Howard Hinnant's algorithm), with eras of 400 years.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339(LATEST_RFC3339), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_past_the_year_9999_is_its_last_second() {
        for seconds in [LATEST_RFC3339 + 1, 1 << 63, u64::MAX] {
            assert_eq!(rfc3339(seconds), "9999-12-31T23:59:59Z");
        }
    }
}

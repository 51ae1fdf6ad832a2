//! mock-idp's run-time state: the fixture as changed by the admin API, issued refresh
//! tokens, the request log, scheduled faults, the clock and the id stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use secrecy::zeroize::Zeroizing;

use crate::admin::{Endpoint, Fault, FaultAction, RecordedRequest};
use crate::clock::Clock;
use crate::fixture::{AppCertificate, Fixture};
use crate::ids::Ids;
use crate::keys::SigningKey;
use crate::saml::AdfsKey;

/// The fixture users' passwords, sorted and without repeats: what the request log
/// redacts and looks for. Zeroized when the last holder drops it.
pub(crate) type Passwords = Arc<Zeroizing<Vec<String>>>;

/// Shared by every connection.
pub(crate) struct Shared {
    pub key: Arc<SigningKey>,
    /// The mock ADFS's token-signing key, trusted by every federated tenant.
    pub adfs: AdfsKey,
    /// Parsed certificates, by app index (apps do not change at run time).
    pub certificates: Vec<Vec<AppCertificate>>,
    pub deterministic: bool,
    /// The port mock-idp listens on.
    pub port: u16,
    /// Host names mock-idp answers to besides `localhost` and `127.0.0.1` (`--hostname`),
    /// lowercase.
    pub hostnames: Vec<String>,
    inner: Mutex<Inner>,
}

impl Shared {
    pub(crate) fn new(
        fixture: Fixture,
        certificates: Vec<Vec<AppCertificate>>,
        key: Arc<SigningKey>,
        adfs: AdfsKey,
        seed: Option<u64>,
        port: u16,
        hostnames: Vec<String>,
    ) -> Self {
        Self {
            hostnames,
            key,
            adfs,
            certificates,
            deterministic: seed.is_some(),
            port,
            inner: Mutex::new(Inner {
                fixture: Arc::new(fixture),
                passwords: None,
                clock: Clock::new(seed.is_some()),
                ids: Ids::new(seed),
                refresh_tokens: HashMap::new(),
                requests: RequestLog::default(),
                faults: Vec::new(),
            }),
        }
    }

    /// The state. A panic elsewhere never makes it unusable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) struct Inner {
    /// Shared so a request can hold it while it draws ids and records tokens, instead
    /// of copying what it reads. Private, so every change goes through
    /// [`Inner::fixture_mut`], which drops what is derived from it.
    fixture: Arc<Fixture>,
    /// The users' passwords, derived once per version of the fixture (zeroized when
    /// dropped, as the fixture's own copies are).
    passwords: Option<Passwords>,
    pub clock: Clock,
    pub ids: Ids,
    pub refresh_tokens: HashMap<String, RefreshRecord>,
    pub requests: RequestLog,
    pub faults: Vec<Fault>,
}

/// The requests received since the last clear, newest last, bounded: past
/// [`RequestLog::CAPACITY`] entries the oldest half is dropped, so a long load test does
/// not grow the server without end. `seq` keeps counting across a drop (a gap shows
/// it); a clear starts it again at 0.
#[derive(Default)]
pub(crate) struct RequestLog {
    entries: Vec<RecordedRequest>,
    next_seq: u64,
}

impl RequestLog {
    /// How many requests the log holds at most.
    pub(crate) const CAPACITY: usize = 20_000;

    /// Records `request`, numbering it.
    pub(crate) fn push(&mut self, mut request: RecordedRequest) {
        if self.entries.len() >= Self::CAPACITY {
            self.entries.drain(..Self::CAPACITY / 2);
        }
        request.seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push(request);
    }

    /// The requests held, oldest first.
    pub(crate) fn entries(&self) -> &[RecordedRequest] {
        &self.entries
    }

    /// Forgets every request and starts numbering at 0 again.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.next_seq = 0;
    }
}

/// Which authority issued a refresh token: only the same one redeems it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenIssuer {
    /// Entra's token endpoint (`/{tenant}/oauth2/v2.0/token`), External ID included.
    Entra,
    /// A B2C user flow, by its name as the fixture spells it.
    B2c(String),
    /// The mock ADFS's OAuth token endpoint (`/adfs/oauth2/token`).
    Adfs,
}

/// What the server remembers about a refresh token it issued.
#[derive(Clone, Debug)]
pub(crate) struct RefreshRecord {
    pub issuer: TokenIssuer,
    pub username: String,
    pub tenant: String,
    pub client_id: String,
    pub issued_at: u64,
    pub last_used: u64,
    /// When it was revoked (admin, password change).
    pub revoked_at: Option<u64>,
    /// When it was first redeemed for new tokens (under strict rotation, its only use).
    pub redeemed_at: Option<u64>,
}

impl Inner {
    /// Takes one use of the first fault scheduled for `endpoint`.
    pub(crate) fn take_fault(&mut self, endpoint: Endpoint) -> Option<FaultAction> {
        let index = self
            .faults
            .iter()
            .position(|f| f.count > 0 && (f.endpoint == endpoint || f.endpoint == Endpoint::Any))?;
        let fault = self.faults.get_mut(index)?;
        fault.count -= 1;
        let action = fault.action.clone();
        if fault.count == 0 {
            self.faults.remove(index);
        }
        Some(action)
    }

    /// Revokes every refresh token of `username`; returns how many were live.
    pub(crate) fn revoke_refresh_tokens(&mut self, username: &str) -> usize {
        let now = self.clock.now();
        let mut revoked = 0;
        for record in self.refresh_tokens.values_mut() {
            if record.username.eq_ignore_ascii_case(username) && record.revoked_at.is_none() {
                record.revoked_at = Some(now);
                revoked += 1;
            }
        }
        revoked
    }

    /// The fixture, to read; [`Arc::clone`] it to read it while changing the rest.
    pub(crate) fn fixture(&self) -> &Arc<Fixture> {
        &self.fixture
    }

    /// The fixture, to change it (the admin API); it is copied first if a request
    /// still reads the version before.
    pub(crate) fn fixture_mut(&mut self) -> &mut Fixture {
        self.passwords = None;
        Arc::make_mut(&mut self.fixture)
    }

    /// Every password a fixture user has, to tell whether a request carried one.
    pub(crate) fn passwords(&mut self) -> Passwords {
        let fixture = &self.fixture;
        self.passwords
            .get_or_insert_with(|| {
                let mut passwords: Vec<String> = fixture
                    .users
                    .iter()
                    .map(|u| u.password.expose().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect();
                passwords.sort();
                passwords.dedup();
                Arc::new(Zeroizing::new(passwords))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str) -> RecordedRequest {
        RecordedRequest {
            seq: u64::MAX,
            endpoint: Endpoint::Token,
            method: "POST".to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            form: Vec::new(),
            carried_password: false,
            status: 200,
            received_at: 0,
        }
    }

    #[test]
    fn the_request_log_numbers_requests_and_drops_the_oldest_half_when_full() {
        let mut log = RequestLog::default();
        for n in 0..RequestLog::CAPACITY {
            log.push(request(&format!("/{n}")));
        }
        assert_eq!(log.entries().len(), RequestLog::CAPACITY);
        assert_eq!(log.entries()[7].seq, 7);

        log.push(request("/newest"));

        let entries = log.entries();
        assert_eq!(entries.len(), RequestLog::CAPACITY / 2 + 1);
        let first = RequestLog::CAPACITY / 2;
        assert_eq!(entries[0].seq, first as u64);
        assert_eq!(entries[0].path, format!("/{first}"));
        let last = entries.last().unwrap();
        assert_eq!(
            (last.seq, last.path.as_str()),
            (RequestLog::CAPACITY as u64, "/newest")
        );

        log.clear();
        log.push(request("/again"));
        assert_eq!(log.entries()[0].seq, 0);
    }
}

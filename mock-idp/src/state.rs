//! mock-idp's run-time state: the fixture as changed by the admin API, issued refresh
//! tokens, the request log, scheduled faults, the clock and the id stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::admin::{Endpoint, Fault, FaultAction, RecordedRequest};
use crate::clock::Clock;
use crate::fixture::{AppCertificate, Fixture};
use crate::ids::Ids;
use crate::keys::SigningKey;
use crate::saml::AdfsKey;

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
    inner: Mutex<Inner>,
}

impl Shared {
    pub fn new(
        fixture: Fixture,
        certificates: Vec<Vec<AppCertificate>>,
        key: Arc<SigningKey>,
        adfs: AdfsKey,
        seed: Option<u64>,
        port: u16,
    ) -> Self {
        Self {
            key,
            adfs,
            certificates,
            deterministic: seed.is_some(),
            port,
            inner: Mutex::new(Inner {
                fixture,
                clock: Clock::new(seed.is_some()),
                ids: Ids::new(seed),
                refresh_tokens: HashMap::new(),
                requests: Vec::new(),
                faults: Vec::new(),
            }),
        }
    }

    /// The state. A panic elsewhere never makes it unusable.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) struct Inner {
    pub fixture: Fixture,
    pub clock: Clock,
    pub ids: Ids,
    pub refresh_tokens: HashMap<String, RefreshRecord>,
    pub requests: Vec<RecordedRequest>,
    pub faults: Vec<Fault>,
}

/// What the server remembers about a refresh token it issued.
#[derive(Clone, Debug)]
pub(crate) struct RefreshRecord {
    pub username: String,
    pub tenant: String,
    pub client_id: String,
    pub issued_at: u64,
    pub last_used: u64,
    /// When it was revoked (admin, password change).
    pub revoked_at: Option<u64>,
}

impl Inner {
    /// Takes one use of the first fault scheduled for `endpoint`.
    pub fn take_fault(&mut self, endpoint: Endpoint) -> Option<FaultAction> {
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
    pub fn revoke_refresh_tokens(&mut self, username: &str) -> usize {
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

    /// Every password a fixture user has, to tell whether a request carried one.
    pub fn passwords(&self) -> Vec<String> {
        let mut passwords: Vec<String> = self
            .fixture
            .users
            .iter()
            .map(|u| u.password.expose().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        passwords.sort();
        passwords.dedup();
        passwords
    }
}

//! MSAL-format caches of N accounts, as MSAL Python would have written them after N
//! username/password sign-ins to Contoso through `login.microsoftonline.com`.
//!
//! Each account has one access token (`User.Read openid profile offline_access`), one
//! refresh token, one id token and an account entry (`authority_type` MSSTS, realm the
//! Contoso tenant id, environment the bare host), plus one shared app metadata entry.
//! Tokens have realistic sizes: JWT-shaped access (about 1.3 KB) and id tokens (about
//! 0.9 KB) with an RS256-sized signature, and a 0.5 KB opaque refresh token.

use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entra_cache::{TokenCache, TokenIngest};
use mock_idp::default_fixture as d;
use secrecy::SecretString;

use crate::stats::emit;

/// The host the cached entries belong to (and the authority both libraries use).
pub(crate) const ENVIRONMENT: &str = "login.microsoftonline.com";
/// The scope every silent call asks for.
pub(crate) const SCOPE: &str = "User.Read";
/// The access token lifetime written, in seconds (Entra's lower bound).
const EXPIRES_IN: u64 = 3599;
/// At most this many accounts are probed, spread evenly over the cache.
const PROBES: usize = 64;

/// `{uid}.{utid}` of the `index`-th account.
pub(crate) fn home_account_id(index: usize) -> String {
    format!("{}.{}", uid(index), d::CONTOSO_TENANT_ID)
}

fn uid(index: usize) -> String {
    format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        index,
        index % 0xffff,
        index
    )
}

/// Writes the cache of `accounts` accounts to `out`, and to `probes` the JSON
/// `{"accounts": N, "home_account_ids": [...]}` naming the accounts silent calls use.
pub(crate) fn generate(accounts: usize, out: &Path, probes: &Path) -> Result<(), String> {
    if accounts == 0 {
        return Err("--accounts must be at least 1".into());
    }
    let started = Instant::now();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|err| format!("the system clock is before 1970: {err}"))?
        .as_secs();
    let cache = signed_in(accounts, now);
    let json = cache.serialize();
    std::fs::write(out, &json).map_err(|err| format!("cannot write {}: {err}", out.display()))?;

    let probe_ids = probe_ids(accounts);
    let probe_json = serde_json::json!({
        "accounts": accounts,
        "client_id": d::CLI_CLIENT_ID,
        "tenant": d::CONTOSO_TENANT_ID,
        "environment": ENVIRONMENT,
        "scope": SCOPE,
        "home_account_ids": probe_ids,
    });
    std::fs::write(probes, probe_json.to_string())
        .map_err(|err| format!("cannot write {}: {err}", probes.display()))?;
    emit(serde_json::json!({
        "scenario": "gen_cache",
        "accounts": accounts,
        "bytes": json.len(),
        "entries": cache.len(),
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// The `home_account_id`s silent calls ask for in a cache of `accounts` accounts:
/// exactly min(64, accounts), evenly spread (each in the middle of its stretch), so a
/// caller making a multiple of that many calls covers them evenly.
pub(crate) fn probe_ids(accounts: usize) -> Vec<String> {
    let probes_n = PROBES.min(accounts).max(1);
    (0..probes_n)
        .map(|i| home_account_id(i * accounts / probes_n + accounts / (2 * probes_n)))
        .collect()
}

/// A cache holding `accounts` accounts signed in at `now` (Unix seconds): what
/// `gen-cache` writes. Every entry was ingested, so each account's partition is among
/// the cache's [`TokenCache::changed_partitions`] (ready for `save_partition`).
pub(crate) fn signed_in(accounts: usize, now: u64) -> TokenCache {
    let cache = TokenCache::new();
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for index in 0..accounts {
        cache.ingest(&sign_in(index, now, &mut noise));
    }
    cache
}

/// The token response of the `index`-th user's sign-in, as entra-auth would ingest it.
fn sign_in(index: usize, now: u64, noise: &mut Noise) -> TokenIngest {
    let uid = uid(index);
    let username = format!("user{index}@contoso.com");
    let mut ingest = TokenIngest::new(
        ENVIRONMENT,
        d::CLI_CLIENT_ID,
        d::CONTOSO_TENANT_ID,
        SecretString::from(access_token(&uid, &username, now, noise)),
        now,
    );
    ingest.scopes = ["User.Read", "openid", "profile", "offline_access"]
        .map(str::to_owned)
        .to_vec();
    ingest.granted_scope = Some("User.Read openid profile offline_access".into());
    ingest.token_type = Some("Bearer".into());
    ingest.expires_in = Some(EXPIRES_IN);
    ingest.ext_expires_in = Some(EXPIRES_IN);
    ingest.refresh_token = Some(SecretString::from(format!(
        "1.AXEA{}",
        noise.base64url(500)
    )));
    ingest.id_token = Some(SecretString::from(id_token(&uid, &username, now, noise)));
    ingest.home_account_id = Some(home_account_id(index));
    ingest.local_account_id = Some(uid);
    ingest.username = Some(username);
    ingest.account_source = Some("password".into());
    ingest
}

fn jwt(claims: &serde_json::Value, noise: &mut Noise) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": "bench-key-1"});
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        // An RS256 signature is 256 bytes: 342 base64url characters.
        noise.base64url(342)
    )
}

fn access_token(uid: &str, username: &str, now: u64, noise: &mut Noise) -> String {
    let claims = serde_json::json!({
        "aud": "00000003-0000-0000-c000-000000000000",
        "iss": format!("https://sts.windows.net/{}/", d::CONTOSO_TENANT_ID),
        "iat": now, "nbf": now, "exp": now + EXPIRES_IN,
        "acct": 0, "acr": "1", "aio": noise.base64url(60),
        "amr": ["pwd"], "app_displayname": "Contoso CLI", "appid": d::CLI_CLIENT_ID,
        "appidacr": "0", "family_name": "User", "given_name": "Bench",
        "idtyp": "user", "ipaddr": "203.0.113.7", "name": format!("Bench User {uid}"),
        "oid": uid, "platf": "14", "puid": "10032001ABCDEF01", "rh": noise.base64url(40),
        "scp": "User.Read openid profile email", "sub": noise.base64url(43),
        "tenant_region_scope": "EU", "tid": d::CONTOSO_TENANT_ID,
        "unique_name": username, "upn": username, "uti": noise.base64url(22),
        "ver": "1.0", "wids": ["b79fbf4d-3ef9-4689-8143-76b194e85509"],
        "xms_idrel": "1 16", "xms_tcdt": 1_600_000_000,
    });
    jwt(&claims, noise)
}

fn id_token(uid: &str, username: &str, now: u64, noise: &mut Noise) -> String {
    let claims = serde_json::json!({
        "aud": d::CLI_CLIENT_ID,
        "iss": format!("https://login.microsoftonline.com/{}/v2.0", d::CONTOSO_TENANT_ID),
        "iat": now, "nbf": now, "exp": now + EXPIRES_IN,
        "name": format!("Bench User {uid}"), "oid": uid,
        "preferred_username": username, "rh": noise.base64url(40),
        "sub": noise.base64url(43), "tid": d::CONTOSO_TENANT_ID,
        "uti": noise.base64url(22), "ver": "2.0",
    });
    jwt(&claims, noise)
}

/// A fast deterministic filler (xorshift64) for signatures and opaque tokens.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `len` base64url characters.
    fn base64url(&mut self, len: usize) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..len)
            .map(|_| char::from(ALPHABET[(self.next() % 64) as usize]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_account_ids_are_uid_dot_tenant_and_distinct() {
        assert_eq!(
            home_account_id(10),
            format!(
                "0000000a-000a-4000-8000-00000000000a.{}",
                d::CONTOSO_TENANT_ID
            )
        );
        assert_ne!(home_account_id(1), home_account_id(65_536));
    }

    #[test]
    fn a_generated_cache_holds_every_account_as_msal_python_writes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (cache_file, probe_file) = (
            dir.path().join("cache.json"),
            dir.path().join("probes.json"),
        );
        generate(3, &cache_file, &probe_file).unwrap();

        let cache: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&cache_file).unwrap()).unwrap();
        for kind in ["AccessToken", "RefreshToken", "IdToken", "Account"] {
            assert_eq!(cache[kind].as_object().unwrap().len(), 3, "{kind}");
        }
        let account = cache["Account"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap();
        assert_eq!(account["authority_type"], "MSSTS");
        assert_eq!(account["environment"], ENVIRONMENT);
        assert_eq!(account["realm"], d::CONTOSO_TENANT_ID);
        let probes: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&probe_file).unwrap()).unwrap();
        assert_eq!(probes["accounts"], 3);
        assert_eq!(probes["home_account_ids"].as_array().unwrap().len(), 3);
    }
}

//! RS256 signing (RSA 2048, PKCS#1 v1.5, SHA-256) by ring, aws-lc-rs and OpenSSL on the
//! same key and input: what mock-idp does twice per password grant (with aws-lc-rs, the
//! fastest of the three that builds from crates.io alone). Built only with the `signers`
//! feature, which pulls the `openssl` crate (the system's libssl: `libssl-dev` on
//! Debian) into entra-bench; nothing else needs it.
//!
//! Before timing, every signer's signature is checked to equal ring's (PKCS#1 v1.5 is
//! deterministic) and to verify against the key's modulus and exponent; a signer that
//! disagrees ends the run with an error.

use std::time::Instant;

use mock_idp::default_fixture as d;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;

use crate::stats::{emit, percentile};

/// About the signing input of an access token mock-idp issues (header and claims,
/// base64url-encoded).
const INPUT_BYTES: usize = 1_100;

/// One way to sign; `None` when it failed.
type Sign = Box<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync>;

fn ring_signer(pkcs8: &[u8]) -> Result<Sign, String> {
    let pair = ring::signature::RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| format!("ring: {e}"))?;
    let rng = ring::rand::SystemRandom::new();
    Ok(Box::new(move |input| {
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &rng,
            input,
            &mut signature,
        )
        .ok()
        .map(|()| signature)
    }))
}

fn aws_lc_signer(pkcs8: &[u8]) -> Result<Sign, String> {
    let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(pkcs8)
        .map_err(|e| format!("aws-lc-rs: {e}"))?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    Ok(Box::new(move |input| {
        let mut signature = vec![0; pair.public_modulus_len()];
        pair.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &rng,
            input,
            &mut signature,
        )
        .ok()
        .map(|()| signature)
    }))
}

fn openssl_signer(pkcs8: &[u8]) -> Result<Sign, String> {
    let key =
        openssl::pkey::PKey::private_key_from_pkcs8(pkcs8).map_err(|e| format!("openssl: {e}"))?;
    Ok(Box::new(move |input| {
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key)
            .and_then(|mut signer| signer.sign_oneshot_to_vec(input))
            .ok()
    }))
}

/// Times `signs` signatures by each signer on one thread, then on `threads` threads at
/// once; one JSON line per signer and thread count.
pub(crate) fn signers(signs: usize, threads: usize) -> Result<(), String> {
    let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(d::DAEMON_KEY_PEM.as_bytes())
        .map_err(|err| format!("the test key: {err}"))?;
    let pkcs8 = pkcs8.secret_pkcs8_der();
    let input: Vec<u8> = (0..INPUT_BYTES)
        .map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i % 64])
        .collect();
    let signers: Vec<(&str, Sign)> = vec![
        ("ring", ring_signer(pkcs8)?),
        ("aws-lc-rs", aws_lc_signer(pkcs8)?),
        ("openssl", openssl_signer(pkcs8)?),
    ];
    check(pkcs8, &input, &signers)?;
    let threads = threads.max(1);
    for (name, sign) in &signers {
        for _ in 0..signs / 10 {
            sign(&input);
        }
        let mut samples: Vec<u64> = (0..signs)
            .map(|_| {
                let started = Instant::now();
                sign(&input);
                u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX)
            })
            .collect();
        let median_ns = percentile(&mut samples, 50);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    for _ in 0..signs {
                        sign(&input);
                    }
                });
            }
        });
        let all_threads = (signs * threads) as f64 / started.elapsed().as_secs_f64();
        emit(serde_json::json!({
            "scenario": "signers",
            "signer": name,
            "version": version(name),
            "signs": signs,
            "median_ns": median_ns,
            "signs_per_sec_one_thread": 1e9 / median_ns.max(1) as f64,
            "threads": threads,
            "signs_per_sec_all_threads": all_threads,
        }))?;
    }
    Ok(())
}

/// The signer's library version, where it says.
fn version(signer: &str) -> String {
    match signer {
        "openssl" => openssl::version::version().to_owned(),
        _ => String::new(),
    }
}

/// Every signer's signature equals ring's and verifies against the public key.
fn check(pkcs8: &[u8], input: &[u8], signers: &[(&str, Sign)]) -> Result<(), String> {
    let pair = ring::signature::RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| format!("ring: {e}"))?;
    let public = ring::signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    let reference = signers
        .first()
        .and_then(|(_, sign)| sign(input))
        .ok_or("ring did not sign")?;
    for (name, sign) in signers {
        let signature = sign(input).ok_or_else(|| format!("{name} did not sign"))?;
        if signature != reference {
            return Err(format!("{name}'s signature differs from ring's"));
        }
        public
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                input,
                &signature,
            )
            .map_err(|_| format!("{name}'s signature does not verify"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_signers_agree_and_verify() {
        let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(d::DAEMON_KEY_PEM.as_bytes()).unwrap();
        let pkcs8 = pkcs8.secret_pkcs8_der();
        let signers: Vec<(&str, Sign)> = vec![
            ("ring", ring_signer(pkcs8).unwrap()),
            ("aws-lc-rs", aws_lc_signer(pkcs8).unwrap()),
            ("openssl", openssl_signer(pkcs8).unwrap()),
        ];
        assert_eq!(check(pkcs8, b"signing input", &signers), Ok(()));
    }

    #[test]
    fn a_signer_that_disagrees_is_refused() {
        let pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(d::DAEMON_KEY_PEM.as_bytes()).unwrap();
        let pkcs8 = pkcs8.secret_pkcs8_der();
        let wrong: Sign = Box::new(|_| Some(vec![0; 256]));
        let signers = vec![("ring", ring_signer(pkcs8).unwrap()), ("wrong", wrong)];
        assert_eq!(
            check(pkcs8, b"signing input", &signers),
            Err("wrong's signature differs from ring's".to_owned())
        );
    }
}

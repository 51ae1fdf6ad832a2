//! RS256 signing (RSA 2048, PKCS#1 v1.5, SHA-256) by ring, aws-lc-rs and OpenSSL, on
//! the same key and the same input: what mock-idp does twice per password grant.
//!
//! `cargo bench -p mock-idp --features signer-bench --bench signers`. The feature pulls
//! aws-lc-rs and the `openssl` crate (the system's libssl: `libssl-dev` on Debian) into
//! this bench only; mock-idp itself builds without them.
//!
//! Before timing, every signer's signature is checked to equal ring's (PKCS#1 v1.5 is
//! deterministic) and to verify against the key's modulus and exponent as the JWKS
//! publishes them; a signer that disagrees stops the run.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::PublicKeyParts;

/// About the signing input of an access token mock-idp issues (header and claims,
/// base64url-encoded).
const INPUT_BYTES: usize = 1_100;

/// The key and input every signer gets.
struct Material {
    pkcs8: Vec<u8>,
    n: Vec<u8>,
    e: Vec<u8>,
    input: Vec<u8>,
}

fn material() -> Result<Material, String> {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|err| err.to_string())?;
    let pkcs8 = key.to_pkcs8_der().map_err(|err| err.to_string())?;
    Ok(Material {
        pkcs8: pkcs8.as_bytes().to_vec(),
        n: key.n().to_bytes_be(),
        e: key.e().to_bytes_be(),
        input: (0..INPUT_BYTES)
            .map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i % 64])
            .collect(),
    })
}

/// One way to sign.
type Sign = Box<dyn Fn(&[u8]) -> Vec<u8>>;

fn ring_signer(m: &Material) -> Result<Sign, String> {
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&m.pkcs8).map_err(|e| e.to_string())?;
    let rng = ring::rand::SystemRandom::new();
    Ok(Box::new(move |input| {
        let mut signature = vec![0; pair.public().modulus_len()];
        let signed = pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &rng,
            input,
            &mut signature,
        );
        if signed.is_err() {
            signature.clear();
        }
        signature
    }))
}

fn aws_lc_signer(m: &Material) -> Result<Sign, String> {
    let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&m.pkcs8).map_err(|e| e.to_string())?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    Ok(Box::new(move |input| {
        let mut signature = vec![0; pair.public_modulus_len()];
        let signed = pair.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &rng,
            input,
            &mut signature,
        );
        if signed.is_err() {
            signature.clear();
        }
        signature
    }))
}

fn openssl_signer(m: &Material) -> Result<Sign, String> {
    let key = openssl::pkey::PKey::private_key_from_pkcs8(&m.pkcs8).map_err(|e| e.to_string())?;
    Ok(Box::new(move |input| {
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key)
            .and_then(|mut signer| signer.sign_oneshot_to_vec(input))
            .unwrap_or_default()
    }))
}

/// Checks `sign` against ring's signature and the public key.
fn check(name: &str, sign: &Sign, reference: &[u8], m: &Material) -> Result<(), String> {
    let signature = sign(&m.input);
    if signature != reference {
        return Err(format!("{name}: the signature differs from ring's"));
    }
    let public = ring::signature::RsaPublicKeyComponents { n: &m.n, e: &m.e };
    public
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &m.input,
            &signature,
        )
        .map_err(|_| format!("{name}: the signature does not verify"))
}

fn signers() -> Result<(), String> {
    let m = material()?;
    let signers: Vec<(&str, Sign)> = vec![
        ("ring", ring_signer(&m)?),
        ("aws-lc-rs", aws_lc_signer(&m)?),
        ("openssl", openssl_signer(&m)?),
    ];
    let reference = signers
        .first()
        .map(|(_, sign)| sign(&m.input))
        .unwrap_or_default();
    for (name, sign) in &signers {
        check(name, sign, &reference, &m)?;
    }
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = criterion.benchmark_group("rs256_sign");
    group.throughput(Throughput::Elements(1));
    for (name, sign) in &signers {
        group.bench_function(*name, |b| b.iter(|| sign(&m.input)));
    }
    group.finish();
    criterion.final_summary();
    Ok(())
}

fn benches() {
    if let Err(problem) = signers() {
        eprintln!("signers: {problem}");
        std::process::exit(1);
    }
}

criterion_main!(benches);

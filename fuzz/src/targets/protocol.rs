//! entra-protocol's parsers, each followed by what its caller does next with the value
//! (build the next request, read the accessors a flow reads).

use std::time::{Duration, SystemTime};

use entra_auth::SecretString;
use entra_auth::Uuid;
use entra_protocol as p;
use serde_json::Value;

use super::samples::{self, ALICE, CLIENT_ID, FEDUSER, NOW, TENANT};
use super::{Target, hostile_json_seed, hostile_xml_seed, response, split2};
use crate::rng::Rng;
use crate::shapes::{b64url, hostile_json, jwt};

pub(super) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "token_response",
            about: "parse_token_response, home_account_id",
            seeds: samples::token_responses,
            generate: token_response_generate,
            run: token_response,
        },
        Target {
            name: "error_response",
            about: "Retry-After line + error body: parse_error_response, classify, Display, delay",
            seeds: error_seeds,
            generate: error_generate,
            run: error_response,
        },
        Target {
            name: "user_realm",
            about: "parse_user_realm, account kind, the WS-Trust endpoint and MEX request it names",
            seeds: samples::user_realms,
            generate: hostile_json_seed,
            run: user_realm,
        },
        Target {
            name: "oidc_configuration",
            about: "parse_oidc_configuration, token endpoint tenant, issuer, endpoints",
            seeds: samples::oidc_configurations,
            generate: hostile_json_seed,
            run: oidc_configuration,
        },
        Target {
            name: "instance_discovery",
            about: "parse_instance_discovery, metadata_for",
            seeds: samples::instance_discoveries,
            generate: hostile_json_seed,
            run: instance_discovery,
        },
        Target {
            name: "jwks",
            about: "parse_jwks, then verify_id_token against it",
            seeds: samples::jwks,
            generate: hostile_json_seed,
            run: jwks,
        },
        Target {
            name: "mex",
            about: "parse_mex and mex_endpoints, then the WS-Trust request to the endpoint",
            seeds: samples::mex_documents,
            generate: hostile_xml_seed,
            run: mex,
        },
        Target {
            name: "ws_trust_response",
            about: "parse_ws_trust_response (200 and 500), then the SAML bearer grant",
            seeds: samples::ws_trust_responses,
            generate: hostile_xml_seed,
            run: ws_trust_response,
        },
        Target {
            name: "saml",
            about: "token type line + assertion: SamlTokenType, encoded_for_grant, saml_bearer_grant",
            seeds: saml_seeds,
            generate: saml_generate,
            run: saml,
        },
        Target {
            name: "id_token",
            about: "decode_id_token, username, local_account_id, check_audience, is_current",
            seeds: id_token_seeds,
            generate: id_token_generate,
            run: id_token,
        },
        Target {
            name: "www_authenticate",
            about: "header values, one per line: parse_www_authenticate_values, ClaimsChallenge, next_step",
            seeds: www_authenticate_seeds,
            generate: www_authenticate_generate,
            run: www_authenticate,
        },
        Target {
            name: "client_info",
            about: "decode_client_info, home_account_id",
            seeds: client_info_seeds,
            generate: client_info_generate,
            run: client_info,
        },
    ]
}

/// The instants the targets evaluate times at: the epoch, the samples' now, far ahead.
pub(crate) fn instants() -> [SystemTime; 3] {
    [
        SystemTime::UNIX_EPOCH,
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW),
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW * 100),
    ]
}

/// A token response whose id token and client_info may be hostile too.
pub(crate) fn token_response_generate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if rng.chance(1, 2) {
        return hostile_json_seed(rng, seeds);
    }
    let claims = samples::id_token_claims().to_string().into_bytes();
    let info = samples::client_info().to_string().into_bytes();
    let id_token = if rng.chance(2, 3) {
        hostile_json(rng, &claims)
    } else {
        claims
    };
    let client_info = if rng.chance(1, 2) {
        hostile_json(rng, &info)
    } else {
        info
    };
    let body = samples::token_response_with(&jwt(&id_token), &b64url(&client_info));
    let body = body.to_string().into_bytes();
    if rng.chance(1, 2) {
        hostile_json(rng, &body)
    } else {
        body
    }
}

fn token_response(input: &[u8]) {
    for status in [200, 400] {
        if let Ok(tokens) = p::parse_token_response(&response(status, input)) {
            let _ = (tokens.home_account_id(), format!("{tokens:?}"));
        }
    }
}

fn error_seeds() -> Vec<Vec<u8>> {
    let retry_after = ["5", "Wed, 21 Oct 2015 07:28:00 GMT", ""];
    samples::error_bodies()
        .into_iter()
        .enumerate()
        .map(|(i, body)| [retry_after[i % retry_after.len()].as_bytes(), b"\n", &body].concat())
        .collect()
}

fn error_generate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let seed = rng.pick(seeds).clone();
    let (retry_after, body) = split2(&seed, b"\n");
    let retry_after = if rng.chance(1, 3) {
        rng.pick(&[
            &b"18446744073709551615"[..],
            b"18446744073709551616",
            b"-1",
            b"Fri, 31 Dec 9999 23:59:59 GMT",
            b"Thu, 01 Jan 1970 00:00:00 GMT",
            b"1e300",
        ])
        .to_vec()
    } else {
        retry_after.to_vec()
    };
    [&retry_after[..], b"\n", &hostile_json(rng, body)].concat()
}

fn error_response(input: &[u8]) {
    let (retry_after, body) = split2(input, b"\n");
    for status in [400, 429, 503] {
        let mut r = response(status, body);
        if let Ok(value) = http::HeaderValue::from_bytes(retry_after) {
            r.headers_mut().insert(http::header::RETRY_AFTER, value);
        }
        if let Ok(error) = p::parse_error_response(&r) {
            let _ = (error.to_string(), error.classify(), error.aadsts_code());
            let _ = (
                error.message().len(),
                error.suberror_kind(),
                error.claims_challenge(),
            );
            if let Some(retry_after) = &error.retry_after {
                for now in instants() {
                    let _ = retry_after.delay(now);
                }
            }
        }
        if let Err(error) = p::parse_token_response(&r) {
            let _ = (error.to_string(), error.class());
        }
    }
}

fn user_realm(input: &[u8]) {
    let Ok(realm) = p::parse_user_realm(&response(200, input)) else {
        return;
    };
    let _ = (
        realm.account_type(),
        realm.account_kind(),
        realm.is_personal_account(),
    );
    let _ = realm.audience();
    if let Some(url) = &realm.federation_active_auth_url {
        let _ = p::WsTrustEndpoint::from_active_auth_url(url);
    }
    if let Some(url) = &realm.federation_metadata_url {
        let _ = p::mex_request(url, Uuid::nil(), &p::LibraryInfo::default());
    }
}

fn oidc_configuration(input: &[u8]) {
    if let Ok(config) = p::parse_oidc_configuration(&response(200, input)) {
        let _ = (
            config.token_endpoint_tenant(),
            config.issuer_for_tenant(TENANT),
        );
        let _ = config.endpoints();
    }
}

fn instance_discovery(input: &[u8]) {
    if let Ok(discovery) = p::parse_instance_discovery(&response(200, input)) {
        let _ = discovery.metadata_for("login.microsoftonline.com");
        let _ = discovery.metadata_for("");
    }
}

fn jwks(input: &[u8]) {
    if let Ok(keys) = p::parse_jwks(&response(200, input)) {
        let token = jwt(samples::id_token_claims().to_string().as_bytes());
        for now in instants() {
            let _ = p::verify_id_token(&token, &keys, CLIENT_ID, now, 300);
        }
    }
}

fn mex(input: &[u8]) {
    let _ = p::ws_trust::mex_endpoints(input);
    if let Ok(endpoint) = p::parse_mex(&response(200, input)) {
        let password = SecretString::from("Pa$$ w0rd&=+é");
        let _ = p::ws_trust_request(
            &endpoint,
            FEDUSER,
            &password,
            "urn:federation:MicrosoftOnline",
            Uuid::nil(),
            instants()[1],
        );
    }
}

fn token_params<'a>(
    auth: &'a p::ClientAuth,
    library: &'a p::LibraryInfo,
    scopes: &'a [&'a str],
) -> p::TokenParams<'a> {
    p::TokenParams {
        token_endpoint: "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
        client_id: CLIENT_ID,
        scopes,
        claims: None,
        client_capabilities: &[],
        client_auth: auth,
        correlation_id: Uuid::nil(),
        library,
    }
}

fn saml_bearer_grant(assertion: &p::SamlAssertion) {
    let (auth, library) = (p::ClientAuth::None, p::LibraryInfo::default());
    let _ = p::saml_bearer_grant(&token_params(&auth, &library, &["User.Read"]), assertion);
}

fn ws_trust_response(input: &[u8]) {
    for status in [200, 500] {
        if let Ok(assertion) = p::parse_ws_trust_response(&response(status, input)) {
            let _ = assertion.encoded_for_grant();
            saml_bearer_grant(&assertion);
        }
    }
}

/// The assertions inside the WS-Trust samples, after their token type line.
fn saml_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (doc, token_type) in samples::ws_trust_responses().iter().zip([
        "urn:oasis:names:tc:SAML:1.0:assertion",
        "urn:oasis:names:tc:SAML:2.0:assertion",
    ]) {
        let text = String::from_utf8_lossy(doc);
        let start = text
            .find("<saml:Assertion")
            .or_else(|| text.find("<Assertion"));
        let end = text.rfind("Assertion>").map(|n| n + "Assertion>".len());
        if let (Some(start), Some(end)) = (start, end)
            && start < end
        {
            seeds.push(format!("{token_type}\n{}", &text[start..end]).into_bytes());
        }
    }
    if seeds.is_empty() {
        seeds.push(b"urn:oasis:names:tc:SAML:1.0:assertion\n<saml:Assertion/>".to_vec());
    }
    seeds
}

fn saml_generate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let seed = rng.pick(seeds).clone();
    let (token_type, assertion) = split2(&seed, b"\n");
    [
        token_type,
        b"\n",
        &crate::shapes::hostile_xml(rng, assertion),
    ]
    .concat()
}

fn saml(input: &[u8]) {
    let (token_type, xml) = split2(input, b"\n");
    let Ok(token_type) = p::SamlTokenType::from_token_type(&String::from_utf8_lossy(token_type))
    else {
        return;
    };
    let assertion = p::SamlAssertion {
        token_type,
        xml: SecretString::from(String::from_utf8_lossy(xml).into_owned()),
    };
    let _ = assertion.encoded_for_grant();
    saml_bearer_grant(&assertion);
}

fn id_token_seeds() -> Vec<Vec<u8>> {
    let mut adfs = samples::id_token_claims();
    if let Some(map) = adfs.as_object_mut() {
        map.remove("oid");
        map.remove("preferred_username");
        map.insert("upn".into(), Value::from(ALICE));
    }
    vec![
        jwt(samples::id_token_claims().to_string().as_bytes()).into_bytes(),
        jwt(adfs.to_string().as_bytes()).into_bytes(),
    ]
}

fn id_token_generate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if rng.chance(1, 4) {
        let mut token = rng.pick(seeds).clone();
        crate::mutate::mutate(&mut token, rng, seeds);
        return token;
    }
    let claims = hostile_json(rng, samples::id_token_claims().to_string().as_bytes());
    jwt(&claims).into_bytes()
}

fn id_token(input: &[u8]) {
    let raw = String::from_utf8_lossy(input);
    if let Ok(claims) = p::decode_id_token(&raw) {
        let _ = (claims.username(), claims.local_account_id());
        let _ = claims.check_audience(CLIENT_ID);
        for now in instants() {
            for skew in [0, 300, u64::MAX] {
                let _ = claims.is_current(now, skew);
            }
        }
    }
}

fn client_info_seeds() -> Vec<Vec<u8>> {
    vec![b64url(samples::client_info().to_string().as_bytes()).into_bytes()]
}

fn client_info_generate(rng: &mut Rng, _seeds: &[Vec<u8>]) -> Vec<u8> {
    let json = hostile_json(rng, samples::client_info().to_string().as_bytes());
    if rng.chance(1, 4) {
        // Padded, or standard base64: what other servers send.
        use base64::Engine as _;
        return base64::engine::general_purpose::STANDARD
            .encode(json)
            .into_bytes();
    }
    b64url(&json).into_bytes()
}

fn client_info(input: &[u8]) {
    if let Ok(info) = p::decode_client_info(&String::from_utf8_lossy(input)) {
        let _ = info.home_account_id();
    }
}

/// `WWW-Authenticate` values as resources send them, one per line.
fn www_authenticate_seeds() -> Vec<Vec<u8>> {
    [
        &br#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0=""#[..],
        br#"Bearer error="invalid_token", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJwMSJdfX19""#,
        br#"Basic realm="a, \"b\"", Negotiate abc+/==, PoP nonce=x"#,
        b"Basic realm=\"x\"\nBearer claims=\"{\\\"id_token\\\":{\\\"amr\\\":{\\\"values\\\":[\\\"mfa\\\"]}}}\"",
    ]
    .iter()
    .map(|seed| seed.to_vec())
    .collect()
}

/// A seed with its claims replaced by base64 of a hostile claims request, or mutated
/// structure: deep quoting, many challenges, stray separators.
fn www_authenticate_generate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let claims = br#"{"access_token":{"acrs":{"essential":true,"values":["p1"]},"nbf":{"essential":true,"value":"1"}}}"#;
    match rng.below(4) {
        0 => {
            let hostile = hostile_json(rng, claims);
            let encoded = if rng.chance(1, 2) {
                b64url(&hostile)
            } else {
                String::from_utf8_lossy(&hostile)
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
            };
            format!(r#"Bearer error="insufficient_claims", claims="{encoded}""#).into_bytes()
        }
        1 => {
            let count = crate::shapes::length(rng).min(200);
            vec![&b"Bearer a=\"\\\",\""[..]; count].join(&b", "[..])
        }
        2 => {
            let seed = rng.pick(seeds);
            let pieces: [&[u8]; 6] = [b",", b" ", b"=", b"\"", b"\\", b"\t"];
            let mut out = seed.clone();
            for _ in 0..rng.below(16) {
                let at = rng.below(out.len() + 1);
                let piece = rng.pick(&pieces);
                out.splice(at..at, piece.iter().copied());
            }
            out
        }
        _ => rng.pick(seeds).clone(),
    }
}

fn www_authenticate(input: &[u8]) {
    use entra_protocol::challenge::{
        ClaimsChallenge, parse_www_authenticate_values, unsatisfiable_claim,
    };
    let values: Vec<&[u8]> = input.split(|b| *b == b'\n').collect();
    if let Ok(challenges) = parse_www_authenticate_values(&values) {
        for challenge in &challenges {
            let _ = (challenge.scheme(), challenge.params(), challenge.token68());
        }
        if let Ok(Some(claims)) = ClaimsChallenge::from_challenges(&challenges) {
            let _ = claims.next_step();
            assert!(serde_json::from_str::<serde_json::Value>(claims.claims()).is_ok());
        }
    }
    let _ = unsatisfiable_claim(&String::from_utf8_lossy(input));
}

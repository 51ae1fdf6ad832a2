//! Real shapes of every document the targets parse, in the form Entra, ADFS, MSAL and
//! mock-idp write them (the same values as the workspace's tests: the default fixture's
//! Contoso tenant, CLI app and alice).

use serde_json::{Value, json};

use crate::shapes::{b64url, jwt};

/// Contoso CLI: the public client every app target signs in with.
pub(crate) const CLIENT_ID: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
/// Contoso's tenant id.
pub(crate) const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
/// alice's object id.
pub(crate) const OID: &str = "a11ce000-0000-4000-8000-00000000a11c";
/// The managed user.
pub(crate) const ALICE: &str = "alice@contoso.com";
/// The federated user.
pub(crate) const FEDUSER: &str = "feduser@fabrikam.com";
/// The time the app targets start at (Unix seconds).
pub(crate) const NOW: u64 = 1_700_000_000;

/// alice's id token claims.
pub(crate) fn id_token_claims() -> Value {
    json!({
        "aud": CLIENT_ID,
        "iss": format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        "iat": NOW, "nbf": NOW, "exp": NOW + 3599,
        "name": "Alice Smith", "oid": OID, "preferred_username": ALICE,
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": TENANT, "ver": "2.0",
    })
}

/// alice's `client_info` JSON.
pub(crate) fn client_info() -> Value {
    json!({"uid": OID, "utid": TENANT})
}

/// A successful token response with `id_token` and `client_info` as given.
pub(crate) fn token_response_with(id_token: &str, client_info: &str) -> Value {
    json!({
        "token_type": "Bearer",
        "scope": "User.Read openid profile offline_access",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": "eyJ0eXAiOiJKV1QiLCJub25jZSI6IkFU.access-token-1.c2lnbmF0dXJl",
        "refresh_token": "0.AXkA-refresh-token-1-Pa5sW0rdL1ke+/=",
        "id_token": id_token,
        "client_info": client_info,
    })
}

/// The token response Entra gives alice.
pub(crate) fn token_response() -> Value {
    token_response_with(
        &jwt(id_token_claims().to_string().as_bytes()),
        &b64url(client_info().to_string().as_bytes()),
    )
}

/// Token responses in the shapes seen on the wire.
pub(crate) fn token_responses() -> Vec<Vec<u8>> {
    let good = token_response();
    let mut strings = good.clone();
    // Entra (v1 endpoints, ADFS) sends numbers as strings.
    strings["expires_in"] = json!("3599");
    strings["ext_expires_in"] = json!("3599");
    let mut refresh_in = good.clone();
    refresh_in["refresh_in"] = json!(1800);
    refresh_in["foci"] = json!("1");
    let mut adfs = good.clone();
    if let Some(map) = adfs.as_object_mut() {
        map.remove("client_info");
        map.remove("refresh_token");
    }
    vec![
        good.to_string().into_bytes(),
        strings.to_string().into_bytes(),
        refresh_in.to_string().into_bytes(),
        adfs.to_string().into_bytes(),
    ]
}

/// Entra error bodies: MFA with a claims challenge, a wrong password, throttling.
pub(crate) fn error_bodies() -> Vec<Vec<u8>> {
    let error = |error: &str, code: u32, suberror: Option<&str>, claims: Option<&str>| {
        let mut body = json!({
            "error": error,
            "error_description": format!("AADSTS{code}: Something happened.\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: c0ffee00-0000-4000-8000-000000000001\r\nTimestamp: 2024-05-01 12:00:00Z"),
            "error_codes": [code],
            "timestamp": "2024-05-01 12:00:00Z",
            "trace_id": "0000aaaa-11bb-cccc-dd22-eeeeee333333",
            "correlation_id": "c0ffee00-0000-4000-8000-000000000001",
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        });
        if let Some(suberror) = suberror {
            body["suberror"] = json!(suberror);
        }
        if let Some(claims) = claims {
            body["claims"] = json!(claims);
        }
        body.to_string().into_bytes()
    };
    vec![
        error(
            "invalid_grant",
            50076,
            Some("basic_action"),
            Some(r#"{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}"#),
        ),
        error("invalid_grant", 50126, None, None),
        error("interaction_required", 50079, None, Some("{}")),
        error("temporarily_unavailable", 50196, None, None),
        error("invalid_client", 7000218, None, None),
    ]
}

/// User realm answers: managed, federated, a personal account, an unknown domain.
pub(crate) fn user_realms() -> Vec<Vec<u8>> {
    [
        json!({"ver": "1.0", "account_type": "Managed", "domain_name": "contoso.com",
               "cloud_instance_name": "microsoftonline.com",
               "cloud_audience_urn": "urn:federation:MicrosoftOnline"}),
        federated_realm(),
        json!({"ver": "1.0", "account_type": "Federated", "domain_name": "live.com",
               "federation_protocol": "WSTrust",
               "federation_metadata_url": "https://nexus.passport.com/FederationMetadata/2007-06/FederationMetadata.xml",
               "federation_active_auth_url": "https://login.live.com/rst2.srf",
               "federation_brand_name": "MSA Realms", "cloud_instance_name": "microsoftonline.com",
               "cloud_audience_urn": "urn:federation:MicrosoftOnline"}),
        json!({"ver": "1.0", "account_type": "Unknown", "domain_name": "example.org",
               "cloud_instance_name": "microsoftonline.com",
               "cloud_audience_urn": "urn:federation:MicrosoftOnline"}),
    ]
    .iter()
    .map(|v| v.to_string().into_bytes())
    .collect()
}

/// Fabrikam's user realm answer: federated to ADFS over https.
pub(crate) fn federated_realm() -> Value {
    json!({
        "ver": "1.0", "account_type": "Federated", "domain_name": "fabrikam.com",
        "federation_protocol": "WSTrust",
        "federation_metadata_url": "https://fs.fabrikam.com/adfs/services/trust/mex",
        "federation_active_auth_url": "https://fs.fabrikam.com/adfs/services/trust/2005/usernamemixed",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_audience_urn": "urn:federation:MicrosoftOnline",
    })
}

/// OpenID configurations: a tenant, `organizations` (issuer with a placeholder), ADFS.
pub(crate) fn oidc_configurations() -> Vec<Vec<u8>> {
    let doc = |tenant: &str, issuer: &str| {
        json!({
            "token_endpoint": format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer,
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"),
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
        })
        .to_string()
        .into_bytes()
    };
    vec![
        doc(
            TENANT,
            &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        ),
        doc(
            "organizations",
            "https://login.microsoftonline.com/{tenantid}/v2.0",
        ),
        doc("adfs", "https://fs.fabrikam.com/adfs"),
    ]
}

/// Instance discovery answers: the public cloud with its aliases, and an error.
pub(crate) fn instance_discoveries() -> Vec<Vec<u8>> {
    vec![
        json!({
            "tenant_discovery_endpoint": "https://login.microsoftonline.com/contoso.com/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {"preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
                 "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"]},
                {"preferred_network": "login.partner.microsoftonline.cn", "preferred_cache": "login.partner.microsoftonline.cn",
                 "aliases": ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"]},
            ],
        })
        .to_string()
        .into_bytes(),
        json!({"error": "invalid_instance", "error_description": "AADSTS50049: Unknown or invalid instance.",
               "error_codes": [50049]})
        .to_string()
        .into_bytes(),
    ]
}

/// MEX documents from the protocol crate's tests: ADFS, and one without a username
/// endpoint.
pub(crate) fn mex_documents() -> Vec<Vec<u8>> {
    vec![
        include_bytes!("../../../crates/protocol/tests/data/mex-adfs.xml").to_vec(),
        include_bytes!("../../../crates/protocol/tests/data/mex-no-username.xml").to_vec(),
    ]
}

/// WS-Trust answers from the protocol crate's tests: SAML 1.1 (1.3), SAML 2.0 (2005),
/// a SOAP fault.
pub(crate) fn ws_trust_responses() -> Vec<Vec<u8>> {
    vec![
        include_bytes!("../../../crates/protocol/tests/data/rstr-saml11.xml").to_vec(),
        include_bytes!("../../../crates/protocol/tests/data/rstr-saml20-2005.xml").to_vec(),
        include_bytes!("../../../crates/protocol/tests/data/rstr-fault.xml").to_vec(),
    ]
}

/// A JWKS from the protocol crate's tests.
pub(crate) fn jwks() -> Vec<Vec<u8>> {
    vec![include_bytes!("../../../crates/protocol/tests/data/jwks.json").to_vec()]
}

/// Cache files written by MSAL Python 1.39 and MSAL Node 7.2 (from entra-cache's tests).
pub(crate) fn msal_caches() -> Vec<Vec<u8>> {
    vec![
        include_bytes!("../../../crates/cache/tests/data/msal_python_1_39.json").to_vec(),
        include_bytes!("../../../crates/cache/tests/data/msal_node_7_2.json").to_vec(),
    ]
}

//! Instance discovery (`/common/discovery/instance`) and OIDC discovery
//! (`/.well-known/openid-configuration`), and the JWKS they point to.

use serde::Deserialize;
use uuid::Uuid;

use crate::authority::Authority;
use crate::error::ProtocolError;
use crate::wire::{self, LibraryInfo};

/// The host that answers instance discovery for authorities outside the known clouds.
pub const DEFAULT_DISCOVERY_BASE: &str = "https://login.microsoftonline.com";

/// `GET {discovery_base}/common/discovery/instance?api-version=1.1&authorization_endpoint=...`
/// for an authority. Pass the authority's own base URL to ask it (a known cloud, or
/// mock-idp), or [`DEFAULT_DISCOVERY_BASE`].
pub fn instance_discovery_request(
    authority: &Authority,
    discovery_base: &str,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> Result<crate::Request, ProtocolError> {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("api-version", "1.1")
        .append_pair(
            "authorization_endpoint",
            &authority.authorization_endpoint(),
        )
        .finish();
    let uri = format!(
        "{}/common/discovery/instance?{query}",
        discovery_base.trim_end_matches('/')
    );
    wire::finish_empty(wire::request(
        http::Method::GET,
        &uri,
        correlation_id,
        library,
    ))
}

/// One cloud in an instance discovery answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InstanceMetadata {
    /// The host to send requests to.
    pub preferred_network: String,
    /// The host to write in cache entries.
    pub preferred_cache: String,
    /// Every host of this cloud.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// An instance discovery answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InstanceDiscovery {
    /// Where the OIDC document for the tenant asked about lives.
    pub tenant_discovery_endpoint: String,
    /// `api-version` as echoed.
    #[serde(
        default,
        rename = "api-version",
        deserialize_with = "wire::de_opt_string"
    )]
    pub api_version: Option<String>,
    /// The clouds and their aliases.
    #[serde(default)]
    pub metadata: Vec<InstanceMetadata>,
}

impl InstanceDiscovery {
    /// The metadata entry whose aliases contain `host` (case-insensitive).
    pub fn metadata_for(&self, host: &str) -> Option<&InstanceMetadata> {
        self.metadata
            .iter()
            .find(|m| m.aliases.iter().any(|a| a.eq_ignore_ascii_case(host)))
    }
}

/// Parses an instance discovery answer; `invalid_instance` (AADSTS50049) comes back as
/// [`ProtocolError::Server`].
pub fn parse_instance_discovery(
    r: &http::Response<Vec<u8>>,
) -> Result<InstanceDiscovery, ProtocolError> {
    const WHAT: &str = "instance discovery response";
    let v = wire::json_object(r, WHAT)?;
    if v.get("tenant_discovery_endpoint").is_none() {
        return Err(ProtocolError::MissingField {
            what: WHAT,
            field: "tenant_discovery_endpoint",
        });
    }
    wire::from_value(v, WHAT)
}

/// `GET` the authority's OpenID configuration
/// ([`Authority::openid_configuration_url`]: per kind, ADFS and OIDC without `/v2.0`).
pub fn oidc_discovery_request(
    authority: &Authority,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> Result<crate::Request, ProtocolError> {
    oidc_discovery_request_at(
        &authority.openid_configuration_url(),
        correlation_id,
        library,
    )
}

/// `GET` an OIDC document at a given URL (the `tenant_discovery_endpoint` of instance
/// discovery).
pub fn oidc_discovery_request_at(
    url: &str,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> Result<crate::Request, ProtocolError> {
    wire::finish_empty(wire::request(
        http::Method::GET,
        url,
        correlation_id,
        library,
    ))
}

/// The fields of an OpenID configuration this library uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OidcConfiguration {
    /// `authorization_endpoint` (required: MSAL refuses a document without it).
    pub authorization_endpoint: String,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `issuer`; for `organizations`/`common` Entra writes `{tenantid}` in it.
    pub issuer: String,
    /// `jwks_uri`.
    pub jwks_uri: String,
    /// `device_authorization_endpoint`, if published.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub device_authorization_endpoint: Option<String>,
    /// `tenant_region_scope` (`NA`, `EU`, `WW`...).
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub tenant_region_scope: Option<String>,
    /// `cloud_instance_name` (`microsoftonline.com`).
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub cloud_instance_name: Option<String>,
}

impl OidcConfiguration {
    /// The tenant as the token endpoint names it: its first path segment
    /// (`organizations`, a GUID, a domain, `adfs`). MSAL Python stores this as the cache
    /// `realm`.
    pub fn token_endpoint_tenant(&self) -> Option<String> {
        let url = url::Url::parse(&self.token_endpoint).ok()?;
        let first = url.path_segments()?.find(|s| !s.is_empty())?;
        Some(first.to_owned())
    }

    /// The issuer expected in tokens of tenant `tid` (the `{tenantid}` placeholder
    /// replaced).
    pub fn issuer_for_tenant(&self, tid: &str) -> String {
        self.issuer.replace("{tenantid}", tid)
    }

    /// The endpoints this document yields.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            token_endpoint: self.token_endpoint.clone(),
            issuer: self.issuer.clone(),
            jwks_uri: self.jwks_uri.clone(),
        }
    }
}

/// The endpoints a flow needs after discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Where to post token requests.
    pub token_endpoint: String,
    /// The token issuer (may contain `{tenantid}`).
    pub issuer: String,
    /// Where the signing keys are.
    pub jwks_uri: String,
}

/// Parses an OpenID configuration; each missing required field is named.
pub fn parse_oidc_configuration(
    r: &http::Response<Vec<u8>>,
) -> Result<OidcConfiguration, ProtocolError> {
    const WHAT: &str = "OpenID configuration";
    let v = wire::json_object(r, WHAT)?;
    for field in [
        "authorization_endpoint",
        "token_endpoint",
        "issuer",
        "jwks_uri",
    ] {
        if !v.get(field).is_some_and(serde_json::Value::is_string) {
            return Err(ProtocolError::MissingField { what: WHAT, field });
        }
    }
    wire::from_value(v, WHAT)
}

/// `GET {jwks_uri}`.
pub fn jwks_request(
    jwks_uri: &str,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> Result<crate::Request, ProtocolError> {
    wire::finish_empty(wire::request(
        http::Method::GET,
        jwks_uri,
        correlation_id,
        library,
    ))
}

/// A JSON Web Key Set: the public keys that sign id tokens, as [`parse_jwks`] read
/// them. Opaque on purpose: its one use is [`verify_id_token`](crate::verify_id_token),
/// and the JWK model underneath (jsonwebtoken's) stays this crate's choice.
#[derive(Clone, Debug)]
pub struct Jwks(pub(crate) jsonwebtoken::jwk::JwkSet);

/// Parses a JWKS document (the keys that sign id tokens).
pub fn parse_jwks(r: &http::Response<Vec<u8>>) -> Result<Jwks, ProtocolError> {
    const WHAT: &str = "JWKS";
    let v = wire::json_object(r, WHAT)?;
    wire::from_value(v, WHAT).map(Jwks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{json_response, render};

    fn ids() -> (Uuid, LibraryInfo) {
        (Uuid::from_u128(0x1234), crate::test_support::library())
    }

    #[test]
    fn instance_discovery_request_names_the_authorize_endpoint() {
        let (id, lib) = ids();
        let a = Authority::parse("https://login.microsoftonline.com/contoso.com").unwrap();
        let r = instance_discovery_request(&a, DEFAULT_DISCOVERY_BASE, id, &lib).unwrap();
        insta::assert_snapshot!(render(&r));
    }

    #[test]
    fn instance_discovery_answer_gives_aliases() {
        let body = r#"{"tenant_discovery_endpoint":"https://login.microsoftonline.com/contoso.com/v2.0/.well-known/openid-configuration","api-version":"1.1","metadata":[{"preferred_network":"login.microsoftonline.com","preferred_cache":"login.windows.net","aliases":["login.microsoftonline.com","login.windows.net","login.microsoft.com","sts.windows.net"]},{"preferred_network":"login.partner.microsoftonline.cn","preferred_cache":"login.partner.microsoftonline.cn","aliases":["login.partner.microsoftonline.cn","login.chinacloudapi.cn"]}]}"#;
        let d = parse_instance_discovery(&json_response(200, body)).unwrap();
        assert_eq!(d.api_version.as_deref(), Some("1.1"));
        assert_eq!(
            d.metadata_for("STS.windows.net").unwrap().preferred_cache,
            "login.windows.net"
        );
        assert!(d.metadata_for("example.com").is_none());
    }

    #[test]
    fn invalid_instance_is_a_server_error() {
        let body = r#"{"error":"invalid_instance","error_description":"AADSTS50049: Unknown or invalid instance.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2024-01-01 00:00:00Z","error_codes":[50049]}"#;
        let e = parse_instance_discovery(&json_response(400, body)).unwrap_err();
        assert_eq!(e.server_error().unwrap().error, "invalid_instance");
        assert_eq!(e.server_error().unwrap().aadsts_code(), Some(50049));
    }

    #[test]
    fn oidc_request_and_document() {
        let (id, lib) = ids();
        let a = Authority::parse("https://localhost:44321/organizations").unwrap();
        insta::assert_snapshot!(render(&oidc_discovery_request(&a, id, &lib).unwrap()));
        let body = r#"{"token_endpoint":"https://localhost:44321/organizations/oauth2/v2.0/token","token_endpoint_auth_methods_supported":["client_secret_post","private_key_jwt","client_secret_basic"],"jwks_uri":"https://localhost:44321/organizations/discovery/v2.0/keys","response_modes_supported":["query","fragment","form_post"],"subject_types_supported":["pairwise"],"id_token_signing_alg_values_supported":["RS256"],"response_types_supported":["code","id_token","code id_token","id_token token"],"scopes_supported":["openid","profile","email","offline_access"],"issuer":"https://localhost:44321/{tenantid}/v2.0","request_uri_parameter_supported":false,"userinfo_endpoint":"https://graph.microsoft.com/oidc/userinfo","authorization_endpoint":"https://localhost:44321/organizations/oauth2/v2.0/authorize","device_authorization_endpoint":"https://localhost:44321/organizations/oauth2/v2.0/devicecode","http_logout_supported":true,"frontchannel_logout_supported":true,"end_session_endpoint":"https://localhost:44321/organizations/oauth2/v2.0/logout","claims_supported":["sub","iss"],"kerberos_endpoint":"https://localhost:44321/organizations/kerberos","tenant_region_scope":null,"cloud_instance_name":"microsoftonline.com","cloud_graph_host_name":"graph.windows.net","msgraph_host":"graph.microsoft.com","rbac_url":"https://pas.windows.net"}"#;
        let c = parse_oidc_configuration(&json_response(200, body)).unwrap();
        assert_eq!(c.token_endpoint_tenant().as_deref(), Some("organizations"));
        assert_eq!(
            c.issuer_for_tenant("aaaabbbb-0000-cccc-1111-dddd2222eeee"),
            "https://localhost:44321/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0"
        );
        assert_eq!(
            c.endpoints().jwks_uri,
            "https://localhost:44321/organizations/discovery/v2.0/keys"
        );
        assert_eq!(c.tenant_region_scope, None);
    }

    #[test]
    fn oidc_document_without_issuer_names_the_field() {
        let body = r#"{"authorization_endpoint":"https://h/t/a","token_endpoint":"https://h/t/t","jwks_uri":"https://h/k"}"#;
        let e = parse_oidc_configuration(&json_response(200, body)).unwrap_err();
        insta::assert_snapshot!(e, @"OpenID configuration lacks the required field `issuer`");
    }

    #[test]
    fn unknown_tenant_is_a_server_error() {
        let body = r#"{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant 'nope.example' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.","error_codes":[90002]}"#;
        let e = parse_oidc_configuration(&json_response(400, body)).unwrap_err();
        assert_eq!(e.class(), crate::ErrorClass::TenantNotFound);
    }

    #[test]
    fn jwks_parses() {
        let body = r#"{"keys":[{"kty":"RSA","use":"sig","kid":"k1","x5t":"k1","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}]}"#;
        let set = parse_jwks(&json_response(200, body)).unwrap();
        assert!(set.0.find("k1").is_some());
    }
}

//! User realm discovery: is a username managed, federated (WS-Trust), or a personal
//! Microsoft account?

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use uuid::Uuid;

use crate::authority::Authority;
use crate::error::ProtocolError;
use crate::wire::{self, LibraryInfo};

/// Everything but RFC 3986 unreserved characters and `@` is escaped in the path segment.
const USERNAME: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

pub(crate) fn user_realm_url(base_url: &str, username: &str) -> String {
    format!(
        "{base_url}/common/userrealm/{}?api-version=1.0",
        utf8_percent_encode(username, USERNAME)
    )
}

/// The user realm endpoint with `[username]` in place of the username and no query: how
/// logs and errors name a user realm request without personal data.
pub(crate) fn user_realm_url_without_username(base_url: &str) -> String {
    format!("{base_url}/common/userrealm/[username]")
}

/// `GET https://{host[:port]}/common/userrealm/{username}?api-version=1.0`, port kept,
/// username percent-encoded.
pub fn user_realm_request(
    authority: &Authority,
    username: &str,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> Result<crate::Request, ProtocolError> {
    wire::finish_empty(wire::request(
        http::Method::GET,
        &authority.user_realm_url(username),
        correlation_id,
        library,
    ))
}

/// `account_type` of a user realm answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountType {
    /// Entra holds the password.
    Managed,
    /// A federated IdP (ADFS) holds the password: go through WS-Trust.
    Federated,
    /// Entra does not know the domain (or sent something else).
    Unknown,
}

/// What kind of account a username is, for the password flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// A work or school account whose password Entra checks: plain password grant.
    Managed,
    /// A work or school account federated to an IdP: WS-Trust, then a SAML grant.
    Federated,
    /// A personal Microsoft account (outlook.com, hotmail.com, live.com...): this flow
    /// never works; refuse before sending the password.
    PersonalMicrosoftAccount,
    /// Unknown domain: MSAL tries the plain password grant and lets Entra answer.
    Unknown,
}

/// A user realm discovery answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserRealm {
    /// `ver` (`1.0`).
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub ver: Option<String>,
    /// `account_type` as sent (`Managed`, `Federated`, `Unknown`, any case).
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub account_type: Option<String>,
    /// `domain_name`.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub domain_name: Option<String>,
    /// `cloud_instance_name` (`microsoftonline.com`).
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub cloud_instance_name: Option<String>,
    /// `cloud_audience_urn` (`urn:federation:MicrosoftOnline`): the WS-Trust AppliesTo.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub cloud_audience_urn: Option<String>,
    /// `federation_protocol` (`WSTrust`).
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub federation_protocol: Option<String>,
    /// `federation_metadata_url`: the MEX document.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub federation_metadata_url: Option<String>,
    /// `federation_active_auth_url`: the WS-Trust endpoint when there is no MEX.
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    pub federation_active_auth_url: Option<String>,
    /// `federation_brand_name` (`MSA Realms` for personal accounts), when sent.
    #[serde(
        default,
        alias = "FederationBrandName",
        deserialize_with = "wire::de_opt_string"
    )]
    pub federation_brand_name: Option<String>,
}

/// Hosts that serve the personal Microsoft account federation endpoints.
const MSA_HOSTS: &[&str] = &["nexus.passport.com", "login.live.com"];

impl UserRealm {
    /// `account_type`, case-insensitive; missing or unrecognised values are `Unknown`.
    pub fn account_type(&self) -> AccountType {
        match self
            .account_type
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("managed") => AccountType::Managed,
            Some("federated") => AccountType::Federated,
            _ => AccountType::Unknown,
        }
    }

    /// Whether this is a personal Microsoft account: Entra answers Federated with domain
    /// `live.com`, the MSA realm brand, or the passport/live federation endpoints.
    pub fn is_personal_account(&self) -> bool {
        let domain_is_live = self
            .domain_name
            .as_deref()
            .is_some_and(|d| d.trim().eq_ignore_ascii_case("live.com"));
        let brand_is_msa = self
            .federation_brand_name
            .as_deref()
            .is_some_and(|b| b.trim().eq_ignore_ascii_case("MSA Realms"));
        let msa_url = [
            &self.federation_metadata_url,
            &self.federation_active_auth_url,
        ]
        .into_iter()
        .flatten()
        .any(|u| url_host_is_msa(u));
        domain_is_live || brand_is_msa || msa_url
    }

    /// The kind of account, for deciding the flow.
    pub fn account_kind(&self) -> AccountKind {
        if self.is_personal_account() {
            return AccountKind::PersonalMicrosoftAccount;
        }
        match self.account_type() {
            AccountType::Managed => AccountKind::Managed,
            AccountType::Federated => AccountKind::Federated,
            AccountType::Unknown => AccountKind::Unknown,
        }
    }

    /// The WS-Trust AppliesTo audience: `cloud_audience_urn`, else
    /// `urn:federation:MicrosoftOnline`.
    pub fn audience(&self) -> &str {
        self.cloud_audience_urn
            .as_deref()
            .filter(|u| !u.is_empty())
            .unwrap_or("urn:federation:MicrosoftOnline")
    }
}

fn url_host_is_msa(u: &str) -> bool {
    url::Url::parse(u)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| MSA_HOSTS.iter().any(|m| h == *m))
}

/// Parses a user realm answer.
pub fn parse_user_realm(r: &http::Response<Vec<u8>>) -> Result<UserRealm, ProtocolError> {
    const WHAT: &str = "user realm response";
    let v = wire::json_object(r, WHAT)?;
    wire::from_value(v, WHAT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{json_response, library, render};

    fn realm(body: &str) -> UserRealm {
        parse_user_realm(&json_response(200, body)).unwrap()
    }

    #[test]
    fn request_keeps_port_and_escapes_username() {
        let a = Authority::parse("https://localhost:8443/organizations").unwrap();
        let r = user_realm_request(
            &a,
            "o'neil+test #1@contoso.com",
            Uuid::from_u128(7),
            &library(),
        )
        .unwrap();
        insta::assert_snapshot!(render(&r));
    }

    #[test]
    fn managed_user() {
        let r = realm(
            r#"{"ver":"1.0","account_type":"Managed","domain_name":"contoso.onmicrosoft.com","cloud_audience_urn":"urn:federation:MicrosoftOnline","cloud_instance_name":"microsoftonline.com"}"#,
        );
        assert_eq!(r.account_type(), AccountType::Managed);
        assert_eq!(r.account_kind(), AccountKind::Managed);
        assert!(!r.is_personal_account());
    }

    #[test]
    fn federated_user_lowercase_type() {
        let r = realm(
            r#"{"ver":"1.0","account_type":"federated","domain_name":"fabrikam.com","federation_protocol":"WSTrust","federation_metadata_url":"https://fs.fabrikam.com/adfs/services/trust/mex","federation_active_auth_url":"https://fs.fabrikam.com/adfs/services/trust/2005/usernamemixed","cloud_audience_urn":"urn:federation:MicrosoftOnline","cloud_instance_name":"microsoftonline.com"}"#,
        );
        assert_eq!(r.account_kind(), AccountKind::Federated);
        assert_eq!(
            r.federation_metadata_url.as_deref(),
            Some("https://fs.fabrikam.com/adfs/services/trust/mex")
        );
        assert_eq!(r.audience(), "urn:federation:MicrosoftOnline");
    }

    #[test]
    fn personal_account_as_entra_answers() {
        let r = realm(
            r#"{"ver":"1.0","account_type":"Federated","domain_name":"live.com","federation_protocol":"WSTrust","federation_metadata_url":"https://nexus.passport.com/FederationMetadata/2007-06/FederationMetadata.xml","federation_active_auth_url":"https://login.live.com/rst2.srf","cloud_instance_name":"microsoftonline.com","cloud_audience_urn":"urn:federation:MicrosoftOnline"}"#,
        );
        assert!(r.is_personal_account());
        assert_eq!(r.account_kind(), AccountKind::PersonalMicrosoftAccount);
    }

    #[test]
    fn personal_account_recognised_by_each_signal_alone() {
        // mock-idp points the metadata URL at itself: the domain alone must do.
        assert!(realm(r#"{"account_type":"Federated","domain_name":"LIVE.COM","federation_metadata_url":"https://localhost:8443/msa/mex"}"#).is_personal_account());
        assert!(realm(r#"{"account_type":"Federated","domain_name":"outlook.com","FederationBrandName":"MSA Realms"}"#).is_personal_account());
        assert!(realm(r#"{"account_type":"Federated","domain_name":"x.com","federation_metadata_url":"https://nexus.passport.com/FederationMetadata/2007-06/FederationMetadata.xml"}"#).is_personal_account());
        assert!(!realm(r#"{"account_type":"Federated","domain_name":"fabrikam.com","federation_metadata_url":"https://fs.fabrikam.com/mex?live.com"}"#).is_personal_account());
    }

    #[test]
    fn unknown_and_empty_answers_are_unknown() {
        assert_eq!(realm(r#"{"ver":"1.0","account_type":"Unknown","cloud_instance_name":"microsoftonline.com"}"#).account_kind(), AccountKind::Unknown);
        assert_eq!(realm("{}").account_kind(), AccountKind::Unknown);
        assert_eq!(
            realm(r#"{"account_type":"Weird"}"#).account_type(),
            AccountType::Unknown
        );
    }

    #[test]
    fn html_404_is_a_typed_error() {
        let resp = http::Response::builder()
            .status(404)
            .header("content-type", "text/html")
            .body(b"<html><body>Not Found</body></html>".to_vec())
            .unwrap();
        let e = parse_user_realm(&resp).unwrap_err();
        insta::assert_snapshot!(e, @"unexpected HTTP 404 response (text/html): an HTML page: Not Found");
    }
}

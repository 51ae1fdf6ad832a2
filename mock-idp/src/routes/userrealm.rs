//! User realm discovery, which never answers 404 (one 404 turns MSAL Python's realm
//! discovery off for the whole process), and the personal-account realm's federation
//! metadata, which offers no WS-Trust username/password endpoint.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::errors::RequestCtx;
use crate::fixture::TenantKind;
use crate::state::Shared;

/// Where the personal-account realm's metadata lives on mock-idp.
pub(crate) const MSA_METADATA_PATH: &str = "/msa/FederationMetadata/2007-06/FederationMetadata.xml";

#[derive(Serialize)]
struct Realm {
    ver: &'static str,
    account_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    federation_protocol: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    federation_metadata_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    federation_active_auth_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    federation_global_version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    federation_brand_name: Option<String>,
    cloud_instance_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_audience_urn: Option<&'static str>,
}

const AUDIENCE: &str = "urn:federation:MicrosoftOnline";

/// `GET /common/userrealm/{username}?api-version=1.0`.
pub(crate) async fn user_realm(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    Path(username): Path<String>,
) -> Response {
    let inner = shared.lock();
    let base = ctx.base();
    let domain = username
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase());
    let tenant = inner.fixture().tenant_of_username(&username);
    let realm = match (tenant, domain) {
        (Some(t), Some(domain)) if t.kind == TenantKind::Managed => Realm {
            ver: "1.0",
            account_type: "Managed",
            domain_name: Some(domain),
            federation_protocol: None,
            federation_metadata_url: None,
            federation_active_auth_url: None,
            federation_global_version: None,
            federation_brand_name: Some(t.name.clone()),
            cloud_instance_name: "microsoftonline.com",
            cloud_audience_urn: Some(AUDIENCE),
        },
        (Some(t), Some(domain)) if t.kind == TenantKind::Federated => Realm {
            ver: "1.0",
            account_type: "Federated",
            domain_name: Some(domain),
            federation_protocol: Some("WSTrust"),
            federation_metadata_url: Some(format!("{base}/adfs/services/trust/mex")),
            federation_active_auth_url: Some(format!(
                "{base}/adfs/services/trust/13/usernamemixed"
            )),
            federation_global_version: None,
            federation_brand_name: Some(t.name.clone()),
            cloud_instance_name: "microsoftonline.com",
            cloud_audience_urn: Some(AUDIENCE),
        },
        // Entra answers every personal-account domain with the live.com realm.
        (Some(t), Some(_)) if t.kind == TenantKind::Personal => Realm {
            ver: "1.0",
            account_type: "Federated",
            domain_name: Some("live.com".into()),
            federation_protocol: Some("WSTrust"),
            federation_metadata_url: Some(format!("{base}{MSA_METADATA_PATH}")),
            federation_active_auth_url: Some(format!("{base}/msa/rst2.srf")),
            federation_global_version: Some(-1),
            federation_brand_name: Some("MSA Realms".into()),
            cloud_instance_name: "microsoftonline.com",
            cloud_audience_urn: Some(AUDIENCE),
        },
        // B2C and External ID local accounts (neither managed by Entra's password check
        // nor federated) and unknown domains: a client goes on with a plain password grant.
        _ => Realm {
            ver: "1.0",
            account_type: "Unknown",
            domain_name: None,
            federation_protocol: None,
            federation_metadata_url: None,
            federation_active_auth_url: None,
            federation_global_version: None,
            federation_brand_name: None,
            cloud_instance_name: "microsoftonline.com",
            cloud_audience_urn: None,
        },
    };
    drop(inner);
    ctx.json(StatusCode::OK, &realm)
}

/// The personal-account realm's federation metadata: a SAML metadata document, no WSDL,
/// so a MEX parser finds no username/password endpoint (as with the real MSA realm).
pub(crate) async fn msa_metadata(Extension(ctx): Extension<RequestCtx>) -> Response {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:federation:MicrosoftOnline:msa" ID="_msa">
  <RoleDescriptor xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706">
    <fed:PassiveRequestorEndpoint>
      <EndpointReference xmlns="http://www.w3.org/2005/08/addressing">
        <Address>{}/msa/login.srf</Address>
      </EndpointReference>
    </fed:PassiveRequestorEndpoint>
  </RoleDescriptor>
</EntityDescriptor>
"#,
        ctx.base()
    );
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}

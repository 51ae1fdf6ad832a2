//! The SAML bearer grants (RFC 7522): `saml1_1-bearer` and `saml2-bearer`, with an
//! assertion from the mock ADFS.
//!
//! The `assertion` is base64url or base64, padded or not. Its signature must verify
//! against the federation certificate of the user's tenant (the mock ADFS's), its issuer
//! must be that tenant's, its audience `urn:federation:MicrosoftOnline`, and the mock
//! clock within NotBefore..NotOnOrAfter (5 minutes of skew). Then the user (by UPN,
//! with a matching NameID) gets the password grant's consent and policy checks.
//!
//! Errors, all 400 `invalid_grant`: unreadable assertion or the wrong version for the
//! grant type AADSTS50008; bad signature or digest AADSTS50006; unknown issuer
//! AADSTS50107; wrong audience, expired or not yet valid AADSTS50013; no such federated
//! user AADSTS50034.

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

use super::issue::{ClientAuth, Minted};
use super::password::{issue_for_user, no_such_user};
use super::{Form, SAML2, TenantPath, access, credential_required};
use crate::errors::{EntraError, RequestCtx};
use crate::fixture::{App, Fixture, SamlVersion, Tenant, TenantKind, User};
use crate::routes::adfs::{AUDIENCE, immutable_id, issuer};
use crate::saml::{self, AdfsKey, Invalid};
use crate::scopes;
use crate::state::{Inner, Shared};

/// Clock skew allowed on NotBefore and NotOnOrAfter.
const SKEW: u64 = 300;

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn invalid_saml(detail: &str) -> EntraError {
    EntraError::invalid_grant(50008, format!("SAML token is invalid. {detail}"))
}

/// The assertion XML from the form value: base64url or base64, padded or not (a `+`
/// that arrived unescaped reads as a space in a form, and is put back).
fn decode_assertion(value: &str) -> Result<String, EntraError> {
    let standard: String = value
        .trim()
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            ' ' => '+',
            other => other,
        })
        .filter(|c| !c.is_whitespace())
        .collect();
    let bytes = LENIENT
        .decode(standard.as_bytes())
        .or_else(|_| general_purpose::STANDARD_NO_PAD.decode(standard.trim_end_matches('=')))
        .map_err(|_| invalid_saml("The assertion is not base64url or base64."))?;
    String::from_utf8(bytes).map_err(|_| invalid_saml("The assertion is not UTF-8 XML."))
}

/// The federated user an assertion names, after every check on the assertion.
pub(super) fn verify(
    fixture: &Fixture,
    key: &AdfsKey,
    now: u64,
    xml: &str,
    grant_type: &str,
) -> Result<(Tenant, User), EntraError> {
    let claims = saml::verify(xml.trim(), key).map_err(|err| match err {
        Invalid::Malformed(reason) => invalid_saml(&reason),
        Invalid::Signature(reason) => EntraError::invalid_grant(
            50006,
            format!("Signature verification failed because of an invalid signature: {reason}."),
        ),
    })?;
    let expected = if grant_type == SAML2 {
        SamlVersion::V2_0
    } else {
        SamlVersion::V1_1
    };
    if claims.version != expected {
        return Err(invalid_saml(&format!(
            "The grant type '{grant_type}' needs a SAML {} assertion; this one is SAML {}.",
            expected.as_str(),
            claims.version.as_str()
        )));
    }
    let tenant = fixture
        .tenants
        .iter()
        .filter(|t| t.kind == TenantKind::Federated)
        .find(|t| issuer(t) == claims.issuer)
        .ok_or_else(|| {
            EntraError::invalid_grant(
                50107,
                format!(
                    "The requested federation realm object '{}' does not exist.",
                    claims.issuer
                ),
            )
        })?;
    if claims.audience != AUDIENCE {
        return Err(EntraError::invalid_grant(
            50013,
            format!(
                "Assertion is invalid: its audience '{}' is not '{AUDIENCE}'.",
                claims.audience
            ),
        ));
    }
    // Saturating: a bound past the end of time is simply never reached.
    if now.saturating_add(SKEW) < claims.not_before
        || now >= claims.not_on_or_after.saturating_add(SKEW)
    {
        return Err(EntraError::invalid_grant(
            50013,
            format!(
                "Assertion is invalid: it is not within its valid time range. Current time: \
                 {}, valid from {} until {}.",
                crate::clock::rfc3339(now),
                crate::clock::rfc3339(claims.not_before),
                crate::clock::rfc3339(claims.not_on_or_after),
            ),
        ));
    }
    let user = fixture
        .user(&claims.upn)
        .filter(|u| u.tenant == tenant.id && immutable_id(u) == claims.name_id)
        .ok_or_else(|| no_such_user(&tenant.id))?;
    Ok((tenant.clone(), user.clone()))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn grant(
    shared: &Shared,
    inner: &mut Inner,
    ctx: &RequestCtx,
    path: TenantPath,
    app: &App,
    auth: ClientAuth,
    form: &Form,
    grant_type: &str,
) -> Result<Minted, EntraError> {
    if auth == ClientAuth::None && !app.public_client_flows {
        return Err(credential_required());
    }
    let xml = decode_assertion(form.required("assertion")?)?;
    let scope = form.get("scope").unwrap_or("openid profile offline_access");
    let requested = scopes::parse(inner.fixture(), scope)?;
    let (tenant, user) = verify(inner.fixture(), &shared.adfs, ctx.now, &xml, grant_type)?;
    if let TenantPath::Tenant(index) = path
        && inner
            .fixture()
            .tenants
            .get(index)
            .is_none_or(|t| t.id != tenant.id)
    {
        let directory = inner
            .fixture()
            .tenants
            .get(index)
            .map_or("organizations", |t| t.id.as_str());
        return Err(no_such_user(directory));
    }
    if !app.multi_tenant && app.tenant != tenant.id {
        return Err(EntraError::unknown_client(&app.client_id, &tenant.id));
    }
    // The account as Entra knows it (ADFS refused locked or disabled users already).
    access::account_state(&user)?;
    issue_for_user(
        shared, inner, ctx, app, auth, form, &tenant, &user, &requested,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::DETERMINISTIC_START;
    use crate::default_fixture as d;

    fn claims(fixture: &Fixture, version: SamlVersion) -> saml::Claims {
        let user = fixture.user(d::FEDUSER).unwrap();
        let tenant = fixture.tenant(d::FABRIKAM_TENANT_ID).unwrap();
        saml::Claims {
            version,
            id: "_a".into(),
            issuer: issuer(tenant),
            audience: AUDIENCE.into(),
            issued_at: DETERMINISTIC_START,
            not_before: DETERMINISTIC_START,
            not_on_or_after: DETERMINISTIC_START + 3600,
            name_id: immutable_id(user),
            upn: user.username.clone(),
        }
    }

    fn code(result: Result<(Tenant, User), EntraError>) -> u32 {
        result.map(|_| 0).unwrap_or_else(|err| err.code)
    }

    #[test]
    fn a_good_assertion_names_the_federated_user() {
        let (fixture, key) = (Fixture::default(), AdfsKey::builtin().unwrap());
        let xml = saml::issue(&key, &claims(&fixture, SamlVersion::V1_1));
        let (tenant, user) = verify(
            &fixture,
            &key,
            DETERMINISTIC_START + 10,
            &xml,
            super::super::SAML11,
        )
        .unwrap();
        assert_eq!(
            (tenant.id.as_str(), user.username.as_str()),
            (d::FABRIKAM_TENANT_ID, d::FEDUSER)
        );
    }

    #[test]
    fn audience_issuer_time_version_and_subject_are_checked() {
        let (fixture, key) = (Fixture::default(), AdfsKey::builtin().unwrap());
        let now = DETERMINISTIC_START + 10;
        let check = |c: &saml::Claims, now: u64, grant: &str| {
            code(verify(&fixture, &key, now, &saml::issue(&key, c), grant))
        };
        let good = claims(&fixture, SamlVersion::V1_1);
        let saml11 = super::super::SAML11;
        assert_eq!(check(&good, now, saml11), 0);
        let mut audience = good.clone();
        audience.audience = "urn:somebody:else".into();
        assert_eq!(check(&audience, now, saml11), 50013);
        assert_eq!(
            check(&good, DETERMINISTIC_START + 3600 + 300, saml11),
            50013
        );
        assert_eq!(check(&good, DETERMINISTIC_START - 301, saml11), 50013);
        assert_eq!(check(&good, now, SAML2), 50008);
        let mut foreign = good.clone();
        foreign.issuer = "http://contoso.com/adfs/services/trust/".into();
        assert_eq!(check(&foreign, now, saml11), 50107);
        let mut other_subject = good.clone();
        other_subject.name_id = "AAAA".into();
        assert_eq!(check(&other_subject, now, saml11), 50034);
        let v2 = claims(&fixture, SamlVersion::V2_0);
        assert_eq!(check(&v2, now, SAML2), 0);
        // Times at the end of u64 are checked, not overflowed.
        assert_eq!(check(&good, u64::MAX, saml11), 50013);
        let forever = saml::Claims {
            not_on_or_after: u64::MAX,
            ..good.clone()
        };
        assert_eq!(check(&forever, u64::MAX, saml11), 50013);
    }

    #[test]
    fn every_base64_flavour_decodes() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
        let xml = "<a b=\"??>>\"/>";
        for encoded in [
            STANDARD.encode(xml),
            URL_SAFE.encode(xml),
            URL_SAFE_NO_PAD.encode(xml),
            STANDARD.encode(xml).replace('+', " "),
        ] {
            assert_eq!(decode_assertion(&encoded).unwrap(), xml, "{encoded}");
        }
        assert_eq!(decode_assertion("***").unwrap_err().code, 50008);
    }
}

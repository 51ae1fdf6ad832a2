//! SAML assertions as the mock ADFS issues them (1.1 by default, 2.0 per tenant), signed
//! with an enveloped XML-DSig signature (RSA-SHA256, exclusive c14n, SHA-256 digest),
//! and their verification on the token endpoint.
//!
//! Canonical by construction: mock-idp writes each assertion byte for byte in exclusive
//! c14n form (no XML declaration, no whitespace between elements, attributes sorted,
//! empty elements as start and end tags, c14n escaping), so the digest over those bytes
//! with the `Signature` element removed *is* the digest of the canonical form, and the
//! `SignedInfo` is canonical once its in-scope `xmlns:ds` is written on it. Verification
//! recomputes both over the bytes received. A full exclusive c14n implementation would
//! also accept an equivalent assertion serialized differently (another signer's); this
//! one refuses it, which is enough for assertions mock-idp issued itself: clients pass
//! them on unchanged, and any changed byte fails the digest.

pub(crate) mod key;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::clock::{parse_instant, xml_instant};
use crate::fixture::SamlVersion;
use crate::xml::Doc;
pub(crate) use key::AdfsKey;

pub(crate) const NS_SAML1: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
pub(crate) const NS_SAML2: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const BEARER_1: &str = "urn:oasis:names:tc:SAML:1.0:cm:bearer";
const BEARER_2: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// ADFS's attribute namespace for the ImmutableID (the user's source anchor).
const IMMUTABLE_ID_NS: &str = "http://schemas.microsoft.com/LiveID/Federation/2008/05";

/// What an assertion says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Claims {
    pub version: SamlVersion,
    /// `AssertionID` (1.1) or `ID` (2.0): `_` and a GUID.
    pub id: String,
    pub issuer: String,
    pub audience: String,
    pub issued_at: u64,
    pub not_before: u64,
    pub not_on_or_after: u64,
    /// The NameID: the user's ImmutableID.
    pub name_id: String,
    /// The user principal name.
    pub upn: String,
}

/// Escapes text content as exclusive c14n writes it.
fn c14n_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#xD;")
}

/// Escapes an attribute value as exclusive c14n writes it.
fn c14n_attr(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\t', "&#x9;")
        .replace('\n', "&#xA;")
        .replace('\r', "&#xD;")
}

/// The assertion without its signature, split where the signature goes.
fn unsigned(c: &Claims) -> (String, String) {
    let id = c14n_attr(&c.id);
    let issued = xml_instant(c.issued_at);
    let not_before = xml_instant(c.not_before);
    let not_after = xml_instant(c.not_on_or_after);
    let audience = c14n_text(&c.audience);
    let name_id = c14n_text(&c.name_id);
    let upn = c14n_text(&c.upn);
    match c.version {
        SamlVersion::V1_1 => {
            let subject = format!(
                "<saml:Subject><saml:NameIdentifier Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">{name_id}</saml:NameIdentifier><saml:SubjectConfirmation><saml:ConfirmationMethod>{BEARER_1}</saml:ConfirmationMethod></saml:SubjectConfirmation></saml:Subject>"
            );
            let head = format!(
                "<saml:Assertion xmlns:saml=\"{NS_SAML1}\" AssertionID=\"{id}\" IssueInstant=\"{issued}\" Issuer=\"{issuer}\" MajorVersion=\"1\" MinorVersion=\"1\"><saml:Conditions NotBefore=\"{not_before}\" NotOnOrAfter=\"{not_after}\"><saml:AudienceRestrictionCondition><saml:Audience>{audience}</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions><saml:AttributeStatement>{subject}<saml:Attribute AttributeName=\"UPN\" AttributeNamespace=\"http://schemas.xmlsoap.org/claims\"><saml:AttributeValue>{upn}</saml:AttributeValue></saml:Attribute><saml:Attribute AttributeName=\"ImmutableID\" AttributeNamespace=\"{IMMUTABLE_ID_NS}\"><saml:AttributeValue>{name_id}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement><saml:AuthenticationStatement AuthenticationInstant=\"{issued}\" AuthenticationMethod=\"urn:oasis:names:tc:SAML:1.0:am:password\">{subject}</saml:AuthenticationStatement>",
                issuer = c14n_attr(&c.issuer),
            );
            (head, "</saml:Assertion>".to_owned())
        }
        SamlVersion::V2_0 => {
            let head = format!(
                "<Assertion xmlns=\"{NS_SAML2}\" ID=\"{id}\" IssueInstant=\"{issued}\" Version=\"2.0\"><Issuer>{issuer}</Issuer>",
                issuer = c14n_text(&c.issuer),
            );
            let tail = format!(
                "<Subject><NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">{name_id}</NameID><SubjectConfirmation Method=\"{BEARER_2}\"><SubjectConfirmationData NotOnOrAfter=\"{not_after}\"></SubjectConfirmationData></SubjectConfirmation></Subject><Conditions NotBefore=\"{not_before}\" NotOnOrAfter=\"{not_after}\"><AudienceRestriction><Audience>{audience}</Audience></AudienceRestriction></Conditions><AttributeStatement><Attribute Name=\"IDPEmail\"><AttributeValue>{upn}</AttributeValue></Attribute><Attribute Name=\"{IMMUTABLE_ID_NS}/ImmutableID\"><AttributeValue>{name_id}</AttributeValue></Attribute></AttributeStatement><AuthnStatement AuthnInstant=\"{issued}\"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</AuthnContextClassRef></AuthnContext></AuthnStatement></Assertion>"
            );
            (head, tail)
        }
    }
}

/// `SignedInfo`'s content (identical in the document and in canonical form).
fn signed_info_content(id: &str, digest: &str) -> String {
    format!(
        "<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{RSA_SHA256}\"></ds:SignatureMethod><ds:Reference URI=\"#{id}\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED}\"></ds:Transform><ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{SHA256}\"></ds:DigestMethod><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>",
        id = c14n_attr(id)
    )
}

const SIGNED_INFO_OPEN: &str = "<ds:SignedInfo>";
const SIGNED_INFO_OPEN_C14N: &str =
    "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">";

fn sha256_base64(bytes: &[u8]) -> String {
    STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// The signed assertion, in canonical form.
pub(crate) fn issue(key: &AdfsKey, claims: &Claims) -> String {
    let (head, tail) = unsigned(claims);
    let digest = sha256_base64(format!("{head}{tail}").as_bytes());
    let content = signed_info_content(&claims.id, &digest);
    let canonical = format!("{SIGNED_INFO_OPEN_C14N}{content}</ds:SignedInfo>");
    let signature = STANDARD.encode(key.sign(canonical.as_bytes()));
    format!(
        "{head}<ds:Signature xmlns:ds=\"{NS_DSIG}\">{SIGNED_INFO_OPEN}{content}</ds:SignedInfo><ds:SignatureValue>{signature}</ds:SignatureValue><KeyInfo xmlns=\"{NS_DSIG}\"><X509Data><X509Certificate>{}</X509Certificate></X509Data></KeyInfo></ds:Signature>{tail}",
        key.certificate_base64
    )
}

/// Why an assertion was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Invalid {
    /// Not an assertion mock-idp can read.
    #[error("the SAML token is malformed: {0}")]
    Malformed(String),
    /// The signature does not hold.
    #[error("the SAML token's signature is invalid: {0}")]
    Signature(String),
}

fn malformed(reason: impl Into<String>) -> Invalid {
    Invalid::Malformed(reason.into())
}

fn bad_signature(reason: impl Into<String>) -> Invalid {
    Invalid::Signature(reason.into())
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

/// Checks the enveloped signature of the assertion at the root of `doc`.
fn check_signature(doc: &Doc, xml: &str, key: &AdfsKey, id: &str) -> Result<(), Invalid> {
    let root = doc.get(0).ok_or_else(|| malformed("no root element"))?;
    let mut signatures = doc.children(0, NS_DSIG, "Signature");
    let signature = signatures
        .next()
        .ok_or_else(|| bad_signature("the assertion is not signed"))?;
    if signatures.next().is_some() {
        return Err(bad_signature("the assertion has more than one signature"));
    }
    let sig = doc
        .get(signature)
        .ok_or_else(|| bad_signature("no signature"))?;
    let signed_info = doc
        .child(signature, NS_DSIG, "SignedInfo")
        .ok_or_else(|| bad_signature("no SignedInfo"))?;
    let algorithm = |steps: &[(&str, &str)]| {
        doc.path(signed_info, steps)
            .and_then(|i| doc.get(i))
            .and_then(|e| e.attr("Algorithm"))
            .unwrap_or_default()
            .to_owned()
    };
    if algorithm(&[(NS_DSIG, "CanonicalizationMethod")]) != EXC_C14N {
        return Err(bad_signature(
            "the canonicalization method is not exclusive c14n",
        ));
    }
    if algorithm(&[(NS_DSIG, "SignatureMethod")]) != RSA_SHA256 {
        return Err(bad_signature("the signature method is not RSA-SHA256"));
    }
    let mut references = doc.children(signed_info, NS_DSIG, "Reference");
    let reference = references
        .next()
        .ok_or_else(|| bad_signature("no Reference"))?;
    if references.next().is_some() {
        return Err(bad_signature("more than one Reference"));
    }
    let uri = doc.get(reference).and_then(|r| r.attr("URI"));
    if uri != Some(&format!("#{id}")) {
        return Err(bad_signature(
            "the Reference does not point at the assertion",
        ));
    }
    let transforms: Vec<&str> = doc
        .path(reference, &[(NS_DSIG, "Transforms")])
        .map(|t| {
            doc.children(t, NS_DSIG, "Transform")
                .filter_map(|i| doc.get(i).and_then(|e| e.attr("Algorithm")))
                .collect()
        })
        .unwrap_or_default();
    if transforms != [ENVELOPED, EXC_C14N] {
        return Err(bad_signature(
            "the transforms are not enveloped-signature then exclusive c14n",
        ));
    }
    let digest_method = doc
        .path(reference, &[(NS_DSIG, "DigestMethod")])
        .and_then(|i| doc.get(i))
        .and_then(|e| e.attr("Algorithm"));
    if digest_method != Some(SHA256) {
        return Err(bad_signature("the digest method is not SHA-256"));
    }
    let digest = doc
        .text_at(reference, &[(NS_DSIG, "DigestValue")])
        .and_then(decode_base64)
        .ok_or_else(|| bad_signature("no DigestValue"))?;
    let signature_value = doc
        .text_at(signature, &[(NS_DSIG, "SignatureValue")])
        .and_then(decode_base64)
        .ok_or_else(|| bad_signature("no SignatureValue"))?;
    if let Some(certificate) = doc.text_at(
        signature,
        &[
            (NS_DSIG, "KeyInfo"),
            (NS_DSIG, "X509Data"),
            (NS_DSIG, "X509Certificate"),
        ],
    ) {
        let compact: String = certificate.chars().filter(|c| !c.is_whitespace()).collect();
        if compact != key.certificate_base64 {
            return Err(bad_signature(
                "it was signed with a certificate that is not the tenant's federation certificate",
            ));
        }
    }
    let before = xml
        .get(root.start..sig.start)
        .ok_or_else(|| malformed("bad span"))?;
    let after = xml
        .get(sig.end..root.end)
        .ok_or_else(|| malformed("bad span"))?;
    let actual = ring::digest::digest(&ring::digest::SHA256, format!("{before}{after}").as_bytes());
    if actual.as_ref() != digest.as_slice() {
        return Err(bad_signature(
            "the digest does not match: the assertion was changed after it was signed",
        ));
    }
    let info = doc
        .get(signed_info)
        .and_then(|e| xml.get(e.start..e.end))
        .ok_or_else(|| malformed("bad span"))?;
    let canonical = if let Some(rest) = info.strip_prefix(SIGNED_INFO_OPEN) {
        format!("{SIGNED_INFO_OPEN_C14N}{rest}")
    } else if info.starts_with(SIGNED_INFO_OPEN_C14N) {
        info.to_owned()
    } else {
        return Err(bad_signature(
            "SignedInfo is not in the canonical form mock-idp signs",
        ));
    };
    if !key.verify(canonical.as_bytes(), &signature_value) {
        return Err(bad_signature(
            "the signature value does not verify with the tenant's federation certificate",
        ));
    }
    Ok(())
}

/// Reads a signed assertion and checks its signature against `key`. Issuer, audience,
/// validity period and subject are returned for the caller to judge.
pub(crate) fn verify(xml: &str, key: &AdfsKey) -> Result<Claims, Invalid> {
    let doc = Doc::parse(xml).map_err(Invalid::Malformed)?;
    let root = doc.get(0).ok_or_else(|| malformed("no root element"))?;
    let (version, ns) = match (root.ns.as_str(), root.local.as_str()) {
        (NS_SAML1, "Assertion") => (SamlVersion::V1_1, NS_SAML1),
        (NS_SAML2, "Assertion") => (SamlVersion::V2_0, NS_SAML2),
        _ => {
            return Err(malformed(
                "the root element is not a SAML 1.1 or 2.0 Assertion",
            ));
        }
    };
    let id_attribute = match version {
        SamlVersion::V1_1 => "AssertionID",
        SamlVersion::V2_0 => "ID",
    };
    let id = root
        .attr(id_attribute)
        .ok_or_else(|| malformed(format!("the assertion has no {id_attribute}")))?
        .to_owned();
    check_signature(&doc, xml, key, &id)?;

    let issuer = match version {
        SamlVersion::V1_1 => root.attr("Issuer").map(str::to_owned),
        SamlVersion::V2_0 => doc.text_at(0, &[(ns, "Issuer")]).map(str::to_owned),
    }
    .ok_or_else(|| malformed("no issuer"))?;
    let issued_at = root
        .attr("IssueInstant")
        .and_then(parse_instant)
        .ok_or_else(|| malformed("no valid IssueInstant"))?;
    let conditions = doc
        .child(0, ns, "Conditions")
        .ok_or_else(|| malformed("no Conditions"))?;
    let conditions_element = doc
        .get(conditions)
        .ok_or_else(|| malformed("no Conditions"))?;
    let instant = |name: &str| {
        conditions_element
            .attr(name)
            .and_then(parse_instant)
            .ok_or_else(|| malformed(format!("Conditions has no valid {name}")))
    };
    let (not_before, not_on_or_after) = (instant("NotBefore")?, instant("NotOnOrAfter")?);
    let restriction = match version {
        SamlVersion::V1_1 => "AudienceRestrictionCondition",
        SamlVersion::V2_0 => "AudienceRestriction",
    };
    let audience = doc
        .text_at(conditions, &[(ns, restriction), (ns, "Audience")])
        .ok_or_else(|| malformed("no Audience"))?
        .to_owned();
    let (subject, name_id_name, upn_attributes, method) = match version {
        SamlVersion::V1_1 => (
            doc.path(0, &[(ns, "AttributeStatement"), (ns, "Subject")]),
            "NameIdentifier",
            ["UPN", "UPN"],
            doc.path(0, &[(ns, "AttributeStatement"), (ns, "Subject")])
                .and_then(|s| {
                    doc.text_at(
                        s,
                        &[(ns, "SubjectConfirmation"), (ns, "ConfirmationMethod")],
                    )
                })
                .map(str::to_owned),
        ),
        SamlVersion::V2_0 => (
            doc.child(0, ns, "Subject"),
            "NameID",
            ["IDPEmail", "UPN"],
            doc.path(0, &[(ns, "Subject"), (ns, "SubjectConfirmation")])
                .and_then(|i| doc.get(i))
                .and_then(|e| e.attr("Method"))
                .map(str::to_owned),
        ),
    };
    let subject = subject.ok_or_else(|| malformed("no Subject"))?;
    let name_id = doc
        .text_at(subject, &[(ns, name_id_name)])
        .filter(|n| !n.is_empty())
        .ok_or_else(|| malformed("no NameID"))?
        .to_owned();
    if !matches!(method.as_deref(), Some(BEARER_1 | BEARER_2)) {
        return Err(malformed("the subject confirmation is not bearer"));
    }
    let attribute_name = match version {
        SamlVersion::V1_1 => "AttributeName",
        SamlVersion::V2_0 => "Name",
    };
    let upn = doc
        .child(0, ns, "AttributeStatement")
        .into_iter()
        .flat_map(|s| doc.children(s, ns, "Attribute"))
        .find(|&a| {
            doc.get(a)
                .and_then(|e| e.attr(attribute_name))
                .is_some_and(|n| upn_attributes.contains(&n))
        })
        .and_then(|a| doc.text_at(a, &[(ns, "AttributeValue")]))
        .ok_or_else(|| malformed("no UPN attribute"))?
        .to_owned();
    Ok(Claims {
        version,
        id,
        issuer,
        audience,
        issued_at,
        not_before,
        not_on_or_after,
        name_id,
        upn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(version: SamlVersion) -> Claims {
        Claims {
            version,
            id: "_5e1b3c2a-0000-4000-8000-000000000001".into(),
            issuer: "http://fabrikam.com/adfs/services/trust/".into(),
            audience: "urn:federation:MicrosoftOnline".into(),
            issued_at: crate::clock::DETERMINISTIC_START,
            not_before: crate::clock::DETERMINISTIC_START,
            not_on_or_after: crate::clock::DETERMINISTIC_START + 3600,
            name_id: "AAAA7Q/wAEAAgAAAAAAAAQ==".into(),
            upn: "fed&user@fabrikam.com".into(),
        }
    }

    #[test]
    fn issued_assertions_verify_and_say_what_was_issued() {
        let key = AdfsKey::builtin().unwrap();
        for version in [SamlVersion::V1_1, SamlVersion::V2_0] {
            let xml = issue(&key, &claims(version));
            assert_eq!(verify(&xml, &key), Ok(claims(version)), "{xml}");
        }
    }

    #[test]
    fn the_saml_1_1_form_is_pinned() {
        let key = AdfsKey::builtin().unwrap();
        let xml = issue(&key, &claims(SamlVersion::V1_1));
        let signature_value = xml
            .split("<ds:SignatureValue>")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap();
        let redacted = xml
            .replace(signature_value, "[SIGNATURE]")
            .replace(&key.certificate_base64, "[CERTIFICATE]");
        insta::assert_snapshot!(redacted);
    }

    #[test]
    fn any_changed_byte_breaks_the_digest() {
        let key = AdfsKey::builtin().unwrap();
        let xml = issue(&key, &claims(SamlVersion::V1_1));
        let tampered = xml.replace("fed&amp;user@", "fed&amp;admin@");
        assert!(matches!(
            verify(&tampered, &key),
            Err(Invalid::Signature(reason)) if reason.contains("digest")
        ));
        let reformatted = xml.replacen("><saml:Conditions", ">\n<saml:Conditions", 1);
        assert!(matches!(
            verify(&reformatted, &key),
            Err(Invalid::Signature(_))
        ));
    }

    #[test]
    fn a_changed_signed_info_breaks_the_signature() {
        let key = AdfsKey::builtin().unwrap();
        let xml = issue(&key, &claims(SamlVersion::V2_0));
        let digest = xml
            .split("<ds:DigestValue>")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap();
        // Re-digesting a changed assertion without the key still fails on the signature.
        let changed = xml.replace(
            "IDPEmail\"><AttributeValue>fed",
            "IDPEmail\"><AttributeValue>bad",
        );
        let (before, rest) = changed.split_once("<ds:Signature").unwrap();
        let (_, after) = rest.split_once("</ds:Signature>").unwrap();
        let new_digest = sha256_base64(format!("{before}{after}").as_bytes());
        let forged = changed.replace(digest, &new_digest);
        assert!(matches!(
            verify(&forged, &key),
            Err(Invalid::Signature(reason)) if reason.contains("signature value")
        ));
    }

    #[test]
    fn unsigned_and_foreign_documents_are_refused() {
        let key = AdfsKey::builtin().unwrap();
        let (head, tail) = unsigned(&claims(SamlVersion::V1_1));
        assert!(matches!(
            verify(&format!("{head}{tail}"), &key),
            Err(Invalid::Signature(_))
        ));
        assert!(matches!(verify("<a/>", &key), Err(Invalid::Malformed(_))));
        assert!(matches!(
            verify("not xml <", &key),
            Err(Invalid::Malformed(_))
        ));
    }
}

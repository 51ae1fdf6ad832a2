//! What the request log keeps of a request: every value that is, or looks like, a
//! credential replaced by `[REDACTED]`. A value is judged both by the name it came under
//! (case-insensitive: anything named like a password, secret, token, assertion or key)
//! and by what it is (a fixture user's password, a JWT, an HTTP authorization scheme), so
//! a secret sent under an unexpected name is caught too. Usernames, grant types, scopes
//! and client ids stay readable.

use axum::http::HeaderMap;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// Pieces of a form field or query parameter name that mark its value as secret.
const SECRET_NAME_PARTS: [&str; 9] = [
    "pass",
    "pwd",
    "secret",
    "token",
    "assertion",
    "credential",
    "key",
    "signature",
    "code_verifier",
];

/// Pieces of a header name that mark its value as secret (beyond [`SECRET_NAME_PARTS`]).
const SECRET_HEADER_PARTS: [&str; 3] = ["auth", "cookie", "session"];

/// Authorization schemes: a header value opening with one is a credential.
const AUTH_SCHEMES: [&str; 6] = [
    "basic ",
    "bearer ",
    "digest ",
    "negotiate ",
    "ntlm ",
    "pop ",
];

/// Redacts by the fixture users' passwords and by the shapes of credentials.
pub(crate) struct Redactor<'a> {
    passwords: &'a [String],
}

impl<'a> Redactor<'a> {
    /// A redactor that also recognises these passwords wherever they appear.
    pub(crate) fn new(passwords: &'a [String]) -> Self {
        Self { passwords }
    }

    /// Whether `value` holds a password or a JWT.
    fn is_secret(&self, value: &str) -> bool {
        self.passwords
            .iter()
            .any(|p| !p.is_empty() && value.contains(p.as_str()))
            || looks_like_jwt(value)
    }

    /// Form fields or query parameters with secret values replaced (and a name that
    /// itself holds a password, as a mis-decoded body would give, replaced too).
    pub(crate) fn pairs(&self, pairs: &[(String, String)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| {
                let name_out = if self.is_secret(name) {
                    REDACTED.to_owned()
                } else {
                    name.clone()
                };
                let value_out = if secret_name(name) || self.is_secret(value) {
                    REDACTED.to_owned()
                } else {
                    value.clone()
                };
                (name_out, value_out)
            })
            .collect()
    }

    /// The form fields of a body, redacted; none at all when a password sits in the raw
    /// body but no decoded value holds it whole (decoding split it into pieces that the
    /// other rules could not recognise).
    pub(crate) fn form(&self, raw: &[u8], pairs: &[(String, String)]) -> Vec<(String, String)> {
        let raw = String::from_utf8_lossy(raw);
        let split = self.passwords.iter().any(|p| {
            !p.is_empty()
                && raw.contains(p.as_str())
                && !pairs.iter().any(|(_, v)| v.contains(p.as_str()))
        });
        if split { Vec::new() } else { self.pairs(pairs) }
    }

    /// Headers (lowercase names) with every credential replaced.
    pub(crate) fn headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let name = name.as_str();
                let text = String::from_utf8_lossy(value.as_bytes());
                let lower = text.trim_start().to_ascii_lowercase();
                let secret = secret_name(name)
                    || SECRET_HEADER_PARTS.iter().any(|part| name.contains(part))
                    || AUTH_SCHEMES.iter().any(|scheme| lower.starts_with(scheme))
                    || self.is_secret(&text);
                let value = if secret {
                    REDACTED.to_owned()
                } else {
                    text.into_owned()
                };
                (name.to_owned(), value)
            })
            .collect()
    }

    /// The path with any segment that decodes to something holding a password replaced.
    pub(crate) fn path(&self, path: &str) -> String {
        path.split('/')
            .map(|segment| {
                let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
                if self.is_secret(&decoded) || self.is_secret(segment) {
                    REDACTED
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Whether a field named `name` carries a secret: its name holds a marker such as
/// `password`, `secret`, `token` or `assertion`, in any case. `*_type` names
/// (`client_assertion_type`) describe a secret's kind and are kept.
fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name.ends_with("_type") || name.ends_with("-type") {
        return false;
    }
    SECRET_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// Three base64url segments, the first a JSON object (`eyJ`): a JWT, signed or not.
fn looks_like_jwt(value: &str) -> bool {
    value.split_whitespace().any(|word| {
        let segments: Vec<&str> = word.split('.').collect();
        segments.len() == 3
            && segments[0].starts_with("eyJ")
            && segments[..2].iter().all(|s| {
                s.len() > 3
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    })
}

/// Whether `body` is XML or holds a WS-Security `Password` element, whatever its
/// declared media type: such a body is never decoded as a form (that would record
/// pieces of it, password included, under made-up names).
pub(crate) fn looks_like_xml(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.trim_ascii_start().starts_with(b"<") {
        return true;
    }
    let needle = b"password";
    body.windows(needle.len()).enumerate().any(|(at, window)| {
        window.eq_ignore_ascii_case(needle)
            && at > 0
            && matches!(body[at - 1], b'<' | b':')
            && body[..at].contains(&b'<')
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn passwords() -> Vec<String> {
        vec!["Pa$$ w0rd&=+é".to_owned()]
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn secret_names_are_judged_case_insensitively_and_the_rest_is_kept() {
        let passwords = passwords();
        let redactor = Redactor::new(&passwords);
        let pairs = [
            pair("Password", "x"),
            pair("pwd", "x"),
            pair("client_secret", "x"),
            pair("Client_Assertion", "x"),
            pair("refresh_token", "x"),
            pair("x-api-key", "x"),
            pair("client_assertion_type", "urn:jwt-bearer"),
            pair("grant_type", "password"),
            pair("username", "alice@contoso.com"),
            pair("scope", "User.Read openid"),
            pair("client_id", "00001111-aaaa-2222-bbbb-3333cccc4444"),
        ];
        let kept: Vec<_> = redactor
            .pairs(&pairs)
            .into_iter()
            .filter(|(_, v)| v != REDACTED)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            kept,
            [
                "client_assertion_type",
                "grant_type",
                "username",
                "scope",
                "client_id"
            ]
        );
    }

    #[test]
    fn secret_values_are_redacted_under_any_name() {
        let passwords = passwords();
        let redactor = Redactor::new(&passwords);
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        let out = redactor.pairs(&[
            pair("p", "Pa$$ w0rd&=+é"),
            pair("hint", jwt),
            pair("<o:Password>Pa$$ w0rd&=+é", ""),
        ]);
        assert_eq!(
            out,
            [
                pair("p", REDACTED),
                pair("hint", REDACTED),
                pair(REDACTED, REDACTED)
            ]
        );
    }

    #[test]
    fn a_body_whose_decoding_splits_a_password_records_no_form() {
        let passwords = passwords();
        let redactor = Redactor::new(&passwords);
        let raw = b"note=Pa$$ w0rd&=+\xC3\xA9";
        let pairs = [pair("note", "Pa$$ w0rd"), pair("", "+é")];
        assert!(redactor.form(raw, &pairs).is_empty());
        let encoded = b"username=a&password=Pa%24%24+w0rd%26%3D%2B%C3%A9";
        let pairs = [pair("username", "a"), pair("password", "Pa$$ w0rd&=+é")];
        assert_eq!(
            redactor.form(encoded, &pairs),
            [pair("username", "a"), pair("password", REDACTED)]
        );
    }

    #[test]
    fn credential_headers_are_redacted_and_others_kept() {
        let passwords = passwords();
        let redactor = Redactor::new(&passwords);
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("authorization", "Bearer abc"),
            ("proxy-authorization", "Basic cHJveHk="),
            ("x-api-key", "k"),
            ("ocp-apim-subscription-key", "k"),
            ("cookie", "a=b"),
            ("x-custom", "Negotiate abc"),
            ("x-anchormailbox", "upn:alice@contoso.com"),
            ("client-request-id", "1"),
            ("content-type", "application/x-www-form-urlencoded"),
        ] {
            headers.insert(
                axum::http::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let kept: Vec<_> = redactor
            .headers(&headers)
            .into_iter()
            .filter(|(_, v)| v != REDACTED)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            kept,
            ["x-anchormailbox", "client-request-id", "content-type"]
        );
    }

    #[test]
    fn a_path_segment_holding_a_password_is_redacted() {
        let passwords = passwords();
        let redactor = Redactor::new(&passwords);
        assert_eq!(
            redactor.path("/common/userrealm/Pa%24%24%20w0rd%26%3D%2B%C3%A9"),
            "/common/userrealm/[REDACTED]"
        );
        assert_eq!(
            redactor.path("/common/userrealm/alice@contoso.com"),
            "/common/userrealm/alice@contoso.com"
        );
    }

    #[test]
    fn xml_and_ws_security_passwords_are_recognised_by_content() {
        assert!(looks_like_xml(b"  <s:Envelope/>"));
        assert!(looks_like_xml(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>"));
        assert!(looks_like_xml(b"junk <o:Password>x</o:Password>"));
        assert!(looks_like_xml(b"junk <PASSWORD>x</PASSWORD>"));
        assert!(!looks_like_xml(b"grant_type=password&password=x"));
        assert!(!looks_like_xml(b""));
    }
}

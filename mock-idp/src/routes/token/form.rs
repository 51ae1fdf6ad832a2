//! `application/x-www-form-urlencoded` bodies: `+` and `%20` are spaces, UTF-8 strictly,
//! duplicates of a significant parameter refused.

use crate::errors::EntraError;

/// Parameters whose duplicates are refused (AADSTS9002313): the others are ignored.
const SIGNIFICANT: [&str; 13] = [
    "grant_type",
    "client_id",
    "username",
    "password",
    "scope",
    "refresh_token",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "assertion",
    "claims",
    "client_info",
    "requested_token_use",
];

/// Decoded `name=value` pairs, in order.
#[derive(Debug, Default)]
pub(crate) struct Form(Vec<(String, String)>);

fn decode(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

impl Form {
    /// Decodes a body, or `None` when it is not valid UTF-8 form encoding.
    pub(crate) fn decode(body: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        let mut pairs = Vec::new();
        for part in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(name)?, decode(value)?));
        }
        Some(Self(pairs))
    }

    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Parses a token request body: strict UTF-8, no duplicate significant parameter.
    pub(crate) fn parse_token_request(body: &[u8]) -> Result<Self, EntraError> {
        let form = Self::decode(body).ok_or_else(|| {
            EntraError::malformed("The request body is not valid UTF-8 form encoding.")
        })?;
        for name in SIGNIFICANT {
            if form.0.iter().filter(|(k, _)| k == name).count() > 1 {
                return Err(EntraError::malformed(&format!(
                    "The parameter '{name}' appears more than once."
                )));
            }
        }
        Ok(form)
    }

    /// The value of `name`, `None` when absent or empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name`, or AADSTS900144.
    pub(crate) fn required(&self, name: &str) -> Result<&str, EntraError> {
        self.get(name).ok_or_else(|| EntraError::missing(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_and_percent_20_are_spaces_and_utf8_decodes() {
        let form =
            Form::parse_token_request(b"password=Pa%24%24+w0rd%26%3D%2B%C3%A9&scope=a%20b&x=1&x=2")
                .unwrap();
        assert_eq!(form.get("password"), Some("Pa$$ w0rd&=+é"));
        assert_eq!(form.get("scope"), Some("a b"));
    }

    #[test]
    fn duplicates_and_bad_utf8_are_refused() {
        assert_eq!(
            Form::parse_token_request(b"scope=a&scope=b")
                .unwrap_err()
                .code,
            9002313
        );
        assert_eq!(
            Form::parse_token_request(b"scope=%FF").unwrap_err().code,
            9002313
        );
        assert_eq!(
            Form::parse_token_request(b"x=\xff").unwrap_err().code,
            9002313
        );
    }

    #[test]
    fn empty_values_count_as_missing() {
        let form = Form::parse_token_request(b"client_id=&grant_type").unwrap();
        assert_eq!(form.required("client_id").unwrap_err().code, 900144);
        assert!(form.get("grant_type").is_none());
    }
}

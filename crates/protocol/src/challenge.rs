//! `WWW-Authenticate` challenges from resources, and the claims challenges in them.
//!
//! A resource protected by Microsoft Entra ID (Microsoft Graph, Azure Resource Manager,
//! an API of your own) answers `401` with a `WWW-Authenticate` header when the access
//! token it was given is not enough: continuous access evaluation revoked it, or a
//! conditional-access policy asks for more (multi-factor authentication, an
//! authentication context). The header then carries a `claims` parameter, base64 of a
//! JSON claims request, to send with the next token request:
//!
//! ```
//! use entra_protocol::challenge::{ClaimsChallenge, NextStep};
//!
//! // Azure Resource Manager refusing a write operation under mandatory MFA:
//! let header = r#"Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token", error_description="The access token does not meet the required claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJwMSJdfX19""#;
//! let challenge = ClaimsChallenge::from_header_values([header])?.expect("a claims challenge");
//! assert_eq!(challenge.claims(), r#"{"access_token":{"acrs":{"essential":true,"values":["p1"]}}}"#);
//! assert!(matches!(challenge.next_step(), NextStep::Interactive(_)));
//! # Ok::<(), entra_protocol::challenge::ChallengeError>(())
//! ```
//!
//! The parser follows RFC 9110's grammar (several challenges in one header, quoted
//! strings holding commas and escaped quotes, `token68`), is total (any input gives a
//! value or a [`ChallengeError`], never a panic) and bounded ([`MAX_HEADER_LEN`]).

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

/// The longest `WWW-Authenticate` value (all header values together) parsed: 64 KiB.
pub const MAX_HEADER_LEN: usize = 64 * 1024;

/// The most challenges parsed out of one response.
pub const MAX_CHALLENGES: usize = 64;

/// One challenge of a `WWW-Authenticate` header: `Bearer realm="", error="..."`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    token68: Option<String>,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// The authentication scheme as sent (`Bearer`, `Basic`, `PoP`).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the scheme is `name`, compared case-insensitively as RFC 9110 says.
    pub fn is_scheme(&self, name: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(name)
    }

    /// The first parameter called `name` (case-insensitive), unquoted and unescaped.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every parameter in order: lowercased name, unquoted value.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The `token68` form's value (`Negotiate abc==`), when the challenge has one instead
    /// of parameters.
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }
}

/// A `WWW-Authenticate` header or the claims in it could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// The header values are longer than [`MAX_HEADER_LEN`] together.
    #[error("the WWW-Authenticate header is {len} bytes long, over the limit of {limit}")]
    TooLong {
        /// The length received.
        len: usize,
        /// [`MAX_HEADER_LEN`].
        limit: usize,
    },
    /// The header holds more than [`MAX_CHALLENGES`] challenges.
    #[error("the WWW-Authenticate header holds more than {limit} challenges")]
    TooManyChallenges {
        /// [`MAX_CHALLENGES`].
        limit: usize,
    },
    /// A header value is not visible ASCII or UTF-8 text.
    #[error("a WWW-Authenticate header value is not text")]
    NotText,
    /// The header does not follow RFC 9110's challenge grammar.
    #[error("the WWW-Authenticate header is malformed at byte {position}: expected {expected}")]
    Syntax {
        /// Byte offset in the header value.
        position: usize,
        /// What the grammar wanted there.
        expected: &'static str,
    },
    /// The `claims` parameter is neither JSON nor base64 of a JSON object.
    #[error("the claims challenge is unusable: {reason}")]
    InvalidClaims {
        /// What was wrong with it.
        reason: &'static str,
    },
}

/// Parses one `WWW-Authenticate` header value into its challenges.
///
/// ```
/// let challenges = entra_protocol::challenge::parse_www_authenticate(
///     r#"Basic realm="a, b", Bearer error="insufficient_claims", claims="e30=""#,
/// )?;
/// assert_eq!(challenges.len(), 2);
/// assert_eq!(challenges[0].param("realm"), Some("a, b"));
/// assert_eq!(challenges[1].param("claims"), Some("e30="));
/// # Ok::<(), entra_protocol::challenge::ChallengeError>(())
/// ```
pub fn parse_www_authenticate(value: &str) -> Result<Vec<Challenge>, ChallengeError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(ChallengeError::TooLong {
            len: value.len(),
            limit: MAX_HEADER_LEN,
        });
    }
    let mut challenges = Vec::new();
    Parser::new(value).challenges(&mut challenges)?;
    Ok(challenges)
}

/// Parses every value of the `WWW-Authenticate` header (a response may repeat it) into
/// one list of challenges, in order.
pub fn parse_www_authenticate_values<I, V>(values: I) -> Result<Vec<Challenge>, ChallengeError>
where
    I: IntoIterator<Item = V>,
    V: AsRef<[u8]>,
{
    let mut challenges = Vec::new();
    let mut total = 0usize;
    for value in values {
        let bytes = value.as_ref();
        total = total.saturating_add(bytes.len());
        if total > MAX_HEADER_LEN {
            return Err(ChallengeError::TooLong {
                len: total,
                limit: MAX_HEADER_LEN,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| ChallengeError::NotText)?;
        Parser::new(text).challenges(&mut challenges)?;
    }
    Ok(challenges)
}

/// The claims a resource asked for in a `Bearer` challenge, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsChallenge {
    claims: String,
    error: Option<String>,
    error_description: Option<String>,
}

impl ClaimsChallenge {
    /// The claims challenge of the first `Bearer` challenge with a `claims` parameter among
    /// the `WWW-Authenticate` values of a response; `None` when there is none (a plain
    /// `401` the token cache cannot help with: the token is for the wrong audience, say).
    pub fn from_header_values<I, V>(values: I) -> Result<Option<ClaimsChallenge>, ChallengeError>
    where
        I: IntoIterator<Item = V>,
        V: AsRef<[u8]>,
    {
        let challenges = parse_www_authenticate_values(values)?;
        Self::from_challenges(&challenges)
    }

    /// The claims challenge among parsed `challenges`, as
    /// [`from_header_values`](Self::from_header_values).
    pub fn from_challenges(
        challenges: &[Challenge],
    ) -> Result<Option<ClaimsChallenge>, ChallengeError> {
        let Some((challenge, encoded)) = challenges.iter().find_map(|challenge| {
            challenge
                .is_scheme("Bearer")
                .then(|| challenge.param("claims"))
                .flatten()
                .map(|claims| (challenge, claims))
        }) else {
            return Ok(None);
        };
        Ok(Some(ClaimsChallenge {
            claims: decode_claims(encoded)?,
            error: challenge.param("error").map(str::to_owned),
            error_description: challenge.param("error_description").map(str::to_owned),
        }))
    }

    /// The claims request as JSON, to pass to the next token request
    /// (`acquire_token_silent(...).claims(...)`).
    pub fn claims(&self) -> &str {
        &self.claims
    }

    /// The challenge's `error` (`insufficient_claims`, `invalid_token`), if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The challenge's `error_description`, if any.
    pub fn error_description(&self) -> Option<&str> {
        self.error_description.as_deref()
    }

    /// Whether a username/password client can meet the challenge by asking for a new
    /// token with the claims, or only an interactive sign-in can.
    pub fn next_step(&self) -> NextStep {
        match unsatisfiable_claim(&self.claims) {
            Some(requirement) => NextStep::Interactive(requirement),
            None => NextStep::RetrySilently,
        }
    }
}

/// What a username/password client does with a [`ClaimsChallenge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Ask for a token again with the claims (a silent call with `.claims(...)`, which
    /// skips the cached access token and redeems the refresh token), then call the
    /// resource again. This is what continuous access evaluation asks for (`nbf`).
    RetrySilently,
    /// The claims ask for something only an interactive sign-in can give; a token
    /// request with them fails with an MFA or interaction-required error.
    Interactive(InteractiveRequirement),
}

/// What a claims challenge asks for that a username/password sign-in cannot perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InteractiveRequirement {
    /// A conditional-access authentication context (`acrs`): a step-up policy, usually
    /// multi-factor authentication (Azure Resource Manager asks for `p1` on write
    /// operations under Microsoft's mandatory MFA for Azure).
    AuthenticationContext {
        /// The authentication context ids asked for (`c1`, `p1`).
        values: Vec<String>,
    },
    /// Multi-factor authentication (`amr` with `mfa`).
    MultiFactor,
    /// Conditional-access policies (`capolids`, `polids`) the sign-in must satisfy.
    ConditionalAccess {
        /// The policy ids asked for.
        policy_ids: Vec<String>,
    },
}

impl fmt::Display for InteractiveRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            InteractiveRequirement::AuthenticationContext { values } => format!(
                "the resource asks for the authentication context {} (a conditional-access \
                 step-up, usually multi-factor authentication)",
                values.join(", ")
            ),
            InteractiveRequirement::MultiFactor => {
                "the resource asks for multi-factor authentication".to_owned()
            }
            InteractiveRequirement::ConditionalAccess { policy_ids } => format!(
                "the resource asks to satisfy the conditional-access policies {}",
                policy_ids.join(", ")
            ),
        };
        write!(
            f,
            "{what}, which a username/password sign-in cannot perform: sign in interactively \
             (with the claims), or move the job to a workload identity (a managed identity, \
             or a service principal with a certificate or federated credential)"
        )
    }
}

/// What a username/password client cannot satisfy in a claims request (JSON), if
/// anything: an authentication context, MFA or conditional-access policies. Anything else
/// (`nbf` from continuous access evaluation, client capabilities) a refresh can meet.
/// Claims that are not a JSON object are taken as satisfiable: the server decides.
pub fn unsatisfiable_claim(claims: &str) -> Option<InteractiveRequirement> {
    let Ok(Value::Object(request)) = serde_json::from_str::<Value>(claims) else {
        return None;
    };
    let tokens = ["access_token", "id_token"]
        .iter()
        .filter_map(|token| request.get(*token).and_then(Value::as_object));
    let mut found = None;
    for token in tokens {
        for (name, request) in token {
            let values = claim_values(request);
            let requirement = match name.as_str() {
                "acrs" => InteractiveRequirement::AuthenticationContext { values },
                "amr" if values.iter().any(|v| v.eq_ignore_ascii_case("mfa")) => {
                    InteractiveRequirement::MultiFactor
                }
                "capolids" | "polids" => {
                    InteractiveRequirement::ConditionalAccess { policy_ids: values }
                }
                _ => continue,
            };
            // An authentication context names what is asked most precisely: keep it.
            match (&found, &requirement) {
                (None, _) | (_, InteractiveRequirement::AuthenticationContext { .. }) => {
                    found = Some(requirement);
                }
                _ => {}
            }
        }
    }
    found
}

/// The `value` or `values` of an individual claim request, as strings.
fn claim_values(request: &Value) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match request {
        Value::Object(map) => map
            .get("values")
            .and_then(Value::as_array)
            .map(|values| values.iter().filter_map(text).collect())
            .or_else(|| map.get("value").and_then(text).map(|v| vec![v]))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Base64 (standard or URL-safe, padded or not) of a JSON object, or the JSON itself.
fn decode_claims(encoded: &str) -> Result<String, ChallengeError> {
    const INDIFFERENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, INDIFFERENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, INDIFFERENT);

    let encoded = encoded.trim();
    if encoded.is_empty() {
        return Err(ChallengeError::InvalidClaims {
            reason: "the claims parameter is empty",
        });
    }
    let json = if encoded.starts_with('{') {
        encoded.to_owned()
    } else {
        let bytes = STANDARD
            .decode(encoded)
            .or_else(|_| URL_SAFE.decode(encoded))
            .map_err(|_| ChallengeError::InvalidClaims {
                reason: "the claims parameter is not base64",
            })?;
        String::from_utf8(bytes).map_err(|_| ChallengeError::InvalidClaims {
            reason: "the decoded claims are not UTF-8 text",
        })?
    };
    match serde_json::from_str::<Value>(&json) {
        Ok(Value::Object(_)) => Ok(json),
        Ok(_) => Err(ChallengeError::InvalidClaims {
            reason: "the claims are not a JSON object",
        }),
        Err(_) => Err(ChallengeError::InvalidClaims {
            reason: "the claims are not JSON",
        }),
    }
}

/// RFC 9110 §11.6.1 over one header value.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ows(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Skips whitespace and empty list elements; true if at least one comma was skipped.
    fn skip_separators(&mut self) -> bool {
        let mut comma = false;
        loop {
            self.skip_ows();
            if self.peek() == Some(b',') {
                self.pos += 1;
                comma = true;
            } else {
                return comma;
            }
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.text[start..self.pos])
    }

    fn error(&self, expected: &'static str) -> ChallengeError {
        ChallengeError::Syntax {
            position: self.pos,
            expected,
        }
    }

    fn challenges(&mut self, out: &mut Vec<Challenge>) -> Result<(), ChallengeError> {
        self.skip_separators();
        while self.peek().is_some() {
            if out.len() >= MAX_CHALLENGES {
                return Err(ChallengeError::TooManyChallenges {
                    limit: MAX_CHALLENGES,
                });
            }
            let scheme = self
                .token()
                .ok_or_else(|| self.error("an authentication scheme"))?
                .to_owned();
            let mut challenge = Challenge {
                scheme,
                token68: None,
                params: Vec::new(),
            };
            let spaced = self.skip_ows();
            match self.peek() {
                None | Some(b',') => {}
                Some(_) if !spaced => return Err(self.error("a space after the scheme")),
                Some(_) => {
                    if let Some(param) = self.param()? {
                        challenge.params.push(param);
                        self.more_params(&mut challenge)?;
                    } else {
                        challenge.token68 = Some(self.token68()?);
                    }
                }
            }
            out.push(challenge);
            self.skip_separators();
        }
        Ok(())
    }

    /// Parameters after the first, each after a comma, until the next challenge.
    fn more_params(&mut self, challenge: &mut Challenge) -> Result<(), ChallengeError> {
        loop {
            self.skip_ows();
            match self.peek() {
                None => return Ok(()),
                Some(b',') => {}
                Some(_) => return Err(self.error("a comma between parameters")),
            }
            let before = self.pos;
            self.skip_separators();
            if self.peek().is_none() {
                return Ok(());
            }
            match self.param()? {
                Some(param) => challenge.params.push(param),
                None => {
                    // The next challenge's scheme: leave it for `challenges`.
                    self.pos = before;
                    return Ok(());
                }
            }
        }
    }

    /// `token BWS "=" BWS ( token / quoted-string )`, or `None` (position unchanged) if
    /// what follows is not a parameter.
    fn param(&mut self) -> Result<Option<(String, String)>, ChallengeError> {
        let start = self.pos;
        let Some(name) = self.token() else {
            return Ok(None);
        };
        self.skip_ows();
        if self.peek() != Some(b'=') {
            self.pos = start;
            return Ok(None);
        }
        self.pos += 1;
        self.skip_ows();
        let value = match self.peek() {
            Some(b'"') => self.quoted_string()?,
            Some(b) if is_tchar(b) => self.token().unwrap_or_default().to_owned(),
            // `abc=` or `abc==`: token68 padding, not a parameter.
            _ => {
                self.pos = start;
                return Ok(None);
            }
        };
        Ok(Some((name.to_ascii_lowercase(), value)))
    }

    fn quoted_string(&mut self) -> Result<String, ChallengeError> {
        self.pos += 1; // the opening quote
        let mut value = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(offset) = rest.find(['"', '\\']) else {
                self.pos = self.bytes.len();
                return Err(self.error("a closing quote"));
            };
            value.push_str(&rest[..offset]);
            self.pos += offset;
            if self.peek() == Some(b'"') {
                self.pos += 1;
                return Ok(value);
            }
            // A quoted pair: the backslash, then any one character.
            self.pos += 1;
            let Some(escaped) = self.text[self.pos..].chars().next() else {
                return Err(self.error("a character after the backslash"));
            };
            value.push(escaped);
            self.pos += escaped.len_utf8();
        }
    }

    fn token68(&mut self) -> Result<String, ChallengeError> {
        let start = self.pos;
        while self.peek().is_some_and(is_token68_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("a parameter or a token68 value"));
        }
        while self.peek() == Some(b'=') {
            self.pos += 1;
        }
        let value = self.text[start..self.pos].to_owned();
        self.skip_ows();
        match self.peek() {
            None | Some(b',') => Ok(value),
            Some(_) => Err(self.error("a comma after the token68 value")),
        }
    }
}

#[cfg(test)]
mod tests;

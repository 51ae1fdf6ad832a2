//! The error body Entra sends with a failed OAuth2 request.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use uuid::Uuid;

use super::{ErrorClass, ProtocolError, Suberror};
use crate::wire;

/// The value of a `Retry-After` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 120`.
    Seconds(u64),
    /// `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`.
    Date(SystemTime),
}

impl RetryAfter {
    /// Parses a header value; `None` for anything that is neither form.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Self::Seconds(secs));
        }
        httpdate::parse_http_date(value).ok().map(Self::Date)
    }

    /// How long to wait from `now`; zero for a date already past.
    pub fn delay(&self, now: SystemTime) -> Duration {
        match self {
            Self::Seconds(s) => Duration::from_secs(*s),
            Self::Date(at) => at.duration_since(now).unwrap_or_default(),
        }
    }
}

/// An OAuth2 error body from Entra, with every field it may carry.
///
/// ```
/// let body = br#"{"error":"invalid_grant","error_description":"AADSTS50126: Error validating credentials due to invalid username or password.","error_codes":[50126]}"#;
/// let response = http::Response::builder().status(400).body(body.to_vec()).unwrap();
/// let error = entra_protocol::parse_error_response(&response).unwrap();
/// assert_eq!(error.classify(), entra_protocol::ErrorClass::InvalidCredentials);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerError {
    /// HTTP status code of the response.
    pub status: u16,
    /// `error` (`invalid_grant`, `interaction_required`, `invalid_client`, ...).
    pub error: String,
    /// `error_description`, beginning `AADSTSnnnnn:` for Entra.
    pub error_description: Option<String>,
    /// `error_codes`, the AADSTS numbers.
    pub error_codes: Vec<u32>,
    /// `suberror` as sent (`basic_action`, `consent_required`, ...).
    pub suberror: Option<String>,
    /// `claims`: the claims challenge (a JSON string) to pass to an interactive flow.
    pub claims: Option<String>,
    /// `timestamp` (`2024-01-01 00:00:00Z`).
    pub timestamp: Option<String>,
    /// `trace_id`, else the `Trace ID:` line of the description; `None` when absent or
    /// not a UUID (a malformed id is left out, it does not fail the parse).
    pub trace_id: Option<Uuid>,
    /// `correlation_id`, the id of the request as the server echoed it, else the
    /// `Correlation ID:` line of the description (all B2C sends); `None` when absent or
    /// not a UUID.
    pub correlation_id: Option<Uuid>,
    /// `error_uri`.
    pub error_uri: Option<String>,
    /// `password_change_url`, sent with an expired password.
    pub password_change_url: Option<String>,
    /// `error_additional_info`, when present (FOCI `client_mismatch`).
    pub error_additional_info: Option<String>,
    /// The `Retry-After` header of the response.
    pub retry_after: Option<RetryAfter>,
}

#[derive(Deserialize)]
struct Body {
    error: String,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    error_description: Option<String>,
    #[serde(default, deserialize_with = "de_codes")]
    error_codes: Vec<u32>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    suberror: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    claims: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    trace_id: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    correlation_id: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    error_uri: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    password_change_url: Option<String>,
    #[serde(default, deserialize_with = "wire::de_opt_string")]
    error_additional_info: Option<String>,
}

/// A UUID as Entra writes it; `None` for anything else.
fn parse_uuid(value: &str) -> Option<Uuid> {
    Uuid::try_parse(value.trim()).ok()
}

/// The UUID on the description line that starts with `label` (B2C writes its
/// correlation id only there).
fn description_line(description: Option<&str>, label: &str) -> Option<Uuid> {
    description?
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(parse_uuid)
}

/// `error_codes` as numbers, numeric strings, or anything else (ignored).
fn de_codes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let items = match v {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    Ok(items
        .iter()
        .filter_map(|i| match i {
            serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .collect())
}

impl ServerError {
    /// Builds the error from a JSON object that has an `error` field.
    pub(crate) fn from_json(
        status: u16,
        retry_after: Option<RetryAfter>,
        value: serde_json::Value,
    ) -> Result<Self, ProtocolError> {
        let b: Body = wire::from_value(value, "error response")?;
        let trace_id = b
            .trace_id
            .as_deref()
            .and_then(parse_uuid)
            .or_else(|| description_line(b.error_description.as_deref(), "Trace ID:"));
        let correlation_id = b
            .correlation_id
            .as_deref()
            .and_then(parse_uuid)
            .or_else(|| description_line(b.error_description.as_deref(), "Correlation ID:"));
        Ok(Self {
            status,
            error: b.error,
            error_description: b.error_description,
            error_codes: b.error_codes,
            suberror: b.suberror,
            claims: b.claims.filter(|c| !c.trim().is_empty()),
            timestamp: b.timestamp,
            trace_id,
            correlation_id,
            error_uri: b.error_uri,
            password_change_url: b.password_change_url,
            error_additional_info: b.error_additional_info,
            retry_after,
        })
    }

    /// The AADSTS code: the first of `error_codes`, else the number after `AADSTS` at
    /// the start of `error_description`.
    pub fn aadsts_code(&self) -> Option<u32> {
        if let Some(code) = self.error_codes.first() {
            return Some(*code);
        }
        let rest = self
            .error_description
            .as_deref()?
            .trim_start()
            .strip_prefix("AADSTS")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    /// The Azure AD B2C code: the number after `AADB2C` at the start of
    /// `error_description` (B2C sends no `error_codes`), e.g. 90225 for
    /// `AADB2C90225: The username or password provided in the request are invalid.`
    pub fn aadb2c_code(&self) -> Option<u32> {
        let rest = self
            .error_description
            .as_deref()?
            .trim_start()
            .strip_prefix("AADB2C")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    /// The first line of `error_description`, without the trace/correlation lines Entra
    /// appends.
    pub fn message(&self) -> &str {
        self.error_description
            .as_deref()
            .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
            .unwrap_or("")
    }

    /// `suberror` as a typed value.
    pub fn suberror_kind(&self) -> Option<Suberror> {
        self.suberror
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Suberror::parse)
    }

    /// The claims challenge to hand to an interactive flow, when the server marks this
    /// error as one the user can resolve interactively (`error` is
    /// `interaction_required`-like or the suberror says so), as MSAL does.
    pub fn claims_challenge(&self) -> Option<&str> {
        let claims = self.claims.as_deref()?;
        let by_error = matches!(
            self.error.as_str(),
            "interaction_required" | "login_required" | "consent_required" | "invalid_grant"
        );
        let by_suberror = self.suberror_kind().is_some_and(|s| s.is_user_actionable());
        (by_error || by_suberror).then_some(claims)
    }

    /// What the caller should do next; see [`ErrorClass`].
    pub fn classify(&self) -> ErrorClass {
        super::class::classify(self)
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server error `{}` (HTTP {})", self.error, self.status)?;
        if let Some(s) = &self.suberror {
            write!(f, ", suberror `{s}`")?;
        }
        let message = self.message();
        if !message.is_empty() {
            write!(f, ": {message}")?;
        }
        if let Some(t) = &self.trace_id {
            write!(f, " [trace id {t}]")?;
        }
        if let Some(c) = &self.correlation_id {
            write!(f, " [correlation id {c}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServerError {}

/// Parses any HTTP response as an Entra error body.
///
/// Gives `Ok` when the body is a JSON object with an `error` field (whatever the status),
/// and a typed error otherwise: [`ProtocolError::UnexpectedResponse`] for a non-JSON
/// body, with the status and a short excerpt.
pub fn parse_error_response(r: &http::Response<Vec<u8>>) -> Result<ServerError, ProtocolError> {
    match wire::json_object(r, "error response") {
        Err(ProtocolError::Server(e)) => Ok(*e),
        Err(e) => Err(e),
        Ok(_) => Err(wire::unexpected(r)),
    }
}

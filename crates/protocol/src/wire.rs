//! Shared plumbing: reading JSON response bodies, building requests with the common
//! headers, lenient field decoders.

use serde::Deserialize;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::Request;
use crate::error::{ProtocolError, RetryAfter, ServerError};

/// Identifies the library in the `x-client-SKU`, `x-client-Ver` and `x-client-OS`
/// headers of every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryInfo {
    /// `x-client-SKU`.
    pub sku: String,
    /// `x-client-Ver`.
    pub version: String,
    /// `x-client-OS`.
    pub os: String,
}

impl Default for LibraryInfo {
    /// `entra-auth`, this crate's version, and the compile-time target OS.
    fn default() -> Self {
        Self {
            sku: "entra-auth".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            os: std::env::consts::OS.to_owned(),
        }
    }
}

/// Starts a request with `Accept`, `client-request-id`, `return-client-request-id` and
/// the library headers.
pub(crate) fn request(
    method: http::Method,
    uri: &str,
    correlation_id: Uuid,
    library: &LibraryInfo,
) -> http::request::Builder {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::ACCEPT, "application/json")
        .header("client-request-id", correlation_id.to_string())
        .header("return-client-request-id", "true")
        .header("x-client-SKU", library.sku.as_str())
        .header("x-client-Ver", library.version.as_str())
        .header("x-client-OS", library.os.as_str())
}

/// Finishes a request builder, turning a bad URI or header into a typed error.
pub(crate) fn finish(
    b: http::request::Builder,
    body: SecretBuffer,
) -> Result<Request, ProtocolError> {
    b.body(body.into_inner()).map_err(ProtocolError::request)
}

/// Finishes a request without a body (the discovery GETs).
pub(crate) fn finish_empty(b: http::request::Builder) -> Result<Request, ProtocolError> {
    finish(b, SecretBuffer::with_capacity(0))
}

/// A growing buffer for a request body that may carry a secret (a password, a client
/// secret, an assertion, a refresh token).
///
/// Its bytes are zeroized when it is dropped, and when it grows the old allocation is
/// zeroized before it is freed: a `String` or `Vec` that reallocates frees its old
/// buffer as it is, leaving a copy of whatever it held in the heap.
pub(crate) struct SecretBuffer(Zeroizing<Vec<u8>>);

impl SecretBuffer {
    /// An empty buffer with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    /// Makes room for `additional` more bytes, moving the contents into a bigger
    /// zeroizing allocation (the old one is zeroized as it drops).
    fn reserve(&mut self, additional: usize) {
        if self.0.capacity() - self.0.len() >= additional {
            return;
        }
        let needed = self.0.len().saturating_add(additional);
        let capacity = needed.max(self.0.capacity().saturating_mul(2)).max(256);
        let mut grown = Zeroizing::new(Vec::with_capacity(capacity));
        grown.extend_from_slice(&self.0);
        self.0 = grown;
    }

    /// Appends `text` as it is.
    pub(crate) fn push_str(&mut self, text: &str) {
        self.reserve(text.len());
        self.0.extend_from_slice(text.as_bytes());
    }

    /// Appends `text` escaped for XML character data and attribute values.
    pub(crate) fn push_xml_escaped(&mut self, text: &str) {
        for (index, c) in text.char_indices() {
            let escaped = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                _ => &text[index..index + c.len_utf8()],
            };
            self.push_str(escaped);
        }
    }

    /// Appends `name=value` form-encoded (`application/x-www-form-urlencoded`), with
    /// a `&` before it unless the buffer is empty.
    pub(crate) fn push_form_pair(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.push_str("&");
        }
        for chunk in form_urlencoded::byte_serialize(name.as_bytes()) {
            self.push_str(chunk);
        }
        self.push_str("=");
        for chunk in form_urlencoded::byte_serialize(value.as_bytes()) {
            self.push_str(chunk);
        }
    }

    /// The bytes written, still zeroized on drop.
    pub(crate) fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl std::fmt::Write for SecretBuffer {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.push_str(text);
        Ok(())
    }
}

/// The `Retry-After` header of a response.
pub(crate) fn retry_after(r: &http::Response<Vec<u8>>) -> Option<RetryAfter> {
    r.headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(RetryAfter::parse)
}

const EXCERPT_CHARS: usize = 160;

/// What a response body was, for an error message, without quoting anything that may
/// be a secret: a JSON or XML body is named by its shape only (it may carry tokens or
/// an assertion); an HTML page by its text without markup, and other text by its first
/// characters, in both cases with every word that looks like a credential replaced by
/// `[REDACTED]`. Empty for an empty body.
pub(crate) fn describe_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return String::new();
    }
    if let Some(shape) = json_shape(text) {
        return shape;
    }
    if text.starts_with('<') {
        let head: String = text
            .chars()
            .take(256)
            .collect::<String>()
            .to_ascii_lowercase();
        if head.starts_with("<!doctype html") || head.contains("<html") {
            let words = redacted_words(&without_markup(text));
            return if words.is_empty() {
                "an HTML page".to_owned()
            } else {
                format!("an HTML page: {words}")
            };
        }
        return "an XML document".to_owned();
    }
    redacted_words(text)
}

/// The shape of a body that is, or is meant to be, JSON; `None` for any other text.
fn json_shape(text: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => Some(json_kind(&v).to_owned()),
        Err(e) if text.starts_with(['{', '[', '"']) => {
            Some(format!("malformed JSON ({})", serde_message(&e)))
        }
        Err(_) => None,
    }
}

/// `a JSON object`, `a JSON array`, ...: the kind of a JSON value, never its content.
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "JSON null",
        serde_json::Value::Bool(_) => "a JSON boolean",
        serde_json::Value::Number(_) => "a JSON number",
        serde_json::Value::String(_) => "a JSON string",
        serde_json::Value::Array(_) => "a JSON array",
        serde_json::Value::Object(_) => "a JSON object",
    }
}

/// The text of an HTML page: markup dropped, what is between tags kept.
fn without_markup(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The first words of `text`, whitespace collapsed, credential-looking words redacted,
/// cut after [`EXCERPT_CHARS`] characters.
fn redacted_words(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        // Control characters (terminal escapes) never reach a log line.
        let word: String = word
            .chars()
            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
            .collect();
        out.push_str(&redact_word(&word));
        if out.chars().count() >= EXCERPT_CHARS {
            break;
        }
    }
    if out.chars().count() > EXCERPT_CHARS {
        out = out.chars().take(EXCERPT_CHARS).collect();
        out.push('…');
    }
    out
}

/// Key names whose values are credentials (`access_token=...`, `client_secret:...`).
const SECRET_KEYS: &[&str] = &[
    "token",
    "assertion",
    "secret",
    "password",
    "pwd",
    "code",
    "wresult",
    "saml",
];

/// A word of a text body with its credentials replaced: the value of any `key=value`
/// (or `key:value`) pair whose key names a secret, and any run of characters that looks
/// like a token (long, base64-like, mixing upper case, lower case and digits).
fn redact_word(word: &str) -> String {
    let mut out = String::new();
    for (i, piece) in word.split(['&', ';', ',']).enumerate() {
        if i > 0 {
            out.push('&');
        }
        match piece.split_once(['=', ':']) {
            Some((key, value))
                if !value.is_empty()
                    && SECRET_KEYS
                        .iter()
                        .any(|s| key.to_ascii_lowercase().contains(s)) =>
            {
                out.push_str(key);
                out.push_str(piece.get(key.len()..=key.len()).unwrap_or("="));
                out.push_str(REDACTED);
            }
            _ => out.push_str(&redact_token_runs(piece)),
        }
    }
    out
}

const REDACTED: &str = "[REDACTED]";

/// Replaces each run of token characters that looks like a credential.
fn redact_token_runs(s: &str) -> String {
    let is_token_char = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=' | '%')
    };
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if looks_like_credential(run) {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Long enough, and mixing upper case, lower case and digits as encoded keys and tokens
/// do; a GUID (a correlation or trace id) is not a credential.
fn looks_like_credential(run: &str) -> bool {
    let upper = run.chars().any(|c| c.is_ascii_uppercase());
    let lower = run.chars().any(|c| c.is_ascii_lowercase());
    let digit = run.chars().any(|c| c.is_ascii_digit());
    let long = run.len() >= 16;
    long && upper && lower && (digit || run.len() >= 32) && uuid::Uuid::parse_str(run).is_err()
}

/// A serde error's message without any value it quotes from the input: serde writes
/// `invalid type: string "...", expected ...`; this keeps `invalid type: string,
/// expected ...`, field names and the line and column.
pub(crate) fn serde_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // A quoted value, with `\"` escapes: dropped.
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                trim_trailing_space(&mut out);
            }
            '`' if out.ends_with("field ") => {
                // A field name (`missing field `aud``): kept.
                out.push(c);
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '`' {
                        break;
                    }
                }
            }
            '`' => {
                // A literal value (`-5`, `true`, a variant name): dropped.
                for c in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                }
                trim_trailing_space(&mut out);
            }
            c => out.push(c),
        }
    }
    out
}

fn trim_trailing_space(s: &mut String) {
    while s.ends_with(' ') {
        s.pop();
    }
}

/// The error for a response that is not what was expected.
pub(crate) fn unexpected(r: &http::Response<Vec<u8>>) -> ProtocolError {
    ProtocolError::UnexpectedResponse {
        status: r.status().as_u16(),
        content_type: r
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        excerpt: describe_body(r.body()),
        retry_after: retry_after(r),
    }
}

/// Reads a JSON object body. An object with a string `error` field becomes
/// [`ProtocolError::Server`] whatever the status; a 2xx body that is JSON (or meant to
/// be) but not an object becomes [`ProtocolError::Json`] saying what it was; any other
/// body, or a non-2xx status without an error field, becomes
/// [`ProtocolError::UnexpectedResponse`].
pub(crate) fn json_object(
    r: &http::Response<Vec<u8>>,
    what: &'static str,
) -> Result<serde_json::Value, ProtocolError> {
    let value: serde_json::Value = match serde_json::from_slice(r.body()) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(other) if r.status().is_success() => {
            return Err(ProtocolError::Json {
                what,
                message: format!("expected a JSON object, got {}", json_kind(&other)),
            });
        }
        Err(e)
            if r.status().is_success() && r.body().trim_ascii_start().starts_with(b"{")
                || r.status().is_success() && r.body().trim_ascii_start().starts_with(b"[") =>
        {
            return Err(ProtocolError::Json {
                what,
                message: serde_message(&e),
            });
        }
        _ => return Err(unexpected(r)),
    };
    if value
        .get("error")
        .and_then(|e| e.as_str())
        .is_some_and(|e| !e.is_empty())
    {
        let e = ServerError::from_json(r.status().as_u16(), retry_after(r), value)?;
        return Err(e.into());
    }
    if !r.status().is_success() {
        return Err(unexpected(r));
    }
    Ok(value)
}

/// Deserializes a JSON object into `T`, naming the document and the field on failure
/// (never a value: see [`serde_message`]).
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    what: &'static str,
) -> Result<T, ProtocolError> {
    serde_path_to_error::deserialize(value).map_err(|e| ProtocolError::Json {
        what,
        message: field_message(&e),
    })
}

/// `field `a.b`: <what serde said, values dropped>`, or the bare message at the root.
pub(crate) fn field_message(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    let inner = serde_message(e.inner());
    if path == "." {
        inner
    } else {
        format!("field `{path}`: {inner}")
    }
}

/// A string field that may arrive as a string, a number, a boolean or null.
pub(crate) fn de_opt_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A non-negative integer that may arrive as a number or a numeric string (Entra sends
/// `"expires_in": "3599"` on some endpoints).
pub(crate) fn de_opt_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| {
                D::Error::custom(
                    "expected a non-negative integer, got a negative or non-finite number",
                )
            }),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| D::Error::custom("expected an integer, got a string that is not one")),
        other => Err(D::Error::custom(format_args!(
            "expected an integer, got {}",
            json_kind(&other)
        ))),
    }
}

#[cfg(test)]
mod secret_buffer_tests {
    use super::SecretBuffer;

    #[test]
    fn grows_past_its_capacity_and_keeps_every_byte() {
        let mut buffer = SecretBuffer::with_capacity(4);
        let text = "x".repeat(10_000);
        buffer.push_str("ab");
        buffer.push_str(&text);
        let bytes = buffer.into_inner();
        assert_eq!(bytes.len(), 10_002);
        assert!(bytes.starts_with(b"abx"));
    }

    #[test]
    fn form_pairs_encode_reserved_characters_as_form_urlencoded_does() {
        let mut buffer = SecretBuffer::with_capacity(0);
        buffer.push_form_pair("password", "Pa$$ w0rd&=+é");
        buffer.push_form_pair("a b", "");
        let expected = form_urlencoded::Serializer::new(String::new())
            .append_pair("password", "Pa$$ w0rd&=+é")
            .append_pair("a b", "")
            .finish();
        assert_eq!(std::str::from_utf8(&buffer.into_inner()).unwrap(), expected);
    }

    #[test]
    fn xml_escaping_covers_the_five_entities() {
        let mut buffer = SecretBuffer::with_capacity(0);
        buffer.push_xml_escaped("a&b<c>d\"e'f é");
        assert_eq!(
            std::str::from_utf8(&buffer.into_inner()).unwrap(),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f é"
        );
    }
}

//! Helpers shared by the unit tests: canned responses and a redacting request printer.

use crate::wire::LibraryInfo;

/// Form fields whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "password",
    "client_secret",
    "client_assertion",
    "refresh_token",
    "assertion",
];

pub(crate) fn library() -> LibraryInfo {
    LibraryInfo {
        sku: "entra-auth".into(),
        version: "0.0.0-test".into(),
        os: "test-os".into(),
    }
}

pub(crate) fn json_response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

/// Method, URI, headers and body, with secret form fields and the WS-Trust password
/// replaced by `[REDACTED]`.
pub(crate) fn render(r: &crate::Request) -> String {
    let mut out = format!("{} {}\n", r.method(), r.uri());
    for (name, value) in r.headers() {
        out.push_str(&format!("{name}: {}\n", value.to_str().unwrap()));
    }
    let body = std::str::from_utf8(r.body()).unwrap();
    if body.is_empty() {
        return out;
    }
    out.push('\n');
    if body.trim_start().starts_with('<') {
        // One element per line, so the snapshot reads as a document.
        out.push_str(&redact_xml(body).replace("><", ">\n<"));
        return out;
    }
    let redacted: Vec<String> = body
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_FIELDS.contains(&k) => format!("{k}=[REDACTED]"),
            _ => pair.to_owned(),
        })
        .collect();
    out.push_str(&redacted.join("&"));
    out.push_str("\n\ndecoded:\n");
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        let v = if SECRET_FIELDS.contains(&k.as_ref()) {
            "[REDACTED]".into()
        } else {
            v
        };
        out.push_str(&format!("  {k} = {v}\n"));
    }
    out
}

fn redact_xml(body: &str) -> String {
    let (open, close) = ("<wsse:Password>", "</wsse:Password>");
    match (body.find(open), body.find(close)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{open}[REDACTED]{}", &body[..a], &body[b..])
        }
        _ => body.to_owned(),
    }
}

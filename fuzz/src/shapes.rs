//! Structured generators for the shapes that break parsers and the code after them:
//! huge, negative and non-numeric numbers, long strings, invalid UTF-8, duplicate keys,
//! deep JSON and XML nesting (far past 65,536 levels), wide XML documents.
//!
//! The JSON generator works on a real document: it replaces one to three values of a
//! template with hostile ones (placeholders in the serialized text, so values serde_json
//! cannot hold, like `1e999` or a raw `\xff`, still get in), and may repeat a key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::mutate::{MAX_LEN, mutate};
use crate::rng::Rng;

/// Numbers that overflow, underflow or confuse integer parsing.
pub const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "1e300",
    "-1e300",
    "1e999",
    "1E+400",
    "1.5",
    "-0",
    "0.0000001",
    "4294967295",
    "4294967296",
    "65536",
    "3599",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
];

/// Numbers as strings, as Entra sends `expires_in` (and as caches store every number).
pub const NUMERIC_STRINGS: &[&str] = &[
    "\"1e300\"",
    "\"18446744073709551615\"",
    "\"18446744073709551616\"",
    "\"9223372036854775807\"",
    "\"9223372036854775808\"",
    "\"-1\"",
    "\"-9223372036854775809\"",
    "\"NaN\"",
    "\"Infinity\"",
    "\"0x10\"",
    "\"\"",
    "\" 3599 \"",
    "\"3599.5\"",
    "\"+5\"",
    "\"1_000\"",
];

/// Pieces of text that matter to JSON, XML, URLs, forms and UTF-8 decoding.
pub const INTERESTING_STRINGS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\xff\xfe",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"<",
    b"&amp;",
    b"&#0;",
    b"&#xFFFFFFFF;",
    b"&undefined;",
    b"]]>",
    b"<![CDATA[",
    b"<!DOCTYPE a [<!ENTITY x \"yyyy\">]>",
    b"<?xml version=\"1.0\"?>",
    b"{\"a\":",
    b"null",
    b"%00",
    b"%",
    b"\0",
    b"\r\n",
    b"http://",
    b"https://",
    b"AADSTS",
    b"..",
    b"\xe2\x80\xa8",
];

/// A nesting depth: around serde_json's limit (128) mostly; one time in four deep
/// enough to make a parser that scans its open elements per element quadratic (20,000
/// and 50,000) or past quick-xml's 16-bit depth counter (65,536).
pub fn depth(rng: &mut Rng) -> usize {
    if rng.chance(1, 4) {
        *rng.pick(&[20_000, 50_000, 65_535, 65_536, 65_537, 70_000, 140_000])
    } else {
        *rng.pick(&[2, 64, 127, 128, 129, 1_000])
    }
}

/// A length: short mostly, up to half a megabyte one time in six.
pub fn length(rng: &mut Rng) -> usize {
    if rng.chance(1, 6) {
        *rng.pick(&[65_536, 1 << 19])
    } else {
        *rng.pick(&[0, 1, 16, 255, 256, 4_096])
    }
}

/// Unpadded base64url, as JWTs and `client_info` use.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT `header.claims.signature` carrying `claims` as given (any bytes).
pub fn jwt(claims: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64url(br#"{"typ":"JWT","alg":"RS256","kid":"fuzz"}"#),
        b64url(claims),
        b64url(b"signature")
    )
}

/// A JSON string literal of `len` copies of `unit` (`unit` is not escaped).
fn long_string(unit: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len * unit.len() + 2);
    out.push(b'"');
    for _ in 0..len {
        out.extend_from_slice(unit);
    }
    out.push(b'"');
    out
}

/// `open` `depth` times, then `middle`, then `close` `depth` times.
pub fn nested(open: &[u8], middle: &[u8], close: &[u8], depth: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(depth * (open.len() + close.len()) + middle.len());
    for _ in 0..depth {
        out.extend_from_slice(open);
    }
    out.extend_from_slice(middle);
    for _ in 0..depth {
        out.extend_from_slice(close);
    }
    out
}

/// A hostile JSON value (as text) in place of `original`.
pub fn hostile_value(rng: &mut Rng, original: &Value) -> Vec<u8> {
    match rng.below(13) {
        0 | 1 => rng.pick(INTERESTING_NUMBERS).as_bytes().to_vec(),
        2 | 3 => rng.pick(NUMERIC_STRINGS).as_bytes().to_vec(),
        4 => {
            let len = length(rng);
            const UNITS: [&[u8]; 4] = [b"A", b"\\u00e9", b"%41", b" "];
            let unit: &&[u8] = rng.pick(&UNITS);
            long_string(unit, len)
        }
        5 => {
            let mut out = b"\"".to_vec();
            out.extend_from_slice(original.as_str().unwrap_or("x").as_bytes());
            const BAD: [&[u8]; 6] = [
                b"\xff\xfe",
                b"\xc3\x28",
                b"\xed\xa0\x80",
                b"\\ud800",
                b"\\udc00\\ud800",
                b"\\u0000",
            ];
            let bad: &&[u8] = rng.pick(&BAD);
            out.extend_from_slice(bad);
            out.push(b'"');
            out
        }
        6 => nested(b"[", b"1", b"]", depth(rng)),
        7 => nested(b"{\"a\":", b"1", b"}", depth(rng)),
        8 => rng
            .pick(&[
                "null",
                "true",
                "false",
                "[]",
                "{}",
                "\"\"",
                "[null]",
                "{\"\":\"\"}",
            ])
            .as_bytes()
            .to_vec(),
        9 => match original {
            // The same value in the other JSON type.
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Number(n) => format!("\"{n}\"").into_bytes(),
            other => format!("[{other}]").into_bytes(),
        },
        10 => {
            let mut text = original.to_string().into_bytes();
            let piece = rng.pick(INTERESTING_STRINGS);
            let at = rng.below(text.len().saturating_sub(1)) + 1;
            text.splice(
                at.min(text.len())..at.min(text.len()),
                piece.iter().copied(),
            );
            text
        }
        11 => {
            // Wide: many elements.
            let count = length(rng);
            let mut out = b"[".to_vec();
            for i in 0..count {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(original.to_string().as_bytes());
                if out.len() > MAX_LEN {
                    break;
                }
            }
            out.push(b']');
            out
        }
        _ => {
            let mut text = original.to_string().into_bytes();
            mutate(&mut text, rng, &[]);
            text
        }
    }
}

/// One step of a path into a JSON document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Step::Key(key.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(Step::Index(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get(key.as_str()),
        Step::Index(i) => node.get(*i),
    })
}

fn at_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get_mut(key.as_str()),
        Step::Index(i) => node.get_mut(*i),
    })
}

fn placeholder(n: usize) -> String {
    format!("\u{1}fuzz{n}\u{1}")
}

fn placeholder_text(n: usize) -> Vec<u8> {
    // How serde_json writes `placeholder(n)`.
    format!("\"\\u0001fuzz{n}\\u0001\"").into_bytes()
}

fn replace_all(haystack: &mut Vec<u8>, needle: &[u8], with: &[u8]) {
    if let Some(at) = haystack.windows(needle.len()).position(|w| w == needle) {
        haystack.splice(at..at + needle.len(), with.iter().copied());
    }
}

/// `template` (a JSON document) with one to three values made hostile, at times a key
/// repeated with another value or a field dropped. A template that is not JSON comes
/// back mutated byte by byte.
pub fn hostile_json(rng: &mut Rng, template: &[u8]) -> Vec<u8> {
    let Ok(mut doc) = serde_json::from_slice::<Value>(template) else {
        let mut bytes = template.to_vec();
        mutate(&mut bytes, rng, &[]);
        return bytes;
    };
    let pristine = doc.clone();
    let mut all = Vec::new();
    paths(&doc, &mut Vec::new(), &mut all);
    let mut replacements: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..1 + rng.below(3) {
        if all.is_empty() {
            break;
        }
        let path = rng.pick(&all).clone();
        let n = replacements.len();
        let original = at(&pristine, &path).cloned().unwrap_or(Value::Null);
        if let Some(node) = at_mut(&mut doc, &path)
            && !node.as_str().is_some_and(|s| s.starts_with('\u{1}'))
        {
            let hostile = hostile_value(rng, &original);
            *node = Value::String(placeholder(n));
            replacements.push((placeholder(n), hostile));
        }
    }
    if rng.chance(1, 4) {
        // A repeated key: the placeholder key becomes a copy of an existing key.
        if let Some(map) = doc.as_object_mut()
            && let Some(key) = map.keys().nth(rng.below(map.len())).cloned()
        {
            let n = replacements.len();
            let hostile = hostile_value(rng, pristine.get(&key).unwrap_or(&Value::Null));
            map.insert(placeholder(n), Value::String(placeholder(n + 1)));
            let key_text = serde_json::to_vec(&key).unwrap_or_default();
            replacements.push((placeholder(n), key_text));
            replacements.push((placeholder(n + 1), hostile));
        }
    }
    if rng.chance(1, 6)
        && let Some(map) = doc.as_object_mut()
        && let Some(key) = map.keys().nth(rng.below(map.len())).cloned()
    {
        map.remove(&key);
    }
    let mut text = serde_json::to_vec(&doc).unwrap_or_default();
    for (n, (_, with)) in replacements.iter().enumerate() {
        replace_all(&mut text, &placeholder_text(n), with);
    }
    text
}

/// `template` (an XML document) made hostile: deep nesting (balanced or not), wide
/// repetition, hostile text and attribute values, a DOCTYPE, truncation.
pub fn hostile_xml(rng: &mut Rng, template: &[u8]) -> Vec<u8> {
    let mut doc = template.to_vec();
    for _ in 0..1 + rng.below(2) {
        let closes: Vec<usize> = positions(&doc, b'>');
        let opens: Vec<usize> = positions(&doc, b'<');
        let after_tag = if closes.is_empty() {
            doc.len()
        } else {
            *rng.pick(&closes) + 1
        };
        match rng.below(8) {
            0 | 1 => {
                let depth = depth(rng);
                const NAMES: [&[u8]; 4] = [
                    b"a",
                    b"s:Body",
                    b"wsp:Policy",
                    b"t:RequestSecurityTokenResponse",
                ];
                let name = *rng.pick(&NAMES);
                let open = [b"<", name, b">"].concat();
                let close = [b"</", name, b">"].concat();
                let nest = if rng.chance(1, 3) {
                    nested(&open, b"", b"", depth)
                } else {
                    nested(&open, b"x", &close, depth)
                };
                doc.splice(after_tag..after_tag, nest);
            }
            2 if rng.chance(1, 2) => {
                // Repeat one whole element (from `<name` to its first `</name>`) many
                // times: many policies, bindings, ports, responses.
                if let Some(piece) = element_at(&doc, *rng.pick(&opens)) {
                    let (start, end) = piece;
                    let times = (MAX_LEN / (end - start).max(1)).min(length(rng).max(2));
                    let repeated = doc[start..end].repeat(times);
                    doc.splice(start..end, repeated);
                }
            }
            2 if opens.len() >= 2 => {
                // Repeat a stretch of markup many times (wide documents).
                let a = *rng.pick(&opens);
                let b = *rng.pick(&opens);
                let (start, end) = (a.min(b), a.max(b));
                let piece = doc[start..end.max(start + 1).min(doc.len())].to_vec();
                let times = (MAX_LEN / piece.len().max(1)).min(length(rng).max(2));
                let repeated: Vec<u8> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * times)
                    .collect();
                doc.splice(start..start, repeated);
            }
            3 if !closes.is_empty() => {
                // Hostile text content.
                let end = doc[after_tag..]
                    .iter()
                    .position(|b| *b == b'<')
                    .map_or(doc.len(), |n| after_tag + n);
                let text = hostile_text(rng);
                doc.splice(after_tag..end, text);
            }
            4 => {
                // A hostile attribute value.
                let quotes = positions(&doc, b'"');
                if quotes.len() >= 2 {
                    let i = rng.below(quotes.len() - 1);
                    let text = hostile_text(rng);
                    doc.splice(quotes[i] + 1..quotes[i + 1], text);
                }
            }
            5 => {
                const PROLOGUES: [&[u8]; 3] = [
                    b"<!DOCTYPE a [<!ENTITY x \"xxxxxxxx\"><!ENTITY y \"&x;&x;&x;&x;\">]>",
                    b"<!DOCTYPE a SYSTEM \"file:///etc/passwd\">",
                    b"<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
                ];
                let doctype: &&[u8] = rng.pick(&PROLOGUES);
                doc.splice(0..0, doctype.iter().copied());
            }
            6 if !doc.is_empty() => doc.truncate(rng.below(doc.len())),
            _ => mutate(&mut doc, rng, &[]),
        }
    }
    doc.truncate(MAX_LEN * 2);
    doc
}

/// The span of the element starting at `open` (a `<`) up to the end of the first
/// closing tag with its name.
fn element_at(doc: &[u8], open: usize) -> Option<(usize, usize)> {
    let name_end = doc[open + 1..]
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
        .map(|n| open + 1 + n)?;
    let name = &doc[open + 1..name_end];
    if name.is_empty() || matches!(name[0], b'/' | b'?' | b'!') {
        return None;
    }
    let close = [b"</", name, b">"].concat();
    let at = doc[name_end..]
        .windows(close.len())
        .position(|w| w == close.as_slice())?;
    Some((open, name_end + at + close.len()))
}

fn positions(doc: &[u8], byte: u8) -> Vec<usize> {
    doc.iter()
        .enumerate()
        .filter(|(_, b)| **b == byte)
        .map(|(i, _)| i)
        .collect()
}

fn hostile_text(rng: &mut Rng) -> Vec<u8> {
    match rng.below(5) {
        0 => vec![b'A'; length(rng)],
        1 => rng.pick(INTERESTING_STRINGS).to_vec(),
        2 => rng.pick(INTERESTING_NUMBERS).as_bytes().to_vec(),
        3 => b"&amp;&lt;&#x41;&#65;&#xD800;&#1114112;&bogus;".to_vec(),
        _ => b"http://adfs.fabrikam.com/adfs/services/trust/13/usernamemixed".to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_json_makes_values_json_cannot_hold() {
        let template = br#"{"expires_in":3599,"access_token":"at"}"#;
        let outputs: Vec<Vec<u8>> = (0..400)
            .map(|seed| hostile_json(&mut Rng::new(seed), template))
            .collect();
        assert!(outputs.iter().any(|o| o.windows(5).any(|w| w == b"1e300")));
        assert!(outputs.iter().any(|o| o.windows(3).any(|w| w == b"1e9")));
        assert!(outputs.iter().any(|o| std::str::from_utf8(o).is_err()));
        // A repeated key shows up as the same key twice in the text.
        assert!(outputs.iter().any(|o| {
            let text = String::from_utf8_lossy(o);
            text.matches("\"expires_in\":").count() == 2
                || text.matches("\"access_token\":").count() == 2
        }));
        assert!(outputs.iter().all(|o| !o.windows(5).any(|w| w == b"fuzz0")));
    }

    #[test]
    fn hostile_xml_nests_past_sixty_five_thousand_levels() {
        let template = b"<s:Envelope><s:Body>x</s:Body></s:Envelope>";
        let deepest = (0..200)
            .map(|seed| {
                let doc = hostile_xml(&mut Rng::new(seed), template);
                doc.windows(3).filter(|w| w == b"<a>").count()
            })
            .max()
            .unwrap_or(0);
        assert!(deepest > 65_536, "deepest nesting was {deepest}");
    }
}

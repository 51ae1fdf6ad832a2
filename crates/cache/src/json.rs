//! An order-preserving JSON value, parsed with serde_json and written the way
//! Python's `json.dumps(obj, indent=4)` writes it.
//!
//! serde_json's own `Value` sorts object keys unless its `preserve_order` feature is on,
//! and that feature would leak into every crate of a workspace build; this small type
//! keeps key order locally instead.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::fmt::Write as _;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep their keys in document order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Object),
}

/// A JSON object with keys in document order (no duplicate keys).
pub(crate) type Object = Vec<(String, Json)>;

impl Json {
    /// Parses `bytes`, keeping object key order. A repeated key keeps its first position
    /// and its last value, as Python's `json.loads` does.
    #[cfg(test)]
    pub(crate) fn parse(bytes: &[u8]) -> Result<Json, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Writes this value as `json.dumps(value, indent=4)` does (ensure_ascii on).
    #[cfg(test)]
    pub(crate) fn to_python_string(&self) -> String {
        let mut out = String::new();
        write_value(&mut out, self, 0);
        out
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

pub(crate) struct JsonVisitor;

/// Objects with up to this many keys look for a repeated key by a linear scan.
const SCAN_LIMIT: usize = 32;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut object: Object = Vec::new();
        // Small objects (every cache entry) find a repeated key by a scan; an index is
        // built only for big ones (the sections), saving a map and a copy of every key
        // per entry.
        let mut positions: Option<std::collections::HashMap<String, usize>> = None;
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            let found = match &positions {
                Some(index) => index.get(&key).copied(),
                None => object.iter().position(|(seen, _)| *seen == key),
            };
            match found {
                Some(at) => {
                    if let Some(slot) = object.get_mut(at) {
                        slot.1 = value;
                    }
                }
                None => {
                    if let Some(index) = &mut positions {
                        index.insert(key.clone(), object.len());
                    } else if object.len() == SCAN_LIMIT {
                        let mut index: std::collections::HashMap<String, usize> = object
                            .iter()
                            .enumerate()
                            .map(|(at, (seen, _))| (seen.clone(), at))
                            .collect();
                        index.insert(key.clone(), object.len());
                        positions = Some(index);
                    }
                    object.push((key, value));
                }
            }
        }
        Ok(Json::Object(object))
    }
}

/// A string read from the document, borrowed from it when it holds no escape.
pub(crate) struct Text<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

/// One field value of a cache entry as read: a string (borrowed from the document when
/// it holds no escape), or any other JSON value.
#[derive(Debug)]
pub(crate) enum Raw<'de> {
    Str(Cow<'de, str>),
    Json(Json),
}

impl Raw<'_> {
    /// The value as an owned JSON value.
    pub(crate) fn into_json(self) -> Json {
        match self {
            Raw::Str(s) => Json::String(s.into_owned()),
            Raw::Json(json) => json,
        }
    }
}

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Owned(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw<'de>, E> {
        JsonVisitor.visit_bool(v).map(Raw::Json)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw<'de>, E> {
        JsonVisitor.visit_i64(v).map(Raw::Json)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw<'de>, E> {
        JsonVisitor.visit_u64(v).map(Raw::Json)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw<'de>, E> {
        JsonVisitor.visit_f64(v).map(Raw::Json)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Json(Json::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Json(Json::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Raw<'de>, A::Error> {
        JsonVisitor.visit_seq(seq).map(Raw::Json)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Raw<'de>, A::Error> {
        JsonVisitor.visit_map(map).map(Raw::Json)
    }
}

/// The fields of one entry object in document order; a field taken out is `None`.
pub(crate) type Fields<'de> = Vec<(Cow<'de, str>, Option<Raw<'de>>)>;

/// Owned JSON object of `fields` (an entry kept verbatim).
pub(crate) fn fields_into_object(fields: &mut Fields<'_>) -> Object {
    fields
        .drain(..)
        .map(|(key, value)| (key.into_owned(), value.map_or(Json::Null, Raw::into_json)))
        .collect()
}

/// Reads one entry: an object into `fields` (reused from entry to entry, so reading an
/// entry allocates only for the strings that must be copied), any other value whole.
/// Its value is `None` for an object, else the value read.
pub(crate) struct EntrySeed<'f, 'de> {
    pub(crate) fields: &'f mut Fields<'de>,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, 'de> {
    type Value = Option<Json>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_, 'de> {
    type Value = Option<Json>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Json>, A::Error> {
        self.fields.clear();
        // As in `JsonVisitor`: a scan finds a repeated key in a small object (every
        // entry MSAL writes), an index in a big one.
        let mut positions: Option<std::collections::HashMap<Cow<'de, str>, usize>> = None;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let value: Raw<'de> = map.next_value()?;
            // A repeated key keeps its first position and its last value (as `Json`).
            let found = match &positions {
                Some(index) => index.get(&key).copied(),
                None => self.fields.iter().position(|(seen, _)| *seen == key),
            };
            match found.and_then(|at| self.fields.get_mut(at)) {
                Some((_, slot)) => *slot = Some(value),
                None => {
                    if let Some(index) = &mut positions {
                        index.insert(key.clone(), self.fields.len());
                    } else if self.fields.len() == SCAN_LIMIT {
                        let mut index: std::collections::HashMap<Cow<'de, str>, usize> = self
                            .fields
                            .iter()
                            .enumerate()
                            .map(|(at, (seen, _))| (seen.clone(), at))
                            .collect();
                        index.insert(key.clone(), self.fields.len());
                        positions = Some(index);
                    }
                    self.fields.push((key, Some(value)));
                }
            }
        }
        Ok(None)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Option<Json>, E> {
        JsonVisitor.visit_str(v).map(Some)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Json>, E> {
        JsonVisitor.visit_str(v).map(Some)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Option<Json>, E> {
        JsonVisitor.visit_string(v).map(Some)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<Json>, E> {
        JsonVisitor.visit_bool(v).map(Some)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<Json>, E> {
        JsonVisitor.visit_i64(v).map(Some)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<Json>, E> {
        JsonVisitor.visit_u64(v).map(Some)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<Json>, E> {
        JsonVisitor.visit_f64(v).map(Some)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Json>, E> {
        Ok(Some(Json::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<Json>, E> {
        Ok(Some(Json::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Json>, A::Error> {
        JsonVisitor.visit_seq(seq).map(Some)
    }
}

const INDENT: usize = 4;

/// Starts a new line indented for `depth`.
pub(crate) fn newline(out: &mut String, depth: usize) {
    const SPACES: &str = "                                ";
    out.push('\n');
    let mut left = depth * INDENT;
    while left > 0 {
        let now = left.min(SPACES.len());
        out.push_str(SPACES.get(..now).unwrap_or_default());
        left -= now;
    }
}

/// Writes `value` at the given nesting depth.
pub(crate) fn write_value(out: &mut String, value: &Json, depth: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => write_string(out, s),
        Json::Array(items) if items.is_empty() => out.push_str("[]"),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Json::Object(fields) => {
            write_object(out, fields.iter().map(|(k, v)| (k.as_str(), v)), depth)
        }
    }
}

/// Writes an object from `(key, value)` pairs at the given nesting depth; values may be
/// borrowed or made on the fly.
pub(crate) fn write_object<'a, V: Borrow<Json>>(
    out: &mut String,
    fields: impl IntoIterator<Item = (&'a str, V)>,
    depth: usize,
) {
    let mut empty = true;
    for (key, value) in fields {
        out.push_str(if empty { "{" } else { "," });
        empty = false;
        newline(out, depth + 1);
        write_string(out, key);
        out.push_str(": ");
        write_value(out, value.borrow(), depth + 1);
    }
    if empty {
        out.push_str("{}");
    } else {
        newline(out, depth);
        out.push('}');
    }
}

/// Whether `b` is written as is (printable ASCII other than `"` and `\`).
fn is_plain(b: u8) -> bool {
    (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\'
}

/// Where the first byte of `bytes` that [`write_string`] escapes is, if any. Looks at
/// eight bytes at a time (tokens are long runs of plain ASCII).
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
        let high_or_del = (x.wrapping_add(ONES) | x) & HIGH != 0;
        if control
            || high_or_del
            || has_zero(x ^ (ONES * u64::from(b'"')))
            || has_zero(x ^ (ONES * u64::from(b'\\')))
        {
            // The word tests are exact, but a byte scan decides.
            if let Some(at) = chunk.iter().position(|b| !is_plain(*b)) {
                return Some(offset + at);
            }
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| !is_plain(*b))
        .map(|at| offset + at)
}

/// Writes a string literal as Python's `json.dumps` does with `ensure_ascii=True`:
/// everything outside printable ASCII becomes `\uXXXX` (lowercase hex, surrogate pairs
/// above U+FFFF).
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    // Copies runs of printable ASCII at once; escapes what stops a run.
    while let Some(at) = first_to_escape(rest.as_bytes()) {
        out.push_str(rest.get(..at).unwrap_or_default());
        let tail = rest.get(at..).unwrap_or_default();
        let Some(c) = tail.chars().next() else {
            rest = tail;
            break;
        };
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
        rest = tail.get(c.len_utf8()..).unwrap_or_default();
    }
    out.push_str(rest);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_like_python_json_dumps_indent_4() {
        let value =
            Json::parse(br#"{"b": {"x": "1", "e": {}, "l": [1, [], "z"]}, "a": null}"#).unwrap();
        assert_eq!(
            value.to_python_string(),
            "{\n    \"b\": {\n        \"x\": \"1\",\n        \"e\": {},\n        \"l\": [\n            1,\n            [],\n            \"z\"\n        ]\n    },\n    \"a\": null\n}"
        );
    }

    #[test]
    fn finds_the_first_byte_to_escape_at_any_offset() {
        for special in ["\"", "\\", "\n", "\u{1f}", "\u{7f}", "é", "😀"] {
            for at in 0..20 {
                let text = format!(
                    "{}{special}{}",
                    "a~ ".repeat(7).get(..at).unwrap(),
                    "z".repeat(9)
                );
                let mut out = String::new();
                write_string(&mut out, &text);
                let expected = serde_json::to_string(&text).unwrap();
                let back: String = serde_json::from_str(&out).unwrap();
                assert_eq!(back, text, "{out} vs {expected}");
                assert_eq!(first_to_escape(text.as_bytes()), Some(at), "{text:?}");
            }
        }
        assert_eq!(first_to_escape(b" !#[]}~0123456789abcdef"), None);
    }

    #[test]
    fn escapes_non_ascii_and_controls_like_ensure_ascii() {
        let mut out = String::new();
        write_string(&mut out, "zoë \"q\" \\ \n\t\u{1}\u{7f} 😀 /");
        assert_eq!(
            out,
            r#""zo\u00eb \"q\" \\ \n\t\u0001\u007f \ud83d\ude00 /""#
        );
    }

    #[test]
    fn repeated_key_in_a_big_object_keeps_first_position_and_last_value() {
        let mut text: String = (0..100).map(|i| format!("\"k{i}\": {i}, ")).collect();
        text = format!("{{{text}\"k3\": \"again\", \"k70\": null, \"last\": 1}}");
        let Json::Object(fields) = Json::parse(text.as_bytes()).unwrap() else {
            panic!("not an object");
        };
        assert_eq!(fields.len(), 101);
        assert_eq!(fields[3], ("k3".into(), Json::String("again".into())));
        assert_eq!(fields[70], ("k70".into(), Json::Null));
        assert_eq!(fields[100].0, "last");
    }

    #[test]
    fn repeated_key_keeps_first_position_and_last_value() {
        let value = Json::parse(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(
            value,
            Json::Object(vec![
                ("a".into(), Json::Number(3.into())),
                ("b".into(), Json::Number(2.into()))
            ])
        );
    }
}

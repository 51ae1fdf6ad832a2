//! A small read-only view of an XML document for the mock ADFS and the SAML checks:
//! every element in document order with its namespace, attributes, direct text and
//! byte span. No DTDs, one root element.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// One element.
#[derive(Debug)]
pub(crate) struct Element {
    /// Namespace URI ("" when none).
    pub ns: String,
    pub local: String,
    /// Attributes other than namespace declarations: (namespace URI, local name, value).
    pub attrs: Vec<(String, String, String)>,
    /// The element's own text (not its descendants'), entities resolved.
    pub text: String,
    /// Byte offset of its `<`.
    pub start: usize,
    /// Byte offset just past its end tag.
    pub end: usize,
    pub parent: Option<usize>,
}

impl Element {
    /// Whether it is `{ns}local`.
    pub(crate) fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    /// An attribute without a namespace.
    pub(crate) fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, l, _)| ns.is_empty() && l == local)
            .map(|(_, _, v)| v.as_str())
    }
}

/// A parsed document.
#[derive(Debug)]
pub(crate) struct Doc {
    pub elements: Vec<Element>,
}

fn ns_of(resolved: &ResolveResult<'_>) -> String {
    match resolved {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    }
}

fn position(reader: &NsReader<&[u8]>) -> Result<usize, String> {
    usize::try_from(reader.buffer_position()).map_err(|_| "document too large".to_owned())
}

impl Doc {
    /// Parses `xml`; the error says what is wrong.
    pub(crate) fn parse(xml: &str) -> Result<Self, String> {
        let mut reader = NsReader::from_reader(xml.as_bytes());
        let mut elements: Vec<Element> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        loop {
            let before = position(&reader)?;
            let (resolved, event) = reader
                .read_resolved_event()
                .map_err(|e| format!("not well-formed XML: {e}"))?;
            match &event {
                Event::Start(e) | Event::Empty(e) => {
                    if stack.is_empty() && !elements.is_empty() {
                        return Err("more than one root element".into());
                    }
                    let ns = ns_of(&resolved);
                    let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    let mut attrs = Vec::new();
                    for attr in e.attributes() {
                        let attr = attr.map_err(|e| format!("bad attribute: {e}"))?;
                        if attr.key.as_namespace_binding().is_some() {
                            continue;
                        }
                        let (attr_ns, attr_local) = reader.resolve_attribute(attr.key);
                        let value = attr
                            .decode_and_unescape_value(reader.decoder())
                            .map_err(|e| format!("bad attribute value: {e}"))?;
                        attrs.push((
                            ns_of(&attr_ns),
                            String::from_utf8_lossy(attr_local.as_ref()).into_owned(),
                            value.into_owned(),
                        ));
                    }
                    let index = elements.len();
                    let empty = matches!(event, Event::Empty(_));
                    elements.push(Element {
                        ns,
                        local,
                        attrs,
                        text: String::new(),
                        start: before,
                        end: if empty { position(&reader)? } else { 0 },
                        parent: stack.last().copied(),
                    });
                    if !empty {
                        stack.push(index);
                    }
                }
                Event::End(_) => {
                    let index = stack.pop().ok_or("an end tag without a start tag")?;
                    let end = position(&reader)?;
                    if let Some(element) = elements.get_mut(index) {
                        element.end = end;
                    }
                }
                Event::Text(t) => {
                    let text = t.xml_content().map_err(|e| format!("bad text: {e}"))?;
                    push_text(&mut elements, &stack, &text)?;
                }
                Event::CData(t) => {
                    let text = t.decode().map_err(|e| format!("bad CDATA: {e}"))?;
                    push_text(&mut elements, &stack, &text)?;
                }
                Event::GeneralRef(r) => {
                    let text = match r
                        .resolve_char_ref()
                        .map_err(|e| format!("bad character reference: {e}"))?
                    {
                        Some(c) => c.to_string(),
                        None => {
                            let name = r.decode().map_err(|e| format!("bad entity: {e}"))?;
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .ok_or_else(|| format!("unknown entity &{name};"))?
                                .to_owned()
                        }
                    };
                    push_text(&mut elements, &stack, &text)?;
                }
                Event::DocType(_) => return Err("a DTD is not accepted".into()),
                Event::Eof => break,
                _ => {}
            }
        }
        if !stack.is_empty() {
            return Err("an element is not closed".into());
        }
        if elements.is_empty() {
            return Err("no root element".into());
        }
        Ok(Self { elements })
    }

    /// The element at `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&Element> {
        self.elements.get(index)
    }

    /// The direct children of `parent` named `{ns}local`.
    pub(crate) fn children<'a>(
        &'a self,
        parent: usize,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        self.elements
            .iter()
            .enumerate()
            .skip(parent + 1)
            .filter(move |(_, e)| e.parent == Some(parent) && e.is(ns, local))
            .map(|(i, _)| i)
    }

    /// The first direct child of `parent` named `{ns}local`.
    pub(crate) fn child(&self, parent: usize, ns: &str, local: &str) -> Option<usize> {
        self.children(parent, ns, local).next()
    }

    /// Follows direct children from `from` through `steps`.
    pub(crate) fn path(&self, from: usize, steps: &[(&str, &str)]) -> Option<usize> {
        steps
            .iter()
            .try_fold(from, |at, (ns, local)| self.child(at, ns, local))
    }

    /// The text of the element reached by `steps` from `from`, trimmed.
    pub(crate) fn text_at(&self, from: usize, steps: &[(&str, &str)]) -> Option<&str> {
        self.path(from, steps)
            .and_then(|i| self.get(i))
            .map(|e| e.text.trim())
    }
}

fn push_text(elements: &mut [Element], stack: &[usize], text: &str) -> Result<(), String> {
    match stack.last().and_then(|&i| elements.get_mut(i)) {
        Some(element) => {
            element.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err("text outside the root element".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_elements_exactly_and_text_is_unescaped() {
        let xml = "<?xml version=\"1.0\"?>\n<a:r xmlns:a=\"urn:a\" x=\"1\"> <a:b k=\"&amp;\">t&lt;&#65;<![CDATA[<c>]]></a:b><a:e/></a:r>";
        let doc = Doc::parse(xml).unwrap();
        let b = doc.child(0, "urn:a", "b").unwrap();
        let b = doc.get(b).unwrap();
        assert_eq!(
            &xml[b.start..b.end],
            "<a:b k=\"&amp;\">t&lt;&#65;<![CDATA[<c>]]></a:b>"
        );
        assert_eq!(b.text, "t<A<c>");
        assert_eq!(b.attr("k"), Some("&"));
        let e = doc.get(doc.child(0, "urn:a", "e").unwrap()).unwrap();
        assert_eq!(&xml[e.start..e.end], "<a:e/>");
        assert_eq!(doc.get(0).unwrap().attrs.len(), 1);
    }

    #[test]
    fn bad_documents_are_refused_with_a_reason() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "<a>&x;</a>",
            "text",
        ] {
            assert!(Doc::parse(bad).is_err(), "{bad}");
        }
    }
}

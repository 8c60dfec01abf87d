//! XML answers as the JSON tree the mapping's JSONPath selectors read: an element is an
//! object of its children by local name (namespace prefixes dropped), an element that
//! repeats under one parent becomes a list, attributes are `@name` (selected as
//! `['@name']`), an element with text alone is that text, and the text of one that also
//! has attributes or children is `#text`. So `$.Envelope.Body.QueryResponse.Record` selects a SOAP answer's
//! records, one or many (a records selector that lands on a list takes its items).

use serde_json::{Map, Value};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The tree of `xml`, rooted at an object holding the root element; `None` if it is not
/// well-formed.
pub(crate) fn to_json(xml: &str) -> Option<Value> {
    let mut reader = Reader::from_str(xml);
    // (name, children, text) of each open element.
    let mut open: Vec<(String, Map<String, Value>, String)> =
        vec![(String::new(), Map::new(), String::new())];
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => open.push((local_name(&e), attributes(&e)?, String::new())),
            Event::Empty(e) => {
                let name = local_name(&e);
                let attrs = attributes(&e)?;
                let value = if attrs.is_empty() {
                    Value::String(String::new())
                } else {
                    Value::Object(attrs)
                };
                add_child(&mut open.last_mut()?.1, name, value);
            }
            Event::Text(t) => open.last_mut()?.2.push_str(&t.decode().ok()?),
            Event::CData(t) => open.last_mut()?.2.push_str(&t.decode().ok()?),
            Event::GeneralRef(r) => {
                let text = &mut open.last_mut()?.2;
                match r.resolve_char_ref().ok()? {
                    Some(c) => text.push(c),
                    None => text.push_str(quick_xml::escape::resolve_predefined_entity(
                        &r.decode().ok()?,
                    )?),
                }
            }
            Event::End(_) => {
                let (name, children, text) = open.pop()?;
                let text = text.trim();
                let value = match (children.is_empty(), text.is_empty()) {
                    (true, _) => Value::String(text.to_owned()),
                    (false, true) => Value::Object(children),
                    (false, false) => {
                        let mut children = children;
                        children.insert("#text".into(), Value::String(text.to_owned()));
                        Value::Object(children)
                    }
                };
                add_child(&mut open.last_mut()?.1, name, value);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match open.pop() {
        Some((_, root, _)) if open.is_empty() && !root.is_empty() => Some(Value::Object(root)),
        _ => None,
    }
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn attributes(e: &BytesStart<'_>) -> Option<Map<String, Value>> {
    let mut map = Map::new();
    for attr in e.attributes() {
        let attr = attr.ok()?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        if attr.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = attr.unescape_value().ok()?.into_owned();
        map.insert(format!("@{key}"), Value::String(value));
    }
    Some(map)
}

/// A second element of a name turns the first into a list.
fn add_child(children: &mut Map<String, Value>, name: String, value: Value) {
    match children.get_mut(&name) {
        None => {
            children.insert(name, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(first) => {
            let first = std::mem::take(first);
            children.insert(name, Value::Array(vec![first, value]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_attributes_and_repeats_become_a_tree() {
        let xml = r#"<?xml version="1.0"?>
            <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
              <soap:Body><Answer code="0">
                <Record><Name>张&#x2000B;</Name><Kind>01</Kind></Record>
                <Record><Name>李四</Name><Kind>02</Kind><Note/></Record>
                <Total>2</Total>
              </Answer></soap:Body>
            </soap:Envelope>"#;
        let tree = to_json(xml).unwrap_or_default();
        let answer = &tree["Envelope"]["Body"]["Answer"];
        assert_eq!(answer["@code"], "0");
        assert_eq!(answer["Total"], "2");
        assert_eq!(answer["Record"][0]["Name"], "张\u{2000B}");
        assert_eq!(answer["Record"][1]["Kind"], "02");
        assert_eq!(answer["Record"][1]["Note"], "");
        assert!(to_json("<a><b></a>").is_none());
        assert!(to_json("").is_none());
    }
}

//! SOAP 1.1 envelopes of the assistance service (private to this simulator): reading a
//! call, writing a response or a fault, and the GBK encoding of both.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::Event;

pub(super) const NAMESPACE: &str = "http://mz.jl.gov.cn/assistance";

/// An operation and its parameters (local names; namespaces are not checked).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SoapCall {
    pub operation: String,
    pub params: HashMap<String, String>,
}

/// Decodes the request body in the charset its `Content-Type` names (GBK unless it says
/// UTF-8, as the service was built for GBK clients).
pub(super) fn decode(body: &[u8], content_type: &str) -> String {
    let lower = content_type.to_ascii_lowercase();
    let encoding = if lower.contains("utf-8") || lower.contains("utf8") {
        encoding_rs::UTF_8
    } else {
        encoding_rs::GBK
    };
    encoding.decode(body).0.into_owned()
}

/// Reads a SOAP call: the first element inside `Body` is the operation, its child
/// elements the parameters.
pub(super) fn parse(xml: &str) -> Result<SoapCall, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut operation: Option<String> = None;
    let mut params = HashMap::new();
    let mut current: Option<String> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("请求报文不是合法的XML：{e}"))?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                check_structure(&path, &name)?;
                if path.len() == 2 && operation.is_none() {
                    operation = Some(name.clone());
                } else if path.len() == 3 {
                    current = Some(name.clone());
                    params.entry(name.clone()).or_insert_with(String::new);
                }
                path.push(name);
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                check_structure(&path, &name)?;
                if path.len() == 2 && operation.is_none() {
                    operation = Some(name);
                } else if path.len() == 3 {
                    params.entry(name).or_insert_with(String::new);
                }
            }
            Event::Text(text) => {
                if let (Some(name), 4) = (&current, path.len()) {
                    let value = text
                        .decode()
                        .map_err(|e| format!("请求报文不是合法的XML：{e}"))?;
                    let value = quick_xml::escape::unescape(&value)
                        .map_err(|e| format!("请求报文不是合法的XML：{e}"))?;
                    params.insert(name.clone(), value.trim().to_owned());
                }
            }
            Event::End(_) => {
                path.pop();
                if path.len() < 4 {
                    current = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err("请求报文不完整：元素未闭合".into());
    }
    let operation = operation.ok_or("soap:Body中缺少操作元素")?;
    Ok(SoapCall { operation, params })
}

fn check_structure(path: &[String], name: &str) -> Result<(), String> {
    match path.len() {
        0 if name != "Envelope" => Err(format!("根元素必须为soap:Envelope，实际为{name}")),
        1 if name != "Body" && name != "Header" => {
            Err(format!("soap:Envelope中出现未知元素{name}"))
        }
        _ => Ok(()),
    }
}

/// Escapes text for an XML element.
pub(super) fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// Wraps a body element in a SOAP envelope.
pub(super) fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>{body}</soap:Body></soap:Envelope>"
    )
}

/// A `soap:Fault`; `code` is `Client` or `Server`.
pub(super) fn fault(code: &str, message: &str) -> String {
    envelope(&format!(
        "<soap:Fault><faultcode>soap:{code}</faultcode><faultstring>{}</faultstring></soap:Fault>",
        escape(message)
    ))
}

/// GBK bytes of a response. Text the service writes is GBK-safe (names are stored
/// substituted); anything else would come out as `&#NNNN;`, as encoders do.
pub(super) fn encode(xml: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(xml).0.into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_operation_and_its_parameters() {
        let xml = r#"<?xml version="1.0" encoding="GBK"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:as="http://mz.jl.gov.cn/assistance">
  <soapenv:Header/>
  <soapenv:Body>
    <as:QueryAssistanceByVillage>
      <as:VillageCode> 220122101201 </as:VillageCode>
      <as:PageNo>2</as:PageNo>
      <as:PageSize/>
    </as:QueryAssistanceByVillage>
  </soapenv:Body>
</soapenv:Envelope>"#;
        let call = parse(xml).unwrap();
        assert_eq!(call.operation, "QueryAssistanceByVillage");
        assert_eq!(call.params["VillageCode"], "220122101201");
        assert_eq!(call.params["PageNo"], "2");
        assert_eq!(call.params["PageSize"], "");
    }

    #[test]
    fn rejects_broken_xml_and_wrong_roots() {
        assert!(parse("<soap:Envelope><soap:Body><Q>").is_err());
        assert!(parse("<a><b/></a>").is_err());
        assert!(parse("not xml").is_err());
        assert!(parse("<Envelope><Body></Body></Envelope>").is_err());
        assert!(parse("<Envelope><Body><Q></X></Body></Envelope>").is_err());
    }

    #[test]
    fn decodes_gbk_unless_told_utf8() {
        let (bytes, _, _) = encoding_rs::GBK.encode("张洁");
        assert_eq!(decode(&bytes, "text/xml; charset=GBK"), "张洁");
        assert_eq!(decode("张洁".as_bytes(), "text/xml; charset=utf-8"), "张洁");
    }
}

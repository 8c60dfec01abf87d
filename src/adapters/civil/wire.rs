//! The assistance service's SOAP 1.1 envelopes, in GBK. Private to this adapter.
//!
//! Requests are written as GBK bytes; answers are decoded from GBK whatever their
//! headers say (the service really sends GBK). Elements are matched by local name, as
//! the service's namespace prefixes are its own business.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::adapters::decode::{self, FieldError};
use crate::domain::views::{
    AssistanceRecord, AssistanceStatus, Disability, DisabilityCategory, Programme,
};

const NAMESPACE: &str = "http://mz.jl.gov.cn/assistance";

/// A SOAP call with its parameters (values are digits only: an ID number, a village
/// code, page numbers; they are escaped all the same).
pub(super) fn request(operation: &str, params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in params {
        body.push_str(&format!(
            "<as:{name}>{}</as:{name}>",
            quick_xml::escape::escape(*value)
        ));
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"GBK\"?>\
<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:as=\"{NAMESPACE}\">\
<soapenv:Header/><soapenv:Body><as:{operation}>{body}</as:{operation}></soapenv:Body></soapenv:Envelope>"
    );
    encoding_rs::GBK.encode(&xml).0.into_owned()
}

/// The `SOAPAction` of an operation.
pub(super) fn action(operation: &str) -> String {
    format!("\"{NAMESPACE}/{operation}\"")
}

/// A SOAP answer: a fault, or the response's header fields and its records.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct SoapAnswer {
    pub fault: Option<Fault>,
    /// Leaf elements outside the records (`ResultCode`, `Total`, `PageNo`, …).
    pub fields: HashMap<String, String>,
    pub records: Vec<HashMap<String, String>>,
}

/// A `soap:Fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fault {
    /// `Client` or `Server` (the prefix dropped).
    pub code: String,
}

/// Why an answer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReadError {
    Gbk,
    Xml,
    Soap,
}

impl ReadError {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Self::Gbk => "the answer is not valid GBK text",
            Self::Xml => "the answer is not well-formed XML (cut short?)",
            Self::Soap => "the answer is not a SOAP envelope",
        }
    }
}

/// Decodes GBK bytes and reads the envelope.
pub(super) fn parse(body: &[u8]) -> Result<SoapAnswer, ReadError> {
    let text = encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(body)
        .ok_or(ReadError::Gbk)?;
    parse_xml(&text)
}

fn parse_xml(xml: &str) -> Result<SoapAnswer, ReadError> {
    let mut reader = Reader::from_str(xml);
    let mut answer = SoapAnswer::default();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut record: Option<HashMap<String, String>> = None;
    let mut in_fault = false;
    let mut saw_envelope = false;
    loop {
        match reader.read_event().map_err(|_| ReadError::Xml)? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    if name != "Envelope" {
                        return Err(ReadError::Soap);
                    }
                    saw_envelope = true;
                }
                match name.as_str() {
                    "Record" => record = Some(HashMap::new()),
                    "Fault" => in_fault = true,
                    _ => {}
                }
                text.clear();
                path.push(name);
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if let Some(r) = record.as_mut() {
                    r.insert(name, String::new());
                }
            }
            Event::Text(t) => {
                text.push_str(&t.decode().map_err(|_| ReadError::Xml)?);
            }
            Event::CData(t) => {
                text.push_str(&t.decode().map_err(|_| ReadError::Xml)?);
            }
            Event::GeneralRef(r) => {
                // Character references carry what an encoder could not write in GBK.
                if let Some(c) = r.resolve_char_ref().map_err(|_| ReadError::Xml)? {
                    text.push(c);
                } else {
                    let name = r.decode().map_err(|_| ReadError::Xml)?;
                    let value = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or(ReadError::Xml)?;
                    text.push_str(value);
                }
            }
            Event::End(_) => {
                let Some(name) = path.pop() else {
                    return Err(ReadError::Xml);
                };
                let value = std::mem::take(&mut text).trim().to_owned();
                match name.as_str() {
                    "Record" => {
                        if let Some(r) = record.take() {
                            answer.records.push(r);
                        }
                    }
                    "Fault" => in_fault = false,
                    "faultcode" if in_fault => {
                        let code = value.rsplit(':').next().unwrap_or_default().to_owned();
                        answer.fault = Some(Fault { code });
                    }
                    _ => match record.as_mut() {
                        Some(r) => {
                            r.insert(name, value);
                        }
                        None => {
                            answer.fields.insert(name, value);
                        }
                    },
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err(ReadError::Xml);
    }
    if !saw_envelope {
        return Err(ReadError::Soap);
    }
    if answer.fault.is_none() && answer.fields.contains_key("faultstring") {
        answer.fault = Some(Fault {
            code: String::new(),
        });
    }
    Ok(answer)
}

/// One `<Record>` by its element names.
pub(super) struct RecordFields(pub HashMap<String, String>);

impl RecordFields {
    fn get(&self, field: &'static str) -> Result<&str, FieldError> {
        self.0
            .get(field)
            .map(|s| s.as_str())
            .ok_or(FieldError::new(field, "missing"))
    }

    fn opt(&self, field: &'static str) -> Option<&str> {
        self.0
            .get(field)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

impl TryFrom<RecordFields> for AssistanceRecord {
    type Error = FieldError;

    fn try_from(r: RecordFields) -> Result<Self, FieldError> {
        let programme = match r.get("ProgrammeCode")?.trim() {
            "01" => Programme::Dibao,
            "02" => Programme::ExtremelyPoor,
            "03" => Programme::Temporary,
            "04" => Programme::DisabilityLiving,
            "05" => Programme::SevereDisabilityNursing,
            "06" => Programme::OldAgeAllowance,
            "07" => Programme::ChildInDifficulty,
            _ => return Err(FieldError::code("ProgrammeCode")),
        };
        let status = match r.get("Status")?.trim() {
            "1" => AssistanceStatus::InPayment,
            "2" => AssistanceStatus::Suspended,
            "3" => AssistanceStatus::Ended,
            _ => return Err(FieldError::code("Status")),
        };
        let disability = match (r.opt("DisabilityCategory"), r.opt("DisabilityGrade")) {
            (None, None) => None,
            (Some(c), Some(g)) => Some(Disability {
                category: match c {
                    "1" => DisabilityCategory::Visual,
                    "2" => DisabilityCategory::Hearing,
                    "3" => DisabilityCategory::Speech,
                    "4" => DisabilityCategory::Physical,
                    "5" => DisabilityCategory::Intellectual,
                    "6" => DisabilityCategory::Mental,
                    "7" => DisabilityCategory::Multiple,
                    _ => return Err(FieldError::code("DisabilityCategory")),
                },
                grade: match g {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    "4" => 4,
                    _ => return Err(FieldError::code("DisabilityGrade")),
                },
            }),
            _ => {
                return Err(FieldError::new(
                    "DisabilityGrade",
                    "category and grade go together",
                ));
            }
        };
        let household_size = match r.opt("HouseholdSize") {
            None => None,
            Some(n) => Some(
                n.parse::<u32>()
                    .map_err(|_| FieldError::new("HouseholdSize", "not a number"))?,
            ),
        };
        let id = decode::id_number("IdCard", r.get("IdCard")?)?;
        let village = r.get("VillageCode")?.trim().to_owned();
        if village.len() != 12 || !village.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new("VillageCode", "not a 12-digit code"));
        }
        let name = r.get("Name")?.trim().to_owned();
        Ok(Self {
            id_number: id,
            name_lossy: name.contains(['?', '\u{FFFD}']),
            name,
            village_code: village,
            programme,
            status,
            amount: decode::money_text("MonthlyAmount", r.get("MonthlyAmount")?)?,
            start: decode::year_month("StartMonth", r.get("StartMonth")?, true)?,
            end: decode::opt_year_month("EndMonth", r.opt("EndMonth"), true)?,
            household_size,
            disability,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn gbk(xml: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(xml).0.into_owned()
    }

    fn response(records: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
<ns:QueryAssistanceByIdCardResponse xmlns:ns=\"{NAMESPACE}\"><ResultCode>0</ResultCode><ResultMessage>成功</ResultMessage>\
<Total>1</Total><Records>{records}</Records></ns:QueryAssistanceByIdCardResponse></soap:Body></soap:Envelope>"
        )
    }

    fn record(name: &str) -> String {
        format!(
            "<Record><IdCard>220122195603020017</IdCard><Name>{name}</Name><VillageCode>220122101201</VillageCode>\
<ProgrammeCode>04</ProgrammeCode><ProgrammeName>困难残疾人生活补贴</ProgrammeName><Status>1</Status>\
<StatusName>享受中</StatusName><MonthlyAmount>80.00</MonthlyAmount><StartMonth>2019-05</StartMonth>\
<EndMonth></EndMonth><HouseholdSize>3</HouseholdSize><DisabilityCategory>4</DisabilityCategory>\
<DisabilityGrade>2</DisabilityGrade></Record>"
        )
    }

    #[test]
    fn a_gbk_answer_with_a_substituted_rare_character_converts() {
        // 𫖮 is not in GBK: the service stored 王颐 (a homophone) for one person and
        // `?` for another.
        let bytes = gbk(&response(&(record("王颐") + &record("李?"))));
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "really GBK on the wire"
        );
        let answer = parse(&bytes).unwrap();
        assert_eq!(answer.fields["ResultCode"], "0");
        let records: Vec<AssistanceRecord> = answer
            .records
            .into_iter()
            .map(|r| AssistanceRecord::try_from(RecordFields(r)).unwrap())
            .collect();
        assert_eq!(records[0].name, "王颐");
        assert!(!records[0].name_lossy);
        assert_eq!(records[1].name, "李?");
        assert!(records[1].name_lossy);
        let r = &records[0];
        assert_eq!(r.programme, Programme::DisabilityLiving);
        assert_eq!(r.amount.fen, 8000);
        assert_eq!(r.end, None);
        assert_eq!(r.disability.unwrap().grade, 2);
        assert_eq!(r.household_size, Some(3));
    }

    #[test]
    fn character_references_written_by_a_gbk_encoder_are_restored() {
        // encoding_rs writes what GBK cannot hold as a numeric character reference.
        let bytes = gbk(&response(&record("王&#x2B5AE;")));
        let answer = parse(&bytes).unwrap();
        let r = AssistanceRecord::try_from(RecordFields(answer.records[0].clone())).unwrap();
        assert_eq!(r.name, "王𫖮");
        let encoded = encoding_rs::GBK.encode("王𫖮").0.into_owned();
        assert_eq!(
            encoding_rs::GBK.decode(&encoded).0,
            format!("王&#{};", 0x2B5AE)
        );
    }

    #[test]
    fn a_soap_fault_is_read() {
        let xml = "<?xml version=\"1.0\" encoding=\"GBK\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
<soap:Fault><faultcode>soap:Client</faultcode><faultstring>身份证号码不合法：220122</faultstring></soap:Fault></soap:Body></soap:Envelope>";
        let answer = parse(&gbk(xml)).unwrap();
        assert_eq!(
            answer.fault,
            Some(Fault {
                code: "Client".into()
            })
        );
    }

    #[test]
    fn garbage_is_refused() {
        let full = gbk(&response(&record("张三")));
        assert_eq!(parse(&full[..full.len() / 2]), Err(ReadError::Xml));
        assert_eq!(
            parse(b"<html><body>503</body></html>"),
            Err(ReadError::Soap)
        );
        assert_eq!(parse(&[0x81, 0x20]), Err(ReadError::Gbk));
    }

    #[test]
    fn requests_are_gbk_soap() {
        let bytes = request(
            "QueryAssistanceByVillage",
            &[("VillageCode", "220122101201"), ("PageNo", "2")],
        );
        let text = encoding_rs::GBK.decode(&bytes).0;
        assert!(text.contains("<as:QueryAssistanceByVillage><as:VillageCode>220122101201</as:VillageCode><as:PageNo>2</as:PageNo>"));
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"GBK\"?>"));
    }
}

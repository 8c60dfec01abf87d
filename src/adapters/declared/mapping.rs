//! The mapping of a definition: RFC 9535 JSONPath selectors (`serde_json_path`) from an
//! answer record onto the fields of a view, with code tables onto the view's enums and
//! dates read in the format the department writes them.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde_json_path::JsonPath;

use super::record::{FieldKind, FieldSpec, ListSpec, Record, Value};
use crate::adapters::decode::FieldError;
use crate::domain::IdNumber;

/// How one field is read.
#[derive(Debug, Clone)]
pub(crate) struct FieldRule {
    pub spec: FieldSpec,
    pub path: JsonPath,
    /// The department's code → the view's word.
    pub codes: HashMap<String, &'static str>,
    /// A chrono format, for dates.
    pub date: Option<String>,
}

/// How a list of sub-records is read.
#[derive(Debug, Clone)]
pub(crate) struct ListRule {
    pub spec: ListSpec,
    pub items: JsonPath,
    pub fields: Vec<FieldRule>,
}

/// The whole mapping of one definition.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    /// Where a record carries the person's ID number (needed to key batch and village
    /// answers).
    pub id_number: Option<JsonPath>,
    pub fields: Vec<FieldRule>,
    pub lists: Vec<ListRule>,
}

impl Mapping {
    /// The record's values; a required field that is absent or unreadable fails it.
    pub(crate) fn apply(&self, record: &serde_json::Value) -> Result<Record, FieldError> {
        let mut out = Record {
            values: read_fields(&self.fields, record)?,
            lists: HashMap::new(),
        };
        for list in &self.lists {
            let items = list
                .items
                .query(record)
                .all()
                .into_iter()
                .map(|item| {
                    read_fields(&list.fields, item).map(|values| Record {
                        values,
                        lists: HashMap::new(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.lists.insert(list.spec.name, items);
        }
        Ok(out)
    }

    /// The ID number a record carries, if the mapping says where and it parses.
    pub(crate) fn id_number(&self, record: &serde_json::Value) -> Option<IdNumber> {
        let path = self.id_number.as_ref()?;
        let text = path.query(record).first()?.as_str()?;
        IdNumber::parse(text.trim()).ok()
    }
}

fn read_fields(
    rules: &[FieldRule],
    record: &serde_json::Value,
) -> Result<HashMap<&'static str, Value>, FieldError> {
    let mut values = HashMap::new();
    for rule in rules {
        let name = rule.spec.name;
        let found = rule.path.query(record).first().filter(|v| !is_blank(v));
        match found {
            Some(raw) => {
                values.insert(name, read(rule, raw)?);
            }
            None if rule.spec.required => return Err(FieldError::new(name, "missing")),
            None => {}
        }
    }
    Ok(values)
}

fn is_blank(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A scalar as text: strings as they are, numbers and booleans as written.
fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn read(rule: &FieldRule, raw: &serde_json::Value) -> Result<Value, FieldError> {
    let name = rule.spec.name;
    let text = || scalar_text(raw).ok_or(FieldError::new(name, "not a scalar"));
    Ok(match rule.spec.kind {
        FieldKind::Text => Value::Text(text()?),
        FieldKind::Bool => Value::Bool(match raw {
            serde_json::Value::Bool(b) => *b,
            _ => match text()?.as_str() {
                "true" | "1" | "Y" | "y" => true,
                "false" | "0" | "N" | "n" => false,
                _ => return Err(FieldError::new(name, "not a boolean")),
            },
        }),
        FieldKind::Integer => Value::Integer(
            text()?
                .parse()
                .map_err(|_| FieldError::new(name, "not a whole number"))?,
        ),
        FieldKind::Date => {
            let format = rule.date.as_deref().unwrap_or("%Y-%m-%d");
            Value::Date(
                NaiveDate::parse_from_str(&text()?, format)
                    .map_err(|_| FieldError::new(name, "not a date in the declared format"))?,
            )
        }
        FieldKind::Code(_) => Value::Word(
            rule.codes
                .get(&text()?)
                .copied()
                .ok_or(FieldError::code(name))?,
        ),
    })
}

/// Compiles the `[fields]` (or a list's `fields`) of a definition against the view's
/// fields, naming every mistake under `section`.
pub(crate) fn compile_fields(
    section: &str,
    view: &str,
    specs: &'static [FieldSpec],
    form: &BTreeMap<String, super::form::FieldForm>,
    skip: &[&str],
    problems: &mut Vec<String>,
) -> Vec<FieldRule> {
    let mut rules = Vec::new();
    for (name, field) in form {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            problems.push(format!(
                "{section}.{name}: the view {view} has no field {name} (its fields: {})",
                specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
            ));
            continue;
        };
        if let Some(rule) = compile_field(section, *spec, field, problems) {
            rules.push(rule);
        }
    }
    for spec in specs.iter().filter(|s| s.required) {
        if !form.contains_key(spec.name) {
            problems.push(format!(
                "{section}: the view {view} requires {} ({}), and nothing maps it",
                spec.name,
                spec.kind.name()
            ));
        }
    }
    rules
}

fn compile_field(
    section: &str,
    spec: FieldSpec,
    form: &super::form::FieldForm,
    problems: &mut Vec<String>,
) -> Option<FieldRule> {
    let at = format!("{section}.{}", spec.name);
    let (path, codes, date) = form.parts();
    let path = selector(&at, path, problems);
    let mut table = HashMap::new();
    match (spec.kind, codes) {
        (FieldKind::Code(words), Some(codes)) => {
            for (code, word) in codes {
                match words.iter().find(|w| **w == word) {
                    Some(w) => {
                        table.insert(code.clone(), *w);
                    }
                    None => problems.push(format!(
                        "{at}.codes.{code}: `{word}` is not a value of the field (use {})",
                        words.join(", ")
                    )),
                }
            }
        }
        (FieldKind::Code(words), None) => problems.push(format!(
            "{at}: a code field needs `codes`, a table from the department's codes onto {}",
            words.join(", ")
        )),
        (kind, Some(_)) => problems.push(format!(
            "{at}: `codes` is for code fields; this one is {}",
            kind.name()
        )),
        _ => {}
    }
    match (spec.kind, date) {
        (FieldKind::Date, None) => problems.push(format!(
            "{at}: a date field needs `date`, its format (e.g. \"%Y/%m/%d\")"
        )),
        (FieldKind::Date, Some(format)) if !date_format_works(format) => problems.push(format!(
            "{at}.date: `{format}` does not read back a date (use chrono's %Y, %m, %d)"
        )),
        (FieldKind::Date, Some(_)) => {}
        (kind, Some(_)) => problems.push(format!(
            "{at}: `date` is for date fields; this one is {}",
            kind.name()
        )),
        _ => {}
    }
    Some(FieldRule {
        spec,
        path: path?,
        codes: table,
        date: date.map(str::to_owned),
    })
}

/// Whether a date written in `format` reads back as the same date.
fn date_format_works(format: &str) -> bool {
    use std::fmt::Write;
    let Some(day) = NaiveDate::from_ymd_opt(2023, 11, 28) else {
        return false;
    };
    let mut written = String::new();
    if write!(written, "{}", day.format(format)).is_err() {
        return false;
    }
    NaiveDate::parse_from_str(&written, format).ok() == Some(day)
}

/// A JSONPath selector, or a mistake naming where it is.
pub(crate) fn selector(at: &str, text: &str, problems: &mut Vec<String>) -> Option<JsonPath> {
    match JsonPath::parse(text) {
        Ok(path) => Some(path),
        Err(e) => {
            problems.push(format!("{at}: `{text}` is not a JSONPath (RFC 9535): {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_are_checked_by_reading_back() {
        assert!(date_format_works("%Y/%m/%d"));
        assert!(date_format_works("%Y%m%d"));
        assert!(!date_format_works("%Y/%m"));
        assert!(!date_format_works("%Q"));
    }
}

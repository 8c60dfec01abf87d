//! What a definition's mapping makes of one answer record: named values of the kinds a
//! view declares, ready for the view's own conversion. Values never appear in errors.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::views::CodeWord;

/// The kind of a view field, which says how its value is read from the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string (a number is taken as its digits).
    Text,
    /// A JSON boolean, or `true`/`false`, `1`/`0`, `Y`/`N`.
    Bool,
    /// A whole number, or a string of digits.
    Integer,
    /// A date in the format the definition gives.
    Date,
    /// A code, mapped by the definition's code table onto one of these words.
    Code(&'static [&'static str]),
}

impl FieldKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Bool => "boolean",
            Self::Integer => "integer",
            Self::Date => "date",
            Self::Code(_) => "code",
        }
    }
}

/// One field of a view.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    /// A mapping must fill it, and every record must carry it.
    pub required: bool,
}

/// A list of sub-records of a view (e.g. the measures of assistance of a household).
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    pub name: &'static str,
    pub fields: &'static [FieldSpec],
}

/// One mapped value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Bool(bool),
    Integer(i64),
    Date(NaiveDate),
    Word(&'static str),
}

/// The values of one record, by view field name, and its lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub(crate) values: HashMap<&'static str, Value>,
    pub(crate) lists: HashMap<&'static str, Vec<Record>>,
}

impl Record {
    pub fn text(&self, field: &'static str) -> Option<String> {
        match self.values.get(field) {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        }
    }

    pub fn bool(&self, field: &'static str) -> Option<bool> {
        match self.values.get(field) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn integer(&self, field: &'static str) -> Option<i64> {
        match self.values.get(field) {
            Some(Value::Integer(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn date(&self, field: &'static str) -> Option<NaiveDate> {
        match self.values.get(field) {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        }
    }

    /// The value of a code field as its enum.
    pub fn code<E: CodeWord>(&self, field: &'static str) -> Option<E> {
        match self.values.get(field) {
            Some(Value::Word(w)) => E::from_word(w),
            _ => None,
        }
    }

    pub fn list(&self, name: &'static str) -> &[Record] {
        self.lists.get(name).map_or(&[], Vec::as_slice)
    }

    /// A required field: its absence names it.
    pub fn need<T>(field: &'static str, value: Option<T>) -> Result<T, MissingField> {
        value.ok_or(MissingField(field))
    }
}

/// A field a view requires that a record does not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingField(pub &'static str);

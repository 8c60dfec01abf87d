//! The arguments every field shares the meaning of, checked before its resolver runs:
//! `first` against the page limit, `after` as a cursor, division codes (`region`,
//! `parentCode`, `region(code:)`, `villageServices(village:)`), citizen ID numbers (`idNumber`) and idempotency keys
//! (`idempotencyKey`), at any depth of an input object. A field with bad arguments fails
//! with one error that names each of them by its path (`extensions.argumentPath` for the
//! first, `extensions.problems` for all), so a client fixes its call in one round trip
//! rather than one argument at a time. The resolvers parse the same values again as they
//! always did; here they cannot fail any more, only be reported together.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_graphql::{
    Name, ServerError, Value, Variables, extensions::ResolveInfo, parser::types::ExecutableDocument,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{
    QueryLimits, date_arguments::operation_variables, pagination::page_size,
    response::response_path,
};
use crate::{
    domain::{IdNumber, RegionCode},
    error::{AppError, ArgumentProblem},
    store::idempotency::check_key,
};

/// The checks of one request.
pub struct ArgumentChecks {
    limits: Arc<QueryLimits>,
    /// The operation's variables, with their defaults, kept from parsing.
    variables: Mutex<HashMap<String, Value>>,
}

impl ArgumentChecks {
    pub fn new(limits: Arc<QueryLimits>) -> Self {
        Self {
            limits,
            variables: Mutex::default(),
        }
    }

    /// After parsing: keeps the variables the fields' arguments may name.
    pub fn parsed(&self, document: &ExecutableDocument, variables: &Variables) {
        if let Ok(mut kept) = self.variables.lock() {
            for (_, operation) in document.operations.iter() {
                for (name, value) in operation_variables(&operation.node, variables) {
                    kept.entry(name.to_owned()).or_insert(value);
                }
            }
        }
    }

    /// Before a field resolves: its arguments, all of them reported in one error.
    pub fn check(&self, info: &ResolveInfo<'_>) -> Result<(), ServerError> {
        if info.field.arguments.is_empty() || info.is_for_introspection {
            return Ok(());
        }
        let mut problems = Vec::new();
        if let Ok(variables) = self.variables.lock() {
            for (name, value) in &info.field.arguments {
                let value = value
                    .node
                    .clone()
                    .into_const_with(|var: Name| {
                        Ok::<_, std::convert::Infallible>(
                            variables.get(var.as_str()).cloned().unwrap_or(Value::Null),
                        )
                    })
                    .unwrap_or(Value::Null);
                let check = Check {
                    field: info.name,
                    limits: &self.limits,
                };
                check.value(vec![name.node.to_string()], &value, &mut problems);
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let mut error = async_graphql::ErrorExtensions::extend(&AppError::Arguments(problems))
            .into_server_error(info.field.name.pos);
        error.path = response_path(info.path_node);
        Err(error)
    }
}

struct Check<'a> {
    /// The field whose arguments these are (`region(code:)` is a division code).
    field: &'a str,
    limits: &'a QueryLimits,
}

impl Check<'_> {
    fn value(&self, path: Vec<String>, value: &Value, problems: &mut Vec<ArgumentProblem>) {
        match value {
            Value::Object(fields) => {
                for (key, inner) in fields {
                    let mut path = path.clone();
                    path.push(key.to_string());
                    self.value(path, inner, problems);
                }
            }
            Value::List(items) => {
                for (index, item) in items.iter().enumerate() {
                    let mut path = path.clone();
                    path.push(index.to_string());
                    self.value(path, item, problems);
                }
            }
            leaf => {
                let name = path.last().map(String::as_str).unwrap_or_default();
                let top_level = path.len() == 1;
                if let Some(error) = self.leaf(name, top_level, leaf) {
                    problems.push(ArgumentProblem { path, error });
                }
            }
        }
    }

    fn leaf(&self, name: &str, top_level: bool, value: &Value) -> Option<AppError> {
        match (name, value) {
            ("first", Value::Number(number)) if top_level => {
                let first = number
                    .as_i64()
                    .map(|n| n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)?;
                page_size(Some(first), self.limits).err()
            }
            ("after", Value::String(cursor)) if top_level && !well_formed_cursor(cursor) => {
                Some(AppError::InvalidCursor)
            }
            ("region" | "parentCode", Value::String(code)) => {
                RegionCode::parse(code).err().map(AppError::from)
            }
            ("code", Value::String(code)) if top_level && self.field == "region" => {
                RegionCode::parse(code).err().map(AppError::from)
            }
            ("village", Value::String(code)) if top_level && self.field == "villageServices" => {
                RegionCode::parse_village(code).err().map(AppError::from)
            }
            ("idNumber", Value::String(number)) => {
                IdNumber::parse(number).err().map(AppError::from)
            }
            ("idempotencyKey", Value::String(key)) => check_key(key)
                .err()
                .map(|e| AppError::BadUserInput(e.to_string())),
            _ => None,
        }
    }
}

/// Whether `cursor` has the shape of the hub's cursors (URL-safe base64 of `kind:key`);
/// whether it belongs to this connection is the resolver's to say.
fn well_formed_cursor(cursor: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .is_some_and(|text| text.contains(':'))
}

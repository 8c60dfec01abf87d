//! The arguments every field shares the meaning of, checked before its resolver runs:
//! `first` against the page limit, `after` as a cursor, division codes (`region`,
//! `parentCode`, `region(code:)`, `villageServices(village:)`), citizen ID numbers (`idNumber`) and idempotency keys
//! (`idempotencyKey`), at any depth of an input object. A field with bad arguments fails
//! with one error that names each of them by its path (`extensions.argumentPath` for the
//! first, `extensions.problems` for all), so a client fixes its call in one round trip
//! rather than one argument at a time. The resolvers parse the same values again as they
//! always did; here they cannot fail any more, only be reported together.

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use async_graphql::{
    Name, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextResolve},
    parser::types::ExecutableDocument,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{
    QueryLimits, Services, date_arguments::operation_variables, pagination::page_size,
    response::response_path,
};
use crate::{
    domain::{IdNumber, RegionCode},
    error::{AppError, ArgumentProblem},
    store::idempotency::check_key,
};

/// The extension factory installed on the schema.
pub struct ArgumentChecks;

impl ExtensionFactory for ArgumentChecks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ArgumentChecksExtension::default())
    }
}

#[derive(Default)]
struct ArgumentChecksExtension {
    /// The operation's variables, with their defaults, kept from parsing.
    variables: Mutex<HashMap<String, Value>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for ArgumentChecksExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut kept) = self.variables.lock() {
            for (_, operation) in document.operations.iter() {
                for (name, value) in operation_variables(&operation.node, variables) {
                    kept.entry(name.to_owned()).or_insert(value);
                }
            }
        }
        Ok(document)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: async_graphql::extensions::ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.field.arguments.is_empty() || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let limits = ctx.data_opt::<Services>().map(|s| s.limits.clone());
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
                    limits: limits.as_deref(),
                };
                check.value(vec![name.node.to_string()], &value, &mut problems);
            }
        }
        if problems.is_empty() {
            return next.run(ctx, info).await;
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
    limits: Option<&'a QueryLimits>,
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
                page_size(Some(first), self.limits?).err()
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

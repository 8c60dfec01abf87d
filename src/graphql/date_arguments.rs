//! Date and time arguments checked with the rest of the document. The stock `DateTime`
//! and `NaiveDate` scalars accept any string at validation and fail only when a
//! resolver reads its arguments, as an error without a code that names no argument
//! (`updatedSince: "yesterday"` came back `INTERNAL`). Here every such argument, written
//! in the document or passed as a variable, at any depth of an input object or list, is
//! parsed exactly as the resolver will parse it, and a malformed one is a validation
//! error naming the argument, before anything runs.

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use async_graphql::{
    InputType, Name, Positioned, ServerError, ValidationResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet},
    registry::{MetaType, MetaTypeName, Registry},
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{ErrorCode, request_error};

/// The extension factory installed on the schema.
pub struct DateArguments;

impl ExtensionFactory for DateArguments {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DateArgumentsExtension::default())
    }
}

#[derive(Default)]
struct DateArgumentsExtension {
    /// The parsed document and its variables, kept from parsing for the validation step.
    parsed: Mutex<Option<(ExecutableDocument, Variables)>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for DateArgumentsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> async_graphql::ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut parsed) = self.parsed.lock() {
            *parsed = Some((document.clone(), variables.clone()));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        // The document's own validation speaks first (unknown fields, wrong types).
        let result = next.run(ctx).await?;
        let parsed = self.parsed.lock().ok().and_then(|mut p| p.take());
        if let Some((document, variables)) = parsed {
            let check = Check {
                registry: &ctx.schema_env.registry,
                document: &document,
                errors: Vec::new(),
            };
            let errors = check.run(&variables);
            if !errors.is_empty() {
                return Err(errors);
            }
        }
        Ok(result)
    }
}

struct Check<'a> {
    registry: &'a Registry,
    document: &'a ExecutableDocument,
    errors: Vec<ServerError>,
}

impl Check<'_> {
    fn run(mut self, variables: &Variables) -> Vec<ServerError> {
        for (_, operation) in self.document.operations.iter() {
            let values = operation_variables(&operation.node, variables);
            let root = match operation.node.ty {
                async_graphql::parser::types::OperationType::Query => {
                    Some(self.registry.query_type.as_str())
                }
                async_graphql::parser::types::OperationType::Mutation => {
                    self.registry.mutation_type.as_deref()
                }
                async_graphql::parser::types::OperationType::Subscription => {
                    self.registry.subscription_type.as_deref()
                }
            };
            if let Some(root) = root {
                self.selection_set(root, &operation.node.selection_set.node, &values, 0);
            }
        }
        self.errors
    }

    fn selection_set(
        &mut self,
        type_name: &str,
        set: &SelectionSet,
        variables: &HashMap<&str, Value>,
        depth: usize,
    ) {
        // Fragments may (invalidly) spread each other in a cycle; validation has refused
        // those already, and the depth limit bounds everything else.
        if depth > 64 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => self.field(type_name, &field.node, variables, depth),
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(type_name, |c| c.node.on.node.as_str());
                    self.selection_set(on, &inline.node.selection_set.node, variables, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        self.selection_set(
                            on,
                            &fragment.node.selection_set.node,
                            variables,
                            depth + 1,
                        );
                    }
                }
            }
        }
    }

    fn field(
        &mut self,
        type_name: &str,
        field: &Field,
        variables: &HashMap<&str, Value>,
        depth: usize,
    ) {
        let Some(meta) = self
            .registry
            .types
            .get(type_name)
            .and_then(|t| t.field_by_name(field.name.node.as_str()))
        else {
            return;
        };
        for (name, value) in &field.arguments {
            let Some(argument) = meta.args.get(name.node.as_str()) else {
                continue;
            };
            let value = value
                .node
                .clone()
                .into_const_with(|var: Name| {
                    Ok::<_, std::convert::Infallible>(
                        variables.get(var.as_str()).cloned().unwrap_or(Value::Null),
                    )
                })
                .unwrap_or(Value::Null);
            if let Some(problem) = self.value(&argument.ty, &value, name.node.to_string()) {
                self.errors.push(problem.into_error(name));
            }
        }
        let child = MetaTypeName::concrete_typename(&meta.ty);
        self.selection_set(child, &field.selection_set.node, variables, depth + 1);
    }

    /// The first malformed date in `value` of GraphQL type `ty`, with its path.
    fn value(&self, ty: &str, value: &Value, path: String) -> Option<Problem> {
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => self.value(inner, value, path),
            MetaTypeName::List(inner) => match value {
                Value::List(items) => items
                    .iter()
                    .enumerate()
                    .find_map(|(i, item)| self.value(inner, item, format!("{path}[{i}]"))),
                single => self.value(inner, single, path),
            },
            MetaTypeName::Named(name) => match (self.registry.types.get(name), value) {
                (Some(MetaType::InputObject { input_fields, .. }), Value::Object(fields)) => {
                    fields.iter().find_map(|(key, field)| {
                        let meta = input_fields.get(key.as_str())?;
                        self.value(&meta.ty, field, format!("{path}.{key}"))
                    })
                }
                (Some(MetaType::Scalar { .. }), Value::String(text)) => {
                    malformed(name, text).map(|expected| Problem {
                        path,
                        scalar: name.to_owned(),
                        text: text.clone(),
                        expected,
                    })
                }
                _ => None,
            },
        }
    }
}

/// A malformed date argument.
struct Problem {
    path: String,
    scalar: String,
    text: String,
    expected: &'static str,
}

impl Problem {
    fn into_error(self, argument: &Positioned<Name>) -> ServerError {
        let shown: String = self.text.chars().take(40).collect();
        let mut error = request_error(
            ErrorCode::GraphqlValidationFailed,
            format!(
                r#"Invalid value for argument "{}", expected type "{}": "{shown}" is not {}"#,
                self.path, self.scalar, self.expected
            ),
        );
        error.locations = vec![argument.pos];
        error
    }
}

/// What a string for the scalar `name` should look like, when it is not that; `None`
/// for a well-formed value and for scalars other than the dates.
fn malformed(name: &str, text: &str) -> Option<&'static str> {
    let value = Some(Value::String(text.to_owned()));
    match name {
        "DateTime" => <DateTime<Utc> as InputType>::parse(value)
            .is_err()
            .then_some("an RFC 3339 date and time such as 2026-11-30T08:00:00+08:00"),
        "NaiveDate" => <NaiveDate as InputType>::parse(value)
            .is_err()
            .then_some("a date such as 2026-11-30"),
        _ => None,
    }
}

/// The operation's variables as the request gives them, else their defaults.
pub(super) fn operation_variables<'a>(
    operation: &'a OperationDefinition,
    variables: &Variables,
) -> HashMap<&'a str, Value> {
    operation
        .variable_definitions
        .iter()
        .filter_map(|definition| {
            let name = definition.node.name.node.as_str();
            let value = variables
                .get(&definition.node.name.node)
                .cloned()
                .or_else(|| {
                    definition
                        .node
                        .default_value
                        .as_ref()
                        .map(|d| d.node.clone())
                })?;
            Some((name, value))
        })
        .collect()
}

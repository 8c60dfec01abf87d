//! Date and time arguments checked with the rest of the document. The stock `DateTime`
//! and `NaiveDate` scalars accept any string at validation and fail only when a
//! resolver reads its arguments, as an error without a code that names no argument
//! (`updatedSince: "yesterday"` came back `INTERNAL`). Here every such argument, written
//! in the document or passed as a variable, at any depth of an input object or list, is
//! parsed exactly as the resolver will parse it, and a malformed one is a validation
//! error naming the argument, before anything runs.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, OnceLock},
};

use async_graphql::{
    InputType, Name, Positioned, ServerError, Value, Variables,
    parser::types::{ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet},
    registry::{MetaType, MetaTypeName, Registry},
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{ErrorCode, request_error};

/// The names of the schema's fields that take a date in an argument, at any depth of its
/// input type. Read from the schema at its first request; a document naming none of them
/// has nothing to check and is not kept.
#[derive(Default)]
pub struct DateFields(OnceLock<HashSet<String>>);

impl DateFields {
    fn of(&self, registry: &Registry) -> &HashSet<String> {
        self.0.get_or_init(|| {
            let mut names = HashSet::new();
            for ty in registry.types.values() {
                let fields = match ty {
                    MetaType::Object { fields, .. } | MetaType::Interface { fields, .. } => fields,
                    _ => continue,
                };
                for (name, field) in fields {
                    let takes_date = field
                        .args
                        .values()
                        .any(|arg| holds_date(registry, &arg.ty, &mut HashSet::new()));
                    if takes_date {
                        names.insert(name.clone());
                    }
                }
            }
            names
        })
    }
}

/// Whether a value of type `ty` can hold a date; `seen` stops recursive input types.
fn holds_date<'a>(registry: &'a Registry, ty: &'a str, seen: &mut HashSet<&'a str>) -> bool {
    let name = MetaTypeName::concrete_typename(ty);
    if DATE_SCALARS.contains(&name) {
        return true;
    }
    if !seen.insert(name) {
        return false;
    }
    match registry.types.get(name) {
        Some(MetaType::InputObject { input_fields, .. }) => input_fields
            .values()
            .any(|field| holds_date(registry, &field.ty, seen)),
        _ => false,
    }
}

/// The check of one request: the document and its variables, kept from parsing for the
/// step after validation (which has refused fragment cycles by then).
pub struct DateArguments {
    fields: Arc<DateFields>,
    parsed: Mutex<Option<(ExecutableDocument, Variables)>>,
}

impl DateArguments {
    pub fn new(fields: Arc<DateFields>) -> Self {
        Self {
            fields,
            parsed: Mutex::new(None),
        }
    }

    /// After parsing: keeps the document if a field of it takes a date.
    pub fn parsed(
        &self,
        registry: &Registry,
        document: &ExecutableDocument,
        variables: &Variables,
    ) {
        if !names_any(document, self.fields.of(registry)) {
            return;
        }
        if let Ok(mut parsed) = self.parsed.lock() {
            *parsed = Some((document.clone(), variables.clone()));
        }
    }

    /// After the document's own validation (unknown fields and wrong types speak first):
    /// every date argument parsed as its resolver will parse it.
    pub fn check(&self, registry: &Registry) -> Result<(), Vec<ServerError>> {
        let parsed = self.parsed.lock().ok().and_then(|mut p| p.take());
        let Some((document, variables)) = parsed else {
            return Ok(());
        };
        let check = Check {
            registry,
            document: &document,
            errors: Vec::new(),
        };
        let errors = check.run(&variables);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Whether a field with arguments named in `fields` appears anywhere in the document.
/// Each operation and fragment is walked once, without following spreads.
fn names_any(document: &ExecutableDocument, fields: &HashSet<String>) -> bool {
    fn in_set(set: &SelectionSet, fields: &HashSet<String>) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                (!field.node.arguments.is_empty() && fields.contains(field.node.name.node.as_str()))
                    || in_set(&field.node.selection_set.node, fields)
            }
            Selection::InlineFragment(inline) => in_set(&inline.node.selection_set.node, fields),
            Selection::FragmentSpread(_) => false,
        })
    }
    !fields.is_empty()
        && (document
            .operations
            .iter()
            .any(|(_, op)| in_set(&op.node.selection_set.node, fields))
            || document
                .fragments
                .values()
                .any(|f| in_set(&f.node.selection_set.node, fields)))
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

/// The scalars [`malformed`] checks.
const DATE_SCALARS: [&str; 2] = ["DateTime", "NaiveDate"];

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

#[cfg(test)]
mod tests {
    use async_graphql::{InputObject, Object, OutputType, parser::parse_query};

    use super::*;

    /// A window that may nest itself: the walk of input types must end.
    #[derive(InputObject)]
    struct Window {
        since: Option<NaiveDate>,
        inner: Option<Box<Window>>,
    }

    #[derive(InputObject)]
    struct Paging {
        first: Option<i32>,
        inner: Option<Box<Paging>>,
    }

    struct Query;

    #[Object]
    impl Query {
        async fn plain(&self, _x: i32) -> i32 {
            1
        }
        async fn dated(&self, _day: NaiveDate) -> i32 {
            1
        }
        async fn windowed(&self, _window: Window) -> i32 {
            1
        }
        async fn paged(&self, _paging: Option<Paging>) -> i32 {
            1
        }
        async fn instants(&self, _at: Option<Vec<DateTime<Utc>>>) -> i32 {
            1
        }
    }

    fn date_fields() -> HashSet<String> {
        let mut registry = Registry::default();
        Query::create_type_info(&mut registry);
        DateFields::default().of(&registry).clone()
    }

    #[test]
    fn the_fields_taking_a_date_are_found_at_any_depth_of_their_arguments() {
        let mut names: Vec<_> = date_fields().into_iter().collect();
        names.sort();
        assert_eq!(names, ["dated", "instants", "windowed"]);
    }

    #[test]
    fn a_document_is_kept_only_when_one_of_its_fields_takes_a_date() {
        let fields = date_fields();
        let names = |document: &str| {
            let document = parse_query(document).unwrap_or_else(|e| panic!("{e}"));
            names_any(&document, &fields)
        };
        assert!(!names("{ plain(x: 1) paged(paging: { first: 2 }) }"));
        // Without arguments there is nothing to check.
        assert!(!names("{ dated }"));
        assert!(names(r#"{ dated(day: "x") }"#));
        assert!(names(
            r#"query { ...F } fragment F on Query { windowed(window: {}) }"#
        ));
        assert!(names(r#"{ ... on Query { instants(at: ["x"]) } }"#));
        assert!(names(
            r#"query($d: NaiveDate!) { a: plain(x: 1) b: dated(day: $d) }"#
        ));
    }
}

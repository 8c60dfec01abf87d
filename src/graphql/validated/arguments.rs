//! The one part of validation that depends on a request's variables: each argument that
//! takes a variable is checked against its type with the variable's value in it, as the
//! library's `ArgumentsOfCorrectType` does. Everything else the library checks depends on
//! the document alone.

use async_graphql::{
    Name, Positioned, QueryPathNode, QueryPathSegment, ServerError, Variables,
    parser::types::{
        Directive, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
        Selection, SelectionSet,
    },
    registry::{MetaType, MetaTypeName, Registry},
};
use async_graphql_value::{ConstValue, Value};

use super::input_value::{UnknownType, problem};

/// An argument of the document whose value names a variable.
struct VariableArgument {
    name: Positioned<Name>,
    /// The argument's input type, as the schema writes it (`String!`, `[Int]`).
    ty: String,
    value: Value,
}

/// The arguments of a document that take variables, in the order the library checks
/// them: fragments first, then the operation, each argument before the selections under
/// its field.
pub struct VariableArguments(Vec<VariableArgument>);

impl VariableArguments {
    /// The arguments of `operation`, `document`'s only one, and of its fragments. `None`
    /// when more than the arguments' values would depend on the variables, or the walk
    /// meets what it cannot place in the schema: there, every request is validated in
    /// full. (A document with several operations is too: which one runs is the request's
    /// choice, see [`only_operation`].)
    ///
    /// - A directive takes a variable (`@include(if: $x)`).
    /// - A field that computes its own complexity takes a variable (`first: $n`): the
    ///   complexity, checked after validation, is the variable's.
    pub fn of(
        registry: &Registry,
        document: &ExecutableDocument,
        operation: &OperationDefinition,
    ) -> Option<Self> {
        let mut found = Vec::new();
        for fragment in document.fragments.values() {
            let fragment = &fragment.node;
            if any_variable_in(&fragment.directives) {
                return None;
            }
            let on = registry
                .types
                .get(fragment.type_condition.node.on.node.as_str())?;
            walk(registry, on, &fragment.selection_set.node, &mut found)?;
        }
        let root = match operation.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        }?;
        let definitions_directives = operation
            .variable_definitions
            .iter()
            .any(|definition| any_variable_in(&definition.node.directives));
        if definitions_directives || any_variable_in(&operation.directives) {
            return None;
        }
        walk(
            registry,
            registry.types.get(root)?,
            &operation.selection_set.node,
            &mut found,
        )?;
        Some(Self(found))
    }

    /// The arguments checked with `variables`: the library's errors, in its order and its
    /// words. An argument naming a variable the request does not give is left unchecked,
    /// as the library leaves it.
    pub fn check(
        &self,
        registry: &Registry,
        variables: &Variables,
    ) -> Result<Vec<ServerError>, UnknownType> {
        let mut errors = Vec::new();
        for argument in &self.0 {
            let path = QueryPathNode {
                parent: None,
                segment: QueryPathSegment::Name(&argument.name.node),
            };
            let reason = match &argument.value {
                // The common case, checked without copying the variable's value.
                Value::Variable(name) => match variables.get(name) {
                    Some(value) => problem(registry, &argument.ty, value, path)?,
                    None => continue,
                },
                value => match substituted(value, variables) {
                    Some(value) => problem(registry, &argument.ty, &value, path)?,
                    None => continue,
                },
            };
            if let Some(reason) = reason {
                errors.push(ServerError::new(
                    format!("Invalid value for argument {reason}"),
                    Some(argument.name.pos),
                ));
            }
        }
        Ok(errors)
    }
}

/// The document's operation, with its name, when it has only one.
pub fn only_operation(
    document: &ExecutableDocument,
) -> Option<(Option<&Name>, &OperationDefinition)> {
    match &document.operations {
        DocumentOperations::Single(operation) => Some((None, &operation.node)),
        DocumentOperations::Multiple(operations) if operations.len() == 1 => operations
            .iter()
            .next()
            .map(|(name, operation)| (Some(name), &operation.node)),
        DocumentOperations::Multiple(_) => None,
    }
}

/// `value` with the request's variables in it; `None` when one is not given.
fn substituted(value: &Value, variables: &Variables) -> Option<ConstValue> {
    value
        .clone()
        .into_const_with(|name| variables.get(&name).cloned().ok_or(()))
        .ok()
}

fn walk(
    registry: &Registry,
    parent: &MetaType,
    set: &SelectionSet,
    found: &mut Vec<VariableArgument>,
) -> Option<()> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                if any_variable_in(&field.directives) {
                    return None;
                }
                let schema_field = parent.field_by_name(&field.name.node);
                for (name, value) in &field.arguments {
                    if !has_variable(&value.node) {
                        continue;
                    }
                    let schema_field = schema_field?;
                    if schema_field.compute_complexity.is_some() {
                        return None;
                    }
                    found.push(VariableArgument {
                        name: name.clone(),
                        ty: schema_field.args.get(name.node.as_str())?.ty.clone(),
                        value: value.node.clone(),
                    });
                }
                if !field.selection_set.node.items.is_empty() {
                    let ty = MetaTypeName::concrete_typename(&schema_field?.ty);
                    walk(
                        registry,
                        registry.types.get(ty)?,
                        &field.selection_set.node,
                        found,
                    )?;
                }
            }
            Selection::InlineFragment(inline) => {
                let inline = &inline.node;
                if any_variable_in(&inline.directives) {
                    return None;
                }
                let on = match &inline.type_condition {
                    Some(condition) => registry.types.get(condition.node.on.node.as_str())?,
                    None => parent,
                };
                walk(registry, on, &inline.selection_set.node, found)?;
            }
            // A fragment's own selections are walked with the fragments.
            Selection::FragmentSpread(spread) => {
                if any_variable_in(&spread.node.directives) {
                    return None;
                }
            }
        }
    }
    Some(())
}

fn any_variable_in(directives: &[Positioned<Directive>]) -> bool {
    directives.iter().any(|directive| {
        directive
            .node
            .arguments
            .iter()
            .any(|(_, value)| has_variable(&value.node))
    })
}

fn has_variable(value: &Value) -> bool {
    match value {
        Value::Variable(_) => true,
        Value::List(items) => items.iter().any(has_variable),
        Value::Object(fields) => fields.values().any(has_variable),
        _ => false,
    }
}

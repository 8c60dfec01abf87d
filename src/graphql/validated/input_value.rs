//! Whether a value fits an input type, in the words of the library's own validation
//! (`ArgumentsOfCorrectType`), whose check is private to it. A request that reuses a
//! validation must be refused with the very message a fresh validation would give, so
//! this follows the library's rules and texts line by line.

use async_graphql::{
    QueryPathNode, QueryPathSegment,
    registry::{MetaType, MetaTypeName, Registry},
};
use async_graphql_value::ConstValue;

/// The schema does not know a type the check reached: the caller validates afresh.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownType;

/// Why `value` does not fit `type_name` (`None`: it fits), said as the library says it.
pub fn problem(
    registry: &Registry,
    type_name: &str,
    value: &ConstValue,
    path: QueryPathNode<'_>,
) -> Result<Option<String>, UnknownType> {
    match MetaTypeName::create(type_name) {
        MetaTypeName::NonNull(inner) => match value {
            ConstValue::Null => Ok(Some(at(&path, format!("expected type \"{inner}\"")))),
            _ => problem(registry, inner, value, path),
        },
        MetaTypeName::List(item_type) => match value {
            ConstValue::List(items) => {
                for (index, item) in items.iter().enumerate() {
                    let item_path = QueryPathNode {
                        parent: Some(&path),
                        segment: QueryPathSegment::Index(index),
                    };
                    if let Some(reason) = problem(registry, item_type, item, item_path)? {
                        return Ok(Some(reason));
                    }
                }
                Ok(None)
            }
            ConstValue::Null => Ok(None),
            _ => problem(registry, item_type, value, path),
        },
        MetaTypeName::Named(name) => {
            if let ConstValue::Null = value {
                return Ok(None);
            }
            named(registry, name, value, path)
        }
    }
}

fn named(
    registry: &Registry,
    name: &str,
    value: &ConstValue,
    path: QueryPathNode<'_>,
) -> Result<Option<String>, UnknownType> {
    let expected = || Some(at(&path, format!("expected type \"{name}\"")));
    Ok(match registry.types.get(name).ok_or(UnknownType)? {
        MetaType::Scalar {
            is_valid: Some(is_valid),
            ..
        } => {
            if is_valid(value) {
                None
            } else {
                expected()
            }
        }
        MetaType::Enum {
            enum_values,
            name: enum_name,
            ..
        } => match value {
            ConstValue::Enum(item) if enum_values.contains_key(item.as_str()) => None,
            ConstValue::String(item) if enum_values.contains_key(item.as_str()) => None,
            ConstValue::Enum(item) => Some(not_in_enum(&path, enum_name, item)),
            ConstValue::String(item) => Some(not_in_enum(&path, enum_name, item)),
            _ => expected(),
        },
        MetaType::InputObject {
            input_fields,
            name: object_name,
            oneof,
            ..
        } => match value {
            ConstValue::Object(values) => {
                if *oneof {
                    if values.len() != 1 {
                        return Ok(Some(at(
                            &path,
                            "Oneof input objects requires have exactly one field".into(),
                        )));
                    }
                    if let ConstValue::Null = values[0] {
                        return Ok(Some(at(
                            &path,
                            "Oneof Input Objects require that exactly one field must be supplied and that field must not be null".into(),
                        )));
                    }
                }
                for field in input_fields.values() {
                    if let Some(field_value) = values.get(field.name.as_str()) {
                        let field_path = QueryPathNode {
                            parent: Some(&path),
                            segment: QueryPathSegment::Name(&field.name),
                        };
                        if let Some(reason) = problem(registry, &field.ty, field_value, field_path)?
                        {
                            return Ok(Some(reason));
                        }
                    } else if MetaTypeName::create(&field.ty).is_non_null()
                        && field.default_value.is_none()
                    {
                        return Ok(Some(at(
                            &path,
                            format!(
                                r#"field "{}" of type "{}" is required but not provided"#,
                                field.name, field.ty,
                            ),
                        )));
                    }
                }
                values
                    .keys()
                    .find(|key| !input_fields.contains_key(key.as_str()))
                    .map(|unknown| {
                        at(
                            &path,
                            format!("unknown field \"{unknown}\" of type \"{object_name}\""),
                        )
                    })
            }
            _ => None,
        },
        _ => None,
    })
}

fn not_in_enum(path: &QueryPathNode<'_>, enum_name: &str, item: &str) -> String {
    at(
        path,
        format!("enumeration type \"{enum_name}\" does not contain the value \"{item}\""),
    )
}

fn at(path: &QueryPathNode<'_>, message: String) -> String {
    format!("\"{path}\", {message}")
}

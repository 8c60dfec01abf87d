//! The shape of a response as the GraphQL specification asks for it. When a field errors,
//! the executor leaves its key out of `data`; the specification wants the key present with
//! `null`. And every error carries a code, also those the library raises itself. Every
//! transport passes its responses through [`finish`] before sending them.

use async_graphql::{Name, PathSegment, Response, Value};

use crate::error;

/// Makes `response` what every transport sends: each error with its code, each errored
/// field present and `null`.
pub fn finish(response: &mut Response) {
    for err in &mut response.errors {
        error::classify(err);
    }
    null_errored_fields(response);
}

/// Puts `null` at the path of every field error whose parent object is in `data` and lacks
/// the field's key. A path whose parent is missing or `null` (nulled, never reached, or the
/// whole of `data`) is left alone.
pub fn null_errored_fields(response: &mut Response) {
    for error in &response.errors {
        if let Some((PathSegment::Field(key), parents)) = error.path.split_last()
            && let Some(Value::Object(object)) = descend(&mut response.data, parents)
        {
            object.entry(Name::new(key)).or_insert(Value::Null);
        }
    }
}

/// The response path of the field or list item `node` is resolving.
pub(crate) fn response_path(node: &async_graphql::QueryPathNode<'_>) -> Vec<PathSegment> {
    let segment = |node: &async_graphql::QueryPathNode<'_>| match node.segment {
        async_graphql::context::QueryPathSegment::Index(index) => PathSegment::Index(index),
        async_graphql::context::QueryPathSegment::Name(name) => PathSegment::Field(name.to_owned()),
    };
    let mut path: Vec<PathSegment> = node.parents().map(segment).collect();
    path.reverse();
    path.push(segment(node));
    path
}

/// The value at `path` below `value`, if every step exists.
fn descend<'a>(value: &'a mut Value, path: &[PathSegment]) -> Option<&'a mut Value> {
    let mut current = value;
    for segment in path {
        current = match (segment, current) {
            (PathSegment::Field(key), Value::Object(object)) => object.get_mut(key.as_str())?,
            (PathSegment::Index(index), Value::List(items)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use async_graphql::{ServerError, value};

    use super::*;

    fn error_at(path: Vec<PathSegment>) -> ServerError {
        let mut error = ServerError::new("failed", None);
        error.path = path;
        error
    }

    fn field(name: &str) -> PathSegment {
        PathSegment::Field(name.to_owned())
    }

    #[test]
    fn an_errored_field_is_present_and_null() {
        let mut response = Response::new(value!({ "resident": { "name": "高婷" } }));
        response.errors = vec![error_at(vec![field("resident"), field("socialInsurance")])];
        null_errored_fields(&mut response);
        assert_eq!(
            response.data,
            value!({ "resident": { "name": "高婷", "socialInsurance": null } })
        );
    }

    #[test]
    fn errors_inside_lists_and_at_the_root_get_their_null() {
        let mut response =
            Response::new(value!({ "residents": [{ "name": "a" }, { "name": "b" }] }));
        response.errors = vec![
            error_at(vec![
                field("residents"),
                PathSegment::Index(1),
                field("medical"),
            ]),
            error_at(vec![field("household")]),
        ];
        null_errored_fields(&mut response);
        assert_eq!(
            response.data,
            value!({
                "residents": [{ "name": "a" }, { "name": "b", "medical": null }],
                "household": null,
            })
        );
    }

    #[test]
    fn data_that_is_null_stays_null() {
        // Every root field errored: whether `null` must stand for the whole operation (a
        // non-null root field, such as a mutation's payload) is the executor's to say.
        let mut response = Response::new(Value::Null);
        response.errors = vec![error_at(vec![field("openServiceRequest")])];
        null_errored_fields(&mut response);
        assert_eq!(response.data, Value::Null);
    }

    #[test]
    fn present_values_and_missing_parents_are_left_alone() {
        let mut response = Response::new(value!({ "resident": null, "other": { "x": 1 } }));
        response.errors = vec![
            error_at(vec![field("resident"), field("name")]),
            error_at(vec![field("other"), field("x")]),
            error_at(vec![field("gone"), field("y")]),
            error_at(vec![]),
        ];
        null_errored_fields(&mut response);
        assert_eq!(
            response.data,
            value!({ "resident": null, "other": { "x": 1 } })
        );
    }
}

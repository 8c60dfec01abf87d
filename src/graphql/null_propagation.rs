//! Null propagation as the GraphQL specification describes it. When a field of a non-null
//! type fails, its parent cannot be returned with a hole in it: the nearest nullable field
//! above it becomes `null` (the whole of `data`, if every field up to the root is
//! non-null). The library drops a failed field's key and goes on as if the parent were
//! whole, so a client that trusts `String!` finds nothing there. This step (one of
//! `graphql::hooks`) watches each field as it completes: a failed non-null field is
//! remembered, and its parent, when it completes, answers `null` if it may, or is
//! remembered in turn.
//!
//! A nullable field that fails keeps its parent; its key gets its `null` in
//! [`super::response::finish`].

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{
    PathSegment, Response, ServerResult, Value,
    context::{QueryPathNode, QueryPathSegment},
    extensions::ResolveInfo,
    futures_util::stream::BoxStream,
};
use futures_util::StreamExt;

use super::response::response_path;

/// The failures of one request, kept until they reach a nullable field.
#[derive(Default)]
pub struct NullPropagation {
    failed: Arc<Failed>,
}

/// Non-null places whose failure has not yet reached a nullable field: field paths, or
/// list items (a path ending in an index).
#[derive(Default)]
struct Failed {
    // Checked on every field; the lock is taken only once something has failed.
    any: AtomicBool,
    paths: Mutex<Vec<Vec<PathSegment>>>,
}

impl Failed {
    fn push(&self, path: Vec<PathSegment>) {
        if let Ok(mut paths) = self.paths.lock() {
            paths.push(path);
            self.any.store(true, Ordering::Release);
        }
    }

    /// Takes the failures directly below `path`: a child field, or one of its list items.
    /// Returns the items' indexes (`None` for a child field).
    fn take_children(&self, path: &[PathSegment]) -> Vec<Option<usize>> {
        let Ok(mut paths) = self.paths.lock() else {
            return Vec::new();
        };
        let mut found = Vec::new();
        paths.retain(|failed| {
            let Some(rest) = failed.strip_prefix(path) else {
                return true;
            };
            match rest {
                [PathSegment::Field(_)] => found.push(None),
                [PathSegment::Index(index)] => found.push(Some(*index)),
                _ => return true,
            }
            false
        });
        found
    }

    /// Whether a root field's failure reached the root: then `data` is `null`.
    fn take_root(&self) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let Ok(mut paths) = self.paths.lock() else {
            return false;
        };
        let reached = paths.iter().any(|p| p.len() == 1);
        paths.clear();
        self.any.store(false, Ordering::Release);
        reached
    }
}

/// What a field's type says of its nulls, read before it resolves.
pub struct FieldShape {
    non_null: bool,
    /// For a list: whether its items may be null.
    items_nullable: Option<bool>,
}

impl FieldShape {
    pub fn of(info: &ResolveInfo<'_>) -> Self {
        // A list item is also resolved as a field; whether it may be null is its list's to say.
        let item = matches!(info.path_node.segment, QueryPathSegment::Index(_));
        Self {
            non_null: item || info.return_type.ends_with('!'),
            // An item of `[T]` may be null; an item of `[T!]` takes the list with it.
            items_nullable: if item {
                None
            } else {
                list_item_nullable(info.return_type)
            },
        }
    }
}

impl NullPropagation {
    /// After a field resolves: a failed non-null field is remembered; a field whose
    /// non-null children failed answers `null` if it may, or is remembered in turn.
    pub fn resolved(
        &self,
        path_node: &QueryPathNode<'_>,
        shape: FieldShape,
        result: ServerResult<Option<Value>>,
    ) -> ServerResult<Option<Value>> {
        match result {
            Err(error) => {
                if shape.non_null {
                    self.failed.push(response_path(path_node));
                }
                Err(error)
            }
            Ok(Some(mut value)) if self.failed.any.load(Ordering::Acquire) => {
                let path = response_path(path_node);
                let children = self.failed.take_children(&path);
                if children.is_empty() {
                    return Ok(Some(value));
                }
                let mut whole = false;
                for child in children {
                    match (child, shape.items_nullable, &mut value) {
                        (Some(index), Some(true), Value::List(items)) => {
                            if let Some(item) = items.get_mut(index) {
                                *item = Value::Null;
                            }
                        }
                        _ => whole = true,
                    }
                }
                if !whole {
                    Ok(Some(value))
                } else if shape.non_null {
                    self.failed.push(path);
                    Ok(Some(value))
                } else {
                    Ok(Some(Value::Null))
                }
            }
            other => other,
        }
    }

    /// After execution: a failure that reached the root takes all of `data`.
    pub fn executed(&self, response: &mut Response) {
        if self.failed.take_root() {
            response.data = Value::Null;
        }
    }

    /// The same for every event of a subscription.
    pub fn subscribed<'s>(&self, stream: BoxStream<'s, Response>) -> BoxStream<'s, Response> {
        let failed = self.failed.clone();
        stream
            .map(move |mut response| {
                if failed.take_root() {
                    response.data = Value::Null;
                }
                response
            })
            .boxed()
    }
}

/// For a list type (`[T]`, `[T!]!`, …), whether its items may be null; `None` otherwise.
fn list_item_nullable(ty: &str) -> Option<bool> {
    let inner = ty.strip_suffix('!').unwrap_or(ty);
    let item = inner.strip_prefix('[')?.strip_suffix(']')?;
    Some(!item.ends_with('!'))
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject, value};

    use super::*;
    use crate::graphql::{hooks::RequestHooks, response::finish};

    struct Query;

    #[derive(SimpleObject)]
    struct Leaf {
        ok: i32,
    }

    struct Record;

    #[Object]
    impl Record {
        async fn name(&self) -> &str {
            "x"
        }
        async fn strict(&self) -> async_graphql::Result<i32> {
            Err("down".into())
        }
        async fn loose(&self) -> async_graphql::Result<Option<i32>> {
            Err("down".into())
        }
        async fn strict_object(&self) -> async_graphql::Result<Leaf> {
            Err("down".into())
        }
        async fn wrapper(&self) -> Record {
            Record
        }
    }

    #[Object]
    impl Query {
        async fn record(&self) -> Option<Record> {
            Some(Record)
        }
        async fn required(&self) -> Record {
            Record
        }
        async fn items(&self) -> Option<Vec<Option<Record>>> {
            Some(vec![Some(Record), Some(Record)])
        }
        async fn strict_items(&self) -> Option<Vec<Record>> {
            Some(vec![Record, Record])
        }
        async fn fine(&self) -> i32 {
            1
        }
    }

    async fn run(query: &str) -> Response {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(RequestHooks::new(Arc::default()))
            .finish();
        let mut response = schema.execute(query).await;
        finish(&mut response);
        response
    }

    fn paths(response: &Response) -> Vec<String> {
        response
            .errors
            .iter()
            .map(|e| {
                e.path
                    .iter()
                    .map(|s| match s {
                        PathSegment::Field(f) => f.clone(),
                        PathSegment::Index(i) => i.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect()
    }

    #[tokio::test]
    async fn a_failed_nullable_field_is_null_and_its_parent_stays() {
        let response = run("{ record { name loose } }").await;
        assert_eq!(
            response.data,
            value!({ "record": { "name": "x", "loose": null } })
        );
        assert_eq!(paths(&response), ["record.loose"]);
    }

    #[tokio::test]
    async fn a_failed_non_null_field_nulls_its_nullable_parent() {
        let response = run("{ record { name strict } fine }").await;
        assert_eq!(response.data, value!({ "record": null, "fine": 1 }));
        assert_eq!(paths(&response), ["record.strict"]);
        let response = run("{ record { strictObject { ok } } }").await;
        assert_eq!(response.data, value!({ "record": null }));
    }

    #[tokio::test]
    async fn the_failure_climbs_through_non_null_parents() {
        let response = run("{ record { name wrapper { wrapper { strict } } } }").await;
        assert_eq!(response.data, value!({ "record": null }));
        assert_eq!(paths(&response), ["record.wrapper.wrapper.strict"]);
    }

    #[tokio::test]
    async fn a_non_null_root_field_takes_all_of_data() {
        let response = run("{ required { strict } fine }").await;
        assert_eq!(response.data, Value::Null);
        assert_eq!(paths(&response), ["required.strict"]);
    }

    #[tokio::test]
    async fn list_items_are_nulled_when_they_may_be_else_the_list() {
        let response = run("{ items { name strict } }").await;
        assert_eq!(response.data, value!({ "items": [null, null] }));
        assert_eq!(paths(&response), ["items.0.strict", "items.1.strict"]);
        let response = run("{ strictItems { name strict } fine }").await;
        assert_eq!(response.data, value!({ "strictItems": null, "fine": 1 }));
    }

    #[test]
    fn list_types_are_read_from_their_names() {
        assert_eq!(list_item_nullable("[Resident!]!"), Some(false));
        assert_eq!(list_item_nullable("[Resident]"), Some(true));
        assert_eq!(list_item_nullable("Resident!"), None);
    }
}

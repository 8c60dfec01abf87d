#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use async_graphql::{
    EmptyMutation, EmptySubscription, Enum, InputObject, Object, OneofObject, Request, Schema,
    SimpleObject, Variables,
};
use serde_json::{Value as Json, json};

use super::ValidatedDocuments;
use crate::graphql::{QueryLimits, hooks::RequestHooks};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
enum Kind {
    Pension,
    Medical,
}

/// Which people to count.
#[derive(InputObject)]
struct Filter {
    name: String,
    kinds: Option<Vec<Kind>>,
    age: Option<i32>,
}

#[derive(OneofObject)]
enum Lookup {
    Id(String),
    Number(i32),
}

#[derive(SimpleObject)]
struct Leaf {
    value: i32,
}

struct Query;

#[Object]
impl Query {
    async fn echo(&self, text: String) -> String {
        text
    }
    async fn count(&self, filter: Filter) -> i32 {
        filter.age.unwrap_or(0)
            + filter.name.len() as i32
            + filter.kinds.map_or(0, |k| k.len() as i32)
    }
    async fn many(&self, ids: Vec<i32>) -> i32 {
        ids.iter().sum()
    }
    async fn pick(&self, lookup: Lookup) -> i32 {
        match lookup {
            Lookup::Id(id) => id.len() as i32,
            Lookup::Number(n) => n,
        }
    }
    async fn kind(&self, kind: Kind) -> bool {
        kind == Kind::Pension
    }
    #[graphql(complexity = "first as usize * child_complexity")]
    async fn page(&self, first: i32) -> Vec<Leaf> {
        (0..first).map(|value| Leaf { value }).collect()
    }
    async fn nested(&self) -> Query {
        Query
    }
}

type TestSchema = Schema<Query, EmptyMutation, EmptySubscription>;

fn schema() -> (TestSchema, Arc<ValidatedDocuments>) {
    let limits = QueryLimits {
        max_complexity: 50,
        ..QueryLimits::default()
    };
    let hooks = RequestHooks::new(Arc::new(limits));
    let documents = hooks.validated();
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
        .extension(hooks)
        .finish();
    (schema, documents)
}

async fn answer(
    schema: &TestSchema,
    query: &str,
    operation: Option<&str>,
    variables: Json,
) -> Json {
    let mut request = Request::new(query).variables(Variables::from_json(variables));
    if let Some(operation) = operation {
        request = request.operation_name(operation);
    }
    serde_json::to_value(schema.execute(request).await).unwrap()
}

/// Each document with variables it accepts and variables the library's validation
/// refuses.
fn cases() -> Vec<(&'static str, Json, Vec<Json>)> {
    vec![
        (
            "query Q($t: String!) { echo(text: $t) }",
            json!({ "t": "a" }),
            vec![
                json!({ "t": 1 }),
                json!({ "t": null }),
                json!({ "t": ["a"] }),
            ],
        ),
        (
            "query Q($f: Filter!) { count(filter: $f) }",
            json!({ "f": { "name": "ab", "kinds": ["PENSION"], "age": 3 } }),
            vec![
                json!({ "f": { "name": 1 } }),
                json!({ "f": {} }),
                json!({ "f": { "name": "a", "extra": 1 } }),
                json!({ "f": { "name": "a", "kinds": ["NOPE"] } }),
                json!({ "f": { "name": "a", "kinds": ["PENSION", 2] } }),
                json!({ "f": "a" }),
            ],
        ),
        (
            "query Q($n: String!) { count(filter: { name: $n, age: 3 }) }",
            json!({ "n": "x" }),
            vec![json!({ "n": 5 })],
        ),
        (
            "query Q($i: [Int!]!) { many(ids: $i) }",
            json!({ "i": [1, 2] }),
            vec![
                json!({ "i": [1, "x"] }),
                json!({ "i": [1, null] }),
                json!({ "i": "x" }),
            ],
        ),
        (
            "query Q($l: Lookup!) { pick(lookup: $l) }",
            json!({ "l": { "id": "abc" } }),
            vec![
                json!({ "l": { "id": "a", "number": 1 } }),
                json!({ "l": { "id": null } }),
                json!({ "l": { "number": "1" } }),
            ],
        ),
        (
            "query Q($k: Kind!) { kind(kind: $k) nested { kind(kind: PENSION) } }",
            json!({ "k": "MEDICAL" }),
            vec![json!({ "k": "NOPE" }), json!({ "k": 1 })],
        ),
        (
            "query Q($t: String!, $k: Kind!) { ...F nested { ... on Query { kind(kind: $k) } } } \
             fragment F on Query { nested { echo(text: $t) } }",
            json!({ "t": "a", "k": "PENSION" }),
            vec![
                json!({ "t": 1, "k": "PENSION" }),
                json!({ "t": "a", "k": "NOPE" }),
                json!({ "t": 2, "k": "NOPE" }),
            ],
        ),
    ]
}

#[tokio::test]
async fn a_known_text_is_refused_with_the_errors_of_a_full_validation() {
    for (query, accepted, refused) in cases() {
        for variables in refused {
            let (fresh, _) = schema();
            let full = answer(&fresh, query, None, variables.clone()).await;
            assert!(
                full["errors"].as_array().is_some_and(|e| !e.is_empty()),
                "{query} {full}"
            );
            assert!(
                full["data"].is_null(),
                "validation refuses before execution: {full}"
            );

            let (warm, documents) = schema();
            let first = answer(&warm, query, None, accepted.clone()).await;
            assert!(first.get("errors").is_none(), "{query} {first}");
            assert_eq!(
                documents.counts(),
                (1, 0),
                "{query} is kept after it passed"
            );
            let known = answer(&warm, query, None, variables.clone()).await;
            assert_eq!(known, full, "{query} with {variables}");
        }
    }
}

#[tokio::test]
async fn a_known_text_answers_as_a_fresh_one() {
    for (query, accepted, _) in cases() {
        let (fresh, _) = schema();
        let full = answer(&fresh, query, Some("Q"), accepted.clone()).await;
        let (warm, documents) = schema();
        answer(&warm, query, None, accepted.clone()).await;
        let known = answer(&warm, query, Some("Q"), accepted).await;
        assert_eq!(known, full, "{query}");
        assert!(full.get("errors").is_none(), "{full}");
        assert_eq!(documents.counts(), (1, 0));
    }
}

#[tokio::test]
async fn a_missing_variable_is_left_to_execution_as_by_the_library() {
    let query = "query Q($t: String!) { echo(text: $t) }";
    let (fresh, _) = schema();
    let full = answer(&fresh, query, None, json!({})).await;
    let (warm, _) = schema();
    answer(&warm, query, None, json!({ "t": "a" })).await;
    assert_eq!(answer(&warm, query, None, json!({})).await, full);
    assert!(full["errors"].is_array(), "{full}");
}

#[tokio::test]
async fn a_request_naming_another_operation_is_validated_in_full() {
    let query = "query Q($t: String!) { echo(text: $t) }";
    let (fresh, _) = schema();
    let full = answer(&fresh, query, Some("Other"), json!({ "t": 1 })).await;
    let (warm, _) = schema();
    answer(&warm, query, None, json!({ "t": "a" })).await;
    assert_eq!(
        answer(&warm, query, Some("Other"), json!({ "t": 1 })).await,
        full
    );
    assert!(
        full["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Unknown operation")),
        "{full}"
    );
}

#[tokio::test]
async fn texts_whose_validation_depends_on_more_than_argument_values_are_validated_in_full() {
    let in_full = [
        // The complexity is the variable's: the limit is checked with each request's.
        (
            "query Q($n: Int!) { page(first: $n) { value } }",
            json!({ "n": 2 }),
        ),
        (
            "query Q($b: Boolean!) { echo(text: \"a\") @include(if: $b) }",
            json!({ "b": true }),
        ),
        (
            "query A { echo(text: \"a\") } query B { many(ids: [1]) }",
            json!({}),
        ),
    ];
    for (query, variables) in in_full {
        let (schema, documents) = schema();
        let operation = Some("A").filter(|_| query.contains("query A"));
        let first = answer(&schema, query, operation, variables.clone()).await;
        assert_eq!(documents.counts(), (0, 1), "{query}");
        let again = answer(&schema, query, operation, variables).await;
        assert_eq!(again, first, "{query}");
        assert!(first.get("errors").is_none(), "{first}");
    }
    let (schema, documents) = schema();
    let query = "query Q($n: Int!) { page(first: $n) { value } }";
    answer(&schema, query, None, json!({ "n": 2 })).await;
    let over = answer(&schema, query, None, json!({ "n": 60 })).await;
    assert_eq!(
        over["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{over}"
    );
    assert_eq!(documents.counts(), (0, 1));
}

#[tokio::test]
async fn a_text_refused_by_validation_is_not_kept() {
    let (schema, documents) = schema();
    let query = "query Q($t: String!) { echo(text: $t) unknown }";
    let refused = answer(&schema, query, None, json!({ "t": "a" })).await;
    assert!(refused["errors"].is_array(), "{refused}");
    assert_eq!(documents.counts(), (0, 0));
}

#[tokio::test]
async fn a_text_without_variables_is_kept_and_answers_the_same() {
    let query = "{ page(first: 3) { value } nested { echo(text: \"b\") } }";
    let (fresh, _) = schema();
    let full = answer(&fresh, query, None, json!({})).await;
    let (warm, documents) = schema();
    answer(&warm, query, None, json!({})).await;
    assert_eq!(documents.counts(), (1, 0));
    assert_eq!(answer(&warm, query, None, json!({})).await, full);
    assert_eq!(
        full["data"]["page"].as_array().map(Vec::len),
        Some(3),
        "{full}"
    );
}

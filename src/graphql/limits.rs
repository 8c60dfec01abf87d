//! Limits on every GraphQL document, checked before execution: tokens before parsing
//! (so an enormous document costs no parse), aliases and root fields after parsing,
//! depth and complexity after validation. Each refusal carries its own code.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{
    ServerError, ServerResult, ValidationResult,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use super::QueryLimits;
use crate::error::{ErrorCode, request_error};

/// The limits, and what parsing told about the document for the checks after validation.
pub struct DocumentLimits {
    limits: Arc<QueryLimits>,
    /// Whether the document selects introspection only (which may nest deeper).
    introspection_only: AtomicBool,
}

impl DocumentLimits {
    pub fn new(limits: Arc<QueryLimits>) -> Self {
        Self {
            limits,
            introspection_only: AtomicBool::new(false),
        }
    }

    /// Before parsing: the document's size in tokens.
    pub fn check_tokens(&self, query: &str) -> ServerResult<()> {
        let max = self.limits.max_tokens;
        if count_tokens(query, max) > max {
            return Err(request_error(
                ErrorCode::TooManyTokens,
                format!("the document has more than {max} tokens"),
            ));
        }
        Ok(())
    }

    /// After parsing: aliases and root fields.
    pub fn check_parsed(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let aliases = count_aliases(document);
        if aliases > self.limits.max_aliases {
            return Err(request_error(
                ErrorCode::TooManyAliases,
                format!(
                    "the document uses {aliases} aliases; at most {} are allowed",
                    self.limits.max_aliases
                ),
            ));
        }
        let mut introspection_only = true;
        for (_, operation) in document.operations.iter() {
            let roots = root_field_names(document, &operation.node.selection_set.node, 0);
            if roots.len() > self.limits.max_root_fields {
                return Err(request_error(
                    ErrorCode::TooManyRootFields,
                    format!(
                        "an operation selects {} top-level fields; at most {} are allowed",
                        roots.len(),
                        self.limits.max_root_fields
                    ),
                ));
            }
            introspection_only &= roots.iter().all(|name| name.starts_with("__"));
        }
        self.introspection_only
            .store(introspection_only, Ordering::Relaxed);
        Ok(())
    }

    /// After validation: depth (introspection aside) and complexity.
    pub fn check_validated(&self, result: &ValidationResult) -> Result<(), Vec<ServerError>> {
        if result.depth > self.limits.max_depth && !self.introspection_only.load(Ordering::Relaxed)
        {
            return Err(vec![request_error(
                ErrorCode::QueryTooDeep,
                format!(
                    "the query nests {} levels; at most {} are allowed",
                    result.depth, self.limits.max_depth
                ),
            )]);
        }
        if result.complexity > self.limits.max_complexity {
            return Err(vec![request_error(
                ErrorCode::QueryTooComplex,
                format!(
                    "the query costs {}; at most {} is allowed (lists cost `first` times their fields)",
                    result.complexity, self.limits.max_complexity
                ),
            )]);
        }
        Ok(())
    }
}

/// A document that does not parse is refused with its own code.
pub fn parse_failed(mut error: ServerError) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", ErrorCode::GraphqlParseFailed.as_str());
    error
}

/// Counts GraphQL lexical tokens, stopping once past `stop_after`.
pub fn count_tokens(document: &str, stop_after: usize) -> usize {
    let bytes = document.as_bytes();
    let mut i = 0;
    let mut count = 0;
    while i < bytes.len() && count <= stop_after {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                count += 1;
                i = skip_string(bytes, i);
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                count += 1;
                i += 3;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {
                count += 1;
                i += 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'+' | b'-')
                {
                    i += 1;
                }
            }
            _ => {
                count += 1;
                i += 1;
            }
        }
    }
    count
}

fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i] == b'\\' && bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return i;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' | b'\n' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Aliases written anywhere in the document (operations and fragments).
fn count_aliases(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + in_set(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let in_operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| in_set(&op.node.selection_set.node))
        .sum();
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|f| in_set(&f.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

/// The response keys an operation's root selects, through fragments (bounded, so a
/// fragment cycle, which validation rejects later, cannot loop here).
fn root_field_names(
    document: &ExecutableDocument,
    set: &SelectionSet,
    nesting: usize,
) -> Vec<String> {
    if nesting > 8 {
        return Vec::new();
    }
    let mut names = Vec::new();
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => names.push(field.node.name.node.to_string()),
            Selection::InlineFragment(fragment) => {
                names.extend(root_field_names(
                    document,
                    &fragment.node.selection_set.node,
                    nesting + 1,
                ));
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    names.extend(root_field_names(
                        document,
                        &fragment.node.selection_set.node,
                        nesting + 1,
                    ));
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_counted_like_the_lexer() {
        assert_eq!(count_tokens("{ a }", 100), 3);
        assert_eq!(
            count_tokens("query Q($x: Int = -1.5e3) { a(x: $x) }", 100),
            19
        );
        assert_eq!(
            count_tokens("{ a(s: \"x y, z\") ...F } # a comment", 100),
            10
        );
        assert_eq!(count_tokens("{ a(s: \"\"\"block \"\"\") }", 100), 8);
    }

    #[test]
    fn counting_stops_early() {
        let huge = "{ a ".repeat(100_000);
        assert_eq!(count_tokens(&huge, 10), 11);
    }

    #[test]
    fn aliases_and_root_fields_are_counted_through_fragments() {
        let doc = async_graphql::parser::parse_query(
            "query { x: a ...F ... on Query { y: b } } fragment F on Query { c z: d { w: e } }",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(count_aliases(&doc), 4);
        let (_, op) = doc
            .operations
            .iter()
            .next()
            .unwrap_or_else(|| panic!("no operation"));
        assert_eq!(
            root_field_names(&doc, &op.node.selection_set.node, 0),
            ["a", "c", "d", "b"]
        );
    }
}

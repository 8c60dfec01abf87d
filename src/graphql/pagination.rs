//! Forward Relay paging: `first` checked against the limits, opaque cursors that name
//! what they point into.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::QueryLimits;
use crate::error::AppError;

/// The page size when a client gives no `first`.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// `first` as a row count: between 0 and the configured maximum.
pub fn page_size(first: Option<i32>, limits: &QueryLimits) -> Result<u64, AppError> {
    let size = first.unwrap_or(DEFAULT_PAGE_SIZE as i32);
    if size < 0 || size as usize > limits.max_page_size {
        return Err(AppError::BadUserInput(format!(
            "`first` must be between 0 and {}, got {size}",
            limits.max_page_size
        )));
    }
    Ok(size as u64)
}

/// A cursor for one kind of connection: `kind` keeps a region cursor from being
/// replayed against another list.
pub fn encode_cursor(kind: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

pub fn decode_cursor(kind: &str, cursor: &str) -> Result<String, AppError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| AppError::InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| AppError::InvalidCursor)?;
    text.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(str::to_owned)
        .ok_or(AppError::InvalidCursor)
}

/// The complexity of a connection field: its children cost `first` times.
pub fn connection_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE as i32).max(0) as usize;
    first.saturating_mul(child_complexity).saturating_add(1)
}

/// Counts the rows of a whole list, run only when a client selects `totalCount`.
pub type TotalCounter = Box<
    dyn Fn(
            &async_graphql::Context<'_>,
        ) -> futures_util::future::BoxFuture<'static, async_graphql::Result<u64>>
        + Send
        + Sync,
>;

/// Declares a Relay connection and its edge for one node type, with descriptions
/// (the library's generic connection types carry none).
#[macro_export]
macro_rules! connection_types {
    ($connection:ident, $edge:ident, $node:ty, $plural:literal, $connection_doc:literal, $edge_doc:literal) => {
        #[doc = $connection_doc]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub page_info: async_graphql::connection::PageInfo,
            pub total: $crate::graphql::pagination::TotalCounter,
        }

        impl $connection {
            /// A connection with nothing in it (a caller whose scope holds none).
            #[allow(dead_code)] // not every list has a scope that can hold nothing
            pub fn empty() -> Self {
                Self {
                    edges: Vec::new(),
                    page_info: async_graphql::connection::PageInfo {
                        has_previous_page: false,
                        has_next_page: false,
                        start_cursor: None,
                        end_cursor: None,
                    },
                    total: Box::new(|_| Box::pin(async { Ok(0) })),
                }
            }
        }

        #[doc = $connection_doc]
        #[async_graphql::Object]
        impl $connection {
            /// The items of this page, each with the cursor that points at it.
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }

            /// The items of this page, without cursors.
            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|edge| &edge.node).collect()
            }

            /// Where this page lies in the list, and the cursor to ask for the next one.
            async fn page_info(&self) -> &async_graphql::connection::PageInfo {
                &self.page_info
            }

            #[doc = concat!("How many ", $plural, " the list holds across all pages (counted only when asked for).")]
            async fn total_count(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<u64> {
                (self.total)(ctx).await
            }
        }

        #[doc = $edge_doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// The opaque cursor of this item: pass it as `after` to continue after it.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_kinds() {
        let cursor = encode_cursor("region", "220122101201");
        assert_eq!(
            decode_cursor("region", &cursor).ok().as_deref(),
            Some("220122101201")
        );
        assert!(matches!(
            decode_cursor("resident", &cursor),
            Err(AppError::InvalidCursor)
        ));
        assert!(matches!(
            decode_cursor("region", "!!"),
            Err(AppError::InvalidCursor)
        ));
    }

    #[test]
    fn first_is_bounded() {
        let limits = QueryLimits::default();
        assert_eq!(
            page_size(None, &limits).ok(),
            Some(DEFAULT_PAGE_SIZE as u64)
        );
        assert!(page_size(Some(-1), &limits).is_err());
        assert!(page_size(Some(limits.max_page_size as i32 + 1), &limits).is_err());
    }
}

//! The division tree: public data, readable by anyone including anonymous callers.

mod loader;
mod types;

pub use loader::RegionLoader;
pub use types::{Region, RegionLevel};

use async_graphql::{Context, Object};

use crate::{
    domain::RegionCode,
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        pagination::{connection_complexity, page_size},
    },
    store::regions::{self, RegionFilter},
};
use types::{RegionConnection, region_connection};

/// Queries of the division tree.
#[derive(Default)]
pub struct RegionQuery;

#[Object]
impl RegionQuery {
    /// One region by its division code: 2 digits for the province, 4 for a prefecture, 6
    /// for a county (the GB/T 2260 code), 9 for a township and 12 for a village or
    /// community (a 12-digit code padded with zeros names the higher unit). A malformed
    /// code is an `INVALID_REGION_CODE` error; a well-formed code that names no region
    /// returns null.
    pub(crate) async fn region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A division code of 2, 4, 6, 9 or 12 digits, e.g. 220122 for 农安县.")]
        code: String,
    ) -> async_graphql::Result<Option<Region>> {
        let code = RegionCode::parse(&code)
            .map_err(AppError::from)
            .or_graphql()?;
        let loaded = ctx
            .request()?
            .regions
            .load_one(code)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        Ok(loaded.map(Region))
    }

    /// Regions in code order, optionally only the direct children of `parentCode`, of one
    /// `level`, or whose name contains `nameContains`.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn regions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the direct children of the region with this code.")]
        parent_code: Option<String>,
        #[graphql(desc = "Only regions of this level.")] level: Option<RegionLevel>,
        #[graphql(desc = "Only regions whose name contains this text.")] name_contains: Option<
            String,
        >,
        #[graphql(
            desc = "How many regions to return (default 20, at most the configured page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the regions after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<RegionConnection> {
        let parent = parent_code
            .as_deref()
            .map(RegionCode::parse)
            .transpose()
            .map_err(AppError::from)
            .or_graphql()?;
        let filter = RegionFilter {
            parent,
            level: level.map(Into::into),
            name_contains,
        };
        list(ctx, filter, first, after).await
    }
}

/// One page of regions under `filter`, shared by `regions` and `Region.children`.
pub(crate) async fn list(
    ctx: &Context<'_>,
    filter: RegionFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<RegionConnection> {
    let services = ctx.services()?;
    let limit = page_size(first, &services.limits).or_graphql()?;
    let after = after
        .as_deref()
        .map(types::decode_region_cursor)
        .transpose()
        .or_graphql()?;
    let page = regions::page(&services.db, &filter, after.as_ref(), limit)
        .await
        .or_graphql()?;
    Ok(region_connection(page, after.is_some(), filter))
}

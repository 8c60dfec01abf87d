use async_graphql::{Context, Enum, ID, Object, connection::PageInfo};

use crate::{
    domain::{self, RegionCode, divisions::Division},
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        node::{NodeType, global_id},
        pagination::{connection_complexity, decode_cursor, encode_cursor},
    },
    store::regions::{self, RegionFilter, RegionPage},
};

const CURSOR_KIND: &str = "region";

/// A unit of the administrative division tree of Jilin Province (行政区划), from the
/// province down to village and community committees, with the real 2023 codes.
pub struct Region(pub Division);

/// A unit of the administrative division tree of Jilin Province (行政区划), from the
/// province down to village and community committees, with the real 2023 codes.
#[Object]
impl Region {
    /// The region's global id, for `node(id:)`: built from its division code, opaque to
    /// clients (use `code` to name the region elsewhere).
    pub(crate) async fn id(&self) -> ID {
        global_id(NodeType::Region, self.0.code.as_str())
    }

    /// The division code in its natural length: 2 digits for the province, 4 for a
    /// prefecture, 6 for a county (the GB/T 2260 code), 9 for a township, 12 for a village
    /// or community. It is also the region-scope prefix of everything inside the region.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }

    /// The 12-digit statistical code (统计用区划代码), padded with zeros above village level.
    async fn statistical_code(&self) -> String {
        self.0.code.statistical()
    }

    /// The official name, e.g. 农安县.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The level of the region in the tree.
    async fn level(&self) -> RegionLevel {
        self.0.level.into()
    }

    /// Whether this is a county-level development zone (开发区): a statistical unit whose
    /// code GB/T 2260 does not carry, so no ID number is ever issued under it.
    async fn development_zone(&self) -> bool {
        self.0.level == domain::RegionLevel::County && self.0.code.is_development_zone()
    }

    /// The region one level up; null for the province.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        let Some(parent) = self.0.parent.clone() else {
            return Ok(None);
        };
        let loaded = ctx
            .request()?
            .regions
            .load_one(parent)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        Ok(loaded.map(Region))
    }

    /// Every region above this one, from the province down to the parent.
    async fn ancestors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Region>> {
        let codes = self.0.code.ancestors();
        let mut loaded = ctx
            .request()?
            .regions
            .load_many(codes.clone())
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        Ok(codes
            .iter()
            .filter_map(|code| loaded.remove(code))
            .map(Region)
            .collect())
    }

    /// The regions directly below this one, in code order.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many regions to return (default 20, at most the configured page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the regions after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<RegionConnection> {
        let filter = RegionFilter {
            parent: Some(self.0.code.clone()),
            ..RegionFilter::default()
        };
        super::list(ctx, filter, first, after).await
    }
}

/// The level of a region in the division tree.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RegionLevel {
    /// Province (省): 吉林省.
    Province,
    /// Prefecture-level city or autonomous prefecture (地级市、自治州).
    Prefecture,
    /// County-level unit (县、县级市、市辖区), including county-level development zones.
    County,
    /// Township, town or street (乡、镇、街道), and state farms at that level.
    Township,
    /// Village committee (村民委员会).
    Village,
    /// Urban community committee (社区居民委员会).
    Community,
    /// Virtual living area of a state farm, forest farm or development zone (虚拟生活区).
    Other,
}

impl From<domain::RegionLevel> for RegionLevel {
    fn from(level: domain::RegionLevel) -> Self {
        match level {
            domain::RegionLevel::Province => Self::Province,
            domain::RegionLevel::Prefecture => Self::Prefecture,
            domain::RegionLevel::County => Self::County,
            domain::RegionLevel::Township => Self::Township,
            domain::RegionLevel::Village => Self::Village,
            domain::RegionLevel::Community => Self::Community,
            domain::RegionLevel::Other => Self::Other,
        }
    }
}

impl From<RegionLevel> for domain::RegionLevel {
    fn from(level: RegionLevel) -> Self {
        match level {
            RegionLevel::Province => Self::Province,
            RegionLevel::Prefecture => Self::Prefecture,
            RegionLevel::County => Self::County,
            RegionLevel::Township => Self::Township,
            RegionLevel::Village => Self::Village,
            RegionLevel::Community => Self::Community,
            RegionLevel::Other => Self::Other,
        }
    }
}

crate::connection_types!(
    RegionConnection,
    RegionEdge,
    Region,
    "regions",
    "A page of regions in code order (a Relay connection).",
    "A region in a page, with its cursor."
);

pub(super) fn region_connection(
    page: RegionPage,
    has_previous: bool,
    filter: RegionFilter,
) -> RegionConnection {
    let filter = std::sync::Arc::new(filter);
    RegionConnection {
        page_info: PageInfo {
            has_previous_page: has_previous,
            has_next_page: page.has_next,
            start_cursor: page
                .regions
                .first()
                .map(|d| encode_cursor(CURSOR_KIND, d.code.as_str())),
            end_cursor: page
                .regions
                .last()
                .map(|d| encode_cursor(CURSOR_KIND, d.code.as_str())),
        },
        edges: page
            .regions
            .into_iter()
            .map(|division| RegionEdge {
                cursor: encode_cursor(CURSOR_KIND, division.code.as_str()),
                node: Region(division),
            })
            .collect(),
        total: Box::new(move |ctx| {
            let filter = filter.clone();
            let db = ctx.services().map(|s| s.db.clone());
            Box::pin(async move { regions::count(&db?, &filter).await.or_graphql() })
        }),
    }
}

pub(super) fn decode_region_cursor(cursor: &str) -> Result<RegionCode, AppError> {
    let key = decode_cursor(CURSOR_KIND, cursor)?;
    RegionCode::parse(&key).map_err(|_| AppError::InvalidCursor)
}

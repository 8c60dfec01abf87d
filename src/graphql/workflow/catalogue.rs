//! The catalogue of assisted services: public to read (it is the government's published
//! list), changed by admins only, each change under an idempotency key.

use async_graphql::{
    ComplexObject, Context, ID, InputObject, Object, SimpleObject, connection::PageInfo,
};
use chrono::{DateTime, Utc};

use super::enums::{CatalogueLevel, Department, HandlingMode};
use crate::{
    domain::RegionCode,
    error::{AppError, ResultExt},
    graphql::node::{NodeType, global_id},
    graphql::{
        context::ContextExt,
        pagination::{connection_complexity, decode_cursor, encode_cursor, page_size},
    },
    workflow::catalogue::{self, Item, ItemFilter, NewItem},
};

const CURSOR_KIND: &str = "catalogue";

/// An item of the catalogue of government services that village organisations assist
/// with (村级组织协助办理的政务服务事项).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct CatalogueItem {
    /// A stable code, e.g. `JL-YB-001`.
    pub code: String,
    /// The item's name as the catalogue gives it.
    pub name: String,
    /// The county department that handles it.
    pub department: Department,
    /// Who issued it: the province, a prefecture or a county.
    pub level: CatalogueLevel,
    /// The division code of the issuer (`22`, a prefecture or a county).
    pub issued_by: String,
    /// How a village can handle it.
    pub modes: Vec<HandlingMode>,
    /// The materials the villager provides.
    pub materials: Vec<String>,
    /// Working days the department has once a request is routed to it.
    pub time_limit_days: i32,
    /// Shipped as an example, not an official list.
    pub illustrative: bool,
    /// When it was retired; a retired item stays readable on old requests but takes no
    /// new ones.
    pub retired_at: Option<DateTime<Utc>>,
}

#[ComplexObject]
impl CatalogueItem {
    /// The item's global id, for `node(id:)`: built from its code, opaque to clients
    /// (use `code` to name the item elsewhere).
    pub(crate) async fn id(&self) -> ID {
        global_id(NodeType::CatalogueItem, &self.code)
    }
}

impl From<Item> for CatalogueItem {
    fn from(item: Item) -> Self {
        Self {
            level: item.level().into(),
            department: crate::domain::Department::parse(&item.department)
                .map(Department::from)
                .unwrap_or(Department::CivilAffairs),
            modes: item.modes.iter().map(|m| HandlingMode::from(*m)).collect(),
            time_limit_days: i32::try_from(item.time_limit_days).unwrap_or(i32::MAX),
            code: item.code,
            name: item.name,
            issued_by: item.region,
            materials: item.materials,
            illustrative: item.illustrative,
            retired_at: item.retired_at,
        }
    }
}

crate::connection_types!(
    CatalogueItemConnection,
    CatalogueItemEdge,
    CatalogueItem,
    "catalogue items",
    "A page of catalogue items (a Relay connection).",
    "A catalogue item in a page, with its cursor."
);

/// Reading the catalogue.
#[derive(Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// The catalogue items that apply in a region: the province's, its prefecture's and
    /// its county's, in code order.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)] // one per GraphQL argument
    async fn catalogue(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A division code (2 to 12 digits): items that apply there. Without it, the province's reference items only."
        )]
        region: Option<String>,
        #[graphql(desc = "Only items this department handles.")] department: Option<Department>,
        #[graphql(desc = "Only items that can be handled this way.")] mode: Option<HandlingMode>,
        #[graphql(desc = "Include retired items.", default = false)] include_retired: bool,
        #[graphql(desc = "How many items to return (default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<CatalogueItemConnection> {
        let applies_in = match region {
            Some(code) => RegionCode::parse(&code).or_graphql()?.as_str().to_owned(),
            None => "22".to_owned(),
        };
        let filter = ItemFilter {
            applies_in: Some(applies_in),
            department: department.map(|d| crate::domain::Department::from(d).as_str().to_owned()),
            mode: mode.map(Into::into),
            include_retired,
        };
        item_page(ctx, filter, first, after).await
    }

    /// The public service list of one village or community (村务公开, measure 17): the
    /// current catalogue items it handles — the province's, its prefecture's and its
    /// county's — with their handling modes, materials and time limits, in code order.
    /// Public information: no token, no personal data. Null when the code names no
    /// village or community.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn village_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The 12-digit code of the village or community, e.g. 220122101201.")]
        village: String,
        #[graphql(desc = "Only items this department handles.")] department: Option<Department>,
        #[graphql(desc = "Only items that can be handled this way.")] mode: Option<HandlingMode>,
        #[graphql(desc = "How many items to return (default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<Option<CatalogueItemConnection>> {
        let code = RegionCode::parse_village(&village)
            .map_err(AppError::from)
            .or_graphql()?;
        let known = ctx
            .request()?
            .regions
            .load_one(code.clone())
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        if known.is_none() {
            return Ok(None);
        }
        let filter = ItemFilter {
            applies_in: Some(code.as_str().to_owned()),
            department: department.map(|d| crate::domain::Department::from(d).as_str().to_owned()),
            mode: mode.map(Into::into),
            include_retired: false,
        };
        item_page(ctx, filter, first, after).await.map(Some)
    }

    /// One catalogue item by code, retired or not.
    pub(crate) async fn catalogue_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item's code, e.g. `JL-YB-001`.")] code: String,
    ) -> async_graphql::Result<Option<CatalogueItem>> {
        let db = &ctx.services()?.db;
        Ok(catalogue::find(db, &code)
            .await
            .or_graphql()?
            .map(Into::into))
    }
}

/// One page of the items `filter` selects, shared by `catalogue` and `villageServices`.
async fn item_page(
    ctx: &Context<'_>,
    filter: ItemFilter,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<CatalogueItemConnection> {
    let services = ctx.services()?;
    let limit = page_size(first, &services.limits).or_graphql()?;
    let after = after
        .as_deref()
        .map(|c| decode_cursor(CURSOR_KIND, c))
        .transpose()
        .or_graphql()?;
    let (items, has_next) = catalogue::page(&services.db, &filter, after.as_deref(), limit)
        .await
        .or_graphql()?;
    let filter = std::sync::Arc::new(filter);
    Ok(CatalogueItemConnection {
        page_info: PageInfo {
            has_previous_page: after.is_some(),
            has_next_page: has_next,
            start_cursor: items.first().map(|i| encode_cursor(CURSOR_KIND, &i.code)),
            end_cursor: items.last().map(|i| encode_cursor(CURSOR_KIND, &i.code)),
        },
        edges: items
            .into_iter()
            .map(|item| CatalogueItemEdge {
                cursor: encode_cursor(CURSOR_KIND, &item.code),
                node: item.into(),
            })
            .collect(),
        total: Box::new(move |ctx| {
            let filter = filter.clone();
            let db = ctx.services().map(|s| s.db.clone());
            Box::pin(async move { catalogue::count(&db?, &filter).await.or_graphql() })
        }),
    })
}

/// A new catalogue item.
#[derive(InputObject)]
pub struct AddCatalogueItemInput {
    /// Names this attempt: a retry with the same key does not add twice.
    pub idempotency_key: String,
    /// A code of 3 to 32 letters, digits or dashes, unique in the catalogue.
    pub code: String,
    /// The item's name.
    pub name: String,
    /// The county department that handles it.
    pub department: Department,
    /// The issuing division: `22`, a prefecture (4 digits) or a county (6 digits), within
    /// the admin's region.
    pub issued_by: String,
    /// How a village can handle it (at least one).
    pub modes: Vec<HandlingMode>,
    /// The materials the villager provides.
    #[graphql(default)]
    pub materials: Vec<String>,
    /// Working days the department has once a request is routed to it (1 to 365).
    pub time_limit_days: i32,
}

/// Retiring a catalogue item.
#[derive(InputObject)]
pub struct RetireCatalogueItemInput {
    /// Names this attempt: a retry with the same key is answered alike.
    pub idempotency_key: String,
    /// The item to retire.
    pub code: String,
}

/// What a catalogue change produced.
#[derive(SimpleObject)]
pub struct CatalogueItemPayload {
    /// The item as it now stands.
    pub item: CatalogueItem,
    /// This answer repeats an earlier attempt under the same idempotency key.
    pub replayed: bool,
}

impl AddCatalogueItemInput {
    pub fn to_new_item(&self) -> NewItem {
        NewItem {
            code: self.code.trim().to_owned(),
            name: self.name.clone(),
            department: crate::domain::Department::from(self.department)
                .as_str()
                .to_owned(),
            region: self.issued_by.trim().to_owned(),
            modes: self
                .modes
                .iter()
                .map(|m| catalogue::Mode::from(*m).code().to_owned())
                .collect(),
            materials: self.materials.clone(),
            time_limit_days: u32::try_from(self.time_limit_days).unwrap_or(0),
        }
    }
}

//! Global object identification: the `Node` interface and the root field `node(id:)`
//! that normalising clients (Relay, Apollo Client, urql's graphcache) refetch an object
//! with. `node` answers through the same resolvers, doors, scope and audit as the direct
//! lookup of each type; it adds no way in of its own.
//!
//! A node id is either
//! - the global form, standard base64 of `TypeName:key` (as Relay builds them), which
//!   every type accepts; or
//! - the id a type already had before global ids (`Resident.id`, `ServiceRequest.id`,
//!   `Visit.id`, `Alert.id`), told apart by its shape: an alert's holds a `:`, a service
//!   request's starts with `sr-`, a resident's with `R`, anything else names a visit.
//!
//! Region, CatalogueItem and Household had no `id`: theirs is the global form of the
//! division code, the item code and the household number.

use async_graphql::{Context, ID, Interface, Object};
use base64::{Engine, engine::general_purpose::STANDARD};

use crate::{
    error::{AppError, ResultExt},
    graphql::{
        alerts::{self, Alert},
        region::{Region, RegionQuery},
        resident::{Household, Resident, ResidentQuery},
        workflow::{
            CatalogueItem, CatalogueQuery, ServiceRequest, ServiceRequestQuery, Visit, VisitQuery,
        },
    },
};

/// An object with a stable id, unique among all nodes, that `node(id:)` fetches again
/// (the global object identification Relay, Apollo Client and urql normalise by).
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The object's id, unique among all nodes: pass it to `node(id:)` to fetch the \
            object again. It is opaque; compare it, never parse it."
))]
pub enum Node {
    Resident(Resident),
    Household(Household),
    ServiceRequest(ServiceRequest),
    Visit(Visit),
    Alert(Alert),
    CatalogueItem(CatalogueItem),
    Region(Region),
}

/// The types a node id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeType {
    Resident,
    Household,
    ServiceRequest,
    Visit,
    Alert,
    CatalogueItem,
    Region,
}

impl NodeType {
    const ALL: [Self; 7] = [
        Self::Resident,
        Self::Household,
        Self::ServiceRequest,
        Self::Visit,
        Self::Alert,
        Self::CatalogueItem,
        Self::Region,
    ];

    /// The GraphQL type name, the first part of a global id.
    fn name(self) -> &'static str {
        match self {
            Self::Resident => "Resident",
            Self::Household => "Household",
            Self::ServiceRequest => "ServiceRequest",
            Self::Visit => "Visit",
            Self::Alert => "Alert",
            Self::CatalogueItem => "CatalogueItem",
            Self::Region => "Region",
        }
    }
}

/// The global form of an id: base64 of `TypeName:key`.
pub(crate) fn global_id(of: NodeType, key: &str) -> ID {
    ID(STANDARD.encode(format!("{}:{key}", of.name())))
}

/// The type and key of a global id; `None` when `id` is not one.
fn decode_global(id: &str) -> Option<(NodeType, String)> {
    let bytes = STANDARD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (name, key) = text.split_once(':')?;
    let of = NodeType::ALL.into_iter().find(|t| t.name() == name)?;
    (!key.is_empty()).then(|| (of, key.to_owned()))
}

/// Characters of an id a type had before global ids (a visit's is chosen by a device:
/// letters, digits, `-` and `_`).
fn raw_shape(id: &str) -> bool {
    (1..=200).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
}

/// What `id` names: a global id, or a type's own id told apart by its shape.
fn resolve_id(id: &str) -> Result<(NodeType, String), AppError> {
    if let Some(found) = decode_global(id) {
        return Ok(found);
    }
    if !raw_shape(id) {
        return Err(AppError::BadUserInput(format!(
            "`{id}` is not a node id: pass an `id` as the API returned it"
        )));
    }
    let of = if let Some((resident, kind)) = id.split_once(':') {
        if resident.is_empty() || kind.is_empty() || kind.contains(':') {
            return Err(AppError::BadUserInput(format!(
                "`{id}` is not a node id: pass an `id` as the API returned it"
            )));
        }
        NodeType::Alert
    } else if id.starts_with("sr-") {
        NodeType::ServiceRequest
    } else if id.starts_with('R') {
        NodeType::Resident
    } else {
        NodeType::Visit
    };
    Ok((of, id.to_owned()))
}

/// The key a direct lookup of type `of` is given: the key inside a global id of that
/// type, or `id` itself (the type's own form), so that both forms reach the same record.
pub(crate) fn key_of(of: NodeType, id: &str) -> String {
    match decode_global(id) {
        Some((found, key)) if found == of => key,
        _ => id.to_owned(),
    }
}

/// The root field `node`.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object that has a global id (a `Node`), by that id, as the direct query of its
    /// type answers it: the same access rules, the same audit record (a resident through
    /// `node` is recorded like `resident(id:)`). An object the caller may not see answers
    /// exactly like an id that names nothing: null. A string that cannot be a node id is
    /// a `BAD_USER_INPUT` error. Accepts the global form (base64 of `TypeName:key`) and,
    /// for residents, service requests, visits and alerts, their own ids (a visit whose
    /// device-chosen id starts with `R` or `sr-` only in the global form, `Visit:<id>`).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's `id`, exactly as the API returned it.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let (of, key) = resolve_id(&id).or_graphql()?;
        let key = ID(key);
        Ok(match of {
            NodeType::Resident => ResidentQuery.resident(ctx, key).await?.map(Node::Resident),
            NodeType::Household => ResidentQuery
                .household(ctx, key.0)
                .await?
                .map(Node::Household),
            NodeType::ServiceRequest => ServiceRequestQuery
                .service_request(ctx, key)
                .await?
                .map(Node::ServiceRequest),
            NodeType::Visit => VisitQuery.visit(ctx, key).await?.map(Node::Visit),
            NodeType::Alert => alerts::stored_one(ctx, &key).await?.map(Node::Alert),
            NodeType::CatalogueItem => CatalogueQuery
                .catalogue_item(ctx, key.0)
                .await?
                .map(Node::CatalogueItem),
            NodeType::Region => RegionQuery.region(ctx, key.0).await?.map(Node::Region),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_id_names_its_type_and_key() {
        let id = global_id(NodeType::Region, "220122");
        assert_eq!(id.0, "UmVnaW9uOjIyMDEyMg==");
        assert!(matches!(resolve_id(&id), Ok((NodeType::Region, key)) if key == "220122"));
    }

    #[test]
    fn own_ids_are_told_apart_by_shape() {
        let of = |id: &str| resolve_id(id).map(|(t, _)| t).ok();
        assert_eq!(of("R0123456789abcdef01234567"), Some(NodeType::Resident));
        assert_eq!(of("sr-0190abcdef"), Some(NodeType::ServiceRequest));
        assert_eq!(of("R0123:MEDICAL_LAPSED"), Some(NodeType::Alert));
        assert_eq!(of("0d6f1c2e-visit"), Some(NodeType::Visit));
        assert_eq!(of("not a node id"), None);
        assert_eq!(of(""), None);
        assert_eq!(of("a:b:c"), None);
    }

    #[test]
    fn a_direct_lookup_takes_either_form() {
        let global = global_id(NodeType::Resident, "R0");
        assert_eq!(key_of(NodeType::Resident, &global), "R0");
        assert_eq!(key_of(NodeType::Resident, "R0"), "R0");
        // Another type's global id is not unwrapped: it names nothing of this type.
        assert_eq!(key_of(NodeType::Visit, &global), global.0);
    }
}

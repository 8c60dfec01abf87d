//! Which door each root field passes, and so which roles may call it. The doors ask the
//! same questions through [`Door::admits`]; `cunhub schema --role` cuts the schema by this
//! table; and the test suite calls every root field as every role to prove the two agree.

use crate::{
    auth::Role,
    policy::{AlertAccess, Policy, RecordScope, WorkAction},
};

/// The operation type a root field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    Query,
    Mutation,
    Subscription,
}

impl Root {
    /// The type's name in the schema.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Query => "Query",
            Self::Mutation => "Mutation",
            Self::Subscription => "Subscription",
        }
    }
}

/// The first question a root field's resolver asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// Anyone, anonymous callers included: the division tree, the catalogue and each
    /// village's service list, `node` (which answers each type through that type's own
    /// door).
    Public,
    /// [`super::personal`]: a role that reads personal data.
    Personal,
    /// [`super::listing`]: the personal door, residents excepted.
    Listing,
    /// [`super::work`]: a role whose `[work]` row sees some records.
    WorkRecords,
    /// [`super::work`], then any of these actions of the caller's `[work]` row.
    WorkActions(&'static [WorkAction]),
    /// A role the policy shows alerts of some kind.
    Alerts,
    /// The departments' link health: integrators and admins.
    DepartmentHealth,
    /// [`super::audit_reader`]: auditors and admins.
    AuditReader,
    /// Aggregate statistics (DOMAIN.md's "aggregate statistics" row): the dashboard, a
    /// village, township or county for its own area, and the admin.
    Statistics,
}

impl Door {
    /// Whether `role` (`None`: anonymous) gets past this door under `policy`.
    pub fn admits(self, role: Option<Role>, policy: &Policy) -> bool {
        let Some(role) = role else {
            return self == Self::Public;
        };
        match self {
            Self::Public => true,
            Self::Personal => role.reads_personal_data(),
            Self::Listing => role.reads_personal_data() && role != Role::Resident,
            Self::WorkRecords => {
                role.reads_personal_data() && policy.work(role).records != RecordScope::None
            }
            Self::WorkActions(actions) => {
                role.reads_personal_data() && actions.iter().any(|a| policy.may(role, *a))
            }
            Self::Alerts => policy.alert_access(role) != AlertAccess::None,
            Self::DepartmentHealth => matches!(role, Role::Integrator | Role::Admin),
            Self::AuditReader => matches!(role, Role::Auditor | Role::Admin),
            Self::Statistics => matches!(
                role,
                Role::Dashboard
                    | Role::VillageAssistant
                    | Role::TownshipOfficer
                    | Role::DepartmentClerk
                    | Role::Admin
            ),
        }
    }
}

/// The transitions `actOnServiceRequest` takes.
const TRANSITIONS: &[WorkAction] = &[
    WorkAction::Accept,
    WorkAction::ResolveByTownship,
    WorkAction::Route,
    WorkAction::Respond,
    WorkAction::ReturnToTownship,
    WorkAction::Return,
    WorkAction::Resubmit,
    WorkAction::Reject,
    WorkAction::ConfirmResolved,
    WorkAction::AnswerFollowUp,
];

/// Every root field of the schema and its door.
pub const ROOT_FIELDS: &[(Root, &str, Door)] = &[
    (Root::Query, "region", Door::Public),
    (Root::Query, "regions", Door::Public),
    (Root::Query, "catalogue", Door::Public),
    (Root::Query, "catalogueItem", Door::Public),
    (Root::Query, "villageServices", Door::Public),
    (Root::Query, "node", Door::Public),
    (Root::Query, "resident", Door::Personal),
    (Root::Query, "residentByIdNumber", Door::Personal),
    (Root::Query, "household", Door::Personal),
    (Root::Query, "residents", Door::Listing),
    (Root::Query, "alerts", Door::Alerts),
    (Root::Query, "serviceRequest", Door::WorkRecords),
    (Root::Query, "serviceRequests", Door::WorkRecords),
    (Root::Query, "visit", Door::WorkRecords),
    (Root::Query, "visits", Door::WorkRecords),
    (Root::Query, "departmentHealth", Door::DepartmentHealth),
    (Root::Query, "auditLog", Door::AuditReader),
    (Root::Query, "statistics", Door::Statistics),
    (Root::Query, "statisticsIndicators", Door::Public),
    (
        Root::Mutation,
        "openServiceRequest",
        Door::WorkActions(&[WorkAction::OpenRequest]),
    ),
    (
        Root::Mutation,
        "actOnServiceRequest",
        Door::WorkActions(TRANSITIONS),
    ),
    (
        Root::Mutation,
        "rateServiceRequest",
        Door::WorkActions(&[WorkAction::RateRequest]),
    ),
    (
        Root::Mutation,
        "recordVisit",
        Door::WorkActions(&[WorkAction::RecordVisit]),
    ),
    (
        Root::Mutation,
        "acknowledgeAlert",
        Door::WorkActions(&[WorkAction::AcknowledgeAlert]),
    ),
    (
        Root::Mutation,
        "dismissAlert",
        Door::WorkActions(&[WorkAction::DismissAlert]),
    ),
    (
        Root::Mutation,
        "openServiceRequestFromAlert",
        Door::WorkActions(&[WorkAction::OpenRequest]),
    ),
    (
        Root::Mutation,
        "addCatalogueItem",
        Door::WorkActions(&[WorkAction::ManageCatalogue]),
    ),
    (
        Root::Mutation,
        "retireCatalogueItem",
        Door::WorkActions(&[WorkAction::ManageCatalogue]),
    ),
    (
        Root::Subscription,
        "serviceRequestChanged",
        Door::WorkRecords,
    ),
];

/// Whether the field `ctx` resolves lets `role` in, if it is a root field: the question
/// every door asks first. (Root field names are unique across the operation types.)
pub(crate) fn admits_here(ctx: &async_graphql::Context<'_>, role: Role, policy: &Policy) -> bool {
    let at_root = ctx
        .path_node
        .as_ref()
        .is_some_and(|node| node.parent.is_none());
    if !at_root {
        return true;
    }
    let field = ctx.field();
    ROOT_FIELDS
        .iter()
        .find(|(_, name, _)| *name == field.name())
        .is_none_or(|(_, _, door)| door.admits(Some(role), policy))
}

/// The door of a root field; `None` for a field the table does not know.
pub fn door_of(root: Root, field: &str) -> Option<Door> {
    ROOT_FIELDS
        .iter()
        .find(|(r, name, _)| *r == root && *name == field)
        .map(|(_, _, door)| *door)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::{
        parse_schema,
        types::{TypeKind, TypeSystemDefinition},
    };

    use super::*;

    #[test]
    fn every_root_field_of_the_schema_has_a_door_and_every_door_a_field() {
        let sdl = crate::graphql::sdl();
        let document = parse_schema(&sdl).unwrap_or_else(|e| panic!("{e}"));
        let mut in_schema = Vec::new();
        for definition in &document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let root = match ty.node.name.node.as_str() {
                "Query" => Root::Query,
                "Mutation" => Root::Mutation,
                "Subscription" => Root::Subscription,
                _ => continue,
            };
            if let TypeKind::Object(object) = &ty.node.kind {
                for field in &object.fields {
                    in_schema.push((root, field.node.name.node.to_string()));
                }
            }
        }
        for (root, field) in &in_schema {
            assert!(
                door_of(*root, field).is_some(),
                "{}.{field} has no row in ROOT_FIELDS",
                root.type_name()
            );
        }
        for (root, field, _) in ROOT_FIELDS {
            assert!(
                in_schema.iter().any(|(r, f)| r == root && f == field),
                "ROOT_FIELDS names {}.{field}, which the schema lacks",
                root.type_name()
            );
        }
    }
}

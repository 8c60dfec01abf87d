//! Village services in the policy: which service requests and visits a role sees, and
//! which actions it may take on them and on alerts. The region and department checks
//! come on top: an action is only ever taken within the caller's scope.

use std::collections::BTreeSet;

use crate::auth::Role;

/// Which service requests and visits a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordScope {
    None,
    /// A resident: requests and visits about themselves.
    Own,
    /// Everything within the caller's region scope.
    Region,
    /// Requests routed to the caller's department, within their region scope.
    RoutedToOwnDepartment,
}

impl RecordScope {
    pub const ALL: [RecordScope; 4] = [
        Self::None,
        Self::Own,
        Self::Region,
        Self::RoutedToOwnDepartment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Own => "own",
            Self::Region => "region",
            Self::RoutedToOwnDepartment => "routed_to_own_department",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Something a role may do in village services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkAction {
    OpenRequest,
    Accept,
    ResolveByTownship,
    Route,
    Respond,
    ReturnToTownship,
    Return,
    Resubmit,
    Reject,
    ConfirmResolved,
    RecordVisit,
    AcknowledgeAlert,
    DismissAlert,
    ManageCatalogue,
}

impl WorkAction {
    pub const ALL: [WorkAction; 14] = [
        Self::OpenRequest,
        Self::Accept,
        Self::ResolveByTownship,
        Self::Route,
        Self::Respond,
        Self::ReturnToTownship,
        Self::Return,
        Self::Resubmit,
        Self::Reject,
        Self::ConfirmResolved,
        Self::RecordVisit,
        Self::AcknowledgeAlert,
        Self::DismissAlert,
        Self::ManageCatalogue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenRequest => "open_request",
            Self::Accept => "accept",
            Self::ResolveByTownship => "resolve_by_township",
            Self::Route => "route",
            Self::Respond => "respond",
            Self::ReturnToTownship => "return_to_township",
            Self::Return => "return",
            Self::Resubmit => "resubmit",
            Self::Reject => "reject",
            Self::ConfirmResolved => "confirm_resolved",
            Self::RecordVisit => "record_visit",
            Self::AcknowledgeAlert => "acknowledge_alert",
            Self::DismissAlert => "dismiss_alert",
            Self::ManageCatalogue => "manage_catalogue",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == value)
    }
}

/// One role's row of the `[work]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkAccess {
    pub records: RecordScope,
    pub actions: BTreeSet<WorkAction>,
}

impl WorkAccess {
    pub fn nothing() -> Self {
        Self {
            records: RecordScope::None,
            actions: BTreeSet::new(),
        }
    }
}

/// The roles a `[work]` section must give a row.
pub const WORK_ROLES: [Role; 9] = Role::ALL;

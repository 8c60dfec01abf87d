//! Village services in the policy: which service requests and visits a role sees, and
//! which actions it may take on them and on alerts. The region and department checks
//! come on top: an action is only ever taken within the caller's scope. Who may see a
//! service request or a visit is decided here once ([`RecordBounds`]), for a single
//! record and for a listing alike.

use std::collections::BTreeSet;

use crate::{
    auth::{Principal, Role},
    domain::Department,
};

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
    /// Answer a dissatisfied rating (the township's follow-up step).
    AnswerFollowUp,
    /// Rate a resolved request: the resident themselves, or an assistant on their behalf.
    RateRequest,
    RecordVisit,
    AcknowledgeAlert,
    DismissAlert,
    ManageCatalogue,
}

impl WorkAction {
    pub const ALL: [WorkAction; 16] = [
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
        Self::AnswerFollowUp,
        Self::RateRequest,
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
            Self::AnswerFollowUp => "answer_follow_up",
            Self::RateRequest => "rate_request",
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

/// A service request or a visit, as far as seeing it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkRecord<'a> {
    /// The 12-digit code of the resident's village when it was opened or recorded.
    pub village_code: &'a str,
    /// The resident it is about.
    pub resident_id: &'a str,
    /// The county department it was routed to (a visit: that of the request it
    /// opened), if any.
    pub department: Option<Department>,
}

/// The service requests and visits a caller sees, as conditions a listing queries by and
/// a single record is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBounds {
    /// A prefix the record's village code starts with; empty for a resident's own
    /// records, which are theirs wherever they were opened.
    pub region_prefix: String,
    /// Only records about this resident.
    pub resident_id: Option<String>,
    /// Only records routed to this department.
    pub department: Option<Department>,
}

impl RecordBounds {
    /// What `principal`, whose `[work]` row gives `scope`, sees; `None`: nothing.
    /// `own_resident` is a resident token's own resident id.
    pub fn of(
        principal: &Principal,
        scope: RecordScope,
        own_resident: Option<&str>,
    ) -> Option<Self> {
        let region_prefix = principal.region.as_str().to_owned();
        match scope {
            RecordScope::None => None,
            RecordScope::Own => Some(Self {
                region_prefix: String::new(),
                resident_id: Some(own_resident?.to_owned()),
                department: None,
            }),
            RecordScope::Region => Some(Self {
                region_prefix,
                resident_id: None,
                department: None,
            }),
            RecordScope::RoutedToOwnDepartment => Some(Self {
                region_prefix,
                resident_id: None,
                department: Some(principal.department?),
            }),
        }
    }

    /// Whether `record` lies within these bounds.
    pub fn admits(&self, record: &WorkRecord<'_>) -> bool {
        record.village_code.starts_with(&self.region_prefix)
            && self
                .resident_id
                .as_deref()
                .is_none_or(|r| r == record.resident_id)
            && self.department.is_none_or(|d| record.department == Some(d))
    }

    /// These bounds narrowed by a listing's own region prefix and resident; `None` when
    /// the two select nothing in common. A resident's own records keep no region.
    pub fn within(self, region_prefix: String, resident_id: Option<String>) -> Option<Self> {
        let resident_id = match (self.resident_id, resident_id) {
            (Some(mine), Some(asked)) if mine != asked => return None,
            (mine, asked) => mine.or(asked),
        };
        let region_prefix = if self.region_prefix.is_empty() {
            self.region_prefix
        } else if region_prefix.starts_with(&self.region_prefix) {
            region_prefix
        } else if self.region_prefix.starts_with(&region_prefix) {
            self.region_prefix
        } else {
            return None;
        };
        Some(Self {
            region_prefix,
            resident_id,
            department: self.department,
        })
    }
}

/// Whether `principal`, whose `[work]` row gives `scope`, may see `record` (one outside
/// answers like a missing one). The one rule for service requests and visits.
pub fn sees_record(
    principal: &Principal,
    scope: RecordScope,
    own_resident: Option<&str>,
    record: &WorkRecord<'_>,
) -> bool {
    RecordBounds::of(principal, scope, own_resident).is_some_and(|b| b.admits(record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RegionCode;

    fn principal(role: Role, region: &str, department: Option<Department>) -> Principal {
        Principal {
            subject: "t".into(),
            role,
            region: RegionCode::parse(region).unwrap_or_else(|e| panic!("{e}")),
            department,
            id_number: None,
            client: None,
        }
    }

    const RECORD: WorkRecord<'static> = WorkRecord {
        village_code: "220122101201",
        resident_id: "r1",
        department: Some(Department::CivilAffairs),
    };

    #[test]
    fn each_scope_sees_its_own_records() {
        let village = principal(Role::VillageAssistant, "220122101201", None);
        let other_village = principal(Role::VillageAssistant, "220122101202", None);
        assert!(sees_record(&village, RecordScope::Region, None, &RECORD));
        assert!(!sees_record(
            &other_village,
            RecordScope::Region,
            None,
            &RECORD
        ));
        assert!(!sees_record(&village, RecordScope::None, None, &RECORD));

        let resident = principal(Role::Resident, "220122101202", None);
        assert!(sees_record(
            &resident,
            RecordScope::Own,
            Some("r1"),
            &RECORD
        ));
        assert!(!sees_record(
            &resident,
            RecordScope::Own,
            Some("r2"),
            &RECORD
        ));
        assert!(!sees_record(&resident, RecordScope::Own, None, &RECORD));

        let civil = principal(
            Role::DepartmentClerk,
            "220122",
            Some(Department::CivilAffairs),
        );
        let health = principal(Role::DepartmentClerk, "220122", Some(Department::Health));
        let nobody = principal(Role::DepartmentClerk, "220122", None);
        let routed = RecordScope::RoutedToOwnDepartment;
        assert!(sees_record(&civil, routed, None, &RECORD));
        assert!(!sees_record(&health, routed, None, &RECORD));
        assert!(!sees_record(&nobody, routed, None, &RECORD));
        let unrouted = WorkRecord {
            department: None,
            ..RECORD
        };
        assert!(!sees_record(&civil, routed, None, &unrouted));
    }

    #[test]
    fn a_listing_narrows_the_bounds_or_selects_nothing() {
        let township = principal(Role::TownshipOfficer, "220122101", None);
        let bounds = RecordBounds::of(&township, RecordScope::Region, None);
        let village = bounds
            .clone()
            .and_then(|b| b.within("220122101201".into(), None));
        assert_eq!(
            village.map(|b| b.region_prefix),
            Some("220122101201".into())
        );
        let wider = bounds.clone().and_then(|b| b.within("22".into(), None));
        assert_eq!(wider.map(|b| b.region_prefix), Some("220122101".into()));
        assert_eq!(
            bounds.and_then(|b| b.within("220122102".into(), None)),
            None
        );

        let resident = principal(Role::Resident, "220122101201", None);
        let own = RecordBounds::of(&resident, RecordScope::Own, Some("r1"));
        assert_eq!(
            own.clone()
                .and_then(|b| b.within("220122".into(), Some("r2".into()))),
            None
        );
        let mine = own.and_then(|b| b.within("220122".into(), None));
        assert_eq!(
            mine,
            Some(RecordBounds {
                region_prefix: String::new(),
                resident_id: Some("r1".into()),
                department: None,
            })
        );
    }
}

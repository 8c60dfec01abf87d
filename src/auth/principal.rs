use std::fmt;

use crate::domain::{Department, RegionCode};

/// The `role` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Resident,
    VillageAssistant,
    TownshipOfficer,
    DepartmentClerk,
    Police,
    Dashboard,
    Integrator,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Self::Resident,
        Self::VillageAssistant,
        Self::TownshipOfficer,
        Self::DepartmentClerk,
        Self::Police,
        Self::Dashboard,
        Self::Integrator,
        Self::Auditor,
        Self::Admin,
    ];

    /// The claim value, e.g. `village_assistant`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resident => "resident",
            Self::VillageAssistant => "village_assistant",
            Self::TownshipOfficer => "township_officer",
            Self::DepartmentClerk => "department_clerk",
            Self::Police => "police",
            Self::Dashboard => "dashboard",
            Self::Integrator => "integrator",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// Roles that read personal data at all (DOMAIN.md's access matrix): everyone but
    /// the dashboard, integrators and auditors, who see aggregates, link health and the
    /// access log.
    pub fn reads_personal_data(self) -> bool {
        !matches!(self, Self::Dashboard | Self::Integrator | Self::Auditor)
    }

    /// Roles that act for one department and so carry a `dept` claim.
    pub fn needs_department(self) -> bool {
        matches!(self, Self::DepartmentClerk | Self::Integrator)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is asking, as established by a verified token. `None` in the request context
/// means anonymous: public data (the division tree) only.
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    /// The region-scope prefix the principal acts within.
    pub region: RegionCode,
    pub department: Option<Department>,
    /// A resident's own ID number, verified by the identity provider. Never logged.
    pub id_number: Option<String>,
    /// The client application the token was issued to (`azp`, else `client_id`): its
    /// requests count against the role's per-client limits.
    pub client: Option<String>,
}

// Written by hand so that the ID number never reaches a log line.
impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("subject", &self.subject)
            .field("role", &self.role)
            .field("region", &self.region)
            .field("department", &self.department)
            .field("id_number", &self.id_number.as_ref().map(|_| "[redacted]"))
            .field("client", &self.client)
            .finish()
    }
}

use chrono::{DateTime, Utc};

/// Who acted, and why: what every audit record says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub subject: String,
    pub role: String,
    pub region: String,
    pub purpose: Option<String>,
    pub case_ref: Option<String>,
    pub request_id: String,
}

/// How an access ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Granted,
    /// Nobody (visible to the caller) matched; out-of-scope looks the same to the caller,
    /// but the log tells them apart.
    NotFound,
    OutOfScope,
    Refused(String),
}

impl Outcome {
    pub fn as_string(&self) -> String {
        match self {
            Self::Granted => "granted".into(),
            Self::NotFound => "not_found".into(),
            Self::OutOfScope => "out_of_scope".into(),
            Self::Refused(reason) => format!("refused:{reason}"),
        }
    }
}

/// One access to be recorded. Built through the named constructors, so a call site reads
/// as a sentence and cannot forget a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: &'static str,
    pub target: String,
    pub departments: Vec<String>,
    pub field_groups: Vec<String>,
    pub outcome: Outcome,
}

impl AuditEvent {
    fn new(
        actor: &Actor,
        action: &'static str,
        target: impl Into<String>,
        outcome: Outcome,
    ) -> Self {
        Self {
            at: Utc::now(),
            actor: actor.clone(),
            action,
            target: target.into(),
            departments: Vec::new(),
            field_groups: Vec::new(),
            outcome,
        }
    }

    /// A resident's record was read: which departments and field groups.
    pub fn resident_read(
        actor: &Actor,
        resident: &str,
        departments: Vec<String>,
        field_groups: Vec<String>,
    ) -> Self {
        Self {
            departments,
            field_groups,
            ..Self::new(actor, "resident.read", resident, Outcome::Granted)
        }
    }

    /// A lookup of a resident found nobody the caller may see.
    pub fn resident_lookup_missed(actor: &Actor, key: &str, outcome: Outcome) -> Self {
        Self::new(actor, "resident.lookup", key, outcome)
    }

    /// A household was read.
    pub fn household_read(actor: &Actor, household: &str, field_groups: Vec<String>) -> Self {
        Self {
            field_groups,
            ..Self::new(actor, "household.read", household, Outcome::Granted)
        }
    }

    /// A page of residents was listed in a region.
    pub fn residents_listed(actor: &Actor, region: &str, count: usize) -> Self {
        Self {
            field_groups: vec![format!("count={count}")],
            ..Self::new(actor, "residents.list", region, Outcome::Granted)
        }
    }

    /// The audit log was read: `filter` says which part, `count` how many records.
    pub fn audit_read(actor: &Actor, filter: &str, count: usize) -> Self {
        Self {
            field_groups: vec![format!("count={count}")],
            ..Self::new(actor, "audit.read", filter, Outcome::Granted)
        }
    }

    /// Aggregate statistics of `region` were read: which indicators, and whether the
    /// figures were unsuppressed (the admin only). No personal data.
    pub fn aggregate_read(actor: &Actor, region: &str, indicators: Vec<String>) -> Self {
        Self {
            field_groups: indicators,
            ..Self::new(actor, "statistics.read", region, Outcome::Granted)
        }
    }

    /// The caller changed something in village services (`action` on `target`).
    pub fn acted(actor: &Actor, action: &'static str, target: &str) -> Self {
        Self::new(actor, action, target, Outcome::Granted)
    }

    /// Personal data was asked for and refused before anything was read.
    pub fn refused(actor: &Actor, action: &'static str, target: &str, reason: &str) -> Self {
        Self::new(actor, action, target, Outcome::Refused(reason.to_owned()))
    }
}

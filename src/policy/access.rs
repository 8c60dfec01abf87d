//! The caller of a request as the policy sees it, and the log of what it read.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Mutex,
};

use super::{FieldGroup, Purpose};
use crate::{
    audit::{Actor, AuditEvent, Outcome},
    auth::{Principal, Role},
};

/// Why personal data was refused before anything was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("personal data needs a bearer token")]
    Unauthenticated,
    #[error("the role `{0}` has no access to personal data")]
    Forbidden(Role),
    #[error(
        "declare the purpose of this access in {0}: one of SERVICE_HANDLING, VISIT, ELIGIBILITY_REVIEW, EMERGENCY, AUDIT"
    )]
    PurposeMissing(PurposeChannel),
    #[error(
        "`{0}` is not a purpose: use SERVICE_HANDLING, VISIT, ELIGIBILITY_REVIEW, EMERGENCY or AUDIT"
    )]
    PurposeUnknown(String),
    #[error("the purpose AUDIT is reserved for the admin role")]
    PurposeNotForRole,
}

impl AccessError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::PurposeMissing(_) | Self::PurposeUnknown(_) | Self::PurposeNotForRole => {
                "purpose_required"
            }
        }
    }
}

/// Where a caller declares the purpose of access, so that a refusal names the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurposeChannel {
    /// The `X-Purpose` header of an HTTP request.
    Header,
    /// The `purpose` field of a WebSocket's `connection_init` payload.
    ConnectionInit,
}

impl std::fmt::Display for PurposeChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Header => "the X-Purpose header",
            Self::ConnectionInit => "the `purpose` field of connection_init",
        })
    }
}

/// Who is calling, and with which declared purpose and case.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Option<Principal>,
    /// The declared purpose (`X-Purpose`), parsed once when the caller is made: every
    /// field of a response asks for it.
    purpose: Result<Purpose, AccessError>,
    /// The `X-Case-Ref` header, when sent.
    pub case_ref: Option<String>,
    pub request_id: String,
}

impl Default for Caller {
    /// An anonymous caller without a purpose.
    fn default() -> Self {
        Self::new(None, None, None, String::new())
    }
}

impl Caller {
    /// A caller with the purpose they declared (`X-Purpose` as sent, if at all).
    pub fn new(
        principal: Option<Principal>,
        declared_purpose: Option<&str>,
        case_ref: Option<String>,
        request_id: String,
    ) -> Self {
        Self {
            principal,
            purpose: parse_purpose(declared_purpose),
            case_ref,
            request_id,
        }
    }

    /// The same caller, whose purpose was declared in a socket's `connection_init`.
    pub fn over_socket(mut self) -> Self {
        if let Err(AccessError::PurposeMissing(channel)) = &mut self.purpose {
            *channel = PurposeChannel::ConnectionInit;
        }
        self
    }

    /// The door: may this caller read personal data at all? A resident reading their
    /// own record needs no purpose; everyone else declares one.
    pub fn personal_access(&self) -> Result<&Principal, AccessError> {
        let principal = self
            .principal
            .as_ref()
            .ok_or(AccessError::Unauthenticated)?;
        if !principal.role.reads_personal_data() {
            return Err(AccessError::Forbidden(principal.role));
        }
        if principal.role == Role::Resident {
            return Ok(principal);
        }
        match self.purpose()? {
            Purpose::Audit if principal.role != Role::Admin => Err(AccessError::PurposeNotForRole),
            _ => Ok(principal),
        }
    }

    /// The declared purpose, or why there is none.
    pub fn purpose(&self) -> Result<Purpose, AccessError> {
        self.purpose.clone()
    }

    /// Whether a resident registered in `village_code` (12 digits) is within the
    /// caller's region scope. Residents are scoped by their own ID number instead.
    pub fn region_covers(&self, village_code: &str) -> bool {
        self.principal.as_ref().is_some_and(|p| {
            p.role != Role::Resident && village_code.starts_with(p.region.as_str())
        })
    }

    /// The caller as an audit record names them.
    pub fn actor(&self) -> Actor {
        let (subject, role, region) = match &self.principal {
            Some(p) => (
                p.subject.clone(),
                p.role.as_str().to_owned(),
                p.region.to_string(),
            ),
            None => (
                "anonymous".to_owned(),
                "anonymous".to_owned(),
                String::new(),
            ),
        };
        Actor {
            subject,
            role,
            region,
            purpose: self.purpose.as_ref().ok().map(|p| p.as_str().to_owned()),
            case_ref: self.case_ref.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

fn parse_purpose(declared: Option<&str>) -> Result<Purpose, AccessError> {
    let declared = declared
        .filter(|p| !p.trim().is_empty())
        .ok_or(AccessError::PurposeMissing(PurposeChannel::Header))?;
    Purpose::parse(declared)
        .ok_or_else(|| AccessError::PurposeUnknown(declared.chars().take(40).collect()))
}

#[derive(Default)]
struct Collected {
    reads: BTreeMap<String, (BTreeSet<String>, BTreeSet<FieldGroup>)>,
    /// Village-services records read about a resident (`service_request`, `visit`, …).
    records: BTreeMap<String, BTreeSet<&'static str>>,
    actions: Vec<(&'static str, String)>,
    misses: Vec<(String, Outcome)>,
    refusals: Vec<(&'static str, String)>,
    withheld: BTreeSet<FieldGroup>,
    aggregates: Vec<(String, Vec<String>)>,
}

/// What one request read, collected while it runs and written to the audit log before
/// the response leaves.
#[derive(Default)]
pub struct AccessLog {
    collected: Mutex<Collected>,
}

impl AccessLog {
    fn with<T>(&self, f: impl FnOnce(&mut Collected) -> T) -> T {
        // A poisoned lock only means another resolver panicked; the data is still a log.
        let mut guard = self
            .collected
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    /// A field group of a resident was read, possibly from a department.
    pub fn read(&self, resident: &str, group: FieldGroup, department: Option<&str>) {
        self.with(|c| {
            let entry = c.reads.entry(resident.to_owned()).or_default();
            entry.1.insert(group);
            if let Some(department) = department {
                entry.0.insert(department.to_owned());
            }
        });
    }

    /// A village-services record about a resident was read (its notes may say anything
    /// about them, so it is personal data like a field group).
    pub fn record_read(&self, resident: &str, kind: &'static str) {
        self.with(|c| {
            c.records
                .entry(resident.to_owned())
                .or_default()
                .insert(kind);
        });
    }

    /// The caller changed something (`action` on `target`), e.g. moved a request along.
    pub fn acted(&self, action: &'static str, target: &str) {
        self.with(|c| c.actions.push((action, target.to_owned())));
    }

    /// Aggregate statistics of `region` were read (`indicators` as asked).
    pub fn aggregate_read(&self, region: &str, indicators: Vec<String>) {
        self.with(|c| c.aggregates.push((region.to_owned(), indicators)));
    }

    /// A field group was withheld from the caller (listed once in the response).
    pub fn withheld(&self, group: FieldGroup) {
        self.with(|c| c.withheld.insert(group));
    }

    /// A lookup found no resident the caller may see.
    pub fn missed(&self, key: &str, outcome: Outcome) {
        self.with(|c| c.misses.push((key.to_owned(), outcome)));
    }

    /// Personal data was refused before anything was read.
    pub fn refused(&self, action: &'static str, reason: &str) {
        self.with(|c| c.refusals.push((action, reason.to_owned())));
    }

    /// The withheld field groups, in a stable order.
    pub fn withheld_groups(&self) -> Vec<&'static str> {
        self.with(|c| c.withheld.iter().map(|g| g.as_str()).collect())
    }

    /// The audit events of everything collected so far, emptying the log.
    pub fn drain(&self, actor: &Actor) -> Vec<AuditEvent> {
        let collected = self.with(std::mem::take);
        let mut events = Vec::new();
        let mut reads = collected.reads;
        for resident in collected.records.keys() {
            reads.entry(resident.clone()).or_default();
        }
        let mut records = collected.records;
        for (resident, (departments, groups)) in reads {
            let mut groups: Vec<String> =
                groups.into_iter().map(|g| g.as_str().to_owned()).collect();
            if let Some(kinds) = records.remove(&resident) {
                groups.extend(kinds.into_iter().map(str::to_owned));
            }
            events.push(AuditEvent::resident_read(
                actor,
                &resident,
                departments.into_iter().collect(),
                groups,
            ));
        }
        for (action, target) in collected.actions {
            events.push(AuditEvent::acted(actor, action, &target));
        }
        for (region, indicators) in collected.aggregates {
            events.push(AuditEvent::aggregate_read(actor, &region, indicators));
        }
        for (key, outcome) in collected.misses {
            events.push(AuditEvent::resident_lookup_missed(actor, &key, outcome));
        }
        for (action, reason) in collected.refusals {
            events.push(AuditEvent::refused(actor, action, "", &reason));
        }
        events
    }
}

/// The longest case reference the hub records.
pub const CASE_REF_MAX_CHARS: usize = 128;

/// Why a case reference (`X-Case-Ref`, a socket's `caseRef`) was refused. It goes to the
/// audit log as it is, so it is refused rather than trimmed or dropped: a read whose case
/// cannot be recorded as declared does not proceed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseRefError {
    #[error("the case reference has {0} characters; at most 128 are allowed")]
    TooLong(usize),
    #[error("the case reference contains a control character at position {0}")]
    ControlCharacter(usize),
    #[error("the case reference must be UTF-8 text")]
    NotText,
}

/// A declared case reference, checked: `None` when none (or only blanks) was declared.
pub fn case_ref(declared: Option<&[u8]>) -> Result<Option<String>, CaseRefError> {
    let Some(bytes) = declared else {
        return Ok(None);
    };
    let text = std::str::from_utf8(bytes).map_err(|_| CaseRefError::NotText)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    if let Some(position) = text.chars().position(char::is_control) {
        return Err(CaseRefError::ControlCharacter(position + 1));
    }
    let count = text.chars().count();
    if count > CASE_REF_MAX_CHARS {
        return Err(CaseRefError::TooLong(count));
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod case_ref_tests {
    use super::*;

    #[test]
    fn a_case_reference_is_short_printable_text() {
        assert_eq!(case_ref(None), Ok(None));
        assert_eq!(case_ref(Some(b"  ")), Ok(None));
        assert_eq!(case_ref(Some(b"SR-7")), Ok(Some("SR-7".into())));
        let chinese = "走访-2026-001";
        assert_eq!(case_ref(Some(chinese.as_bytes())), Ok(Some(chinese.into())));
        let longest = "x".repeat(128);
        assert_eq!(case_ref(Some(longest.as_bytes())), Ok(Some(longest)));
        assert_eq!(
            case_ref(Some("x".repeat(129).as_bytes())),
            Err(CaseRefError::TooLong(129))
        );
        assert_eq!(
            case_ref(Some(b"SR-7\tDROP")),
            Err(CaseRefError::ControlCharacter(5))
        );
        assert_eq!(
            case_ref(Some(b"SR\x1b[2J")),
            Err(CaseRefError::ControlCharacter(3))
        );
        assert_eq!(case_ref(Some(b"\xff\xfe")), Err(CaseRefError::NotText));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_purpose_is_parsed_once_with_its_reason() {
        let caller = |declared| Caller::new(None, declared, None, String::new());
        assert_eq!(
            caller(Some(" VISIT ")).purpose(),
            Ok(Purpose::Visit),
            "surrounding blanks are forgiven"
        );
        assert_eq!(
            caller(None).purpose(),
            Err(AccessError::PurposeMissing(PurposeChannel::Header))
        );
        assert_eq!(
            caller(Some("  ")).purpose(),
            Err(AccessError::PurposeMissing(PurposeChannel::Header))
        );
        assert_eq!(
            caller(Some("CURIOSITY")).purpose(),
            Err(AccessError::PurposeUnknown("CURIOSITY".into()))
        );
        assert_eq!(Caller::default().actor().purpose, None);
        assert_eq!(
            caller(Some("EMERGENCY")).actor().purpose.as_deref(),
            Some("EMERGENCY")
        );
    }
}

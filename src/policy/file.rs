//! The access matrix as data: a TOML policy file, a built-in default equal to the design's
//! initial matrix, and a check that explains each mistake.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{
    FieldGroup, Visibility,
    cell::{CellForm, Rule, compile_rows},
    format::{self, Defaulted},
    minors::{Minors, MinorsForm, Subject, compile_minors, stricter},
    scope::{ScopeForm, compile_scope},
    work::{RecordScope, WORK_ROLES, WorkAccess, WorkAction},
};
use crate::{
    auth::{Principal, Role, ScopeLevels},
    domain::Department,
};

const BUILT_IN: &str = include_str!("../../policy/default.toml");

/// The roles whose rows list field groups; the others read no personal data (or, for a
/// resident, only their own record).
pub const MATRIX_ROLES: [Role; 5] = [
    Role::VillageAssistant,
    Role::TownshipOfficer,
    Role::DepartmentClerk,
    Role::Police,
    Role::Admin,
];

/// A policy that is not usable, with every mistake explained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the policy has {} mistake(s):\n  - {}", .0.len(), .0.join("\n  - "))]
pub struct PolicyError(pub Vec<String>);

/// Which alerts a role sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertAccess {
    All,
    None,
    /// Alerts involving the principal's own department.
    OwnDepartment,
    Kinds(Vec<String>),
}

/// The compiled access policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(super) format: u32,
    pub(super) cells: HashMap<(Role, FieldGroup), Rule>,
    alerts: HashMap<Role, AlertAccess>,
    work: HashMap<Role, WorkAccess>,
    pub(super) scope: ScopeLevels,
    pub(super) minors: Minors,
    /// The sections an older file lacks, and their stand-ins.
    pub(super) defaults: Vec<Defaulted>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileForm {
    /// Absent in a format-1 file.
    format: Option<i64>,
    roles: BTreeMap<String, BTreeMap<String, CellForm>>,
    #[serde(default)]
    alerts: BTreeMap<String, AlertForm>,
    #[serde(default)]
    work: BTreeMap<String, WorkForm>,
    scope: Option<BTreeMap<String, ScopeForm>>,
    minors: Option<MinorsForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkForm {
    records: String,
    #[serde(default)]
    actions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AlertForm {
    Word(String),
    Kinds(Vec<String>),
}

impl Policy {
    /// The default policy shipped in the binary.
    pub fn built_in() -> Result<Self, PolicyError> {
        Self::parse(BUILT_IN)
    }

    /// The text of the built-in policy, as a starting point for a province's own file.
    pub fn built_in_text() -> &'static str {
        BUILT_IN
    }

    /// Reads and checks a policy file.
    pub fn load(path: &std::path::Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| PolicyError(vec![format!("{}: {e}", path.display())]))?;
        Self::parse(&text)
    }

    /// Parses and checks a policy; every cell of every matrix role must be given (a
    /// format-1 file may lack what format 2 added: see `format`).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let form: FileForm = toml::from_str(text).map_err(|e| PolicyError(vec![e.to_string()]))?;
        let mut problems = Vec::new();
        let mut defaults = Vec::new();
        let format = format::version(form.format, &mut problems);
        let mut cells = compile_roles(&form.roles, &mut problems);
        for group in ADDED_IN_FORMAT_2 {
            let lacking: Vec<Role> = MATRIX_ROLES
                .into_iter()
                .filter(|r| form.roles.contains_key(r.as_str()))
                .filter(|r| !cells.contains_key(&(*r, group)))
                .collect();
            if lacking.is_empty() {
                continue;
            }
            if format >= format::CURRENT_FORMAT {
                for role in lacking {
                    problems.push(format!(
                        "[roles.{}] lacks {}",
                        role.as_str(),
                        group.as_str()
                    ));
                }
            } else {
                for role in lacking {
                    cells.insert((role, group), Rule::Fixed(Visibility::Withheld));
                }
                defaults.push(Defaulted {
                    section: group_section(group),
                    default: format!("{} withheld from every role", group.as_str()),
                });
            }
        }
        // Groups newer than a file are withheld from every role, whatever its format, so
        // that a province's file keeps working and shows nothing new until it says so.
        for group in ADDED_AFTER_FORMAT_2 {
            let lacking: Vec<Role> = MATRIX_ROLES
                .into_iter()
                .filter(|r| form.roles.contains_key(r.as_str()))
                .filter(|r| !cells.contains_key(&(*r, group)))
                .collect();
            if lacking.is_empty() {
                continue;
            }
            for role in lacking {
                cells.insert((role, group), Rule::Fixed(Visibility::Withheld));
            }
            defaults.push(Defaulted {
                section: group_section(group),
                default: format!("{} withheld from every role", group.as_str()),
            });
        }
        let alerts = compile_alerts(&form.alerts, &mut problems);
        let work = compile_work(&form.work, &mut problems);
        let scope = match &form.scope {
            Some(scope) => compile_scope(scope, &mut problems),
            None => {
                let (levels, words) = super::scope::narrowest();
                format::missing(format, "[scope]", words, &mut defaults, &mut problems);
                levels
            }
        };
        let minors = match &form.minors {
            Some(minors) => compile_minors(minors, &mut problems),
            None => {
                let (minors, words) = Minors::all_withheld();
                format::missing(format, "[minors]", words, &mut defaults, &mut problems);
                minors
            }
        };
        if problems.is_empty() {
            Ok(Self {
                format,
                cells,
                alerts,
                work,
                scope,
                minors,
                defaults,
            })
        } else {
            Err(PolicyError(problems))
        }
    }

    /// The sections the file lacks (a format-1 file) and the defaults standing in for them.
    pub fn defaults(&self) -> &[Defaulted] {
        &self.defaults
    }

    /// Warns once per section the file lacks; called when the hub starts.
    pub fn warn_defaults(&self) {
        format::warn(&self.defaults);
    }

    /// What `principal` sees of `group` of `subject`, a resident other than themselves.
    pub fn visibility(
        &self,
        principal: &Principal,
        group: FieldGroup,
        subject: Subject,
    ) -> Visibility {
        self.decide(principal.role, principal.department, group, subject)
    }

    /// The one decision of the matrix: what `role` (of `department`) sees of `group` of a
    /// resident other than themselves — the role's row, and for a child under 14 the
    /// stricter of that and the `[minors]` cap (alone or in bulk).
    pub fn decide(
        &self,
        role: Role,
        department: Option<Department>,
        group: FieldGroup,
        subject: Subject,
    ) -> Visibility {
        let row = match self.cells.get(&(role, group)) {
            Some(rule) => rule.apply(group, department),
            None if role == Role::Resident => Visibility::Read,
            None => Visibility::Withheld,
        };
        let asked = stricter(row, self.minors.cap(role, department, group, subject));
        // A form the group does not have (a masked household, say) gives the next
        // stricter form it has, never more than asked.
        Visibility::ALL
            .into_iter()
            .skip_while(|v| stricter(*v, asked) != *v)
            .find(|v| group.shows(*v))
            .unwrap_or(Visibility::Withheld)
    }

    /// Which alerts `role` sees.
    pub fn alert_access(&self, role: Role) -> AlertAccess {
        self.alerts.get(&role).cloned().unwrap_or(AlertAccess::None)
    }

    /// What `role` sees of and may do in village services.
    pub fn work(&self, role: Role) -> WorkAccess {
        self.work
            .get(&role)
            .cloned()
            .unwrap_or_else(WorkAccess::nothing)
    }

    /// The level(s) each role's region must name, checked when a token is verified.
    pub fn scope_levels(&self) -> &ScopeLevels {
        &self.scope
    }

    /// Whether `role` may take `action` (the region and department checks come on top).
    pub fn may(&self, role: Role, action: WorkAction) -> bool {
        self.work
            .get(&role)
            .is_some_and(|w| w.actions.contains(&action))
    }
}

/// The field groups format 2 added: a format-1 row lacks them.
const ADDED_IN_FORMAT_2: [FieldGroup; 1] = [FieldGroup::Employment];

/// The field groups added since format 2 (the departments declared by definition files):
/// a row that lacks one withholds it, named as a default.
const ADDED_AFTER_FORMAT_2: [FieldGroup; 4] = [
    FieldGroup::VeteranStatus,
    FieldGroup::VeteranCare,
    FieldGroup::FamilyDoctor,
    FieldGroup::PovertyMonitoring,
];

/// How a warning names a field group missing from the rows.
fn group_section(group: FieldGroup) -> &'static str {
    match group {
        FieldGroup::Employment => "employment in [roles.*]",
        FieldGroup::VeteranStatus => "veteran_status in [roles.*]",
        FieldGroup::VeteranCare => "veteran_care in [roles.*]",
        FieldGroup::FamilyDoctor => "family_doctor in [roles.*]",
        FieldGroup::PovertyMonitoring => "poverty_monitoring in [roles.*]",
        _ => "a field group in [roles.*]",
    }
}

/// The `[roles.ROLE]` rows: every matrix role, every field group (those added in format
/// 2 are checked by the caller, which knows the file's format).
fn compile_roles(
    form: &BTreeMap<String, BTreeMap<String, CellForm>>,
    problems: &mut Vec<String>,
) -> HashMap<(Role, FieldGroup), Rule> {
    let unknown_role = format!(
        "not a role with a row (use one of {})",
        names(&MATRIX_ROLES)
    );
    let cells = compile_rows("roles", &unknown_role, form, problems);
    for role in MATRIX_ROLES {
        for group in FieldGroup::ALL {
            if ADDED_IN_FORMAT_2.contains(&group) || ADDED_AFTER_FORMAT_2.contains(&group) {
                continue;
            }
            if form.contains_key(role.as_str()) && !cells.contains_key(&(role, group)) {
                problems.push(format!(
                    "[roles.{}] lacks {}",
                    role.as_str(),
                    group.as_str()
                ));
            }
        }
        if !form.contains_key(role.as_str()) {
            problems.push(format!("[roles.{}] is missing", role.as_str()));
        }
    }
    cells
}

fn compile_alerts(
    form: &BTreeMap<String, AlertForm>,
    problems: &mut Vec<String>,
) -> HashMap<Role, AlertAccess> {
    let mut alerts = HashMap::new();
    for (role_name, form) in form {
        let Some(role) = Role::parse(role_name) else {
            problems.push(format!("[alerts] {role_name}: not a role"));
            continue;
        };
        let access = match form {
            AlertForm::Word(w) if w == "all" => AlertAccess::All,
            AlertForm::Word(w) if w == "none" => AlertAccess::None,
            AlertForm::Word(w) if w == "own_department" => AlertAccess::OwnDepartment,
            AlertForm::Word(w) => {
                problems.push(format!("[alerts] {role_name}: `{w}` is not all, none, own_department or a list of kinds"));
                continue;
            }
            AlertForm::Kinds(kinds) => AlertAccess::Kinds(kinds.clone()),
        };
        alerts.insert(role, access);
    }
    alerts
}

/// Every role needs a `[work.ROLE]` row, so that a forgotten one is a mistake rather than
/// a role silently locked out (or let in).
fn compile_work(
    form: &BTreeMap<String, WorkForm>,
    problems: &mut Vec<String>,
) -> HashMap<Role, WorkAccess> {
    let mut work = HashMap::new();
    for (role_name, row) in form {
        let Some(role) = Role::parse(role_name) else {
            problems.push(format!("[work.{role_name}]: not a role"));
            continue;
        };
        let Some(records) = RecordScope::parse(&row.records) else {
            problems.push(format!(
                "[work.{role_name}] records: `{}` is not none, own, region or routed_to_own_department",
                row.records
            ));
            continue;
        };
        let mut actions = std::collections::BTreeSet::new();
        for name in &row.actions {
            match WorkAction::parse(name) {
                Some(action) => {
                    actions.insert(action);
                }
                None => problems.push(format!(
                    "[work.{role_name}] actions: `{name}` is not an action (use {})",
                    WorkAction::ALL
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        work.insert(role, WorkAccess { records, actions });
    }
    for role in WORK_ROLES {
        if !form.contains_key(role.as_str()) {
            problems.push(format!("[work.{}] is missing", role.as_str()));
        }
    }
    work
}

fn names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Department, RegionCode};

    fn principal(role: Role, department: Option<Department>) -> Principal {
        Principal {
            subject: "t".into(),
            role,
            region: RegionCode::parse("220122").unwrap_or_else(|e| panic!("{e}")),
            department,
            id_number: None,
            client: None,
        }
    }

    #[test]
    fn the_built_in_policy_is_the_designs_matrix() {
        let policy = Policy::built_in().unwrap_or_else(|e| panic!("{e}"));
        let va = principal(Role::VillageAssistant, None);
        assert_eq!(
            policy.visibility(&va, FieldGroup::IdNumber, Subject::Adult),
            Visibility::Masked
        );
        assert_eq!(
            policy.visibility(&va, FieldGroup::AssistanceAmounts, Subject::Adult),
            Visibility::Withheld
        );
        assert_eq!(
            policy.visibility(&va, FieldGroup::Pension, Subject::Adult),
            Visibility::CertificationDateOnly
        );
        let civil = principal(Role::DepartmentClerk, Some(Department::CivilAffairs));
        assert_eq!(
            policy.visibility(&civil, FieldGroup::AssistanceAmounts, Subject::Adult),
            Visibility::Read
        );
        assert_eq!(
            policy.visibility(&civil, FieldGroup::MedicalInsurance, Subject::Adult),
            Visibility::StatusOnly
        );
        assert_eq!(
            policy.visibility(&civil, FieldGroup::MedicalAssistance, Subject::Adult),
            Visibility::Withheld
        );
        assert_eq!(
            policy.visibility(&civil, FieldGroup::RegisteredAddress, Subject::Adult),
            Visibility::Withheld
        );
        let police_clerk = principal(Role::DepartmentClerk, Some(Department::PublicSecurity));
        assert_eq!(
            policy.visibility(&police_clerk, FieldGroup::RegisteredAddress, Subject::Adult),
            Visibility::Read
        );
        assert_eq!(
            policy.visibility(
                &principal(Role::Dashboard, None),
                FieldGroup::Identity,
                Subject::Adult
            ),
            Visibility::Withheld
        );
        assert_eq!(
            policy.alert_access(Role::Police),
            AlertAccess::Kinds(vec!["ID_CARD_EXPIRED".into()])
        );
        assert_eq!(policy.alert_access(Role::Dashboard), AlertAccess::None);
        let social = principal(Role::DepartmentClerk, Some(Department::SocialSecurity));
        assert_eq!(
            policy.visibility(&social, FieldGroup::Employment, Subject::Adult),
            Visibility::Read
        );
        assert_eq!(
            policy.visibility(&civil, FieldGroup::Employment, Subject::Adult),
            Visibility::StatusOnly
        );
        assert_eq!(
            policy.visibility(
                &principal(Role::Police, None),
                FieldGroup::Employment,
                Subject::Adult
            ),
            Visibility::Withheld
        );
        assert_eq!(
            policy.visibility(&va, FieldGroup::Employment, Subject::Adult),
            Visibility::Read
        );
    }

    #[test]
    fn mistakes_are_each_explained() {
        let text = Policy::built_in_text()
            .replace(
                "id_number = \"masked\"\nphone",
                "id_number = \"hidden\"\nphone",
            )
            .replace("[roles.police]", "[roles.mayor]")
            .replacen("registration_status = \"read\"\n", "", 1)
            .replace(
                "public_security = \"read\" }",
                "secret_service = \"read\" }",
            );
        let err = Policy::parse(&text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        for expected in [
            "`hidden` is not read",
            "[roles.mayor]: not a role",
            "[roles.police] is missing",
            "[roles.village_assistant] lacks registration_status",
            "`secret_service` is not a department",
        ] {
            assert!(err.contains(expected), "{expected} in {err}");
        }
    }

    /// The built-in policy as format 1 wrote it: no `format`, no `[scope]`.
    fn format_1() -> String {
        let text: String = Policy::built_in_text()
            .replace("format = 2\n", "")
            .lines()
            .filter(|l| !l.starts_with("employment = "))
            .map(|l| format!("{l}\n"))
            .collect();
        let text = match text.find("# Children under 14") {
            Some(minors) => text[..minors].to_owned(),
            None => text,
        };
        let start = text.find("[scope]").unwrap_or_default();
        let end = text.find("# Cross-department alerts").unwrap_or_default();
        format!("{}{}", &text[..start], &text[end..])
    }

    #[test]
    fn a_form_a_group_does_not_have_gives_the_next_stricter_one() {
        let text = Policy::built_in_text().replacen(
            "[roles.village_assistant]\nidentity = \"read\"\nid_number = \"masked\"\nphone = \"read\"\nhousehold_members = \"read\"\nmedical_insurance = \"read\"",
            "[roles.village_assistant]\nidentity = \"read\"\nid_number = \"masked\"\nphone = \"read\"\nhousehold_members = \"masked\"\nmedical_insurance = \"masked\"",
            1,
        );
        assert_ne!(text, Policy::built_in_text());
        let policy = Policy::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let decide = |group| policy.decide(Role::VillageAssistant, None, group, Subject::Adult);
        assert_eq!(decide(FieldGroup::HouseholdMembers), Visibility::Withheld);
        assert_eq!(decide(FieldGroup::MedicalInsurance), Visibility::StatusOnly);
        assert_eq!(decide(FieldGroup::IdNumber), Visibility::Masked);
    }

    #[test]
    fn a_format_1_file_takes_the_strictest_defaults_and_says_so() {
        let policy = Policy::parse(&format_1()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(policy.format, 1);
        let sections: Vec<&str> = policy.defaults().iter().map(|d| d.section).collect();
        assert_eq!(sections, ["employment in [roles.*]", "[scope]", "[minors]"]);
        let admin = principal(Role::Admin, None);
        assert_eq!(
            policy.visibility(&admin, FieldGroup::Employment, Subject::Adult),
            Visibility::Withheld
        );
        let police = RegionCode::parse("220122").unwrap_or_else(|e| panic!("{e}"));
        assert!(policy.scope_levels().check(Role::Police, &police).is_err());
        let described = policy.describe();
        assert!(described.contains("format 1"), "{described}");
        assert!(
            described.contains("the file lacks [scope]: the default gives"),
            "{described}"
        );
        assert!(Policy::built_in().is_ok_and(|p| p.defaults().is_empty()));
    }

    #[test]
    fn a_format_2_file_lacking_a_section_or_an_unknown_format_is_a_mistake() {
        let without_scope = format!("format = 2\n{}", format_1());
        let err = Policy::parse(&without_scope)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("[scope] is missing (format 2 needs it)"),
            "{err}"
        );
        let future = Policy::built_in_text().replace("format = 2", "format = 9");
        let err = Policy::parse(&future)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("format = 9: this hub reads formats 1 and 2"),
            "{err}"
        );
    }

    #[test]
    fn each_missing_section_is_warned_about_once() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let policy = Policy::parse(&format_1()).unwrap_or_else(|e| panic!("{e}"));
        tracing::subscriber::with_default(subscriber, || policy.warn_defaults());
        let logged = String::from_utf8_lossy(&buffer.0.lock().unwrap_or_else(|p| p.into_inner()))
            .into_owned();
        for d in policy.defaults() {
            assert_eq!(logged.matches(d.section).count(), 1, "{logged}");
        }
        assert_eq!(logged.matches("WARN").count(), policy.defaults().len());
    }
}

//! The access matrix as data: a TOML policy file, a built-in default equal to the design's
//! initial matrix, and a check that explains each mistake.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{
    FieldGroup, Visibility,
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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Fixed(Visibility),
    ByDepartment {
        own: Option<Visibility>,
        departments: BTreeMap<Department, Visibility>,
        other: Visibility,
    },
}

/// The compiled access policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    cells: HashMap<(Role, FieldGroup), Rule>,
    alerts: HashMap<Role, AlertAccess>,
    work: HashMap<Role, WorkAccess>,
    scope: ScopeLevels,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileForm {
    roles: BTreeMap<String, BTreeMap<String, CellForm>>,
    #[serde(default)]
    alerts: BTreeMap<String, AlertForm>,
    #[serde(default)]
    work: BTreeMap<String, WorkForm>,
    #[serde(default)]
    scope: BTreeMap<String, ScopeForm>,
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
enum CellForm {
    Fixed(String),
    Own {
        own_department: String,
        other: String,
    },
    Listed {
        departments: BTreeMap<String, String>,
        other: String,
    },
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

    /// Parses and checks a policy; every cell of every matrix role must be given.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let form: FileForm = toml::from_str(text).map_err(|e| PolicyError(vec![e.to_string()]))?;
        let mut problems = Vec::new();
        let mut cells = HashMap::new();
        for (role_name, row) in &form.roles {
            let Some(role) = Role::parse(role_name).filter(|r| MATRIX_ROLES.contains(r)) else {
                problems.push(format!(
                    "[roles.{role_name}]: not a role with a row (use one of {})",
                    names(&MATRIX_ROLES)
                ));
                continue;
            };
            for (group_name, cell) in row {
                let Some(group) = FieldGroup::parse(group_name) else {
                    problems.push(format!(
                        "[roles.{role_name}] {group_name}: not a field group"
                    ));
                    continue;
                };
                match compile(cell) {
                    Ok(rule) => {
                        cells.insert((role, group), rule);
                    }
                    Err(why) => problems.push(format!("[roles.{role_name}] {group_name}: {why}")),
                }
            }
        }
        for role in MATRIX_ROLES {
            for group in FieldGroup::ALL {
                if form.roles.contains_key(role.as_str()) && !cells.contains_key(&(role, group)) {
                    problems.push(format!(
                        "[roles.{}] lacks {}",
                        role.as_str(),
                        group.as_str()
                    ));
                }
            }
            if !form.roles.contains_key(role.as_str()) {
                problems.push(format!("[roles.{}] is missing", role.as_str()));
            }
        }
        let mut alerts = HashMap::new();
        for (role_name, form) in &form.alerts {
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
        let work = compile_work(&form.work, &mut problems);
        let scope = compile_scope(&form.scope, &mut problems);
        if problems.is_empty() {
            Ok(Self {
                cells,
                alerts,
                work,
                scope,
            })
        } else {
            Err(PolicyError(problems))
        }
    }

    /// What `principal` sees of `group` of a resident other than themselves.
    pub fn visibility(&self, principal: &Principal, group: FieldGroup) -> Visibility {
        let Some(rule) = self.cells.get(&(principal.role, group)) else {
            return match principal.role {
                Role::Resident => Visibility::Read,
                _ => Visibility::Withheld,
            };
        };
        match rule {
            Rule::Fixed(v) => *v,
            Rule::ByDepartment {
                own,
                departments,
                other,
            } => {
                let department = principal.department;
                if let (Some(own), Some(mine)) = (own, department)
                    && group.department() == Some(mine)
                {
                    return *own;
                }
                department
                    .and_then(|d| departments.get(&d).copied())
                    .unwrap_or(*other)
            }
        }
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

    /// The matrix as a table, one line per role (for `cunhub policy check`).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for role in MATRIX_ROLES {
            out.push_str(role.as_str());
            out.push('\n');
            for group in FieldGroup::ALL {
                let cell = match self.cells.get(&(role, group)) {
                    Some(Rule::Fixed(v)) => v.as_str().to_owned(),
                    Some(Rule::ByDepartment {
                        own,
                        departments,
                        other,
                    }) => {
                        let mut parts = Vec::new();
                        if let Some(own) = own {
                            parts.push(format!("own department {}", own.as_str()));
                        }
                        for (d, v) in departments {
                            parts.push(format!("{d} {}", v.as_str()));
                        }
                        parts.push(format!("else {}", other.as_str()));
                        parts.join(", ")
                    }
                    None => "withheld".into(),
                };
                out.push_str(&format!("  {:<22} {cell}\n", group.as_str()));
            }
        }
        out.push_str("region scope (the level a token's region names)\n");
        for role in Role::ALL {
            out.push_str(&format!(
                "  {:<22} {}\n",
                role.as_str(),
                self.scope.describe(role)
            ));
        }
        out.push_str("village services\n");
        for role in WORK_ROLES {
            let work = self.work(role);
            let actions: Vec<&str> = work.actions.iter().map(|a| a.as_str()).collect();
            out.push_str(&format!(
                "  {:<22} sees {}; may {}\n",
                role.as_str(),
                work.records.as_str(),
                if actions.is_empty() {
                    "do nothing".to_owned()
                } else {
                    actions.join(", ")
                }
            ));
        }
        out
    }
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

fn compile(cell: &CellForm) -> Result<Rule, String> {
    match cell {
        CellForm::Fixed(word) => Ok(Rule::Fixed(visibility_word(word)?)),
        CellForm::Own {
            own_department,
            other,
        } => Ok(Rule::ByDepartment {
            own: Some(visibility_word(own_department)?),
            departments: BTreeMap::new(),
            other: visibility_word(other)?,
        }),
        CellForm::Listed { departments, other } => {
            let mut listed = BTreeMap::new();
            for (name, word) in departments {
                let department = Department::parse(name)
                    .ok_or_else(|| format!("`{name}` is not a department"))?;
                listed.insert(department, visibility_word(word)?);
            }
            Ok(Rule::ByDepartment {
                own: None,
                departments: listed,
                other: visibility_word(other)?,
            })
        }
    }
}

fn visibility_word(word: &str) -> Result<Visibility, String> {
    Visibility::parse(word).ok_or_else(|| {
        format!("`{word}` is not read, masked, status_only, certification_date_only or withheld")
    })
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
    use crate::domain::RegionCode;

    fn principal(role: Role, department: Option<Department>) -> Principal {
        Principal {
            subject: "t".into(),
            role,
            region: RegionCode::parse("220122").unwrap_or_else(|e| panic!("{e}")),
            department,
            id_number: None,
        }
    }

    #[test]
    fn the_built_in_policy_is_the_designs_matrix() {
        let policy = Policy::built_in().unwrap_or_else(|e| panic!("{e}"));
        let va = principal(Role::VillageAssistant, None);
        assert_eq!(
            policy.visibility(&va, FieldGroup::IdNumber),
            Visibility::Masked
        );
        assert_eq!(
            policy.visibility(&va, FieldGroup::AssistanceAmounts),
            Visibility::Withheld
        );
        assert_eq!(
            policy.visibility(&va, FieldGroup::Pension),
            Visibility::CertificationDateOnly
        );
        let civil = principal(Role::DepartmentClerk, Some(Department::CivilAffairs));
        assert_eq!(
            policy.visibility(&civil, FieldGroup::AssistanceAmounts),
            Visibility::Read
        );
        assert_eq!(
            policy.visibility(&civil, FieldGroup::MedicalInsurance),
            Visibility::StatusOnly
        );
        assert_eq!(
            policy.visibility(&civil, FieldGroup::MedicalAssistance),
            Visibility::Withheld
        );
        assert_eq!(
            policy.visibility(&civil, FieldGroup::RegisteredAddress),
            Visibility::Withheld
        );
        let police_clerk = principal(Role::DepartmentClerk, Some(Department::PublicSecurity));
        assert_eq!(
            policy.visibility(&police_clerk, FieldGroup::RegisteredAddress),
            Visibility::Read
        );
        assert_eq!(
            policy.visibility(&principal(Role::Dashboard, None), FieldGroup::Identity),
            Visibility::Withheld
        );
        assert_eq!(
            policy.alert_access(Role::Police),
            AlertAccess::Kinds(vec!["ID_CARD_EXPIRED".into()])
        );
        assert_eq!(policy.alert_access(Role::Dashboard), AlertAccess::None);
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
}

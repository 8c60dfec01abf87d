//! One cell of a policy matrix: a fixed visibility, or one that depends on the caller's
//! department. The role rows and the minors rows use the same cells.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{FieldGroup, MATRIX_ROLES, Visibility};
use crate::{auth::Role, domain::Department};

/// A cell as a policy file writes it.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum CellForm {
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

/// A compiled cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Rule {
    Fixed(Visibility),
    ByDepartment {
        own: Option<Visibility>,
        departments: BTreeMap<Department, Visibility>,
        other: Visibility,
    },
}

impl Rule {
    /// What a caller of `department` sees of `group` under this cell.
    pub(super) fn apply(&self, group: FieldGroup, department: Option<Department>) -> Visibility {
        match self {
            Self::Fixed(v) => *v,
            Self::ByDepartment {
                own,
                departments,
                other,
            } => {
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

    /// The cell in words, for `cunhub policy check`.
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Fixed(v) => v.as_str().to_owned(),
            Self::ByDepartment {
                own,
                departments,
                other,
            } => {
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
        }
    }
}

pub(super) fn compile(cell: &CellForm) -> Result<Rule, String> {
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

pub(super) fn visibility_word(word: &str) -> Result<Visibility, String> {
    Visibility::parse(word).ok_or_else(|| {
        format!("`{word}` is not read, masked, status_only, certification_date_only or withheld")
    })
}

/// The rows of a section (`[roles.ROLE]`, `[minors.roles.ROLE]`): each matrix role's cells
/// by field group. A role without a row or a word that is no field group is a mistake
/// named with the section; `unknown_role` says what to write instead.
pub(super) fn compile_rows(
    section: &str,
    unknown_role: &str,
    form: &BTreeMap<String, BTreeMap<String, CellForm>>,
    problems: &mut Vec<String>,
) -> HashMap<(Role, FieldGroup), Rule> {
    let mut cells = HashMap::new();
    for (role_name, row) in form {
        let Some(role) = Role::parse(role_name).filter(|r| MATRIX_ROLES.contains(r)) else {
            problems.push(format!("[{section}.{role_name}]: {unknown_role}"));
            continue;
        };
        for (group_name, cell) in row {
            let Some(group) = FieldGroup::parse(group_name) else {
                problems.push(format!(
                    "[{section}.{role_name}] {group_name}: not a field group"
                ));
                continue;
            };
            match compile(cell) {
                Ok(rule) => {
                    cells.insert((role, group), rule);
                }
                Err(why) => problems.push(format!("[{section}.{role_name}] {group_name}: {why}")),
            }
        }
    }
    cells
}

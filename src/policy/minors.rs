//! Children under 14 (PIPL art. 28): the `[minors]` section caps what each role sees of a
//! child's field groups, and caps everything once more where a child appears in bulk (any
//! list of residents). A cap never widens the role's row: a child is seen at the stricter
//! of the two.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{
    FieldGroup, MATRIX_ROLES, Visibility,
    cell::{CellForm, Rule, compile_rows, visibility_word},
};
use crate::{auth::Role, domain::Department};

/// Whom a decision is about: an adult, or a child under 14 read alone or in bulk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Adult,
    /// A child under 14, read on their own (one resident, one household's members).
    Child,
    /// A child under 14 in a list of residents (a listing, the residents of alerts,
    /// service requests or visits): exported in bulk.
    ChildInBulk,
}

impl Subject {
    /// The subject of a resident who is (or is not) a child, reached in bulk or not.
    pub fn of(child: bool, in_bulk: bool) -> Self {
        match (child, in_bulk) {
            (false, _) => Self::Adult,
            (true, false) => Self::Child,
            (true, true) => Self::ChildInBulk,
        }
    }
}

/// `[minors]` as a file writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MinorsForm {
    in_bulk: String,
    #[serde(default)]
    roles: BTreeMap<String, BTreeMap<String, CellForm>>,
}

/// The compiled minors rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Minors {
    /// The most anyone sees of a child's group in bulk.
    in_bulk: Visibility,
    /// The most a role sees of a child's group; a group not listed is capped by the row.
    caps: HashMap<(Role, FieldGroup), Rule>,
}

impl Minors {
    /// The stand-in for a missing `[minors]`: a child's every group withheld from every
    /// role (a resident still reads their own record and their household's members).
    pub(super) fn all_withheld() -> (Self, String) {
        let caps = MATRIX_ROLES
            .into_iter()
            .flat_map(|r| FieldGroup::ALL.into_iter().map(move |g| (r, g)))
            .map(|key| (key, Rule::Fixed(Visibility::Withheld)))
            .collect();
        (
            Self {
                in_bulk: Visibility::Withheld,
                caps,
            },
            "every field group of a child under 14 withheld from every role".to_owned(),
        )
    }

    /// The cap on what `role` of `department` sees of a child's `group`.
    pub(super) fn cap(
        &self,
        role: Role,
        department: Option<Department>,
        group: FieldGroup,
        subject: Subject,
    ) -> Visibility {
        let single = self
            .caps
            .get(&(role, group))
            .map(|rule| rule.apply(group, department))
            .unwrap_or(Visibility::Read);
        match subject {
            Subject::Adult => Visibility::Read,
            Subject::Child => single,
            Subject::ChildInBulk => stricter(single, self.in_bulk),
        }
    }

    /// `[minors]` in words, for `cunhub policy check`.
    pub(super) fn describe(&self) -> String {
        let mut out = format!(
            "children under 14 (at most; the row applies where stricter)\n  in bulk {}\n",
            self.in_bulk.as_str()
        );
        for role in MATRIX_ROLES {
            let capped: Vec<String> = FieldGroup::ALL
                .into_iter()
                .filter_map(|g| {
                    self.caps
                        .get(&(role, g))
                        .map(|rule| format!("{} {}", g.as_str(), rule.describe()))
                })
                .collect();
            out.push_str(&format!(
                "  {:<22} {}\n",
                role.as_str(),
                if capped.is_empty() {
                    "as the row".to_owned()
                } else {
                    capped.join("; ")
                }
            ));
        }
        out
    }
}

/// Compiles `[minors]`; every matrix role needs a `[minors.roles.ROLE]` row (an empty one
/// leaves the role's row as it is), so that a forgotten role is a mistake.
pub(super) fn compile_minors(form: &MinorsForm, problems: &mut Vec<String>) -> Minors {
    let in_bulk = visibility_word(&form.in_bulk).unwrap_or_else(|why| {
        problems.push(format!("[minors] in_bulk: {why}"));
        Visibility::Withheld
    });
    let caps = compile_rows(
        "minors.roles",
        "not a role with a row of the matrix",
        &form.roles,
        problems,
    );
    for role in MATRIX_ROLES {
        if !form.roles.contains_key(role.as_str()) {
            problems.push(format!("[minors.roles.{}] is missing", role.as_str()));
        }
    }
    Minors { in_bulk, caps }
}

/// The stricter of two visibilities: read, masked, status only, certification date only,
/// withheld, from the most to the least shown.
pub(super) fn stricter(a: Visibility, b: Visibility) -> Visibility {
    let rank = |v: Visibility| match v {
        Visibility::Read => 0,
        Visibility::Masked => 1,
        Visibility::StatusOnly => 2,
        Visibility::CertificationDateOnly => 3,
        Visibility::Withheld => 4,
    };
    if rank(a) >= rank(b) { a } else { b }
}

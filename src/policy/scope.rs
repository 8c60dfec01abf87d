//! The `[scope]` section of a policy: the level(s) of the division tree each role's
//! `region` claim must name, checked at the edge (see `auth::ScopeLevels`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::auth::{Role, ScopeLevel, ScopeLevels};

/// One role's cell of `[scope]`: `"any"` or a list of levels.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum ScopeForm {
    Word(String),
    Levels(Vec<String>),
}

/// Compiles `[scope]`; every role needs a cell, so that a forgotten one is a mistake
/// rather than a role silently given any prefix.
pub(super) fn compile_scope(
    form: &BTreeMap<String, ScopeForm>,
    problems: &mut Vec<String>,
) -> ScopeLevels {
    let mut levels = ScopeLevels::any();
    for (role_name, cell) in form {
        let Some(role) = Role::parse(role_name) else {
            problems.push(format!("[scope] {role_name}: not a role"));
            continue;
        };
        match cell {
            ScopeForm::Word(word) if word == "any" => {}
            ScopeForm::Word(word) => problems.push(format!(
                "[scope] {role_name}: `{word}` is not \"any\" or a list of levels ({})",
                level_words()
            )),
            ScopeForm::Levels(words) => {
                let mut set = BTreeSet::new();
                for word in words {
                    match ScopeLevel::parse(word) {
                        Some(level) => {
                            set.insert(level);
                        }
                        None => problems.push(format!(
                            "[scope] {role_name}: `{word}` is not a level (use {})",
                            level_words()
                        )),
                    }
                }
                if words.is_empty() {
                    problems.push(format!(
                        "[scope] {role_name}: an empty list admits no token; name a level or \"any\""
                    ));
                }
                levels.restrict(role, set);
            }
        }
    }
    for role in Role::ALL {
        if !form.contains_key(role.as_str()) {
            problems.push(format!("[scope] lacks {}", role.as_str()));
        }
    }
    levels
}

fn level_words() -> String {
    ScopeLevel::ALL
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stand-in for a missing `[scope]`: the design's levels, each role bound to one
/// level at its narrowest (police to a township). The roles whose design scope is any
/// prefix keep it: a resident is scoped by their own ID number, dashboard, integrator and
/// auditor read no person, and an admin operates the whole hub.
pub(super) fn narrowest() -> (ScopeLevels, String) {
    let mut levels = ScopeLevels::any();
    levels.restrict(Role::VillageAssistant, [ScopeLevel::Village].into());
    levels.restrict(Role::TownshipOfficer, [ScopeLevel::Township].into());
    levels.restrict(Role::DepartmentClerk, [ScopeLevel::County].into());
    levels.restrict(Role::Police, [ScopeLevel::Township].into());
    let words = Role::ALL
        .iter()
        .map(|r| format!("{} {}", r.as_str(), levels.describe(*r)))
        .collect::<Vec<_>>()
        .join(", ");
    (levels, words)
}

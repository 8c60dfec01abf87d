//! The part of the schema one role can use (`cunhub schema --role ROLE`): the root fields
//! its token may call and every type they reach, so app developers and integrators see
//! their fields without trial and error.

use std::collections::{BTreeSet, HashMap, VecDeque};

use async_graphql::parser::{
    parse_schema,
    types::{BaseType, Type, TypeKind, TypeSystemDefinition},
};

use crate::{
    auth::Role,
    policy::{AlertAccess, Policy},
};

/// Root fields open to everyone, anonymous callers included.
const PUBLIC: &[&str] = &["region", "regions"];
/// Root fields that read residents.
const PERSONAL: &[&str] = &["resident", "residentByIdNumber", "residents", "household"];

/// Whether `role` (`None`: anonymous) may call the root field `name`.
fn allowed(role: Option<Role>, policy: &Policy, name: &str) -> bool {
    if PUBLIC.contains(&name) {
        return true;
    }
    let Some(role) = role else {
        return false;
    };
    let personal = !matches!(role, Role::Dashboard | Role::Integrator | Role::Auditor);
    match name {
        "residents" => personal && role != Role::Resident,
        _ if PERSONAL.contains(&name) => personal,
        "departmentHealth" => matches!(role, Role::Integrator | Role::Admin),
        "auditLog" => matches!(role, Role::Auditor | Role::Admin),
        "alerts" => policy.alert_access(role) != AlertAccess::None,
        _ => role == Role::Admin,
    }
}

/// The SDL of `full` cut down to what `role` can reach.
pub fn sdl_for_role(full: &str, role: Option<Role>, policy: &Policy) -> String {
    let Ok(document) = parse_schema(full) else {
        return full.to_owned();
    };
    let mut references: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut root_fields: Vec<String> = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let name = ty.node.name.node.to_string();
        let mut reached = BTreeSet::new();
        match &ty.node.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    if name == "Query" {
                        let field_name = field.node.name.node.to_string();
                        if !allowed(role, policy, &field_name) {
                            continue;
                        }
                        root_fields.push(field_name);
                    }
                    reached.insert(base_name(&field.node.ty.node));
                    for argument in &field.node.arguments {
                        reached.insert(base_name(&argument.node.ty.node));
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    reached.insert(base_name(&field.node.ty.node));
                }
            }
            _ => {}
        }
        references.insert(name, reached);
    }
    let mut keep: BTreeSet<String> = BTreeSet::from(["Query".to_owned()]);
    let mut queue: VecDeque<String> = VecDeque::from(["Query".to_owned()]);
    while let Some(name) = queue.pop_front() {
        for next in references.get(&name).into_iter().flatten() {
            if keep.insert(next.clone()) {
                queue.push_back(next.clone());
            }
        }
    }
    let mut out = String::new();
    for block in blocks(full) {
        let block = block.as_str();
        const KINDS: [&str; 8] = [
            "type ",
            "enum ",
            "input ",
            "scalar ",
            "interface ",
            "union ",
            "directive ",
            "schema",
        ];
        let Some(header) = block
            .lines()
            .find(|l| KINDS.iter().any(|k| l.starts_with(k)))
        else {
            continue;
        };
        let kept = match header.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["type", "Query", ..] => Some(query_block(block, &root_fields)),
            [kind, name, ..]
                if matches!(
                    *kind,
                    "type" | "enum" | "input" | "scalar" | "interface" | "union"
                ) =>
            {
                keep.contains(*name).then(|| block.to_owned())
            }
            _ => Some(block.to_owned()),
        };
        if let Some(text) = kept {
            out.push_str(text.trim_end());
            out.push_str("\n\n");
        }
    }
    out.trim_end().to_owned() + "\n"
}

// Top-level definitions are separated by blank lines; a description may hold one too.
fn blocks(sdl: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_description = false;
    for line in sdl.lines() {
        if line.trim().is_empty() && !in_description {
            if !current.trim().is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.trim_start().starts_with("\"\"\"") && line.trim() == "\"\"\"" {
            in_description = !in_description;
        }
        current.push_str(line);
        current.push('\n');
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

fn base_name(ty: &Type) -> String {
    match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => base_name(inner),
    }
}

// The Query block with only the allowed fields. A field is its description (between
// `"""` lines indented once) and its definition, whose first line is indented once.
fn query_block(block: &str, allowed: &[String]) -> String {
    let mut head = Vec::new();
    let mut fields: Vec<(Option<String>, Vec<&str>)> = Vec::new();
    let mut current: (Option<String>, Vec<&str>) = (None, Vec::new());
    let mut in_body = false;
    let mut in_description = false;
    for line in block.lines() {
        if !in_body {
            head.push(line);
            in_body = line.trim_end().ends_with('{');
            continue;
        }
        if line == "}" {
            break;
        }
        let first_level = line.starts_with('\t') && !line.starts_with("\t\t");
        if first_level && line.trim() == "\"\"\"" {
            if !in_description && current.0.is_some() {
                fields.push(std::mem::take(&mut current));
            }
            in_description = !in_description;
        } else if first_level && !in_description && current.0.is_none() {
            let name = line
                .trim_start()
                .split(['(', ':'])
                .next()
                .unwrap_or_default();
            current.0 = Some(name.to_owned());
        }
        current.1.push(line);
    }
    fields.push(current);
    let mut out = head.join("\n");
    for (name, lines) in fields {
        if name.is_some_and(|n| allowed.contains(&n)) {
            out.push('\n');
            out.push_str(&lines.join("\n"));
        }
    }
    out.push_str("\n}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role_sdl(role: Option<Role>) -> String {
        let policy = Policy::built_in().unwrap_or_else(|e| panic!("{e}"));
        sdl_for_role(&crate::graphql::sdl(), role, &policy)
    }

    #[test]
    fn anonymous_callers_see_the_division_tree_only() {
        let sdl = role_sdl(None);
        assert!(sdl.contains("regions("));
        assert!(!sdl.contains("residentByIdNumber"));
        assert!(!sdl.contains("type Resident "));
        assert!(sdl.contains("type Region "));
        if let Err(e) = async_graphql::parser::parse_schema(&sdl) {
            panic!("{e}\n{sdl}");
        }
    }

    #[test]
    fn integrators_see_department_health_and_no_residents() {
        let sdl = role_sdl(Some(Role::Integrator));
        assert!(sdl.contains("departmentHealth"));
        assert!(!sdl.contains("type Resident "));
        if let Err(e) = async_graphql::parser::parse_schema(&sdl) {
            panic!("{e}\n{sdl}");
        }
    }

    #[test]
    fn village_assistants_see_residents_and_their_types() {
        let sdl = role_sdl(Some(Role::VillageAssistant));
        assert!(sdl.contains("residentByIdNumber"));
        assert!(sdl.contains("type Resident "));
        assert!(sdl.contains("type MedicalInsurance "));
        assert!(!sdl.contains("departmentHealth"));
        assert!(!sdl.contains("type DepartmentHealth "));
        if let Err(e) = async_graphql::parser::parse_schema(&sdl) {
            panic!("{e}\n{sdl}");
        }
    }
}

//! The part of the schema one role can use (`cunhub schema --role ROLE`): the root fields
//! its token may call — queries, mutations and subscriptions, as the doors' own table
//! ([`ROOT_FIELDS`](super::doors::table::ROOT_FIELDS)) admits them under the policy — and
//! every type they reach, so app developers and integrators generate clients for exactly
//! what they can call.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use async_graphql::parser::{
    parse_schema,
    types::{BaseType, Type, TypeKind, TypeSystemDefinition},
};

use super::doors::table::{Root, door_of};
use crate::{auth::Role, policy::Policy};

fn root_of(type_name: &str) -> Option<Root> {
    match type_name {
        "Query" => Some(Root::Query),
        "Mutation" => Some(Root::Mutation),
        "Subscription" => Some(Root::Subscription),
        _ => None,
    }
}

/// The SDL of `full` cut down to what `role` (`None`: anonymous) can reach.
pub fn sdl_for_role(full: &str, role: Option<Role>, policy: &Policy) -> String {
    let Ok(document) = parse_schema(full) else {
        return full.to_owned();
    };
    let admitted = |root: Root, field: &str| {
        door_of(root, field).is_some_and(|door| door.admits(role, policy))
    };
    let mut references: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut root_fields: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let name = ty.node.name.node.to_string();
        let root = root_of(&name);
        let mut reached = BTreeSet::new();
        let (implements, fields) = match &ty.node.kind {
            TypeKind::Object(object) => (&object.implements, &object.fields),
            TypeKind::Interface(interface) => (&interface.implements, &interface.fields),
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    reached.insert(base_name(&field.node.ty.node));
                }
                references.insert(name, reached);
                continue;
            }
            TypeKind::Union(union) => {
                reached.extend(union.members.iter().map(|m| m.node.to_string()));
                references.insert(name, reached);
                continue;
            }
            _ => continue,
        };
        reached.extend(implements.iter().map(|i| i.node.to_string()));
        for field in fields {
            if let Some(root) = root {
                let field_name = field.node.name.node.to_string();
                if !admitted(root, &field_name) {
                    continue;
                }
                root_fields
                    .entry(root.type_name())
                    .or_default()
                    .push(field_name);
            }
            reached.insert(base_name(&field.node.ty.node));
            for argument in &field.node.arguments {
                reached.insert(base_name(&argument.node.ty.node));
            }
        }
        references.insert(name, reached);
    }
    let mut keep: BTreeSet<String> = root_fields.keys().map(|r| (*r).to_owned()).collect();
    let mut queue: VecDeque<String> = keep.iter().cloned().collect();
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
            ["type", name, ..] if root_of(name).is_some() => root_fields
                .get(*name)
                .map(|fields| root_block(block, fields)),
            [kind, name, ..]
                if matches!(
                    *kind,
                    "type" | "enum" | "input" | "scalar" | "interface" | "union"
                ) =>
            {
                keep.contains(*name).then(|| block.to_owned())
            }
            // The `schema { … }` block may follow the directives without a blank line.
            _ => Some(schema_block(block, &root_fields)),
        };
        if let Some(text) = kept {
            out.push_str(text.trim_end());
            out.push_str("\n\n");
        }
    }
    out.trim_end().to_owned() + "\n"
}

/// `block` with the lines of a `schema { … }` block naming a root type that kept no field
/// left out (`Query` stays: a schema needs one).
fn schema_block(block: &str, roots: &BTreeMap<&'static str, Vec<String>>) -> String {
    block
        .lines()
        .filter(|line| {
            let Some((operation, type_name)) = line.trim().split_once(':') else {
                return true;
            };
            let names_a_root = matches!(operation, "mutation" | "subscription");
            !names_a_root || roots.contains_key(type_name.trim())
        })
        .collect::<Vec<_>>()
        .join("\n")
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

// A root type's block with only the allowed fields. A field is its description (between
// `"""` lines indented once) and its definition, whose first line is indented once.
fn root_block(block: &str, allowed: &[String]) -> String {
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
    fn anonymous_callers_see_the_division_tree_and_the_catalogue_only() {
        let sdl = role_sdl(None);
        assert!(sdl.contains("regions("));
        assert!(sdl.contains("catalogue("));
        assert!(!sdl.contains("type Mutation"));
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
        // Nothing to change and nothing to follow: no mutation or subscription type.
        assert!(!sdl.contains("type Mutation"));
        assert!(!sdl.contains("type Subscription"));
        assert!(!sdl.contains("mutation: Mutation"));
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
        // Their work: opening requests, recording visits, following changes live.
        assert!(sdl.contains("openServiceRequest("));
        assert!(sdl.contains("recordVisit("));
        assert!(sdl.contains("serviceRequestChanged("));
        assert!(sdl.contains("subscription: Subscription"));
        // Not theirs: the catalogue's administration.
        assert!(!sdl.contains("addCatalogueItem("));
        // Every object type that implements Node keeps the interface it names.
        assert!(sdl.contains("interface Node"));
        if let Err(e) = async_graphql::parser::parse_schema(&sdl) {
            panic!("{e}\n{sdl}");
        }
    }
}

//! `cunhub schema [--role ROLE]`: the GraphQL schema, whole or as one role sees it.

use std::path::Path;

use crate::{auth::Role, graphql, policy::Policy};

/// Prints the schema; with `role`, only what that role can call under the policy in
/// `policy_file` (the built-in one without it).
pub fn run(role: Option<&str>, policy_file: Option<&Path>) -> Result<(), String> {
    let Some(role) = role else {
        print!("{}", graphql::sdl());
        return Ok(());
    };
    let role = match role {
        "anonymous" => None,
        name => Some(Role::parse(name).ok_or_else(|| format!("unknown role `{name}`"))?),
    };
    let policy = match policy_file {
        Some(path) => Policy::load(path).map_err(|e| e.to_string())?,
        None => Policy::built_in().map_err(|e| e.to_string())?,
    };
    print!(
        "{}",
        graphql::role_schema::sdl_for_role(&graphql::sdl(), role, &policy)
    );
    Ok(())
}

//! `cunhub token`: a development token signed with the configured HS256 secret.

use super::TokenArgs;
use crate::{
    auth::{Role, TokenRequest, mint_development_token, mint_development_token_for_client},
    config::Settings,
    domain::{Department, RegionCode},
    policy::Policy,
};

pub fn run(settings: &Settings, args: TokenArgs) -> Result<(), String> {
    let role = Role::parse(&args.role).ok_or_else(|| format!("unknown role `{}`", args.role))?;
    let region = RegionCode::parse(&args.region).map_err(|e| format!("--region: {e}"))?;
    let department = args
        .dept
        .as_deref()
        .map(|d| Department::parse(d).ok_or_else(|| format!("unknown department `{d}`")))
        .transpose()?;
    // A token the hub would refuse for its region's level is not minted either.
    let policy = match &settings.access.policy_file {
        Some(path) => Policy::load(path),
        None => Policy::built_in(),
    }
    .map_err(|e| e.to_string())?;
    policy
        .scope_levels()
        .check(role, &region)
        .map_err(|e| format!("--region: {e}"))?;
    let request = TokenRequest {
        subject: args.sub,
        role,
        region,
        department,
        id_number: args.id_number,
        ttl: args.ttl,
    };
    let token = match args.client.as_deref() {
        Some(client) => mint_development_token_for_client(&settings.auth, &request, client),
        None => mint_development_token(&settings.auth, &request),
    }
    .map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}

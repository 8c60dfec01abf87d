//! The command line: its clap types here, one file per command beside them.

pub mod audit;
pub mod demo;
pub mod departments;
pub mod keys;
pub mod migrate;
pub mod policy;
pub mod schema;
pub mod screen;
pub mod serve;
pub mod sim;
pub mod sync;
pub mod token;

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};

use crate::{
    config::{Overrides, Settings},
    startup,
    store::{self, Database},
};

/// cunhub: one permission-checked GraphQL view of every village resident of Jilin
/// Province, across medical insurance, social security, civil affairs and public security.
#[derive(Debug, Parser)]
#[command(name = "cunhub", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// A TOML settings file (see the README for every key).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (setting server.bind).
    #[arg(long, global = true, value_name = "HOST:PORT")]
    pub bind: Option<String>,
    /// The hub's database, sqlite://FILE?mode=rwc or postgres://... (setting database.url).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// An access policy file replacing the built-in matrix (setting access.policy_file).
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

impl GlobalArgs {
    /// The settings: defaults, the `--config` file, `CUNHUB_*`, then these flags.
    pub fn settings(&self) -> Result<Settings, String> {
        let overrides = Overrides {
            bind: self.bind.clone(),
            database_url: self.database_url.clone(),
            policy_file: self.policy.clone(),
        };
        Settings::load(self.config.as_deref(), &overrides).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub (migrates the database first).
    Serve,
    /// Bring the database schema up to date and load the division tree.
    Migrate,
    /// Print the GraphQL schema (SDL), or the part of it one role can use.
    Schema {
        /// Print only what a token of this role can call (`anonymous` for no token).
        #[arg(long)]
        role: Option<String>,
    },
    /// Mint a development token signed with the configured HS256 secret.
    Token(TokenArgs),
    /// Run the department simulators and the hub together on the embedded database.
    Demo(crate::demo::DemoArgs),
    /// Run the department simulators alone, for integrators to develop against.
    Sim(crate::sim::SimArgs),
    /// Pull household registration of a region into the resident index (resumable).
    Sync(SyncArgs),
    /// Work with access policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Work with department definition files.
    #[command(subcommand)]
    Departments(DepartmentsCommand),
    /// Run the cross-department checks over a region's residents and store the findings
    /// (resumable; within the configured share of each department).
    Screen(ScreenArgs),
    /// Work with the access log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Work with the keys that protect ID numbers.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Re-seal every resident's ID number under the current encryption key version and
    /// re-hash it under the current lookup key version (resumable; ids never change).
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Stop after this many residents; the next run continues.
    #[arg(long)]
    pub max_residents: Option<u64>,
    /// Residents per transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: u64,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The region to synchronise: a county (6 digits), township (9) or village (12).
    #[arg(long)]
    pub region: String,
}

#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// The region to screen: a code prefix, e.g. 22 (the province) or 220122 (a county).
    #[arg(long)]
    pub region: String,
    /// Stop after this many villages; the next run resumes there.
    #[arg(long)]
    pub max_villages: Option<u64>,
    /// Share the run with the other processes started with `--split` on the same
    /// database: each claims villages under a lease until none is left.
    #[arg(long, conflicts_with = "max_villages")]
    pub split: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file and print the matrix it gives, or explain every mistake.
    Check {
        /// The TOML policy file.
        file: PathBuf,
    },
    /// Print the built-in policy, as a starting point for a province's own file.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum DepartmentsCommand {
    /// Check a department definition and describe what it connects, or explain every
    /// mistake.
    Check {
        /// The TOML definition file.
        file: PathBuf,
    },
    /// Print a built-in definition (`jilin_veterans`, `jilin_health`,
    /// `jilin_rural_revitalization`), as a starting point for another system's file.
    Show {
        /// The definition's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain of the access log and name the first broken link.
    Verify,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// resident, village_assistant, township_officer, department_clerk, police,
    /// dashboard, integrator, auditor or admin.
    #[arg(long)]
    pub role: String,
    /// The region-scope prefix, e.g. 220122101201 (a village) or 220122 (a county).
    #[arg(long)]
    pub region: String,
    /// The department of a department_clerk or integrator, e.g. civil_affairs.
    #[arg(long)]
    pub dept: Option<String>,
    /// The resident's own ID number (resident tokens).
    #[arg(long)]
    pub id_number: Option<String>,
    /// The subject (user id); defaults to dev-ROLE.
    #[arg(long)]
    pub sub: Option<String>,
    /// The client application the token is issued to (its `azp` claim), whose requests
    /// count against the role's per-client limits.
    #[arg(long)]
    pub client: Option<String>,
    /// How long the token lives, e.g. 30m, 1h, 8h (at most `auth.max_token_lifetime`).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub ttl: Duration,
}

/// The hub's database, connected and prepared (migrations and reference data), for the
/// commands that work on it.
async fn prepared_database(settings: &Settings) -> Result<Database, String> {
    let db = store::connect(&settings.database)
        .await
        .map_err(|e| e.to_string())?;
    startup::prepare_database(&db)
        .await
        .map_err(|e| e.to_string())?;
    Ok(db)
}

/// A progress bar drawn with `template` (a plain bar should the template not parse).
fn progress_bar(template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

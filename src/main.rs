//! The `cunhub` binary: parses the command line and runs the command.

use std::process::ExitCode;

use clap::Parser;
use cunhub::cli::{self, AuditCommand, Cli, Command};

// Small allocations on many threads are most of what a request allocates; mimalloc serves
// them from per-thread pages without glibc's arena locks and returns memory sooner.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cunhub: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command; only those that need the settings load them.
async fn run(args: Cli) -> Result<(), String> {
    let global = args.global;
    match args.command {
        Command::Schema { role } => cli::schema::run(role.as_deref(), global.policy.as_deref()),
        Command::Sim(sim) => cli::sim::run(sim).await,
        Command::Policy(command) => cli::policy::run(command),
        Command::Departments(command) => cli::departments::run(command),
        Command::Serve => cli::serve::run(global.settings()?).await,
        Command::Migrate => cli::migrate::run(global.settings()?).await,
        Command::Token(token) => cli::token::run(&global.settings()?, token),
        Command::Audit(AuditCommand::Verify) => cli::audit::verify(global.settings()?).await,
        Command::Sync(sync) => cli::sync::run(global.settings()?, sync).await,
        Command::Screen(screen) => cli::screen::run(global.settings()?, screen).await,
        Command::Demo(demo) => cli::demo::run(global.settings()?, demo).await,
        Command::Keys(keys) => cli::keys::run(global.settings()?, keys).await,
    }
}

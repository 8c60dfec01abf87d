use std::process::ExitCode;

use clap::Parser;
use cunhub::{
    adapters::Departments,
    audit,
    auth::{Role, TokenRequest, mint_development_token},
    cli::{
        AuditCommand, Cli, Command, KeysCommand, PolicyCommand, ScreenArgs, SyncArgs, TokenArgs,
    },
    config::{Overrides, Settings},
    demo,
    domain::{Department, RegionCode},
    graphql,
    policy::Policy,
    sim,
    startup::Application,
    store::{self, id_vault::IdVault},
    telemetry,
};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cunhub: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Schema { role: None } => {
            print!("{}", graphql::sdl());
            return Ok(());
        }
        Command::Schema { role: Some(role) } => {
            let role = match role.as_str() {
                "anonymous" => None,
                name => Some(Role::parse(name).ok_or_else(|| format!("unknown role `{name}`"))?),
            };
            let policy = match &cli.policy {
                Some(path) => Policy::load(path).map_err(|e| e.to_string())?,
                None => Policy::built_in().map_err(|e| e.to_string())?,
            };
            print!(
                "{}",
                graphql::role_schema::sdl_for_role(&graphql::sdl(), role, &policy)
            );
            return Ok(());
        }
        Command::Sim(args) => return sim::run_cli(args).await.map_err(|e| e.to_string()),
        Command::Policy(PolicyCommand::Show) => {
            print!("{}", Policy::built_in_text());
            return Ok(());
        }
        Command::Policy(PolicyCommand::Check { file }) => {
            let policy = Policy::load(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            print!("{}: valid\n{}", file.display(), policy.describe());
            return Ok(());
        }
        _ => {}
    }
    let overrides = Overrides {
        bind: cli.bind.clone(),
        database_url: cli.database_url.clone(),
        policy_file: cli.policy.clone(),
    };
    let settings = Settings::load(cli.config.as_deref(), &overrides).map_err(|e| e.to_string())?;
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(settings).await,
        Command::Token(args) => token(&settings, args),
        Command::Audit(AuditCommand::Verify) => verify_audit(settings).await,
        Command::Keys(KeysCommand::Rotate(args)) => {
            telemetry::init(&settings.log);
            let options = store::rotate::RotateOptions {
                page_size: args.page_size,
                max_residents: args.max_residents,
            };
            cunhub::keys::rotate_command(&settings, &options).await
        }
        Command::Sync(args) => synchronise(settings, args).await,
        Command::Screen(args) => screen(settings, args).await,
        Command::Demo(args) => {
            let mut log = settings.log.clone();
            // The demo's own output is the guide; keep the servers' start-up chatter out.
            if log.level == "info" {
                log.level = "warn,cunhub=info,cunhub::http=warn".into();
            }
            telemetry::init(&log);
            demo::run(settings, args).await.map_err(|e| e.to_string())
        }
        Command::Schema { .. } | Command::Sim(_) | Command::Policy(_) => Ok(()),
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    // A hub that would accept tokens anyone can mint does not start (`cunhub demo` is
    // the way to run on the development secret).
    settings
        .check_production()
        .map_err(|e| format!("refusing to serve: {e}"))?;
    cunhub::keys::refuse_development_keys(&settings)
        .map_err(|e| format!("refusing to serve: {e}"))?;
    telemetry::init(&settings.log);
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(address = %app.address(), "cunhub is listening");
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

async fn migrate(settings: Settings) -> Result<(), String> {
    telemetry::init(&settings.log);
    let db = store::connect(&settings.database)
        .await
        .map_err(|e| e.to_string())?;
    let report = store::migrate(&db).await.map_err(|e| e.to_string())?;
    println!(
        "database is up to date; {} regions added",
        report.regions_added
    );
    Ok(())
}

async fn synchronise(settings: Settings, args: SyncArgs) -> Result<(), String> {
    telemetry::init(&settings.log);
    let region = RegionCode::parse(&args.region).map_err(|e| format!("--region: {e}"))?;
    let db = store::connect(&settings.database)
        .await
        .map_err(|e| e.to_string())?;
    store::migrate(&db).await.map_err(|e| e.to_string())?;
    let vault = IdVault::from_settings(&settings.privacy).map_err(|e| e.to_string())?;
    let departments = Departments::new(&settings.departments).map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos}/{len} residents [{bar:40}] {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = cunhub::sync::from_register(&db, &vault, &departments, &region, |seen, total| {
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(seen);
    })
    .await;
    bar.finish_and_clear();
    let report = report.map_err(|e| format!("{e} (run the same command again to resume)"))?;
    println!(
        "{region}: {} registrations seen{}; {} added, {} changed, {} moved out, {} deceased",
        report.seen,
        if report.resumed { " (resumed)" } else { "" },
        report.added,
        report.changed,
        report.moved_out,
        report.deceased
    );
    Ok(())
}

async fn screen(settings: Settings, args: ScreenArgs) -> Result<(), String> {
    telemetry::init(&settings.log);
    let region = RegionCode::parse(&args.region).map_err(|e| format!("--region: {e}"))?;
    let db = store::connect(&settings.database)
        .await
        .map_err(|e| e.to_string())?;
    store::migrate(&db).await.map_err(|e| e.to_string())?;
    let vault = IdVault::from_settings(&settings.privacy).map_err(|e| e.to_string())?;
    let departments = Departments::new(&settings.departments).map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos}/{len} villages [{bar:40}] {msg} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let screener = cunhub::screening::Screener {
        db: &db,
        vault: &vault,
        departments: &departments,
        department_settings: &settings.departments,
        settings: &settings.screening,
    };
    let options = cunhub::screening::RunOptions {
        max_villages: args.max_villages,
        today: None,
    };
    let report = screener
        .run(&region, &options, |p| {
            bar.set_length(p.villages_total);
            bar.set_position(p.villages_done);
            bar.set_message(format!("{} residents, {} alerts", p.residents, p.alerts));
        })
        .await;
    bar.finish_and_clear();
    let report = report.map_err(|e| format!("{e} (run the same command again to resume)"))?;
    println!("{}", cunhub::screening::summary(&report));
    Ok(())
}

async fn verify_audit(settings: Settings) -> Result<(), String> {
    let db = store::connect(&settings.database)
        .await
        .map_err(|e| e.to_string())?;
    store::migrate(&db).await.map_err(|e| e.to_string())?;
    let keys =
        audit::CheckpointKeyring::from_settings(&settings.audit).map_err(|e| e.to_string())?;
    let key = keys.current();
    if key.is_development() {
        eprintln!(
            "cunhub: warning: checking checkpoints with the development key; set audit.checkpoint_key"
        );
    }
    let report = audit::verify_with_keys(&db, &keys)
        .await
        .map_err(|e| e.to_string())?;
    let retired = keys.retired_versions();
    let versions = if retired.is_empty() {
        format!("key version {}", key.version())
    } else {
        let retired: Vec<String> = retired.iter().map(u32::to_string).collect();
        format!(
            "key version {}, retired versions {}",
            key.version(),
            retired.join(", ")
        )
    };
    match report.broken {
        None => {
            println!(
                "audit chain intact: {} records; {} checkpoints verify ({versions}), {} records after the newest checkpoint",
                report.records,
                report.checkpoints,
                report.unsigned_records()
            );
            Ok(())
        }
        Some(link) => match link.checkpoint {
            None => Err(format!(
                "audit chain broken at record {}: {} ({} records before it verify)",
                link.id, link.reason, report.records
            )),
            Some(_) => Err(format!(
                "audit checkpoint broken: {} ({} records verify as a chain, {} checkpoints before it verify)",
                link.reason, report.records, report.checkpoints
            )),
        },
    }
}

fn token(settings: &Settings, args: TokenArgs) -> Result<(), String> {
    let role = Role::parse(&args.role).ok_or_else(|| format!("unknown role `{}`", args.role))?;
    let region = RegionCode::parse(&args.region).map_err(|e| format!("--region: {e}"))?;
    let department = args
        .dept
        .as_deref()
        .map(|d| Department::parse(d).ok_or_else(|| format!("unknown department `{d}`")))
        .transpose()?;
    let request = TokenRequest {
        subject: args.sub,
        role,
        region,
        department,
        id_number: args.id_number,
        ttl: args.ttl,
    };
    let token = mint_development_token(&settings.auth, &request).map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}

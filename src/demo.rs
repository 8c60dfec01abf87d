//! `cunhub demo`: the four department simulators and the hub in one process, on the
//! embedded SQLite database. The hub answers within seconds; the population is
//! generated in the background, with its progress shown.

use std::time::Duration;

use crate::{
    auth::{Role, TokenRequest, mint_development_token},
    config::Settings,
    domain::{Department, RegionCode},
    sim::{self, GenOptions, SimCluster, SimOptions},
    startup::Application,
};

/// Arguments of `cunhub demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Region prefix of the demo population (default: 农安县).
    #[arg(long, default_value = "220122")]
    pub scope: String,
    /// Seed of the population generator.
    #[arg(long, default_value_t = sim::population::DEFAULT_SEED)]
    pub seed: u64,
    /// Average people per village or community.
    #[arg(long, default_value_t = 245)]
    pub people_per_village: u32,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("--scope: {0}")]
    Scope(#[from] crate::domain::RegionCodeError),
    #[error(transparent)]
    Startup(#[from] crate::startup::StartupError),
    #[error("token: {0}")]
    Token(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A village, township and county of the scope to scope the printed tokens to.
struct DemoPlaces {
    village: RegionCode,
    township: RegionCode,
    county: RegionCode,
}

pub async fn run(settings: Settings, args: DemoArgs) -> Result<(), DemoError> {
    let scope = RegionCode::parse(&args.scope)?;
    let places = places_in(&scope);
    let app = Application::build(settings.clone()).await?;
    let address = app.address();
    let server = tokio::spawn(app.run_until_stopped());

    let mut generation = GenOptions::new(scope.clone(), chrono::Local::now().date_naive());
    generation.seed = args.seed;
    generation.people_per_village = args.people_per_village.max(1);
    let (progress, simulators) = SimCluster::spawn(SimOptions::new(generation));

    println!("cunhub demo is running.\n");
    println!("  GraphiQL   http://{address}/graphiql");
    println!("  GraphQL    http://{address}/graphql");
    println!("  database   {}\n", settings.database.url);
    println!(
        "Development tokens (1 hour), scoped to real places of {}:",
        scope
    );
    for (role, region, department) in [
        (Role::VillageAssistant, &places.village, None),
        (Role::TownshipOfficer, &places.township, None),
        (
            Role::DepartmentClerk,
            &places.county,
            Some(Department::CivilAffairs),
        ),
        (Role::Police, &places.township, None),
        (Role::Admin, &RegionCode::parse("22")?, None),
    ] {
        let token = mint_development_token(
            &settings.auth,
            &TokenRequest {
                subject: Some(format!("demo-{role}")),
                role,
                region: region.clone(),
                department,
                id_number: None,
                ttl: Duration::from_secs(3600),
            },
        )?;
        println!("\n  {role} ({region}):\n  {token}");
    }
    println!("\nTry (anonymous; the division tree is public):");
    println!(
        "  curl -s http://{address}/graphql -H 'content-type: application/json' \\\n    -d '{{\"query\":\"{{ region(code: \\\"{}\\\") {{ name level parent {{ name }} children(first: 5) {{ nodes {{ code name level }} }} }} }}\"}}'\n",
        places.township
    );

    let reporter = tokio::spawn(async move {
        let mut last = (usize::MAX, 0);
        loop {
            let now = progress.get();
            if now != last && now.1 > 0 {
                eprintln!("population: {}/{} villages generated", now.0, now.1);
                last = now;
            }
            if now.1 > 0 && now.0 >= now.1 {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let cluster = match simulators.await {
        Ok(Ok(cluster)) => Some(cluster),
        Ok(Err(err)) => {
            eprintln!("the department simulators could not start: {err}");
            None
        }
        Err(err) => {
            eprintln!("the department simulators stopped: {err}");
            None
        }
    };
    reporter.abort();
    if let Some(cluster) = &cluster {
        println!("{}", sim::cli::summary(&cluster.population));
        println!("{}", sim::cli::banner(cluster));
    }
    let outcome = server.await;
    if let Some(cluster) = cluster {
        cluster.stop().await;
    }
    match outcome {
        Ok(result) => Ok(result?),
        Err(err) => Err(std::io::Error::other(err.to_string()).into()),
    }
}

// The first village of the scope, and its township and county (or the scope's own).
fn places_in(scope: &RegionCode) -> DemoPlaces {
    let village = crate::domain::divisions::all()
        .ok()
        .and_then(|all| {
            all.into_iter()
                .find(|d| d.level == crate::domain::RegionLevel::Village && scope.contains(&d.code))
                .map(|d| d.code)
        })
        .unwrap_or_else(|| scope.clone());
    let at_length = |len: usize| {
        RegionCode::parse(&village.as_str()[..len.min(village.as_str().len())])
            .unwrap_or_else(|_| scope.clone())
    };
    DemoPlaces {
        township: at_length(9),
        county: at_length(6),
        village,
    }
}

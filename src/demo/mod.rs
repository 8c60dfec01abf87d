//! `cunhub demo`: the seven department simulators and the hub in one process, on the
//! embedded SQLite database. The hub answers within seconds; the population is
//! generated in the background, with its progress shown. Unless told not to, it then
//! plays the village-services walkthrough (see [`walkthrough`]).

mod walkthrough;

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
    /// Do not play the village-services walkthrough once the first alerts are in.
    #[arg(long)]
    pub no_walkthrough: bool,
    /// Once the hub answers, write its addresses, the departments' addresses, a token for
    /// each role and the sample resident to this file as JSON, for scripts and client
    /// test suites that start the demo.
    #[arg(long)]
    pub ready_file: Option<std::path::PathBuf>,
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
    #[error("--ready-file: {0}")]
    ReadyFile(serde_json::Error),
    #[error("the department simulators could not start: {0}")]
    Simulators(String),
}

/// A village, township and county of the scope to scope the printed tokens to.
struct DemoPlaces {
    village: RegionCode,
    township: RegionCode,
    county: RegionCode,
}

pub async fn run(mut settings: Settings, args: DemoArgs) -> Result<(), DemoError> {
    let scope = RegionCode::parse(&args.scope)?;
    let places = places_in(&scope);

    // The population of a county takes a fraction of a second; the whole province a few.
    let mut generation = GenOptions::new(scope.clone(), chrono::Local::now().date_naive());
    generation.seed = args.seed;
    generation.people_per_village = args.people_per_village.max(1);
    let (progress, simulators) = SimCluster::spawn(SimOptions::new(generation));
    let reporter = tokio::spawn(async move {
        let mut last = (usize::MAX, 0);
        loop {
            let now = progress.get();
            if now != last && now.1 > 0 {
                eprintln!("population: {}/{} villages generated", now.0, now.1);
                last = now;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let cluster = simulators
        .await
        .map_err(|e| DemoError::Simulators(e.to_string()))?
        .map_err(|e| DemoError::Simulators(e.to_string()))?;
    reporter.abort();
    cluster.configure(&mut settings.departments);
    declare_capacity(&cluster, &mut settings);
    // The demo is for exploring: GraphiQL, introspection and suggestions stay on, and it
    // runs on the development secret so that the printed tokens work.
    settings.server.graphiql = true;
    settings.server.introspection = true;
    settings.server.suggestions = true;
    // Overdue steps are looked for often, so that an escalation shows within seconds.
    settings.workflow.overdue_check_interval = Duration::from_secs(10);
    // The dashboard follows the demo as it fills: a snapshot every minute (besides the
    // ones taken when synchronisation and screening finish), unless the settings say
    // otherwise.
    let statistics = &mut settings.statistics;
    if statistics.snapshot_interval
        == crate::statistics::StatisticsSettings::default().snapshot_interval
    {
        statistics.snapshot_interval = DEMO_SNAPSHOT_INTERVAL;
    }

    // No load balancer to drain from: Ctrl-C stops at once.
    settings.server.drain_delay = std::time::Duration::ZERO;
    let mut app = Application::build(settings.clone()).await?;
    let published = app.statistics();
    app.start_background_tasks();
    let address = app.address();
    let server = tokio::spawn(app.run_until_stopped());
    let guide = print_guide(&settings, &cluster, &places, &scope, address)?;
    if let Some(path) = &args.ready_file {
        write_ready_file(path, &guide, &cluster, &places, address)?;
    }

    // The resident index fills in the background; the hub answers meanwhile.
    let sync_settings = settings.clone();
    let sync_scope = scope.clone();
    let village = places.village.clone();
    tokio::spawn(async move {
        if let Err(err) = background_sync(sync_settings, sync_scope, village, published).await {
            eprintln!("resident index: {err}");
        }
    });

    if !args.no_walkthrough {
        let settings = settings.clone();
        let (village, township, county) = (
            places.village.clone(),
            places.township.clone(),
            places.county.clone(),
        );
        tokio::spawn(async move {
            let stage = walkthrough::Stage {
                settings: &settings,
                address,
                village,
                township,
                county,
            };
            if let Err(err) = walkthrough::run(stage).await {
                eprintln!("walkthrough stopped: {err}");
            }
        });
    }

    let outcome = server.await;
    cluster.stop().await;
    match outcome {
        Ok(result) => Ok(result?),
        Err(err) => Err(std::io::Error::other(err.to_string()).into()),
    }
}

/// Calls in flight the demo's medical insurance simulator takes (the real platform's
/// default is 16); the hub bounds all its callers to the same, and a screening run takes
/// its share of it.
const DEMO_MEDICAL_IN_FLIGHT: u32 = 32;
/// Calls a second a demo screening run may make to each department. The simulators set
/// no rate limit of their own and answer on this machine, so the production default
/// (sized for real departments) would only make the demo wait.
const DEMO_SCREENING_RATE: f64 = 5000.0;
/// How often the demo takes a statistics snapshot (the production default is hourly).
const DEMO_SNAPSHOT_INTERVAL: Duration = Duration::from_secs(60);

/// The capacity the demo declares for its simulators, unless the settings say otherwise:
/// the medical simulator's calls in flight, the hub's bound on them, and the screening
/// run's rate cap. The run still keeps to its share, so interactive calls keep room.
fn declare_capacity(cluster: &SimCluster, settings: &mut Settings) {
    let medical = &mut settings.departments.medical_insurance;
    let in_flight = *medical.max_in_flight.get_or_insert(DEMO_MEDICAL_IN_FLIGHT);
    if let Some(knobs) = cluster.knobs(sim::Department::MedicalInsurance) {
        let mut declared = knobs.get();
        declared.max_in_flight = in_flight;
        knobs.set(declared);
    }
    let screening = &mut settings.screening;
    if screening.rate_per_sec == crate::screening::ScreeningSettings::default().rate_per_sec {
        screening.rate_per_sec = DEMO_SCREENING_RATE;
    }
}

async fn background_sync(
    settings: Settings,
    scope: RegionCode,
    village: RegionCode,
    published: crate::statistics::Published,
) -> Result<(), String> {
    let db = crate::store::connect(&settings.database)
        .await
        .map_err(|e| e.to_string())?;
    let vault = crate::store::id_vault::IdVault::from_settings(&settings.privacy)
        .map_err(|e| e.to_string())?;
    let departments =
        crate::adapters::Departments::new(&settings.departments).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let mut last_report = std::time::Instant::now();
    let report = crate::sync::from_register(&db, &vault, &departments, &scope, |seen, total| {
        if last_report.elapsed() >= Duration::from_secs(2) {
            last_report = std::time::Instant::now();
            eprintln!(
                "resident index: {seen}/{} registrations",
                total.unwrap_or_default()
            );
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    eprintln!(
        "resident index ready: {} registrations in {:.1} s ({} added, {} changed, {} moved out, {} deceased)",
        report.seen,
        started.elapsed().as_secs_f64(),
        report.added,
        report.changed,
        report.moved_out,
        report.deceased
    );
    // The population figures are in the rollups now: publish them at once, so that the
    // dashboard shows figures without waiting for the next scheduled snapshot.
    let threshold = settings.statistics.threshold;
    snapshot(&published, &db, threshold, "after synchronisation").await;
    match seed_overdue_request(&db, &village).await {
        Ok(id) => eprintln!(
            "service request {id}: reported a week ago in {village} and never accepted; the overdue sweep escalates it within seconds"
        ),
        Err(err) => eprintln!("service requests: {err}"),
    }
    // Then the cross-department checks of the whole scope; alerts appear village by village.
    let screening = crate::screening::Background {
        db: db.clone(),
        vault: std::sync::Arc::new(vault),
        departments: std::sync::Arc::new(departments),
        department_settings: settings.departments.clone(),
        settings: settings.screening.clone(),
    };
    eprintln!("screening {scope}: alerts appear as villages are done");
    match screening.run_once(&scope).await {
        Ok(report) => eprintln!("{}", crate::screening::summary(&report)),
        Err(err) => eprintln!("screening: {err}"),
    }
    snapshot(&published, &db, threshold, "after screening").await;
    Ok(())
}

async fn snapshot(
    published: &crate::statistics::Published,
    db: &sea_orm::DatabaseConnection,
    threshold: i64,
    when: &str,
) {
    let started = std::time::Instant::now();
    match published.take(db, threshold, chrono::Utc::now()).await {
        Ok(_) => eprintln!(
            "statistics snapshot {when}: taken in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
        Err(err) => eprintln!("statistics snapshot {when}: {err}"),
    }
}

/// A request the demo village reported a week ago and the township never accepted: its
/// history is written as of then, so the running hub finds the step overdue and escalates
/// it on its own. Idempotent across demo runs on the same database.
async fn seed_overdue_request(
    db: &sea_orm::DatabaseConnection,
    village: &RegionCode,
) -> Result<String, String> {
    use crate::{
        auth::Principal,
        store::residents::{self, IndexStatus, ResidentFilter},
        workflow::{Clock, OpenRequest, Workflow, catalogue::Mode, lifecycle::StepLimits},
    };
    let filter = ResidentFilter {
        region_prefix: village.as_str().to_owned(),
        status: Some(IndexStatus::Normal),
        ..ResidentFilter::default()
    };
    let (found, _) = residents::page(db, &filter, None, 1)
        .await
        .map_err(|e| e.to_string())?;
    let resident = found
        .into_iter()
        .next()
        .ok_or_else(|| format!("no resident in {village} to report a need for"))?;
    let a_week_ago = Clock::system();
    a_week_ago.advance(-chrono::Duration::days(7));
    let policy = crate::policy::Policy::built_in().map_err(|e| e.to_string())?;
    let history = Workflow::new(
        db.clone(),
        std::sync::Arc::new(policy),
        a_week_ago,
        StepLimits::default(),
    );
    let assistant = Principal {
        subject: format!("demo-{}", Role::VillageAssistant),
        role: Role::VillageAssistant,
        region: village.clone(),
        department: None,
        id_number: None,
        client: None,
    };
    let request = OpenRequest {
        resident_id: resident.id,
        catalogue_code: "JL-MZ-006".into(),
        mode: Mode::InVillage,
        description: "高龄津贴申领: reported a week ago, still waiting for the township".into(),
        authorisation: None,
        alert_id: None,
        visit_id: None,
    };
    let done = history
        .open(&assistant, request, "demo-seed-overdue-request-1")
        .await
        .map_err(|e| e.to_string())?;
    Ok(done.value.id)
}

/// What the printed guide hands out: a token for each role and the sample resident.
struct Guide {
    tokens: Vec<(Role, String)>,
    sample_id_number: String,
}

fn print_guide(
    settings: &Settings,
    cluster: &SimCluster,
    places: &DemoPlaces,
    scope: &RegionCode,
    address: std::net::SocketAddr,
) -> Result<Guide, DemoError> {
    println!("{}", sim::cli::summary(&cluster.population));
    println!("{}", sim::cli::banner(cluster));
    println!("cunhub demo is running.\n");
    println!("  GraphiQL   http://{address}/graphiql");
    if settings.server.dashboard {
        println!(
            "  Dashboard  http://{address}/dashboard#{scope}   (paste the dashboard token below)"
        );
    }
    let village = places.village.as_str();
    println!(
        "  Services   http://{address}/villages/{village}/services   (the first village's public service list, for a phone)"
    );
    println!(
        "  Poster     http://{address}/villages/{village}/poster   (its A4 poster for the notice board, with a QR code of the list)"
    );
    println!("  GraphQL    http://{address}/graphql");
    println!("  database   {}\n", settings.database.url);
    // A villager of the demo village, for the sample queries and the resident's token.
    let population = &cluster.population;
    // Preferably one all seven departments know, so each role's row of the matrix shows.
    let in_village = |p: &&crate::sim::population::Person| {
        p.is_normal() && population.village_of(p).code == places.village
    };
    let known_by = |p: &crate::sim::population::Person| {
        [
            !p.assistance.is_empty(),
            p.social.is_some(),
            p.medical.is_some(),
            p.veteran.is_some(),
            p.doctor.is_some(),
            p.poverty.is_some(),
        ]
        .into_iter()
        .filter(|known| *known)
        .count()
    };
    let sample = population
        .people
        .iter()
        .filter(in_village)
        .max_by_key(|p| known_by(p))
        .or_else(|| population.people.iter().find(|p| p.is_normal()));
    let sample_id = sample
        .map(|p| p.id_number.as_str().to_owned())
        .unwrap_or_default();
    let view = |id: &str| {
        format!(
            r#"residentByIdNumber(idNumber: "{id}") {{ name idNumber phone medicalInsurance {{ enrolments {{ scheme status accountBalance }} freshness {{ source }} }} pension {{ monthlyAmount lastCertifiedOn }} assistance {{ programmes {{ programme status monthlyAmount }} }} householdRegistration {{ status registeredAddress idCard {{ expired }} }} veteran {{ category preferentialCard {{ status }} inDifficulty }} familyDoctor {{ status servicePackage clinic {{ name }} }} povertyMonitoring {{ kind risk riskEliminated }} disclosure {{ group disclosure }} }}"#
        )
    };
    let person = view(&sample_id);
    // The admin's sample: a resident of the whole scope whom all seven departments know.
    let everywhere = population
        .people
        .iter()
        .filter(|p| p.is_normal())
        .max_by_key(|p| known_by(p))
        .map_or_else(|| sample_id.clone(), |p| p.id_number.as_str().to_owned());
    let seven = view(&everywhere);
    let county = &places.county;
    println!(
        "Development tokens (1 hour) for each role, scoped to real places of {scope}, each with a query"
    );
    println!(
        "to paste into GraphiQL (set the headers `Authorization: Bearer TOKEN` and `X-Purpose: SERVICE_HANDLING`):"
    );
    let roles: [(Role, RegionCode, Option<Department>, String); 9] = [
        (Role::Resident, places.village.clone(), None, format!("{{ {person} }}")),
        (Role::VillageAssistant, places.village.clone(), None, format!("{{ {person} }}")),
        (Role::TownshipOfficer, places.township.clone(), None, format!("{{ {person} }}")),
        (Role::DepartmentClerk, county.clone(), Some(Department::CivilAffairs), format!("{{ {person} }}")),
        (Role::Police, places.township.clone(), None, format!("{{ {person} }}")),
        (Role::Dashboard, RegionCode::parse("22")?, None, format!("{{ region(code: \"{county}\") {{ name children {{ totalCount }} }} }}")),
        (Role::Integrator, county.clone(), Some(Department::PublicSecurity), "{ departmentHealth { department breaker latencyP50Ms errors rateLimited lastSuccess } }".to_owned()),
        (Role::Auditor, RegionCode::parse("22")?, None, "{ auditLog(first: 5) { nodes { recordedAt subject role purpose action target outcome } } }".to_owned()),
        (Role::Admin, RegionCode::parse("22")?, None, format!("{{ {seven} }}")),
    ];
    let mut assistant_token = String::new();
    let mut tokens = Vec::new();
    for (role, region, department, query) in roles {
        let token = mint_development_token(
            &settings.auth,
            &TokenRequest {
                subject: Some(format!("demo-{role}")),
                role,
                region: region.clone(),
                department,
                id_number: (role == Role::Resident).then(|| sample_id.clone()),
                ttl: Duration::from_secs(3600),
            },
        )?;
        let department = department.map(|d| format!(", {d}")).unwrap_or_default();
        println!("\n  {role} ({region}{department})\n    token  {token}\n    query  {query}");
        if role == Role::VillageAssistant {
            assistant_token = token.clone();
        }
        tokens.push((role, token));
    }
    if settings.server.dashboard
        && let Some((_, token)) = tokens.iter().find(|(role, _)| *role == Role::Dashboard)
    {
        println!(
            "\nThe dashboard: open http://{address}/dashboard#{scope} and paste this dashboard token (kept for the browser session):\n  {token}"
        );
    }
    println!(
        "\nThe same from a terminal, as the village assistant (the resident index fills within seconds):"
    );
    println!(
        "  curl -s http://{address}/graphql -H 'content-type: application/json' -H 'X-Purpose: SERVICE_HANDLING' \\\n    -H 'authorization: Bearer {assistant_token}' \\\n    -d '{{\"query\":\"{{ residents(region: \\\"{}\\\", first: 3) {{ nodes {{ name age idNumber medicalInsurance {{ enrolments {{ scheme status }} freshness {{ source }} }} }} }} }}\"}}'\n",
        places.village
    );
    Ok(Guide {
        tokens,
        sample_id_number: sample_id,
    })
}

/// Writes the `--ready-file`: written whole to a temporary name, then renamed, so a
/// reader polling for it never sees half of it.
fn write_ready_file(
    path: &std::path::Path,
    guide: &Guide,
    cluster: &SimCluster,
    places: &DemoPlaces,
    address: std::net::SocketAddr,
) -> Result<(), DemoError> {
    let tokens: serde_json::Map<String, serde_json::Value> = guide
        .tokens
        .iter()
        .map(|(role, token)| (role.to_string(), token.clone().into()))
        .collect();
    let departments: serde_json::Map<String, serde_json::Value> = cluster
        .departments
        .iter()
        .map(|sim| {
            (
                sim.department.code().to_owned(),
                sim.base_url.clone().into(),
            )
        })
        .collect();
    let ready = serde_json::json!({
        "url": format!("http://{address}"),
        "graphql": format!("http://{address}/graphql"),
        "ws": format!("ws://{address}/graphql"),
        "tokens": tokens,
        "departments": departments,
        "sampleIdNumber": guide.sample_id_number,
        "village": places.village.as_str(),
        "township": places.township.as_str(),
        "county": places.county.as_str(),
    });
    let text = serde_json::to_string_pretty(&ready).map_err(DemoError::ReadyFile)?;
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)?;
    Ok(())
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

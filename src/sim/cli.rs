//! `cunhub sim`: run the simulators alone for integrators, or measure generation.

use std::net::IpAddr;
use std::time::Instant;

use chrono::NaiveDate;

use super::cluster::{SimCluster, SimOptions};
use super::knobs::{Knobs, Outage};
use super::population::{DEFAULT_SEED, GenOptions, Population, Registration};
use super::truth::FaultRates;
use super::{Department, SimError};
use crate::domain::RegionCode;

/// Arguments of `cunhub sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Department to run (repeatable); all four when omitted.
    #[arg(long = "department", value_enum)]
    pub departments: Vec<Department>,
    /// Region prefix of the population: 22 province, 2201 city, 220122 county, …
    #[arg(long, default_value = "220122")]
    pub scope: String,
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Average people per village or community (each draws 70–130 % of it).
    #[arg(long, default_value_t = 245)]
    pub people_per_village: u32,
    /// The date the population is generated for (YYYY-MM-DD); today by default.
    #[arg(long)]
    pub today: Option<NaiveDate>,
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// First port (medical; social +1, civil +2, police +3); free ports when omitted.
    #[arg(long)]
    pub port_base: Option<u16>,
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Fixed latency of every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency: u64,
    /// Random extra latency up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter: u64,
    /// Share of calls answered with the department's failure (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Requests per second per department before 429 (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    pub rate_limit: u32,
    /// Calls in flight per department before "busy" answers.
    #[arg(long, default_value_t = 16)]
    pub max_in_flight: u32,
    /// Start with every department down in this way.
    #[arg(long, value_enum, default_value_t = Outage::None)]
    pub outage: Outage,
    /// Share of answers cut in half (invalid JSON or XML), 0..1.
    #[arg(long, default_value_t = 0.0)]
    pub garbage_rate: f64,
    /// Lifetime of public security's access tokens, in seconds.
    #[arg(long, default_value_t = 300)]
    pub token_ttl: u64,
    #[arg(long, default_value = super::social::DEFAULT_API_KEY)]
    pub api_key: String,
    #[arg(long, default_value = "cunhub")]
    pub client_id: String,
    #[arg(long, default_value = "cunhub-sim-police-secret")]
    pub client_secret: String,
    /// Only generate the population and report its size, time and peak memory.
    #[arg(long)]
    pub generate_only: bool,
}

impl SimArgs {
    /// The cluster options these arguments describe.
    pub fn options(&self) -> Result<SimOptions, SimError> {
        let today = self
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let mut generation = GenOptions::new(RegionCode::parse(&self.scope)?, today);
        generation.seed = self.seed;
        generation.people_per_village = self.people_per_village.max(1);
        generation.rates = FaultRates::default();
        let mut options = SimOptions::new(generation);
        if !self.departments.is_empty() {
            options.departments = self.departments.clone();
        }
        options.host = self.host;
        options.base_port = self.port_base;
        options.workers = self.workers.max(1);
        options.knobs = Some(Knobs {
            latency_ms: self.latency,
            jitter_ms: self.jitter,
            error_rate: self.error_rate,
            rate_limit_per_sec: self.rate_limit,
            max_in_flight: self.max_in_flight,
            outage: self.outage,
            garbage_rate: self.garbage_rate,
        });
        options.social_api_key = self.api_key.clone();
        options.police_auth.client_id = self.client_id.clone();
        options.police_auth.client_secret = self.client_secret.clone();
        options.police_auth.token_ttl = std::time::Duration::from_secs(self.token_ttl.max(1));
        Ok(options)
    }
}

/// Runs `cunhub sim`: generates, starts the departments, prints how to reach them, and
/// waits for Ctrl-C (or, with `--generate-only`, prints the generation figures).
pub async fn run_cli(args: SimArgs) -> Result<(), SimError> {
    let options = args.options()?;
    let generation = options.generation.clone();
    let started = Instant::now();
    let population = tokio::task::spawn_blocking(move || {
        let mut last = Instant::now();
        Population::generate_with_progress(generation, &mut |done, total| {
            if last.elapsed().as_secs() >= 2 {
                last = Instant::now();
                eprintln!("generating: {done}/{total} villages");
            }
        })
    })
    .await??;
    let elapsed = started.elapsed();
    println!("{}", summary(&population));
    println!("generated in {:.2} s", elapsed.as_secs_f64());
    if let Some(peak) = peak_memory_kib() {
        println!("peak resident memory: {:.1} MiB", peak as f64 / 1024.0);
    }
    if args.generate_only {
        return Ok(());
    }
    let cluster = SimCluster::start_with(options, std::sync::Arc::new(population))?;
    println!("{}", banner(&cluster));
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    cluster.stop().await;
    Ok(())
}

/// People, households, villages, statuses and planted faults of a population.
pub fn summary(population: &Population) -> String {
    let dead = population
        .people
        .iter()
        .filter(|p| matches!(p.registration, Registration::Deceased(_)))
        .count();
    let moved = population
        .people
        .iter()
        .filter(|p| matches!(p.registration, Registration::MovedOut(_)))
        .count();
    let mut text = format!(
        "scope {}: {} people in {} households, {} villages and communities ({} deceased, {} moved out)\nplanted faults:",
        population.options.scope,
        population.people.len(),
        population.households.len(),
        population.villages.len(),
        dead,
        moved
    );
    for (kind, count) in population.planted_counts() {
        text.push_str(&format!("\n  {:<30} {count}", kind.code()));
    }
    text
}

/// VmHWM of this process in KiB (Linux only).
pub fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Addresses, credentials and a curl example per department, for one real person.
pub fn banner(cluster: &SimCluster) -> String {
    let population = &cluster.population;
    let person = population
        .people
        .iter()
        .find(|p| {
            p.is_normal() && p.medical.is_some() && p.social.is_some() && !p.assistance.is_empty()
        })
        .or_else(|| population.people.first());
    let id = person.map(|p| p.id_number.to_string()).unwrap_or_default();
    let name = person.map(|p| p.name.to_string()).unwrap_or_default();
    let village = person
        .map(|p| population.village_of(p).code.to_string())
        .unwrap_or_default();
    let county = village.get(..6).unwrap_or("220122").to_owned();
    let creds = &cluster.credentials;
    let mut text = format!("example person: {name} {id} (village {village})\n");
    for sim in &cluster.departments {
        let url = &sim.base_url;
        let example = match sim.department {
            Department::MedicalInsurance => format!(
                "curl -s -X POST {url}/fsi/api/rsfComIfsService/callService -H 'Content-Type: application/json' \\\n  -d '{{\"infno\":\"1101\",\"msgid\":\"CUNHUB20260101120000000001\",\"mdtrtarea_admvs\":\"{county}\",\"recer_sys_code\":\"CUNHUB\",\"infver\":\"V1.0\",\"opter_type\":\"1\",\"opter\":\"cunhub\",\"opter_name\":\"cunhub\",\"inf_time\":\"2026-01-01 12:00:00\",\"sign_no\":\"\",\"input\":{{\"data\":{{\"psn_cert_type\":\"01\",\"certno\":\"{id}\",\"psn_name\":\"\"}}}}}}'"
            ),
            Department::SocialSecurity => format!(
                "curl -s -H 'X-Api-Key: {}' {url}/api/v1/persons/{id}/insurances",
                creds.social_api_key
            ),
            Department::CivilAffairs => format!(
                "curl -s -X POST {url}/services/AssistanceService -H 'Content-Type: text/xml; charset=GBK' -H 'SOAPAction: \"QueryAssistanceByIdCard\"' \\\n  --data '<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:as=\"http://mz.jl.gov.cn/assistance\"><soap:Body><as:QueryAssistanceByIdCard><as:IdCard>{id}</as:IdCard></as:QueryAssistanceByIdCard></soap:Body></soap:Envelope>' | iconv -f GBK -t UTF-8"
            ),
            Department::PublicSecurity => format!(
                "TOKEN=$(curl -s -X POST {url}/oauth/token -d grant_type=client_credentials -d client_id={} -d client_secret={} | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')\ncurl -s -H \"Authorization: Bearer $TOKEN\" '{url}/hjxx/v2/persons?sfzh={id}'",
                creds.police_client_id, creds.police_client_secret
            ),
            Department::VeteransAffairs => format!(
                "curl -s -H 'X-App-Key: {}' '{url}/vet/api/persons?idCard={id}'",
                creds.veterans_app_key
            ),
            Department::Health => format!(
                "TOKEN=$(curl -s -X POST -u {}:{} {url}/oauth2/token -d grant_type=client_credentials | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')\ncurl -s -H \"Authorization: Bearer $TOKEN\" '{url}/fhir/Patient?identifier=urn:oid:2.16.156.10011.1.1|{id}'",
                creds.health_client_id, creds.health_client_secret
            ),
            Department::Agriculture => format!(
                "every request is signed (HMAC-SM3, see src/sim/README.md): app {}",
                creds.rural_app_id
            ),
        };
        text.push_str(&format!(
            "\n{} at {url}  (knobs: {url}/__sim/knobs, stats: {url}/__sim/stats)\n{example}\n",
            sim.department.code()
        ));
    }
    text.push_str(&format!(
        "\ncredentials: social X-Api-Key {}; police client {} / {}; veterans X-App-Key {}; health client {} / {}; rural revitalisation app {} / {}\nCtrl-C stops.",
        creds.social_api_key,
        creds.police_client_id,
        creds.police_client_secret,
        creds.veterans_app_key,
        creds.health_client_id,
        creds.health_client_secret,
        creds.rural_app_id,
        creds.rural_app_secret
    ));
    text
}

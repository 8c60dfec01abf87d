use clap::Parser;
use cunhub::sim::{Department, SimArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[test]
fn sim_arguments_parse_with_defaults() {
    let cli = Cli::try_parse_from(["cunhub"]).unwrap();
    assert!(cli.sim.departments.is_empty());
    assert_eq!(cli.sim.scope, "220122");
    let options = cli.sim.options().unwrap();
    assert_eq!(options.departments, Department::ALL.to_vec());
    assert_eq!(options.generation.people_per_village, 245);

    let cli = Cli::try_parse_from([
        "cunhub",
        "--department",
        "medical",
        "--department",
        "police",
        "--scope",
        "22",
        "--seed",
        "7",
        "--today",
        "2026-06-30",
        "--latency",
        "20",
        "--token-ttl",
        "2",
        "--outage",
        "hang",
        "--garbage-rate",
        "0.5",
        "--generate-only",
    ])
    .unwrap();
    let options = cli.sim.options().unwrap();
    assert_eq!(
        options.departments,
        vec![Department::MedicalInsurance, Department::PublicSecurity]
    );
    assert_eq!(options.generation.seed, 7);
    let knobs = options.knobs.unwrap();
    assert_eq!(knobs.latency_ms, 20);
    assert_eq!(knobs.outage, cunhub::sim::Outage::Hang);
    assert_eq!(knobs.garbage_rate, 0.5);
    assert_eq!(options.police_auth.token_ttl.as_secs(), 2);
    assert!(cli.sim.generate_only);
    assert!(Cli::try_parse_from(["cunhub", "--department", "tax"]).is_err());
    let bad_scope = Cli::try_parse_from(["cunhub", "--scope", "22x"]).unwrap();
    assert!(bad_scope.sim.options().is_err());
}

#[tokio::test]
async fn the_banner_names_every_address_and_credential() {
    let cluster = crate::helpers::spawn().await;
    let banner = cunhub::sim::cli::banner(&cluster);
    for sim in &cluster.departments {
        assert!(banner.contains(&sim.base_url), "{banner}");
    }
    assert!(banner.contains(&cluster.credentials.social_api_key));
    assert!(banner.contains(&cluster.credentials.police_client_secret));
    assert!(banner.contains("iconv -f GBK"));
    cluster.stop().await;
}

#[tokio::test]
async fn generate_only_returns_after_the_figures() {
    let cli = Cli::try_parse_from([
        "cunhub",
        "--scope",
        "220122101",
        "--people-per-village",
        "20",
        "--generate-only",
    ])
    .unwrap();
    cunhub::sim::run_cli(cli.sim).await.unwrap();
}

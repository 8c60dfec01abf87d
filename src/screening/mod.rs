//! Screening: the cross-department checks of DOMAIN.md ("policy finds the person"),
//! computed live for one resident ([`rules`]) and region-wide by resumable background
//! runs ([`Screener`]) that store their findings with the time of the run and keep to a
//! share of each department's capacity ([`fair`]); and what the village or township did
//! about each alert ([`follow_up`], [`alert_actions`]). A run also counts how far the
//! departments' services reach each village ([`coverage`]) for the statistics. Owns the tables `alert`,
//! `screening_run` ([`findings`]), `screening_item` (`split`: a run's villages as work items
//! that several instances share) and `alert_follow_up` ([`follow_up`]).

pub mod access;
pub mod alert_actions;
pub mod coverage;
pub mod fair;
pub mod findings;
pub mod follow_up;
pub mod rules;
mod run;
pub mod schedule;
mod settings;
mod split;
pub mod village;

pub use access::AlertScope;
pub use rules::{AlertKind, Fact, Finding};
pub use run::{Progress, RunOptions, ScreenError, ScreenReport, Screener};
pub use schedule::Background;
pub use settings::ScreeningSettings;

/// A run's report as the command line prints it: counts, then each department's rate
/// and calls in flight against what the run was allowed.
pub fn summary(report: &ScreenReport) -> String {
    let mut text = format!(
        "{}: {} villages, {} residents screened, {} alerts{}{} in {:.1} s",
        report.region,
        report.villages,
        report.residents,
        report.alerts,
        if report.resumed { " (resumed)" } else { "" },
        if report.finished {
            ""
        } else {
            " — stopped early; run again to resume"
        },
        report.elapsed.as_secs_f64()
    );
    for lane in &report.lanes {
        let allowed = lane
            .allowed_per_sec
            .map_or_else(|| "uncapped".to_owned(), |r| format!("{r:.0}/s allowed"));
        text.push_str(&format!(
            "\n  {:<18} {:>8} calls {:>9} persons {:>8.1} calls/s ({allowed}, {:.0} %)  in flight {:.1} on average, at most {}, of {} allowed  backoffs {}  uses {:.0} % of its allowance",
            lane.department.as_str(),
            lane.calls,
            lane.persons,
            lane.calls_per_sec,
            lane.allowed_per_sec
                .map_or(0.0, |r| 100.0 * lane.calls_per_sec / r),
            lane.mean_in_flight,
            lane.peak_in_flight,
            lane.allowed_in_flight,
            lane.backoffs,
            100.0 * lane.use_of_allowance()
        ));
    }
    text
}

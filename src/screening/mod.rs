//! Screening: the cross-department checks of DOMAIN.md ("policy finds the person"),
//! computed live for one resident ([`rules`]) and region-wide by resumable background
//! runs ([`Screener`]) that store their findings with the time of the run and keep to a
//! share of each department's capacity ([`fair`]).

pub mod access;
pub mod fair;
pub mod findings;
pub mod rules;
mod run;
mod settings;
pub mod village;

pub use access::AlertScope;
pub use rules::{AlertKind, Fact, Finding};
pub use run::{Progress, RunOptions, ScreenError, ScreenReport, Screener};
pub use settings::ScreeningSettings;

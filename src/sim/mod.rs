//! Simulators of the seven departmental systems and the seeded synthetic population they
//! share. See `src/sim/README.md` for the wire details, knobs and planted faults.

pub mod civil;
pub mod cli;
pub mod cluster;
pub mod health;
pub mod knobs;
pub mod medical;
pub mod police;
pub mod population;
pub mod rural;
pub mod server;
pub mod social;
pub mod truth;
pub mod veterans;

use std::net::SocketAddr;

pub use cli::{SimArgs, run_cli};
pub use cluster::{Credentials, DepartmentSim, GenerationProgress, SimCluster, SimOptions};
pub use knobs::{KnobHandle, Knobs, Outage, Stats};
pub use population::{GenOptions, Population};
pub use server::RunningServer;
pub use truth::{AlertKind, AlertSet, FaultRates, PlantedFault};

use crate::domain::{IdNumber, RegionCodeError};

/// The departments the hub has simulators for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Department {
    /// 医保: JSON envelope, transaction 1101.
    #[value(name = "medical", alias = "medical_insurance")]
    MedicalInsurance,
    /// 人社: REST with 金保 field codes and an API key.
    #[value(name = "social", alias = "social_security")]
    SocialSecurity,
    /// 民政: SOAP in GBK.
    #[value(name = "civil", alias = "civil_affairs")]
    CivilAffairs,
    /// 公安: household register behind OAuth2 client credentials.
    #[value(name = "police", alias = "public_security")]
    PublicSecurity,
    /// 退役军人事务: REST with an app key and page-numbered listings.
    #[value(name = "veterans", alias = "veterans_affairs")]
    VeteransAffairs,
    /// 卫生健康: HL7 FHIR R4 behind OAuth2 client credentials.
    #[value(name = "health")]
    Health,
    /// 乡村振兴: REST with HMAC-SM3 signed requests and a batch query.
    #[value(name = "rural", alias = "agriculture")]
    Agriculture,
}

impl Department {
    pub const ALL: [Department; 7] = [
        Self::MedicalInsurance,
        Self::SocialSecurity,
        Self::CivilAffairs,
        Self::PublicSecurity,
        Self::VeteransAffairs,
        Self::Health,
        Self::Agriculture,
    ];

    /// The `dept` name of DOMAIN.md.
    pub fn code(self) -> &'static str {
        match self {
            Self::MedicalInsurance => "medical_insurance",
            Self::SocialSecurity => "social_security",
            Self::CivilAffairs => "civil_affairs",
            Self::PublicSecurity => "public_security",
            Self::VeteransAffairs => "veterans_affairs",
            Self::Health => "health",
            Self::Agriculture => "agriculture",
        }
    }
}

/// Why the simulators could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("could not generate the population: {0}")]
    Generate(#[from] population::GenerateError),
    #[error("bad scope: {0}")]
    Scope(#[from] RegionCodeError),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the population generator stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A stable number derived from an ID number (person numbers of the departments), so the
/// same person has the same number whatever the scope of the run.
pub(crate) fn stable_number(id: &IdNumber, salt: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for byte in id.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Yuan with two decimals from cents.
pub(crate) fn yuan(cents: u32) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

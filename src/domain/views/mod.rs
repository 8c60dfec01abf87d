//! What each department says about a resident, in the hub's own types: the unified
//! views the adapters return and the GraphQL layer shows. No department's field names
//! or codes leave its adapter; the Chinese term of each code is in its documentation.

pub mod assistance;
pub mod declared;
pub mod medical;
pub mod registration;
pub mod social;

use std::fmt;

pub use assistance::{
    AssistanceRecord, AssistanceStatus, Disability, DisabilityCategory, Programme,
};
pub use declared::{
    CardStatus, CodeWord, ContractStatus, FamilyDoctorView, PovertyKind, PovertyMonitoringView,
    RelapseAssistance, RelapseAssistanceKind, RelapseRisk, ServicePackage, VeteranCategory,
    VeteranView, WorkStatus,
};
pub use medical::{
    EnrolmentStatus, MedicalEnrolment, MedicalIdentity, MedicalIdentityKind, MedicalInsuranceView,
    MedicalPersonType, MedicalScheme,
};
pub use registration::{
    HouseholdView, IdCardValidity, RegistrationPage, RegistrationStatus, RegistrationView,
};
pub use social::{
    ContributionStatus, EmploymentStatus, EmploymentView, Pension, PensionStatus, SocialInsurance,
    SocialInsuranceKind, SocialInsuranceView, Training,
};

/// A month, as the departments give start and end months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl YearMonth {
    /// A month, if `month` is 1–12.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        (1..=12).contains(&month).then_some(Self { year, month })
    }
}

impl fmt::Display for YearMonth {
    /// `YYYY-MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// An amount of money in fen (0.01 yuan), exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Money {
    pub fen: i64,
}

impl Money {
    /// From fen.
    pub fn from_fen(fen: i64) -> Self {
        Self { fen }
    }

    /// The amount in yuan (for display and JSON numbers).
    pub fn yuan(self) -> f64 {
        self.fen as f64 / 100.0
    }
}

impl fmt::Display for Money {
    /// Yuan with two decimals, e.g. `612.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.fen < 0 { "-" } else { "" };
        let abs = self.fen.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

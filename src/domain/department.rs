//! The county departments a request can be routed to (the `dept` claim). Only some of
//! them have a system the hub talks to.

use std::fmt;

/// A county department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Department {
    MedicalInsurance,
    SocialSecurity,
    CivilAffairs,
    PublicSecurity,
    VeteransAffairs,
    Health,
    Agriculture,
    Justice,
    EmergencyManagement,
    Education,
    Housing,
    Transport,
    Postal,
}

impl Department {
    pub const ALL: [Department; 13] = [
        Self::MedicalInsurance,
        Self::SocialSecurity,
        Self::CivilAffairs,
        Self::PublicSecurity,
        Self::VeteransAffairs,
        Self::Health,
        Self::Agriculture,
        Self::Justice,
        Self::EmergencyManagement,
        Self::Education,
        Self::Housing,
        Self::Transport,
        Self::Postal,
    ];

    /// The claim value, e.g. `medical_insurance`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MedicalInsurance => "medical_insurance",
            Self::SocialSecurity => "social_security",
            Self::CivilAffairs => "civil_affairs",
            Self::PublicSecurity => "public_security",
            Self::VeteransAffairs => "veterans_affairs",
            Self::Health => "health",
            Self::Agriculture => "agriculture",
            Self::Justice => "justice",
            Self::EmergencyManagement => "emergency_management",
            Self::Education => "education",
            Self::Housing => "housing",
            Self::Transport => "transport",
            Self::Postal => "postal",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == value)
    }
}

impl fmt::Display for Department {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

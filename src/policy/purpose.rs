use std::fmt;

/// The declared purpose of an access (`X-Purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    ServiceHandling,
    Visit,
    EligibilityReview,
    Emergency,
    Audit,
}

impl Purpose {
    pub const ALL: [Purpose; 5] = [
        Self::ServiceHandling,
        Self::Visit,
        Self::EligibilityReview,
        Self::Emergency,
        Self::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceHandling => "SERVICE_HANDLING",
            Self::Visit => "VISIT",
            Self::EligibilityReview => "ELIGIBILITY_REVIEW",
            Self::Emergency => "EMERGENCY",
            Self::Audit => "AUDIT",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == value.trim())
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

//! The life of a service request ("township blows the whistle, departments report"):
//! its statuses, the actions that move it, who acts at each step and how long they have.
//! Pure: the store applies a transition, the policy says who may take an action.

use std::fmt;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Reported,
    Accepted,
    ResolvedByTownship,
    Routed,
    Responded,
    Resolved,
    Returned,
    Rejected,
    /// A resolved request the villager rated dissatisfied: the township answers the
    /// poor rating (差评整改) before it is resolved again.
    FollowUp,
}

/// Who acts next on a request in a given status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Village,
    Township,
    Department,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Village => "village",
            Self::Township => "township",
            Self::Department => "department",
        }
    }

    /// Whom an overdue step of this level is escalated to.
    pub fn escalates_to(self) -> &'static str {
        match self {
            Self::Village => "the township",
            Self::Township | Self::Department => "the county",
        }
    }
}

impl Status {
    pub const ALL: [Status; 9] = [
        Self::Reported,
        Self::Accepted,
        Self::ResolvedByTownship,
        Self::Routed,
        Self::Responded,
        Self::Resolved,
        Self::Returned,
        Self::Rejected,
        Self::FollowUp,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Reported => "REPORTED",
            Self::Accepted => "ACCEPTED",
            Self::ResolvedByTownship => "RESOLVED_BY_TOWNSHIP",
            Self::Routed => "ROUTED",
            Self::Responded => "RESPONDED",
            Self::Resolved => "RESOLVED",
            Self::Returned => "RETURNED",
            Self::Rejected => "REJECTED",
            Self::FollowUp => "FOLLOW_UP",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Who must act next, or `None` once the request is closed.
    pub fn next_actor(self) -> Option<Level> {
        match self {
            Self::Reported | Self::Accepted | Self::FollowUp => Some(Level::Township),
            Self::Routed => Some(Level::Department),
            Self::ResolvedByTownship | Self::Responded | Self::Returned => Some(Level::Village),
            Self::Resolved | Self::Rejected => None,
        }
    }

    pub fn is_closed(self) -> bool {
        self.next_actor().is_none()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What an officer does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// The township takes the reported need on.
    Accept,
    /// The township solves it itself.
    ResolveByTownship,
    /// The township routes it to a county department.
    Route,
    /// The department reports what it did.
    Respond,
    /// The department sends it back to the township (wrong department, more to do there).
    ReturnToTownship,
    /// The township sends it back to the village for more information.
    Return,
    /// The village sends a returned request again.
    Resubmit,
    /// The township or the department refuses it, with a reason.
    Reject,
    /// The village confirms the villager's need is met.
    ConfirmResolved,
    /// The township answers a dissatisfied rating: what it did about it.
    AnswerFollowUp,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Self::Accept,
        Self::ResolveByTownship,
        Self::Route,
        Self::Respond,
        Self::ReturnToTownship,
        Self::Return,
        Self::Resubmit,
        Self::Reject,
        Self::ConfirmResolved,
        Self::AnswerFollowUp,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Accept => "ACCEPT",
            Self::ResolveByTownship => "RESOLVE_BY_TOWNSHIP",
            Self::Route => "ROUTE",
            Self::Respond => "RESPOND",
            Self::ReturnToTownship => "RETURN_TO_TOWNSHIP",
            Self::Return => "RETURN",
            Self::Resubmit => "RESUBMIT",
            Self::Reject => "REJECT",
            Self::ConfirmResolved => "CONFIRM_RESOLVED",
            Self::AnswerFollowUp => "ANSWER_FOLLOW_UP",
        }
    }

    /// The statuses the action applies to, and the status it leads to.
    pub fn transition(self) -> (&'static [Status], Status) {
        use Status::*;
        match self {
            Self::Accept => (&[Reported], Accepted),
            Self::ResolveByTownship => (&[Accepted], ResolvedByTownship),
            Self::Route => (&[Accepted], Routed),
            Self::Respond => (&[Routed], Responded),
            Self::ReturnToTownship => (&[Routed], Accepted),
            Self::Return => (&[Reported, Accepted], Returned),
            Self::Resubmit => (&[Returned], Reported),
            Self::Reject => (&[Reported, Accepted, Routed], Rejected),
            Self::ConfirmResolved => (&[ResolvedByTownship, Responded], Resolved),
            Self::AnswerFollowUp => (&[FollowUp], Resolved),
        }
    }

    /// Whether the action needs a note saying why (returns and rejections do), or what
    /// was done (the answer to a poor rating).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Self::Return | Self::ReturnToTownship | Self::Reject | Self::AnswerFollowUp
        )
    }
}

/// Why an action cannot be taken on a request in its present status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {status} cannot be {verb}: {hint}")]
pub struct TransitionError {
    pub status: Status,
    pub verb: &'static str,
    pub hint: String,
}

/// The status `action` leads to from `status`, or why it cannot be taken.
pub fn apply(status: Status, action: Action) -> Result<Status, TransitionError> {
    let (from, to) = action.transition();
    if from.contains(&status) {
        return Ok(to);
    }
    let allowed: Vec<&str> = Action::ALL
        .into_iter()
        .filter(|a| a.transition().0.contains(&status))
        .map(Action::code)
        .collect();
    Err(TransitionError {
        status,
        verb: verb(action),
        hint: if allowed.is_empty() {
            "it is closed".into()
        } else {
            format!("possible now: {}", allowed.join(", "))
        },
    })
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Accept => "accepted",
        Action::ResolveByTownship => "resolved by the township",
        Action::Route => "routed",
        Action::Respond => "responded to",
        Action::ReturnToTownship => "returned to the township",
        Action::Return => "returned",
        Action::Resubmit => "resubmitted",
        Action::Reject => "rejected",
        Action::ConfirmResolved => "confirmed resolved",
        Action::AnswerFollowUp => "answered after a poor rating",
    }
}

/// How many working days each step gets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StepLimits {
    /// The township accepts (or returns) a reported need.
    pub accept_days: u32,
    /// The township resolves or routes an accepted request, or answers a poor rating.
    pub township_days: u32,
    /// The village confirms a resolved request or resubmits a returned one.
    pub village_days: u32,
}

impl Default for StepLimits {
    fn default() -> Self {
        Self {
            accept_days: 1,
            township_days: 3,
            village_days: 2,
        }
    }
}

impl StepLimits {
    /// The working days of the step a request enters with `status`; a routed request has
    /// the catalogue item's time limit. `None` for a closed request.
    pub fn days(&self, status: Status, item_limit: u32) -> Option<u32> {
        match status {
            Status::Reported => Some(self.accept_days),
            Status::Accepted | Status::FollowUp => Some(self.township_days),
            Status::Routed => Some(item_limit.max(1)),
            Status::ResolvedByTownship | Status::Responded | Status::Returned => {
                Some(self.village_days)
            }
            Status::Resolved | Status::Rejected => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_branches_reach_resolved() {
        let mut status = Status::Reported;
        for action in [
            Action::Accept,
            Action::Route,
            Action::Respond,
            Action::ConfirmResolved,
        ] {
            status = apply(status, action).unwrap_or(Status::Rejected);
        }
        assert_eq!(status, Status::Resolved);
        let mut status = Status::Reported;
        for action in [
            Action::Accept,
            Action::ResolveByTownship,
            Action::ConfirmResolved,
        ] {
            status = apply(status, action).unwrap_or(Status::Rejected);
        }
        assert_eq!(status, Status::Resolved);
    }

    #[test]
    fn a_closed_request_takes_no_action() {
        for action in Action::ALL {
            for closed in [Status::Resolved, Status::Rejected] {
                let err = apply(closed, action).err();
                assert!(err.is_some_and(|e| e.hint == "it is closed"));
            }
        }
    }

    #[test]
    fn a_refusal_says_what_is_possible() {
        let err = apply(Status::Reported, Action::Respond).err();
        assert_eq!(
            err.map(|e| e.to_string()).unwrap_or_default(),
            "a request that is REPORTED cannot be responded to: possible now: ACCEPT, RETURN, REJECT"
        );
    }

    #[test]
    fn every_status_has_a_code_that_parses_back() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.code()), Some(status));
        }
    }
}

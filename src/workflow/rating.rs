//! Rating a resolved service request (好差评): once, by the resident it is about or by an
//! assistant of their village on their behalf. A dissatisfied rating reopens the request
//! for the township, which answers it within its working-day deadline.

use super::{
    RequestChange, Workflow, WorkflowError, actor,
    lifecycle::{Status, TransitionError},
    ratings::{self, Level, Rating},
    requests::{self, Change, ChangeError, EventKind, Request},
};
use crate::{
    auth::{Principal, Role},
    policy::WorkAction,
    store::idempotency::{self, Attempt, Done},
};

/// Longest comment a rating takes, in characters.
const COMMENT_LIMIT: usize = 500;

/// What a caller asks to rate.
#[derive(Debug, Clone)]
pub struct RateRequest {
    pub request_id: String,
    pub level: Level,
    pub comment: Option<String>,
}

/// A rating as given, and the request as it now stands.
#[derive(Debug, Clone)]
pub struct Rated {
    pub request: Request,
    pub rating: Rating,
}

impl Workflow {
    /// Rates a resolved request. `own_resident` is a resident token's own resident id.
    pub async fn rate(
        &self,
        principal: &Principal,
        own_resident: Option<&str>,
        input: RateRequest,
        idempotency_key: &str,
    ) -> Result<Done<Rated>, WorkflowError> {
        let fingerprint = format!("{}|{}|{:?}", input.request_id, input.level, input.comment);
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            "rateServiceRequest",
            &fingerprint,
        )?;
        idempotency::once(
            &self.db,
            &attempt,
            |id| async move { self.rated_replay(&id).await },
            self.rate_once(principal, own_resident, input, &attempt),
        )
        .await
    }

    async fn rate_once(
        &self,
        principal: &Principal,
        own_resident: Option<&str>,
        input: RateRequest,
        attempt: &Attempt,
    ) -> Result<Rated, WorkflowError> {
        if !self.policy.may(principal.role, WorkAction::RateRequest) {
            return Err(WorkflowError::Forbidden(format!(
                "the role `{}` cannot rate service requests",
                principal.role
            )));
        }
        let request = requests::find(&self.db, &input.request_id)
            .await?
            .filter(|r| self.sees(principal, r, own_resident))
            .ok_or(WorkflowError::NotFound("service request"))?;
        if let Some(earlier) = ratings::find(&self.db, &request.id).await? {
            return Err(WorkflowError::AlreadyRated(earlier.rated_at));
        }
        if request.status != Status::Resolved {
            return Err(TransitionError {
                status: request.status,
                verb: "rated",
                hint: "only a resolved request is rated".into(),
            }
            .into());
        }
        let comment = input
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > COMMENT_LIMIT)
        {
            return Err(WorkflowError::BadInput(
                "comment",
                format!("a comment is at most {COMMENT_LIMIT} characters"),
            ));
        }
        // Only a resident speaks for themselves; anyone else rates on their behalf.
        let on_behalf = principal.role != Role::Resident;
        let (to, due) = if input.level.is_poor() {
            // The township's own step: no catalogue item's time limit applies.
            (Status::FollowUp, self.due(Status::FollowUp, 0).await?)
        } else {
            (Status::Resolved, None)
        };
        let change = Change {
            kind: EventKind::Rated,
            to,
            department: None,
            note: if on_behalf {
                format!("{} (given on the resident's behalf)", input.level)
            } else {
                input.level.to_string()
            },
            due,
            escalation: false,
        };
        let now = self.clock.now();
        let rating = Rating {
            request_id: request.id.clone(),
            level: input.level,
            comment,
            rated_by: principal.subject.clone(),
            rater_role: principal.role.as_str().to_owned(),
            on_behalf,
            village_code: request.village_code.clone(),
            department: request.department,
            catalogue_code: request.catalogue_code.clone(),
            rated_at: now,
        };
        let actor = actor(principal);
        let txn = crate::store::begin_writing(&self.db).await?;
        let written = async {
            // The version check first: of two ratings at once, one wins.
            let applied =
                requests::apply(&txn, &request.id, request.version, &change, &actor, now).await?;
            ratings::insert(&txn, &rating).await?;
            super::tally::ratings(&txn, &request.village_code, now).await?;
            attempt.record(&txn, &request.id, now).await?;
            Ok::<_, ChangeError>(applied)
        }
        .await;
        let (request, event) = written?;
        txn.commit().await?;
        self.events.publish(RequestChange {
            request: request.clone(),
            event,
        });
        // As stored (a database may keep its time to the microsecond), as a replay reads it.
        let rating = ratings::find(&self.db, &rating.request_id)
            .await?
            .ok_or(WorkflowError::NotFound("rating"))?;
        Ok(Rated { request, rating })
    }

    /// A rating as an earlier attempt left it, with its request as it now stands.
    async fn rated_replay(&self, request_id: &str) -> Result<Rated, WorkflowError> {
        let request = self.request_replay(request_id).await?;
        let rating = ratings::find(&self.db, request_id)
            .await?
            .ok_or(WorkflowError::NotFound("rating"))?;
        Ok(Rated { request, rating })
    }
}

//! Alert follow-up in the schema: where an alert stands, and the mutations that
//! acknowledge it, dismiss it as a false positive, or turn it into a service request.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{Alert, record_reads};
use crate::{
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        doors,
        node::{self, NodeType},
        workflow::{
            AlertFollowUpState, AuthorisationInput, HandlingMode, ServiceRequest, VisitRequestInput,
        },
    },
    screening::{
        alert_actions::FollowedUp,
        follow_up::{FollowUp, FollowUpState},
    },
    workflow::requests::Request,
};

/// What the village or township did about an alert (处置).
#[derive(SimpleObject)]
pub struct AlertFollowUp {
    /// Where the alert stands.
    pub state: AlertFollowUpState,
    /// Who acted last (a token subject); null while OPEN.
    pub by: Option<String>,
    /// When they acted; null while OPEN.
    pub at: Option<DateTime<Utc>>,
    /// The note of an acknowledgement or the reason of a dismissal.
    pub reason: Option<String>,
    /// The service request the alert was turned into.
    pub request_id: Option<ID>,
}

impl AlertFollowUp {
    /// The follow-up of an alert whose facts are now `current_facts`: a dismissal whose
    /// facts changed since is OPEN again.
    pub(crate) fn of(follow_up: Option<&FollowUp>, current_facts: &str) -> Self {
        match follow_up {
            Some(f) if f.state_for(current_facts) != FollowUpState::Open => Self {
                state: f.state.into(),
                by: Some(f.actor_subject.clone()),
                at: Some(f.at),
                reason: f.reason.clone(),
                request_id: f.request_id.clone().map(ID),
            },
            _ => Self {
                state: AlertFollowUpState::Open,
                by: None,
                at: None,
                reason: None,
                request_id: None,
            },
        }
    }
}

/// Acknowledging an alert.
#[derive(InputObject)]
pub struct AcknowledgeAlertInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// acting twice (8 to 80 letters, digits, `-`, `_`, `:`).
    pub idempotency_key: String,
    /// The alert, as `Alert.id` gives it (its global form works too).
    pub alert_id: ID,
    /// What is being done about it (at most 2000 characters).
    #[graphql(default)]
    pub note: String,
}

/// Dismissing an alert as a false positive.
#[derive(InputObject)]
pub struct DismissAlertInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// acting twice.
    pub idempotency_key: String,
    /// The alert, as `Alert.id` gives it (its global form works too).
    pub alert_id: ID,
    /// Why it is a false positive, in 1 to 2000 characters.
    pub reason: String,
}

/// Turning an alert into a service request for its resident.
#[derive(InputObject)]
pub struct OpenServiceRequestFromAlertInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// opening a second request.
    pub idempotency_key: String,
    /// The alert, as `Alert.id` gives it (its global form works too).
    pub alert_id: ID,
    /// The catalogue item, e.g. `JL-MZ-001`.
    pub catalogue_code: String,
    /// How the village will handle it (one the item offers).
    pub mode: HandlingMode,
    /// The need, in 1 to 2000 characters.
    pub description: String,
    /// Required when `mode` is PROXY: the villager's authorisation.
    pub authorisation: Option<AuthorisationInput>,
}

/// What an alert follow-up mutation produced.
#[derive(SimpleObject)]
pub struct AlertFollowUpPayload {
    /// The alert's id.
    pub alert_id: ID,
    /// Where the alert now stands.
    pub follow_up: AlertFollowUp,
    /// The alert as the latest screening run found it (null if a later run no longer
    /// finds it).
    pub alert: Option<Alert>,
    /// The service request the alert was turned into, if it was.
    pub request: Option<ServiceRequest>,
    /// This answer repeats an earlier attempt under the same idempotency key: nothing
    /// was done twice.
    pub replayed: bool,
}

/// Following up alerts.
#[derive(Default)]
pub struct AlertFollowUpMutation;

#[Object]
impl AlertFollowUpMutation {
    /// Acknowledges an alert (已知悉): someone is on it. For the roles the policy lets
    /// acknowledge alerts, on an alert they may see within their region.
    async fn acknowledge_alert(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The alert and a note.")] input: AcknowledgeAlertInput,
    ) -> async_graphql::Result<AlertFollowUpPayload> {
        let caller = doors::work(ctx, "alert.acknowledge").await?;
        let done = ctx
            .services()?
            .workflow
            .follow_ups()
            .acknowledge(
                caller.principal,
                &node::key_of(NodeType::Alert, &input.alert_id),
                &input.note,
                &input.idempotency_key,
            )
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        payload(ctx, "alert.acknowledge", done.value, None, done.replayed)
    }

    /// Dismisses an alert as a false positive (排除误报), with the reason. It stays out of
    /// the listings, also after later screening runs, until its facts change.
    async fn dismiss_alert(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The alert and why it is a false positive.")] input: DismissAlertInput,
    ) -> async_graphql::Result<AlertFollowUpPayload> {
        let caller = doors::work(ctx, "alert.dismiss").await?;
        let done = ctx
            .services()?
            .workflow
            .follow_ups()
            .dismiss(
                caller.principal,
                &node::key_of(NodeType::Alert, &input.alert_id),
                &input.reason,
                &input.idempotency_key,
            )
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        payload(ctx, "alert.dismiss", done.value, None, done.replayed)
    }

    /// Turns an alert into a service request (转办) for its resident, linked back to the
    /// alert; the alert's follow-up becomes REQUEST_OPENED. Both happen, or neither.
    async fn open_service_request_from_alert(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The alert and the request to open.")]
        input: OpenServiceRequestFromAlertInput,
    ) -> async_graphql::Result<AlertFollowUpPayload> {
        let caller = doors::work(ctx, "alert.open_request").await?;
        let request = VisitRequestInput {
            catalogue_code: input.catalogue_code,
            mode: input.mode,
            description: input.description,
            authorisation: input.authorisation,
        }
        .into_request();
        let done = ctx
            .services()?
            .workflow
            .open_request_from_alert(
                caller.principal,
                &node::key_of(NodeType::Alert, &input.alert_id),
                request,
                &input.idempotency_key,
            )
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        let opened = done.value;
        payload(
            ctx,
            "alert.open_request",
            opened.followed,
            opened.request,
            done.replayed,
        )
    }
}

/// The payload of a follow-up mutation, with the change and the reads audited.
fn payload(
    ctx: &Context<'_>,
    action: &'static str,
    followed: FollowedUp,
    request: Option<Request>,
    replayed: bool,
) -> async_graphql::Result<AlertFollowUpPayload> {
    let request_ctx = ctx.request()?;
    let access = &request_ctx.access;
    let FollowedUp { follow_up, alert } = followed;
    if !replayed {
        access.acted(action, &follow_up.alert_id);
        if let Some(request) = &request {
            access.acted("service_request.open", &request.id);
        }
    }
    if let Some(alert) = &alert {
        record_reads(request_ctx, &alert.resident_id, alert.kind, &alert.facts);
    }
    if let Some(request) = &request {
        access.record_read(&request.resident_id, "service_request");
    }
    let current_facts = alert
        .as_ref()
        .map_or(follow_up.facts.as_str(), |a| a.facts_json.as_str());
    Ok(AlertFollowUpPayload {
        alert_id: ID(follow_up.alert_id.clone()),
        follow_up: AlertFollowUp::of(Some(&follow_up), current_facts),
        alert: alert.map(|a| Alert::stored(a, Some(follow_up.clone()))),
        request: request.map(|request| ServiceRequest {
            own: false,
            request,
        }),
        replayed,
    })
}

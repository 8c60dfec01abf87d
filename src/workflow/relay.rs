//! Changes committed through other instances, fed to this instance's [`EventBus`]. Every
//! change to a request announces itself inside its own transaction
//! (`requests::CHANNEL`, PostgreSQL `NOTIFY`: delivered on commit, in commit order); the
//! relay hears the announcement, reads the committed request and event, and publishes
//! them here like a local change, so a subscriber on any instance sees every change once,
//! each request's in order.
//!
//! A listener that lost its connection missed what was announced meanwhile: it reads the
//! events since the last one it saw (less a margin for clocks) from the table, and the
//! bus drops the ones already published. On SQLite there is one process and no relay.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{
    RequestChange, Workflow,
    requests::{self, Event},
};
use crate::store::{
    StoreError,
    coordination::{Heard, Listener},
};

/// How far before the last event heard a catch-up starts reading: the writers' clocks and
/// commit delays.
const CATCH_UP_MARGIN: Duration = Duration::from_secs(30);

/// Relays other instances' changes until the process ends; returns at once on SQLite.
pub async fn run(workflow: Workflow) {
    let mut listener = loop {
        match Listener::start(&workflow.db, requests::CHANNEL).await {
            Ok(Some(listener)) => break listener,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "change relay not listening yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut last_seen: DateTime<Utc> = workflow.clock.now();
    loop {
        let result = match listener.next().await {
            Heard::Payload(payload) => match requests::parse_notice(&payload) {
                Some((id, seq)) => relay_one(&workflow, id, seq, &mut last_seen).await,
                None => {
                    tracing::warn!(%payload, "unreadable change announcement");
                    Ok(())
                }
            },
            Heard::Gap => catch_up(&workflow, &mut last_seen).await,
        };
        if let Err(err) = result {
            tracing::warn!(error = %err, "a change from another instance not relayed");
        }
    }
}

async fn relay_one(
    workflow: &Workflow,
    id: &str,
    seq: i32,
    last_seen: &mut DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(event) = requests::event(&workflow.db, id, seq).await? {
        publish(workflow, event, last_seen).await?;
    }
    Ok(())
}

async fn catch_up(workflow: &Workflow, last_seen: &mut DateTime<Utc>) -> Result<(), StoreError> {
    let since = *last_seen - CATCH_UP_MARGIN;
    let events = requests::events_since(&workflow.db, since).await?;
    tracing::info!(events = events.len(), %since, "change relay reconnected; catching up");
    for event in events {
        publish(workflow, event, last_seen).await?;
    }
    Ok(())
}

async fn publish(
    workflow: &Workflow,
    event: Event,
    last_seen: &mut DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(request) = requests::find(&workflow.db, &event.request_id).await? else {
        return Ok(());
    };
    *last_seen = (*last_seen).max(event.at);
    workflow.events.publish(RequestChange { request, event });
    Ok(())
}

//! The writer's way on PostgreSQL: a connection of the writer's own, not a pool's.
//!
//! A pool tests every connection given back to it with a round trip, and the writer's one
//! pooled connection was given back after every batch: that ping stood between each batch
//! and the next, and every caller waiting behind them. Here a batch is three round trips:
//! the transaction's start, the chain's lock and the head in one message; the INSERT; the
//! commit (a batch larger than [`STATEMENT_BYTES`] has one INSERT per part).
//!
//! The head is read in a statement of its own after the lock's: each statement of the
//! message takes its snapshot when it starts, so the head read sees every batch committed
//! by another instance while this one waited for the lock. A connection whose batch failed
//! is closed, and its open transaction with it; the next attempt opens a fresh one.

use std::sync::Arc;

use entities::audit_record;
use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, EntityName, EntityTrait, QueryTrait, RuntimeErr,
    sqlx::{
        self, AssertSqlSafe, Connection, Row,
        postgres::{PgConnectOptions, PgConnection},
    },
};
use sea_query_sqlx::SqlxValues;

use super::{CHAIN_LOCK, Head, chained_rows};
use crate::audit::{AuditEvent, Outcome, chain::GENESIS};
use crate::store::coordination::transaction_lock_sql;

/// Appends batches on a connection of its own to a PostgreSQL server.
pub(super) struct ServerWriter {
    /// The pool's own options: the same server, credentials and TLS.
    options: Arc<PgConnectOptions>,
    connection: Option<PgConnection>,
    /// Starts the batch's transaction, takes the chain's lock, reads the head.
    opening: String,
}

impl ServerWriter {
    /// A writer to the PostgreSQL server behind the pool `db`; `None` when `db` is not
    /// PostgreSQL's.
    pub(super) fn of(db: &DatabaseConnection) -> Option<Self> {
        if db.get_database_backend() != DbBackend::Postgres {
            return None;
        }
        Some(Self::with_options(
            db.get_postgres_connection_pool().connect_options(),
        ))
    }

    fn with_options(options: Arc<PgConnectOptions>) -> Self {
        Self {
            options,
            connection: None,
            opening: format!(
                "BEGIN; {}; SELECT id, hash FROM {} ORDER BY id DESC LIMIT 1",
                transaction_lock_sql(CHAIN_LOCK),
                audit_record::Entity.table_name(),
            ),
        }
    }

    /// Appends `events` after the chain's head in one transaction.
    pub(super) async fn write(&mut self, events: &[&AuditEvent]) -> Result<(), DbErr> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self.connection.insert(
                PgConnection::connect_with(&self.options)
                    .await
                    .map_err(|err| DbErr::Conn(runtime(err)))?,
            ),
        };
        let written = append(connection, &self.opening, events).await;
        if written.is_err() {
            // Its state is unknown (a transaction left open, a reply half read): the server
            // rolls back what the connection leaves behind.
            self.connection = None;
        }
        written.map_err(|err| DbErr::Query(runtime(err)))
    }
}

async fn append(
    connection: &mut PgConnection,
    opening: &str,
    events: &[&AuditEvent],
) -> Result<(), sqlx::Error> {
    let opened = sqlx::raw_sql(AssertSqlSafe(opening))
        .fetch_all(&mut *connection)
        .await?;
    // The lock's row has no `hash`; the head's row, when there is a record, does.
    let head: Head = opened
        .iter()
        .find_map(|row| Some((row.try_get("id").ok()?, row.try_get("hash").ok()?)))
        .unwrap_or_else(|| (0, GENESIS.to_owned()));
    let (mut rows, _) = chained_rows(events, head);
    for count in statement_sizes(events) {
        let insert =
            audit_record::Entity::insert_many(rows.by_ref().take(count)).build(DbBackend::Postgres);
        let values = insert.values.unwrap_or_else(|| sea_orm::Values(Vec::new()));
        sqlx::query_with(AssertSqlSafe(insert.sql), SqlxValues(values))
            .execute(&mut *connection)
            .await?;
    }
    sqlx::raw_sql("COMMIT").execute(&mut *connection).await?;
    Ok(())
}

fn runtime(err: sqlx::Error) -> RuntimeErr {
    RuntimeErr::SqlxError(Arc::new(err))
}

/// The most a batch's INSERT carries in one statement, in bytes of values. A statement
/// larger than one TLS record (16 KiB) leaves in several writes, and the driver does not
/// turn off Nagle's algorithm on its socket: the second write then waits for the server's
/// delayed acknowledgement of the first, 40 ms, and every caller of the batch with it.
/// Statements of one record each cost a round trip apiece instead.
const STATEMENT_BYTES: usize = 12 * 1024;

/// How many of `events` each INSERT of a batch takes, in order, so that each stays within
/// [`STATEMENT_BYTES`] (and takes at least one record).
pub(super) fn statement_sizes(events: &[&AuditEvent]) -> Vec<usize> {
    let mut sizes = Vec::new();
    let (mut count, mut bytes) = (0, 0);
    for event in events {
        let len = wire_len(event);
        if count > 0 && bytes + len > STATEMENT_BYTES {
            sizes.push(count);
            (count, bytes) = (0, 0);
        }
        count += 1;
        bytes += len;
    }
    if count > 0 {
        sizes.push(count);
    }
    sizes
}

/// What one record adds to an INSERT's parameters, near enough: its text, its id and
/// time, the two hashes, and the four-byte length before each of its fifteen values.
fn wire_len(event: &AuditEvent) -> usize {
    const HASHES: usize = 2 * 64;
    const NUMBERS: usize = 2 * 8;
    const LENGTHS: usize = 15 * 4;
    const OUTCOME: usize = "out_of_scope".len() + "refused:".len();
    let actor = &event.actor;
    let optional = |text: &Option<String>| text.as_ref().map_or(0, String::len);
    let listed = |items: &[String]| items.iter().map(|item| item.len() + 1).sum::<usize>();
    let reason = match &event.outcome {
        Outcome::Refused(reason) => reason.len(),
        _ => 0,
    };
    actor.subject.len()
        + actor.role.len()
        + actor.region.len()
        + actor.request_id.len()
        + optional(&actor.purpose)
        + optional(&actor.case_ref)
        + event.action.len()
        + event.target.len()
        + listed(&event.departments)
        + listed(&event.field_groups)
        + reason
        + OUTCOME
        + HASHES
        + NUMBERS
        + LENGTHS
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sea_orm::{QueryTrait, Value};

    use super::*;
    use crate::audit::Actor;

    fn actor(request: usize) -> Actor {
        Actor {
            subject: "assistant-220122101201".into(),
            role: "village_assistant".into(),
            region: "220122101201".into(),
            purpose: Some("benefit review".into()),
            case_ref: None,
            request_id: format!("req-{request:032}"),
        }
    }

    fn events(count: usize) -> Vec<AuditEvent> {
        (0..count)
            .map(|n| {
                AuditEvent::resident_read(
                    &actor(n),
                    "220122199001011234",
                    vec!["social_security".into(), "civil_affairs".into()],
                    vec!["socialInsurance".into(), "pension".into()],
                )
            })
            .collect()
    }

    /// What the INSERT's values take on the wire: each with its four-byte length.
    fn values_bytes(events: &[&AuditEvent]) -> usize {
        let (rows, _) = chained_rows(events, (41, GENESIS.to_owned()));
        let statement = audit_record::Entity::insert_many(rows).build(DbBackend::Postgres);
        let values = statement.values.unwrap();
        values
            .0
            .iter()
            .map(|value| {
                4 + match value {
                    Value::String(text) => text.as_ref().map_or(0, |text| text.len()),
                    _ => 8,
                }
            })
            .sum()
    }

    #[test]
    fn a_records_estimate_is_no_less_than_its_values_on_the_wire() {
        let mut events = events(3);
        events.push(AuditEvent::refused(
            &actor(9),
            "resident.read",
            "220122199001011234",
            "purpose required for this field group",
        ));
        for event in &events {
            assert!(wire_len(event) >= values_bytes(&[event]), "{event:?}");
        }
    }

    #[test]
    fn a_batch_is_split_into_statements_within_one_tls_record() {
        let events = events(200);
        let events: Vec<&AuditEvent> = events.iter().collect();
        let sizes = statement_sizes(&events);
        assert!(sizes.len() > 1, "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), events.len());
        let mut rest = events.as_slice();
        for size in sizes {
            let (statement, after) = rest.split_at(size);
            assert!(values_bytes(statement) <= STATEMENT_BYTES, "{size} records");
            rest = after;
        }
    }

    #[test]
    fn a_record_larger_than_a_statement_goes_alone() {
        let mut large = events(3);
        large[1].target = "x".repeat(STATEMENT_BYTES);
        let large: Vec<&AuditEvent> = large.iter().collect();
        assert_eq!(statement_sizes(&large), vec![1, 1, 1]);
        assert!(statement_sizes(&[]).is_empty());
    }

    #[tokio::test]
    async fn a_server_away_fails_the_batch_and_keeps_no_connection() {
        // Nothing listens on port 1.
        let options = PgConnectOptions::new()
            .host("127.0.0.1")
            .port(1)
            .username("nobody");
        let mut writer = ServerWriter::with_options(Arc::new(options));
        let events = events(1);
        let written = writer.write(&[&events[0]]).await;
        assert!(matches!(written, Err(DbErr::Conn(_))), "{written:?}");
        assert!(writer.connection.is_none());
    }
}

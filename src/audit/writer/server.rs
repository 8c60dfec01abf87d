//! The writer's way on PostgreSQL: a connection of the writer's own, not a pool's.
//!
//! A pool tests every connection given back to it with a round trip, and the writer's one
//! pooled connection was given back after every batch: that ping stood between each batch
//! and the next, and every caller waiting behind them.
//!
//! A batch is written one of two ways:
//! - **After the head it remembers**, in one statement: the chain's lock and the INSERT of
//!   the records after the head this writer's last batch left, committed on their own.
//!   Taken while no other instance appends: when the last batch found the head where this
//!   writer had left it, and the batch fits one statement. Should another instance have
//!   appended since, its records hold the first id: the primary key refuses the statement,
//!   nothing is written, and the batch goes the other way at once.
//! - **After the head it reads**, in three round trips: the transaction's start, the
//!   chain's lock and the head in one message; the INSERT (one per [`STATEMENT_BYTES`]);
//!   the commit. The head is read in a statement of its own after the lock's: each
//!   statement of the message takes its snapshot when it starts, so the head read sees
//!   every batch committed by another instance while this one waited for the lock.
//!
//! Both take the chain's lock, so a batch never races another instance's, and the head a
//! checkpoint signs does not move under it. A connection whose batch failed otherwise is
//! closed, and its open transaction with it; the next attempt opens a fresh one.

use std::sync::Arc;

use entities::audit_record;
use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, EntityName, RuntimeErr,
    sqlx::{
        self, AssertSqlSafe, Connection, Row,
        error::ErrorKind,
        postgres::{PgConnectOptions, PgConnection},
    },
};

use super::{CHAIN_LOCK, Chained, Head, RECORD_COLUMNS, chained};
use crate::audit::{AuditEvent, Outcome, chain::GENESIS};
use crate::store::coordination::transaction_lock_sql;

/// How a batch found the head it was appended after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadFound {
    /// The head this writer's last batch left: one statement.
    Remembered,
    /// Read under the chain's lock: a transaction of three round trips.
    Read,
}

impl HeadFound {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remembered => "remembered",
            Self::Read => "read",
        }
    }
}

/// Appends batches on a connection of its own to a PostgreSQL server.
pub(super) struct ServerWriter {
    /// The pool's own options: the same server, credentials and TLS.
    options: Arc<PgConnectOptions>,
    connection: Option<PgConnection>,
    /// Starts the batch's transaction, takes the chain's lock, reads the head.
    opening: String,
    /// Takes the chain's lock for the one statement of a batch after the remembered head.
    lock: String,
    /// The head this writer's last batch left, and whether that batch found the chain
    /// where the one before had left it (no other instance appending meanwhile).
    last: Option<(Head, bool)>,
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
            lock: transaction_lock_sql(CHAIN_LOCK),
            last: None,
        }
    }

    /// Appends `events` after the chain's head, all or none.
    pub(super) async fn write(&mut self, events: &[&AuditEvent]) -> Result<HeadFound, DbErr> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self.connection.insert(
                PgConnection::connect_with(&self.options)
                    .await
                    .map_err(|err| DbErr::Conn(runtime(err)))?,
            ),
        };
        let previous = self.last.take();
        let remembered = match &previous {
            Some((head, true)) if statement_sizes(events).len() == 1 => Some(head.clone()),
            _ => None,
        };
        let written = match remembered {
            Some(head) => match append_after(connection, &self.lock, events, head).await {
                Ok(new_head) => Ok((new_head, true, HeadFound::Remembered)),
                // Another instance appended since: nothing was written.
                Err(err) if is_unique_violation(&err) => {
                    append_after_read(connection, &self.opening, events, None).await
                }
                Err(err) => Err(err),
            },
            None => {
                let previous = previous.as_ref().map(|(head, _)| head);
                append_after_read(connection, &self.opening, events, previous).await
            }
        };
        match written {
            Ok((head, alone, found)) => {
                self.last = Some((head, alone));
                Ok(found)
            }
            Err(err) => {
                // Its state is unknown (a transaction left open, a reply half read): the
                // server rolls back what the connection leaves behind.
                self.connection = None;
                Err(DbErr::Query(runtime(err)))
            }
        }
    }
}

/// `events` after `head` in one statement that takes the chain's lock and commits on its
/// own; the new head.
async fn append_after(
    connection: &mut PgConnection,
    lock: &str,
    events: &[&AuditEvent],
    head: Head,
) -> Result<Head, sqlx::Error> {
    let (records, head) = chained(events, head);
    // A SELECT in WITH runs only as far as the statement reads it: the join reads the
    // lock's one row before the first record's.
    let sql = format!(
        "WITH chain_lock AS MATERIALIZED ({lock}) INSERT INTO {table} ({RECORD_COLUMNS}) \
         SELECT batch.* FROM chain_lock, (VALUES {values}) AS batch",
        table = audit_record::Entity.table_name(),
        values = placeholders(records.len()),
    );
    bound(&sql, &records).execute(&mut *connection).await?;
    Ok(head)
}

/// `events` in one transaction that takes the chain's lock and reads its head first; the
/// new head, and whether the head read was `previous` (no other instance appended since).
async fn append_after_read(
    connection: &mut PgConnection,
    opening: &str,
    events: &[&AuditEvent],
    previous: Option<&Head>,
) -> Result<(Head, bool, HeadFound), sqlx::Error> {
    let opened = sqlx::raw_sql(AssertSqlSafe(opening))
        .fetch_all(&mut *connection)
        .await?;
    // The lock's row has no `hash`; the head's row, when there is a record, does.
    let head: Head = opened
        .iter()
        .find_map(|row| Some((row.try_get("id").ok()?, row.try_get("hash").ok()?)))
        .unwrap_or_else(|| (0, GENESIS.to_owned()));
    let alone = previous == Some(&head);
    let (records, new_head) = chained(events, head);
    let mut rest = records.as_slice();
    for count in statement_sizes(events) {
        let (part, after) = rest.split_at(count.min(rest.len()));
        rest = after;
        let sql = format!(
            "INSERT INTO {table} ({RECORD_COLUMNS}) VALUES {values}",
            table = audit_record::Entity.table_name(),
            values = placeholders(part.len()),
        );
        bound(&sql, part).execute(&mut *connection).await?;
    }
    sqlx::raw_sql("COMMIT").execute(&mut *connection).await?;
    Ok((new_head, alone, HeadFound::Read))
}

/// `($1, …, $15), ($16, …)`: one row of parameters per record.
fn placeholders(records: usize) -> String {
    let columns = RECORD_COLUMNS.split(", ").count();
    let mut text = String::with_capacity(records * columns * 5);
    for record in 0..records {
        text.push_str(if record == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                text.push_str(", ");
            }
            text.push('$');
            text.push_str(&(record * columns + column + 1).to_string());
        }
        text.push(')');
    }
    text
}

/// `sql` with each record's fields bound in the order of [`RECORD_COLUMNS`].
fn bound<'q>(
    sql: &'q str,
    records: &'q [Chained<'q>],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for record in records {
        let actor = &record.event.actor;
        query = query
            .bind(record.id)
            .bind(record.at)
            .bind(&actor.request_id)
            .bind(&actor.subject)
            .bind(&actor.role)
            .bind(&actor.region)
            .bind(&actor.purpose)
            .bind(&actor.case_ref)
            .bind(record.event.action)
            .bind(&record.event.target)
            .bind(&record.departments)
            .bind(&record.field_groups)
            .bind(&record.outcome)
            .bind(&record.prev_hash)
            .bind(&record.hash);
    }
    query
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation)
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
    use sea_orm::{EntityTrait, QueryTrait, Value};

    use super::super::chained_rows;
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

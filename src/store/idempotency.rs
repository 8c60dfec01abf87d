//! Idempotency keys: a mutation names its attempt with a key of the caller's choosing;
//! the key is stored in the same transaction as the change it made, so a retry (after a
//! lost answer on a mobile network) finds it and gets the first result instead of a
//! second change, and a retry racing the first attempt loses on the key's uniqueness.
//! [`once`] is the one shape every idempotent mutation takes. Owns the table
//! `idempotency_key`.

use std::future::Future;

use chrono::{DateTime, Utc};
use entities::idempotency_key;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};

use super::StoreError;

/// What a mutation did: its result, and whether it was a replay of an earlier attempt.
#[derive(Debug, Clone)]
pub struct Done<T> {
    pub value: T,
    pub replayed: bool,
}

/// A fresh result. An act that may find its work already done (a record resent under
/// its own id) answers a [`Done`] itself.
impl<T> From<T> for Done<T> {
    fn from(value: T) -> Self {
        Self {
            value,
            replayed: false,
        }
    }
}

/// Runs a mutation at most once per key. An earlier attempt under the same key answers
/// with its result (`replay` reads it back from the id the attempt recorded); otherwise
/// `act` runs, recording the attempt with [`Attempt::record`] in the transaction of its
/// change. When `act` fails, a concurrent attempt under the same key may have succeeded
/// meanwhile: then its result is this attempt's too.
pub async fn once<T, E, A, R, RF>(
    db: &impl ConnectionTrait,
    attempt: &Attempt,
    replay: R,
    act: impl Future<Output = Result<A, E>>,
) -> Result<Done<T>, E>
where
    A: Into<Done<T>>,
    R: Fn(String) -> RF,
    RF: Future<Output = Result<T, E>>,
    E: From<KeyError> + From<StoreError>,
{
    let replayed = |value| Done {
        value,
        replayed: true,
    };
    match attempt.earlier(db).await? {
        Earlier::Done(id) => return replay(id).await.map(replayed),
        Earlier::Reused => return Err(KeyError::Reused.into()),
        Earlier::None => {}
    }
    let err = match act.await {
        Ok(done) => return Ok(done.into()),
        Err(err) => err,
    };
    match attempt.earlier(db).await {
        Ok(Earlier::Done(id)) => replay(id).await.map(replayed),
        Ok(Earlier::Reused) => Err(KeyError::Reused.into()),
        Ok(Earlier::None) | Err(_) => Err(err),
    }
}

/// A caller's key for one attempt of one operation.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub subject: String,
    pub key: String,
    pub operation: &'static str,
    /// SHA-256 of the operation's input.
    pub fingerprint: String,
}

/// What an earlier attempt under the same key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earlier {
    /// Nothing yet: go ahead.
    None,
    /// The same operation with the same input: its result.
    Done(String),
    /// The key was used for another operation or another input.
    Reused,
}

/// Why an idempotency key is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("an idempotency key is 8 to 80 characters of letters, digits, `-`, `_` or `:`")]
    Malformed,
    #[error("this idempotency key was already used for a different operation or input")]
    Reused,
}

/// Whether `key` can name an attempt: 8 to 80 letters, digits, `-`, `_` or `:`.
pub fn check_key(key: &str) -> Result<(), KeyError> {
    let well_formed = (8..=80).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'));
    if well_formed {
        Ok(())
    } else {
        Err(KeyError::Malformed)
    }
}

impl Attempt {
    /// `input` is any stable rendering of the operation's arguments.
    pub fn new(
        subject: &str,
        key: &str,
        operation: &'static str,
        input: &str,
    ) -> Result<Self, KeyError> {
        check_key(key)?;
        let fingerprint = hex::encode(Sha256::digest(format!("{operation}\n{input}")));
        Ok(Self {
            subject: subject.to_owned(),
            key: key.to_owned(),
            operation,
            fingerprint,
        })
    }

    /// What an earlier attempt under this key did.
    pub async fn earlier(&self, db: &impl ConnectionTrait) -> Result<Earlier, StoreError> {
        let found = idempotency_key::Entity::find_by_id((self.subject.clone(), self.key.clone()))
            .one(db)
            .await?;
        Ok(match found {
            None => Earlier::None,
            Some(row) if row.operation == self.operation && row.fingerprint == self.fingerprint => {
                Earlier::Done(row.result_id)
            }
            Some(_) => Earlier::Reused,
        })
    }

    /// Records the attempt's result, inside the transaction of its change. Fails (and so
    /// rolls the change back) when a concurrent attempt under the same key got there first.
    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        result_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            subject: Set(self.subject.clone()),
            key: Set(self.key.clone()),
            operation: Set(self.operation.to_owned()),
            fingerprint: Set(self.fingerprint.clone()),
            result_id: Set(result_id.to_owned()),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_checked_and_fingerprints_follow_the_input() {
        assert_eq!(
            Attempt::new("s", "short", "op", "x").err(),
            Some(KeyError::Malformed)
        );
        assert_eq!(
            Attempt::new("s", "has space in it", "op", "x").err(),
            Some(KeyError::Malformed)
        );
        let a = Attempt::new("s", "retry-0001", "op", "x").ok();
        let b = Attempt::new("s", "retry-0001", "op", "y").ok();
        let a2 = Attempt::new("s", "retry-0001", "op", "x").ok();
        assert!(a.is_some() && b.is_some());
        assert_ne!(
            a.as_ref().map(|a| &a.fingerprint),
            b.as_ref().map(|b| &b.fingerprint)
        );
        assert_eq!(a.map(|a| a.fingerprint), a2.map(|a| a.fingerprint));
    }
}

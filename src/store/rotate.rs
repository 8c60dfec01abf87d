//! Key rotation of the resident index: every resident's ID number re-sealed under the
//! current encryption key version and re-hashed under the current lookup key version, a
//! page per transaction. Only rows not yet under both current versions are selected, so a
//! rerun continues where an interrupted one stopped. A resident's id never changes.

use entities::resident;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{
    StoreError,
    id_vault::{IdVault, Sealed},
};

/// How much one run does.
#[derive(Debug, Clone, Copy)]
pub struct RotateOptions {
    /// Residents per transaction.
    pub page_size: u64,
    /// Stop after this many residents; the next run continues.
    pub max_residents: Option<u64>,
}

impl Default for RotateOptions {
    fn default() -> Self {
        Self {
            page_size: 500,
            max_residents: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotateReport {
    /// Residents moved to the current versions by this run.
    pub rotated: u64,
    /// Residents still under an older version afterwards.
    pub remaining: u64,
    pub encryption_version: u32,
    pub lookup_version: u32,
}

/// Why a run stopped; what it committed before stays done.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "resident {resident}: the ID number sealed under encryption key version {version} cannot be opened; keep that version in privacy.encryption_keys until the rotation is done"
    )]
    Unsealable { resident: String, version: i32 },
}

impl From<sea_orm::DbErr> for RotateError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.into())
    }
}

/// Residents not under both current versions.
fn stale(vault: &IdVault) -> Condition {
    Condition::any()
        .add(resident::Column::KeyVersion.ne(version(vault.encryption_version())))
        .add(resident::Column::LookupKeyVersion.ne(version(vault.lookup_version())))
}

fn version(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Residents that a rotation to the vault's current versions has still to do.
pub async fn remaining(db: &DatabaseConnection, vault: &IdVault) -> Result<u64, StoreError> {
    Ok(resident::Entity::find()
        .filter(stale(vault))
        .count(db)
        .await?)
}

/// Rotates the index to the vault's current versions, reporting `(done, total)` after
/// each committed page, where `total` is what was left when the run started.
pub async fn rotate(
    db: &DatabaseConnection,
    vault: &IdVault,
    options: &RotateOptions,
    mut progress: impl FnMut(u64, u64),
) -> Result<RotateReport, RotateError> {
    let encryption = version(vault.encryption_version());
    let lookup = version(vault.lookup_version());
    let total = remaining(db, vault).await?;
    let budget = options.max_residents.unwrap_or(u64::MAX).min(total);
    let mut done = 0_u64;
    let mut after: Option<String> = None;
    while done < budget {
        let limit = options.page_size.max(1).min(budget - done);
        let mut query = resident::Entity::find().filter(stale(vault));
        if let Some(after) = &after {
            query = query.filter(resident::Column::Id.gt(after.as_str()));
        }
        let rows = query
            .order_by_asc(resident::Column::Id)
            .limit(limit)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        let txn = super::begin_writing(db).await?;
        for row in &rows {
            let unsealable = || RotateError::Unsealable {
                resident: row.id.clone(),
                version: row.key_version,
            };
            let number = vault
                .open(&Sealed {
                    key_version: u32::try_from(row.key_version).map_err(|_| unsealable())?,
                    ciphertext: row.id_cipher.clone(),
                })
                .map_err(|_| unsealable())?;
            // A number already under the current encryption key keeps its ciphertext.
            let (cipher, key_version) = if row.key_version == encryption {
                (row.id_cipher.clone(), row.key_version)
            } else {
                let sealed = vault.seal(&number);
                (sealed.ciphertext, version(sealed.key_version))
            };
            // Only the row as it was read is changed: a concurrent run that got there
            // first leaves nothing to do.
            resident::Entity::update_many()
                .col_expr(resident::Column::IdCipher, Expr::value(cipher))
                .col_expr(resident::Column::KeyVersion, Expr::value(key_version))
                .col_expr(
                    resident::Column::LookupHash,
                    Expr::value(vault.lookup_hash(&number)),
                )
                .col_expr(resident::Column::LookupKeyVersion, Expr::value(lookup))
                .filter(resident::Column::Id.eq(row.id.as_str()))
                .filter(resident::Column::KeyVersion.eq(row.key_version))
                .filter(resident::Column::LookupKeyVersion.eq(row.lookup_key_version))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        done += rows.len() as u64;
        progress(done, total);
    }
    Ok(RotateReport {
        rotated: done,
        remaining: remaining(db, vault).await?,
        encryption_version: vault.encryption_version(),
        lookup_version: vault.lookup_version(),
    })
}

//! Ratings of resolved service requests (政务服务“好差评”) in the hub's tables: the five
//! levels of the national system, one rating per request. Owns the table
//! `request_rating`.

use std::fmt;

use chrono::{DateTime, Utc};
use entities::request_rating;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::{domain::Department, store::StoreError};

/// How satisfied the villager is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    VerySatisfied,
    Satisfied,
    FairlySatisfied,
    Dissatisfied,
    VeryDissatisfied,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Self::VerySatisfied,
        Self::Satisfied,
        Self::FairlySatisfied,
        Self::Dissatisfied,
        Self::VeryDissatisfied,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::VerySatisfied => "VERY_SATISFIED",
            Self::Satisfied => "SATISFIED",
            Self::FairlySatisfied => "FAIRLY_SATISFIED",
            Self::Dissatisfied => "DISSATISFIED",
            Self::VeryDissatisfied => "VERY_DISSATISFIED",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// A poor rating (差评): the township must answer it.
    pub fn is_poor(self) -> bool {
        matches!(self, Self::Dissatisfied | Self::VeryDissatisfied)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A rating as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub request_id: String,
    pub level: Level,
    pub comment: Option<String>,
    /// The token subject who gave it.
    pub rated_by: String,
    pub rater_role: String,
    /// Given by an assistant on the resident's behalf (代评价).
    pub on_behalf: bool,
    pub village_code: String,
    pub department: Option<Department>,
    pub catalogue_code: String,
    pub rated_at: DateTime<Utc>,
}

pub async fn find(
    db: &impl ConnectionTrait,
    request_id: &str,
) -> Result<Option<Rating>, StoreError> {
    request_rating::Entity::find_by_id(request_id.to_owned())
        .one(db)
        .await?
        .map(to_rating)
        .transpose()
}

/// Stores a rating; the request's id is its key, so a second one fails.
pub async fn insert(db: &impl ConnectionTrait, rating: &Rating) -> Result<(), StoreError> {
    request_rating::Entity::insert(request_rating::ActiveModel {
        request_id: Set(rating.request_id.clone()),
        level: Set(rating.level.code().to_owned()),
        comment: Set(rating.comment.clone()),
        rated_by: Set(rating.rated_by.clone()),
        rater_role: Set(rating.rater_role.clone()),
        on_behalf: Set(rating.on_behalf),
        village_code: Set(rating.village_code.clone()),
        department: Set(rating.department.map(|d| d.as_str().to_owned())),
        catalogue_code: Set(rating.catalogue_code.clone()),
        rated_at: Set(rating.rated_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The ratings of `village` as counts see them: `(level, department, catalogue item)`.
pub async fn counted_in(
    db: &impl ConnectionTrait,
    village: &str,
) -> Result<Vec<(String, Option<String>, String)>, StoreError> {
    Ok(request_rating::Entity::find()
        .select_only()
        .column(request_rating::Column::Level)
        .column(request_rating::Column::Department)
        .column(request_rating::Column::CatalogueCode)
        .filter(request_rating::Column::VillageCode.eq(village))
        .into_tuple()
        .all(db)
        .await?)
}

fn to_rating(row: request_rating::Model) -> Result<Rating, StoreError> {
    let broken = |what: &str| StoreError::Data(format!("rating of {}: bad {what}", row.request_id));
    Ok(Rating {
        level: Level::parse(&row.level).ok_or_else(|| broken("level"))?,
        department: match &row.department {
            Some(d) => Some(Department::parse(d).ok_or_else(|| broken("department"))?),
            None => None,
        },
        request_id: row.request_id,
        comment: row.comment,
        rated_by: row.rated_by,
        rater_role: row.rater_role,
        on_behalf: row.on_behalf,
        village_code: row.village_code,
        catalogue_code: row.catalogue_code,
        rated_at: row.rated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_parses_back_and_only_the_two_lowest_are_poor() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.code()), Some(level));
        }
        let poor: Vec<Level> = Level::ALL.into_iter().filter(|l| l.is_poor()).collect();
        assert_eq!(poor, [Level::Dissatisfied, Level::VeryDissatisfied]);
    }
}

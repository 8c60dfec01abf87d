use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{Datelike, NaiveDate};

use super::codes::{
    Disclosure, FieldGroup as GqlFieldGroup, RegistrationStatus, Relationship, Sex,
};
use crate::{
    domain::{self, RegionCode, masking},
    error::{AppError, ResultExt},
    graphql::{context::ContextExt, region::Region},
    policy::{FieldGroup, Visibility, visibility},
    store::{
        id_vault::Sealed,
        residents::{self, ResidentRecord},
    },
};

/// A resident of a village or community, as the household register lists them, with
/// what each department knows of them. What a caller sees of each field group follows
/// the access policy; every read is recorded in the audit log.
pub struct Resident {
    pub(super) record: Arc<ResidentRecord>,
    /// The caller is this resident (a `resident` token with their own ID number).
    pub(super) own: bool,
}

impl Resident {
    /// Decides a field group for the caller and records the read (or the withholding).
    fn disclose(
        &self,
        ctx: &Context<'_>,
        group: FieldGroup,
        department: Option<&str>,
    ) -> async_graphql::Result<Visibility> {
        let request = ctx.request()?;
        let principal = request
            .caller
            .personal_access()
            .map_err(AppError::from)
            .or_graphql()?;
        let seen = if self.own {
            Visibility::Read
        } else {
            visibility(principal, group)
        };
        if seen == Visibility::Withheld {
            request.access.withheld(group);
        } else {
            request.access.read(&self.record.id, group, department);
        }
        Ok(seen)
    }
}

/// A resident of a village or community, as the household register lists them. What a
/// caller sees of each field group follows the access policy (see `disclosure`); every
/// read is recorded in the audit log.
#[Object]
impl Resident {
    /// The hub's stable id of this resident (it survives every re-synchronisation and
    /// reveals nothing without the hub's key).
    async fn id(&self) -> ID {
        ID(self.record.id.clone())
    }

    /// The name as registered (姓名).
    async fn name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(match self.disclose(ctx, FieldGroup::Identity, None)? {
            Visibility::Withheld => None,
            Visibility::Masked => Some(masking::name(&self.record.name)),
            _ => Some(self.record.name.clone()),
        })
    }

    /// Sex (性别).
    async fn sex(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Sex>> {
        Ok(match self.disclose(ctx, FieldGroup::Identity, None)? {
            Visibility::Withheld => None,
            _ => domain::Sex::from_code(&self.record.sex).map(Sex::from),
        })
    }

    /// Age in whole years today (年龄).
    async fn age(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        Ok(match self.disclose(ctx, FieldGroup::Identity, None)? {
            Visibility::Withheld => None,
            _ => Some(age_on(
                self.record.birth_date,
                chrono::Local::now().date_naive(),
            )),
        })
    }

    /// The village or community of registration.
    async fn village(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        if self.disclose(ctx, FieldGroup::Identity, None)? == Visibility::Withheld {
            return Ok(None);
        }
        let code = RegionCode::from_statistical(&self.record.village_code)
            .map_err(AppError::from)
            .or_graphql()?;
        let loaded = ctx
            .request()?
            .regions
            .load_one(code)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        Ok(loaded.map(Region))
    }

    /// The household registration number (户号).
    async fn household_number(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(match self.disclose(ctx, FieldGroup::Identity, None)? {
            Visibility::Withheld => None,
            _ => Some(self.record.household_number.clone()),
        })
    }

    /// Relationship to the head of household (与户主关系).
    async fn relationship_to_head(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Relationship>> {
        Ok(match self.disclose(ctx, FieldGroup::Identity, None)? {
            Visibility::Withheld => None,
            _ => domain::Relationship::from_code(&self.record.relationship).map(Relationship::from),
        })
    }

    /// The citizen ID number (公民身份号码); masked as `220122********0017` where the
    /// policy says so.
    async fn id_number(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let seen = self.disclose(ctx, FieldGroup::IdNumber, None)?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let vault = &ctx.services()?.vault;
        let sealed = Sealed {
            key_version: u32::try_from(self.record.key_version).unwrap_or_default(),
            ciphertext: self.record.id_cipher.clone(),
        };
        let number = vault
            .open(&sealed)
            .map_err(|e| AppError::from(crate::store::StoreError::Data(e.to_string())))
            .or_graphql()?;
        Ok(Some(if seen == Visibility::Read {
            number
        } else {
            masking::id_number(&number)
        }))
    }

    /// Household registration status (户籍状态), as last synchronised.
    async fn registration_status(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<RegistrationStatus>> {
        Ok(
            match self.disclose(ctx, FieldGroup::RegistrationStatus, None)? {
                Visibility::Withheld => None,
                _ => Some(self.record.status.into()),
            },
        )
    }

    /// The other members of this resident's household, by name and relationship.
    async fn household(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Household>> {
        if self.disclose(ctx, FieldGroup::HouseholdMembers, None)? == Visibility::Withheld {
            return Ok(None);
        }
        household_of(ctx, &self.record.household_number, self.own).await
    }

    /// How much of each field group the caller sees of this resident; groups seen in
    /// full are not listed. A client never mistakes a masked value for a real one.
    async fn disclosure(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FieldDisclosure>> {
        let principal = ctx
            .request()?
            .caller
            .personal_access()
            .map_err(AppError::from)
            .or_graphql()?;
        if self.own {
            return Ok(Vec::new());
        }
        Ok(FieldGroup::ALL
            .into_iter()
            .map(|group| (group, visibility(principal, group)))
            .filter(|(_, seen)| *seen != Visibility::Read)
            .map(|(group, seen)| FieldDisclosure {
                group: group.into(),
                disclosure: seen.into(),
            })
            .collect())
    }
}

/// How much of one field group the caller sees.
#[derive(SimpleObject)]
pub struct FieldDisclosure {
    /// The field group.
    pub group: GqlFieldGroup,
    /// What the caller sees of it.
    pub disclosure: Disclosure,
}

/// A registered household (户): its number and members.
pub struct Household {
    number: String,
    village_code: String,
    members: Vec<Arc<ResidentRecord>>,
    own: bool,
}

/// A registered household (户): its number, village and members.
#[Object]
impl Household {
    /// The household registration number (户号).
    async fn number(&self) -> &str {
        &self.number
    }

    /// The village or community of registration.
    async fn village(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        let code = RegionCode::from_statistical(&self.village_code)
            .map_err(AppError::from)
            .or_graphql()?;
        let loaded = ctx
            .request()?
            .regions
            .load_one(code)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        Ok(loaded.map(Region))
    }

    /// The members, head of household first.
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<HouseholdMember>> {
        let request = ctx.request()?;
        for member in &self.members {
            request
                .access
                .read(&member.id, FieldGroup::HouseholdMembers, None);
        }
        Ok(self
            .members
            .iter()
            .map(|record| HouseholdMember {
                record: record.clone(),
                own: self.own,
            })
            .collect())
    }
}

/// A member of a household: name and relationship, and (where the caller may) the full
/// resident record.
pub struct HouseholdMember {
    record: Arc<ResidentRecord>,
    own: bool,
}

/// A member of a household: name and relationship, and (where the caller may) the full
/// resident record.
#[Object]
impl HouseholdMember {
    /// The member's name.
    async fn name(&self) -> &str {
        &self.record.name
    }

    /// Relationship to the head of household (与户主关系).
    async fn relationship_to_head(&self) -> Option<Relationship> {
        domain::Relationship::from_code(&self.record.relationship).map(Relationship::from)
    }

    /// The member's full record; null for a resident looking at their own household
    /// (they see members by name and relationship only).
    async fn resident(&self) -> Option<Resident> {
        (!self.own).then(|| Resident {
            record: self.record.clone(),
            own: false,
        })
    }
}

pub(super) async fn household_of(
    ctx: &Context<'_>,
    number: &str,
    own: bool,
) -> async_graphql::Result<Option<Household>> {
    let members = residents::household(&ctx.services()?.db, number)
        .await
        .or_graphql()?;
    let Some(first) = members.first() else {
        return Ok(None);
    };
    Ok(Some(Household {
        number: number.to_owned(),
        village_code: first.village_code.clone(),
        members: members.into_iter().map(Arc::new).collect(),
        own,
    }))
}

pub(super) fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0)
}

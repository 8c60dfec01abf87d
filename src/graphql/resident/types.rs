use std::sync::{Arc, OnceLock};

use async_graphql::{
    Context, ID, Object, QueryPathSegment, SimpleObject,
    dataloader::{DataLoader, HashMapCache, Loader},
};
use chrono::{Datelike, NaiveDate};

use super::codes::{
    Disclosure, FieldGroup as GqlFieldGroup, RegistrationStatus, Relationship, Sex,
};
use super::departments::{
    CivilKey, DeclaredKey, declared,
    loaders::{Answer, DeclaredLoader},
    views::{
        Assistance, Employment, Freshness, HouseholdRegistration, MedicalInsurance, Pension,
        SocialInsurance,
    },
};
use crate::{
    adapters::{Fresh, declared::DeclaredView},
    domain::{self, Department, IdNumber, RegionCode, masking},
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        node::{NodeType, global_id},
        region::Region,
    },
    policy::{FieldGroup, Subject, Visibility},
    store::{
        StoreError,
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
    /// Whether the resident is a child under 14, worked out at the first decision.
    child: ChildFlag,
}

impl Resident {
    /// A resident as `own` says: read by themselves, or by someone else.
    pub(crate) fn seen(record: Arc<ResidentRecord>, own: bool) -> Self {
        Self {
            record,
            own,
            child: ChildFlag::default(),
        }
    }

    /// A resident listed for a caller who is not this resident.
    pub(crate) fn listed(record: Arc<ResidentRecord>) -> Self {
        Self::seen(record, false)
    }

    /// The resident's ID number, opened from the index for a department call.
    fn opened_id_number(&self, ctx: &Context<'_>) -> async_graphql::Result<IdNumber> {
        opened_id_number(ctx, &self.record)
    }

    /// Asks a department about this resident through the request's loader.
    async fn ask<L, T>(
        &self,
        ctx: &Context<'_>,
        loader: &DataLoader<L, HashMapCache>,
    ) -> async_graphql::Result<Fresh<T>>
    where
        L: Loader<IdNumber, Value = Answer<T>, Error = std::convert::Infallible>,
        T: Clone + Send + Sync + 'static,
    {
        answer(loader.load_one(self.opened_id_number(ctx)?).await)
    }

    /// Asks the declared system serving this resident's village through the request's
    /// loader.
    async fn ask_declared<V: DeclaredView>(
        &self,
        ctx: &Context<'_>,
        loader: &DataLoader<DeclaredLoader<V>, HashMapCache>,
    ) -> async_graphql::Result<Fresh<Option<V>>> {
        let key = DeclaredKey {
            id_number: self.opened_id_number(ctx)?,
            village: self.record.village_code.clone(),
        };
        answer(loader.load_one(key).await)
    }

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
            let subject = subject_of(ctx, &self.record, &self.child)?;
            ctx.services()?.policy.visibility(principal, group, subject)
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
    /// reveals nothing without the hub's key). It is also the resident's node id:
    /// `node(id:)` and `resident(id:)` both take it.
    pub(crate) async fn id(&self) -> ID {
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
        let number = self.opened_id_number(ctx)?.as_str().to_owned();
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

    /// The phone number public security holds (联系电话); masked where the policy says so.
    async fn phone(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let seen = self.disclose(ctx, FieldGroup::Phone, Some("public_security"))?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let fresh = self.ask(ctx, &ctx.request()?.departments.police).await?;
        let phone = fresh.value.and_then(|view| view.phone);
        Ok(phone.map(|p| {
            if seen == Visibility::Read {
                p
            } else {
                masking::phone(&p)
            }
        }))
    }

    /// Basic medical insurance, live from the medical insurance platform; null when the
    /// platform knows no enrolment or the caller may not see it.
    async fn medical_insurance(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<MedicalInsurance>> {
        let seen = self.disclose(ctx, FieldGroup::MedicalInsurance, Some("medical_insurance"))?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let fresh = self.ask(ctx, &ctx.request()?.departments.medical).await?;
        let freshness = Freshness::of(&fresh);
        let Some(view) = fresh.value else {
            return Ok(None);
        };
        let identities = self.disclose(
            ctx,
            FieldGroup::MedicalAssistance,
            Some("medical_insurance"),
        )?;
        Ok(Some(MedicalInsurance {
            view,
            disclosure: seen.into(),
            identities_visible: identities != Visibility::Withheld,
            freshness,
        }))
    }

    /// Social insurance schemes, live from the social security platform.
    async fn social_insurance(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<SocialInsurance>> {
        let seen = self.disclose(ctx, FieldGroup::SocialInsurance, Some("social_security"))?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let fresh = self.ask(ctx, &ctx.request()?.departments.social).await?;
        let freshness = Freshness::of(&fresh);
        Ok(fresh
            .value
            .map(|view| SocialInsurance::from_view(&view, seen.into(), freshness)))
    }

    /// The pension and its eligibility certification, live from the social security
    /// platform; null for a person who draws none.
    async fn pension(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Pension>> {
        let seen = self.disclose(ctx, FieldGroup::Pension, Some("social_security"))?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let fresh = self.ask(ctx, &ctx.request()?.departments.social).await?;
        let freshness = Freshness::of(&fresh);
        Ok(fresh
            .value
            .and_then(|view| view.pension)
            .map(|pension| Pension::from_view(&pension, seen.into(), freshness)))
    }

    /// Employment registration and training, live from the social security platform;
    /// the registration status alone where the caller sees status only.
    async fn employment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employment>> {
        let seen = self.disclose(ctx, FieldGroup::Employment, Some("social_security"))?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let fresh = self
            .ask(ctx, &ctx.request()?.departments.employment)
            .await?;
        let freshness = Freshness::of(&fresh);
        Ok(fresh
            .value
            .map(|view| Employment::from_view(&view, seen.into(), freshness)))
    }

    /// Veteran or other entitled person (优抚对象) and the preferential-treatment card,
    /// live from the veterans' platform serving the resident's region; null for a person
    /// it does not know. Being in difficulty and care visits show where the caller sees
    /// veterans' care.
    async fn veteran(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<declared::Veteran>> {
        let department = Some(Department::VeteransAffairs.as_str());
        let seen = self.disclose(ctx, FieldGroup::VeteranStatus, department)?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let care = self.disclose(ctx, FieldGroup::VeteranCare, department)? != Visibility::Withheld;
        let fresh = self
            .ask_declared(ctx, &ctx.request()?.departments.veterans)
            .await?;
        let freshness = Freshness::of(&fresh);
        Ok(fresh
            .value
            .map(|view| declared::Veteran::from_view(&view, seen.into(), care, freshness)))
    }

    /// The family-doctor contract (家庭医生签约) and its village clinic, live from the
    /// health platform; null for a person without one.
    async fn family_doctor(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<declared::FamilyDoctorContract>> {
        let department = Some(Department::Health.as_str());
        let seen = self.disclose(ctx, FieldGroup::FamilyDoctor, department)?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let fresh = self
            .ask_declared(ctx, &ctx.request()?.departments.family_doctor)
            .await?;
        let freshness = Freshness::of(&fresh);
        Ok(fresh
            .value
            .map(|view| declared::FamilyDoctorContract::from_view(&view, seen.into(), freshness)))
    }

    /// Lifted out of poverty (脱贫人口) or monitored against relapse (防止返贫监测对象),
    /// live from the rural revitalisation system; null for a person not on its register.
    async fn poverty_monitoring(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<declared::PovertyMonitoring>> {
        let department = Some(Department::Agriculture.as_str());
        let seen = self.disclose(ctx, FieldGroup::PovertyMonitoring, department)?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let fresh = self
            .ask_declared(ctx, &ctx.request()?.departments.poverty)
            .await?;
        let freshness = Freshness::of(&fresh);
        Ok(fresh
            .value
            .map(|view| declared::PovertyMonitoring::from_view(&view, seen.into(), freshness)))
    }

    /// Social assistance programmes, live from civil affairs.
    async fn assistance(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Assistance>> {
        let seen = self.disclose(ctx, FieldGroup::AssistanceProgrammes, Some("civil_affairs"))?;
        if seen == Visibility::Withheld {
            return Ok(None);
        }
        let amounts = self.disclose(ctx, FieldGroup::AssistanceAmounts, Some("civil_affairs"))?
            == Visibility::Read;
        let key = CivilKey {
            id_number: self.opened_id_number(ctx)?,
            village: self.record.village_code.clone(),
        };
        let fresh = answer(ctx.request()?.departments.civil.load_one(key).await)?;
        let freshness = Freshness::of(&fresh);
        Ok(Some(Assistance::from_records(
            &fresh.value,
            &self.record.name,
            seen.into(),
            amounts,
            freshness,
        )))
    }

    /// Household registration, live from public security.
    async fn household_registration(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<HouseholdRegistration>> {
        if self.disclose(ctx, FieldGroup::RegistrationStatus, Some("public_security"))?
            == Visibility::Withheld
        {
            return Ok(None);
        }
        let address = self.disclose(ctx, FieldGroup::RegisteredAddress, Some("public_security"))?;
        let fresh = self.ask(ctx, &ctx.request()?.departments.police).await?;
        let freshness = Freshness::of(&fresh);
        let today = chrono::Local::now().date_naive();
        Ok(fresh
            .value
            .map(|view| HouseholdRegistration::from_view(&view, address.into(), today, freshness)))
    }

    /// Cross-department checks this resident fails, checked now against the four
    /// departments, each with the facts behind it. Null where the caller's role sees no
    /// alerts; police see expired ID cards only, a department clerk those involving
    /// their department.
    async fn alerts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<crate::graphql::alerts::Alert>>> {
        let id_number = self.opened_id_number(ctx)?;
        crate::graphql::alerts::live(ctx, &self.record, id_number, self.own).await
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
        let policy = &ctx.services()?.policy;
        let subject = subject_of(ctx, &self.record, &self.child)?;
        Ok(FieldGroup::ALL
            .into_iter()
            .map(|group| (group, policy.visibility(principal, group, subject)))
            .filter(|(_, seen)| *seen != Visibility::Read)
            .map(|(group, seen)| FieldDisclosure {
                group: group.into(),
                disclosure: seen.into(),
            })
            .collect())
    }
}

/// A department's answer, or its failure as a GraphQL error naming the department.
fn answer<T>(
    loaded: Result<Option<Answer<T>>, std::convert::Infallible>,
) -> async_graphql::Result<Fresh<T>> {
    match loaded {
        Ok(Some(Ok(fresh))) => Ok(fresh),
        Ok(Some(Err(err))) => Err(AppError::Department(err)).or_graphql(),
        Ok(None) | Err(_) => Err(AppError::from(StoreError::Data(
            "a department answer went missing".into(),
        )))
        .or_graphql(),
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
    /// The household's global id, for `node(id:)`: built from its number, opaque to
    /// clients (use `number` to name the household elsewhere).
    pub(crate) async fn id(&self) -> ID {
        global_id(NodeType::Household, &self.number)
    }

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
                child: ChildFlag::default(),
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
    child: ChildFlag,
}

impl HouseholdMember {
    /// What the caller sees of the member's identity group (name, relationship): the
    /// same rule as on a resident (a child under 14 included), the member's read already
    /// audited with the household. A resident's own household shows every member.
    fn identity(&self, ctx: &Context<'_>) -> async_graphql::Result<Visibility> {
        if self.own {
            return Ok(Visibility::Read);
        }
        let request = ctx.request()?;
        let principal = request
            .caller
            .personal_access()
            .map_err(AppError::from)
            .or_graphql()?;
        let subject = subject_of(ctx, &self.record, &self.child)?;
        let seen = ctx
            .services()?
            .policy
            .visibility(principal, FieldGroup::Identity, subject);
        if seen == Visibility::Withheld {
            request.access.withheld(FieldGroup::Identity);
        }
        Ok(seen)
    }
}

/// A member of a household: name and relationship, and (where the caller may) the full
/// resident record.
#[Object]
impl HouseholdMember {
    /// The member's name; masked as `张*` where the policy says so, null where it
    /// withholds names.
    async fn name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(match self.identity(ctx)? {
            Visibility::Withheld => None,
            Visibility::Masked => Some(masking::name(&self.record.name)),
            _ => Some(self.record.name.clone()),
        })
    }

    /// Relationship to the head of household (与户主关系).
    async fn relationship_to_head(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Relationship>> {
        Ok(match self.identity(ctx)? {
            Visibility::Withheld => None,
            _ => domain::Relationship::from_code(&self.record.relationship).map(Relationship::from),
        })
    }

    /// The member's full record; null for a resident looking at their own household
    /// (they see members by name and relationship only).
    async fn resident(&self) -> Option<Resident> {
        (!self.own).then(|| Resident::seen(self.record.clone(), false))
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

/// Whether a resident is a child under 14, once known: every field of the resident asks.
type ChildFlag = OnceLock<bool>;

/// A resident's ID number, opened from the index.
fn opened_id_number(ctx: &Context<'_>, record: &ResidentRecord) -> async_graphql::Result<IdNumber> {
    let sealed = Sealed {
        key_version: u32::try_from(record.key_version).unwrap_or_default(),
        ciphertext: record.id_cipher.clone(),
    };
    let opened = ctx
        .services()?
        .vault
        .open(&sealed)
        .map_err(|e| StoreError::Data(e.to_string()));
    let number = opened.map_err(AppError::from).or_graphql()?;
    IdNumber::parse(&number)
        .map_err(AppError::from)
        .or_graphql()
}

/// Whom a decision about `record` is about: a child under 14 (by the birth date in the ID
/// number, on today's date in China; worked out once per object in `child`) or an adult,
/// and whether the response reaches them through a list (any list above this field: a
/// listing, the residents of alerts, requests or visits, a household's members), which
/// exports them in bulk.
fn subject_of(
    ctx: &Context<'_>,
    record: &ResidentRecord,
    child: &ChildFlag,
) -> async_graphql::Result<Subject> {
    let child = match child.get() {
        Some(known) => *known,
        None => {
            let today = ctx.services()?.workflow.clock.today();
            let known = opened_id_number(ctx, record)?.is_child_under_14(today);
            *child.get_or_init(|| known)
        }
    };
    let in_bulk = ctx.path_node.is_some_and(|node| {
        node.parents()
            .any(|p| matches!(p.segment, QueryPathSegment::Index(_)))
    });
    Ok(Subject::of(child, in_bulk))
}

pub(super) fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0)
}

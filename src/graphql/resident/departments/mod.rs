//! Department-backed fields of a resident: loaders that batch per department, and the
//! objects that show their answers.

pub mod declared;
pub mod enums;
pub mod loaders;
pub mod views;

pub use loaders::{CivilKey, DeclaredKey, DepartmentLoaders, DepartmentOutcomes};

use async_graphql::Context;

use crate::{domain::IdNumber, policy::FieldGroup};

/// Which department fields a page of residents selects, and for whom, asked of each
/// department in one batch before the fields resolve (they then read the request's
/// loader cache). Without it, a large page would reach a loader in several batches.
pub async fn prefetch(
    ctx: &Context<'_>,
    residents: &[(IdNumber, String)],
    visible: impl Fn(FieldGroup) -> bool,
) {
    let Ok(request) = crate::graphql::context::ContextExt::request(ctx) else {
        return;
    };
    let look = ctx.look_ahead();
    let selects = |field: &str| {
        look.field("nodes").field(field).exists()
            || look.field("edges").field("node").field(field).exists()
    };
    let ids: Vec<IdNumber> = residents.iter().map(|(id, _)| *id).collect();
    let loaders = &request.departments;
    let medical = async {
        if selects("medicalInsurance") && visible(FieldGroup::MedicalInsurance) {
            let _ = loaders.medical.load_many(ids.iter().copied()).await;
        }
    };
    let social = async {
        if (selects("socialInsurance") && visible(FieldGroup::SocialInsurance))
            || (selects("pension") && visible(FieldGroup::Pension))
        {
            let _ = loaders.social.load_many(ids.iter().copied()).await;
        }
    };
    let employment = async {
        if selects("employment") && visible(FieldGroup::Employment) {
            let _ = loaders.employment.load_many(ids.iter().copied()).await;
        }
    };
    let civil = async {
        if selects("assistance") && visible(FieldGroup::AssistanceProgrammes) {
            let keys = residents.iter().map(|(id, village)| CivilKey {
                id_number: *id,
                village: village.clone(),
            });
            let _ = loaders.civil.load_many(keys).await;
        }
    };
    let police = async {
        if (selects("householdRegistration") && visible(FieldGroup::RegistrationStatus))
            || (selects("phone") && visible(FieldGroup::Phone))
        {
            let _ = loaders.police.load_many(ids.iter().copied()).await;
        }
    };
    let village_keys = || {
        residents.iter().map(|(id, village)| DeclaredKey {
            id_number: *id,
            village: village.clone(),
        })
    };
    let veterans = async {
        if selects("veteran") && visible(FieldGroup::VeteranStatus) {
            let _ = loaders.veterans.load_many(village_keys()).await;
        }
    };
    let family_doctor = async {
        if selects("familyDoctor") && visible(FieldGroup::FamilyDoctor) {
            let _ = loaders.family_doctor.load_many(village_keys()).await;
        }
    };
    let poverty = async {
        if selects("povertyMonitoring") && visible(FieldGroup::PovertyMonitoring) {
            let _ = loaders.poverty.load_many(village_keys()).await;
        }
    };
    futures_util::join!(
        medical,
        social,
        employment,
        civil,
        police,
        veterans,
        family_doctor,
        poverty
    );
}

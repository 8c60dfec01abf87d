//! What the hub asks of the departments, one trait per capability, in the hub's own
//! terms (domain views, [`AdapterError`], [`Fresh`]). The department adapters implement
//! them; [`super::Departments`] holds each as an `Arc<dyn _>`, so a test or another
//! source can stand in for a department without touching the code that asks.
//!
//! - [`MedicalInsuranceLookup`]: a person's basic medical insurance enrolments and
//!   medical assistance identities, one person or many.
//! - [`SocialInsuranceLookup`]: a person's social insurance schemes and pension, with a
//!   batch call for a page or a village of people.
//! - [`EmploymentLookup`]: a person's employment registration and training.
//! - [`AssistanceLookup`]: social assistance (subsistence allowance, extreme poverty,
//!   disability subsidies, …) by person, or of a whole village in one walk.
//! - [`HouseholdRegister`]: the household register: a person's registration, a
//!   household with its members, and page-by-page listings of a region.
//!
//! The traits are object-safe through `async_trait` (native `async fn` in traits cannot
//! be called through `dyn`); every answer future is `Send`, as loaders run on spawned
//! tasks.

use std::collections::HashMap;

use async_trait::async_trait;
use futures_util::StreamExt;

use super::context::CallContext;
use super::error::AdapterError;
use super::upstream::cache::Fresh;
use crate::domain::views::{
    AssistanceRecord, EmploymentView, HouseholdView, MedicalInsuranceView, RegistrationPage,
    RegistrationView, SocialInsuranceView,
};
use crate::domain::{IdNumber, RegionCode};

/// One person's medical insurance; `None` inside when the source knows no such person.
pub type MedicalResult = Result<Fresh<Option<MedicalInsuranceView>>, AdapterError>;

/// One person's social insurances; `None` inside when the source has no record.
pub type InsurancesResult = Result<Fresh<Option<SocialInsuranceView>>, AdapterError>;

/// People asked at once by the default many-people calls of a source without a batch.
const DEFAULT_FAN_OUT: usize = 16;

/// Asks `ask` about each distinct person, at most [`DEFAULT_FAN_OUT`] at a time.
async fn each_person<T, F, Fut>(id_numbers: &[IdNumber], ask: F) -> HashMap<IdNumber, T>
where
    F: Fn(IdNumber) -> Fut,
    Fut: Future<Output = T>,
{
    let mut unique: Vec<IdNumber> = id_numbers.to_vec();
    unique.sort_unstable();
    unique.dedup();
    futures_util::stream::iter(unique)
        .map(|id| {
            let answer = ask(id);
            async move { (id, answer.await) }
        })
        .buffer_unordered(DEFAULT_FAN_OUT)
        .collect()
        .await
}

/// Basic medical insurance (医保): enrolments, their status, and the assistance
/// identities the insurance knows.
#[async_trait]
pub trait MedicalInsuranceLookup: Send + Sync {
    /// A person's enrolments and identities; `None` if no insured person has this number.
    async fn person(&self, id_number: &IdNumber, ctx: &CallContext) -> MedicalResult;

    /// Many people, each with their own result (one failure fails only its person). By
    /// default asks [`Self::person`] for each, a bounded number at a time.
    async fn people(
        &self,
        id_numbers: &[IdNumber],
        ctx: &CallContext,
    ) -> HashMap<IdNumber, MedicalResult> {
        each_person(id_numbers, |id| async move { self.person(&id, ctx).await }).await
    }
}

/// Social insurance (人社): the schemes a person contributes to and their pension.
#[async_trait]
pub trait SocialInsuranceLookup: Send + Sync {
    /// A person's insurance schemes and pension; `None` if there is no record.
    async fn insurances(&self, id_number: &IdNumber, ctx: &CallContext) -> InsurancesResult;

    /// Many people's insurances, each with their own result (a failed call fails only
    /// the people it asked about). By default asks [`Self::insurances`] for each, a
    /// bounded number at a time; a source with a batch call uses it instead.
    async fn insurances_batch(
        &self,
        id_numbers: &[IdNumber],
        ctx: &CallContext,
    ) -> HashMap<IdNumber, InsurancesResult> {
        each_person(
            id_numbers,
            |id| async move { self.insurances(&id, ctx).await },
        )
        .await
    }
}

/// Employment (人社): registration as employed or unemployed, and training taken.
#[async_trait]
pub trait EmploymentLookup: Send + Sync {
    /// A person's employment registration and training; `None` if there is no record.
    async fn employment(
        &self,
        id_number: &IdNumber,
        ctx: &CallContext,
    ) -> Result<Fresh<Option<EmploymentView>>, AdapterError>;
}

/// Social assistance (民政): allowances and subsidies a person receives, including
/// disability records.
#[async_trait]
pub trait AssistanceLookup: Send + Sync {
    /// A person's assistance records (empty when there are none).
    async fn assistance_by_id(
        &self,
        id_number: &IdNumber,
        ctx: &CallContext,
    ) -> Result<Fresh<Vec<AssistanceRecord>>, AdapterError>;

    /// Every assistance record of a village or community (12-digit code), whole: one
    /// call for many residents of the same village.
    async fn assistance_by_village(
        &self,
        village: &RegionCode,
        ctx: &CallContext,
    ) -> Result<Fresh<Vec<AssistanceRecord>>, AdapterError>;
}

/// The household register (公安): who is registered where, in which household, with
/// which status — and the listing of a region that the resident index is built from.
#[async_trait]
pub trait HouseholdRegister: Send + Sync {
    /// A person's registration; `None` if the register has no such person.
    async fn person(
        &self,
        id_number: &IdNumber,
        ctx: &CallContext,
    ) -> Result<Fresh<Option<RegistrationView>>, AdapterError>;

    /// A household (16-digit number) and its members; `None` if there is no such
    /// household.
    async fn household(
        &self,
        number: &str,
        ctx: &CallContext,
    ) -> Result<Fresh<Option<HouseholdView>>, AdapterError>;

    /// One page of the registrations of a village (12 digits), township (9) or county
    /// (6), from `cursor` (`None` for the first page), at most `limit` long. Always
    /// live: this is how a region is walked.
    async fn village_page(
        &self,
        region: &RegionCode,
        cursor: Option<&str>,
        limit: u32,
        ctx: &CallContext,
    ) -> Result<RegistrationPage, AdapterError>;
}

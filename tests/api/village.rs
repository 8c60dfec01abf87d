//! A synchronised township and one of its villages, for the tests of visits and alert
//! follow-up: its residents, role tokens, and GraphQL calls that return `data` or the
//! error codes.

use cunhub::{
    auth::Role,
    domain::Department,
    sim::SimCluster,
    store::residents::{self, ResidentFilter},
};
use serde_json::Value;

use crate::helpers::{TOWNSHIP, TestApp, TestResponse, spawn_hub_with_departments};

pub struct Village {
    pub app: TestApp,
    _cluster: SimCluster,
    /// A 12-digit village code of the township.
    pub code: String,
    /// Resident ids of the village, in id order.
    pub residents: Vec<String>,
    /// A resident of another village of the township.
    pub elsewhere: String,
}

impl Village {
    /// The township with `per_village` people per village; the village with the most.
    pub async fn spawn(per_village: u32) -> Self {
        let (app, cluster) = spawn_hub_with_departments(per_village, |_| {}).await;
        let filter = ResidentFilter {
            region_prefix: TOWNSHIP.to_owned(),
            ..ResidentFilter::default()
        };
        let (all, _) = residents::page(&app.db, &filter, None, 10_000)
            .await
            .unwrap();
        let mut by_village = std::collections::BTreeMap::<String, Vec<String>>::new();
        for record in &all {
            by_village
                .entry(record.village_code.clone())
                .or_default()
                .push(record.id.clone());
        }
        let (code, residents) = by_village
            .iter()
            .max_by_key(|(_, ids)| ids.len())
            .map(|(code, ids)| (code.clone(), ids.clone()))
            .unwrap();
        let elsewhere = all
            .iter()
            .find(|r| r.village_code != code)
            .map(|r| r.id.clone())
            .unwrap();
        Self {
            app,
            _cluster: cluster,
            code,
            residents,
            elsewhere,
        }
    }

    pub fn assistant(&self) -> String {
        self.app.token(Role::VillageAssistant, &self.code)
    }

    pub fn township_officer(&self) -> String {
        self.app.token(Role::TownshipOfficer, TOWNSHIP)
    }

    pub fn clerk(&self, department: Department) -> String {
        self.app
            .token_with(Role::DepartmentClerk, "220122", Some(department))
    }

    /// `query` with `variables` as the holder of `token`, for a declared purpose.
    pub async fn call(&self, token: &str, query: &str, variables: Value) -> TestResponse {
        self.app
            .graphql(query)
            .variables(variables)
            .bearer(token)
            .purpose("VISIT")
            .send()
            .await
    }

    /// Like [`call`](Self::call), expecting no errors: the `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self.call(token, query, variables).await;
        assert!(
            response.body["errors"].is_null(),
            "unexpected errors: {}",
            response.body
        );
        response.body["data"].clone()
    }

    /// Like [`call`](Self::call), expecting an error: its codes.
    pub async fn refused(&self, token: &str, query: &str, variables: Value) -> Vec<String> {
        let response = self.call(token, query, variables).await;
        let codes = response.error_codes();
        assert!(!codes.is_empty(), "expected an error: {}", response.body);
        codes
    }
}

/// The day `days` before today in China (the workflow clock's "today").
pub fn days_ago(days: u64) -> String {
    let today = chrono::Utc::now()
        .with_timezone(&cunhub::workflow::clock::CHINA)
        .date_naive();
    (today - chrono::Days::new(days)).to_string()
}

/// A fresh client-generated id, as a device makes one.
pub fn device_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

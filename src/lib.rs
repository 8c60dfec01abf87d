//! cunhub: a GraphQL data hub for village-level comprehensive services in Jilin Province.

pub mod config;
pub mod domain;
pub mod sim;

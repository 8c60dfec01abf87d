//! cunhub: a GraphQL data hub for village-level comprehensive services in Jilin Province.

pub mod adapters;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod coordination;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod messages;
pub mod policy;
pub mod screening;
pub mod settings_row;
pub mod sim;
pub mod startup;
pub mod statistics;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod workflow;

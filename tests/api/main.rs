//! End-to-end tests: each starts the real hub on port 0 with a fresh database (SQLite, or
//! PostgreSQL when `CUNHUB_TEST_DATABASE_URL` is set) and talks HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod village;

mod alert_follow_up;
mod arguments;
mod audit;
mod auth;
mod caching;
mod cli;
mod compression;
mod cross_origin;
mod dashboard_page;
mod declared;
mod divisions;
mod explorer;
mod graphql_http;
mod keys;
mod layers;
mod limits;
mod messages;
mod node;
mod persisted;
mod policy_matrix;
mod posture;
mod ratings;
mod regions;
mod residents;
mod root_doors;
mod schema_file;
mod screening;
mod sse;
mod statistics;
mod statistics_work;
mod subscriptions;
mod suppression;
mod village_pages;
mod village_services;
mod visits;
mod websocket;
mod workflow;

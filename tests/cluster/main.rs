//! Several hub instances on one PostgreSQL database, as a province runs them behind a
//! load balancer: start-up and upgrades, the audit chain, scheduled jobs and live changes
//! across instances.
//!
//! These tests need PostgreSQL: `CUNHUB_TEST_DATABASE_URL` names the server (any database
//! on it; each test makes its own), and without it they use
//! `postgres://postgres@127.0.0.1:5432/postgres`, which `.ci/run` keeps up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod harness;
mod leader;
mod restart;
mod screening;
mod startup;
mod subscriptions;

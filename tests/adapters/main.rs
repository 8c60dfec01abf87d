//! The adapters against the departmental simulators, over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod breaker_and_cache;
mod declared;
mod faults;
mod helpers;
mod views;

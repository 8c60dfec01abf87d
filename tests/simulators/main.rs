//! The departmental simulators driven through their own protocols.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod civil;
mod cli;
mod helpers;
mod knobs;
mod medical;
mod police;
mod population;
mod social;
mod truth;

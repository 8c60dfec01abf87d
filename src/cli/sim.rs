//! `cunhub sim`: the department simulators alone.

use crate::sim::{self, SimArgs};

pub async fn run(args: SimArgs) -> Result<(), String> {
    sim::run_cli(args).await.map_err(|e| e.to_string())
}

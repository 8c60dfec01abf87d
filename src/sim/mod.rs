//! Simulators of the four departmental systems and the seeded synthetic population they
//! share. See `src/sim/README.md` for the wire details, knobs and planted faults.

pub mod population;
pub mod truth;

pub use population::{GenOptions, Population};
pub use truth::{AlertKind, AlertSet, FaultRates, PlantedFault};

//! `cunhub policy show|check FILE`: the built-in access policy, or a file checked.

use super::PolicyCommand;
use crate::policy::Policy;

pub fn run(command: PolicyCommand) -> Result<(), String> {
    match command {
        PolicyCommand::Show => {
            print!("{}", Policy::built_in_text());
            Ok(())
        }
        PolicyCommand::Check { file } => {
            let policy = Policy::load(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            print!("{}: valid\n{}", file.display(), policy.describe());
            Ok(())
        }
    }
}

//! A compiled policy in words, as `cunhub policy check` prints it: what the file lacks and
//! what stands in for it, then the matrix, the region scope and village services.

use super::{FieldGroup, MATRIX_ROLES, Policy, WORK_ROLES};
use crate::auth::Role;

impl Policy {
    /// The policy as a table, one line per role and group.
    pub fn describe(&self) -> String {
        let mut out = format!("format {}\n", self.format);
        for d in &self.defaults {
            out.push_str(&format!(
                "the file lacks {}: the default gives {}\n",
                d.section, d.default
            ));
        }
        for role in MATRIX_ROLES {
            out.push_str(role.as_str());
            out.push('\n');
            for group in FieldGroup::ALL {
                let cell = self
                    .cells
                    .get(&(role, group))
                    .map(|rule| rule.describe())
                    .unwrap_or_else(|| "withheld".into());
                out.push_str(&format!("  {:<22} {cell}\n", group.as_str()));
            }
        }
        out.push_str(&self.minors.describe());
        out.push_str("region scope (the level a token's region names)\n");
        for role in Role::ALL {
            out.push_str(&format!(
                "  {:<22} {}\n",
                role.as_str(),
                self.scope.describe(role)
            ));
        }
        out.push_str("village services\n");
        for role in WORK_ROLES {
            let work = self.work(role);
            let actions: Vec<&str> = work.actions.iter().map(|a| a.as_str()).collect();
            out.push_str(&format!(
                "  {:<22} sees {}; may {}\n",
                role.as_str(),
                work.records.as_str(),
                if actions.is_empty() {
                    "do nothing".to_owned()
                } else {
                    actions.join(", ")
                }
            ));
        }
        out
    }
}

//! `cunhub departments check FILE | show NAME`: a department definition checked and
//! described, or a built-in one printed.

use super::DepartmentsCommand;
use crate::adapters::declared::{self, AuthSpec, Definition};

pub fn run(command: DepartmentsCommand) -> Result<(), String> {
    match command {
        DepartmentsCommand::Check { file } => {
            let definition = declared::check_file(&file).map_err(|e| e.to_string())?;
            print!("{}: valid\n{}", file.display(), describe(&definition));
            Ok(())
        }
        DepartmentsCommand::Show { name } => {
            let text = declared::BUILT_IN
                .iter()
                .map(|(_, text)| *text)
                .find(|text| {
                    Definition::parse("built-in", text).is_ok_and(|d| d.name == name)
                })
                .ok_or_else(|| {
                    format!(
                        "no built-in definition is named `{name}` (jilin_veterans, jilin_health, jilin_rural_revitalization)"
                    )
                })?;
            print!("{text}");
            Ok(())
        }
    }
}

/// What a definition connects, in a few lines.
pub fn describe(definition: &Definition) -> String {
    let auth = match &definition.auth {
        AuthSpec::ApiKey { header } => format!("API key in {header}"),
        AuthSpec::OAuth2 { token_path, basic } => format!(
            "OAuth2 client credentials at {token_path} ({})",
            if *basic { "HTTP Basic" } else { "in the form" }
        ),
        AuthSpec::Signed { algorithm } => format!("signed requests ({algorithm:?})"),
    };
    format!(
        "  system      {} ({})\n  department  {}\n  view        {}\n  regions     {}\n  auth        {auth}\n  operations  {}\n  settings    [departments.systems.{}]\n",
        definition.name,
        if definition.title.is_empty() {
            "untitled"
        } else {
            &definition.title
        },
        definition.department,
        definition.view,
        definition.regions.join(", "),
        definition.operations().join(", "),
        definition.name,
    )
}

//! Departments declared by a definition file instead of code. A definition (TOML)
//! describes a departmental system — address and authentication, the requests that ask
//! it about a person, a batch or a village, how its answers map onto one of the hub's
//! typed views, what its failure codes mean, its capacity and freshness — and the
//! engine here runs it through the same machinery as the hand-written adapters.
//!
//! The definitions of the veterans', health and rural revitalisation platforms are
//! compiled in (`departments/*.toml`); `departments.definitions_dir` names a folder of
//! more, read at start (a file with a built-in's `name` replaces it). Each system serves
//! the residents of its `regions`; where several systems fill one view, the one with the
//! longest prefix covering a resident's village answers for them.

mod adapter;
pub(crate) mod auth;
mod definition;
mod form;
mod mapping;
mod pace;
mod record;
mod view;
mod xml;

use std::path::Path;
use std::sync::Arc;

pub use adapter::{DeclaredAdapter, ViewResult};
pub use auth::Credentials;
pub use definition::{AuthSpec, Definition, DefinitionError, SignAlgorithm};
pub use record::{FieldKind, FieldSpec, ListSpec, MissingField, Record};
pub use view::{DeclaredView, VIEW_NAMES};

use crate::domain::views::{FamilyDoctorView, PovertyMonitoringView, VeteranView};

/// The definitions compiled into the hub: (file name, text).
pub const BUILT_IN: [(&str, &str); 3] = [
    (
        "departments/veterans_affairs.toml",
        include_str!("../../../departments/veterans_affairs.toml"),
    ),
    (
        "departments/health.toml",
        include_str!("../../../departments/health.toml"),
    ),
    (
        "departments/agriculture.toml",
        include_str!("../../../departments/agriculture.toml"),
    ),
];

/// Reads and checks one definition file.
pub fn check_file(path: &Path) -> Result<Definition, DefinitionError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| DefinitionError {
        source_name: name.clone(),
        problems: vec![e.to_string()],
    })?;
    Definition::parse(&name, &text)
}

/// The built-in definitions, then those of `folder` (`*.toml`, in name order); a file
/// whose `name` is a built-in's replaces it. Every mistake of every file is reported.
pub fn load_definitions(folder: Option<&Path>) -> Result<Vec<Definition>, Vec<DefinitionError>> {
    let mut definitions = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in BUILT_IN {
        match Definition::parse(name, text) {
            Ok(d) => definitions.push(d),
            Err(e) => errors.push(e),
        }
    }
    if let Some(folder) = folder {
        let files = std::fs::read_dir(folder).map(|entries| {
            let mut files: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            files
        });
        match files {
            Ok(files) => {
                for file in files {
                    match check_file(&file) {
                        Ok(d) => {
                            definitions.retain(|old: &Definition| old.name != d.name);
                            definitions.push(d);
                        }
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(DefinitionError {
                source_name: folder.display().to_string(),
                problems: vec![format!("the definitions folder cannot be read: {e}")],
            }),
        }
    }
    if errors.is_empty() {
        Ok(definitions)
    } else {
        Err(errors)
    }
}

/// The systems that fill one view, the most specific region first.
pub struct Routes<V: DeclaredView> {
    systems: Vec<Arc<DeclaredAdapter<V>>>,
}

impl<V: DeclaredView> Default for Routes<V> {
    fn default() -> Self {
        Self {
            systems: Vec::new(),
        }
    }
}

impl<V: DeclaredView> Routes<V> {
    pub(crate) fn push(&mut self, adapter: Arc<DeclaredAdapter<V>>) {
        self.systems.push(adapter);
    }

    /// The system answering for residents of `village` (12 digits): the one whose
    /// region prefix covering it is longest.
    pub fn for_village(&self, village: &str) -> Option<&Arc<DeclaredAdapter<V>>> {
        self.systems
            .iter()
            .filter_map(|s| s.definition().serves(village).map(|len| (len, s)))
            .max_by_key(|(len, _)| *len)
            .map(|(_, s)| s)
    }

    /// Every system of the view.
    pub fn systems(&self) -> &[Arc<DeclaredAdapter<V>>] {
        &self.systems
    }
}

/// Every declared system, by the view it fills.
#[derive(Default)]
pub struct DeclaredSystems {
    /// 退役军人事务: veterans and entitled persons.
    pub veterans: Routes<VeteranView>,
    /// 卫生健康: family-doctor contracts.
    pub family_doctor: Routes<FamilyDoctorView>,
    /// 乡村振兴: poverty alleviation and relapse monitoring.
    pub poverty: Routes<PovertyMonitoringView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_definitions_are_sound() {
        let definitions = load_definitions(None).unwrap_or_else(|e| panic!("{e:?}"));
        let views: Vec<&str> = definitions.iter().map(|d| d.view).collect();
        assert_eq!(views, ["veteran", "family_doctor", "poverty_monitoring"]);
    }

    fn problems(text: &str) -> Vec<String> {
        match Definition::parse("test.toml", text) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems,
        }
    }

    #[test]
    fn every_mistake_of_a_definition_is_named() {
        let veterans = BUILT_IN[0].1;
        let broken = veterans
            .replace("department = \"veterans_affairs\"", "department = \"army\"")
            .replace("\"01\" = \"VETERAN\"", "\"01\" = \"SOLDIER\"")
            .replace(
                "date = \"%Y/%m/%d\" }\nin_difficulty",
                "date = \"%Y/%m\" }\nin_difficulty",
            )
            .replace("deceased = \"$.deceased\"", "")
            .replace("records = \"$.result\"", "records = \"$.result[\"")
            .replace("{village}/persons", "{town}/persons");
        let found = problems(&broken);
        let expect = [
            "department: `army` is not a department",
            "fields.category.codes.01: `SOLDIER` is not a value of the field",
            "fields.card_issued_on.date: `%Y/%m` does not read back a date",
            "fields: the view veteran requires deceased (boolean), and nothing maps it",
            "person[0].records: `$.result[` is not a JSONPath",
            "village: `{town}` is not known here",
        ];
        for e in expect {
            assert!(
                found.iter().any(|p| p.starts_with(e)),
                "{e} not in {found:#?}"
            );
        }
        assert_eq!(found.len(), expect.len(), "{found:#?}");
    }

    #[test]
    fn the_longest_region_prefix_answers() {
        let veterans = Definition::parse("a", BUILT_IN[0].1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(veterans.serves("220201001001"), Some(2));
        assert_eq!(veterans.serves("110101001001"), None);
    }
}

//! `schema.graphql` is the printed schema; every type and field is described.

use cunhub::graphql::sdl;

#[test]
fn schema_file_equals_the_code() {
    let generated = sdl();
    if std::env::var("CUNHUB_TEST_WRITE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write("schema.graphql", &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string("schema.graphql").unwrap_or_default();
    assert!(
        on_disk == generated,
        "schema.graphql is out of date: run `CUNHUB_TEST_WRITE_SCHEMA=1 cargo test --test api schema_file` and commit it"
    );
}

#[test]
fn every_type_field_argument_and_enum_value_has_a_description() {
    use async_graphql::parser::{
        parse_schema,
        types::{TypeKind, TypeSystemDefinition},
    };
    let document = parse_schema(sdl()).unwrap();
    let mut undocumented = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        if ty.description.is_none() {
            undocumented.push(name.to_owned());
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    if field.description.is_none() {
                        undocumented.push(format!("{name}.{}", field.name.node));
                    }
                    for argument in &field.arguments {
                        if argument.node.description.is_none() {
                            undocumented.push(format!(
                                "{name}.{}({})",
                                field.name.node, argument.node.name.node
                            ));
                        }
                    }
                }
            }
            TypeKind::Enum(enumeration) => {
                for value in &enumeration.values {
                    if value.node.description.is_none() {
                        undocumented.push(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    if field.node.description.is_none() {
                        undocumented.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            _ => {}
        }
    }
    assert!(
        undocumented.is_empty(),
        "without description: {undocumented:#?}"
    );
}

#[test]
fn the_readme_documents_every_setting() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    for cunhub::settings_row::SettingRow { key, variable, .. } in
        cunhub::config::Settings::default().rows()
    {
        assert!(
            readme.contains(&format!("| `{key}` | `{variable}` |")),
            "README lacks {key}"
        );
    }
}

/// The README's settings table is the one the settings render: same rows, same order,
/// same defaults and meanings.
#[test]
fn the_readme_settings_table_is_rendered_from_the_settings() {
    readme_table_is(
        &cunhub::config::settings_table(),
        "the_readme_settings_table",
    );
}

/// The README's table of indicators is the one `statisticsIndicators` serves.
#[test]
fn the_readme_indicator_table_is_rendered_from_the_definitions() {
    readme_table_is(
        &cunhub::statistics::indicators::definitions_table(),
        "the_readme_indicator_table",
    );
}

/// The README holds `rendered` (found by its header line) as it is, or is rewritten to
/// hold it when `CUNHUB_TEST_WRITE_README=1`.
fn readme_table_is(rendered: &str, test: &str) {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let header = rendered.lines().next().unwrap();
    let start = readme
        .find(header)
        .unwrap_or_else(|| panic!("README has a table with the header `{header}`"));
    let end = readme[start..]
        .find("\n\n")
        .map_or(readme.len(), |offset| start + offset + 1);
    let on_disk = &readme[start..end];
    if std::env::var("CUNHUB_TEST_WRITE_README").is_ok_and(|v| v == "1") {
        let updated = format!("{}{rendered}{}", &readme[..start], &readme[end..]);
        std::fs::write("README.md", updated).unwrap();
        return;
    }
    let differing: Vec<(&str, &str)> = on_disk
        .lines()
        .zip(rendered.lines())
        .filter(|(disk, code)| disk != code)
        .collect();
    assert!(
        on_disk == rendered,
        "the README's table `{header}` differs from the code ({} rows in the README, {} in \
         the code; first differences {:#?}): run `CUNHUB_TEST_WRITE_README=1 cargo test --test \
         api {test}` and commit it",
        on_disk.lines().count(),
        rendered.lines().count(),
        &differing[..differing.len().min(3)]
    );
}

//! The `cunhub` binary as a user runs it.

use std::process::Command;

use cunhub::auth::Role;
use reqwest::StatusCode;

use crate::helpers::spawn_app;

fn cunhub() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cunhub"));
    command.env_remove("CUNHUB_TEST_DATABASE_URL");
    command
}

#[tokio::test]
async fn a_token_from_the_token_command_is_accepted() {
    let app = spawn_app().await;
    let output = cunhub()
        .args([
            "token",
            "--role",
            "township_officer",
            "--region",
            "220122101",
            "--ttl",
            "10m",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let response = app.graphql("{ __typename }").bearer(&token).send().await;
    assert_eq!(response.status, StatusCode::OK);
    let _ = Role::TownshipOfficer;
}

#[test]
fn the_token_command_explains_bad_arguments() {
    let output = cunhub()
        .args(["token", "--role", "mayor", "--region", "220122"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown role `mayor`"));
    let output = cunhub()
        .args(["token", "--role", "department_clerk", "--region", "220122"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("dept"));
}

#[test]
fn the_schema_command_prints_schema_graphql() {
    let output = cunhub().arg("schema").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        cunhub::graphql::sdl()
    );
}

#[test]
fn a_wrong_setting_is_a_startup_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cunhub.toml");
    std::fs::write(&file, "[server]\nbind = \"not-an-address\"\n").unwrap();
    let output = cunhub()
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("server.bind"));

    std::fs::write(&file, "[database]\nurll = \"x\"\n").unwrap();
    let output = cunhub()
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("urll"));

    let output = cunhub()
        .env("CUNHUB_BIND", "nowhere")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("server.bind"));

    let output = cunhub()
        .env("CUNHUB_NO_SUCH_SETTING", "1")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no_such_setting"));
}

#[test]
fn migrate_creates_the_sqlite_file_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("hub.db").display());
    let first = cunhub()
        .args(["--database-url", &url, "migrate"])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("13014 regions added"));
    let second = cunhub()
        .args(["--database-url", &url, "migrate"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).contains(" 0 regions added"));
}

#[test]
fn the_schema_command_prints_what_a_role_can_use() {
    let integrator = cunhub()
        .args(["schema", "--role", "integrator"])
        .output()
        .unwrap();
    let text = String::from_utf8(integrator.stdout).unwrap();
    assert!(text.contains("departmentHealth") && !text.contains("residentByIdNumber"));
    let anonymous = cunhub()
        .args(["schema", "--role", "anonymous"])
        .output()
        .unwrap();
    let text = String::from_utf8(anonymous.stdout).unwrap();
    assert!(text.contains("regions(") && !text.contains("departmentHealth"));
    let unknown = cunhub()
        .args(["schema", "--role", "mayor"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}

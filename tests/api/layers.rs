//! The import arrows run one way: a module never names a module above it, wherever the
//! name appears (a `use` line, a grouped `use crate::{..}`, or a path in the middle of an
//! expression). The rules are the layers of `docs/architecture.md`.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

/// The modules a module of the library may not name, with the reason in one line.
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "domain",
        &[
            "store",
            "config",
            "workflow",
            "screening",
            "sync",
            "audit",
            "policy",
            "auth",
            "adapters",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
            "sim",
        ],
        "the domain depends on nothing of the hub",
    ),
    (
        "telemetry",
        &[
            "domain",
            "store",
            "config",
            "workflow",
            "screening",
            "sync",
            "audit",
            "policy",
            "auth",
            "adapters",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
            "sim",
        ],
        "logs and traces are set up beneath every module that records them",
    ),
    (
        "coordination",
        &[
            "domain",
            "store",
            "config",
            "workflow",
            "screening",
            "sync",
            "audit",
            "policy",
            "auth",
            "adapters",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
            "sim",
        ],
        "the shared Redis is reached beneath the budgets and limits that use it",
    ),
    (
        "store",
        &[
            "config",
            "workflow",
            "screening",
            "sync",
            "audit",
            "policy",
            "auth",
            "adapters",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
            "sim",
            "telemetry",
        ],
        "storage knows no feature and no settings file",
    ),
    (
        "screening",
        &[
            "workflow", "config", "graphql", "http", "startup", "cli", "demo",
        ],
        "screening is below village services, which use its alerts",
    ),
    (
        "workflow",
        &["config", "graphql", "http", "startup", "cli", "demo"],
        "village services know neither GraphQL nor HTTP",
    ),
    (
        "sync",
        &[
            "config",
            "workflow",
            "screening",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
        ],
        "the resident index is fed from below",
    ),
    (
        "audit",
        &[
            "config",
            "workflow",
            "screening",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
        ],
        "the access log is below every feature",
    ),
    (
        "statistics",
        &[
            "config",
            "workflow",
            "screening",
            "sync",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
        ],
        "statistics are fed by the features that see the work happen",
    ),
    (
        "policy",
        &[
            "config",
            "store",
            "workflow",
            "screening",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
        ],
        "the policy decides without I/O",
    ),
    (
        "auth",
        &[
            "config",
            "workflow",
            "screening",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
        ],
        "token verification is below the features",
    ),
    (
        "adapters",
        &[
            "config",
            "store",
            "workflow",
            "screening",
            "graphql",
            "http",
            "startup",
            "cli",
            "demo",
        ],
        "adapters speak to departments, nothing else",
    ),
    (
        "graphql",
        &[
            "config", "http", "startup", "cli", "demo", "sea_orm", "entities",
        ],
        "resolvers reach storage through store and the features, never sea-orm rows",
    ),
    (
        "http",
        &["config", "startup", "cli", "demo"],
        "the HTTP layer is built by start-up, not the other way round",
    ),
];

#[test]
fn no_module_names_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for (module, forbidden, why) in RULES {
        for file in rust_files(&src, module) {
            let text = std::fs::read_to_string(&file).unwrap();
            let named = named_modules(&strip_comments(&text));
            for name in forbidden.iter().filter(|f| named.contains(**f)) {
                violations.push(format!(
                    "{} names `{name}` ({why})",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_scan_sees_grouped_imports_and_paths_in_expressions() {
    let text = "use crate::{\n    domain::X,\n    workflow::{self, Y},\n};\n\
                fn f() { let _ = crate::screening::run(); let _ = sea_orm::Condition::all(); }\n\
                // config::Settings in a comment does not count\n";
    let named = named_modules(&strip_comments(text));
    for expected in ["domain", "workflow", "screening", "sea_orm"] {
        assert!(named.contains(expected), "{expected} missed in {named:?}");
    }
    assert!(!named.contains("config"));
}

/// Files of one top-level module: `src/NAME.rs` or everything under `src/NAME/`.
fn rust_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let single = src.join(format!("{module}.rs"));
    if single.exists() {
        return vec![single];
    }
    let mut files = Vec::new();
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(
        !files.is_empty(),
        "no module `{module}` under {}",
        src.display()
    );
    files
}

/// Line and block comments removed (doc comments included); string literals kept, which
/// errs on the side of a false alarm.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Every module a source names: the first segment of each path (`x::`), including the
/// names inside `crate::{..}` groups.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if is_ident(bytes[i]) && (i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':') {
            let start = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            let word = &code[start..i];
            if code[i..].starts_with("::") {
                if word == "crate" || word == "super" {
                    named.extend(after_crate(&code[i + 2..]));
                } else {
                    named.insert(word.to_owned());
                }
            }
        } else {
            i += 1;
        }
    }
    named
}

/// The modules named right after `crate::`: one name, or each top-level name of a group.
fn after_crate(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut names = Vec::new();
        let mut depth = 0usize;
        let mut at_item_start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => at_item_start = true,
                c if at_item_start && (c.is_alphanumeric() || c == '_') => {
                    let word: String = group[i..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names.push(word);
                    at_item_start = false;
                }
                c if c.is_whitespace() => {}
                _ => at_item_start = false,
            }
        }
        names
    } else {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        vec![word]
    }
}

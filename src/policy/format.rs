//! The format version of a policy file, and what an older file lacks. A file without
//! `format` is format 1 (the first shape: roles, alerts, work). Format 2 adds sections;
//! a format-1 file keeps working, each missing section taking its strictest default, named
//! once in a warning at start and in `cunhub policy check`.

/// The format this hub writes (`policy show`) and reads in full.
pub const CURRENT_FORMAT: u32 = 2;

/// A section an older file lacks, and the default that stands in for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaulted {
    /// The section, as the file would write it, e.g. `[scope]`.
    pub section: &'static str,
    /// What the default gives, in words.
    pub default: String,
}

/// The format a file declares: 1 when it declares none.
pub(super) fn version(declared: Option<i64>, problems: &mut Vec<String>) -> u32 {
    match declared {
        None | Some(1) => 1,
        Some(2) => 2,
        Some(other) => {
            problems.push(format!(
                "format = {other}: this hub reads formats 1 and {CURRENT_FORMAT}"
            ));
            CURRENT_FORMAT
        }
    }
}

/// A section the file lacks: a default for format 1, a mistake for a file that declares
/// the format that has it.
pub(super) fn missing(
    format: u32,
    section: &'static str,
    default: String,
    defaults: &mut Vec<Defaulted>,
    problems: &mut Vec<String>,
) {
    if format >= CURRENT_FORMAT {
        problems.push(format!("{section} is missing (format {format} needs it)"));
    } else {
        defaults.push(Defaulted { section, default });
    }
}

/// Says once, at start, what each missing section defaults to.
pub(super) fn warn(defaults: &[Defaulted]) {
    for d in defaults {
        tracing::warn!(
            section = d.section,
            default = %d.default,
            "the access policy file predates this section; its strictest default applies (see `cunhub policy check`)"
        );
    }
}

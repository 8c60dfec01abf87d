//! End-user messages in the caller's language: one catalogue (Fluent, `en.ftl` and
//! `zh-CN.ftl`) keyed by the stable error codes of [`crate::error::ErrorCode`], so that a
//! village app can show `message` as it is. English answers keep the hub's own detailed
//! message; a Chinese answer carries the catalogue's text in `message` and the English
//! one in `extensions.detail`.

use std::sync::LazyLock;

use async_graphql::{ServerError, Value};
use fluent_bundle::{FluentArgs, FluentResource, concurrent::FluentBundle};

/// A language the catalogue speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    /// Simplified Chinese, for `zh`, `zh-CN`, `zh-Hans` and the other `zh` tags.
    Chinese,
}

impl Language {
    /// The caller's choice from an `Accept-Language` header, weights honoured; English
    /// when it names neither language.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let mut best: Option<(f32, usize, Self)> = None;
        for (position, range) in header.unwrap_or_default().split(',').enumerate() {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            let language = match primary {
                "zh" => Self::Chinese,
                "en" => Self::English,
                _ => continue,
            };
            // Higher weight wins; among equal weights, the earlier one.
            let better = best.is_none_or(|(q, p, _)| quality > q || (quality == q && position < p));
            if quality > 0.0 && better {
                best = Some((quality, position, language));
            }
        }
        best.map(|(_, _, language)| language).unwrap_or_default()
    }

    /// The tag a response's `Content-Language` names.
    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Chinese => "zh-CN",
        }
    }
}

struct Catalogue {
    english: Option<FluentBundle<FluentResource>>,
    chinese: Option<FluentBundle<FluentResource>>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue {
    english: bundle("en", include_str!("en.ftl")),
    chinese: bundle("zh-CN", include_str!("zh-CN.ftl")),
});

/// A language's bundle; a broken file (which the tests rule out) leaves the hub's
/// English messages in place.
fn bundle(tag: &str, source: &str) -> Option<FluentBundle<FluentResource>> {
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(resource) => resource,
        Err((_, errors)) => {
            tracing::error!(language = tag, ?errors, "message catalogue does not parse");
            return None;
        }
    };
    let language = tag.parse().ok()?;
    let mut bundle = FluentBundle::new_concurrent(vec![language]);
    // The text goes to plain-text UIs, which would show the bidi isolation marks.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).ok()?;
    Some(bundle)
}

/// The catalogue's text for `code` in `language`, naming `department` (a claim value
/// such as `medical_insurance`) where the message has one.
pub fn message(language: Language, code: &str, department: Option<&str>) -> Option<String> {
    let bundle = match language {
        Language::English => CATALOGUE.english.as_ref(),
        Language::Chinese => CATALOGUE.chinese.as_ref(),
    }?;
    let format = |id: &str, args: &FluentArgs| {
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(args), &mut errors);
        errors.is_empty().then(|| text.into_owned())
    };
    let mut names = FluentArgs::new();
    names.set("name", department.unwrap_or("other"));
    let mut args = FluentArgs::new();
    args.set("department", format("department", &names)?);
    format(code, &args)
}

/// Gives `error` its message in `language` (see the module's description).
pub fn localize(language: Language, error: &mut ServerError) {
    if language == Language::English {
        return;
    }
    let Some(extensions) = &error.extensions else {
        return;
    };
    let text = |key: &str| match extensions.get(key) {
        Some(Value::String(value)) => Some(value.clone()),
        _ => None,
    };
    let Some(code) = text("code") else {
        return;
    };
    let Some(localized) = message(language, &code, text("department").as_deref()) else {
        return;
    };
    let detail = std::mem::replace(&mut error.message, localized);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("detail", detail);
}

/// Every entry of the catalogue in `language`, code first, for pages that show the
/// hub's messages themselves.
pub fn catalogue(language: Language) -> Vec<(&'static str, String)> {
    crate::error::ErrorCode::ALL
        .iter()
        .filter_map(|code| Some((code.as_str(), message(language, code.as_str(), None)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn accept_language_picks_chinese_for_zh_and_english_otherwise() {
        use Language::*;
        let pick = |h| Language::from_accept_language(Some(h));
        assert_eq!(pick("zh-CN"), Chinese);
        assert_eq!(pick("zh-CN,zh;q=0.9,en;q=0.8"), Chinese);
        assert_eq!(pick("zh"), Chinese);
        assert_eq!(pick("en-US,en;q=0.9"), English);
        assert_eq!(pick("en;q=0.5, zh-CN"), Chinese);
        assert_eq!(pick("zh-CN;q=0.4, en;q=0.8"), English);
        assert_eq!(pick("fr-FR, zh-CN;q=0.3"), Chinese);
        assert_eq!(pick("fr-FR"), English);
        assert_eq!(pick("zh-CN;q=0"), English);
        assert_eq!(Language::from_accept_language(None), English);
    }

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        for language in [Language::English, Language::Chinese] {
            for code in ErrorCode::ALL {
                let text = message(language, code.as_str(), None);
                assert!(
                    text.is_some_and(|t| !t.is_empty() && !t.contains('{')),
                    "{language:?} has no message for {}",
                    code.as_str()
                );
            }
        }
    }

    #[test]
    fn a_department_is_named_in_the_callers_language() {
        assert_eq!(
            message(
                Language::Chinese,
                "DEPARTMENT_TIMEOUT",
                Some("medical_insurance")
            )
            .as_deref(),
            Some("医疗保障局未在规定时间内答复，请重试。")
        );
        assert_eq!(
            message(
                Language::English,
                "DEPARTMENT_UNAVAILABLE",
                Some("civil_affairs")
            )
            .as_deref(),
            Some("The civil affairs bureau cannot be reached right now.")
        );
        assert_eq!(
            message(Language::Chinese, "DEPARTMENT_ERROR", None).as_deref(),
            Some("相关部门系统返回错误。")
        );
    }

    #[test]
    fn a_chinese_error_keeps_the_english_detail() {
        let mut error = crate::error::request_error(ErrorCode::Forbidden, "role x may not");
        localize(Language::Chinese, &mut error);
        assert_eq!(error.message, "您的角色或管辖区域无权进行此操作。");
        let detail = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("detail"))
            .cloned();
        assert_eq!(detail, Some(Value::String("role x may not".into())));
    }
}

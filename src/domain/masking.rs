//! De-identification for display, done in this one place: ID numbers keep their first 6
//! and last 4 characters, phone numbers their first 3 and last 4, names their surname.

/// `220122********0017`.
pub fn id_number(value: &str) -> String {
    keep_ends(value, 6, 4)
}

/// `138****5678`.
pub fn phone(value: &str) -> String {
    keep_ends(value, 3, 4)
}

/// `张*`, `欧阳**`: the surname stays (two characters for the compound surnames).
pub fn name(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let surname = if chars.len() > 2 && COMPOUND_SURNAMES.iter().any(|s| value.starts_with(s)) {
        2
    } else {
        1
    };
    let kept: String = chars.iter().take(surname).collect();
    format!(
        "{kept}{}",
        "*".repeat(chars.len().saturating_sub(surname).max(1))
    )
}

/// A free-text address down to its village: the house number and beyond are hidden.
pub fn address(value: &str) -> String {
    match value
        .char_indices()
        .find(|(_, c)| matches!(c, '村' | '社' | '屯'))
    {
        Some((at, c)) => format!("{}{c}***", &value[..at]),
        None => keep_ends(value, 6, 0),
    }
}

const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
];

fn keep_ends(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len().max(1));
    }
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}{}{end}", "*".repeat(chars.len() - head - tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_follow_the_display_standard() {
        assert_eq!(id_number("220122195603020017"), "220122********0017");
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(name("张三"), "张*");
        assert_eq!(name("欧阳娜娜"), "欧阳**");
        assert_eq!(name("王"), "王*");
        assert_eq!(
            address("吉林省长春市农安县合隆镇陈家店村三组12号"),
            "吉林省长春市农安县合隆镇陈家店村***"
        );
    }

    #[test]
    fn short_values_are_masked_whole() {
        assert_eq!(id_number("123"), "***");
        assert_eq!(phone(""), "*");
    }
}

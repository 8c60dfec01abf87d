//! Name material: surnames and given-name characters by ethnicity and generation, and the
//! rare characters (生僻字) that GBK cannot hold, with the substitutes GBK systems store.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::domain::{Ethnicity, Sex};

/// A name of at most 15 UTF-8 bytes kept inline (16 bytes, no heap allocation): at most
/// five common Chinese characters, or fewer when a four-byte rare character is present.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CompactName {
    len: u8,
    bytes: [u8; 15],
}

impl CompactName {
    /// Keeps as many whole characters of `text` as fit.
    pub fn new(text: &str) -> Self {
        let mut bytes = [0u8; 15];
        let mut len = 0usize;
        for c in text.chars() {
            let width = c.len_utf8();
            if len + width > 15 {
                break;
            }
            c.encode_utf8(&mut bytes[len..len + width]);
            len += width;
        }
        Self {
            len: len as u8,
            bytes,
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for CompactName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl std::fmt::Display for CompactName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rare name characters outside GBK, each with what a GBK system stores instead: a
/// homophone, or `?` where the clerk had no better choice. (䶮 and 䜣, often cited as
/// rare, are not here: GB 18030 maps them to two-byte codes that GBK encoders produce.)
pub const RARE_CHARACTERS: [(char, char); 6] = [
    ('㛃', '洁'),
    ('𠈌', '?'),
    ('𫖮', '颐'),
    ('㐱', '珍'),
    ('㻊', '锡'),
    ('𡘙', '?'),
];

/// The name a GBK system stores: each rare character replaced by its substitute.
pub fn gbk_stored_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            RARE_CHARACTERS
                .iter()
                .find(|(rare, _)| *rare == c)
                .map_or(c, |(_, substitute)| *substitute)
        })
        .collect()
}

/// Whether the name has a character from the rare list.
pub fn has_rare_character(name: &str) -> bool {
    name.chars()
        .any(|c| RARE_CHARACTERS.iter().any(|(rare, _)| *rare == c))
}

/// Common homophone pairs clerks confuse; used to plant genuinely different names.
const HOMOPHONES: [(char, char); 16] = [
    ('丽', '莉'),
    ('华', '化'),
    ('明', '铭'),
    ('军', '君'),
    ('英', '瑛'),
    ('芳', '方'),
    ('玉', '钰'),
    ('凤', '风'),
    ('国', '帼'),
    ('建', '健'),
    ('兰', '岚'),
    ('林', '琳'),
    ('红', '虹'),
    ('杰', '洁'),
    ('宇', '雨'),
    ('海', '亥'),
];

/// A genuinely different spelling of `name`: its last character swapped for a homophone,
/// or for another common character.
pub fn misspelled(name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    if let Some(last) = chars.last_mut() {
        let swapped = HOMOPHONES.iter().find_map(|(a, b)| {
            if *a == *last {
                Some(*b)
            } else if *b == *last {
                Some(*a)
            } else {
                None
            }
        });
        *last = swapped.unwrap_or(if *last == '文' { '雯' } else { '文' });
    }
    chars.into_iter().collect()
}

const HAN_SURNAMES: &str = "王王王李李李张张张刘刘刘赵赵孙孙杨杨于于陈陈高高徐徐马马郭郭周周吴吴宋宋朱朱姜姜林林郑董韩冯曹许邓萧田石付崔孟曲邢邵范何胡罗梁谢唐侯程魏吕丁沈姚卢蒋蔡贾薛苏庞秦袁潘杜白常";
const KOREAN_SURNAMES: &str = "金金金李李李朴朴崔郑姜赵尹张林韩申吴徐权黄安宋柳全洪";
const HUI_SURNAMES: &str = "马马马白沙哈金穆海杨";
const MANCHU_SURNAMES: &str = "关关佟那富赵金肖鲍伊罗吴";
const MONGOL_SURNAMES: &str = "包包白宝韩陈";

const KOREAN_GIVEN: [&str; 20] = [
    "英哲", "成浩", "光日", "龙洙", "昌洙", "顺子", "英姬", "春花", "玉善", "明淑", "贞淑", "美兰",
    "哲洙", "永吉", "京浩", "秀英", "顺姬", "银姬", "花子", "善玉",
];
const MONGOL_NAMES: [&str; 12] = [
    "巴特尔",
    "其木格",
    "乌云",
    "宝音",
    "苏日娜",
    "阿拉坦",
    "额尔敦",
    "萨仁",
    "图雅",
    "格日乐",
    "朝鲁",
    "斯琴",
];

/// (first characters, second characters) of given names for one sex and generation.
fn given_tables(sex: Sex, birth_year: i32) -> (&'static str, &'static str) {
    let male = sex == Sex::Male;
    match (birth_year, male) {
        (..1960, true) => (
            "德永国建长玉凤庆振宝树金春文明志万广福荣",
            "福山华林海财发贵祥才民生田成武江忠军义和",
        ),
        (..1960, false) => (
            "桂玉淑秀凤素春丽金翠兰美彩艳亚",
            "兰珍芝英云华琴芬霞荣梅清娥香杰敏",
        ),
        (..1990, true) => (
            "海建立宏志晓春伟东军国永文红新卫学振",
            "军伟东峰涛刚明辉强波勇杰斌鹏平林超亮龙飞",
        ),
        (..1990, false) => (
            "丽红艳晓海秀春玉美雪冬小丹静亚燕",
            "丽红艳梅华娟敏霞静芳玲燕萍娜颖杰",
        ),
        (_, true) => (
            "浩宇子俊思博梓皓一天嘉明泽睿晨",
            "轩然宇豪博泽杰阳鑫晨涵睿航文诚铭",
        ),
        (_, false) => (
            "欣梓思雨佳诗可紫梦语子一心婉",
            "怡涵萱琪悦彤妍瑶琳雯晴欣婷然馨",
        ),
    }
}

fn pick(rng: &mut ChaCha8Rng, table: &str) -> char {
    let count = table.chars().count().max(1);
    table
        .chars()
        .nth(rng.random_range(0..count))
        .unwrap_or('明')
}

/// A surname for someone of `ethnicity`.
pub fn surname(rng: &mut ChaCha8Rng, ethnicity: Ethnicity) -> String {
    let table = match ethnicity {
        Ethnicity::Korean => KOREAN_SURNAMES,
        Ethnicity::Hui => HUI_SURNAMES,
        Ethnicity::Manchu => MANCHU_SURNAMES,
        Ethnicity::Mongol => MONGOL_SURNAMES,
        _ => HAN_SURNAMES,
    };
    pick(rng, table).to_string()
}

/// A full name. `rare` puts a rare character at the end of the given name.
pub fn full_name(
    rng: &mut ChaCha8Rng,
    surname: &str,
    ethnicity: Ethnicity,
    sex: Sex,
    birth_year: i32,
    rare: bool,
) -> String {
    if ethnicity == Ethnicity::Mongol && rng.random_bool(0.4) {
        return MONGOL_NAMES[rng.random_range(0..MONGOL_NAMES.len())].to_owned();
    }
    let mut name = surname.to_owned();
    if ethnicity == Ethnicity::Korean && rng.random_bool(0.6) {
        name.push_str(KOREAN_GIVEN[rng.random_range(0..KOREAN_GIVEN.len())]);
    } else {
        let (first, second) = given_tables(sex, birth_year);
        if birth_year < 1960 || rng.random_bool(0.75) {
            name.push(pick(rng, first));
        }
        name.push(pick(rng, second));
    }
    if rare {
        let (c, _) = RARE_CHARACTERS[rng.random_range(0..RARE_CHARACTERS.len())];
        name.pop();
        name.push(c);
    }
    name
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rare_characters_really_fail_gbk_and_substitutes_do_not() {
        for (rare, substitute) in RARE_CHARACTERS {
            let (_, _, failed) = encoding_rs::GBK.encode(&rare.to_string());
            assert!(failed, "{rare} encodes in GBK");
            let (_, _, failed) = encoding_rs::GBK.encode(&substitute.to_string());
            assert!(!failed, "{substitute} does not encode in GBK");
        }
    }

    #[test]
    fn homophones_and_name_tables_are_gbk() {
        let all: String = HOMOPHONES.iter().flat_map(|(a, b)| [*a, *b]).collect();
        let tables = [
            HAN_SURNAMES,
            KOREAN_SURNAMES,
            HUI_SURNAMES,
            MANCHU_SURNAMES,
            MONGOL_SURNAMES,
        ];
        for text in tables.iter().copied().chain([all.as_str()]) {
            assert!(!encoding_rs::GBK.encode(text).2, "{text}");
        }
    }

    #[test]
    fn compact_name_keeps_whole_characters() {
        assert_eq!(CompactName::new("王𫖮").as_str(), "王𫖮");
        assert_eq!(CompactName::new("一二三四五六").as_str(), "一二三四五");
    }

    #[test]
    fn substitutes_and_misspellings() {
        assert_eq!(gbk_stored_name("刘㛃"), "刘洁");
        assert!(has_rare_character("王𫖮"));
        assert_eq!(misspelled("张丽"), "张莉");
        assert_ne!(misspelled("张文"), "张文");
        assert_ne!(misspelled("张强"), "张强");
    }
}

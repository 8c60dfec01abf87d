//! Standard code tables: sex (GB/T 2261.1), relationship to the head of household
//! (GB/T 4761) and ethnicity (GB 3304). Domain types only; each department's wire format
//! maps them on its own side.

/// Sex after GB/T 2261.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    Unknown,
    Male,
    Female,
    NotStated,
}

impl Sex {
    /// The one-digit GB/T 2261.1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Unknown => "0",
            Self::Male => "1",
            Self::Female => "2",
            Self::NotStated => "9",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim() {
            "0" => Some(Self::Unknown),
            "1" => Some(Self::Male),
            "2" => Some(Self::Female),
            "9" => Some(Self::NotStated),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Unknown => "未知的性别",
            Self::Male => "男",
            Self::Female => "女",
            Self::NotStated => "未说明的性别",
        }
    }
}

/// Relationship to the head of household after GB/T 4761 (the codes the population uses,
/// and the generic code of each group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relationship {
    /// 02 户主
    Head,
    /// 10 配偶
    Spouse,
    /// 20 子
    Son,
    /// 30 女
    Daughter,
    /// 40 孙子、孙女或外孙子、外孙女
    Grandchild,
    /// 50 父母
    Parent,
    /// 60 祖父母或外祖父母
    Grandparent,
    /// 70 兄、弟、姐、妹
    Sibling,
    /// 99 其他
    Other,
}

impl Relationship {
    pub const ALL: [Relationship; 9] = [
        Self::Head,
        Self::Spouse,
        Self::Son,
        Self::Daughter,
        Self::Grandchild,
        Self::Parent,
        Self::Grandparent,
        Self::Sibling,
        Self::Other,
    ];

    /// The two-digit GB/T 4761 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Head => "02",
            Self::Spouse => "10",
            Self::Son => "20",
            Self::Daughter => "30",
            Self::Grandchild => "40",
            Self::Parent => "50",
            Self::Grandparent => "60",
            Self::Sibling => "70",
            Self::Other => "99",
        }
    }

    /// Reads a code; the detailed codes of a group (11 husband, 21 only son, 51 father, …)
    /// map to their group.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        if code == "01" || code == "02" {
            return Some(Self::Head);
        }
        if code == "99" {
            return Some(Self::Other);
        }
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match &code[..1] {
            "1" => Some(Self::Spouse),
            "2" => Some(Self::Son),
            "3" => Some(Self::Daughter),
            "4" => Some(Self::Grandchild),
            "5" => Some(Self::Parent),
            "6" => Some(Self::Grandparent),
            "7" => Some(Self::Sibling),
            "8" | "9" => Some(Self::Other),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Head => "户主",
            Self::Spouse => "配偶",
            Self::Son => "子",
            Self::Daughter => "女",
            Self::Grandchild => "孙子女",
            Self::Parent => "父母",
            Self::Grandparent => "祖父母",
            Self::Sibling => "兄弟姐妹",
            Self::Other => "其他",
        }
    }
}

/// Ethnicity after GB 3304 (the groups living in Jilin in numbers; others as `Other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ethnicity {
    Han,
    Mongol,
    Hui,
    Korean,
    Manchu,
    Xibe,
    Other,
}

impl Ethnicity {
    pub const ALL: [Ethnicity; 7] = [
        Self::Han,
        Self::Mongol,
        Self::Hui,
        Self::Korean,
        Self::Manchu,
        Self::Xibe,
        Self::Other,
    ];

    /// The two-digit GB 3304 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Han => "01",
            Self::Mongol => "02",
            Self::Hui => "03",
            Self::Korean => "10",
            Self::Manchu => "11",
            Self::Xibe => "38",
            Self::Other => "97",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code.trim())
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Han => "汉族",
            Self::Mongol => "蒙古族",
            Self::Hui => "回族",
            Self::Korean => "朝鲜族",
            Self::Manchu => "满族",
            Self::Xibe => "锡伯族",
            Self::Other => "其他",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for sex in [Sex::Unknown, Sex::Male, Sex::Female, Sex::NotStated] {
            assert_eq!(Sex::from_code(sex.code()), Some(sex));
        }
        for rel in Relationship::ALL {
            assert_eq!(Relationship::from_code(rel.code()), Some(rel));
        }
        for eth in Ethnicity::ALL {
            assert_eq!(Ethnicity::from_code(eth.code()), Some(eth));
        }
    }

    #[test]
    fn detailed_relationship_codes_map_to_their_group() {
        assert_eq!(Relationship::from_code("51"), Some(Relationship::Parent));
        assert_eq!(Relationship::from_code("12"), Some(Relationship::Spouse));
        assert_eq!(Relationship::from_code("x1"), None);
        assert_eq!(Relationship::from_code("00"), None);
    }
}

//! 公安: household registration (户籍), as the public security register records it.

use chrono::NaiveDate;

use crate::domain::{Ethnicity, IdNumber, Relationship, Sex};

/// One person's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationView {
    pub id_number: IdNumber,
    pub name: String,
    pub sex: Sex,
    /// GB 3304; an ethnic group outside the hub's table is `Other`.
    pub ethnicity: Ethnicity,
    pub birth_date: NaiveDate,
    /// 户号: the 16-digit household number.
    pub household_number: String,
    /// 与户主关系 (GB/T 4761).
    pub relationship: Relationship,
    /// 户籍地址: registered address.
    pub address: String,
    /// The 12-digit code of the village or community of registration.
    pub village_code: String,
    pub status: RegistrationStatus,
    /// 死亡日期
    pub death_date: Option<NaiveDate>,
    /// 迁出日期
    pub moved_out_date: Option<NaiveDate>,
    /// 身份证有效期至
    pub id_card: IdCardValidity,
    /// 联系电话
    pub phone: Option<String>,
}

/// Registration status (户籍状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationStatus {
    /// 正常 (1)
    Normal,
    /// 迁出 (2): moved out.
    MovedOut,
    /// 死亡注销 (3): cancelled on death.
    Deceased,
}

/// Until when the resident ID card is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdCardValidity {
    /// No card was issued (children).
    NoCard,
    /// Valid until this day.
    Until(NaiveDate),
    /// 长期: valid without end.
    LongTerm,
}

/// A household (户) and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdView {
    /// 户号
    pub number: String,
    pub address: String,
    pub village_code: String,
    /// 户主姓名
    pub head_name: String,
    pub members: Vec<RegistrationView>,
}

/// One page of a region's register, in register order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPage {
    pub items: Vec<RegistrationView>,
    /// Opaque; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Registrations in the whole region.
    pub total: u64,
}

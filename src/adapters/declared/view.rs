//! The typed views a definition can fill: each names its fields (kind, required) and
//! builds itself from a mapped [`Record`]. A new view is written here once; a new
//! system that fills an existing view is a definition file alone.

use super::record::{FieldKind, FieldSpec, ListSpec, MissingField, Record};
use crate::domain::views::{
    CardStatus, CodeWord as _, ContractStatus, FamilyDoctorView, PovertyKind,
    PovertyMonitoringView, RelapseAssistance, RelapseAssistanceKind, RelapseRisk, ServicePackage,
    VeteranCategory, VeteranView, WorkStatus,
};

/// A view that definitions fill.
pub trait DeclaredView: Clone + Send + Sync + 'static {
    /// The name a definition gives in `view = "…"`.
    const NAME: &'static str;
    const FIELDS: &'static [FieldSpec];
    const LISTS: &'static [ListSpec] = &[];
    fn from_record(record: &Record) -> Result<Self, MissingField>;
}

/// The names of every view a definition can fill.
pub const VIEW_NAMES: [&str; 3] = [
    VeteranView::NAME,
    FamilyDoctorView::NAME,
    PovertyMonitoringView::NAME,
];

const fn field(name: &'static str, kind: FieldKind, required: bool) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required,
    }
}

use FieldKind::{Bool, Code, Date, Integer, Text};

impl DeclaredView for VeteranView {
    const NAME: &'static str = "veteran";
    const FIELDS: &'static [FieldSpec] = &[
        field("name", Text, false),
        field("category", Code(VeteranCategory::WORDS), true),
        field("disability_level", Integer, false),
        field("discharge_year", Integer, false),
        field("card_status", Code(CardStatus::WORDS), true),
        field("card_number", Text, false),
        field("card_issued_on", Date, false),
        field("in_difficulty", Bool, true),
        field("last_visit_on", Date, false),
        field("deceased", Bool, true),
    ];

    fn from_record(r: &Record) -> Result<Self, MissingField> {
        Ok(Self {
            name: r.text("name"),
            category: Record::need("category", r.code("category"))?,
            disability_level: r.integer("disability_level"),
            discharge_year: r.integer("discharge_year"),
            card_status: Record::need("card_status", r.code("card_status"))?,
            card_number: r.text("card_number"),
            card_issued_on: r.date("card_issued_on"),
            in_difficulty: Record::need("in_difficulty", r.bool("in_difficulty"))?,
            last_visit_on: r.date("last_visit_on"),
            deceased: Record::need("deceased", r.bool("deceased"))?,
        })
    }
}

impl DeclaredView for FamilyDoctorView {
    const NAME: &'static str = "family_doctor";
    const FIELDS: &'static [FieldSpec] = &[
        field("status", Code(ContractStatus::WORDS), true),
        field("start", Date, true),
        field("end", Date, false),
        field("doctor", Text, false),
        field("clinic_name", Text, true),
        field("clinic_code", Text, false),
        field("package", Code(ServicePackage::WORDS), false),
    ];

    fn from_record(r: &Record) -> Result<Self, MissingField> {
        Ok(Self {
            status: Record::need("status", r.code("status"))?,
            start: Record::need("start", r.date("start"))?,
            end: r.date("end"),
            doctor: r.text("doctor"),
            clinic_name: Record::need("clinic_name", r.text("clinic_name"))?,
            clinic_code: r.text("clinic_code"),
            package: r.code("package"),
        })
    }
}

impl DeclaredView for PovertyMonitoringView {
    const NAME: &'static str = "poverty_monitoring";
    const FIELDS: &'static [FieldSpec] = &[
        field("name", Text, false),
        field("household_number", Text, false),
        field("kind", Code(PovertyKind::WORDS), true),
        field("risk", Code(RelapseRisk::WORDS), false),
        field("risk_eliminated", Bool, true),
        field("eliminated_on", Date, false),
        field("work", Code(WorkStatus::WORDS), false),
    ];
    const LISTS: &'static [ListSpec] = &[ListSpec {
        name: "assistance",
        fields: &[
            field("kind", Code(RelapseAssistanceKind::WORDS), true),
            field("since", Date, false),
        ],
    }];

    fn from_record(r: &Record) -> Result<Self, MissingField> {
        let assistance = r
            .list("assistance")
            .iter()
            .map(|a| {
                Ok(RelapseAssistance {
                    kind: Record::need("assistance.kind", a.code("kind"))?,
                    since: a.date("since"),
                })
            })
            .collect::<Result<_, MissingField>>()?;
        Ok(Self {
            name: r.text("name"),
            household_number: r.text("household_number"),
            kind: Record::need("kind", r.code("kind"))?,
            risk: r.code("risk"),
            risk_eliminated: Record::need("risk_eliminated", r.bool("risk_eliminated"))?,
            eliminated_on: r.date("eliminated_on"),
            assistance,
            work: r.code("work"),
        })
    }
}

//! Region scope: how much of an asked region lies inside a caller's scope. A scope and a
//! region are both code prefixes, so one of them contains the other or they are apart.

use crate::{auth::Principal, domain::RegionCode};

/// The part of `region` inside the caller's scope: the region itself when the scope
/// holds it, the scope when the region is wider, `None` when they are apart (a listing
/// of it shows nothing of the caller's).
pub fn narrow(principal: &Principal, region: &RegionCode) -> Option<RegionCode> {
    if principal.region.contains(region) {
        Some(region.clone())
    } else if region.contains(&principal.region) {
        Some(principal.region.clone())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn code(c: &str) -> RegionCode {
        RegionCode::parse(c).unwrap_or_else(|e| panic!("{e}"))
    }

    fn township_officer() -> Principal {
        Principal {
            subject: "t".into(),
            role: Role::TownshipOfficer,
            region: code("220122101"),
            department: None,
            id_number: None,
            client: None,
        }
    }

    #[test]
    fn a_region_inside_the_scope_stays_as_asked() {
        let village = code("220122101201");
        assert_eq!(narrow(&township_officer(), &village), Some(village));
    }

    #[test]
    fn a_wider_region_narrows_to_the_scope() {
        assert_eq!(
            narrow(&township_officer(), &code("22")),
            Some(code("220122101"))
        );
    }

    #[test]
    fn a_region_apart_from_the_scope_is_nothing() {
        assert_eq!(narrow(&township_officer(), &code("220122102")), None);
        assert_eq!(narrow(&township_officer(), &code("2202")), None);
    }
}

//! The truth list against what the four departments answer, both ways. The kinds that
//! rest on the departments declared by definition files are proved through the hub's
//! screening instead (`tests/api/screening.rs`), which reads those simulators through the
//! definitions.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Months, NaiveDate};
use cunhub::sim::{AlertKind, Department, FaultRates, SimCluster};
use futures_util::StreamExt;

use crate::helpers::*;

#[derive(Default, Debug)]
struct Seen {
    hjzt: String,
    xm: String,
    csrq: String,
    sfzyxqz: Option<String>,
    medical: Option<(String, Vec<(String, String)>)>,
    social: Option<(String, Option<(String, String)>)>,
    civil: Vec<(String, String, String, String)>,
}

/// The kinds decided from the first four departments' answers.
const FOUR: [AlertKind; 8] = [
    AlertKind::DeceasedStillPaid,
    AlertKind::AssistanceNotInsured,
    AlertKind::ElderlyNoAllowance,
    AlertKind::SevereDisabilityNoNursing,
    AlertKind::PensionCertOverdue,
    AlertKind::IdCardExpired,
    AlertKind::NameMismatch,
    AlertKind::NameEncodingLoss,
];

fn gbk_loss_only(reference: &str, stored: &str) -> bool {
    let a: Vec<char> = reference.chars().collect();
    let b: Vec<char> = stored.chars().collect();
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || encoding_rs::GBK.encode(&x.to_string()).2)
}

fn decide(seen: &Seen, today: NaiveDate) -> BTreeSet<AlertKind> {
    let mut kinds = BTreeSet::new();
    let civil_paying = |code: &str| seen.civil.iter().any(|(_, p, s, _)| p == code && s == "1");
    let pension_paid = seen
        .social
        .as_ref()
        .and_then(|(_, aic)| aic.clone())
        .filter(|(status, _)| status == "1");
    if seen.hjzt == "3" {
        if seen.civil.iter().any(|(_, _, s, _)| s == "1") || pension_paid.is_some() {
            kinds.insert(AlertKind::DeceasedStillPaid);
        }
        return kinds;
    }
    if seen.hjzt != "1" {
        return kinds;
    }
    let insured = seen.medical.as_ref().is_some_and(|(_, entries)| {
        entries
            .iter()
            .any(|(t, s)| (t == "310" || t == "390") && s == "1")
    });
    if (civil_paying("01") || civil_paying("02")) && !insured {
        kinds.insert(AlertKind::AssistanceNotInsured);
    }
    let birth = NaiveDate::parse_from_str(&seen.csrq, "%Y%m%d").unwrap();
    if cunhub::domain::id_number::age_on(birth, today) >= 80 && !civil_paying("06") {
        kinds.insert(AlertKind::ElderlyNoAllowance);
    }
    if seen.civil.iter().any(|(_, _, _, g)| g == "1" || g == "2") && !civil_paying("05") {
        kinds.insert(AlertKind::SevereDisabilityNoNursing);
    }
    if let Some((_, cert)) = pension_paid {
        let cert = NaiveDate::parse_from_str(&cert, "%Y-%m-%d").unwrap();
        if cert < today.checked_sub_months(Months::new(12)).unwrap() {
            kinds.insert(AlertKind::PensionCertOverdue);
        }
    }
    if let Some(until) = seen
        .sfzyxqz
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        && until < today
    {
        kinds.insert(AlertKind::IdCardExpired);
    }
    let mut names: Vec<&str> = Vec::new();
    if let Some((n, _)) = &seen.medical {
        names.push(n);
    }
    if let Some((n, _)) = &seen.social {
        names.push(n);
    }
    names.extend(seen.civil.iter().map(|(n, _, _, _)| n.as_str()));
    for name in names {
        if name != seen.xm {
            if gbk_loss_only(&seen.xm, name) {
                kinds.insert(AlertKind::NameEncodingLoss);
            } else {
                kinds.insert(AlertKind::NameMismatch);
            }
        }
    }
    kinds
}

async fn collect(cluster: &SimCluster) -> HashMap<String, Seen> {
    let client = client();
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let token = police_token(&client, cluster).await;
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "500".to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let page: serde_json::Value = client
            .get(url(
                cluster,
                Department::PublicSecurity,
                "/hjxx/v2/villages/220122101/persons",
            ))
            .bearer_auth(&token)
            .query(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for p in page["items"].as_array().unwrap() {
            let entry = seen
                .entry(p["sfzh"].as_str().unwrap().to_owned())
                .or_default();
            entry.hjzt = p["hjzt"].as_str().unwrap().to_owned();
            entry.xm = p["xm"].as_str().unwrap().to_owned();
            entry.csrq = p["csrq"].as_str().unwrap().to_owned();
            entry.sfzyxqz = p["sfzyxqz"].as_str().map(str::to_owned);
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let ids: Vec<String> = seen.keys().cloned().collect();
    let medical_url = url(
        cluster,
        Department::MedicalInsurance,
        "/fsi/api/rsfComIfsService/callService",
    );
    let answers: Vec<(String, serde_json::Value)> = futures_util::stream::iter(ids.clone())
        .map(|id| {
            let client = client.clone();
            let url = medical_url.clone();
            async move {
                let body: serde_json::Value = client
                    .post(&url)
                    .json(&envelope_1101(&id))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                (id, body)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (id, body) in answers {
        if body["infcode"] == 0 {
            let entries = body["output"]["insuinfo"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["insutype"].as_str().unwrap().to_owned(),
                        e["psn_insu_stas"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            let name = body["output"]["baseinfo"]["psn_name"]
                .as_str()
                .unwrap()
                .to_owned();
            seen.get_mut(&id).unwrap().medical = Some((name, entries));
        } else {
            assert!(
                body["err_msg"].as_str().unwrap().contains("未查询到"),
                "{body}"
            );
        }
    }
    for chunk in ids.chunks(100) {
        let body: serde_json::Value = client
            .post(url(
                cluster,
                Department::SocialSecurity,
                "/api/v1/insurances:batchQuery",
            ))
            .header("X-Api-Key", &cluster.credentials.social_api_key)
            .json(&serde_json::json!({ "aac002": chunk }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for p in body["data"]["list"].as_array().unwrap() {
            let aic = p["aic"].as_object().map(|a| {
                (
                    a["aae116"].as_str().unwrap().to_owned(),
                    a["last_cert_date"].as_str().unwrap().to_owned(),
                )
            });
            let id = p["aac002"].as_str().unwrap();
            seen.get_mut(id).unwrap().social =
                Some((p["aac003"].as_str().unwrap().to_owned(), aic));
        }
    }
    let civil_url = url(
        cluster,
        Department::CivilAffairs,
        "/services/AssistanceService",
    );
    for village in &cluster.population.villages {
        let mut page = 1;
        loop {
            let body = soap(
                "QueryAssistanceByVillage",
                &[
                    ("VillageCode", village.code.as_str()),
                    ("PageNo", &page.to_string()),
                    ("PageSize", "200"),
                ],
            );
            let (status, xml, _) = post_soap(&client, &civil_url, body).await;
            assert_eq!(status, 200, "{xml}");
            let records = tags(&xml, "Record");
            if records.is_empty() {
                break;
            }
            for r in records {
                let field = |t: &str| tags(&r, t).into_iter().next().unwrap_or_default();
                let entry = seen.get_mut(&field("IdCard")).unwrap();
                entry.civil.push((
                    field("Name"),
                    field("ProgrammeCode"),
                    field("Status"),
                    field("DisabilityGrade"),
                ));
            }
            page += 1;
        }
    }
    seen
}

#[tokio::test]
async fn planted_faults_are_exactly_what_the_departments_answers_show() {
    let cluster = spawn_with(|o| {
        o.generation.rates = FaultRates {
            deceased_still_paid: 0.4,
            assistance_not_insured: 0.4,
            elderly_no_allowance: 0.2,
            severe_disability_no_nursing: 0.4,
            pension_cert_overdue: 0.2,
            id_card_expired: 0.1,
            name_mismatch: 0.05,
            rare_name: 0.05,
            ..FaultRates::default()
        };
    })
    .await;
    let seen = collect(&cluster).await;
    assert_eq!(seen.len(), cluster.population.people.len());
    let decided: BTreeMap<String, BTreeSet<AlertKind>> = seen
        .iter()
        .map(|(id, s)| (id.clone(), decide(s, today())))
        .filter(|(_, kinds)| !kinds.is_empty())
        .collect();
    let planted: BTreeMap<String, BTreeSet<AlertKind>> = cluster
        .population
        .planted_faults()
        .into_iter()
        .map(|f| {
            let kinds: BTreeSet<AlertKind> =
                f.kinds.into_iter().filter(|k| FOUR.contains(k)).collect();
            (f.id_number.to_string(), kinds)
        })
        .filter(|(_, kinds)| !kinds.is_empty())
        .collect();
    for (id, kinds) in &planted {
        assert_eq!(
            decided.get(id),
            Some(kinds),
            "planted on {id} but not seen: {:?}",
            seen.get(id)
        );
    }
    for (id, kinds) in &decided {
        assert_eq!(
            planted.get(id),
            Some(kinds),
            "seen on {id} but not planted: {:?}",
            seen.get(id)
        );
    }
    for kind in FOUR {
        assert!(
            planted.values().any(|k| k.contains(&kind)),
            "{kind:?} never planted"
        );
    }
    cluster.stop().await;
}

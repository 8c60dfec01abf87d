use std::collections::HashSet;

use cunhub::sim::AlertKind;
use cunhub::sim::Department;
use cunhub::sim::population::names;

use crate::helpers::*;

const PATH: &str = "/services/AssistanceService";

#[tokio::test]
async fn answers_are_really_gbk_and_rare_names_are_stored_substituted() {
    let cluster = spawn_with(|o| o.generation.rates.rare_name = 0.2).await;
    let client = client();
    let pop = &cluster.population;
    let person = pop
        .people
        .iter()
        .find(|p| p.planted.contains(AlertKind::NameEncodingLoss))
        .expect("a rare-name assistance recipient");
    let body = soap(
        "QueryAssistanceByIdCard",
        &[("IdCard", person.id_number.as_str())],
    );
    let response = client
        .post(url(&cluster, Department::CivilAffairs, PATH))
        .header("Content-Type", "text/xml; charset=GBK")
        .body(encoding_rs::GBK.encode(&body).0.into_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.to_ascii_lowercase().contains("charset=gbk"),
        "{content_type}"
    );
    let raw = response.bytes().await.unwrap();
    assert!(
        std::str::from_utf8(&raw).is_err(),
        "the body is UTF-8, not GBK"
    );
    let (xml, _, malformed) = encoding_rs::GBK.decode(&raw);
    assert!(!malformed);
    assert!(!xml.contains("&#"), "numeric character references in {xml}");
    let stored = names::gbk_stored_name(person.name.as_str());
    assert_ne!(stored, person.name.as_str());
    let names_on_wire = tags(&xml, "Name");
    assert_eq!(names_on_wire.len(), person.assistance.len());
    assert!(names_on_wire.iter().all(|n| *n == stored));
    assert_eq!(tags(&xml, "Total")[0], person.assistance.len().to_string());
    for amount in tags(&xml, "MonthlyAmount") {
        let (_, cents) = amount.split_once('.').unwrap();
        assert_eq!(cents.len(), 2, "{amount}");
    }
    for month in tags(&xml, "StartMonth") {
        assert!(
            chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_ok(),
            "{month}"
        );
    }
    cluster.stop().await;
}

#[tokio::test]
async fn village_query_pages_to_the_end_without_duplicates() {
    let cluster = spawn().await;
    let client = client();
    let pop = &cluster.population;
    let village = pop
        .villages
        .iter()
        .max_by_key(|v| {
            pop.people[v.people.start as usize..v.people.end as usize]
                .iter()
                .map(|p| p.assistance.len())
                .sum::<usize>()
        })
        .unwrap();
    let expected: usize = pop.people[village.people.start as usize..village.people.end as usize]
        .iter()
        .map(|p| p.assistance.len())
        .sum();
    assert!(expected > 7);
    let mut seen = HashSet::new();
    let mut page = 1;
    loop {
        let body = soap(
            "QueryAssistanceByVillage",
            &[
                ("VillageCode", village.code.as_str()),
                ("PageNo", &page.to_string()),
                ("PageSize", "7"),
            ],
        );
        let (status, xml, _) = post_soap(
            &client,
            &url(&cluster, Department::CivilAffairs, PATH),
            body,
        )
        .await;
        assert_eq!(status, 200, "{xml}");
        assert_eq!(tags(&xml, "Total")[0], expected.to_string());
        let records = tags(&xml, "Record");
        if records.is_empty() {
            break;
        }
        for record in records {
            let key = (
                tags(&format!("<r>{record}"), "IdCard"),
                tags(&format!("<r>{record}"), "ProgrammeCode"),
            );
            assert!(seen.insert(key), "duplicate record");
        }
        page += 1;
    }
    assert_eq!(seen.len(), expected);
    cluster.stop().await;
}

#[tokio::test]
async fn malformed_calls_get_soap_faults() {
    let cluster = spawn().await;
    let client = client();
    let url = url(&cluster, Department::CivilAffairs, PATH);
    let cases = [
        "<soap:Envelope><soap:Body><Q>".to_owned(),
        "plain text".to_owned(),
        soap("DeleteEverything", &[]),
        soap("QueryAssistanceByVillage", &[("VillageCode", "2201221")]),
        soap(
            "QueryAssistanceByVillage",
            &[("VillageCode", "220122101201"), ("PageSize", "0")],
        ),
        soap(
            "QueryAssistanceByIdCard",
            &[("IdCard", "220122198502300021")],
        ),
    ];
    for body in cases {
        let (status, xml, _) = post_soap(&client, &url, body.clone()).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(
            tags(&xml, "faultcode"),
            vec!["soap:Client".to_owned()],
            "{xml}"
        );
        assert!(!tags(&xml, "faultstring")[0].is_empty());
    }
    cluster.stop().await;
}

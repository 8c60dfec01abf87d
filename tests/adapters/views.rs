//! What the four adapters read matches the population the simulators serve.

use cunhub::adapters::Source;
use cunhub::domain::RegionCode;
use cunhub::domain::views::{PensionStatus, RegistrationStatus};
use cunhub::sim::Department as Sim;
use cunhub::sim::population::{NameSource, Registration};

use crate::helpers::*;

#[tokio::test]
async fn all_four_views_of_one_person_match_the_population() {
    let cluster = cluster(60, |_| {}).await;
    let deps = departments(&settings(&cluster));
    let pop = &cluster.population;
    let index = people(&cluster, |p| {
        p.is_normal()
            && p.medical.is_some()
            && p.social.is_some_and(|s| s.pension.is_some())
            && !p.assistance.is_empty()
    })[0];
    let person = &pop.people[index];
    let id = id(&cluster, index);
    let ctx = ctx(5000);

    let medical = deps.medical.person(&id, &ctx).await.unwrap();
    assert_eq!(medical.source, Source::Live);
    let medical = medical.value.unwrap();
    assert_eq!(medical.id_number, id);
    assert_eq!(
        medical.name,
        pop.department_name(index, NameSource::Medical)
    );
    assert_eq!(medical.birth_date, person.birth_date());
    assert_eq!(medical.sex, person.sex);
    assert_eq!(medical.ethnicity, person.ethnicity);
    assert!(!medical.enrolments.is_empty());

    let social = deps
        .social
        .insurances(&id, &ctx)
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(social.name, pop.department_name(index, NameSource::Social));
    let facts = person.social.unwrap().pension.unwrap();
    let pension = social.pension.unwrap();
    assert_eq!(pension.monthly.fen, i64::from(facts.monthly_cents));
    assert_eq!(pension.status == PensionStatus::InPayment, facts.in_payment);
    assert_eq!(pension.last_certified, Some(facts.last_cert));

    let assistance = deps.civil.assistance_by_id(&id, &ctx).await.unwrap().value;
    assert_eq!(assistance.len(), person.assistance.len());
    for (record, fact) in assistance.iter().zip(person.assistance.iter()) {
        assert_eq!(record.name, pop.department_name(index, NameSource::Civil));
        assert_eq!(record.amount.fen, i64::from(fact.monthly_cents));
        assert_eq!(record.start.year, fact.start.year as i32);
    }

    let registration = deps.police.person(&id, &ctx).await.unwrap().value.unwrap();
    assert_eq!(registration.name, person.name.as_str());
    assert_eq!(registration.relationship, person.relationship);
    assert_eq!(registration.sex, person.sex);
    assert_eq!(registration.status, RegistrationStatus::Normal);
    assert_eq!(
        registration.village_code,
        pop.village_of(person).code.as_str()
    );
    let household = deps
        .police
        .household(&registration.household_number, &ctx)
        .await
        .unwrap()
        .value
        .unwrap();
    assert!(household.members.iter().any(|m| m.id_number == id));

    // A second read within the TTL comes from the cache.
    let again = deps.medical.person(&id, &ctx).await.unwrap();
    assert_eq!(again.source, Source::Cache);
    let stats = cluster.knobs(Sim::MedicalInsurance).unwrap().stats();
    assert_eq!(stats.by_operation.get("1101"), Some(&1));
}

#[tokio::test]
async fn unknown_people_are_none_in_every_department() {
    let cluster = cluster(20, |_| {}).await;
    let deps = departments(&settings(&cluster));
    let ctx = ctx(5000);
    let nobody = &cunhub::domain::IdNumber::parse("11010519491231002X").unwrap();
    assert_eq!(deps.medical.person(nobody, &ctx).await.unwrap().value, None);
    assert_eq!(
        deps.social.insurances(nobody, &ctx).await.unwrap().value,
        None
    );
    assert!(
        deps.civil
            .assistance_by_id(nobody, &ctx)
            .await
            .unwrap()
            .value
            .is_empty()
    );
    assert_eq!(deps.police.person(nobody, &ctx).await.unwrap().value, None);
}

#[tokio::test]
async fn gbk_names_with_rare_characters_come_back_as_civil_affairs_stores_them() {
    let cluster = cluster(245, |_| {}).await;
    let deps = departments(&settings(&cluster));
    let pop = &cluster.population;
    let rare = people(&cluster, |p| {
        p.is_normal()
            && !p.assistance.is_empty()
            && p.name.as_str().chars().any(|c| !encodable_in_gbk(c))
    });
    assert!(
        !rare.is_empty(),
        "the population has assisted people with rare names"
    );
    for index in rare {
        let id = id(&cluster, index);
        let records = deps
            .civil
            .assistance_by_id(&id, &ctx(5000))
            .await
            .unwrap()
            .value;
        let stored = pop.department_name(index, NameSource::Civil);
        assert_ne!(stored, pop.people[index].name.as_str());
        for r in &records {
            assert_eq!(r.name, stored);
            assert_eq!(r.name_lossy, stored.contains('?'));
        }
        // The register (UTF-8) keeps the real name.
        let reg = deps
            .police
            .person(&id, &ctx(5000))
            .await
            .unwrap()
            .value
            .unwrap();
        assert_eq!(reg.name, pop.people[index].name.as_str());
    }
}

fn encodable_in_gbk(c: char) -> bool {
    let (_, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut [0; 4]));
    !unmappable
}

#[tokio::test]
async fn a_batch_of_100_is_one_social_call() {
    let cluster = cluster(60, |_| {}).await;
    let deps = departments(&settings(&cluster));
    let ids: Vec<_> = (0..100).map(|i| id(&cluster, i)).collect();
    let results = deps.social.insurances_batch(&ids, &ctx(5000)).await;
    assert_eq!(results.len(), 100);
    for (i, id) in ids.iter().enumerate() {
        let value = &results[id].as_ref().unwrap().value;
        assert_eq!(
            value.is_some(),
            cluster.population.people[i].social.is_some(),
            "{i}"
        );
    }
    let stats = cluster.knobs(Sim::SocialSecurity).unwrap().stats();
    assert_eq!(stats.by_operation.get("batchQuery"), Some(&1));
    assert_eq!(stats.persons_asked, 100);

    // 250 people (100 of them cached): two more calls.
    let more: Vec<_> = (0..250).map(|i| id(&cluster, i)).collect();
    let results = deps.social.insurances_batch(&more, &ctx(5000)).await;
    assert_eq!(results.len(), 250);
    assert_eq!(results[&more[0]].as_ref().unwrap().source, Source::Cache);
    let stats = cluster.knobs(Sim::SocialSecurity).unwrap().stats();
    assert_eq!(stats.by_operation.get("batchQuery"), Some(&3));
}

#[tokio::test]
async fn civil_affairs_by_village_is_one_paged_walk() {
    let cluster = cluster(245, |_| {}).await;
    let deps = departments(&settings(&cluster));
    let pop = &cluster.population;
    let village = pop
        .villages
        .iter()
        .max_by_key(|v| {
            (v.people.start..v.people.end)
                .map(|i| pop.people[i as usize].assistance.len())
                .sum::<usize>()
        })
        .unwrap();
    let expected: usize = (village.people.start..village.people.end)
        .map(|i| pop.people[i as usize].assistance.len())
        .sum();
    let code = RegionCode::parse(village.code.as_str()).unwrap();
    let records = deps
        .civil
        .assistance_by_village(&code, &ctx(10_000))
        .await
        .unwrap()
        .value;
    assert_eq!(records.len(), expected);
    let stats = cluster.knobs(Sim::CivilAffairs).unwrap().stats();
    assert_eq!(
        stats
            .by_operation
            .get("QueryAssistanceByVillage")
            .copied()
            .unwrap_or(0),
        expected.div_ceil(200).max(1) as u64
    );
}

#[tokio::test]
async fn the_register_of_a_township_is_walked_by_cursor() {
    let cluster = cluster(30, |_| {}).await;
    let deps = departments(&settings(&cluster));
    let pop = &cluster.population;
    let township = RegionCode::parse("220122101").unwrap();
    let mut cursor: Option<String> = None;
    let mut seen = 0usize;
    let mut deceased = 0usize;
    loop {
        let page = deps
            .police
            .village_page(&township, cursor.as_deref(), 200, &ctx(5000))
            .await
            .unwrap();
        assert_eq!(page.total as usize, pop.people.len());
        seen += page.items.len();
        deceased += page
            .items
            .iter()
            .filter(|p| p.status == RegistrationStatus::Deceased)
            .count();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, pop.people.len());
    let dead = pop
        .people
        .iter()
        .filter(|p| matches!(p.registration, Registration::Deceased(_)))
        .count();
    assert_eq!(deceased, dead);
}

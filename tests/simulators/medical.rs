use cunhub::sim::Department;
use cunhub::sim::population::NameSource;

use crate::helpers::*;

const PATH: &str = "/fsi/api/rsfComIfsService/callService";

#[tokio::test]
async fn person_info_answers_the_envelope_with_base_insurance_and_identities() {
    let cluster = spawn().await;
    let client = client();
    let pop = &cluster.population;
    let (index, person) = pop
        .people
        .iter()
        .enumerate()
        .find(|(_, p)| p.is_normal() && p.medical.is_some() && !p.assistance.is_empty())
        .unwrap();
    let body: serde_json::Value = client
        .post(url(&cluster, Department::MedicalInsurance, PATH))
        .json(&envelope_1101(person.id_number.as_str()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["infcode"], 0, "{body}");
    for field in ["inf_refmsgid", "refmsg_time", "respond_time"] {
        assert!(body[field].is_string(), "{field} missing: {body}");
    }
    let base = &body["output"]["baseinfo"];
    assert_eq!(base["certno"], person.id_number.as_str());
    assert_eq!(
        base["psn_name"],
        pop.department_name(index, NameSource::Medical).as_ref()
    );
    assert_eq!(base["gend"], person.sex.code());
    assert_eq!(base["naty"], person.ethnicity.code());
    assert_eq!(
        base["brdy"],
        person.birth_date().format("%Y-%m-%d").to_string()
    );
    assert_eq!(base["age"], person.id_number.age_on(today()));
    let insuinfo = body["output"]["insuinfo"].as_array().unwrap();
    assert!(!insuinfo.is_empty());
    for entry in insuinfo {
        assert!(["310", "390", "392"].contains(&entry["insutype"].as_str().unwrap()));
        assert!(["1", "2", "3"].contains(&entry["psn_insu_stas"].as_str().unwrap()));
        assert_eq!(entry["insuplc_admdvs"], "220122");
    }
    assert!(body["output"]["idetinfo"].is_array());
    cluster.stop().await;
}

#[tokio::test]
async fn unknown_people_malformed_envelopes_and_unknown_transactions_fail_with_minus_one() {
    let cluster = spawn().await;
    let client = client();
    let url = url(&cluster, Department::MedicalInsurance, PATH);
    let post = |body: serde_json::Value| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let response = client.post(&url).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let unknown = post(envelope_1101("11010519491231002X")).await;
    assert_eq!(unknown["infcode"], -1);
    assert!(unknown["err_msg"].as_str().unwrap().contains("未查询到"));
    assert!(unknown["output"].is_null());

    let mut bad_id = envelope_1101("220122195603020018");
    let answer = post(bad_id.clone()).await;
    assert!(
        answer["err_msg"].as_str().unwrap().contains("should be 7"),
        "{answer}"
    );

    bad_id.as_object_mut().unwrap().remove("msgid");
    let answer = post(bad_id).await;
    assert_eq!(answer["infcode"], -1);
    assert!(
        answer["err_msg"].as_str().unwrap().contains("msgid"),
        "{answer}"
    );

    let mut other = envelope_1101("220122195603020017");
    other["infno"] = "9999".into();
    let answer = post(other).await;
    assert_eq!(answer["infcode"], -1);
    assert!(answer["err_msg"].as_str().unwrap().contains("9999"));

    let response = client.post(&url).body("not json").send().await.unwrap();
    assert_eq!(response.status(), 400);
    cluster.stop().await;
}

#[tokio::test]
async fn calls_beyond_sixteen_in_flight_are_answered_busy() {
    let cluster = spawn().await;
    let knobs = cluster.knobs(Department::MedicalInsurance).unwrap();
    let mut k = knobs.get();
    assert_eq!(k.max_in_flight, 16);
    k.latency_ms = 400;
    knobs.set(k);
    let id = cluster
        .population
        .people
        .iter()
        .find(|p| p.medical.is_some())
        .unwrap()
        .id_number
        .to_string();
    let client = client();
    let url = url(&cluster, Department::MedicalInsurance, PATH);
    let calls = (0..24).map(|_| {
        let client = client.clone();
        let url = url.clone();
        let body = envelope_1101(&id);
        async move {
            let answer: serde_json::Value = client
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let busy = answers
        .iter()
        .filter(|a| a["infcode"] == -1 && a["err_msg"].as_str().unwrap_or("").contains("繁忙"))
        .count();
    let ok = answers.iter().filter(|a| a["infcode"] == 0).count();
    assert_eq!(busy + ok, 24);
    assert!(busy >= 1 && (1..=16).contains(&ok), "busy {busy}, ok {ok}");
    assert_eq!(knobs.stats().busy as usize, busy);
    assert!(knobs.stats().max_in_flight_seen <= 16);
    cluster.stop().await;
}

use chrono::NaiveDate;
use cunhub::domain::RegionCode;
use cunhub::sim::{Department, GenOptions, SimCluster, SimOptions};

/// The fixed "today" of the tests.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

/// Options for a small population: one township of 农安县.
pub fn options(scope: &str, people_per_village: u32) -> SimOptions {
    let mut generation = GenOptions::new(RegionCode::parse(scope).unwrap(), today());
    generation.people_per_village = people_per_village;
    SimOptions::new(generation)
}

pub async fn spawn() -> SimCluster {
    SimCluster::start(options("220122101", 40)).await.unwrap()
}

pub async fn spawn_with(change: impl FnOnce(&mut SimOptions)) -> SimCluster {
    let mut options = options("220122101", 40);
    change(&mut options);
    SimCluster::start(options).await.unwrap()
}

pub fn url(cluster: &SimCluster, department: Department, path: &str) -> String {
    format!("{}{path}", cluster.base_url(department).unwrap())
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A 1101 request envelope.
pub fn envelope_1101(certno: &str) -> serde_json::Value {
    serde_json::json!({
        "infno": "1101",
        "msgid": "H22012220260630120000000001",
        "mdtrtarea_admvs": "220122",
        "recer_sys_code": "CUNHUB",
        "infver": "V1.0",
        "opter_type": "1",
        "opter": "0001",
        "opter_name": "村级帮办员",
        "inf_time": "2026-06-30 12:00:00",
        "sign_no": "",
        "input": { "data": { "psn_cert_type": "01", "certno": certno, "psn_name": "" } }
    })
}

/// A SOAP call.
pub fn soap(operation: &str, params: &[(&str, &str)]) -> String {
    let inner: String = params
        .iter()
        .map(|(k, v)| format!("<as:{k}>{v}</as:{k}>"))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"GBK\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:as=\"http://mz.jl.gov.cn/assistance\"><soap:Body><as:{operation}>{inner}</as:{operation}></soap:Body></soap:Envelope>"
    )
}

/// Posts a SOAP call, returning status and the GBK-decoded body.
pub async fn post_soap(
    client: &reqwest::Client,
    url: &str,
    body: String,
) -> (u16, String, Vec<u8>) {
    let (bytes, _, _) = encoding_rs::GBK.encode(&body);
    let response = client
        .post(url)
        .header("Content-Type", "text/xml; charset=GBK")
        .header("SOAPAction", "\"\"")
        .body(bytes.into_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let raw = response.bytes().await.unwrap().to_vec();
    let (text, _, _) = encoding_rs::GBK.decode(&raw);
    (status, text.into_owned(), raw)
}

/// The texts of every `<tag>` element in order.
pub fn tags(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|part| part.split(&close).next().map(str::to_owned))
        .collect()
}

/// An access token of public security.
pub async fn police_token(client: &reqwest::Client, cluster: &SimCluster) -> String {
    let creds = &cluster.credentials;
    let response: serde_json::Value = client
        .post(url(cluster, Department::PublicSecurity, "/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", creds.police_client_id.as_str()),
            ("client_secret", creds.police_client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["access_token"].as_str().unwrap().to_owned()
}

//! The shipped division tree is loaded once, completely, and idempotently.

use cunhub::startup;

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_level_holds_the_2023_counts() {
    let app = spawn_app().await;
    let response = app
        .graphql(
            "{ p: regions(level: PROVINCE) { totalCount } f: regions(level: PREFECTURE) { totalCount }
               c: regions(level: COUNTY) { totalCount } t: regions(level: TOWNSHIP) { totalCount }
               v: regions(level: VILLAGE) { totalCount } m: regions(level: COMMUNITY) { totalCount }
               o: regions(level: OTHER) { totalCount } all: regions { totalCount } }",
        )
        .send()
        .await;
    let data = response.data();
    for (key, count) in [
        ("p", 1),
        ("f", 9),
        ("c", 69),
        ("t", 1_075),
        ("v", 9_321),
        ("m", 2_271),
        ("o", 268),
        ("all", 13_014),
    ] {
        assert_eq!(data[key]["totalCount"], count, "{key}");
    }
}

#[tokio::test]
async fn migrating_again_adds_nothing() {
    let app = spawn_app().await;
    let again = startup::prepare_database(&app.db).await.unwrap();
    assert_eq!(again.regions_added, 0);
    let response = app.graphql("{ regions { totalCount } }").send().await;
    assert_eq!(response.data()["regions"]["totalCount"], 13_014);
}

//! Messages for village staff: `Accept-Language: zh-CN` answers every error's `message`
//! in Chinese from the catalogue (the English detail kept beside it), over HTTP and the
//! WebSocket; anything else keeps the English.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    helpers::{TestApp, read, spawn_app},
    websocket::{next_json, open, send},
};

const BAD_REGION: &str = r#"{ region(code: "22x") { name } }"#;

#[tokio::test]
async fn a_field_error_is_in_chinese_for_zh_cn_with_the_english_detail() {
    let app = spawn_app().await;
    let response = app
        .graphql(BAD_REGION)
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
        .send()
        .await;
    assert_eq!(response.error_codes(), ["INVALID_REGION_CODE"]);
    let error = &response.body["errors"][0];
    assert_eq!(error["message"], "行政区划代码无效。");
    assert!(
        error["extensions"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("invalid region code"),
        "{error}"
    );
    assert_eq!(response.headers["content-language"], "zh-CN");
}

#[tokio::test]
async fn english_stays_the_hubs_own_message_without_a_detail() {
    let app = spawn_app().await;
    for language in [None, Some("en-US"), Some("fr-FR")] {
        let mut call = app.graphql(BAD_REGION);
        if let Some(language) = language {
            call = call.header("accept-language", language);
        }
        let response = call.send().await;
        let error = &response.body["errors"][0];
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("invalid region code"),
            "{language:?}: {error}"
        );
        assert!(error["extensions"]["detail"].is_null());
        assert_eq!(response.headers["content-language"], "en");
    }
}

#[tokio::test]
async fn request_errors_and_refusals_before_graphql_are_in_chinese_too() {
    let app = spawn_app().await;
    let invalid = app
        .graphql("{ nosuchfield }")
        .header("accept-language", "zh-CN")
        .send()
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.body["errors"][0]["message"], "请求与接口定义不符。");

    let bad_token = app
        .graphql("{ __typename }")
        .bearer("not-a-token")
        .header("accept-language", "zh-CN")
        .send()
        .await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_token.error_codes(), ["INVALID_TOKEN"]);
    assert_eq!(
        bad_token.body["errors"][0]["message"],
        "登录凭证无效或已过期，请重新登录。"
    );

    let form = read(
        app.request(Method::POST, "/graphql")
            .header("content-type", "text/plain")
            .header("accept-language", "zh-CN")
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        form.body["errors"][0]["message"],
        "请求须以 JSON 格式发送。"
    );
}

async fn socket_error_message(app: &TestApp, init: serde_json::Value) -> String {
    let mut socket = open(app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": init }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": BAD_REGION } }),
    )
    .await;
    let message = next_json(&mut socket).await;
    message["payload"]["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{message}"))
        .to_owned()
}

#[tokio::test]
async fn socket_errors_follow_the_language_of_connection_init() {
    let app = spawn_app().await;
    assert_eq!(
        socket_error_message(&app, json!({ "language": "zh-CN" })).await,
        "行政区划代码无效。"
    );
    assert!(
        socket_error_message(&app, json!({}))
            .await
            .starts_with("invalid region code")
    );
}

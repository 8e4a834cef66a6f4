//! Swagger UI in a real browser (Debian chromium, Playwright): every tag,
//! the login operation run from the page, its token authorized, `GET
//! /clusters` run from the page with a 200 envelope, and no request to any
//! host but the server. The screenshot goes to the test output folder.

use taichu_tests::app::ADMIN_PASSWORD;
use taichu_tests::{python, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn swagger_ui_logs_in_authorizes_and_lists_clusters_in_a_real_browser() {
    let Some(python) = python::python() else {
        return;
    };
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        assert!(taichu_tests::skip("chromium (scripts/lib/services.sh ensure_browser)"));
        return;
    }
    let app = spawn_app().await;
    app.post(
        "/clusters",
        &app.admin_token().await,
        serde_json::json!({"name": "seen-in-the-browser"}),
    )
    .await
    .data();
    let screenshot = python::output_dir().join("swagger-list-clusters.png");
    let env = vec![
        ("TAICHU_URL".to_owned(), app.base.clone()),
        ("TAICHU_ADMIN_PASSWORD".to_owned(), ADMIN_PASSWORD.to_owned()),
        ("SCREENSHOT".to_owned(), screenshot.display().to_string()),
    ];
    let seen = python::run(python, "swagger_ui.py", env).await;

    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(python::root().join("openapi/openapi.json")).expect("spec"))
            .expect("spec json");
    let mut tags: Vec<&str> = spec["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    tags.sort_unstable();
    assert_eq!(seen["tags"], serde_json::json!(tags), "every tag on the page");
    let listed = &seen["list_clusters"];
    assert_eq!(listed["status"], 200, "{seen}");
    assert_eq!(listed["body"]["code"], 0, "{seen}");
    assert_eq!(
        listed["body"]["data"]["clusters"][0]["name"], "seen-in-the-browser",
        "{seen}"
    );
    let server = app.base.trim_start_matches("http://");
    assert_eq!(
        seen["hosts"],
        serde_json::json!([server]),
        "the page asked only its own server"
    );
    let png = std::fs::read(&screenshot).expect("screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot");
}

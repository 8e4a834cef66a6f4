//! The committed spec is what the code generates, and every operation documents itself.

use std::process::Command;

use serde_json::Value;
use taichu_tests::app::taichu_bin;
use taichu_tests::spawn_app;

fn generated() -> Value {
    let out = Command::new(taichu_bin())
        .arg("openapi")
        .output()
        .expect("run taichu openapi");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("spec is JSON")
}

#[test]
fn committed_spec_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi/openapi.json")).expect("JSON");
    assert!(
        committed == generated(),
        "openapi/openapi.json is stale: run `cargo run --bin taichu -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_documents_security_and_error_responses() {
    let spec = generated();
    let public = ["/auth/login", "/auth/register", "/auth/refresh", "/auth/token"];
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("ops") {
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            assert_eq!(secured, !public.contains(&path.as_str()), "{method} {path}: security");
            let responses = op["responses"].as_object().expect("responses");
            for status in ["200", "400", "401", "500"] {
                assert!(responses.contains_key(status), "{method} {path} lacks {status}");
            }
            assert!(op.get("summary").is_some(), "{method} {path} lacks a summary");
        }
    }
}

#[tokio::test]
async fn served_spec_equals_generated_spec() {
    let app = spawn_app().await;
    let served: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(served, generated());
}

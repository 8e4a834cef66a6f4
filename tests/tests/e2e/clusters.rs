//! Seed sections 集群接口 and 拓扑接口: the cluster registry.

use serde_json::json;
use taichu_tests::spawn_app;

#[tokio::test]
async fn register_list_filter_and_topology() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (name, provider, status_nodes) in [("prod-east", "太初", 3), ("prod-west", "aws", 5), ("lab", "太初", 1)] {
        let body = json!({"name": name, "provider": provider, "region": "cn-east-1", "version": "v1.33.1", "node_count": status_nodes});
        let reply = app.post("/clusters", &admin, body).await;
        assert_eq!(reply.data()["status"], "pending");
        assert_eq!(reply.data()["has_kubeconfig"], false);
        assert_eq!(reply.data()["created_by"], "admin");
    }
    let all = app.get("/clusters", &admin).await;
    assert_eq!(all.data()["total"], 3);
    let taichu = app.get("/clusters?provider=%E5%A4%AA%E5%88%9D", &admin).await;
    assert_eq!(taichu.data()["total"], 2);
    let prod = app.get("/clusters?search=prod&limit=1&page=2", &admin).await;
    assert_eq!(prod.data()["total"], 2);
    assert_eq!(prod.data()["clusters"][0]["name"], "prod-west");
    assert_eq!(app.get("/clusters?status=healthy", &admin).await.data()["total"], 0);

    let topology = app.get("/clusters/topology", &admin).await;
    let clusters = topology.data()["clusters"].as_array().expect("clusters").clone();
    assert_eq!(clusters.len(), 3);
    assert_eq!(clusters[1]["name"], "prod-west");
    assert_eq!(clusters[1]["node_count"], 5);
    assert_eq!(clusters[1]["provider"], "aws");
    assert_eq!(clusters[1]["version"], "v1.33.1");
}

#[tokio::test]
async fn input_is_validated_and_names_are_unique() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "bad name"}), "name"),
        (json!({"name": "ok", "node_count": -1}), "node_count"),
        (json!({"name": "ok", "version": "v1; rm"}), "version"),
        (
            json!({"name": "ok", "kubeconfig": "YXBpVmVyc2lvbjogdjE="}),
            "kubeconfig",
        ),
        (json!({"description": "no name"}), "name"),
    ] {
        let message = app.post("/clusters", &admin, body.clone()).await.error(400);
        assert!(message.contains(field), "{body} -> {message}");
    }
    assert_eq!(
        app.get("/clusters", &admin).await.data()["total"],
        0,
        "nothing half-written"
    );
    app.post("/clusters", &admin, json!({"name": "one"})).await.data();
    assert!(
        app.post("/clusters", &admin, json!({"name": "one"}))
            .await
            .error(409)
            .contains("cluster name")
    );
}

#[tokio::test]
async fn deletion_removes_the_records_only_for_admin_or_creator() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, alice) = app.user("alice").await;
    let (_, bob) = app.user("bob").await;
    let id = app.post("/clusters", &alice, json!({"name": "alices"})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.delete(&format!("/clusters/{id}"), &bob).await.error(403);
    app.delete(&format!("/clusters/{id}"), &alice).await.data();
    app.get(&format!("/clusters/{id}"), &admin).await.error(404);
    app.delete(&format!("/clusters/{id}"), &admin).await.error(404);
    app.get(&format!("/clusters/{id}/audit"), &admin).await.error(404);
    let deletions = app.get("/audit?action=DELETE_CLUSTER", &admin).await;
    assert_eq!(
        deletions.data()["audit_logs"][0]["cluster_id"],
        id.as_str(),
        "the trail outlives the cluster"
    );
}

//! Live views (nodes, events, NetworkPolicies, HPAs) read from a cluster
//! served by the test API server over HTTPS.

use std::time::Duration;

use serde_json::{Value, json};
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::{TestApp, spawn_app};

const TOKEN: &str = "live-view-token-0123456789";

fn seed(server: &TestApiServer) {
    let node = |name: &str, role: Option<&str>, ready: &str| {
        let mut labels = json!({"kubernetes.io/hostname": name});
        if let Some(role) = role {
            labels[role] = json!("");
        }
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": format!("uid-{name}"), "labels": labels},
               "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"}, "conditions": [{"type": "Ready", "status": ready}]}})
    };
    server.put(
        "core/v1",
        "nodes",
        node("cp-1", Some("node-role.kubernetes.io/control-plane"), "True"),
    );
    server.put("core/v1", "nodes", node("worker-1", None, "True"));
    server.put("core/v1", "nodes", node("worker-2", None, "False"));
    for (i, node) in ["worker-1", "worker-1", "cp-1"].iter().enumerate() {
        server.put("core/v1", "pods", json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i}"), "namespace": "default"},
                                              "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]}}));
    }
    server.put("metrics.k8s.io/v1beta1", "nodes", json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
        "metadata": {"name": "cp-1"}, "timestamp": "2026-01-01T00:00:00Z", "window": "30s", "usage": {"cpu": "1000m", "memory": "8Gi"}}));
    for (name, kind, at) in [
        ("e1", "Normal", "2026-01-01T00:00:00Z"),
        ("e2", "Warning", "2026-01-01T00:05:00Z"),
        ("e3", "Normal", "2026-01-01T00:10:00Z"),
    ] {
        server.put("core/v1", "events", json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}")},
            "type": kind, "reason": "ScalingReplicaSet", "message": format!("message {name}"), "count": 2,
            "firstTimestamp": at, "lastTimestamp": at, "involvedObject": {"kind": "Deployment", "name": "nginx"}}));
    }
    server.put("networking.k8s.io/v1", "networkpolicies", json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny-all", "namespace": "default"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"protocol": "TCP", "port": 80}]}], "egress": [{}]}}));
    server.put("autoscaling/v2", "horizontalpodautoscalers", json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "nginx-hpa", "namespace": "default"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}, "minReplicas": 2, "maxReplicas": 10,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}));
}

async fn imported(app: &TestApp, token: &str, server: &TestApiServer) -> String {
    let status = app.import_cluster(token, "live", &server.kubeconfig(TOKEN)).await;
    assert_eq!(status["status"], "completed", "{status}");
    status["cluster_id"].as_str().expect("cluster").to_owned()
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|n| n["name"].as_str().or(n["id"].as_str()).expect("name").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_events_and_policies_are_read_live() {
    let server = TestApiServer::start(TOKEN).await;
    seed(&server);
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = imported(&app, &admin, &server).await;

    let nodes = app.get(&format!("/clusters/{id}/nodes"), &admin).await.data().clone();
    assert_eq!(nodes["total"], 3);
    assert_eq!(
        nodes["summary"],
        json!({"control_plane_count": 1, "worker_count": 2, "ready_count": 2})
    );
    let cp = nodes["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["name"] == "cp-1")
        .expect("cp-1")
        .clone();
    assert_eq!(cp["type"], "control-plane");
    assert_eq!(cp["status"], "Ready");
    assert_eq!(cp["cpu_cores"], 4.0);
    assert_eq!(cp["memory_bytes"], 17179869184i64);
    assert_eq!(cp["cpu_usage_percent"], 25.0);
    assert_eq!(cp["memory_usage_percent"], 50.0);
    assert_eq!(cp["pod_count"], 1);
    let w1 = app
        .get(&format!("/clusters/{id}/nodes/worker-1"), &admin)
        .await
        .data()
        .clone();
    assert_eq!(w1["pod_count"], 2);
    assert!(
        w1["cpu_usage_percent"].is_null(),
        "no metrics for this node: null, not invented"
    );
    app.get(&format!("/clusters/{id}/nodes/nope"), &admin).await.error(404);
    assert_eq!(
        names(
            app.get(&format!("/clusters/{id}/nodes?type=worker"), &admin)
                .await
                .data(),
            "nodes"
        ),
        vec!["worker-1", "worker-2"]
    );
    assert_eq!(
        names(
            app.get(&format!("/clusters/{id}/nodes?status=NotReady"), &admin)
                .await
                .data(),
            "nodes"
        ),
        vec!["worker-2"]
    );
    let paged = app
        .get(&format!("/clusters/{id}/nodes?limit=1&page=2"), &admin)
        .await
        .data()
        .clone();
    assert_eq!(
        (paged["total"].clone(), names(&paged, "nodes")),
        (json!(3), vec!["worker-1".to_owned()])
    );

    let events = app.get(&format!("/clusters/{id}/events"), &admin).await.data().clone();
    assert_eq!(events["total"], 3);
    assert_eq!(events["events"][0]["id"], "uid-e3", "newest first");
    assert_eq!(events["events"][0]["object"], "Deployment/nginx");
    assert_eq!(events["events"][0]["count"], 2);
    let warnings = app
        .get(&format!("/clusters/{id}/events?type=Warning"), &admin)
        .await
        .data()
        .clone();
    assert_eq!(warnings["total"], 1);
    assert_eq!(warnings["events"][0]["reason"], "ScalingReplicaSet");
    assert_eq!(
        app.get(&format!("/clusters/{id}/events?limit=2&page=2"), &admin)
            .await
            .data()["events"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let policies = app
        .get(&format!("/clusters/{id}/security-policies"), &admin)
        .await
        .data()
        .clone();
    let policy = &policies["policies"][0];
    assert_eq!(
        (
            policy["name"].clone(),
            policy["type"].clone(),
            policy["namespace"].clone()
        ),
        (json!("default-deny-all"), json!("NetworkPolicy"), json!("default"))
    );
    assert_eq!(policy["rules"][0]["direction"], "ingress");
    assert_eq!(
        policy["rules"][0]["from"][0]["pod_selector"]["match_labels"]["app"],
        "web"
    );
    assert_eq!(policy["rules"][0]["ports"][0]["port"], 80);
    assert_eq!(policy["rules"][1]["direction"], "egress");

    let hpas = app
        .get(&format!("/clusters/{id}/autoscaling-policies"), &admin)
        .await
        .data()
        .clone();
    let hpa = &hpas["policies"][0];
    assert_eq!(hpa["target"], json!({"kind": "Deployment", "name": "nginx"}));
    assert_eq!(
        (hpa["min_replicas"].clone(), hpa["max_replicas"].clone()),
        (json!(2), json!(10))
    );
    assert_eq!(hpa["metrics"][0]["resource"]["target"]["average_utilization"], 70);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_cluster_gets_a_clear_error_not_stale_data() {
    let server = TestApiServer::start(TOKEN).await;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = imported(&app, &admin, &server).await;
    drop(server);
    let message = app.get(&format!("/clusters/{id}/nodes"), &admin).await.error(503);
    assert!(message.starts_with("cluster unreachable"), "{message}");
    app.get(&format!("/clusters/{id}/events"), &admin).await.error(503);

    let plain = app.post("/clusters", &admin, json!({"name": "no-config"})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(
        app.get(&format!("/clusters/{plain}/nodes"), &admin)
            .await
            .error(409)
            .contains("kubeconfig")
    );
    app.get("/clusters/0193a9f6-0000-7000-8000-00000000abcd/nodes", &admin)
        .await
        .error(404);
}

#[tokio::test(flavor = "multi_thread")]
async fn periodic_health_follows_the_cluster_away_and_back() {
    let mut server = TestApiServer::start(TOKEN).await;
    server.add_node("a", true);
    server.add_node("b", true);
    let app = taichu_tests::spawn_app_with(&[("TAICHU_HEALTH_SECS", "1")]).await;
    let admin = app.admin_token().await;
    let id = imported(&app, &admin, &server).await;
    let path = format!("/clusters/{id}");
    let within = Duration::from_secs(30);

    let checked = app
        .poll(&path, &admin, within, |c| c["status_message"] == "2 of 2 nodes Ready")
        .await;
    assert_eq!(checked["status"], "healthy");
    let seen = checked["last_seen_at"].clone();

    server.add_node("b", false);
    let unhealthy = app.poll(&path, &admin, within, |c| c["status"] == "unhealthy").await;
    assert_eq!(unhealthy["status_message"], "1 of 2 nodes Ready");

    server.stop().await;
    let gone = app.poll(&path, &admin, within, |c| c["status"] == "unreachable").await;
    assert!(
        gone["status_message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot reach")),
        "{gone}"
    );

    server.add_node("b", true);
    server.restart().await;
    let back = app.poll(&path, &admin, within, |c| c["status"] == "healthy").await;
    assert_ne!(back["last_seen_at"], seen, "last seen moves on");
    assert_eq!(back["node_count"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn pods_are_counted_page_by_page() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_node("big", true);
    server.add_node("small", true);
    for i in 0..1234 {
        let node = if i % 100 == 0 { "small" } else { "big" };
        server.put("v1", "pods", json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i:04}"), "namespace": format!("ns{}", i % 7)},
                                         "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}}));
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = imported(&app, &admin, &server).await;

    let nodes = app.get(&format!("/clusters/{id}/nodes"), &admin).await.data().clone();
    let count = |name: &str| {
        nodes["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["name"] == name)
            .map(|n| n["pod_count"].clone())
    };
    assert_eq!((count("big"), count("small")), (Some(json!(1221)), Some(json!(13))));
    let pod_reads: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET /api/v1/pods"))
        .collect();
    assert_eq!(pod_reads.len(), 3, "1234 pods in pages of 500: {pod_reads:?}");
    assert!(pod_reads.iter().all(|r| r.contains("limit=500")), "{pod_reads:?}");
    assert!(pod_reads[1..].iter().all(|r| r.contains("continue=")), "{pod_reads:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn many_events_page_newest_first() {
    let server = TestApiServer::start(TOKEN).await;
    // Names sort opposite to time, so the server's order is not the answer.
    for i in 0..1300u32 {
        let kind = if i % 2 == 0 { "Normal" } else { "Warning" };
        let at = chrono::DateTime::from_timestamp(1_767_225_600 + i64::from(i) * 60, 0)
            .expect("time")
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        server.put(
            "v1",
            "events",
            json!({"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": format!("e{:04}", 9999 - i), "namespace": "default", "uid": format!("uid-{i}")},
            "type": kind, "reason": "Tick", "message": "tick", "involvedObject": {"kind": "Pod", "name": "p"},
            "firstTimestamp": at, "lastTimestamp": at}),
        );
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = imported(&app, &admin, &server).await;
    let page = app
        .get(&format!("/clusters/{id}/events?type=Warning&page=3&limit=100"), &admin)
        .await
        .data()
        .clone();
    assert_eq!(page["total"], 650);
    let ids: Vec<&str> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    // Warnings are the odd i; newest first, the 201st newest is i = 1299 - 2*200.
    assert_eq!(ids.len(), 100);
    assert_eq!((ids[0], ids[99]), ("uid-899", "uid-701"));
}

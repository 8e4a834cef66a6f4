//! Expanding a cluster Taichu imported: it needs one of its control planes
//! registered as a machine, and checks that machine is one before asking it
//! for a join token.

use serde_json::{Value, json};
use taichu_tests::kubehost::KubeFleet;
use taichu_tests::spawn_app;

use crate::create::{SERVER_VERSION, machines, words};

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_cluster_expands_from_its_registered_control_plane_only() {
    let Some(fleet) = KubeFleet::start(3, SERVER_VERSION).await else {
        return;
    };
    // Someone else made this cluster: host 1 is its control plane.
    fleet.hosts[0].pretend_control_plane("cp-1");
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (_, other) = app.user("other").await;
    let roles = [
        ("cp-1", "control-plane"),
        ("new-1", "worker"),
        ("stranger", "control-plane"),
    ];
    let ids = machines(&app, &owner, &fleet, &roles).await;
    let imported = app
        .import_cluster(&owner, "brownfield", &fleet.server.kubeconfig("kube-fleet-token"))
        .await;
    let cluster = imported["cluster_id"].as_str().expect("cluster").to_owned();
    let expand = format!("/clusters/{cluster}/expansion");
    let name_cp = format!("/clusters/{cluster}/control-plane-machine");
    let body = json!({"machine_ids": [ids[1]]});

    let refused = app.post(&expand, &owner, body.clone()).await.error(409);
    assert!(refused.contains("control-plane-machine"), "{refused}");
    let wrong_role = app
        .put(&name_cp, &owner, json!({"machine_id": ids[1]}))
        .await
        .error(400);
    assert!(
        wrong_role.starts_with("machine_id") && wrong_role.contains("worker"),
        "{wrong_role}"
    );
    app.put(&name_cp, &other, json!({"machine_id": ids[0]}))
        .await
        .error(403);

    // A control-plane machine that is not one of this cluster's nodes: refused before any token is made.
    app.put(&name_cp, &owner, json!({"machine_id": ids[2]})).await.data();
    let started = app.post(&expand, &owner, body.clone()).await.data().clone();
    let run = app.wait_finished(&owner, started["id"].as_str().expect("run")).await;
    assert_eq!(run["status"], "failed", "{run}");
    let error = run["error"].as_str().expect("error");
    assert!(
        error.contains("stranger") && error.contains("not a control-plane node"),
        "{error}"
    );
    assert!(
        fleet.hosts[2].calls_of("kubeadm").is_empty(),
        "no token asked of the stranger"
    );
    assert_eq!(fleet.hosts[1].joined(), None);

    let view = app
        .put(&name_cp, &owner, json!({"machine_id": ids[0]}))
        .await
        .data()
        .clone();
    assert_eq!(view["control_plane_machine_id"], ids[0].as_str(), "{view}");
    let stranger = app.get(&format!("/machines/{}", ids[2]), &owner).await.data().clone();
    assert_eq!(
        stranger["cluster_id"],
        Value::Null,
        "the replaced machine is free again: {stranger}"
    );
    let started = app.post(&expand, &owner, body).await.data().clone();
    let run = app.wait_finished(&owner, started["id"].as_str().expect("run")).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(
        fleet.hosts[0].calls_of("kubeadm"),
        vec![words(&["kubeadm", "token", "create", "--print-join-command"])],
        "the control plane only made a token"
    );
    assert_eq!(fleet.hosts[1].joined().as_deref(), Some("new-1"));
    let history = app.get(&format!("{expand}/history"), &owner).await.data().clone();
    let entry = &history["expansions"][0];
    assert_eq!(entry["from_nodes"], 1, "{history}");
    assert_eq!(entry["to_nodes"], 2, "{history}");
    let new = app.get(&format!("/machines/{}", ids[1]), &owner).await.data().clone();
    assert_eq!(new["cluster_id"], cluster.as_str(), "{new}");
}

//! Rows written straight into a test server's database, as an attacker with
//! database access (or a row older than a policy) would have them: the
//! policies must hold for stored data too, not only at the API's door.

use taichu_storage::Database;
use taichu_storage::repositories::clusters::{self, NewCluster};
use taichu_storage::repositories::machines;
use taichu_storage::secrets::{SecretBox, Slot};

use crate::TestApp;
use crate::app::SECRET_KEY;

/// The test server's database.
pub async fn database(app: &TestApp) -> Database {
    taichu_storage::connect(&app.database_url()).await.expect("database")
}

/// The test servers' master key.
pub fn secrets() -> SecretBox {
    SecretBox::from_hex(SECRET_KEY).expect("test master key")
}

/// Stores a cluster whose sealed kubeconfig is `yaml`, marked healthy so the
/// health checker visits it too; returns its id.
pub async fn cluster(app: &TestApp, name: &str, yaml: &str) -> String {
    let db = database(app).await;
    let id = taichu_storage::new_id();
    let new = NewCluster {
        id: id.clone(),
        name: name.to_owned(),
        kubeconfig_enc: Some(secrets().seal_str(Slot::ClusterKubeconfig, &id, yaml)),
        api_server: Some("planted".to_owned()),
        ..Default::default()
    };
    clusters::create(&db, new).await.expect("planted cluster");
    clusters::record_health(&db, &id, true, "planted", 1)
        .await
        .expect("planted health");
    id
}

/// Puts machine `machine_id` in use by a new cluster, as cluster creation
/// will; returns the cluster's id.
pub async fn in_use(app: &TestApp, token: &str, machine_id: &str) -> String {
    let cluster = app
        .post("/clusters", token, serde_json::json!({"name": "user-of-machines"}))
        .await
        .data()["id"]
        .as_str()
        .expect("cluster")
        .to_owned();
    let db = database(app).await;
    let assigned = machines::assign_to_cluster(&db, &[machine_id.to_owned()], &cluster)
        .await
        .expect("assign");
    assert_eq!(assigned, 1, "the machine was free");
    cluster
}

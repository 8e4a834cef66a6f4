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

/// Records a backup of `cluster_id` by `created_by_id` that has ended with
/// `status` (no run, no objects); returns its id.
pub async fn backup(app: &TestApp, cluster_id: &str, created_by_id: &str, status: &str) -> String {
    use taichu_storage::repositories::backups::{self, BackupType, NewBackup};
    let db = database(app).await;
    let id = taichu_storage::new_id();
    let new = NewBackup {
        id: id.clone(),
        cluster_id: cluster_id.to_owned(),
        cluster_name: "planted".to_owned(),
        name: "planted".to_owned(),
        backup_type: BackupType::Etcd,
        storage_location: "file:///nowhere/".to_owned(),
        retention_days: 1,
        settings: None,
        ssh_password_enc: None,
        data_key_enc: None,
        filters: None,
        schedule_id: None,
        created_by: None,
        created_by_id: Some(created_by_id.to_owned()),
    };
    backups::create(&db, new).await.expect("planted backup");
    if status == "failed" {
        backups::fail(&db, &id, "planted").await.expect("planted failure");
    }
    id
}

/// Records a restore of `backup_id` into `cluster_id` (no run); returns its id.
pub async fn restore(app: &TestApp, backup_id: &str, cluster_id: &str) -> String {
    use taichu_storage::repositories::restores::{self, NewRestore};
    let db = database(app).await;
    let id = taichu_storage::new_id();
    let new = NewRestore {
        id: id.clone(),
        backup_id: backup_id.to_owned(),
        cluster_id: cluster_id.to_owned(),
        name: "planted".to_owned(),
        options: "{}".to_owned(),
        created_by: None,
        created_by_id: None,
    };
    restores::create(&db, new).await.expect("planted restore");
    id
}

/// Records a disabled hourly resources schedule of `cluster_id`; returns its id.
pub async fn schedule(app: &TestApp, cluster_id: &str) -> String {
    use taichu_storage::repositories::backup_schedules;
    let db = database(app).await;
    let mut new = backup_schedules::blank(cluster_id, None);
    new.name = "planted".to_owned();
    new.cron_expr = "0 * * * *".to_owned();
    new.backup_type = "resources".to_owned();
    new.enabled = false;
    backup_schedules::create(&db, new).await.expect("planted schedule").id
}

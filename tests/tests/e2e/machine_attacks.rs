//! What a self-registered account could make our hosts do through the
//! machine inventory: send a stored password to a host it controls, connect
//! to places the network policy denies, or stall the API with a key file.
//! Each attack is made against the real program and real sshd hosts.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taichu_tests::sshd::{SshHost, TEST_PASSWORD};
use taichu_tests::{keys, machine_body, spawn_app, spawn_app_with};

fn machine(name: &str, host: &SshHost, password: &str) -> Value {
    machine_body(name, host, json!({"password": password}))
}

#[tokio::test]
async fn a_stored_password_never_goes_to_a_new_destination() {
    let (Some(victim), Some(attacker)) = (SshHost::start(), SshHost::start()) else {
        return;
    };
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (_, mallory) = app.user("mallory").await;
    let created = app
        .post("/machines", &owner, machine("prod-1", &victim, TEST_PASSWORD))
        .await;
    let id = created.data()["id"].as_str().expect("id").to_owned();
    let run = created.data()["check_workflow_id"].as_str().expect("run").to_owned();
    assert_eq!(app.wait_finished(&owner, &run).await["status"], "completed");
    assert!(victim.log().contains("Accepted password for"), "the check logged in");

    let path = format!("/machines/{id}");
    let redirect = json!({"ip": attacker.ip, "port": attacker.port});
    // Another account may neither move it nor check it nor delete it.
    app.put(&path, &mallory, redirect.clone()).await.error(403);
    app.put(&path, &mallory, json!({"reset_host_key": true}))
        .await
        .error(403);
    app.post(&format!("{path}/check"), &mallory, json!({})).await.error(403);
    app.put(&format!("{path}/status"), &mallory, json!({"status": "maintenance"}))
        .await
        .error(403);
    app.delete(&path, &mallory).await.error(403);
    // Even the owner cannot move it without giving the credentials again.
    for body in [
        redirect.clone(),
        json!({"port": attacker.port}),
        json!({"username": "root"}),
        json!({"reset_host_key": true}),
    ] {
        let message = app.put(&path, &owner, body.clone()).await.error(400);
        assert!(message.contains("password"), "{body} -> {message}");
    }
    let unchanged = app.get(&path, &owner).await.data().clone();
    assert_eq!(unchanged["ip"], victim.ip.as_str());
    assert_eq!(unchanged["port"], victim.port);
    assert!(
        !attacker.log().contains("password for"),
        "no password reached the other host: {}",
        attacker.log()
    );

    // Moved with a fresh password, the check goes there with that one only.
    let moved = json!({"ip": attacker.ip, "port": attacker.port, "password": "a-fresh-password"});
    let view = app.put(&path, &owner, moved).await.data().clone();
    assert!(view["host_key_fingerprint"].is_null(), "a new host is a new key");
    let run = app.post(&format!("{path}/check"), &owner, json!({})).await.data()["id"]
        .as_str()
        .expect("run")
        .to_owned();
    assert_eq!(app.wait_finished(&owner, &run).await["status"], "failed");
    let seen = attacker.log();
    assert!(seen.contains("Failed password for"), "{seen}");
    assert!(
        !seen.contains("Accepted password for"),
        "the stored password (which that host accepts) was never sent: {seen}"
    );
}

#[tokio::test]
async fn outbound_ssh_obeys_the_network_policy() {
    let Some(host) = SshHost::start() else { return };
    // Loopback is allowed by default (tests and single-host installs use it);
    // an operator denies it like this.
    let app = spawn_app_with(&[("TAICHU_DENY_NETWORKS", "default,127.0.0.0/8")]).await;
    let admin = app.admin_token().await;
    let created = app
        .post("/machines", &admin, machine("denied", &host, TEST_PASSWORD))
        .await;
    let run = created.data()["check_workflow_id"].as_str().expect("run").to_owned();
    let run = app.wait_finished(&admin, &run).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(run["attempts"], 1, "a denied destination is not retried");
    let error = run["error"].as_str().expect("error");
    assert!(
        error.contains("denied by the network policy (denied range 127.0.0.0/8)"),
        "{error}"
    );
    // (The harness's own readiness probe shows as a connection closed before
    // key exchange; a client of ours would have reached key exchange.)
    assert!(
        !host.log().contains("[preauth]") && !host.log().contains("password for"),
        "no SSH connection was made: {}",
        host.log()
    );

    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let metadata = json!({"name": "metadata", "ip": "169.254.169.254", "port": 22, "username": "root", "password": "pw", "role": "worker"});
    let run = app.post("/machines", &admin, metadata).await.data()["check_workflow_id"]
        .as_str()
        .expect("run")
        .to_owned();
    let run = app.wait_finished(&admin, &run).await;
    assert!(
        run["error"]
            .as_str()
            .is_some_and(|e| e.contains("denied range 169.254.0.0/16")),
        "{run}"
    );
}

#[tokio::test]
async fn key_files_cannot_choose_their_own_cost() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = |name: &str, key: &str| {
        json!({"name": name, "ip": "127.0.0.1", "port": 22, "username": "root", "role": "worker",
               "private_key": key, "passphrase": "pass phrase"})
    };
    let real = keys::encrypted("pass phrase", 16);
    let hostile = keys::with_rounds(&real, u32::MAX);
    let began = Instant::now();
    let message = app.post("/machines", &admin, body("greedy", &hostile)).await.error(400);
    assert!(message.contains("4294967295 bcrypt rounds"), "{message}");
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "refused from the header alone"
    );
    let costly = keys::with_rounds(&real, 2000);
    assert!(
        app.post("/machines", &admin, body("costly", &costly))
            .await
            .error(400)
            .contains("at most 1024")
    );
    let ppk = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\nComment: k\nPublic-Lines: 1\nAAAA\n";
    assert!(
        app.post("/machines", &admin, body("putty", ppk))
            .await
            .error(400)
            .contains("PuTTY")
    );

    // Twenty at once: the API keeps answering throughout.
    let client = app.client.clone();
    let url = app.url("/machines");
    let mut attacks = Vec::new();
    for i in 0..20 {
        let request = client
            .post(&url)
            .bearer_auth(&admin)
            .json(&body(&format!("greedy-{i}"), &hostile));
        attacks.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status().as_u16())
        }));
    }
    let health = format!("{}/healthz", app.base);
    for _ in 0..10 {
        let began = Instant::now();
        let status = client.get(&health).send().await.expect("healthz").status();
        assert_eq!(status, 200);
        assert!(
            began.elapsed() < Duration::from_secs(1),
            "healthz took {:?}",
            began.elapsed()
        );
    }
    for attack in attacks {
        assert_eq!(attack.await.expect("join").expect("sent"), 400);
    }
    assert_eq!(
        app.get("/machines", &admin).await.data()["total"],
        0,
        "nothing half-written"
    );
    // A sane encrypted key still works.
    app.post("/machines", &admin, body("fine", &real)).await.data();
}

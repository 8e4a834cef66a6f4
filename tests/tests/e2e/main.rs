//! The end-to-end suite, one test binary: the real `taichu` program (and the
//! adapters it uses) against real servers. One module per area.

/// Bounds on what any client can make the API do.
mod abuse;
/// The test Kubernetes API server itself, through kube-rs.
mod apiserver;
/// The audit trail.
mod audit;
/// Login, tokens, refresh, logout.
mod auth;
/// Every operation × every kind of caller.
mod authz;
/// etcd backups and restores, local and S3.
mod backups;
/// Processes killed at random under a mixed load.
mod chaos;
/// The generated Python client driving real work.
mod client;
/// The cluster registry.
mod clusters;
/// Clusters created with kubeadm on registered machines.
mod create;
/// Creating on hosts that differ: control planes, apt, what a host lacks, hostile values.
mod create_hosts;
/// The deployment files, checked against real parts.
mod deploy;
/// The workflow engine with workflows defined in the tests.
mod engine;
/// The envelope, health, request ids, shutdown.
mod envelope;
/// Expanding imported clusters.
mod expansion;
/// Dependencies restarted or wiped under load: Redis, PostgreSQL.
mod faults;
/// Remote peers that fail mid-transfer: the S3 server, SSH hosts.
mod faults_io;
/// The real test peers: etcd clusters on SSH hosts, an S3 server.
mod harness;
/// Importing clusters.
mod imports;
/// Kubeconfigs an attacker would submit or plant.
mod kubeconfigs;
/// Totals and searches of the big lists, against a full count and scan.
mod lists;
/// Live views.
mod live;
/// Attacks through the machine inventory.
mod machine_attacks;
/// The machine inventory against real sshd hosts.
mod machines;
/// The committed spec against the code.
mod openapi;
/// Kubernetes resource backups and restores.
mod resources;
/// Restores that must not hurt a cluster.
mod restores;
/// Backup schedules and retention.
mod schedules;
/// Credentials readable nowhere after real work: answers, logs, database, bucket.
mod secrets;
/// Sessions and roles.
mod sessions;
/// The SSH adapter against real sshd hosts.
mod ssh;
/// Start-up and shut-down safety.
mod startup;
/// Swagger UI in a real browser.
mod swagger;
/// User management.
mod users;
/// Workflow runs through the API, and worker processes killed mid-run.
mod workflows;

//! Reaching etcd hosts over SSH. A host is reached either as one of the
//! stored machines named in the settings (with that machine's credentials)
//! or, when it is a host of the settings' own endpoints, with the SSH user
//! and password given with those settings. A credential never goes to a
//! host it was not given for; host keys are pinned per host on first contact.

use std::collections::BTreeMap;

use taichu_storage::entities::backups::Model as Backup;
use taichu_storage::entities::machines::Model as Machine;
use taichu_storage::repositories::etcd_settings::{self, EtcdSettings};
use taichu_storage::repositories::machines;
use taichu_storage::secrets::Slot;

use super::validate;
use crate::env::WorkflowEnv;
use crate::error::StepError;
use crate::ssh::{SshAuth, SshSession, SshTarget, connect_machine, target::CONNECT_TIMEOUT};

/// Where the sealed SSH password is.
#[derive(Debug, Clone)]
struct SealedPassword {
    slot: Slot,
    row_id: String,
    stored: String,
}

/// A cluster's etcd settings and how to reach its hosts.
#[derive(Debug, Clone)]
pub struct EtcdAccess {
    pub cluster_id: String,
    pub settings: EtcdSettings,
    password: Option<SealedPassword>,
    host_keys: BTreeMap<String, String>,
    machines: Vec<Machine>,
}

fn unreadable(what: &str) -> impl Fn(serde_json::Error) -> StepError + '_ {
    move |e| StepError::permanent(format!("{what} are unreadable: {e}"))
}

impl EtcdAccess {
    /// The settings a backup was started with (its own copy, and its own sealed password).
    pub async fn for_backup(env: &WorkflowEnv, backup: &Backup) -> Result<Self, StepError> {
        let cluster_id = backup
            .cluster_id
            .clone()
            .ok_or_else(|| StepError::permanent("the backup's cluster no longer exists"))?;
        let settings: EtcdSettings = serde_json::from_str(
            backup
                .settings
                .as_deref()
                .ok_or_else(|| StepError::permanent("the backup has no etcd settings"))?,
        )
        .map_err(unreadable("the backup's etcd settings"))?;
        let stored = etcd_settings::find(&env.db, &cluster_id).await?;
        let password = backup.ssh_password_enc.clone().map(|stored| SealedPassword {
            slot: Slot::BackupSshPassword,
            row_id: backup.id.clone(),
            stored,
        });
        Self::assemble(env, cluster_id, settings, password, stored.map(|s| s.host_keys)).await
    }

    /// The cluster's stored settings.
    pub async fn for_cluster(env: &WorkflowEnv, cluster_id: &str) -> Result<Self, StepError> {
        let stored = etcd_settings::find(&env.db, cluster_id).await?.ok_or_else(|| {
            StepError::permanent(format!(
                "etcd settings: none stored for cluster {cluster_id}; PUT /api/v1/clusters/{cluster_id}/etcd first"
            ))
        })?;
        let password = stored.ssh_password_enc.clone().map(|sealed| SealedPassword {
            slot: Slot::ClusterEtcdSshPassword,
            row_id: cluster_id.to_owned(),
            stored: sealed,
        });
        Self::assemble(
            env,
            cluster_id.to_owned(),
            stored.settings,
            password,
            Some(stored.host_keys),
        )
        .await
    }

    async fn assemble(
        env: &WorkflowEnv,
        cluster_id: String,
        settings: EtcdSettings,
        password: Option<SealedPassword>,
        host_keys: Option<BTreeMap<String, String>>,
    ) -> Result<Self, StepError> {
        validate::settings(&settings).map_err(|e| StepError::permanent(format!("etcd settings: {e}")))?;
        let mut found = Vec::new();
        for id in &settings.machine_ids {
            let machine = machines::find(&env.db, id)
                .await?
                .ok_or_else(|| StepError::permanent(format!("etcd settings: machine {id} no longer exists")))?;
            found.push(machine);
        }
        Ok(Self {
            cluster_id,
            settings,
            password,
            host_keys: host_keys.unwrap_or_default(),
            machines: found,
        })
    }

    /// The hosts of the endpoints, in endpoint order.
    pub fn endpoint_hosts(&self) -> Vec<String> {
        etcd_settings::endpoint_hosts(&self.settings)
    }

    /// Logs in to `host` with the credentials given for it.
    pub async fn connect(&self, env: &WorkflowEnv, host: &str) -> Result<SshSession, StepError> {
        if let Some(machine) = self.machines.iter().find(|m| m.ip == host) {
            let session = connect_machine(machine, env).await?;
            if machine.host_key_fingerprint.is_none() {
                machines::pin_host_key(&env.db, &machine.id, session.fingerprint()).await?;
            }
            return Ok(session);
        }
        let (Some(username), Some(sealed)) = (&self.settings.ssh_username, &self.password) else {
            return Err(StepError::permanent(format!(
                "no way to log in to {host}: give ssh_username and ssh_password, or a machine at {host} in machine_ids"
            )));
        };
        if !self.endpoint_hosts().iter().any(|h| h == host) {
            return Err(StepError::permanent(format!(
                "{host} is not a host of etcd_endpoints; the SSH password is only sent to those hosts"
            )));
        }
        let password = env
            .secrets
            .open_str(sealed.slot, &sealed.row_id, &sealed.stored)
            .map_err(|e| StepError::permanent(format!("the stored SSH password does not open: {e}")))?;
        let target = SshTarget {
            host: host.to_owned(),
            port: self.settings.ssh_port,
            username: username.clone(),
            auth: SshAuth::Password(password),
            host_key: self.host_keys.get(host).cloned(),
            connect_timeout: CONNECT_TIMEOUT,
        };
        let session = SshSession::connect(&target, &env.network).await?;
        if target.host_key.is_none() {
            let pinned = etcd_settings::pin_host_key(&env.db, &self.cluster_id, host, session.fingerprint()).await?;
            if pinned != session.fingerprint() {
                // Another run pinned a different key meanwhile: do not trust this one.
                return Err(StepError::permanent(format!(
                    "host key of {host} changed: pinned {pinned}, server presented {}",
                    session.fingerprint()
                )));
            }
        }
        Ok(session)
    }
}

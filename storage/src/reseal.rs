//! Seals `v1:` secrets, which were bound to no place, again as `v2:` values
//! bound to their table, column and row. Runs at every start; a no-op once
//! nothing old is left, and harmless when two processes run it at once.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

use crate::Result;
use crate::entities::{clusters, machines};
use crate::secrets::{SecretBox, Slot};

fn legacy<C: ColumnTrait>(col: C) -> sea_orm::sea_query::SimpleExpr {
    col.starts_with("v1:")
}

/// Reseals one optional value; `None` when it needs no change.
fn reseal(secrets: &SecretBox, slot: Slot, row_id: &str, value: &Option<String>) -> Result<Option<Option<String>>> {
    match value {
        Some(stored) if SecretBox::is_legacy(stored) => {
            let plain = secrets.open_legacy(stored)?;
            Ok(Some(Some(secrets.seal(slot, row_id, &plain))))
        }
        _ => Ok(None),
    }
}

/// Reseals every old value; returns how many rows changed.
pub async fn reseal_legacy(db: &impl ConnectionTrait, secrets: &SecretBox) -> Result<u64> {
    let mut changed = 0;
    let old_machines = machines::Entity::find()
        .filter(
            Condition::any()
                .add(legacy(machines::Column::PasswordEnc))
                .add(legacy(machines::Column::PrivateKeyEnc))
                .add(legacy(machines::Column::PassphraseEnc)),
        )
        .all(db)
        .await?;
    for machine in old_machines {
        let id = machine.id.clone();
        let password = reseal(secrets, Slot::MachinePassword, &id, &machine.password_enc)?;
        let key = reseal(secrets, Slot::MachinePrivateKey, &id, &machine.private_key_enc)?;
        let passphrase = reseal(secrets, Slot::MachinePassphrase, &id, &machine.passphrase_enc)?;
        let mut row = machine.into_active_model();
        if let Some(v) = password {
            row.password_enc = Set(v);
        }
        if let Some(v) = key {
            row.private_key_enc = Set(v);
        }
        if let Some(v) = passphrase {
            row.passphrase_enc = Set(v);
        }
        machines::Entity::update(row).exec(db).await?;
        changed += 1;
    }
    let old_clusters = clusters::Entity::find()
        .filter(legacy(clusters::Column::KubeconfigEnc))
        .all(db)
        .await?;
    for cluster in old_clusters {
        let id = cluster.id.clone();
        let kubeconfig = reseal(secrets, Slot::ClusterKubeconfig, &id, &cluster.kubeconfig_enc)?;
        let mut row = cluster.into_active_model();
        if let Some(v) = kubeconfig {
            row.kubeconfig_enc = Set(v);
        }
        clusters::Entity::update(row).exec(db).await?;
        changed += 1;
    }
    if changed > 0 {
        tracing::info!(rows = changed, "sealed old secrets again, bound to their rows");
    }
    Ok(changed)
}

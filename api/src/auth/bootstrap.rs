//! First-start set-up: the signing secret and the default admin account.

use std::path::Path;

use taichu_storage::repositories::users::{self, NewUser};
use taichu_storage::{Database, StorageError, keyfile};

use super::password;
use crate::config::Secret;

/// The JWT secret from config, else the one generated into the data dir.
pub fn jwt_secret(configured: Option<&Secret>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    match configured {
        Some(secret) => Ok(secret.expose().as_bytes().to_vec()),
        None => Ok(keyfile::load_or_create(&data_dir.join("jwt_secret"), 48)?),
    }
}

/// Creates `admin` when the database has no admin yet.
pub async fn ensure_admin(db: &Database, configured: Option<&Secret>) -> anyhow::Result<()> {
    if users::count_admins(db).await? > 0 {
        return Ok(());
    }
    let password = match configured {
        Some(secret) => secret.expose().to_owned(),
        None => {
            tracing::warn!("TAICHU_ADMIN_PASSWORD is not set; created admin with password 'admin' — change it now");
            "admin".to_owned()
        }
    };
    let password_hash = password::hash(password)
        .await
        .map_err(|_| anyhow::anyhow!("hashing the admin password failed"))?;
    let new = NewUser {
        username: "admin".to_owned(),
        email: None,
        password_hash,
        role: users::ROLE_ADMIN,
    };
    match users::create(db, new).await {
        Ok(user) => tracing::info!(user_id = %user.id, "created the default admin account"),
        // Another replica created it first, or a non-admin holds the name.
        Err(StorageError::Conflict(_)) => {
            tracing::warn!("username 'admin' exists without the admin role; no admin created")
        }
        Err(err) => return Err(err.into()),
    }
    Ok(())
}

//! First-start set-up: the signing secret and the default admin account.

use std::path::Path;

use taichu_storage::repositories::sessions;
use taichu_storage::repositories::users::{self, NewUser, Role, UserChanges};
use taichu_storage::{Database, StorageError, keyfile};

use super::password;
use crate::config::Secret;

/// The shortest HS256 secret accepted, from config or from the key file.
pub const MIN_JWT_SECRET: usize = 32;
/// The password of the default admin when none is configured.
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin";

/// The JWT secret from config, else the one generated into the data dir.
pub fn jwt_secret(configured: Option<&Secret>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let secret = match configured {
        Some(secret) => secret.expose().as_bytes().to_vec(),
        None => keyfile::load_or_create(&data_dir.join("jwt_secret"), 48)?,
    };
    anyhow::ensure!(
        secret.len() >= MIN_JWT_SECRET,
        "the JWT secret must be at least {MIN_JWT_SECRET} bytes (TAICHU_JWT_SECRET or {}/jwt_secret)",
        data_dir.display()
    );
    Ok(secret)
}

async fn hash(password: &str) -> anyhow::Result<String> {
    password::hash(password.to_owned())
        .await
        .map_err(|_| anyhow::anyhow!("hashing the admin password failed"))
}

/// Creates `admin` when the database has no admin yet, and applies
/// `TAICHU_ADMIN_PASSWORD` to it while it still has the default password.
/// Returns whether the default password is still in effect.
pub async fn ensure_admin(db: &Database, configured: Option<&Secret>) -> anyhow::Result<bool> {
    if users::count_admins(db).await? == 0 {
        let password = configured.map_or(DEFAULT_ADMIN_PASSWORD, Secret::expose);
        let new = NewUser {
            username: "admin".to_owned(),
            email: None,
            password_hash: hash(password).await?,
            role: Role::Admin,
        };
        match users::create(db, new).await {
            Ok(user) => tracing::info!(user_id = %user.id, "created the default admin account"),
            // Another replica created it first, or a non-admin holds the name.
            Err(StorageError::Conflict(_)) => {
                tracing::warn!("username 'admin' exists without the admin role; no admin created")
            }
            Err(err) => return Err(err.into()),
        }
        return Ok(configured.is_none());
    }
    let Some(admin) = users::find_by_username(db, "admin")
        .await?
        .filter(|u| u.role() == Role::Admin)
    else {
        return Ok(false);
    };
    let is_default = password::verify(DEFAULT_ADMIN_PASSWORD.to_owned(), Some(admin.password_hash.clone()))
        .await
        .map_err(|_| anyhow::anyhow!("checking the admin password failed"))?;
    match configured {
        Some(secret) if is_default => {
            let changes = UserChanges {
                password_hash: Some(hash(secret.expose()).await?),
                ..Default::default()
            };
            let id = admin.id.clone();
            users::update(db, admin, changes).await?;
            sessions::revoke_user(db, &id).await?;
            tracing::info!("admin still had the default password; TAICHU_ADMIN_PASSWORD applied");
            Ok(false)
        }
        _ => Ok(is_default),
    }
}

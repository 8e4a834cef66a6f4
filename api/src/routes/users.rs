//! User management (admin; a user may read and edit their own account).

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Enum, Object, OpenApi};
use taichu_storage::entities::users::Model;
use taichu_storage::repositories::sessions;
use taichu_storage::repositories::users::{self, Role as StoredRole, UserChanges};
use taichu_storage::{PageRequest, db};

use super::ApiTags;
use crate::auth::{AdminAuth, BearerAuth, password};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

/// A role: `viewer` reads; `user` works on the shared inventory; `admin`
/// also manages accounts and reads the whole audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    User,
    Viewer,
}

impl From<Role> for StoredRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => StoredRole::Admin,
            Role::User => StoredRole::User,
            Role::Viewer => StoredRole::Viewer,
        }
    }
}

/// An account, as the API shows it (never the password hash).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Model> for UserView {
    fn from(m: Model) -> Self {
        Self {
            id: m.id,
            username: m.username,
            email: m.email,
            role: m.role,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserList {
    pub users: Vec<UserView>,
    pub total: u64,
}

/// Fields to change; absent fields stay as they are. `role` (a new role)
/// only an admin may set.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateUserRequest {
    /// New email; an empty string clears it.
    pub email: Option<String>,
    // Undocumented here: a described enum field becomes an `allOf` that client generators reject.
    pub role: Option<Role>,
}

#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ChangePasswordRequest {
    /// Required when changing your own password.
    pub old_password: Option<String>,
    /// At least 8 characters.
    pub new_password: String,
}

#[derive(Debug)]
pub struct UsersApi;

async fn load(state: &AppState, id: &str) -> Result<Model, ApiError> {
    users::find_by_id(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// List users (admin).
    #[oai(path = "/users", method = "get", operation_id = "list_users")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: AdminAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<UserList> {
        let page = PageRequest::new(page.0, limit.0).map_err(ApiError::bad_request)?;
        let found = users::list(&state.db, page).await?;
        Ok(ok(UserList {
            users: found.items.into_iter().map(Into::into).collect(),
            total: found.total,
        }))
    }

    /// Get a user (admin, or the user themself).
    #[oai(path = "/users/:id", method = "get", operation_id = "get_user")]
    async fn get(&self, state: Data<&AppState>, auth: BearerAuth, id: Path<String>) -> ApiResult<UserView> {
        auth.0.require_admin_or_self(&id)?;
        Ok(ok(load(&state, &id).await?.into()))
    }

    /// Update a user: an admin may change email and role; a user only their own email.
    #[oai(path = "/users/:id", method = "put", operation_id = "update_user")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: JsonBody<UpdateUserRequest>,
    ) -> ApiResult<UserView> {
        auth.0.require_admin_or_self(&id)?;
        if body.0.role.is_some() && !auth.0.is_admin() {
            return Err(ApiError::forbidden("role: only an admin may change roles"));
        }
        let UpdateUserRequest { email, role } = body.0;
        let email = match email {
            Some(e) if e.is_empty() => Some(None),
            Some(e) => {
                validate::email(&e)?;
                Some(Some(e))
            }
            None => None,
        };
        let txn = db::begin_write(&state.db).await?;
        users::lock_admins(&txn).await?;
        let user = users::find_for_update(&txn, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let demoting_admin = role.is_some_and(|r| r != Role::Admin) && user.role() == StoredRole::Admin;
        if demoting_admin && users::count_admins(&txn).await? <= 1 {
            return Err(ApiError::conflict("role: cannot demote the last admin"));
        }
        let changes = UserChanges {
            email,
            role: role.map(StoredRole::from),
            password_hash: None,
        };
        let user = users::update(&txn, user, changes).await?;
        txn.commit().await?;
        Ok(ok(user.into()))
    }

    /// Change a password: your own with the old password, or anyone's as admin.
    /// Every session of that user ends, access tokens included.
    #[oai(path = "/users/:id/password", method = "put", operation_id = "change_password")]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: JsonBody<ChangePasswordRequest>,
    ) -> ApiResult<MessageData> {
        auth.0.require_admin_or_self(&id)?;
        validate::new_password("new_password", &body.new_password)?;
        let user = load(&state, &id).await?;
        if auth.0.id == user.id {
            let old = body
                .0
                .old_password
                .clone()
                .ok_or_else(|| ApiError::bad_request("old_password: required to change your own password"))?;
            if !password::verify(old, Some(user.password_hash.clone())).await? {
                return Err(ApiError::bad_request("old_password: does not match"));
            }
        }
        let hash = password::hash(body.0.new_password).await?;
        let txn = db::begin_write(&state.db).await?;
        sessions::revoke_user(&txn, &user.id).await?;
        users::update(
            &txn,
            user,
            UserChanges {
                password_hash: Some(hash),
                ..Default::default()
            },
        )
        .await?;
        txn.commit().await?;
        Ok(ok(MessageData::new("password changed")))
    }

    /// Delete a user (admin). The last admin cannot be deleted.
    #[oai(path = "/users/:id", method = "delete", operation_id = "delete_user")]
    async fn delete(&self, state: Data<&AppState>, _auth: AdminAuth, id: Path<String>) -> ApiResult<MessageData> {
        let txn = db::begin_write(&state.db).await?;
        users::lock_admins(&txn).await?;
        let user = users::find_for_update(&txn, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        if user.role() == StoredRole::Admin && users::count_admins(&txn).await? <= 1 {
            return Err(ApiError::conflict("cannot delete the last admin"));
        }
        users::delete(&txn, &user.id).await?;
        txn.commit().await?;
        Ok(ok(MessageData::new("user deleted")))
    }
}

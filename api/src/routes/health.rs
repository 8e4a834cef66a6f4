//! `/healthz` (the process answers) and `/readyz` (its dependencies answer).

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde_json::json;

use crate::state::AppState;

#[handler]
pub fn healthz() -> Json<serde_json::Value> {
    Json(json!({"code": 0, "message": "success", "data": {"status": "ok"}}))
}

#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    match taichu_storage::db::ping(&state.db).await {
        Ok(()) => {
            let backend = format!("{:?}", state.db.get_database_backend()).to_lowercase();
            let data = json!({"database": "ok", "backend": backend});
            Json(json!({"code": 0, "message": "success", "data": data})).into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            Json(json!({"code": 503, "message": "database unavailable", "data": {"database": "unavailable"}}))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}

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

/// 200 when the database and the queue answer; 503 naming what does not.
#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    let database = taichu_storage::db::ping(&state.db).await;
    let queue = state.engine.queue().ping().await;
    let backend = format!("{:?}", state.db.get_database_backend()).to_lowercase();
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let data = json!({"database": word(database.is_ok()), "queue": word(queue.is_ok()), "backend": backend});
    if let (Ok(()), Ok(())) = (&database, &queue) {
        return Json(json!({"code": 0, "message": "success", "data": data})).into_response();
    }
    let mut failing = Vec::new();
    if let Err(err) = database {
        tracing::warn!(error = %err, "readiness: database unavailable");
        failing.push("database");
    }
    if let Err(err) = queue {
        tracing::warn!(error = %err, "readiness: queue unavailable");
        failing.push("queue");
    }
    let message = format!("{} unavailable", failing.join(" and "));
    Json(json!({"code": 503, "message": message, "data": data}))
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .into_response()
}

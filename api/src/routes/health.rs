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

/// 200 when the database, the queue and the object store answer; 503
/// naming what does not (and, for the object store, why: no bucket, keys refused).
#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    let database = taichu_storage::db::ping(&state.db).await;
    let queue = state.engine.queue().ping().await;
    let objects = state.env.objects.check().await;
    let backend = format!("{:?}", state.db.get_database_backend()).to_lowercase();
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let data = json!({
        "database": word(database.is_ok()),
        "queue": word(queue.is_ok()),
        "object_store": word(objects.is_ok()),
        "object_store_location": state.env.objects.describe(),
        "backend": backend,
    });
    if let (Ok(()), Ok(()), Ok(())) = (&database, &queue, &objects) {
        return Json(json!({"code": 0, "message": "success", "data": data})).into_response();
    }
    let mut failing = Vec::new();
    if let Err(err) = database {
        tracing::warn!(error = %err, "readiness: database unavailable");
        failing.push("database unavailable".to_owned());
    }
    if let Err(err) = queue {
        tracing::warn!(error = %err, "readiness: queue unavailable");
        failing.push("queue unavailable".to_owned());
    }
    if let Err(err) = objects {
        tracing::warn!(error = %err, "readiness: object store unavailable");
        // The store's own words (no bucket, keys refused) tell the operator what to fix.
        failing.push(format!("{} unavailable: {err}", state.env.objects.describe()));
    }
    let message = failing.join("; ");
    Json(json!({"code": 503, "message": message, "data": data}))
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .into_response()
}

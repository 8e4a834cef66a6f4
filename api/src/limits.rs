//! Request size limit.

use poem::http::StatusCode;
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use tokio::io::AsyncReadExt;

/// Largest request body accepted (kubeconfigs and keys fit easily).
pub const BODY_LIMIT: u64 = 8 * 1024 * 1024;

/// Refuses a declared oversized body with 413, and cuts an undeclared
/// (chunked) one at the limit so it fails to parse instead of filling memory.
pub async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let declared = req.header("content-length").and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > BODY_LIMIT => {
            return Err(poem::Error::from_string(
                format!("request body is larger than {BODY_LIMIT} bytes"),
                StatusCode::PAYLOAD_TOO_LARGE,
            ));
        }
        Some(_) => {}
        None => {
            let body = req.take_body();
            req.set_body(Body::from_async_read(body.into_async_read().take(BODY_LIMIT + 1)));
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
}

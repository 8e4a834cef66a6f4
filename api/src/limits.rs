//! Request size limit, the outermost layer: nothing (the audit trail's login
//! inspection included) reads more than [`BODY_LIMIT`] bytes of a body.

use std::time::Duration;

use poem::http::StatusCode;
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use poem_openapi::payload::Json;
use tokio::io::AsyncReadExt;

use crate::envelope::ErrorBody;

/// Largest request body accepted (kubeconfigs and keys fit easily).
pub const BODY_LIMIT: u64 = 8 * 1024 * 1024;
/// How long a client may take to send its body.
const BODY_DEADLINE: Duration = Duration::from_secs(60);

fn refuse(status: StatusCode, message: String) -> Response {
    Json(ErrorBody::new(status.as_u16(), message))
        .with_status(status)
        .into_response()
}

/// Refuses a declared oversized body with 413 from its headers; reads an
/// undeclared (chunked) one up to the limit and refuses it with 413 the
/// moment it passes, so memory never holds more than the limit.
pub async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {BODY_LIMIT} bytes"),
        )
    };
    let declared = req.header("content-length").and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > BODY_LIMIT => return Ok(too_large()),
        Some(_) => {}
        None if req.header("transfer-encoding").is_some() => {
            let mut reader = req.take_body().into_async_read().take(BODY_LIMIT + 1);
            let mut bytes = Vec::new();
            match tokio::time::timeout(BODY_DEADLINE, reader.read_to_end(&mut bytes)).await {
                Ok(Ok(_)) if bytes.len() as u64 > BODY_LIMIT => return Ok(too_large()),
                Ok(Ok(_)) => req.set_body(Body::from(bytes)),
                Ok(Err(err)) => {
                    return Ok(refuse(
                        StatusCode::BAD_REQUEST,
                        format!("reading the request body failed: {err}"),
                    ));
                }
                Err(_) => {
                    return Ok(refuse(
                        StatusCode::REQUEST_TIMEOUT,
                        format!("the request body did not arrive within {} s", BODY_DEADLINE.as_secs()),
                    ));
                }
            }
        }
        None => {}
    }
    next.call(req).await.map(IntoResponse::into_response)
}

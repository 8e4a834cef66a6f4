//! The API's one error type and its mapping to the envelope.
//!
//! Policy: client errors (400, 401, 403, 404, 409, 429) carry a message meant for
//! the caller; anything unexpected is logged with its cause and answered with
//! a generic 500, so database or I/O text never reaches a response. Errors
//! raised outside handlers (routing, request parsing, the bearer scheme) are
//! wrapped by [`envelope_errors`], so every error on the wire has one shape.

use std::fmt::Display;

use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use taichu_storage::StorageError;

use crate::envelope::{Envelope, ErrorBody};

/// A handler's result: the success envelope or a documented error.
pub type ApiResult<T> = Result<Json<Envelope<T>>, ApiError>;

/// Every error status an operation may answer.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "bad_request_from_parse")]
pub enum ApiError {
    /// The request is invalid; the message names the offending field.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The bearer token is missing, malformed, expired or revoked, or the credentials are wrong.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The caller's role does not allow this.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The resource does not exist.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request conflicts with the current state (duplicate name, running operation).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body is larger than the server accepts (8 MiB).
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many attempts; retry after the given number of seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// An unexpected failure; details are in the server log only.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// A managed cluster (or a dependency) did not answer; the message says why.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(Json(ErrorBody::new(400, message)))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Unauthorized(Json(ErrorBody::new(401, message)))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(Json(ErrorBody::new(403, message)))
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(Json(ErrorBody::new(404, format!("{what} not found"))))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(Json(ErrorBody::new(409, message)))
    }

    pub fn too_many(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        Self::TooManyRequests(Json(ErrorBody::new(429, message)), retry_after.as_secs().max(1))
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable(Json(ErrorBody::new(503, message)))
    }

    /// Logs `cause` and answers a generic 500.
    pub fn internal(cause: impl Display) -> Self {
        tracing::error!(error = %cause, "request failed unexpectedly");
        Self::Internal(Json(ErrorBody::new(500, "internal server error")))
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Conflict(what) => Self::conflict(format!("{what} already exists")),
            StorageError::Objects(reason) => Self::unavailable(format!("object store: {reason}")),
            StorageError::Db(_) | StorageError::Secret(_) | StorageError::Corrupt(_) => Self::internal(err),
        }
    }
}

fn bad_request_from_parse(err: poem::Error) -> ApiError {
    ApiError::bad_request(err.to_string())
}

/// Wraps errors that did not come from a handler (unknown route, wrong
/// method, unparsable request, failed bearer check) in the envelope.
pub async fn envelope_errors<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    match next.call(req).await {
        Ok(resp) => Ok(resp.into_response()),
        Err(err) if err.is_from_response() => Ok(err.into_response()),
        Err(err) => {
            let status = err.status();
            if status == poem::http::StatusCode::METHOD_NOT_ALLOWED
                && let Some(allow) = crate::allow::methods_of(&path)
            {
                let body = ErrorBody::new(405, format!("method not allowed; this path takes {allow}"));
                return Ok(Json(body)
                    .with_status(status)
                    .with_header(poem::http::header::ALLOW, allow)
                    .into_response());
            }
            let message = if err.is::<poem_openapi::error::AuthorizationError>() {
                "missing or malformed `Authorization: Bearer <token>` header".to_owned()
            } else if status.is_server_error() {
                tracing::error!(error = %err, "request failed unexpectedly");
                "internal server error".to_owned()
            } else {
                err.to_string()
            };
            let body = ErrorBody::new(status.as_u16(), message);
            Ok(Json(body).with_status(status).into_response())
        }
    }
}

/// Bad input is the caller's to fix; a held lock is a conflict naming the
/// running operation; the rest is ours.
impl From<taichu_workflows::WorkflowError> for ApiError {
    fn from(err: taichu_workflows::WorkflowError) -> Self {
        use taichu_workflows::WorkflowError;
        match err {
            WorkflowError::InvalidInput(message) => Self::bad_request(message),
            WorkflowError::Busy { .. } => Self::conflict(err.to_string()),
            WorkflowError::Storage(storage) => storage.into(),
            other => Self::internal(other),
        }
    }
}

/// A cluster that cannot be used as stored is the caller's to fix (409);
/// one that does not answer is 503.
impl From<taichu_workflows::kube::KubeError> for ApiError {
    fn from(err: taichu_workflows::kube::KubeError) -> Self {
        use taichu_workflows::kube::KubeError;
        match err {
            KubeError::Kubeconfig(_) | KubeError::Egress(_) => {
                Self::conflict(format!("cannot use this cluster: {err}"))
            }
            other => Self::unavailable(format!("cluster unreachable: {other}")),
        }
    }
}

impl From<taichu_storage::DbErr> for ApiError {
    fn from(err: taichu_storage::DbErr) -> Self {
        Self::from(StorageError::from(err))
    }
}

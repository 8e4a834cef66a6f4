//! The `{code, message, data}` envelope every response is wrapped in.

use poem_openapi::Object;
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};

/// A successful response: `code` is 0 and `data` holds the result.
#[derive(Debug, Object)]
pub struct Envelope<T: ParseFromJSON + ToJSON> {
    /// Always 0 on success.
    pub code: i32,
    /// `success`.
    pub message: String,
    pub data: T,
}

/// An error response: `code` equals the HTTP status and `data` is null.
#[derive(Debug, Object)]
#[oai(rename = "ErrorEnvelope")]
pub struct ErrorBody {
    /// The HTTP status (400, 401, 403, 404, 409, 500).
    pub code: u16,
    /// What went wrong; for bad input it names the field.
    pub message: String,
    /// Always null.
    pub data: Option<serde_json::Value>,
}

impl ErrorBody {
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }
}

/// Wraps `data` in a success envelope.
pub fn ok<T: ParseFromJSON + ToJSON>(data: T) -> Json<Envelope<T>> {
    Json(Envelope {
        code: 0,
        message: "success".to_owned(),
        data,
    })
}

/// A plain confirmation, for operations with nothing else to return.
#[derive(Debug, Object)]
pub struct MessageData {
    pub message: String,
}

impl MessageData {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

//! `JsonBody<T>`: a JSON request body whose parse errors name the field.
//!
//! poem-openapi's own `Json<T>` reports a missing field as "expected string,
//! found null" without saying which; users deserve `password: missing field`.
//! The schema in the spec is the same as `Json<T>`'s.

use std::ops::Deref;

use poem::{FromRequest, Request, RequestBody};
use poem_openapi::error::ParseRequestPayloadError;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;

/// A JSON request body parsed with serde.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        poem_openapi::payload::Json::<T>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = Vec::<u8>::from_request(request, body).await?;
        let mut de = serde_json::Deserializer::from_slice(&data);
        let value = serde_path_to_error::deserialize(&mut de)
            .map_err(|err| ParseRequestPayloadError { reason: describe(&err) })?;
        Ok(Self(value))
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned);

/// `field: problem`, without serde's line/column suffix.
fn describe(err: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = err.inner().to_string();
    let inner = inner.split(" at line ").next().unwrap_or(&inner);
    let path = err.path().to_string();
    if path == "." {
        inner.to_owned()
    } else {
        format!("{path}: {inner}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only parsed")]
    struct Login {
        username: String,
        password: String,
    }

    fn parse(text: &str) -> String {
        let mut de = serde_json::Deserializer::from_str(text);
        let err = serde_path_to_error::deserialize::<_, Login>(&mut de).expect_err("must fail");
        describe(&err)
    }

    #[test]
    fn names_the_field() {
        assert_eq!(parse(r#"{"username":"a"}"#), "missing field `password`");
        assert_eq!(
            parse(r#"{"username":"a","password":5}"#),
            "password: invalid type: integer `5`, expected a string"
        );
    }
}

//! Body and query extractors whose rejections speak the contract: unknown or
//! missing fields are `VALIDATION_ERROR` naming the field, oversized bodies
//! `PAYLOAD_TOO_LARGE`, malformed JSON `INVALID_REQUEST`. Every request is
//! bounded (`plat_domain::Bounded`, with `plat_proto::limits`) before a
//! handler sees it; a field over its bound is `VALIDATION_ERROR` naming it.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use plat_domain::{Bounded, Invalid, validate_count, validate_len};
use plat_proto::ErrorCode;
use plat_proto::limits::{ANY_ITEMS, ANY_STRING};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiErr;

/// A JSON request body.
pub struct Json<T>(pub T);

/// The name serde quotes after `prefix` in an error message (`unknown field `x``).
fn backticked(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    rest.find('`').map(|end| rest[..end].to_owned())
}

/// Turn a serde error into the contract's error, naming the field when serde does.
pub fn json_error(e: &serde_json::Error) -> ApiErr {
    let message = e.to_string();
    let quoted = |prefix: &str| backticked(&message, prefix);
    if let Some(field) = quoted("unknown field `") {
        return ApiErr::field(ErrorCode::ValidationError, &field, format!("unknown field {field:?}"));
    }
    if let Some(field) = quoted("missing field `") {
        return ApiErr::field(ErrorCode::ValidationError, &field, format!("missing field {field:?}"));
    }
    match e.classify() {
        serde_json::error::Category::Data => {
            ApiErr::new(ErrorCode::ValidationError, format!("invalid request body: {message}"))
        }
        _ => ApiErr::new(ErrorCode::InvalidRequest, format!("request body is not valid JSON: {message}")),
    }
}

/// The catch-all bound of a body: no string (key or value) longer than
/// `ANY_STRING`, no list or object with more than `ANY_ITEMS` items,
/// anywhere. It holds for a field that was added without its own limit;
/// [`Bounded`] then applies each field's own, smaller one.
fn within_catch_all(value: &Value, field: &str) -> Result<(), Invalid> {
    let field_or_body = if field.is_empty() { "body" } else { field };
    match value {
        Value::String(text) => validate_len(field_or_body, text, ANY_STRING),
        Value::Array(items) => {
            validate_count(field_or_body, items.len(), ANY_ITEMS)?;
            items.iter().try_for_each(|item| within_catch_all(item, field))
        }
        Value::Object(map) => {
            validate_count(field_or_body, map.len(), ANY_ITEMS)?;
            map.iter().try_for_each(|(key, item)| {
                let path = if field.is_empty() { key.clone() } else { format!("{field}.{key}") };
                validate_len(&path, key, ANY_STRING)?;
                within_catch_all(item, &path)
            })
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// A body as `T`: JSON syntax first, then the catch-all bound, the fields,
/// and each field's own bound.
pub fn parse_body<T: DeserializeOwned + Bounded>(bytes: &[u8]) -> Result<T, ApiErr> {
    let bytes = if bytes.is_empty() { b"{}" } else { bytes };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| json_error(&e))?;
    within_catch_all(&value, "")?;
    let body = T::deserialize(value).map_err(|e| json_error(&e))?;
    body.check_bounds()?;
    Ok(body)
}

impl<S: Send + Sync, T: DeserializeOwned + Bounded> FromRequest<S> for Json<T> {
    type Rejection = ApiErr;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiErr::new(ErrorCode::PayloadTooLarge, "request body is larger than the limit (1 MiB)")
            } else {
                ApiErr::new(ErrorCode::InvalidRequest, format!("cannot read request body: {rejection}"))
            }
        })?;
        parse_body(&bytes).map(Json)
    }
}

/// Query parameters, with unknown parameters refused by name.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Bounded> FromRequestParts<S> for Query<T> {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let params: T = serde_urlencoded_like(query)?;
        params.check_bounds()?;
        Ok(Query(params))
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(query: &str) -> Result<T, ApiErr> {
    // Decode into a JSON object of strings, then let typed fields parse
    // numbers and booleans, so errors name the parameter.
    let mut map = serde_json::Map::new();
    for (key, value) in form_urlencoded(query) {
        validate_len(&key, &value, ANY_STRING)?;
        map.insert(key, serde_json::Value::String(value));
    }
    let value = serde_json::Value::Object(map);
    T::deserialize(StringlyValue(value)).map_err(|e| {
        let message = e.to_string();
        match backticked(&message, "unknown field `") {
            Some(field) => {
                ApiErr::field(ErrorCode::ValidationError, &field, format!("unknown query parameter {field:?}"))
            }
            None => ApiErr::new(ErrorCode::ValidationError, format!("invalid query: {message}")),
        }
    })
}

fn form_urlencoded(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON value whose strings also deserialize as numbers and booleans.
struct StringlyValue(serde_json::Value);

impl<'de> serde::Deserializer<'de> for StringlyValue {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            serde_json::Value::Object(map) => {
                use serde::de::IntoDeserializer;
                let iter = map.into_iter().map(|(k, v)| (k, StringlyValue(v)));
                visitor.visit_map(serde::de::value::MapDeserializer::new(iter.map(|(k, v)| (k.into_deserializer(), v))))
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_u64<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match &self.0 {
            serde_json::Value::String(s) => match s.parse::<u64>() {
                Ok(n) => visitor.visit_u64(n),
                Err(_) => Err(serde::de::Error::custom(format!("{s:?} is not a non-negative integer"))),
            },
            _ => self.0.deserialize_u64(visitor),
        }
    }

    fn deserialize_bool<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match &self.0 {
            serde_json::Value::String(s) => match s.as_str() {
                "true" | "1" | "" => visitor.visit_bool(true),
                "false" | "0" => visitor.visit_bool(false),
                _ => Err(serde::de::Error::custom(format!("{s:?} is not true or false"))),
            },
            _ => self.0.deserialize_bool(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> serde::de::IntoDeserializer<'de, serde_json::Error> for StringlyValue {
    type Deserializer = StringlyValue;
    fn into_deserializer(self) -> Self::Deserializer {
        self
    }
}

#[cfg(test)]
mod tests {
    use plat_proto::{CreateTarget, CreateUser, DlqPurge, ErrorCode};
    use serde_json::json;

    use super::parse_body;

    fn refused<T: serde::de::DeserializeOwned + plat_domain::Bounded>(body: serde_json::Value) -> (ErrorCode, String) {
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        match parse_body::<T>(&bytes) {
            Ok(_) => panic!("{body} was accepted"),
            Err(e) => (e.error.code, e.error.field.unwrap_or_default()),
        }
    }

    #[test]
    fn a_field_over_its_bound_is_refused_by_name() {
        let long = "u".repeat(plat_proto::limits::USERNAME + 1);
        let refusal = refused::<CreateUser>(json!({"username": long, "email": "a@b.test"}));
        assert_eq!(refusal, (ErrorCode::ValidationError, "username".to_owned()));
        let ids: Vec<u64> = (0..=plat_proto::limits::DLQ_IDS as u64).collect();
        assert_eq!(refused::<DlqPurge>(json!({"ids": ids})).1, "ids");
        let roles = vec!["member"; plat_proto::limits::ROLES + 1];
        assert_eq!(refused::<CreateUser>(json!({"username": "a", "email": "a@b.test", "roles": roles})).1, "roles");
    }

    #[test]
    fn the_catch_all_bounds_what_has_no_bound_of_its_own() {
        // Target options are free-form: only the catch-all limits their values.
        let huge = "é".repeat(plat_proto::limits::ANY_STRING + 1);
        let body = json!({"name": "t", "kind": "redis", "url": "redis://h", "options": {"key_prefix": huge}});
        assert_eq!(refused::<CreateTarget>(body).1, "options.key_prefix");
        let deep = json!({"name": "t", "kind": "redis", "url": "redis://h", "options": {"x": {"y": [huge]}}});
        assert_eq!(refused::<CreateTarget>(deep).1, "options.x.y");
        // The catch-all comes before the type: an unknown field is bounded too.
        assert_eq!(refused::<CreateUser>(json!({"nope": huge})), (ErrorCode::ValidationError, "nope".to_owned()));
        let ok = parse_body::<CreateUser>(br#"{"username": "alice", "email": "a@b.test"}"#);
        assert!(ok.is_ok());
        assert_eq!(parse_body::<CreateUser>(b"{").err().map(|e| e.error.code), Some(ErrorCode::InvalidRequest));
    }
}

//! The response envelope and list pages shared by every `/api/v1` endpoint.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Metadata attached to every `/api/v1` response.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Meta {
    pub request_id: String,
    /// RFC 3339 time the response was produced.
    pub timestamp: String,
    pub duration_ms: f64,
    pub version: String,
}

/// `{"success": true, "data": ..., "meta": ...}` or
/// `{"success": false, "error": ..., "meta": ...}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Envelope<T> {
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    pub meta: Meta,
}

/// The answer of an action that returns nothing else: `{"done": true}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Done {
    pub done: bool,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    pub total_pages: u64,
    /// Opaque cursor for `?cursor=` walking; null on the last page.
    pub next_cursor: Option<String>,
}

/// Largest accepted `page_size` / `limit`.
pub const MAX_PAGE_SIZE: u64 = 500;
/// `page_size` when none is given.
pub const DEFAULT_PAGE_SIZE: u64 = 50;

/// Query parameters shared by list endpoints.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    #[schemars(range(min = 1, max = crate::limits::PAGE))]
    pub page: Option<u64>,
    #[schemars(range(min = 1, max = MAX_PAGE_SIZE))]
    pub page_size: Option<u64>,
    #[schemars(length(max = crate::limits::ID))]
    pub cursor: Option<String>,
    #[schemars(range(min = 1, max = MAX_PAGE_SIZE))]
    pub limit: Option<u64>,
}

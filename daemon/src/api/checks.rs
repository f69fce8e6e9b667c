//! `/checks`: consistency checks of sync targets and of plat itself.
//! Targets hold every tenant's users, so checks are platform scope.

use axum::extract::{Path, State};

use plat_proto::limits::FINDINGS as MAX_FINDINGS;
use plat_proto::{Check, CheckGetQuery, CheckQuery, CreateCheck, Finding, FindingQuery, Page};

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::Principal;
use crate::context::{Created, Data};
use crate::error::{ApiErr, ApiResult};

/// Findings included in `GET /checks/{id}` unless `?findings=N` says otherwise.
const DEFAULT_FINDINGS: u64 = 100;

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(request): Json<CreateCheck>,
) -> ApiResult<Created<Check>> {
    let trace = crate::context::current().trace;
    Ok(Created(state.checks.start(principal.ctx(), request, trace).await?))
}

pub async fn list(State(state): State<AppState>, Query(query): Query<CheckQuery>) -> ApiResult<Data<Page<Check>>> {
    Ok(Data(state.store.list_checks(&query).await?))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<CheckGetQuery>,
) -> ApiResult<Data<Check>> {
    let findings = query.findings.unwrap_or(DEFAULT_FINDINGS);
    if findings > MAX_FINDINGS {
        return Err(ApiErr::validation(
            "findings",
            format!("at most {MAX_FINDINGS}; page with /checks/{{id}}/findings"),
        ));
    }
    Ok(Data(state.store.get_check(&id, findings).await?))
}

pub async fn findings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<FindingQuery>,
) -> ApiResult<Data<Page<Finding>>> {
    Ok(Data(state.store.list_findings(&id, &query).await?))
}

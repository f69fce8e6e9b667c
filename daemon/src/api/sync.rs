//! `/sync`: targets, tasks, the dead-letter queue and statistics. Targets
//! receive every tenant's events, so all of it is platform scope.

use axum::extract::{Path, State};
use plat_domain::delivery;
use plat_domain::rules::Rules;
use plat_proto::*;
use plat_store::{NewTarget, TargetChange};
use plat_sync::kinds::{self, Kind, ReadBackSupport};

use super::extract::{Json, Query};
use crate::AppState;
use crate::auth::{Principal, crypto};
use crate::context::{Created, Data};
use crate::error::{ApiErr, ApiResult};

/// A target's secret, sealed, with its hint; from the request or generated.
fn secret(state: &AppState, given: Option<&str>) -> ApiResult<(String, String, String)> {
    let plain = match given {
        Some(s) => {
            delivery::parse_secret("secret", s)?;
            s.to_owned()
        }
        None => delivery::format_secret(&crypto::random_bytes::<32>()),
    };
    let key = delivery::parse_secret("secret", &plain)?;
    let sealed = state.auth.master.seal(&key).map_err(ApiErr::internal)?;
    let tail: String = plain.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    Ok((plain, sealed, format!("{}…{tail}", delivery::SECRET_PREFIX)))
}

fn timeout_ms(text: &str) -> ApiResult<i64> {
    Ok(delivery::validate_timeout(text)?.as_millis() as i64)
}

/// A target's read-back settings, as its kind allows them.
fn check_read_back(kind: &dyn Kind, read_back: &ReadBack) -> ApiResult<()> {
    let over_http = match kind.read_back() {
        ReadBackSupport::Never(why) if read_back.supported => {
            return Err(ApiErr::validation("read_back.supported", why));
        }
        ReadBackSupport::Never(_) => false,
        ReadBackSupport::Optional { over_http, .. } => over_http,
    };
    if let Some(url) = &read_back.base_url {
        if !over_http {
            return Err(ApiErr::validation(
                "read_back.base_url",
                format!("{} targets are not read back over HTTP", kind.kind().as_str()),
            ));
        }
        plat_domain::validate_url("read_back.base_url", url)?;
    }
    Ok(())
}

/// A kind that does not sign refuses a secret.
fn no_secret(kind: &dyn Kind) -> ApiErr {
    ApiErr::validation(
        "secret",
        format!("{} targets do not sign their deliveries; only http targets do", kind.kind().as_str()),
    )
}

pub async fn list_targets(State(state): State<AppState>) -> ApiResult<Data<Vec<SyncTarget>>> {
    let rows = state.store.list_targets().await?;
    Ok(Data(state.store.target_views(&rows).await?))
}

pub async fn create_target(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateTarget>,
) -> ApiResult<Created<TargetWithSecret>> {
    plat_domain::validate_name("name", &req.name)?;
    let kind = kinds::of(req.kind);
    kind.validate_url(&req.url)?;
    let events = if req.events.is_empty() { vec!["*".to_owned()] } else { req.events.clone() };
    delivery::validate_event_patterns(&events)?;
    kind.validate_options(&req.options)?;
    delivery::validate_limits(req.max_attempts, req.concurrency)?;
    let timeout = match &req.timeout {
        Some(t) => timeout_ms(t)?,
        None => state.config.sync.timeout.0.as_millis() as i64,
    };
    let by_default = matches!(kind.read_back(), ReadBackSupport::Optional { default: true, .. });
    let read_back = req.read_back.clone().unwrap_or(ReadBack { supported: by_default, base_url: None });
    check_read_back(kind, &read_back)?;
    let rules = req.rules.unwrap_or_default();
    Rules::compile(&rules)?;
    let batch = req.batch.unwrap_or_default();
    delivery::validate_batch(&batch)?;
    // Backfills are `user.updated` snapshots: the default for targets that take them.
    let snapshots = events.iter().any(|p| plat_domain::glob_matches(p, plat_proto::catalog::USER_UPDATED.name));
    let backfill = req.backfill.unwrap_or(snapshots);
    if backfill && !snapshots {
        return Err(ApiErr::validation(
            "backfill",
            "a backfill sends user.updated snapshots, and the target does not subscribe to user.updated",
        ));
    }
    let (plain, sealed, hint) = if kind.signs() {
        let (plain, sealed, hint) = secret(&state, req.secret.as_deref())?;
        (Some(plain), Some(sealed), Some(hint))
    } else if req.secret.is_some() {
        return Err(no_secret(kind));
    } else {
        (None, None, None)
    };
    let row = state
        .store
        .create_target(
            &principal.ctx(),
            NewTarget {
                name: req.name,
                kind: req.kind,
                url: req.url,
                events,
                secret: sealed,
                secret_hint: hint,
                timeout_ms: timeout,
                max_attempts: req.max_attempts.unwrap_or(state.config.sync.max_attempts),
                concurrency: req.concurrency.unwrap_or(state.config.sync.concurrency),
                options: req.options,
                read_back,
                rules,
                batch,
                backfill,
            },
        )
        .await?;
    state.sync.targets_changed();
    Ok(Created(TargetWithSecret { target: state.store.target_view(&row).await?, secret: plain }))
}

pub async fn get_target(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult<Data<SyncTarget>> {
    let row = state.store.get_target(&name).await?;
    Ok(Data(state.store.target_view(&row).await?))
}

pub async fn update_target(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    Json(req): Json<UpdateTarget>,
) -> ApiResult<Data<TargetWithSecret>> {
    let current = state.store.get_target(&name).await?;
    let kind = kinds::of(current.kind);
    let mut change = TargetChange::default();
    if let Some(url) = req.url {
        kind.validate_url(&url)?;
        change.url = Some(url);
    }
    if let Some(events) = req.events {
        delivery::validate_event_patterns(&events)?;
        change.events = Some(events);
    }
    let mut plain = None;
    if req.secret.is_some() || req.generate_secret {
        if !kind.signs() {
            return Err(no_secret(kind));
        }
        if req.secret.is_some() && req.generate_secret {
            return Err(ApiErr::validation("secret", "give a secret or generate_secret, not both"));
        }
        let (p, sealed, hint) = secret(&state, req.secret.as_deref())?;
        plain = Some(p);
        change.secret = Some((sealed, hint));
    }
    if let Some(t) = &req.timeout {
        change.timeout_ms = Some(timeout_ms(t)?);
    }
    delivery::validate_limits(req.max_attempts, req.concurrency)?;
    change.max_attempts = req.max_attempts;
    change.concurrency = req.concurrency;
    if let Some(patch) = req.options {
        let mut options = current.options.clone();
        for (key, value) in patch {
            if value.is_null() {
                options.remove(&key);
            } else {
                options.insert(key, value);
            }
        }
        kind.validate_options(&options)?;
        change.options = Some(options);
    }
    if let Some(read_back) = req.read_back {
        check_read_back(kind, &read_back)?;
        change.read_back = Some(read_back);
    }
    if let Some(rules) = req.rules {
        Rules::compile(&rules)?;
        change.rules = Some(rules);
    }
    if let Some(batch) = req.batch {
        delivery::validate_batch(&batch)?;
        change.batch = Some(batch);
    }
    let row = state.store.update_target(&principal.ctx(), &name, change).await?;
    state.sync.targets_changed();
    Ok(Data(TargetWithSecret { target: state.store.target_view(&row).await?, secret: plain }))
}

pub async fn delete_target(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<Done>> {
    state.store.delete_target(&principal.ctx(), &name).await?;
    state.sync.targets_changed();
    Ok(Data(Done { done: true }))
}

async fn set_state(state: &AppState, principal: &Principal, name: &str, to: TargetState) -> ApiResult<SyncTarget> {
    let row = state.store.set_target_state(&principal.ctx(), name, to).await?;
    state.sync.targets_changed();
    Ok(row.to_proto())
}

pub async fn pause_target(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<SyncTarget>> {
    Ok(Data(set_state(&state, &principal, &name, TargetState::Paused).await?))
}

pub async fn resume_target(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> ApiResult<Data<SyncTarget>> {
    Ok(Data(set_state(&state, &principal, &name, TargetState::Active).await?))
}

pub async fn test_target(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult<Data<TargetTestResult>> {
    let row = state.store.get_target(&name).await?;
    Ok(Data(state.sync.test(&row).await))
}

/// What an event would become for a target: taken or not by its patterns
/// and rules, and the body it would receive. Nothing is stored or sent.
pub async fn preview_target(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(req): Json<PreviewEvent>,
) -> ApiResult<Data<EventPreview>> {
    let row = state.store.get_target(&name).await?;
    let mut event = req.event;
    let Some(object) = event.as_object_mut() else {
        return Err(ApiErr::validation("event", "an event is a JSON object"));
    };
    let event_type = match object.get("type") {
        Some(serde_json::Value::String(t)) => t.clone(),
        _ => return Err(ApiErr::validation("event.type", "an event has a type (a string)")),
    };
    for (field, value) in [("data", serde_json::json!({})), ("metadata", serde_json::json!({}))] {
        object.entry(field).or_insert(value);
    }
    let skip = |reason: String| Data(EventPreview { delivered: false, reason: Some(reason), body: None });
    if !row.events.iter().any(|p| plat_domain::glob_matches(p, &event_type)) {
        return Ok(skip(format!("{event_type} matches none of the target's events ({})", row.events.join(", "))));
    }
    if let Some(rules) = &row.compiled {
        if let Err(why) = rules.admits(&event) {
            return Ok(skip(why.to_string()));
        }
        rules.project(&mut event);
    }
    Ok(Data(EventPreview { delivered: true, reason: None, body: Some(event) }))
}

/// Deliver a window of past events to one target again.
pub async fn replay_target(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    Json(req): Json<ReplayEvents>,
) -> ApiResult<Data<BulkResult>> {
    let since = plat_store::parse_since("since", &req.since)?;
    let until = match &req.until {
        Some(text) => plat_store::parse_since("until", text)?,
        None => plat_store::now_ms() + 1,
    };
    if until <= since {
        return Err(ApiErr::validation("until", "the window ends before it starts"));
    }
    if !req.types.is_empty() {
        delivery::validate_event_patterns(&req.types).map_err(|e| plat_domain::Invalid::new("types", e.message))?;
    }
    let count = state.store.replay_events(&principal.ctx(), &name, (since, until), &req.types).await?;
    Ok(Data(BulkResult { count }))
}

fn task_id(text: &str) -> ApiResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiErr::new(ErrorCode::InvalidRequest, format!("{text:?} is not a task id (a positive number)")))
}

pub async fn list_tasks(
    State(state): State<AppState>,
    Query(query): Query<TaskQuery>,
) -> ApiResult<Data<Page<SyncTask>>> {
    Ok(Data(state.store.list_tasks(&query, false).await?))
}

pub async fn get_task(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Data<SyncTask>> {
    Ok(Data(state.store.get_task(task_id(&id)?).await?))
}

pub async fn retry_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Data<SyncTask>> {
    Ok(Data(state.store.retry_task(&principal.ctx(), task_id(&id)?).await?))
}

pub async fn cancel_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Data<SyncTask>> {
    Ok(Data(state.store.cancel_task(&principal.ctx(), task_id(&id)?).await?))
}

pub async fn list_dlq(
    State(state): State<AppState>,
    Query(query): Query<TaskQuery>,
) -> ApiResult<Data<Page<SyncTask>>> {
    Ok(Data(state.store.list_tasks(&query, true).await?))
}

pub async fn replay_dlq(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<DlqReplay>,
) -> ApiResult<Data<BulkResult>> {
    let count = state.store.replay_dlq(&principal.ctx(), req.target.as_deref(), &req.ids).await?;
    Ok(Data(BulkResult { count }))
}

pub async fn purge_dlq(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<DlqPurge>,
) -> ApiResult<Data<BulkResult>> {
    let count =
        state.store.purge_dlq(&principal.ctx(), req.target.as_deref(), &req.ids, req.older_than.as_deref()).await?;
    Ok(Data(BulkResult { count }))
}

pub async fn stats(State(state): State<AppState>) -> ApiResult<Data<Vec<TargetStats>>> {
    Ok(Data(state.store.sync_stats().await?))
}

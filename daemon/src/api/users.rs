//! `/users`: CRUD, status, passwords, role grants, bulk import and export.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};
use plat_domain::apply_profile_patch;
use plat_domain::import::{ImportPassword, LineError, parse_ndjson_line};
use plat_proto::*;
use plat_store::{NewUser, On, Place, StoreError};

use super::extract::{Json, Query, json_error};
use crate::AppState;
use crate::auth::Principal;
use crate::context::{Created, Data};
use crate::error::{ApiErr, ApiResult};

pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<UserListQuery>,
) -> ApiResult<Data<Page<User>>> {
    let tenant = principal.acting()?;
    Ok(Data(state.store.list_users(&tenant, &query).await?))
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateUser>,
) -> ApiResult<Created<User>> {
    let places: Vec<Place> = req.orgs.iter().flatten().map(|org| Place::Org(org.clone())).collect();
    let (tenant, mut ctx) = principal.reach(&state, "users:create", On::Places(places.clone())).await?;
    if !places.is_empty() {
        // Joining is a membership change: as `POST /orgs/{org}/members` (a new user is in nobody's reach yet).
        ctx.reach.extend(principal.reach(&state, "orgs:members", On::Places(places)).await?.1.reach);
    }
    let mut profile = Profile::default();
    if let Some(patch) = &req.profile {
        apply_profile_patch(&mut profile, patch)?;
    }
    // The store validates these too; checking first spares a 20 ms argon2
    // hash for a request that would be refused anyway.
    plat_domain::validate_username(&req.username)?;
    plat_domain::validate_email(&req.email)?;
    let password_hash = match req.password {
        Some(p) => Some(super::auth::hash_new_password(&state.auth.passwords, "password", p).await?),
        None => None,
    };
    let roles = req.roles.unwrap_or_else(|| vec![plat_domain::DEFAULT_ROLE.to_owned()]);
    let orgs = req.orgs.unwrap_or_default();
    let new = NewUser { username: req.username, email: req.email, password_hash, roles, profile, orgs };
    Ok(Created(state.store.create_user(&ctx, &tenant, new).await?))
}

pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
) -> ApiResult<Data<User>> {
    let on = On::User { user: user.clone(), own: Some("self:read".into()) };
    let tenant = principal.reach_read(&state, "users:read", on).await?;
    Ok(Data(state.store.get_user(&tenant, &user).await?.user))
}

pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
    Json(req): Json<UpdateUser>,
) -> ApiResult<Data<User>> {
    let on = On::User { user: user.clone(), own: Some("self:update".into()) };
    let (tenant, ctx) = principal.reach(&state, "users:update", on).await?;
    Ok(Data(state.store.update_user(&ctx, &tenant, &user, req.email.as_deref(), req.profile.as_ref()).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
    Query(params): Query<UserDeleteQuery>,
) -> ApiResult<Data<Done>> {
    let on = On::User { user: user.clone(), own: None };
    let (tenant, ctx) = principal.reach(&state, "users:delete", on).await?;
    state.store.delete_user(&ctx, &tenant, &user, params.hard.unwrap_or(false)).await?;
    Ok(Data(Done { done: true }))
}

pub async fn disable(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
) -> ApiResult<Data<User>> {
    let on = On::User { user: user.clone(), own: None };
    let (tenant, ctx) = principal.reach(&state, "users:update", on).await?;
    let record = state.store.get_user(&tenant, &user).await?;
    if principal.is_user(&record.user.id) {
        return Err(ApiErr::new(ErrorCode::Conflict, "you cannot disable yourself"));
    }
    Ok(Data(state.store.set_user_enabled(&ctx, &tenant, &user, false).await?))
}

pub async fn enable(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
) -> ApiResult<Data<User>> {
    let on = On::User { user: user.clone(), own: None };
    let (tenant, ctx) = principal.reach(&state, "users:update", on).await?;
    Ok(Data(state.store.set_user_enabled(&ctx, &tenant, &user, true).await?))
}

pub async fn unlock(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
) -> ApiResult<Data<User>> {
    let on = On::User { user: user.clone(), own: None };
    let (tenant, ctx) = principal.reach(&state, "users:update", on).await?;
    Ok(Data(state.store.unlock_user(&ctx, &tenant, &user).await?))
}

pub async fn set_password(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
    Json(req): Json<SetPassword>,
) -> ApiResult<Data<User>> {
    let on = On::User { user: user.clone(), own: Some("self:update".into()) };
    let (tenant, ctx) = principal.reach(&state, "users:update", on).await?;
    // Keeping the caller's session takes a session: a person's own token.
    let keep = match req.keep_session {
        Some(true) => {
            principal.person(&state)?;
            let Some(sid) = principal.claims.sid.as_deref() else {
                return Err(ApiErr::validation("keep_session", "this token belongs to no session; log in again"));
            };
            Some((sid, crate::auth::sessions::ending(&state, "password")))
        }
        _ => None,
    };
    let hash = super::auth::hash_new_password(&state.auth.passwords, "password", req.password).await?;
    let (user, ended) = state.store.set_password(&ctx, (&tenant, &user), &hash, keep).await?;
    if let Some((_, ending)) = keep {
        crate::auth::sessions::refuse_ended(&state, &ended, ending);
    }
    Ok(Data(user))
}

pub async fn grant_role(
    State(state): State<AppState>,
    principal: Principal,
    Path(user): Path<String>,
    Json(req): Json<GrantRole>,
) -> ApiResult<Data<User>> {
    let tenant = principal.acting()?;
    Ok(Data(state.store.change_role(&principal.ctx(), &tenant, &user, &req.role, true).await?))
}

pub async fn revoke_role(
    State(state): State<AppState>,
    principal: Principal,
    Path((user, role)): Path<(String, String)>,
) -> ApiResult<Data<User>> {
    let tenant = principal.acting()?;
    Ok(Data(state.store.change_role(&principal.ctx(), &tenant, &user, &role, false).await?))
}

/// Lines handed to the store per transaction.
const IMPORT_BATCH: usize = 2000;
/// Longest import line: a user is a few hundred bytes.
const MAX_IMPORT_LINE: usize = 64 * 1024;
/// Line errors reported one by one; beyond, they are only counted in `failed`.
const MAX_IMPORT_ERRORS: usize = 1000;

/// A parsed, validated import line; a plain password is hashed at flush time,
/// all of a batch's at once, and not at all in a dry run.
struct Prepared {
    line: u64,
    user: NewUser,
    plain_password: Option<String>,
}

/// Turn one NDJSON line into a user to create, or the reason it is refused.
// A rejected line is an ordinary outcome here, not a rare one worth boxing.
#[allow(clippy::result_large_err)]
fn prepare(text: &str) -> Result<(NewUser, Option<String>), (Option<String>, ApiErr)> {
    let line = parse_ndjson_line(text).map_err(|(username, e)| {
        let e = match e {
            LineError::Json(e) => json_error(&e),
            e @ LineError::PasswordAndHash => ApiErr::new(ErrorCode::ValidationError, e.to_string()),
            LineError::Invalid(e) => e.into(),
        };
        (username, e)
    })?;
    let (password_hash, plain_password) = match line.password {
        ImportPassword::None => (None, None),
        ImportPassword::Plain(p) => (None, Some(p)),
        ImportPassword::Hash(h) => (Some(h), None),
    };
    let user = NewUser {
        username: line.username,
        email: line.email,
        password_hash,
        roles: line.roles,
        profile: line.profile,
        orgs: Vec::new(),
    };
    Ok((user, plain_password))
}

async fn flush(
    state: &AppState,
    principal: &Principal,
    tenant: &str,
    batch: &mut Vec<Prepared>,
    dry_run: bool,
    report: &mut ImportReport,
) -> ApiResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let prepared = std::mem::take(batch);
    let n = prepared.len() as u64;
    let lines: Vec<(u64, NewUser)> = if dry_run {
        prepared.into_iter().map(|p| (p.line, p.user)).collect()
    } else {
        // Hash in every slot of the one bound (`auth.max_concurrent_hashes`,
        // one per core by default): plain-password imports are bound by
        // argon2. Each hash queues for its slot fairly with logins.
        let passwords = &state.auth.passwords;
        let parallel = passwords.slots();
        futures_util::stream::iter(prepared)
            .map(|mut p| async move {
                if let Some(plain) = p.plain_password.take() {
                    p.user.password_hash = Some(passwords.hash_in_batch(plain).await?);
                }
                Ok::<_, ApiErr>((p.line, p.user))
            })
            .buffered(parallel)
            .try_collect()
            .await?
    };
    let errors = state.store.import_users(&principal.ctx(), tenant, lines, dry_run).await?;
    report.failed += errors.len() as u64;
    report.created += n - errors.len() as u64;
    for (line, username, error) in errors.into_iter().take(MAX_IMPORT_ERRORS.saturating_sub(report.errors.len())) {
        let api: ApiErr = error.into();
        report.errors.push(ImportLineError {
            line,
            username,
            code: api.error.code,
            message: api.error.message,
            field: api.error.field,
        });
    }
    Ok(())
}

/// `POST /users/import`: NDJSON, streamed; one result per rejected line.
pub async fn import(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<ImportQuery>,
    request: Request,
) -> ApiResult<Data<ImportReport>> {
    let tenant = principal.acting()?;
    let dry_run = params.dry_run.unwrap_or(false);
    let mut report = ImportReport { dry_run, ..ImportReport::default() };
    let mut stream = request.into_body().into_data_stream();
    let mut pending: Vec<u8> = Vec::new();
    let mut line_no: u64 = 0;
    let mut batch: Vec<Prepared> = Vec::with_capacity(IMPORT_BATCH);
    let limit = state.config.http.import_limit_bytes;
    let max_lines = state.config.http.import_max_lines;
    let mut received = 0usize;
    let mut finished = false;
    while !finished {
        let chunk = match stream.next().await {
            Some(Ok(chunk)) => chunk,
            Some(Err(e)) => {
                return Err(ApiErr::new(ErrorCode::InvalidRequest, format!("cannot read request body: {e}")));
            }
            None => {
                finished = true;
                axum::body::Bytes::from_static(b"\n")
            }
        };
        received += chunk.len();
        // Lines before the refusal were imported already (in batches); say so.
        let too_large = |what: String, report: &ImportReport| {
            ApiErr::new(
                ErrorCode::PayloadTooLarge,
                format!("{what}; {} users were created before it, split the file", report.created),
            )
        };
        if received > limit {
            return Err(too_large(format!("import body is larger than {limit} bytes"), &report));
        }
        pending.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(offset) = pending[start..].iter().position(|b| *b == b'\n') {
            let end = start + offset;
            let raw = &pending[start..end];
            start = end + 1;
            line_no += 1;
            let text = String::from_utf8_lossy(raw);
            let text = text.trim();
            if text.is_empty() {
                if finished && line_no > 0 {
                    line_no -= 1;
                }
                continue;
            }
            report.total += 1;
            if report.total > max_lines {
                return Err(too_large(format!("import has more than {max_lines} lines"), &report));
            }
            match prepare(text) {
                Ok((user, plain_password)) => batch.push(Prepared { line: line_no, user, plain_password }),
                Err(_) if report.errors.len() >= MAX_IMPORT_ERRORS => report.failed += 1,
                Err((username, e)) => {
                    report.failed += 1;
                    report.errors.push(ImportLineError {
                        line: line_no,
                        username,
                        code: e.error.code,
                        message: e.error.message,
                        field: e.error.field,
                    });
                }
            }
            if batch.len() >= IMPORT_BATCH {
                flush(&state, &principal, &tenant, &mut batch, dry_run, &mut report).await?;
            }
        }
        pending.drain(..start);
        if pending.len() > MAX_IMPORT_LINE {
            return Err(too_large(format!("line {} is longer than {MAX_IMPORT_LINE} bytes", line_no + 1), &report));
        }
    }
    flush(&state, &principal, &tenant, &mut batch, dry_run, &mut report).await?;
    report.errors.sort_by_key(|e| e.line);
    Ok(Data(report))
}

/// `GET /users/export`: every live user as NDJSON, streamed in pages.
pub async fn export(State(state): State<AppState>, principal: Principal) -> ApiResult<Response> {
    let tenant = principal.acting()?;
    // Fail before streaming when the tenant is missing.
    state.store.get_tenant(&tenant).await?;
    let stream = futures_util::stream::unfold(Some(String::new()), move |after| {
        let state = state.clone();
        let tenant = tenant.clone();
        async move {
            let after = after?;
            match state.store.export_users_after(&tenant, &after, 1000).await {
                Ok(users) if users.is_empty() => None,
                Ok(users) => {
                    let next = users.last().map(|u| u.id.clone());
                    let mut buf = Vec::with_capacity(users.len() * 300);
                    for user in &users {
                        if serde_json::to_writer(&mut buf, user).is_ok() {
                            buf.push(b'\n');
                        }
                    }
                    Some((Ok::<_, StoreError>(buf), next))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    Ok(([(axum::http::header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(stream)).into_response())
}

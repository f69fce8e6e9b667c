//! Sessions in the daemon (docs/sessions.md): their lifetimes in a tenant,
//! and ending them so that their access tokens are refused on this replica
//! at once (others pull the store's `sid:` revocations within
//! `spawn_upkeep`'s poll). Every path that ends a session goes through here
//! or through a change that moves the user's `tokens_valid_after`.

use plat_proto::{Session, TenantSecurity};
use plat_store::{Ctx, Ending, StoreError, Which};

use crate::AppState;

/// A new session's lifetimes in a tenant with these settings.
pub fn lifetimes(state: &AppState, security: &TenantSecurity) -> plat_domain::session::Lifetimes {
    let defaults =
        plat_domain::session::Lifetimes { idle: state.auth.refresh_ttl, lifetime: state.auth.session_lifetime };
    plat_domain::session::Lifetimes::of(security, defaults)
}

/// Until when the access tokens of a session ended now must be refused by
/// its `sid`: the latest expiry of one issued now.
pub fn revoke_until(state: &AppState) -> i64 {
    plat_store::now_ms() + state.auth.access_ttl.as_millis() as i64
}

/// Refuse the tokens of session `sid` on this replica until `until`.
pub fn refuse(state: &AppState, sid: &str, until: i64) {
    state.auth.revoked.insert(format!("{}{sid}", plat_store::SID_PREFIX), until);
}

/// How sessions ended now as an audited change are ended (`reason`: their
/// `ended_reason`): their `sid` refused until a token issued now expires.
pub fn ending<'a>(state: &AppState, reason: &'a str) -> Ending<'a> {
    Ending { reason, revoke_until: Some(revoke_until(state)), audited: true }
}

/// Refuse on this replica at once the tokens of sessions just ended by `ending`.
pub fn refuse_ended(state: &AppState, ended: &[Session], ending: Ending<'_>) {
    for session in ended {
        refuse(state, &session.id, ending.revoke_until.unwrap_or_else(|| revoke_until(state)));
    }
}

/// End sessions of a user as one audited change (`reason`: their `ended_reason`).
pub async fn end(state: &AppState, ctx: &Ctx, which: Which<'_>, reason: &str) -> Result<Vec<Session>, StoreError> {
    let ending = ending(state, reason);
    let ended = state.store.end_sessions(ctx, which, ending).await?;
    refuse_ended(state, &ended, ending);
    Ok(ended)
}

/// End the session a refresh token continues (logout, RFC 7009
/// revocation), if it is `owner`'s (anyone's for `None`). Returns the
/// user's id and the session's.
pub async fn end_of_refresh(
    state: &AppState,
    ctx: &Ctx,
    refresh_token: &str,
    owner: Option<&str>,
    from: &plat_store::Activity,
) -> Result<Option<(String, String)>, StoreError> {
    let hash = state.auth.master.keyed_hash(refresh_token);
    let until = revoke_until(state);
    let ended = state.store.revoke_refresh_family(ctx, &hash, owner, (from, until)).await?;
    if let Some((_, sid)) = &ended {
        refuse(state, sid, until);
    }
    Ok(ended)
}

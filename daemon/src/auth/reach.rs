//! Where a caller may act on something that lies in organizations
//! (`docs/organizations.md`, "Roles on an organization"): the one place that
//! turns a route's target — an organization, a place in the tree, a user —
//! into `plat_domain`'s [`Scope::Orgs`], so every route asks the same
//! question. A caller whose permission is tenant-wide pays nothing here: the
//! tree is read only for callers who hold roles on organizations.

use plat_domain::{Authority, Refusal, Scope};

use super::Principal;
use crate::AppState;
use crate::error::{ApiErr, ApiResult};

/// Where in the tree an action on organizations takes effect.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    /// The organization itself: reads, renames, members, roles granted on it.
    Org(&'a str),
    /// Where the organization sits, its parent: deleting it or moving it
    /// away changes its parent. A root sits in the tenant itself.
    ParentOf(&'a str),
    /// Under this organization (the `parent` of a body): creating or moving
    /// there. `None` is a root: the tenant itself.
    Under(Option<&'a str>),
}

impl Principal {
    /// The acting tenant, if the caller may exercise `permission` at every
    /// place: tenant-wide, or through a role on each place's organization or
    /// an ancestor of it (no place: tenant-wide only).
    pub async fn require_in_orgs(&self, state: &AppState, permission: &str, places: &[Place<'_>]) -> ApiResult<String> {
        let tenant = self.tenant()?;
        let wide = self.decide(permission, Scope::Tenant(&tenant));
        if wide.allowed {
            return Ok(tenant);
        }
        if self.subject.orgs.is_empty() || places.is_empty() {
            return Err(ApiErr::forbidden(wide.reason));
        }
        for place in places {
            let path = match *place {
                Place::Org(org) => Some(state.store.org_path(&tenant, "org", org).await?),
                Place::ParentOf(org) => {
                    let path = state.store.org_path(&tenant, "org", org).await?;
                    plat_domain::org::parent_path(&path).map(str::to_owned)
                }
                Place::Under(Some(parent)) => Some(state.store.org_path(&tenant, "parent", parent).await?),
                Place::Under(None) => None,
            };
            let at: Vec<String> = path.into_iter().collect();
            self.require(permission, Scope::Orgs(&tenant, &at))?;
        }
        Ok(tenant)
    }

    /// The acting tenant, if the caller may exercise `permission` on the
    /// user `user` (id or username): tenant-wide; on itself with `own`
    /// (`self:…`); or through a role on an organization the user is a
    /// member of (or above one). Reached that way, anything but a read also
    /// needs the right to take the user's place (`plat_domain::may_take_over`):
    /// the user holds nothing the caller does not hold there. Every route
    /// on a `{user}` asks here.
    pub async fn require_on_user(
        &self,
        state: &AppState,
        user: &str,
        permission: &str,
        own: Option<&str>,
    ) -> ApiResult<String> {
        let tenant = self.tenant()?;
        let wide = self.decide(permission, Scope::Tenant(&tenant));
        if wide.allowed {
            return Ok(tenant);
        }
        if own.is_none() && self.subject.orgs.is_empty() {
            return Err(ApiErr::forbidden(wide.reason));
        }
        let record = state.store.get_user(&tenant, user).await?;
        if let Some(own) = own
            && self.is_user(&record.user.id)
        {
            self.require(own, Scope::Tenant(&tenant))?;
            return Ok(tenant);
        }
        if self.subject.orgs.is_empty() {
            return Err(ApiErr::forbidden(wide.reason));
        }
        let (target, at) = state.store.standing(&tenant, &record).await?;
        self.require(permission, Scope::Orgs(&tenant, &at))?;
        if !permission.ends_with(":read") {
            let caller = Authority::Caller(self.subject.clone());
            plat_domain::may_take_over(&caller, &target).map_err(|refusal| match refusal {
                Refusal::Denied(reason) => ApiErr::forbidden(reason),
                Refusal::Invalid(invalid) => invalid.into(),
            })?;
        }
        Ok(tenant)
    }

    /// The acting tenant, if the caller may change what `user` is or holds
    /// in the organization `org` — a membership (`orgs:members`) or a role
    /// granted there (`roles:grant`): `permission` there. When that comes
    /// from a role on an organization, the user must already be in the
    /// caller's reach (`users:update` on them, the take-over rule included):
    /// otherwise an organization admin could pull anyone, the tenant admin
    /// included, into its subtree and then manage them, or strip a more
    /// powerful user of what it holds there.
    pub async fn require_on_org_and_user(
        &self,
        state: &AppState,
        permission: &str,
        org: &str,
        user: &str,
    ) -> ApiResult<String> {
        let tenant = self.require_in_orgs(state, permission, &[Place::Org(org)]).await?;
        if !self.decide(permission, Scope::Tenant(&tenant)).allowed {
            self.require_on_user(state, user, "users:update", None).await?;
        }
        Ok(tenant)
    }

    /// The acting tenant, if the caller may delete the organization `org`:
    /// `orgs:delete` on its parent. Through a role on an organization, only
    /// while nobody is a member of, or holds a role in, its subtree: the
    /// deletion would otherwise remove memberships and roles of users the
    /// caller may not manage; those are removed one by one first, each
    /// checked.
    pub async fn require_org_delete(&self, state: &AppState, org: &str) -> ApiResult<String> {
        let tenant = self.require_in_orgs(state, "orgs:delete", &[Place::ParentOf(org)]).await?;
        if !self.decide("orgs:delete", Scope::Tenant(&tenant)).allowed
            && state.store.subtree_people(&tenant, org).await? > 0
        {
            return Err(ApiErr::forbidden(
                "through a role on an organization, remove the members and role grants of its subtree before deleting it",
            ));
        }
        Ok(tenant)
    }
}

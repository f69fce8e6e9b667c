//! Where a caller may act on something that lies in organizations
//! (`docs/organizations.md`, "Roles on an organization"). The rule is the
//! store's (`plat_store::Reach`): this turns a route's target into one, in
//! the store context the change is made with, so the store decides it in
//! the change's own transaction. A caller whose permission is tenant-wide
//! pays nothing here: the tree is read only for callers who hold roles on
//! organizations.

use plat_store::{Ctx, On, Reach};

use super::Principal;
use crate::AppState;
use crate::error::ApiResult;

impl Principal {
    /// The acting tenant and the store context of a change that needs
    /// `permission` where `on` says: the reach rides in the context and the
    /// store decides it again in the change's transaction. It is decided
    /// here first, on the read pool, so a caller out of reach is refused
    /// before its body is worked on (a password hashed, say).
    pub async fn reach(&self, state: &AppState, permission: &str, on: On) -> ApiResult<(String, Ctx)> {
        let tenant = self.tenant()?;
        let mut ctx = self.ctx();
        let reach = Reach { tenant: tenant.clone(), permission: permission.to_owned(), on };
        if let Some(reach) = reach.settle(&self.subject)? {
            ctx.reach.push(reach);
            state.store.admit(&ctx).await?;
        }
        Ok((tenant, ctx))
    }

    /// The acting tenant, if the caller may read with `permission` where
    /// `on` says.
    pub async fn reach_read(&self, state: &AppState, permission: &str, on: On) -> ApiResult<String> {
        Ok(self.reach(state, permission, on).await?.0)
    }
}

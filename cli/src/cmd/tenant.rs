//! tenant create | list | get | update | suspend | resume | delete.

use clap::Subcommand;
use plat_proto::{CreateTenant, Quotas, Tenant, UpdateTenant};

use crate::error::Failure;
use crate::output::{Row, ago};
use crate::prompt;
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum TenantCmd {
    /// Create a tenant.
    Create {
        slug: String,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
        /// Largest number of users (default: unlimited).
        #[arg(long)]
        max_users: Option<u64>,
    },
    /// List tenants.
    List {
        #[arg(long)]
        page: Option<u64>,
        #[arg(long)]
        page_size: Option<u64>,
    },
    /// Show one tenant.
    Get { slug: String },
    /// Change a tenant's name or quota.
    Update {
        slug: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        max_users: Option<u64>,
    },
    /// Suspend a tenant: its users and services can no longer log in or get tokens.
    Suspend { slug: String },
    /// Resume a suspended tenant.
    Resume { slug: String },
    /// Delete a tenant (asks first).
    Delete {
        slug: String,
        /// Also delete its users, roles and service accounts.
        #[arg(long)]
        cascade: bool,
    },
}

impl Row for Tenant {
    const COLUMNS: &'static [&'static str] = &["SLUG", "NAME", "STATUS", "USERS", "MAX USERS", "AGE"];
    const WIDE: &'static [&'static str] = &["CREATED", "UPDATED"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.slug.clone(),
            self.name.clone(),
            self.status.clone(),
            self.usage.users.to_string(),
            self.quotas.max_users.map_or_else(|| "-".into(), |n| n.to_string()),
            ago(&self.created_at),
        ];
        if wide {
            cells.extend([self.created_at.clone(), self.updated_at.clone()]);
        }
        cells
    }
    fn name(&self) -> String {
        self.slug.clone()
    }
}

pub async fn run(cmd: TenantCmd, s: &mut Session) -> Result<(), Failure> {
    let tenant = match cmd {
        TenantCmd::Create { slug, name, max_users } => {
            let req = CreateTenant { slug, name, quotas: max_users.map(|n| Quotas { max_users: Some(n) }) };
            s.api(async |c| c.create_tenant(&req).await).await?
        }
        TenantCmd::List { page, page_size } => {
            let page = s.api(async |c| c.list_tenants(page, page_size).await).await?;
            return s.out.list(&page.items, "tenants");
        }
        TenantCmd::Get { slug } => s.api(async |c| c.get_tenant(&slug).await).await?,
        TenantCmd::Update { slug, name, max_users } => {
            if name.is_none() && max_users.is_none() {
                return Err(Failure::usage("nothing to update: give --name or --max-users"));
            }
            let req = UpdateTenant { name, quotas: max_users.map(|n| Quotas { max_users: Some(n) }) };
            s.api(async |c| c.update_tenant(&slug, &req).await).await?
        }
        TenantCmd::Suspend { slug } => s.api(async |c| c.suspend_tenant(&slug).await).await?,
        TenantCmd::Resume { slug } => s.api(async |c| c.resume_tenant(&slug).await).await?,
        TenantCmd::Delete { slug, cascade } => {
            let tenant = s.api(async |c| c.get_tenant(&slug).await).await?;
            let what = if cascade {
                format!(
                    "delete tenant {} ({}) with its {} users, roles and service accounts",
                    tenant.slug, tenant.name, tenant.usage.users
                )
            } else {
                format!("delete tenant {} ({})", tenant.slug, tenant.name)
            };
            prompt::confirm(&what, s.global.yes)?;
            s.api(async |c| c.delete_tenant(&slug, cascade).await).await?;
            eprintln!("Deleted tenant {slug}.");
            return Ok(());
        }
    };
    s.out.one(&tenant)
}

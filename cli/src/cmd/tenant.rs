//! tenant create | list | get | update | suspend | resume | delete | quota.

use clap::Subcommand;
use plat_proto::{
    CreateTenant, MfaPolicy, Quota, QuotaPeriod, Quotas, ReserveQuota, SetQuota, SettleQuota, Tenant, TenantSecurity,
    UpdateTenant,
};

use crate::error::Failure;
use crate::output::{Format, Row, ago};
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
        /// How long a session lives unused (`8h`); `""` restores the server's default.
        #[arg(long, value_name = "D")]
        session_idle: Option<String>,
        /// How long a session lives at most from its login (`7d`); `""` restores the default.
        #[arg(long, value_name = "D")]
        session_lifetime: Option<String>,
        /// Second factors: `off` (nobody may enrol), `optional`, `required` (everyone must).
        #[arg(long, value_name = "POLICY", value_parser = ["off", "optional", "required"])]
        mfa: Option<String>,
        /// Under `optional`, holders of this role must have a second factor; repeat for several.
        #[arg(long = "mfa-role", value_name = "ROLE", conflicts_with = "no_mfa_roles")]
        mfa_roles: Vec<String>,
        /// No role needs a second factor beyond the policy.
        #[arg(long)]
        no_mfa_roles: bool,
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
    /// A tenant's quotas: users and any resource a service declares (docs/quotas.md).
    #[command(subcommand)]
    Quota(QuotaCmd),
}

#[derive(Subcommand, Debug)]
pub enum QuotaCmd {
    /// Every quota of a tenant, with its usage.
    List { tenant: String },
    /// One quota.
    Get { tenant: String, resource: String },
    /// Declare a quota or change its limit, period or usage (platform admins).
    Set {
        tenant: String,
        resource: String,
        /// The limit (amounts are plain integers: bytes, calls, seats).
        #[arg(long, conflicts_with = "unlimited", required_unless_present = "unlimited")]
        limit: Option<u64>,
        /// No limit; usage is still counted.
        #[arg(long)]
        unlimited: bool,
        /// Start usage from zero every hour, day or month (UTC); `none` never.
        #[arg(long, value_parser = period)]
        period: Option<QuotaPeriod>,
        /// Set the usage outright (a correction).
        #[arg(long, value_name = "N")]
        used: Option<u64>,
    },
    /// Forget a declared quota and its reservations (asks first).
    Delete { tenant: String, resource: String },
    /// Would an amount more fit? Holds nothing.
    Check { tenant: String, resource: String, amount: u64 },
    /// Hold an amount; prints the reservation id to commit or release.
    Reserve {
        tenant: String,
        resource: String,
        amount: u64,
        /// How long the hold lasts (default 5m, at most 24h).
        #[arg(long)]
        ttl: Option<String>,
    },
    /// Turn a reservation into usage, or use an amount at once.
    Commit {
        tenant: String,
        resource: String,
        #[arg(long, required_unless_present = "amount")]
        reservation: Option<String>,
        /// With --reservation: commit only this much and give the rest back.
        #[arg(long)]
        amount: Option<u64>,
    },
    /// Give back a reservation, or an amount of usage.
    Release {
        tenant: String,
        resource: String,
        #[arg(long, conflicts_with = "amount", required_unless_present = "amount")]
        reservation: Option<String>,
        #[arg(long)]
        amount: Option<u64>,
    },
}

fn period(text: &str) -> Result<QuotaPeriod, String> {
    QuotaPeriod::parse(text).ok_or_else(|| format!("{text:?} is not a period: none, hour, day or month"))
}

impl Row for Quota {
    const COLUMNS: &'static [&'static str] = &["RESOURCE", "USED", "RESERVED", "LIMIT", "REMAINING", "USE", "PERIOD"];
    const WIDE: &'static [&'static str] = &["RESETS", "LEVEL", "UPDATED"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let dash = || "-".to_owned();
        let share = self.limit.map_or_else(dash, |limit| match limit {
            0 => "100%".into(),
            limit => format!("{}%", (u128::from(self.used) * 100 / u128::from(limit)).min(999)),
        });
        let mut cells = vec![
            self.resource.clone(),
            self.used.to_string(),
            self.reserved.to_string(),
            self.limit.map_or_else(|| "unlimited".into(), |n| n.to_string()),
            self.remaining.map_or_else(dash, |n| n.to_string()),
            share,
            self.period.as_str().to_owned(),
        ];
        if wide {
            cells.extend([
                self.resets_at.clone().unwrap_or_else(dash),
                if self.level == 0 { dash() } else { format!("{}%", self.level) },
                ago(&self.updated_at),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.resource.clone()
    }
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
        TenantCmd::Get { slug } => {
            let tenant = s.api(async |c| c.get_tenant(&slug).await).await?;
            s.out.one(&tenant)?;
            // Usage against limits, below the tenant, for people.
            if matches!(s.out.format, Format::Table | Format::Wide) {
                let quotas = s.api(async |c| c.list_quotas(&slug).await).await?;
                println!();
                return s.out.list(&quotas.items, "quotas");
            }
            return Ok(());
        }
        TenantCmd::Quota(cmd) => return quota(cmd, s).await,
        TenantCmd::Update { slug, name, max_users, session_idle, session_lifetime, mfa, mfa_roles, no_mfa_roles } => {
            let mfa = mfa.map(|p| match p.as_str() {
                "off" => MfaPolicy::Off,
                "required" => MfaPolicy::Required,
                _ => MfaPolicy::Optional,
            });
            let mfa_roles = (no_mfa_roles || !mfa_roles.is_empty()).then_some(mfa_roles);
            let security = TenantSecurity { session_idle, session_lifetime, mfa, mfa_roles };
            let security = (security != TenantSecurity::default()).then_some(security);
            if name.is_none() && max_users.is_none() && security.is_none() {
                return Err(Failure::usage("nothing to update: give --name, --max-users, a session lifetime or --mfa"));
            }
            let req = UpdateTenant { name, quotas: max_users.map(|n| Quotas { max_users: Some(n) }), security };
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

async fn quota(cmd: QuotaCmd, s: &mut Session) -> Result<(), Failure> {
    let quota = match cmd {
        QuotaCmd::List { tenant } => {
            let quotas = s.api(async |c| c.list_quotas(&tenant).await).await?;
            return s.out.list(&quotas.items, "quotas");
        }
        QuotaCmd::Get { tenant, resource } => s.api(async |c| c.get_quota(&tenant, &resource).await).await?,
        QuotaCmd::Set { tenant, resource, limit, unlimited: _, period, used } => {
            let req = SetQuota { limit, period, used };
            s.api(async |c| c.set_quota(&tenant, &resource, &req).await).await?
        }
        QuotaCmd::Delete { tenant, resource } => {
            prompt::confirm(&format!("delete quota {resource} of tenant {tenant}"), s.global.yes)?;
            s.api(async |c| c.delete_quota(&tenant, &resource).await).await?;
            eprintln!("Deleted quota {resource} of tenant {tenant}.");
            return Ok(());
        }
        QuotaCmd::Check { tenant, resource, amount } => {
            let decision = s.api(async |c| c.check_quota(&tenant, &resource, amount).await).await?;
            let remaining = decision.remaining.map_or_else(|| "unlimited".into(), |n| n.to_string());
            let verdict = if decision.allowed { "yes" } else { "no" };
            s.out.detail(
                &decision,
                verdict,
                &[("Allowed", verdict.into()), ("Amount", amount.to_string()), ("Remaining", remaining)],
            )?;
            // Like `auth can-i`: the answer is also the exit status.
            return if decision.allowed { Ok(()) } else { Err(Failure::silent(crate::error::EXIT_ERROR)) };
        }
        QuotaCmd::Reserve { tenant, resource, amount, ttl } => {
            let req = ReserveQuota { amount, ttl };
            let held = s.api(async |c| c.reserve_quota(&tenant, &resource, &req).await).await?;
            return s.out.detail(
                &held,
                &held.id,
                &[
                    ("Reservation", held.id.clone()),
                    ("Amount", held.amount.to_string()),
                    ("Expires", held.expires_at.clone()),
                    ("Remaining", held.quota.remaining.map_or_else(|| "unlimited".into(), |n| n.to_string())),
                ],
            );
        }
        QuotaCmd::Commit { tenant, resource, reservation, amount } => {
            let req = SettleQuota { reservation, amount };
            s.api(async |c| c.commit_quota(&tenant, &resource, &req).await).await?
        }
        QuotaCmd::Release { tenant, resource, reservation, amount } => {
            let req = SettleQuota { reservation, amount };
            s.api(async |c| c.release_quota(&tenant, &resource, &req).await).await?
        }
    };
    s.out.one(&quota)
}

//! role create | list | get | update | delete | grant | revoke, and auth can-i.

use clap::Subcommand;
use plat_proto::{AuthzCheck, ConditionalPermission, CreateRole, Role, UpdateRole};

use crate::error::{EXIT_ERROR, Failure};
use crate::output::{Format, Row, emit, or_dash};
use crate::prompt;
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum RoleCmd {
    /// Create a role with its permissions (`users:read`, `sync:*`, ...).
    Create {
        name: String,
        /// Permission to include; repeat for several.
        #[arg(long = "permission", value_name = "P", required_unless_present = "conditions")]
        permissions: Vec<String>,
        /// A permission granted only when the check's context satisfies
        /// EXPR: `files:upload=context.file_size <= 10485760`; repeat for several.
        #[arg(long = "permission-if", value_name = "P=EXPR", value_parser = conditional)]
        conditions: Vec<ConditionalPermission>,
        #[arg(long)]
        description: Option<String>,
    },
    /// List the roles of the tenant, built-in ones included.
    List,
    /// Show one role.
    Get { name: String },
    /// Add or remove permissions, or change the description.
    Update {
        name: String,
        #[arg(long = "add-permission", value_name = "P")]
        add: Vec<String>,
        #[arg(long = "remove-permission", value_name = "P")]
        remove: Vec<String>,
        /// Replace the conditional permissions: `P=EXPR`; repeat for several.
        #[arg(long = "permission-if", value_name = "P=EXPR", value_parser = conditional)]
        conditions: Vec<ConditionalPermission>,
        /// Remove every conditional permission.
        #[arg(long, conflicts_with = "conditions")]
        no_conditions: bool,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a role (asks first).
    Delete { name: String },
    /// Grant ROLE to USER.
    Grant { role: String, user: String },
    /// Take ROLE from USER.
    Revoke { role: String, user: String },
}

#[derive(Subcommand, Debug)]
pub enum AuthCmd {
    /// Whether you (or USER, or a service account) may do PERMISSION: prints yes or no, exits 0 or 1.
    CanI {
        permission: String,
        /// Ask about this user instead of yourself.
        #[arg(long = "as", value_name = "USER", conflicts_with = "as_service")]
        as_user: Option<String>,
        /// Ask about this service account.
        #[arg(long, value_name = "NAME")]
        as_service: Option<String>,
        /// The check's context, for roles' conditions: `file_size=1024`,
        /// `folder=u1/docs` (a value that reads as JSON is taken as JSON); repeat for more.
        /// (`--context` is taken: it picks a platctl context, as kubectl's does.)
        #[arg(long = "ctx", value_name = "K=V", value_parser = context_pair)]
        ctx: Vec<(String, serde_json::Value)>,
        /// The organization (path or id) the action is on: roles granted
        /// on it or above it count too.
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
    },
}

/// `files:upload=context.file_size <= 10485760`: split at the first `=`.
fn conditional(text: &str) -> Result<ConditionalPermission, String> {
    match text.split_once('=') {
        Some((permission, when)) if !permission.trim().is_empty() && !when.trim().is_empty() => {
            Ok(ConditionalPermission { permission: permission.trim().to_owned(), when: when.trim().to_owned() })
        }
        _ => Err(format!("{text:?} is not PERMISSION=EXPRESSION (files:upload=context.file_size <= 10485760)")),
    }
}

/// `K=V`, V as JSON when it parses (`1024`, `true`, `["a"]`), else as a string.
pub(crate) fn context_pair(text: &str) -> Result<(String, serde_json::Value), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            let value = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
            Ok((key.trim().to_owned(), value))
        }
        _ => Err(format!("{text:?} is not KEY=VALUE (file_size=1024)")),
    }
}

impl Row for Role {
    const COLUMNS: &'static [&'static str] = &["NAME", "PERMISSIONS", "BUILTIN", "DESCRIPTION"];
    const WIDE: &'static [&'static str] = &["TENANT"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.name.clone(),
            or_dash(
                &self
                    .permissions
                    .iter()
                    .cloned()
                    .chain(self.conditions.iter().map(|c| format!("{} if {}", c.permission, c.when)))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            if self.builtin { "yes".into() } else { "no".into() },
            or_dash(&self.description),
        ];
        if wide {
            cells.push(self.tenant.clone().unwrap_or_else(|| "(all)".into()));
        }
        cells
    }
    fn name(&self) -> String {
        self.name.clone()
    }
}

pub async fn run(cmd: RoleCmd, s: &mut Session) -> Result<(), Failure> {
    let role = match cmd {
        RoleCmd::Create { name, permissions, conditions, description } => {
            let req = CreateRole { name, description, permissions, conditions };
            s.api(async |c| c.create_role(&req).await).await?
        }
        RoleCmd::List => {
            let roles = s.api(async |c| c.list_roles().await).await?;
            return s.out.list(&roles, "roles");
        }
        RoleCmd::Get { name } => s.api(async |c| c.get_role(&name).await).await?,
        RoleCmd::Update { name, add, remove, conditions, no_conditions, description } => {
            if add.is_empty() && remove.is_empty() && conditions.is_empty() && !no_conditions && description.is_none() {
                return Err(Failure::usage(
                    "nothing to update: give --add-permission, --remove-permission, --permission-if, \
                     --no-conditions or --description",
                ));
            }
            let conditions = (no_conditions || !conditions.is_empty()).then_some(conditions);
            let req = UpdateRole {
                description,
                permissions: None,
                add_permissions: add,
                remove_permissions: remove,
                conditions,
            };
            s.api(async |c| c.update_role(&name, &req).await).await?
        }
        RoleCmd::Delete { name } => {
            let role = s.api(async |c| c.get_role(&name).await).await?;
            let what = format!("delete role {} ({})", role.name, or_dash(&role.permissions.join(", ")));
            prompt::confirm(&what, s.global.yes)?;
            s.api(async |c| c.delete_role(&name).await).await?;
            eprintln!("Deleted role {name}.");
            return Ok(());
        }
        RoleCmd::Grant { role, user } => {
            let user = s.api(async |c| c.grant_role(&user, &role).await).await?;
            return s.out.one(&user);
        }
        RoleCmd::Revoke { role, user } => {
            let user = s.api(async |c| c.revoke_role(&user, &role).await).await?;
            return s.out.one(&user);
        }
    };
    s.out.one(&role)
}

pub async fn run_auth(cmd: AuthCmd, s: &mut Session) -> Result<(), Failure> {
    let AuthCmd::CanI { permission, as_user, as_service, ctx, org } = cmd;
    let context = (!ctx.is_empty()).then(|| serde_json::Value::Object(ctx.into_iter().collect()));
    let req = AuthzCheck { user: as_user, service: as_service, permission, context, org, ..AuthzCheck::default() };
    let decision = s.api(async |c| c.authz_check(&req).await).await?;
    match s.out.format {
        Format::Json | Format::Yaml => s.out.data(&decision)?,
        Format::Wide => emit(&format!("{} ({})\n", yes_no(decision.allowed), decision.reason))?,
        _ => emit(&format!("{}\n", yes_no(decision.allowed)))?,
    }
    if s.global.verbose > 0 {
        eprintln!("{}", decision.reason);
    }
    if decision.allowed { Ok(()) } else { Err(Failure::silent(EXIT_ERROR)) }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

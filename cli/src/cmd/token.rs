//! service-account, token and keys.

use clap::{ArgGroup, Subcommand};
use plat_proto::{
    AccessToken, Claims, CreateServiceAccount, IssueTokenRequest, RevokeRequest, ServiceAccount,
    ServiceAccountCredentials, SigningKey, UpdateServiceAccount,
};

use crate::error::{EXIT_ERROR, Failure};
use crate::output::{Format, Row, ago, ago_opt, emit, or_dash};
use crate::prompt;
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum ServiceAccountCmd {
    /// Create a service account; its client secret is printed once.
    Create {
        name: String,
        /// Role to grant; repeat for several.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        /// Event types it may publish (`file.*`); repeat for several.
        #[arg(long = "publishes", value_name = "PATTERN")]
        publishes: Vec<String>,
    },
    /// Change a service account's description or the event types it may publish.
    Update {
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Event types it may publish (`file.*`), replacing the list; repeat for several.
        #[arg(long = "publishes", value_name = "PATTERN", conflicts_with = "no_publishes")]
        publishes: Vec<String>,
        /// Withdraw every event type it may publish.
        #[arg(long)]
        no_publishes: bool,
    },
    /// List service accounts.
    List,
    /// Show one service account.
    Get { name: String },
    /// Delete a service account (asks first); its tokens stop working.
    Delete { name: String },
    /// Replace the client secret; the new one is printed once.
    RotateSecret { name: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Issue an access token for a user or a service account (printed alone, for scripts).
    #[command(group(ArgGroup::new("subject").required(true).args(["user", "service_account"])))]
    Issue {
        #[arg(long)]
        user: Option<String>,
        #[arg(long, value_name = "NAME")]
        service_account: Option<String>,
        /// Lifetime (`15m`, `12h`), at most the server's auth.max_issued_ttl.
        #[arg(long, value_name = "D")]
        ttl: Option<String>,
        /// Limit the token to this permission; repeat for several.
        #[arg(long = "scope", value_name = "S")]
        scopes: Vec<String>,
        #[arg(long, value_name = "A")]
        audience: Option<String>,
    },
    /// Check a token (argument, or stdin when absent or `-`); exit 1 when inactive.
    Verify {
        // Not `token`: that id is the global --token flag's.
        #[arg(id = "jwt", value_name = "TOKEN")]
        token: Option<String>,
    },
    /// Revoke a token, a token by its id, or every session of a user (asks first).
    #[command(group(ArgGroup::new("what").required(true).args(["jwt", "jti", "user"])))]
    Revoke {
        #[arg(id = "jwt", value_name = "TOKEN")]
        token: Option<String>,
        #[arg(long, value_name = "ID")]
        jti: Option<String>,
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// List signing keys (public parts).
    List,
    /// Make a new signing key; the old one verifies until its tokens expire.
    Rotate,
}

impl Row for ServiceAccount {
    const COLUMNS: &'static [&'static str] = &["NAME", "CLIENT ID", "ROLES", "AGE"];
    const WIDE: &'static [&'static str] = &["PUBLISHES", "DESCRIPTION", "SECRET ROTATED"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells =
            vec![self.name.clone(), self.client_id.clone(), or_dash(&self.roles.join(",")), ago(&self.created_at)];
        if wide {
            cells.extend([
                or_dash(&self.publishes.join(",")),
                or_dash(&self.description),
                ago(&self.secret_rotated_at),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.name.clone()
    }
}

impl Row for SigningKey {
    const COLUMNS: &'static [&'static str] = &["KID", "ALG", "STATUS", "AGE", "RETIRES"];
    const WIDE: &'static [&'static str] = &["PUBLIC KEY"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.kid.clone(),
            self.alg.clone(),
            self.status.clone(),
            ago(&self.created_at),
            ago_opt(self.retire_at.as_deref()),
        ];
        if wide {
            cells.push(self.public_key.clone());
        }
        cells
    }
    fn name(&self) -> String {
        self.kid.clone()
    }
}

fn credentials(s: &Session, creds: &ServiceAccountCredentials) -> Result<(), Failure> {
    let a = &creds.account;
    let fields = [
        ("Name", a.name.clone()),
        ("Tenant", a.tenant.clone()),
        ("Roles", or_dash(&a.roles.join(", "))),
        ("Client ID", a.client_id.clone()),
        ("Client secret", format!("{} (shown once)", creds.client_secret)),
    ];
    s.out.detail(creds, &a.name, &fields)
}

pub async fn run_service_account(cmd: ServiceAccountCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        ServiceAccountCmd::Create { name, roles, description, publishes } => {
            let req = CreateServiceAccount { name, description, roles, publishes, ..Default::default() };
            let creds = s.api(async |c| c.create_service_account(&req).await).await?;
            credentials(s, &creds)
        }
        ServiceAccountCmd::Update { name, description, publishes, no_publishes } => {
            let publishes = if no_publishes { Some(Vec::new()) } else { (!publishes.is_empty()).then_some(publishes) };
            if description.is_none() && publishes.is_none() {
                return Err(Failure::usage("nothing to update: give --description, --publishes or --no-publishes"));
            }
            let req = UpdateServiceAccount { description, publishes, ..Default::default() };
            let account = s.api(async |c| c.update_service_account(&name, &req).await).await?;
            s.out.one(&account)
        }
        ServiceAccountCmd::List => {
            let accounts = s.api(async |c| c.list_service_accounts().await).await?;
            s.out.list(&accounts, "service accounts")
        }
        ServiceAccountCmd::Get { name } => {
            let account = s.api(async |c| c.get_service_account(&name).await).await?;
            s.out.one(&account)
        }
        ServiceAccountCmd::Delete { name } => {
            let account = s.api(async |c| c.get_service_account(&name).await).await?;
            let what = format!("delete service account {} (client id {})", account.name, account.client_id);
            prompt::confirm(&what, s.global.yes)?;
            s.api(async |c| c.delete_service_account(&name).await).await?;
            eprintln!("Deleted service account {name}.");
            Ok(())
        }
        ServiceAccountCmd::RotateSecret { name } => {
            let creds = s.api(async |c| c.rotate_service_account_secret(&name).await).await?;
            credentials(s, &creds)
        }
    }
}

pub async fn run_token(cmd: TokenCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        TokenCmd::Issue { user, service_account, ttl, scopes, audience } => {
            let req = IssueTokenRequest { user, service_account, ttl, scopes, audience };
            let token: AccessToken = s.api(async |c| c.issue_token(&req).await).await?;
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&token),
                _ => emit(&format!("{}\n", token.access_token)),
            }
        }
        TokenCmd::Verify { token } => {
            let token = match token.as_deref() {
                None | Some("-") => prompt::stdin_secret("token")?.trim().to_owned(),
                Some(t) => t.to_owned(),
            };
            let answer = s.api(async |c| c.verify(&token).await).await?;
            match (&answer.claims, s.out.format) {
                (_, Format::Json | Format::Yaml) => s.out.data(&answer)?,
                (Some(claims), _) if answer.active => claims_detail(s, claims)?,
                _ => emit(&format!("inactive: {}\n", answer.reason.as_deref().unwrap_or("unknown reason")))?,
            }
            if answer.active { Ok(()) } else { Err(Failure::silent(EXIT_ERROR)) }
        }
        TokenCmd::Revoke { token, jti, user } => {
            if let Some(user) = &user {
                let found = s.api(async |c| c.get_user(user).await).await?;
                let what = format!("end every session and token of user {} <{}>", found.username, found.email);
                prompt::confirm(&what, s.global.yes)?;
            }
            let req = RevokeRequest { token, jti, user };
            let result = s.api(async |c| c.revoke(&req).await).await?;
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&result),
                _ => {
                    eprintln!("Revoked {}.", plural(result.revoked, "token or session", "tokens and sessions"));
                    Ok(())
                }
            }
        }
    }
}

fn claims_detail(s: &Session, c: &Claims) -> Result<(), Failure> {
    let typ = serde_json::to_value(c.typ).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let time = |secs: i64| {
        time::OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .map(|t| format!("{} ({t})", ago(&t)))
            .unwrap_or_else(|| secs.to_string())
    };
    let fields = [
        ("Active", "yes".to_owned()),
        ("Subject", format!("{}@{} ({})", c.username, c.tenant, c.sub)),
        ("Type", typ),
        ("Roles", or_dash(&c.roles.join(", "))),
        ("Scope", c.scope.clone().unwrap_or_else(|| "-".into())),
        ("Audience", c.aud.clone()),
        ("Issuer", c.iss.clone()),
        ("Issued", time(c.iat)),
        ("Expires", time(c.exp)),
        ("JTI", c.jti.clone()),
    ];
    s.out.detail(c, &c.jti, &fields)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

pub async fn run_keys(cmd: KeysCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        KeysCmd::List => {
            let keys = s.api(async |c| c.keys().await).await?;
            s.out.list(&keys, "signing keys")
        }
        KeysCmd::Rotate => {
            let key = s.api(async |c| c.rotate_keys().await).await?;
            s.out.one(&key)
        }
    }
}

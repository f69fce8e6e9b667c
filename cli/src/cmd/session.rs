//! login, logout, whoami.

use clap::Args;
use plat_proto::Identity;

use crate::config::{Context, DEFAULT_CONTEXT};
use crate::error::Failure;
use crate::output::ago;
use crate::prompt;
use crate::session::Session;

#[derive(Args, Debug)]
pub struct Login {
    /// Username or email (prompted for on a terminal when absent).
    #[arg(long, short = 'u')]
    username: Option<String>,
    /// Read the password from stdin instead of prompting.
    #[arg(long)]
    password_stdin: bool,
}

impl Login {
    pub async fn run(self, s: &mut Session) -> Result<(), Failure> {
        let previous = s.context().cloned();
        let tenant = s
            .global
            .tenant
            .clone()
            .or_else(|| previous.as_ref().and_then(|c| c.tenant.clone()))
            .unwrap_or_else(|| plat_proto::SYSTEM_TENANT.to_owned());
        let username = match self.username.or_else(|| previous.as_ref().and_then(|c| c.username.clone())) {
            Some(u) => u,
            None => prompt::text("Username", "--username")?,
        };
        let password = if self.password_stdin {
            prompt::stdin_secret("password")?
        } else {
            prompt::password(&format!("Password for {username}@{tenant}"), false)?
        };
        let pair = s.anonymous()?.login(&tenant, &username, &password).await?;
        let name = s.context_name().unwrap_or(DEFAULT_CONTEXT).to_owned();
        let context = Context {
            server: s.server().to_owned(),
            tenant: Some(tenant.clone()),
            username: Some(username.clone()),
            token: Some(pair.access_token),
            refresh_token: Some(pair.refresh_token),
        };
        s.set_context(&name, context)?;
        eprintln!("Logged in to {} as {username}@{tenant} (context {name:?}).", s.server());
        Ok(())
    }
}

#[derive(Args, Debug)]
pub struct Logout {
    /// End every session of this user, on every machine.
    #[arg(long)]
    all: bool,
}

impl Logout {
    pub async fn run(self, s: &mut Session) -> Result<(), Failure> {
        let Some(context) = s.context().cloned() else {
            return Err(Failure::error("not logged in: there is no context"));
        };
        if context.refresh_token.is_none() {
            return Err(Failure::error(format!("not logged in in context {:?}", s.context_name().unwrap_or(""))));
        }
        if self.all {
            let result = s.api(async |c| c.logout_all().await).await?;
            eprintln!("Ended {} sessions.", result.revoked);
        } else {
            // Refresh first if due: that rotates the refresh token this logout must name.
            s.ensure_fresh().await?;
            let refresh = s.context().and_then(|c| c.refresh_token.clone()).unwrap_or_default();
            s.api(async |c| c.logout(&refresh).await).await?;
            eprintln!("Logged out of {}.", context.server);
        }
        s.clear_tokens()
    }
}

pub async fn whoami(s: &mut Session) -> Result<(), Failure> {
    let me: Identity = s.api(async |c| c.whoami().await).await?;
    let kind = serde_json::to_value(me.typ).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let fields = [
        ("User", format!("{}@{}", me.username, me.tenant)),
        ("Kind", kind),
        ("Subject", me.subject.clone()),
        ("Server", s.server().to_owned()),
        ("Issuer", me.issuer.clone()),
        ("Context", s.context_name().unwrap_or("-").to_owned()),
        ("Roles", me.roles.join(", ")),
        ("Permissions", me.permissions.join(", ")),
        ("Expires", format!("{} ({})", ago(&me.expires_at), me.expires_at)),
    ];
    s.out.detail(&me, &me.username, &fields)
}

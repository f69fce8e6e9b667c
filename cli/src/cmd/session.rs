//! login (with a second step), logout, whoami, sessions (`session list | end`)
//! and second factors (`mfa`).

use clap::{ArgGroup, Args, Subcommand};
use plat_proto::Identity;

use crate::config::{Context, DEFAULT_CONTEXT};
use crate::error::Failure;
use crate::output::{Format, Row, ago, or_dash};
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
    /// The code of your second factor (six digits, or a recovery code),
    /// when your account has one; prompted for on a terminal when absent.
    #[arg(long, value_name = "CODE")]
    code: Option<String>,
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
        let client = s.anonymous()?;
        let pair = match client.login(&tenant, &username, &password).await {
            Err(plat_client::ClientError::Api { error, .. }) if error.code == plat_proto::ErrorCode::MfaRequired => {
                let token = error.details.get("mfa_token").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
                let code = match self.code {
                    Some(code) => code,
                    None => prompt::text("Code from your authenticator app (or a recovery code)", "--code")?,
                };
                client.login_mfa(&token, &code).await?
            }
            other => other?,
        };
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

#[derive(Subcommand, Debug)]
pub enum SessionCmd {
    /// List live sessions: yours, or a user's (`--user`), newest first.
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// End a session of yours by id, all your others (`--others`), or every
    /// session of a user (`--user`, asks first). Their tokens stop working.
    #[command(group(ArgGroup::new("which").required(true).args(["id", "others", "user"])))]
    End {
        id: Option<String>,
        #[arg(long)]
        others: bool,
        #[arg(long)]
        user: Option<String>,
    },
}

impl Row for plat_proto::Session {
    const COLUMNS: &'static [&'static str] = &["ID", "CURRENT", "STARTED", "LAST ACTIVE", "IP", "AMR"];
    const WIDE: &'static [&'static str] = &["IDLE EXPIRES", "EXPIRES", "USER AGENT"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.id.clone(),
            if self.current { "*".to_owned() } else { String::new() },
            ago(&self.created_at),
            ago(&self.last_active_at),
            or_dash(self.ip.as_deref().unwrap_or("")),
            self.amr.join(","),
        ];
        if wide {
            cells.extend([
                ago(&self.idle_expires_at),
                ago(&self.expires_at),
                or_dash(self.user_agent.as_deref().unwrap_or("")),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.id.clone()
    }
}

pub async fn run_session(cmd: SessionCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        SessionCmd::List { user: None } => {
            let list = s.api(async |c| c.sessions().await).await?;
            s.out.list(&list.items, "sessions")
        }
        SessionCmd::List { user: Some(user) } => {
            let list = s.api(async |c| c.user_sessions(&user).await).await?;
            s.out.list(&list.items, "sessions")
        }
        SessionCmd::End { id: Some(id), .. } => {
            let ended = s.api(async |c| c.end_session(&id).await).await?;
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&ended),
                _ => {
                    eprintln!("Ended session {id}.");
                    Ok(())
                }
            }
        }
        SessionCmd::End { user: Some(user), .. } => {
            let found = s.api(async |c| c.get_user(&user).await).await?;
            let what = format!("end every session of user {} <{}>", found.username, found.email);
            crate::prompt::confirm(&what, s.global.yes)?;
            let result = s.api(async |c| c.end_user_sessions(&user).await).await?;
            ended(s, &result)
        }
        SessionCmd::End { .. } => {
            let result = s.api(async |c| c.end_other_sessions().await).await?;
            ended(s, &result)
        }
    }
}

fn ended(s: &Session, result: &plat_proto::RevokeResult) -> Result<(), Failure> {
    match s.out.format {
        Format::Json | Format::Yaml => s.out.data(result),
        _ => {
            eprintln!("Ended {} session{}.", result.revoked, if result.revoked == 1 { "" } else { "s" });
            Ok(())
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum MfaCmd {
    /// Show second factors: yours, or a user's (`--user`).
    Status {
        #[arg(long)]
        user: Option<String>,
    },
    /// Begin a TOTP enrolment: prints the secret and its otpauth:// URI for
    /// an authenticator app; then `platctl mfa confirm CODE`.
    Enroll,
    /// Confirm the enrolment with a code from the app; prints the recovery
    /// codes, once: keep them somewhere safe.
    Confirm { code: String },
    /// Remove your second factors, or the one named by its ID from `mfa
    /// status` (a lost passkey); takes a fresh code, or a recovery code.
    Remove {
        /// The factor to remove; all of them when left out.
        id: Option<String>,
        #[arg(long, value_name = "CODE")]
        code: String,
    },
    /// Reset a user's second factors (an admin's call; asks first).
    Reset {
        #[arg(long)]
        user: String,
        /// End the user's sessions too, in the same change.
        #[arg(long)]
        end_sessions: bool,
    },
}

impl Row for plat_proto::MfaFactor {
    const COLUMNS: &'static [&'static str] = &["ID", "FACTOR", "NAME", "ENROLLED", "LAST USED"];
    const WIDE: &'static [&'static str] = &[];
    fn cells(&self, _wide: bool) -> Vec<String> {
        vec![
            self.id.clone(),
            self.kind.clone(),
            self.name.clone().unwrap_or_else(|| "-".into()),
            ago(&self.created_at),
            self.last_used_at.as_deref().map_or("-".into(), ago),
        ]
    }
    fn name(&self) -> String {
        self.kind.clone()
    }
}

pub async fn run_mfa(cmd: MfaCmd, s: &mut Session) -> Result<(), Failure> {
    match cmd {
        MfaCmd::Status { user } => {
            let status = match user {
                Some(user) => s.api(async |c| c.user_mfa(&user).await).await?,
                None => s.api(async |c| c.mfa().await).await?,
            };
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&status),
                _ => {
                    s.out.list(&status.factors, "second factors")?;
                    eprintln!("Recovery codes left: {}.", status.recovery_codes_left);
                    Ok(())
                }
            }
        }
        MfaCmd::Enroll => {
            let enrollment = s.api(async |c| c.enroll_totp().await).await?;
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&enrollment),
                _ => {
                    println!("Secret: {}", enrollment.secret);
                    println!("URI:    {}", enrollment.otpauth_uri);
                    eprintln!("Add it to your authenticator app, then run: platctl mfa confirm CODE");
                    Ok(())
                }
            }
        }
        MfaCmd::Confirm { code } => {
            let codes = s.api(async |c| c.confirm_totp(&code).await).await?;
            match s.out.format {
                Format::Json | Format::Yaml => s.out.data(&codes),
                _ => {
                    for code in &codes.recovery_codes {
                        println!("{code}");
                    }
                    eprintln!(
                        "Second factor on. These recovery codes are shown once: each signs in once without the app."
                    );
                    Ok(())
                }
            }
        }
        MfaCmd::Remove { id: None, code } => {
            s.api(async |c| c.remove_mfa(&code).await).await?;
            eprintln!("Second factors removed: your password alone signs you in.");
            Ok(())
        }
        MfaCmd::Remove { id: Some(id), code } => {
            let proof = plat_proto::MfaProof { code: Some(code), ..Default::default() };
            s.api(async |c| c.remove_factor(&id, &proof).await).await?;
            eprintln!("Factor {id} removed.");
            Ok(())
        }
        MfaCmd::Reset { user, end_sessions } => {
            let found = s.api(async |c| c.get_user(&user).await).await?;
            let what = format!("reset the second factors of user {} <{}>", found.username, found.email);
            crate::prompt::confirm(&what, s.global.yes)?;
            let done = s.api(async |c| c.reset_user_mfa(&user, end_sessions).await).await?;
            eprintln!("{}", if done.done { "Second factors reset." } else { "The user had no second factor." });
            Ok(())
        }
    }
}

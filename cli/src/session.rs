//! A command's view of the server: which server, tenant and token (flags >
//! environment > context > defaults), and the typed client built from them.
//! [`Session::api`] refreshes an expired access token with the context's
//! refresh token, saves the new pair, and retries the call once.

use std::path::PathBuf;

use base64::Engine;
use plat_client::{Client, ClientError};
use plat_proto::{ErrorCode, TokenPair};

use crate::config::{self, ConfigFile, Context};
use crate::error::Failure;
use crate::output::Output;
use crate::{DEFAULT_SERVER, Global};

/// Refresh a token this many seconds before it expires, so a call does not
/// race its expiry.
const REFRESH_MARGIN_SECS: i64 = 15;

pub struct Session {
    pub global: Global,
    pub out: Output,
    config_path: PathBuf,
    config: ConfigFile,
    /// The context in use (named by `--context`, else the current one), if any.
    context_name: Option<String>,
    server: String,
    client: Client,
    /// Whether the token came from the context (and may be refreshed and saved).
    token_from_context: bool,
}

impl Session {
    pub fn new(global: Global) -> Result<Session, Failure> {
        let config_path = config::path()?;
        let config = ConfigFile::load(&config_path)?;
        let context_name = config.selected_name(global.context.as_deref());
        let context = match &context_name {
            Some(name) => match config.contexts.get(name) {
                Some(c) => Some(c.clone()),
                None if global.context.is_some() => {
                    return Err(Failure::usage(format!("no context named {name:?}"))
                        .with_hint("`platctl context list` shows the contexts"));
                }
                None => None,
            },
            None => None,
        };
        let server = global
            .server
            .clone()
            .or_else(|| context.as_ref().map(|c| c.server.clone()))
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned());
        let tenant = global.tenant.clone().or_else(|| context.as_ref().and_then(|c| c.tenant.clone()));
        let (token, token_from_context) = match (&global.token, context.as_ref().and_then(|c| c.token.clone())) {
            (Some(t), _) => (Some(t.clone()), false),
            (None, Some(t)) => (Some(t), true),
            (None, None) => (None, false),
        };
        let mut client = Client::new(&server)?;
        if let Some(t) = token {
            client = client.with_token(t);
        }
        if let Some(t) = tenant {
            client = client.with_tenant(t);
        }
        let out = Output::new(global.output, global.no_headers, global.no_color);
        Ok(Session { global, out, config_path, config, context_name, server, client, token_from_context })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// A client without credentials, for login.
    pub fn anonymous(&self) -> Result<Client, Failure> {
        Ok(Client::new(&self.server)?)
    }

    pub fn context_name(&self) -> Option<&str> {
        self.context_name.as_deref()
    }

    pub fn context(&self) -> Option<&Context> {
        self.context_name.as_ref().and_then(|n| self.config.contexts.get(n))
    }

    /// Call the server; when the access token has expired and the context
    /// holds a refresh token, refresh, save, and call once more.
    pub async fn api<T>(&mut self, call: impl AsyncFn(&Client) -> Result<T, ClientError>) -> Result<T, Failure> {
        self.ensure_fresh().await?;
        let client = self.client.clone();
        match call(&client).await {
            Err(e) if e.code() == Some(ErrorCode::TokenExpired) && self.can_refresh() => {
                self.refresh().await?;
                let client = self.client.clone();
                Ok(call(&client).await?)
            }
            other => Ok(other?),
        }
    }

    /// Refresh the context's access token ahead of time when it is about to
    /// expire: one round trip instead of a failure and a retry.
    pub async fn ensure_fresh(&mut self) -> Result<(), Failure> {
        if self.token_from_context && self.client.token().is_some_and(expires_soon) {
            self.refresh().await?;
        }
        Ok(())
    }

    /// The client, with its token refreshed when due, for a call that cannot
    /// be repeated (a streamed body).
    pub async fn fresh_client(&mut self) -> Result<Client, Failure> {
        self.ensure_fresh().await?;
        Ok(self.client.clone())
    }

    fn can_refresh(&self) -> bool {
        self.token_from_context && self.context().is_some_and(|c| c.refresh_token.is_some())
    }

    async fn refresh(&mut self) -> Result<(), Failure> {
        let Some(refresh_token) = self.context().and_then(|c| c.refresh_token.clone()) else {
            return Ok(());
        };
        let pair =
            self.anonymous()?.refresh(&refresh_token).await.map_err(|e| {
                Failure::from(e).with_hint("the session has ended; run `platctl login` to start a new one")
            })?;
        if self.global.verbose > 0 {
            eprintln!("refreshed the access token of context {:?}", self.context_name.as_deref().unwrap_or(""));
        }
        self.store_tokens(&pair)?;
        Ok(())
    }

    /// Save a new token pair into the context in use and use it from now on.
    pub fn store_tokens(&mut self, pair: &TokenPair) -> Result<(), Failure> {
        if let Some(ctx) = self.context_name.as_ref().and_then(|n| self.config.contexts.get_mut(n)) {
            ctx.token = Some(pair.access_token.clone());
            ctx.refresh_token = Some(pair.refresh_token.clone());
        }
        self.client = self.client.clone().with_token(pair.access_token.clone());
        self.save()
    }

    /// Make `name` hold `context` and become the current context.
    pub fn set_context(&mut self, name: &str, context: Context) -> Result<(), Failure> {
        self.config.contexts.insert(name.to_owned(), context);
        self.config.current = Some(name.to_owned());
        self.context_name = Some(name.to_owned());
        self.save()
    }

    /// Forget the tokens of the context in use.
    pub fn clear_tokens(&mut self) -> Result<(), Failure> {
        if let Some(ctx) = self.context_name.as_ref().and_then(|n| self.config.contexts.get_mut(n)) {
            ctx.token = None;
            ctx.refresh_token = None;
        }
        self.save()
    }

    fn save(&self) -> Result<(), Failure> {
        self.config.save(&self.config_path)
    }
}

/// Whether a JWT's `exp` is within the refresh margin. The payload is read,
/// not verified: the server verifies; this only saves a failed round trip.
fn expires_soon(token: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Exp {
        exp: i64,
    }
    let Some(payload) = token.split('.').nth(1) else {
        return false;
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload) else {
        return false;
    };
    let Ok(Exp { exp }) = serde_json::from_slice(&bytes) else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    exp - now <= REFRESH_MARGIN_SECS
}

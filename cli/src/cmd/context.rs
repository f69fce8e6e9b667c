//! context list | use | add | remove. Local only: no server is called.

use clap::Subcommand;
use serde::Serialize;

use crate::Global;
use crate::config::{self, ConfigFile, Context};
use crate::error::Failure;
use crate::output::{Output, Row};

#[derive(Subcommand, Debug)]
pub enum ContextCmd {
    /// List the contexts; the current one is marked.
    List,
    /// Make NAME the current context.
    Use { name: String },
    /// Add a context for the server given with --server (and --tenant).
    Add { name: String },
    /// Remove a context and the tokens it holds.
    Remove { name: String },
}

/// A context as listed: never with its tokens.
#[derive(Serialize)]
struct ContextRow {
    name: String,
    current: bool,
    server: String,
    tenant: Option<String>,
    username: Option<String>,
    logged_in: bool,
}

impl Row for ContextRow {
    const COLUMNS: &'static [&'static str] = &["CURRENT", "NAME", "SERVER", "TENANT", "USER", "LOGGED IN"];
    fn cells(&self, _wide: bool) -> Vec<String> {
        vec![
            if self.current { "*".into() } else { String::new() },
            self.name.clone(),
            self.server.clone(),
            self.tenant.clone().unwrap_or_else(|| "-".into()),
            self.username.clone().unwrap_or_else(|| "-".into()),
            if self.logged_in { "yes".into() } else { "no".into() },
        ]
    }
    fn name(&self) -> String {
        self.name.clone()
    }
}

pub fn run(cmd: ContextCmd, global: &Global) -> Result<(), Failure> {
    let path = config::path()?;
    let mut file = ConfigFile::load(&path)?;
    let out = Output::new(global.output, global.no_headers, global.no_color);
    let missing = |name: &str| {
        Failure::error(format!("no context named {name:?}")).with_hint("`platctl context list` shows the contexts")
    };
    match cmd {
        ContextCmd::List => {
            let rows: Vec<ContextRow> = file
                .contexts
                .iter()
                .map(|(name, c)| ContextRow {
                    name: name.clone(),
                    current: file.current.as_deref() == Some(name),
                    server: c.server.clone(),
                    tenant: c.tenant.clone(),
                    username: c.username.clone(),
                    logged_in: c.token.is_some(),
                })
                .collect();
            out.list(&rows, "contexts")
        }
        ContextCmd::Use { name } => {
            if !file.contexts.contains_key(&name) {
                return Err(missing(&name));
            }
            file.current = Some(name.clone());
            file.save(&path)?;
            eprintln!("Switched to context {name:?}.");
            Ok(())
        }
        ContextCmd::Add { name } => {
            let Some(server) = global.server.clone() else {
                return Err(Failure::usage("context add needs --server URL"));
            };
            if file.contexts.contains_key(&name) {
                return Err(Failure::error(format!("context {name:?} already exists"))
                    .with_hint("remove it first with `platctl context remove`"));
            }
            let context = Context { server, tenant: global.tenant.clone(), ..Context::default() };
            file.contexts.insert(name.clone(), context);
            if file.current.is_none() {
                file.current = Some(name.clone());
            }
            file.save(&path)?;
            eprintln!("Added context {name:?}; log in with `platctl --context {name} login`.");
            Ok(())
        }
        ContextCmd::Remove { name } => {
            if file.contexts.remove(&name).is_none() {
                return Err(missing(&name));
            }
            if file.current.as_deref() == Some(name.as_str()) {
                file.current = None;
            }
            file.save(&path)?;
            eprintln!("Removed context {name:?}.");
            Ok(())
        }
    }
}

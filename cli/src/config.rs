//! The contexts file: `$PLATCTL_CONFIG`, else `$XDG_CONFIG_HOME/platctl/config.toml`,
//! else `~/.config/platctl/config.toml`. It holds tokens, so it is written
//! with mode 0600 (its folder 0700), atomically through a rename.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Failure;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The context used when `--context` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    pub server: String,
    /// The tenant commands act in, and `login` logs in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The name a context gets when none exists yet.
pub const DEFAULT_CONTEXT: &str = "default";

pub fn path() -> Result<PathBuf, Failure> {
    if let Some(p) = std::env::var_os("PLATCTL_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|p| !p.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => return Err(Failure::error("cannot find the config folder: set PLATCTL_CONFIG or HOME")),
        },
    };
    Ok(base.join("platctl").join("config.toml"))
}

impl ConfigFile {
    /// The file at `path`, or an empty one when it does not exist yet.
    pub fn load(path: &Path) -> Result<ConfigFile, Failure> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(e) => return Err(Failure::error(format!("cannot read {}: {e}", path.display()))),
        };
        toml::from_str(&text)
            .map_err(|e| Failure::error(format!("{} is not a valid platctl config: {e}", path.display())))
    }

    pub fn save(&self, path: &Path) -> Result<(), Failure> {
        let fail = |e: std::io::Error| Failure::error(format!("cannot write {}: {e}", path.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(fail)?;
        }
        let text =
            toml::to_string_pretty(self).map_err(|e| Failure::error(format!("cannot encode the config: {e}")))?;
        let tmp = path.with_extension(format!("toml.{}.tmp", std::process::id()));
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(fail)?;
        let written = file.write_all(text.as_bytes()).and_then(|()| file.sync_all());
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail(e));
        }
        Ok(())
    }

    /// The context `--context` names, else the current one.
    pub fn selected_name(&self, flag: Option<&str>) -> Option<String> {
        flag.map(str::to_owned).or_else(|| self.current.clone())
    }
}

//! The workbench's settings file, `<config dir>/quarry/config.toml`:
//!
//! ```toml
//! theme = "light"        # dark, light, high-contrast, solarized
//! [keys]
//! run = "x"              # action = key: x, Ctrl-x, Enter, F5, PgDn, ...
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// What the settings file may say.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Theme name.
    #[serde(default)]
    pub theme: Option<String>,
    /// Key overrides: action name → key.
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
}

/// Where the settings file lives.
pub fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "quarry").map(|d| d.config_dir().join("config.toml"))
}

impl Config {
    /// Parses settings text.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Reads the settings file; a missing file gives the defaults.
    pub fn load() -> Result<Config, String> {
        let Some(path) = path() else {
            return Ok(Config::default());
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The key overrides as (action, key) pairs.
    pub fn key_pairs(&self) -> Vec<(String, String)> {
        self.keys
            .iter()
            .map(|(a, k)| (a.clone(), k.clone()))
            .collect()
    }
}

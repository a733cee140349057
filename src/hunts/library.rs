//! The hunt library: the built-in hunts (embedded in the binary), the user's hunts folder in
//! the config dir, and any `--hunts DIR`. A later source replaces a hunt with the same id;
//! a broken file is listed with its error and the others still load.

use std::path::{Path, PathBuf};

use super::file::{parse_kql, parse_yaml};
use super::{BrokenHunt, Hunt};

/// The built-in hunts: (file name, text).
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "01-outbound-port-probing.yaml",
        include_str!("../../hunts/01-outbound-port-probing.yaml"),
    ),
    (
        "02-rare-domain-volume.yaml",
        include_str!("../../hunts/02-rare-domain-volume.yaml"),
    ),
    (
        "03-denied-to-ti-addresses.yaml",
        include_str!("../../hunts/03-denied-to-ti-addresses.yaml"),
    ),
    (
        "04-endpoint-uncommon-ports.yaml",
        include_str!("../../hunts/04-endpoint-uncommon-ports.yaml"),
    ),
    (
        "05-large-outbound-transfers.yaml",
        include_str!("../../hunts/05-large-outbound-transfers.yaml"),
    ),
    (
        "06-dns-ti-domains.yaml",
        include_str!("../../hunts/06-dns-ti-domains.yaml"),
    ),
    (
        "07-new-external-addresses.yaml",
        include_str!("../../hunts/07-new-external-addresses.yaml"),
    ),
    (
        "08-server-rare-destinations-defender.yaml",
        include_str!("../../hunts/08-server-rare-destinations-defender.yaml"),
    ),
    (
        "09-server-rare-destinations-sysmon.yaml",
        include_str!("../../hunts/09-server-rare-destinations-sysmon.yaml"),
    ),
    (
        "10-port-usage-above-watchlist-threshold.yaml",
        include_str!("../../hunts/10-port-usage-above-watchlist-threshold.yaml"),
    ),
    (
        "11-internal-port-sweeps.yaml",
        include_str!("../../hunts/11-internal-port-sweeps.yaml"),
    ),
];

/// Every hunt that loaded, and every file that did not.
#[derive(Debug, Clone, Default)]
pub struct Library {
    /// Loaded hunts, in source order.
    pub hunts: Vec<Hunt>,
    /// Files with errors.
    pub broken: Vec<BrokenHunt>,
}

/// The user's hunts folder: `<config dir>/hunts`.
pub fn user_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "quarry").map(|d| d.config_dir().join("hunts"))
}

impl Library {
    /// Loads the built-in hunts, then the user's folder, then each of `extra`.
    pub fn load(extra: &[PathBuf]) -> Library {
        let mut lib = Library::default();
        for (name, text) in BUILT_IN {
            lib.add(parse_file(&format!("built-in/{name}"), name, text));
        }
        if let Some(dir) = user_dir() {
            if dir.is_dir() {
                lib.add_dir(&dir);
            }
        }
        for dir in extra {
            lib.add_dir(dir);
        }
        lib
    }

    /// Adds the `.yaml`, `.yml` and `.kql` files of a folder (or one file), sorted by name.
    pub fn add_dir(&mut self, dir: &Path) {
        let mut files: Vec<PathBuf> = if dir.is_file() {
            vec![dir.to_path_buf()]
        } else {
            match std::fs::read_dir(dir) {
                Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
                Err(e) => {
                    self.broken.push(BrokenHunt {
                        origin: dir.display().to_string(),
                        line: 1,
                        column: 1,
                        message: format!("cannot read the folder: {e}"),
                    });
                    return;
                }
            }
        };
        files.sort();
        for path in files {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !(name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".kql")) {
                continue;
            }
            let origin = path.display().to_string();
            let parsed = match std::fs::read_to_string(&path) {
                Ok(text) => parse_file(&origin, name, &text),
                Err(e) => Err(BrokenHunt {
                    origin,
                    line: 1,
                    column: 1,
                    message: format!("cannot read the file: {e}"),
                }),
            };
            self.add(parsed);
        }
    }

    fn add(&mut self, parsed: Result<Hunt, BrokenHunt>) {
        match parsed {
            Ok(h) => {
                self.hunts.retain(|o| o.id != h.id);
                self.hunts.push(h);
            }
            Err(b) => self.broken.push(b),
        }
    }

    /// The hunt with this id, or whose id starts with it, or whose file name starts with it.
    pub fn find(&self, key: &str) -> Option<&Hunt> {
        self.hunts.iter().find(|h| h.id == key).or_else(|| {
            self.hunts.iter().find(|h| {
                let file = h.origin.rsplit('/').next().unwrap_or_default();
                h.id.starts_with(key) || file.starts_with(key)
            })
        })
    }
}

/// Parses one file by its extension.
fn parse_file(origin: &str, name: &str, text: &str) -> Result<Hunt, BrokenHunt> {
    if let Some(stem) = name.strip_suffix(".kql") {
        parse_kql(origin, stem, text)
    } else {
        parse_yaml(origin, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_hunts_is_built_in_and_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("hunts");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let listed: Vec<String> = BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(on_disk, listed);
        let lib = Library::load(&[]);
        assert!(lib.broken.is_empty(), "{:?}", lib.broken);
        assert!(lib.hunts.len() >= BUILT_IN.len());
        assert!(lib.find("01-outbound").is_some());
    }
}

//! Expands the paths of a load (files, folders, glob patterns) into the files to load and
//! the role each plays (log, watchlist, threat intelligence, externaldata).

use std::path::{Component, Path, PathBuf};

use super::IngestError;

/// What a file is loaded as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A log or export: the format is detected from the content.
    Auto,
    /// A watchlist CSV under a `watchlists/` folder.
    Watchlist,
    /// Threat intelligence under a `ti/` folder.
    Ti,
    /// A file under an `externaldata/` folder, copied to the case's externaldata folder at
    /// this relative path.
    ExternalData(PathBuf),
}

/// One file to load.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file.
    pub path: PathBuf,
    /// What it is loaded as.
    pub role: Role,
    /// Named on the command line (an unrecognised one is an error, not a skip).
    pub explicit: bool,
}

/// Expands the given paths in order; folders recursively (sorted), globs by pattern.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Entry>, IngestError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk_dir(p, p, &mut out)?;
        } else if p.is_file() {
            out.push(Entry {
                path: p.clone(),
                role: role_of(p.parent().unwrap_or(Path::new("")), p),
                explicit: true,
            });
        } else if is_glob(p) {
            let pattern = p.to_string_lossy();
            let matches = glob::glob(&pattern)
                .map_err(|e| IngestError::Invalid(format!("{pattern}: {e}")))?;
            let mut found = false;
            for m in matches.flatten() {
                found = true;
                if m.is_dir() {
                    walk_dir(&m, &m, &mut out)?;
                } else if m.is_file() {
                    out.push(Entry {
                        role: role_of(m.parent().unwrap_or(Path::new("")), &m),
                        path: m,
                        explicit: false,
                    });
                }
            }
            if !found {
                return Err(IngestError::NotFound(p.clone()));
            }
        } else {
            return Err(IngestError::NotFound(p.clone()));
        }
    }
    Ok(out)
}

fn is_glob(p: &Path) -> bool {
    p.to_string_lossy().contains(['*', '?', '['])
}

fn walk_dir(root: &Path, dir: &Path, out: &mut Vec<Entry>) -> Result<(), IngestError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IngestError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk_dir(root, &p, out)?;
        } else if p.is_file() {
            out.push(Entry {
                role: role_of(root, &p),
                path: p,
                explicit: false,
            });
        }
    }
    Ok(())
}

/// The role of `file` from the folders between `root` and it (or its parent folder).
fn role_of(root: &Path, file: &Path) -> Role {
    let rel = file.strip_prefix(root).unwrap_or(file);
    let mut dirs: Vec<String> = rel
        .parent()
        .map(|p| {
            p.components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().to_lowercase()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if dirs.is_empty() {
        // A file named directly: its own folder decides.
        if let Some(parent) = root.file_name() {
            dirs.push(parent.to_string_lossy().to_lowercase());
        }
    }
    if let Some(i) = dirs.iter().position(|d| d == "externaldata") {
        let inner: PathBuf = rel.components().skip(i + 1).collect();
        let inner = if inner.as_os_str().is_empty() {
            PathBuf::from(file.file_name().unwrap_or_default())
        } else {
            inner
        };
        return Role::ExternalData(inner);
    }
    if dirs.iter().any(|d| d == "watchlists") {
        return Role::Watchlist;
    }
    if dirs.iter().any(|d| d == "ti") {
        return Role::Ti;
    }
    Role::Auto
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_folders() {
        let root = Path::new("/s");
        assert_eq!(role_of(root, Path::new("/s/zeek/conn.log")), Role::Auto);
        assert_eq!(
            role_of(root, Path::new("/s/watchlists/A.csv")),
            Role::Watchlist
        );
        assert_eq!(role_of(root, Path::new("/s/ti/x.csv")), Role::Ti);
        assert_eq!(
            role_of(root, Path::new("/s/externaldata/top-1m.csv.zip")),
            Role::ExternalData(PathBuf::from("top-1m.csv.zip"))
        );
        assert_eq!(
            role_of(Path::new("/s/watchlists"), Path::new("/s/watchlists/A.csv")),
            Role::Watchlist
        );
        assert_eq!(role_of(root, Path::new("/s/expected.json")), Role::Auto);
    }
}

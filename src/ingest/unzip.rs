//! Extracts the files of a zip archive (stored or deflated entries), for `externaldata`
//! archives such as a zipped top-1M domain list: DuckDB cannot read inside zip files.

use std::io::Read;
use std::path::{Path, PathBuf};

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// The entries of a zip archive as (file name, contents); directories are left out.
pub fn entries(zip: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let bad = || "not a readable zip archive".to_string();
    let eocd = (0..zip.len().saturating_sub(21))
        .rev()
        .find(|&i| zip[i..].starts_with(&[0x50, 0x4b, 0x05, 0x06]))
        .ok_or_else(bad)?;
    let count = u16_at(zip, eocd + 10).ok_or_else(bad)?;
    let mut at = u32_at(zip, eocd + 16).ok_or_else(bad)?;
    let mut out = Vec::new();
    for _ in 0..count {
        if !zip
            .get(at..)
            .is_some_and(|r| r.starts_with(&[0x50, 0x4b, 0x01, 0x02]))
        {
            return Err(bad());
        }
        let method = u16_at(zip, at + 10).ok_or_else(bad)?;
        let size = u32_at(zip, at + 20).ok_or_else(bad)?;
        let name_len = u16_at(zip, at + 28).ok_or_else(bad)?;
        let extra_len = u16_at(zip, at + 30).ok_or_else(bad)?;
        let comment_len = u16_at(zip, at + 32).ok_or_else(bad)?;
        let local = u32_at(zip, at + 42).ok_or_else(bad)?;
        let name = zip.get(at + 46..at + 46 + name_len).ok_or_else(bad)?;
        let name = String::from_utf8_lossy(name).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if name.ends_with('/') {
            continue;
        }
        let data_at = local
            + 30
            + u16_at(zip, local + 26).ok_or_else(bad)?
            + u16_at(zip, local + 28).ok_or_else(bad)?;
        let data = zip.get(data_at..data_at + size).ok_or_else(bad)?;
        let contents = match method {
            0 => data.to_vec(),
            8 => {
                let mut v = Vec::new();
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut v)
                    .map_err(|e| format!("{name}: {e}"))?;
                v
            }
            m => {
                return Err(format!(
                    "{name}: zip compression method {m} is not supported"
                ))
            }
        };
        out.push((name, contents));
    }
    Ok(out)
}

/// Extracts `zip` into `<zip>.d/` (replacing an earlier extraction); returns that folder.
pub fn extract_beside(zip: &Path) -> Result<PathBuf, String> {
    let bytes = std::fs::read(zip).map_err(|e| e.to_string())?;
    let files = entries(&bytes)?;
    let mut dir = zip.as_os_str().to_owned();
    dir.push(".d");
    let dir = PathBuf::from(dir);
    let mut staging = dir.as_os_str().to_owned();
    staging.push(".partial");
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    for (name, contents) in files {
        // Flatten paths: only the file name is kept, so an entry cannot escape the folder.
        let Some(file) = Path::new(&name).file_name() else {
            continue;
        };
        std::fs::write(staging.join(file), contents).map_err(|e| e.to_string())?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&staging, &dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-entry stored zip, built by hand.
    fn stored_zip(name: &str, body: &[u8]) -> Vec<u8> {
        let crc = {
            let mut c = flate2::Crc::new();
            c.update(body);
            c.sum()
        };
        let mut z = Vec::new();
        let mut local = vec![0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        local.extend(crc.to_le_bytes());
        local.extend((body.len() as u32).to_le_bytes());
        local.extend((body.len() as u32).to_le_bytes());
        local.extend((name.len() as u16).to_le_bytes());
        local.extend(0u16.to_le_bytes());
        z.extend(&local);
        z.extend(name.as_bytes());
        z.extend(body);
        let cd_at = z.len();
        let mut cd = vec![0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        cd.extend(crc.to_le_bytes());
        cd.extend((body.len() as u32).to_le_bytes());
        cd.extend((body.len() as u32).to_le_bytes());
        cd.extend((name.len() as u16).to_le_bytes());
        cd.extend([0u8; 12]);
        cd.extend(0u32.to_le_bytes());
        z.extend(&cd);
        z.extend(name.as_bytes());
        let cd_len = z.len() - cd_at;
        z.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend((cd_len as u32).to_le_bytes());
        z.extend((cd_at as u32).to_le_bytes());
        z.extend(0u16.to_le_bytes());
        z
    }

    #[test]
    fn reads_a_stored_entry() {
        let z = stored_zip("top-1m.csv", b"1,example.com\n");
        let e = entries(&z).unwrap();
        assert_eq!(
            e,
            vec![("top-1m.csv".to_string(), b"1,example.com\n".to_vec())]
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(entries(b"not a zip at all, just text").is_err());
        let mut z = stored_zip("a.csv", b"x");
        z.truncate(z.len() - 5);
        assert!(entries(&z).is_err());
    }
}

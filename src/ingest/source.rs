//! One input file: its content hash, its first bytes (after gunzip and BOM) for sniffing,
//! and a plain-text path DuckDB's readers can open.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::IngestError;

/// How many decoded bytes are kept for sniffing.
const HEAD: usize = 64 * 1024;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An input file, hashed and sniffed.
pub struct SourceFile {
    /// The file as named by the user.
    pub path: PathBuf,
    /// sha256 of the decoded content (after gunzip), hex.
    pub sha256: String,
    /// Size on disk in bytes.
    pub size: u64,
    /// The file is gzip-compressed.
    pub gzip: bool,
    /// The decoded text starts with a UTF-8 byte-order mark.
    pub bom: bool,
    /// The text is UTF-16 (by its byte-order mark) and is transcoded to UTF-8.
    pub utf16: Option<&'static encoding_rs::Encoding>,
    /// The first decoded bytes as UTF-8, BOM removed.
    pub head: Vec<u8>,
    plain: Option<TempFile>,
}

impl SourceFile {
    /// Hashes and sniffs `path`. The hash is over the decoded content, so a log and its
    /// gzip copy count as the same source.
    pub fn open(path: &Path) -> Result<SourceFile, IngestError> {
        let io = |e| IngestError::io(path, e);
        let size = std::fs::metadata(path).map_err(io)?.len();
        let mut magic = [0u8; 2];
        let n = File::open(path).map_err(io)?.read(&mut magic).map_err(io)?;
        let gzip = n == 2 && magic == [0x1f, 0x8b];
        let mut reader = open_decoded(path, gzip)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut head = Vec::with_capacity(HEAD);
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| IngestError::Invalid(format!("{}: {e}", path.display())))?;
            if n == 0 {
                break;
            }
            if head.len() < HEAD {
                let take = n.min(HEAD - head.len());
                head.extend_from_slice(&buf[..take]);
            }
            hasher.update(&buf[..n]);
        }
        let sha256 = hex(&hasher.finalize());
        let utf16 = if head.starts_with(b"\xFF\xFE") {
            Some(encoding_rs::UTF_16LE)
        } else if head.starts_with(b"\xFE\xFF") {
            Some(encoding_rs::UTF_16BE)
        } else {
            None
        };
        if let Some(enc) = utf16 {
            let (text, _) = enc.decode_with_bom_removal(&head);
            head = text.into_owned().into_bytes();
        }
        let bom = head.starts_with(BOM);
        if bom {
            head.drain(..BOM.len());
        }
        Ok(SourceFile {
            path: path.to_path_buf(),
            sha256,
            size,
            gzip,
            bom: bom && utf16.is_none(),
            utf16,
            head,
            plain: None,
        })
    }

    /// The decoded text as a stream (gunzipped, BOM removed).
    pub fn reader(&self) -> Result<Box<dyn Read>, IngestError> {
        let mut r = open_decoded(&self.path, self.gzip)?;
        if let Some(enc) = self.utf16 {
            // UTF-16 exports are transcoded whole; they are small in practice.
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes)
                .map_err(|e| IngestError::Invalid(format!("{}: {e}", self.path.display())))?;
            let (text, _) = enc.decode_with_bom_removal(&bytes);
            return Ok(Box::new(std::io::Cursor::new(
                text.into_owned().into_bytes(),
            )));
        }
        if self.bom {
            let mut skip = [0u8; 3];
            r.read_exact(&mut skip)
                .map_err(|e| IngestError::io(&self.path, e))?;
        }
        Ok(r)
    }

    /// A path holding the decoded text: the file itself when it is plain, else a temporary
    /// decoded copy (deleted when this value is dropped).
    pub fn plain_path(&mut self) -> Result<PathBuf, IngestError> {
        // DuckDB's readers expand * ? [ in paths, so such names are read through a copy.
        let globby = self.path.to_string_lossy().contains(['*', '?', '[']);
        if !self.gzip && !self.bom && self.utf16.is_none() && !globby {
            return Ok(self.path.clone());
        }
        if let Some(t) = &self.plain {
            return Ok(t.0.clone());
        }
        let temp = TempFile::new("txt");
        let mut out = std::io::BufWriter::new(
            File::create(&temp.0).map_err(|e| IngestError::io(&temp.0, e))?,
        );
        let mut reader = self.reader()?;
        std::io::copy(&mut reader, &mut out)
            .map_err(|e| IngestError::Invalid(format!("{}: {e}", self.path.display())))?;
        out.flush().map_err(|e| IngestError::io(&temp.0, e))?;
        let p = temp.0.clone();
        self.plain = Some(temp);
        Ok(p)
    }

    /// The decoded head as text (lossy).
    pub fn head_text(&self) -> String {
        String::from_utf8_lossy(&self.head).into_owned()
    }

    /// The path as text (as given), for messages.
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }

    /// The absolute path as text, recorded in quarry_sources and quarry_rejects.
    pub fn absolute(&self) -> String {
        std::fs::canonicalize(&self.path)
            .unwrap_or_else(|_| self.path.clone())
            .display()
            .to_string()
    }
}

fn open_decoded(path: &Path, gzip: bool) -> Result<Box<dyn Read>, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let buffered = BufReader::with_capacity(1 << 20, file);
    Ok(if gzip {
        Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A temporary file removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// A fresh, not yet created path in the system temp folder.
    pub fn new(ext: &str) -> TempFile {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "quarry-ingest-{}-{n}-{nanos}.{ext}",
            std::process::id()
        ));
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

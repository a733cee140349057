//! One input file: its content hash, its first bytes (after gunzip and BOM) for sniffing,
//! and a plain-text path DuckDB's readers can open.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::readahead::ReadAhead;
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
    /// The text is not UTF-8 and is transcoded: UTF-16 (by its byte-order mark), or
    /// Windows-1252 (Latin-1) when it is not valid UTF-8 and holds no UTF-8 character at all.
    pub encoding: Option<&'static encoding_rs::Encoding>,
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
        let reader = open_decoded(path, gzip)?;
        let (sha256, mut head, utf8) = scan(reader, path)?;
        let encoding = if head.starts_with(b"\xFF\xFE") {
            Some(encoding_rs::UTF_16LE)
        } else if head.starts_with(b"\xFE\xFF") {
            Some(encoding_rs::UTF_16BE)
        } else if utf8.is_legacy() && !head.contains(&0) && !head.starts_with(b"PAR1") {
            // Text that is not UTF-8; binary files (Parquet, NULs) are left as they are.
            Some(encoding_rs::WINDOWS_1252)
        } else {
            None
        };
        if let Some(enc) = encoding {
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
            bom: bom && encoding.is_none(),
            encoding,
            head,
            plain: None,
        })
    }

    /// The decoded text as a stream (gunzipped, BOM removed).
    pub fn reader(&self) -> Result<Box<dyn Read + Send>, IngestError> {
        let mut r = open_decoded(&self.path, self.gzip)?;
        if let Some(enc) = self.encoding {
            // UTF-16 and Latin-1 exports are transcoded whole; they are small in practice.
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
        if !self.gzip && !self.bom && self.encoding.is_none() && !self.globby() {
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

    /// A path DuckDB's CSV reader can read: [`SourceFile::plain_path`], except that a file
    /// whose only difference from plain text is a UTF-8 byte-order mark is read in place
    /// (every delimited reader skips its first line, where the mark is, and DuckDB's
    /// reader drops the mark itself).
    pub fn csv_path(&mut self) -> Result<PathBuf, IngestError> {
        if self.bom && !self.gzip && !self.globby() {
            return Ok(self.path.clone());
        }
        self.plain_path()
    }

    fn globby(&self) -> bool {
        // DuckDB's readers expand * ? [ in paths, so such names are read through a copy.
        self.path.to_string_lossy().contains(['*', '?', '['])
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

/// Reads a decoded stream once: its SHA-256 (hex), its first bytes and its UTF-8 census. The
/// stream is read (and gunzipped) on a second thread while this one hashes.
fn scan(
    reader: Box<dyn Read + Send>,
    path: &Path,
) -> Result<(String, Vec<u8>, Utf8Census), IngestError> {
    let mut chunks = ReadAhead::new(reader);
    let mut head = Vec::with_capacity(HEAD);
    let mut utf8 = Utf8Census::default();
    let mut hasher = Sha256::new();
    loop {
        let chunk = chunks
            .fill_buf()
            .map_err(|e| IngestError::Invalid(format!("{}: {e}", path.display())))?;
        if chunk.is_empty() {
            break;
        }
        if head.len() < HEAD {
            head.extend_from_slice(&chunk[..chunk.len().min(HEAD - head.len())]);
        }
        utf8.add(chunk);
        hasher.update(chunk);
        let n = chunk.len();
        chunks.consume(n);
    }
    Ok((hex(&hasher.finalize()), head, utf8))
}

fn open_decoded(path: &Path, gzip: bool) -> Result<Box<dyn Read + Send>, IngestError> {
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

/// Counts, over a stream, the bytes that are not valid UTF-8, and the stretches of valid
/// UTF-8 holding characters beyond ASCII.
#[derive(Default)]
struct Utf8Census {
    /// An incomplete character at the end of the last chunk.
    carry: Vec<u8>,
    invalid: u64,
    multibyte: u64,
}

impl Utf8Census {
    fn add(&mut self, chunk: &[u8]) {
        if self.multibyte > 0 {
            // Real UTF-8 was seen: the text stays UTF-8 whatever else comes.
            return;
        }
        let joined;
        let mut rest: &[u8] = if self.carry.is_empty() {
            chunk
        } else {
            joined = [std::mem::take(&mut self.carry).as_slice(), chunk].concat();
            &joined
        };
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.multibyte += non_ascii(text.as_bytes());
                    return;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    self.multibyte += non_ascii(good);
                    match e.error_len() {
                        Some(n) => {
                            self.invalid += 1;
                            rest = &bad[n..];
                        }
                        None => {
                            self.carry = bad.to_vec();
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Not UTF-8: invalid bytes and not one UTF-8 character beyond ASCII.
    fn is_legacy(&self) -> bool {
        (self.invalid > 0 || !self.carry.is_empty()) && self.multibyte == 0
    }
}

/// 1 when the bytes hold one beyond ASCII (in valid UTF-8, a multi-byte character), else 0.
/// Only whether any was seen matters, and `is_ascii` checks a word at a time.
fn non_ascii(bytes: &[u8]) -> u64 {
    u64::from(!bytes.is_ascii())
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

#[cfg(test)]
mod tests {
    use super::Utf8Census;

    fn census(chunks: &[&[u8]]) -> Utf8Census {
        let mut c = Utf8Census::default();
        for chunk in chunks {
            c.add(chunk);
        }
        c
    }

    #[test]
    fn latin1_is_legacy_and_utf8_is_not_even_across_chunks() {
        assert!(census(&[b"caf\xE9 cr\xE8me"]).is_legacy());
        assert!(!census(&[b"plain ascii"]).is_legacy());
        // "é" split between two chunks is still UTF-8.
        assert!(!census(&[b"caf\xC3", b"\xA9 and a stray \xE9"]).is_legacy());
        assert!(!census(&[b"caf\xC3\xA9"]).is_legacy());
        assert!(census(&[b"ends in a broken \xC3"]).is_legacy());
    }
}

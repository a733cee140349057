//! A stream read on its own thread: decompressing a gzip file runs beside the work that
//! consumes it (hashing it before a load, parsing its lines), on the second core.

use std::io::{BufRead, Read};

use crossbeam_channel::{bounded, Receiver, Sender};

/// Bytes handed over per chunk.
const CHUNK: usize = 1 << 20;

/// A [`BufRead`] over chunks that a reading thread fills ahead of the consumer; spent chunks
/// go back to the thread to be filled again. The thread stops at the end of the stream, at
/// an error (handed over after the bytes read before it), or when this reader is dropped.
pub struct ReadAhead {
    chunks: Receiver<std::io::Result<Vec<u8>>>,
    spent: Sender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl ReadAhead {
    /// Starts reading `inner` on a new thread.
    pub fn new(mut inner: Box<dyn Read + Send>) -> ReadAhead {
        let (tx, chunks) = bounded(3);
        let (spent, reuse) = bounded::<Vec<u8>>(4);
        std::thread::spawn(move || loop {
            let mut chunk = reuse.try_recv().unwrap_or_default();
            chunk.clear();
            // `read_to_end` keeps the bytes read before an error.
            let outcome = (&mut inner).take(CHUNK as u64).read_to_end(&mut chunk);
            let last = !matches!(outcome, Ok(n) if n == CHUNK);
            if !chunk.is_empty() && tx.send(Ok(chunk)).is_err() {
                return;
            }
            if let Err(e) = outcome {
                let _ = tx.send(Err(e));
            }
            if last {
                return;
            }
        });
        ReadAhead {
            chunks,
            spent,
            current: Vec::new(),
            at: 0,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at == self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    let spent = std::mem::replace(&mut self.current, chunk);
                    // A full return channel or a finished thread: the chunk is dropped.
                    let _ = self.spent.try_send(spent);
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The thread is done: the end of the stream.
                Err(_) => {
                    self.current.clear();
                    self.at = 0;
                }
            }
        }
        Ok(&self.current[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.current.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that gives `len` bytes a few at a time, then an error when `fail`.
    struct Trickle {
        left: usize,
        fail: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return if self.fail {
                    Err(std::io::Error::other("disk gone"))
                } else {
                    Ok(0)
                };
            }
            let n = out.len().min(self.left).min(7000);
            out[..n].fill(b'x');
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn every_byte_arrives_in_order_then_the_end() {
        let lines: Vec<u8> = (0..300_000)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let mut r = ReadAhead::new(Box::new(std::io::Cursor::new(lines.clone())));
        let mut back = Vec::new();
        let mut line = Vec::new();
        while r.read_until(b'\n', &mut line).unwrap() > 0 {
            back.extend_from_slice(&line);
            line.clear();
        }
        assert_eq!(back, lines);
        assert_eq!(r.fill_buf().unwrap().len(), 0);
    }

    #[test]
    fn an_error_comes_after_the_bytes_read_before_it() {
        let mut r = ReadAhead::new(Box::new(Trickle {
            left: 3 * CHUNK + 5,
            fail: true,
        }));
        let mut all = Vec::new();
        let e = r.read_to_end(&mut all).unwrap_err();
        assert_eq!(e.to_string(), "disk gone");
        assert_eq!(all.len(), 3 * CHUNK + 5);
        let mut clean = ReadAhead::new(Box::new(Trickle {
            left: CHUNK,
            fail: false,
        }));
        let mut all = Vec::new();
        assert_eq!(clean.read_to_end(&mut all).unwrap(), CHUNK);
    }
}

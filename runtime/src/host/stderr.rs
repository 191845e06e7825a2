//! The tail of what a component wrote to stderr during its current call, kept by the host
//! whether or not stderr reaches the terminal, so a trap's error can say what the component
//! said last (a Rust panic message, a Python traceback, a JavaScript exception).
//!
//! The last [`STDERR_TAIL`] bytes are kept; the tail is cleared at the start of each call.
//! When stderr is granted, everything is also forwarded to the real destination.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use std::io::Write;

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// Bytes of stderr kept per call.
pub const STDERR_TAIL: usize = 1024;

/// A component's stderr: a bounded tail, plus where the output is forwarded (if granted).
#[derive(Clone, Default)]
pub struct StderrTail {
    tail: Arc<Mutex<VecDeque<u8>>>,
    forward: Option<Forward>,
}

/// Where granted stderr goes besides the tail.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Forward {
    /// The host process's stderr.
    Terminal,
    /// A memory pipe (tests, embedders capturing output).
    Pipe(MemoryOutputPipe),
}

impl std::fmt::Debug for StderrTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StderrTail").field("forwarded", &self.forward.is_some()).finish_non_exhaustive()
    }
}

impl StderrTail {
    /// A tail that also forwards to `forward`.
    pub fn new(forward: Option<Forward>) -> Self {
        StderrTail { tail: Arc::default(), forward }
    }

    /// Forgets what earlier calls wrote.
    pub fn clear(&self) {
        self.tail.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// What this call wrote last, as text (lossy UTF-8, trimmed); `None` when nothing.
    pub fn text(&self) -> Option<String> {
        let tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        let (a, b) = tail.as_slices();
        let text = String::from_utf8_lossy(&[a, b].concat()).trim().to_owned();
        (!text.is_empty()).then_some(text)
    }

    fn keep(&self, bytes: &[u8]) {
        let mut tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = &bytes[bytes.len().saturating_sub(STDERR_TAIL)..];
        let overflow = (tail.len() + bytes.len()).saturating_sub(STDERR_TAIL);
        tail.drain(..overflow);
        tail.extend(bytes);
    }
}

impl IsTerminal for StderrTail {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for StderrTail {
    /// A stream that writes through at once (no worker task), so a component called
    /// synchronously (`host/sync_io.rs`) never waits on it.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        let forward = match &self.forward {
            Some(Forward::Pipe(pipe)) => Some(pipe.clone()),
            Some(Forward::Terminal) | None => None,
        };
        let terminal = matches!(self.forward, Some(Forward::Terminal));
        Box::new(TailStream { tail: self.clone(), pipe: forward, terminal })
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        let inner: Option<Pin<Box<dyn AsyncWrite + Send + Sync>>> = match &self.forward {
            None => None,
            Some(Forward::Terminal) => Some(Box::pin(tokio::io::stderr())),
            Some(Forward::Pipe(pipe)) => Some(Box::pin(pipe.clone())),
        };
        Box::new(TailWriter { tail: self.clone(), inner })
    }
}

/// One WASI p2 stream onto a [`StderrTail`], writing through synchronously.
struct TailStream {
    tail: StderrTail,
    pipe: Option<MemoryOutputPipe>,
    terminal: bool,
}

#[wasmtime_wasi::async_trait]
impl Pollable for TailStream {
    async fn ready(&mut self) {}
}

impl OutputStream for TailStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        if let Some(pipe) = &mut self.pipe {
            pipe.write(bytes.clone())?;
        } else if self.terminal {
            // Like wasmtime-wasi's own stdio streams: a direct write to the process's stderr.
            std::io::stderr().write_all(&bytes).map_err(|e| StreamError::LastOperationFailed(e.into()))?;
        }
        self.tail.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        match &mut self.pipe {
            Some(pipe) => pipe.check_write(),
            None => Ok(64 * 1024),
        }
    }
}

/// One stream onto a [`StderrTail`].
struct TailWriter {
    tail: StderrTail,
    inner: Option<Pin<Box<dyn AsyncWrite + Send + Sync>>>,
}

impl AsyncWrite for TailWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = match &mut self.inner {
            Some(inner) => match inner.as_mut().poll_write(cx, buf) {
                Poll::Ready(Ok(n)) => n,
                other => return other,
            },
            None => buf.len(),
        };
        self.tail.keep(&buf[..written]);
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.inner {
            Some(inner) => inner.as_mut().poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.inner {
            Some(inner) => inner.as_mut().poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{STDERR_TAIL, StderrTail};

    #[test]
    fn keeps_the_last_bytes_of_the_call() {
        let tail = StderrTail::new(None);
        assert_eq!(tail.text(), None);
        tail.keep(&vec![b'a'; 3000]);
        tail.keep(b"\npanicked at src/lib.rs: boom\n");
        let text = tail.text().expect("text");
        assert!(text.ends_with("panicked at src/lib.rs: boom"), "{text}");
        assert!(text.len() <= STDERR_TAIL);
        tail.clear();
        assert_eq!(tail.text(), None);
    }
}

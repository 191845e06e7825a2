//! Admission control: how many accepted signals (and bytes) may be unfinished at once.
//! Beyond either bound ingress answers 503 with `Retry-After`, so memory stays bounded
//! however fast producers push.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts accepted, unfinished signals and their bytes.
#[derive(Debug)]
pub struct Admission {
    count: AtomicUsize,
    bytes: AtomicUsize,
    max_count: usize,
    max_bytes: usize,
}

impl Admission {
    /// Bounds of `max_count` signals and `max_bytes` bytes.
    pub fn new(max_count: usize, max_bytes: usize) -> Self {
        Admission { count: AtomicUsize::new(0), bytes: AtomicUsize::new(0), max_count, max_bytes }
    }

    /// Admits `count` signals of `bytes` bytes, or refuses them all.
    pub fn try_admit(&self, count: usize, bytes: usize) -> bool {
        let before = self.count.fetch_add(count, Ordering::AcqRel);
        let before_bytes = self.bytes.fetch_add(bytes, Ordering::AcqRel);
        // A lone request larger than the byte bound is still admitted into an idle daemon.
        let over =
            before + count > self.max_count || (before_bytes > 0 && before_bytes + bytes > self.max_bytes);
        if over {
            self.release(count, bytes);
        }
        !over
    }

    /// Counts signals that are already stored (redelivered at start-up), whatever the bounds.
    pub fn force_admit(&self, count: usize, bytes: usize) {
        self.count.fetch_add(count, Ordering::AcqRel);
        self.bytes.fetch_add(bytes, Ordering::AcqRel);
    }

    /// `count` signals of `bytes` bytes are finished (or were never stored).
    pub fn release(&self, count: usize, bytes: usize) {
        self.count.fetch_sub(count, Ordering::AcqRel);
        self.bytes.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// Signals accepted and not yet finished.
    pub fn pending(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }
}

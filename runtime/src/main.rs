//! The `jido-dispatch` command-line tool.
//!
//! Its memory: Rust allocations go to mimalloc; SQLite (bundled, C) allocates from glibc's
//! malloc whatever Rust uses, so glibc is told to keep the memory it frees (see
//! [`keep_freed_memory`]). Measured in BENCHMARKS.md ("The daemon's allocator").

mod cli;

/// The binary's allocator for Rust allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// glibc returns the free top of a thread's heap to the kernel as soon as it passes its
/// trim threshold (dynamic, from 128 KiB). The store's writer thread, through SQLite,
/// allocated and freed past it in every transaction, so each commit paid for a `madvise`
/// and for the TLB flush that it forces on every core the process runs on: a tenth of the
/// daemon's time under single-event ingress. A fixed threshold of 256 MiB keeps that memory
/// in the process for reuse (with mimalloc, peak RSS under that load went from 30 to 48 MiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    const TRIM_THRESHOLD: libc::c_int = 256 << 20;
    // SAFETY: `mallopt` only sets a tunable of glibc's allocator, and it runs first thing
    // in `main`, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    cli::main()
}

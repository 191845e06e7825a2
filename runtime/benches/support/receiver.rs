//! A webhook receiver for benchmarks: answers after a delay, recording when each
//! `webhook-id` first arrived (included by the benches that need it with `#[path]`).
//!
//! Waiting for arrivals costs the measured run nothing per request: [`Count::wait_for`]
//! is woken once, when its goal is reached. (A `watch` channel woke the waiting thread at
//! every arrival, a futex wake and a context switch per request on a 2-core machine, which
//! showed in the lane rows' profile as ~1 in 6 of their kernel samples.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use tokio::sync::Notify;

/// When each `webhook-id` first arrived.
pub type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// How many distinct ids a receiver has seen, and a wait for a number of them.
#[derive(Debug, Default)]
pub struct Count {
    seen: AtomicUsize,
    goal: AtomicUsize,
    reached: Notify,
}

impl Count {
    /// Distinct ids seen so far.
    #[allow(dead_code, reason = "not every bench reads the count itself")]
    pub fn get(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }

    /// Waits until at least `goal` distinct ids have arrived (one waiter at a time).
    pub async fn wait_for(&self, goal: usize) {
        self.goal.store(goal, Ordering::SeqCst);
        loop {
            let reached = self.reached.notified();
            tokio::pin!(reached);
            reached.as_mut().enable();
            if self.seen.load(Ordering::SeqCst) >= goal {
                self.goal.store(usize::MAX, Ordering::SeqCst);
                return;
            }
            reached.await;
        }
    }

    fn arrived(&self, seen: usize) {
        self.seen.store(seen, Ordering::SeqCst);
        if seen >= self.goal.load(Ordering::SeqCst) {
            self.reached.notify_waiters();
        }
    }
}

/// Starts a receiver on 127.0.0.1 answering after `delay`; returns its port, the arrivals
/// and the count of distinct ids seen.
pub async fn receiver(delay: Duration) -> (u16, Arrivals, Arc<Count>) {
    let arrivals: Arrivals = Arc::default();
    let count = Arc::new(Count { goal: AtomicUsize::new(usize::MAX), ..Count::default() });
    let (seen, counter) = (arrivals.clone(), count.clone());
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let (seen, counter) = (seen.clone(), counter.clone());
        async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
                let mut seen = seen.lock().expect("arrivals");
                seen.entry(id.to_owned()).or_insert_with(Instant::now);
                counter.arrived(seen.len());
            }
            ""
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, arrivals, count)
}

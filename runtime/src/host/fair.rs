//! Instance permits shared fairly between an adapter's targets.
//!
//! An adapter has at most `max_instances` instances; a delivery holds one for its whole
//! call, HTTP wait included. With a first-come semaphore one busy target (16 deliveries in
//! flight against a slow receiver) can queue ahead of every other target. Here a freed
//! permit goes to the waiting target that holds the *fewest* permits (oldest first among
//! equals), so a target with nothing in flight is served next, whatever the others queue;
//! and the last eighth of the permits is kept for targets that hold none, so one busy target
//! (or a few) can never take every instance.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use super::instance::ByKey;

#[derive(Debug)]
struct Waiter {
    target: u64,
    order: u64,
    granted: oneshot::Sender<()>,
}

#[derive(Debug, Default)]
struct State {
    free: usize,
    /// Permits only a target holding none may take.
    reserve: usize,
    held: ByKey<usize>,
    waiters: Vec<Waiter>,
    next_order: u64,
}

impl State {
    fn take(&mut self, target: u64) {
        self.free -= 1;
        *self.held.entry(target).or_default() += 1;
    }

    fn give_back(&mut self, target: u64) {
        self.free += 1;
        if let Some(held) = self.held.get_mut(&target) {
            *held -= 1;
            if *held == 0 {
                self.held.remove(&target);
            }
        }
    }

    fn held(&self, target: u64) -> usize {
        self.held.get(&target).copied().unwrap_or(0)
    }

    /// Whether `target` may take a free permit now.
    fn may_take(&self, target: u64) -> bool {
        self.free > self.reserve || (self.free > 0 && self.held(target) == 0)
    }

    /// Hands free permits to waiters, fewest-held target first.
    fn grant(&mut self) {
        while self.free > 0 && !self.waiters.is_empty() {
            let held = &self.held;
            let Some(index) = (0..self.waiters.len()).min_by_key(|&i| {
                let w = &self.waiters[i];
                (held.get(&w.target).copied().unwrap_or(0), w.order)
            }) else {
                return;
            };
            if !self.may_take(self.waiters[index].target) {
                return;
            }
            let waiter = self.waiters.swap_remove(index);
            self.take(waiter.target);
            if waiter.granted.send(()).is_err() {
                // The waiter gave up before it was served.
                self.give_back(waiter.target);
            }
        }
    }
}

/// Permits for an adapter's instances, shared fairly between targets.
#[derive(Debug, Clone)]
pub struct FairPermits {
    state: Arc<Mutex<State>>,
}

/// One instance permit, held by a target until dropped.
#[derive(Debug)]
pub struct FairPermit {
    state: Arc<Mutex<State>>,
    target: u64,
}

impl Drop for FairPermit {
    fn drop(&mut self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.give_back(self.target);
        state.grant();
    }
}

/// A waiter's side. Dropped before its permit came (a timeout), it leaves the queue; a
/// permit granted after its future was dropped is given back.
struct Pending {
    state: Arc<Mutex<State>>,
    target: u64,
    order: u64,
    granted: oneshot::Receiver<()>,
    done: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if self.granted.try_recv().is_ok() {
            state.give_back(self.target);
        } else {
            state.waiters.retain(|w| w.order != self.order);
        }
        state.grant();
    }
}

impl FairPermits {
    /// `count` permits, the last eighth of them kept for targets that hold none.
    pub fn new(count: usize) -> Self {
        let state = State { free: count, reserve: count / 8, ..State::default() };
        FairPermits { state: Arc::new(Mutex::new(state)) }
    }

    /// A permit for `target`, waiting for one if none is free.
    pub async fn acquire(&self, target: u64) -> FairPermit {
        let granted = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.waiters.is_empty() && state.may_take(target) {
                state.take(target);
                return FairPermit { state: self.state.clone(), target };
            }
            let (sender, receiver) = oneshot::channel();
            let order = state.next_order;
            state.next_order += 1;
            state.waiters.push(Waiter { target, order, granted: sender });
            // Others may be waiting for permits they may not take (the reserve) while this
            // target may: serve the queue now.
            state.grant();
            (receiver, order)
        };
        let (granted, order) = granted;
        let mut pending = Pending { state: self.state.clone(), target, order, granted, done: false };
        // The sender is only dropped after a send: a receive error cannot happen while this
        // pool lives, and the permit is accounted for either way.
        let _ = (&mut pending.granted).await;
        pending.done = true;
        FairPermit { state: self.state.clone(), target }
    }

    /// Permits held by `target` now.
    #[cfg(test)]
    pub fn held_by(&self, target: u64) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).held.get(&target).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_freed_permit_goes_to_the_target_holding_fewest() {
        let permits = FairPermits::new(2);
        let a1 = permits.acquire(1).await;
        let a2 = permits.acquire(1).await;
        // Target 1 queues a third request before target 2 asks for its first.
        let busy = tokio::spawn({
            let permits = permits.clone();
            async move { permits.acquire(1).await }
        });
        tokio::task::yield_now().await;
        let idle = tokio::spawn({
            let permits = permits.clone();
            async move { permits.acquire(2).await }
        });
        tokio::task::yield_now().await;
        drop(a1);
        let served = idle.await.expect("joined");
        assert_eq!(permits.held_by(2), 1, "the idle target is served first");
        assert!(!busy.is_finished());
        drop(a2);
        let third = busy.await.expect("joined");
        assert_eq!(permits.held_by(1), 1);
        drop((served, third));
        assert_eq!(permits.held_by(1) + permits.held_by(2), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn one_busy_target_cannot_take_the_reserve() {
        let permits = FairPermits::new(8);
        let mut busy = Vec::new();
        for _ in 0..7 {
            busy.push(permits.acquire(1).await);
        }
        let more = tokio::time::timeout(std::time::Duration::from_millis(1), permits.acquire(1));
        assert!(more.await.is_err(), "the eighth permit is kept for another target");
        let other = permits.acquire(2).await;
        assert_eq!((permits.held_by(1), permits.held_by(2)), (7, 1));
        drop((busy, other));
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_that_gives_up_loses_no_permit() {
        let permits = FairPermits::new(1);
        let held = permits.acquire(1).await;
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(1), permits.acquire(2)).await;
        assert!(gave_up.is_err());
        drop(held);
        let again = permits.acquire(3).await;
        assert_eq!(permits.held_by(3), 1, "the permit came back");
        drop(again);
    }
}

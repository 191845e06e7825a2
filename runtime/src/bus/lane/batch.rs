//! A batching lane (`batch_size` with `batch_timeout`): groups up to `batch_size` signals,
//! or those that arrive within `batch_timeout` of the first, into one `deliver-batch` call.
//! Batches go out one at a time; the retries of a batch's failed signals go out as a batch
//! again ([`Target::deliver_batch_counted`](crate::Target)).

use std::sync::Arc;
use std::time::Duration;

use super::feed::Feed;
use super::{Item, LaneCtx};

/// Runs a batching lane until its feed closes.
pub(crate) async fn run(lane: Arc<LaneCtx>, mut feed: Feed, size: usize, timeout: Duration) {
    while let Some(first) = lane.next(&mut feed).await {
        lane.took(&first);
        let mut items = vec![first];
        let deadline = tokio::time::Instant::now() + timeout;
        while items.len() < size {
            match tokio::time::timeout_at(deadline, lane.next(&mut feed)).await {
                Ok(Some(item)) => {
                    lane.took(&item);
                    items.push(item);
                }
                Ok(None) | Err(_) => break,
            }
        }
        deliver(&lane, items).await;
    }
}

async fn deliver(lane: &LaneCtx, items: Vec<Item>) {
    let hops = items.iter().map(|item| item.hops).max().unwrap_or(0);
    let signals: Vec<_> = items.iter().map(|item| item.signal.clone()).collect();
    let outcomes = lane.target.deliver_batch_counted(&signals, hops).await;
    for (item, (outcome, attempts)) in items.into_iter().zip(outcomes) {
        lane.finish(item, outcome, attempts);
    }
}

//! `rate_limit`: a token bucket per lane. A delivery over the rate waits for its token (no
//! attempt is made and nothing fails); waiters are served in the order they asked.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::lane::RateLimit;

/// A token bucket on tokio's clock (so paused-clock tests drive it).
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    /// Tokens available (negative: reserved by waiters) as of `at`.
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter { limit, state: Mutex::new((f64::from(limit.burst), Instant::now())) }
    }

    /// Reserves one token; returns how long the caller must wait before using it.
    pub fn reserve(&self, now: Instant) -> Duration {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, at) = *state;
        let refill = now.saturating_duration_since(at).as_secs_f64() * self.limit.per_second;
        let tokens = (tokens + refill).min(f64::from(self.limit.burst)) - 1.0;
        *state = (tokens, now.max(at));
        if tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-tokens / self.limit.per_second) }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let start = Instant::now();
        let limiter = RateLimiter::new(RateLimit { per_second: 10.0, burst: 3 });
        for _ in 0..3 {
            assert_eq!(limiter.reserve(start), Duration::ZERO);
        }
        assert_eq!(limiter.reserve(start), Duration::from_millis(100));
        assert_eq!(limiter.reserve(start), Duration::from_millis(200));
        // A second later the bucket has refilled what the waiters took, plus the rest.
        let later = start + Duration::from_secs(1);
        assert_eq!(limiter.reserve(later), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_spaces_deliveries_at_the_rate() {
        let limiter = RateLimiter::new(RateLimit { per_second: 4.0, burst: 1 });
        let start = Instant::now();
        for _ in 0..9 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2), "one immediately, then eight at 4/s");
    }
}

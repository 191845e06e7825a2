//! The answers one delivery attempt's `http` requests got, noted by the host's `http` import
//! for the attempt log ([`AttemptRecord`](crate::telemetry::AttemptRecord)).

use std::sync::{Mutex, PoisonError};

/// Bytes of a response body an attempt record keeps.
pub const BODY_PREFIX: usize = 1024;

/// The answer an attempt's `http` requests got: the one to show (a failed one over a
/// successful one, else the last).
#[derive(Debug, Default)]
pub struct Observed(Mutex<Option<(u16, Vec<u8>)>>);

impl Observed {
    /// Notes an answer; a non-2xx answer is not replaced by a 2xx one.
    pub fn note(&self, status: u16, body: &[u8]) {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let failed = |s: u16| !(200..300).contains(&s);
        if held.as_ref().is_some_and(|(kept, _)| failed(*kept) && !failed(status)) {
            return;
        }
        *held = Some((status, body[..body.len().min(BODY_PREFIX)].to_vec()));
    }

    /// The answer noted, with its body prefix as text.
    pub fn take(&self) -> (Option<u16>, Option<String>) {
        match self.0.lock().unwrap_or_else(PoisonError::into_inner).take() {
            Some((status, body)) => (Some(status), Some(String::from_utf8_lossy(&body).into_owned())),
            None => (None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_answer_is_kept_over_a_later_success_and_bodies_are_cut() {
        let observed = Observed::default();
        observed.note(200, b"fine");
        observed.note(503, &vec![b'x'; 4000]);
        observed.note(204, b"");
        let (status, body) = observed.take();
        assert_eq!(status, Some(503));
        assert_eq!(body.map(|b| b.len()), Some(BODY_PREFIX));
        assert_eq!(observed.take(), (None, None));
    }

    #[test]
    fn the_last_answer_is_kept_when_all_succeeded() {
        let observed = Observed::default();
        observed.note(200, b"one");
        observed.note(202, b"two");
        assert_eq!(observed.take(), (Some(202), Some("two".to_owned())));
    }
}

//! The answers one delivery has already had, kept across its retries.
//!
//! A delivery that sends several requests (webhook `urls`) and fails because one of them
//! failed retryably is retried as a whole; the requests whose answer was final (a 2xx, or a
//! status that is not retried) are not sent again: the memo hands the component the answer
//! it had. Requests are told apart by method, URL and a digest of the body.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::{Mutex, PoisonError};

/// Final answers by request.
#[derive(Debug, Default)]
pub struct ResponseMemo {
    answers: Mutex<HashMap<RequestKey, MemoAnswer>>,
}

/// A final answer as the memo keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoAnswer {
    /// Status code.
    pub status: u16,
    /// Headers, as the component saw them.
    pub headers: Vec<(String, String)>,
    /// Body, as the component saw it (already cut to the cap).
    pub body: Vec<u8>,
}

/// Method (the caller's code for it), URL and body digest of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestKey(u8, String, u64, usize);

impl RequestKey {
    /// The key of a request.
    pub fn new(method: u8, url: &str, body: &[u8]) -> Self {
        let mut hasher = foldhash::quality::FixedState::with_seed(0x6a69_646f).build_hasher();
        hasher.write(body);
        RequestKey(method, url.to_owned(), hasher.finish(), body.len())
    }
}

/// Whether a status is a final answer (not worth sending again): 2xx, 3xx and the 4xx that
/// are not retried.
fn is_final(status: u16) -> bool {
    !(matches!(status, 408 | 425 | 429) || status >= 500)
}

impl ResponseMemo {
    /// The final answer `key` already had.
    pub fn get(&self, key: &RequestKey) -> Option<MemoAnswer> {
        self.answers.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    /// Keeps `answer` for `key` when it is final.
    pub fn put(&self, key: RequestKey, answer: MemoAnswer) {
        if is_final(answer.status) {
            self.answers.lock().unwrap_or_else(PoisonError::into_inner).insert(key, answer);
        }
    }
}

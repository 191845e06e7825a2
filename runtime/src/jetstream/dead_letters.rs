//! [`JetStreamDeadLetters`]: dead letters in the stream `PREFIX_DEAD`, so a letter one
//! daemon writes is listed, redriven and purged from any daemon. A letter's id is its
//! stream sequence. The letter keeps its target whole (secrets included) for redrive, as
//! the SQLite store does: protect the NATS servers like the daemon's disk.
//!
//! [`DeadLetterStore`] is synchronous (the lanes record letters from inside a delivery);
//! each call runs its request on the current multi-thread tokio runtime through
//! `block_in_place`. On a current-thread runtime the store refuses with an error (the
//! daemon always runs multi-threaded).

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::stream::{self, DeleteMessageErrorKind, DirectGetErrorKind};
use tokio::runtime::{Handle, RuntimeFlavor};

use super::{JetStreamError, WorkQueue};
use crate::dead_letter::codec::{letter_from_json, letter_to_json};
use crate::dead_letter::{DeadLetter, DeadLetterStore, StoreError};

/// Dead letters in a JetStream stream shared by every daemon.
#[derive(Debug, Clone)]
pub struct JetStreamDeadLetters {
    js: async_nats::jetstream::Context,
    stream: stream::Stream,
    subject: String,
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl JetStreamDeadLetters {
    /// Opens (or creates) the stream of `queue`'s prefix, replicated like its work.
    pub async fn open(queue: &WorkQueue) -> Result<JetStreamDeadLetters, JetStreamError> {
        let shared = &queue.inner;
        let name = format!("{}_DEAD", shared.config.prefix);
        let subject = format!("{}.dead", shared.config.prefix);
        let config = stream::Config {
            name: name.clone(),
            subjects: vec![subject.clone()],
            storage: stream::StorageType::File,
            num_replicas: shared.config.replicas,
            allow_direct: true,
            ..Default::default()
        };
        let stream = shared
            .js
            .get_or_create_stream(config)
            .await
            .map_err(|e| JetStreamError::Setup { stream: name, reason: e.to_string() })?;
        Ok(JetStreamDeadLetters { js: shared.js.clone(), stream, subject })
    }

    /// Runs `request` to completion from synchronous code.
    fn run<T>(&self, request: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        let handle = Handle::try_current().map_err(failed)?;
        if handle.runtime_flavor() == RuntimeFlavor::CurrentThread {
            return Err(StoreError(
                "the JetStream dead-letter store needs a multi-thread tokio runtime".into(),
            ));
        }
        tokio::task::block_in_place(|| {
            handle.block_on(tokio::time::timeout(Duration::from_secs(10), request))
        })
        .unwrap_or_else(|_| Err(StoreError("JetStream did not answer within 10 s".into())))
    }

    async fn next_from(&self, seq: u64) -> Result<Option<DeadLetter>, StoreError> {
        match self.stream.direct_get_next_for_subject(self.subject.clone(), Some(seq)).await {
            Ok(message) => letter_from_json(message.sequence, &message.payload).map(Some),
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }
}

/// Whether a delete failed because there is no message at that sequence (2.9 answers
/// 10057 "no message found"; later servers may use 10037).
fn is_missing(error: &stream::DeleteMessageError) -> bool {
    match error.kind() {
        DeleteMessageErrorKind::JetStream(js) => {
            js.error_code() == ErrorCode::NO_MESSAGE_FOUND
                || (js.error_code() == ErrorCode::STREAM_MESSAGE_DELETE_FAILED
                    && js.to_string().contains("no message found"))
        }
        _ => false,
    }
}

impl DeadLetterStore for JetStreamDeadLetters {
    fn record(&self, letter: DeadLetter) -> Result<u64, StoreError> {
        let payload = letter_to_json(&letter);
        self.run(async {
            let ack = self.js.publish(self.subject.clone(), payload.into()).await.map_err(failed)?;
            Ok(ack.await.map_err(failed)?.sequence)
        })
    }

    fn list(&self) -> Result<Vec<DeadLetter>, StoreError> {
        self.page(0, usize::MAX)
    }

    fn page(&self, after: u64, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        self.run(async {
            let mut letters = Vec::new();
            let mut next = after + 1;
            while letters.len() < limit {
                let Some(letter) = self.next_from(next).await? else { break };
                next = letter.id + 1;
                letters.push(letter);
            }
            Ok(letters)
        })
    }

    fn get(&self, id: u64) -> Result<Option<DeadLetter>, StoreError> {
        self.run(async {
            match self.stream.direct_get(id).await {
                Ok(message) => letter_from_json(id, &message.payload).map(Some),
                Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn remove(&self, id: u64) -> Result<bool, StoreError> {
        self.run(async {
            match self.stream.delete_message(id).await {
                Ok(deleted) => Ok(deleted),
                Err(e) if is_missing(&e) => Ok(false),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn purge(&self) -> Result<usize, StoreError> {
        self.run(async {
            let purged = self.stream.purge().await.map_err(failed)?;
            Ok(usize::try_from(purged.purged).unwrap_or(usize::MAX))
        })
    }

    fn count(&self) -> Result<usize, StoreError> {
        self.run(async {
            let info = self.stream.get_info().await.map_err(failed)?;
            Ok(usize::try_from(info.state.messages).unwrap_or(usize::MAX))
        })
    }

    fn last_id(&self) -> Result<u64, StoreError> {
        self.run(async { Ok(self.stream.get_info().await.map_err(failed)?.state.last_sequence) })
    }
}

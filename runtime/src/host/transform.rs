//! Transforms: components of the `dispatch-view-transform` or `dispatch-transform` world
//! (each answer is a `Verdict`: keep, drop, reshape or replace), run on the same instance
//! pools, limits and tenants as adapters. [`WasmTransform`] is a loaded component (its
//! pool in a slot, replaceable under live targets like an adapter's);
//! [`OpenedTransform`] is one target's `transformer`, called once per delivery.

use std::borrow::Cow;
use std::sync::Arc;

use super::call::{Open, Transform, ValidateTransform};
use super::convert::{cap_message, reshaped_from_wit, transformed_from_wit};
use super::instance::TargetRef;
use super::lowered::Verdict;
use super::pool::{InstancePool, SharedPool};
use super::wasm::{Slot, next_key};
use crate::adapter::DeliveryError;
use crate::signal::Signal;

/// The failure code of a transform that returned an error or an invalid signal.
pub const TRANSFORM_FAILED: &str = "transform_failed";

/// A transform implemented by a Wasm component.
#[derive(Debug, Clone)]
pub struct WasmTransform {
    slot: Arc<Slot>,
}

impl WasmTransform {
    pub(super) fn new(pool: InstancePool) -> Self {
        WasmTransform { slot: Slot::new(pool) }
    }

    /// The current instance pool (for statistics).
    pub fn pool(&self) -> SharedPool {
        self.slot.current()
    }

    /// Checks options with the component's `validate-opts`; returns them normalised. The
    /// error is the component's message (it names the option) or why the call failed.
    pub async fn validate_opts(&self, opts: &str) -> Result<String, String> {
        match self.slot.current().run(ValidateTransform(opts)).await {
            Ok(Ok(normalised)) => Ok(normalised),
            Ok(Err(message)) => Err(cap_message(message)),
            Err(error) => Err(format!("the component failed while validating: {error}")),
        }
    }

    /// Opens a transformer from normalised options (`transformer.open` in one instance now,
    /// so a refusal shows when the target opens; each other instance opens it on first use).
    pub async fn open(&self, opts: String) -> Result<OpenedTransform, String> {
        let key = next_key();
        match self.slot.current().run(Open(TargetRef { key, opts: &opts })).await {
            Ok(Ok(())) => {
                self.slot.opened(&opts);
                Ok(OpenedTransform { slot: self.slot.clone(), key, opts })
            }
            Ok(Err(message)) => Err(cap_message(message)),
            Err(error) => Err(format!("the component failed while opening: {error}")),
        }
    }

    /// Replaces the component under every target using it, after checking that the new
    /// one accepts each option set in use; on refusal nothing changes.
    pub async fn replace(&self, next: WasmTransform) -> Result<(), String> {
        let next = &next;
        let accepts = |opts: String| async move { next.validate_opts(&opts).await.map(drop) };
        self.slot.replace(&next.slot, accepts).await
    }
}

/// One target's transformer.
#[derive(Debug)]
pub struct OpenedTransform {
    slot: Arc<Slot>,
    key: u64,
    opts: String,
}

impl OpenedTransform {
    /// The normalised options.
    pub fn options(&self) -> &str {
        &self.opts
    }

    /// Runs the transform on `signal`: the signal to deliver, `None` to drop it, or a
    /// permanent failure (the component's error as `transform_failed`, an invalid signal,
    /// or a trap or limit, which keeps its code but is never retried: a transform runs
    /// once per delivery).
    pub async fn apply(&self, signal: &Signal) -> Result<Option<Signal>, DeliveryError> {
        Ok(self.apply_to(signal).await?.map(Cow::into_owned))
    }

    /// [`apply`](Self::apply), with `signal` itself (borrowed) when the transform returned
    /// it unchanged.
    pub(crate) async fn apply_to<'s>(
        &self,
        signal: &'s Signal,
    ) -> Result<Option<Cow<'s, Signal>>, DeliveryError> {
        let pool = self.slot.current();
        let call = Transform { transformer: TargetRef { key: self.key, opts: &self.opts }, signal };
        let name = pool.name().to_owned();
        match pool.run(call).await {
            Ok(Ok(Ok(Verdict::Keep))) => Ok(Some(Cow::Borrowed(signal))),
            Ok(Ok(Ok(Verdict::Replace(out)))) => transformed_from_wit(out, signal).map(Some).map_err(|e| {
                DeliveryError::permanent(
                    TRANSFORM_FAILED,
                    format!("transform `{name}` returned an invalid signal: {e}"),
                )
            }),
            Ok(Ok(Ok(Verdict::Reshape(payload)))) => {
                let reshaped = reshaped_from_wit(payload, signal).map_err(|e| {
                    DeliveryError::permanent(
                        TRANSFORM_FAILED,
                        format!("transform `{name}` returned an invalid payload: {e}"),
                    )
                })?;
                Ok(Some(Cow::Owned(reshaped)))
            }
            Ok(Ok(Ok(Verdict::Drop))) => Ok(None),
            Ok(Ok(Err(message))) => Err(DeliveryError::permanent(
                TRANSFORM_FAILED,
                cap_message(format!("transform `{name}`: {message}")),
            )),
            Ok(Err(message)) => Err(DeliveryError::permanent(
                "invalid_options",
                cap_message(format!("transform `{name}`: transform_options: {message}")),
            )),
            Err(error) => {
                let failure = error.failure();
                Err(DeliveryError::permanent(
                    failure.code.as_deref().unwrap_or(TRANSFORM_FAILED),
                    failure.message.clone(),
                ))
            }
        }
    }
}

//! Typed calls into an instance: each export of the adapter and transform worlds is a
//! [`Call`] with its own output, so the pool runs any of them the same way and each caller gets exactly the
//! type its export returns (no shared answer enum to match with an "unexpected" arm).

use std::future::Future;

use wasmtime::component::ResourceAny;

use super::bindings::types as wit;
use super::instance::{Instance, TargetRef};
use super::lowered::Verdict;
use crate::adapter::DeliveryContext;
use crate::signal::Signal;

/// What a call of a target's export returns when `target.open` refused its options first.
pub(super) type OpenFailed = String;

/// One call into a component instance.
pub(super) trait Call: Sync {
    /// What the export returns.
    type Output: Send;

    /// The target it is for (instances are shared fairly between targets); 0 for none.
    fn target_key(&self) -> u64;

    /// The delivery it belongs to (its http pool slot; what the imports see).
    fn delivery(&self) -> Option<&DeliveryContext>;

    /// Calls the export on `instance` (whose deadline, clock and fuel are already set).
    fn call<'i>(
        &'i self,
        instance: &'i mut Instance,
    ) -> impl Future<Output = wasmtime::Result<Self::Output>> + Send + 'i;
}

/// `validate-opts`.
pub(super) struct Validate<'a>(pub &'a str);

impl Call for Validate<'_> {
    type Output = Result<String, String>;

    fn target_key(&self) -> u64 {
        0
    }

    fn delivery(&self) -> Option<&DeliveryContext> {
        None
    }

    async fn call(&self, instance: &mut Instance) -> wasmtime::Result<Self::Output> {
        instance.exports.validate_adapter(&mut instance.store, self.0).await
    }
}

/// `target.open` alone (to surface open errors when the target is opened).
pub(super) struct Open<'a>(pub TargetRef<'a>);

impl Call for Open<'_> {
    type Output = Result<(), OpenFailed>;

    fn target_key(&self) -> u64 {
        self.0.key
    }

    fn delivery(&self) -> Option<&DeliveryContext> {
        None
    }

    async fn call(&self, instance: &mut Instance) -> wasmtime::Result<Self::Output> {
        Ok(instance.target(self.0).await?.map(|_| ()))
    }
}

/// `target.deliver`.
pub(super) struct Deliver<'a> {
    pub target: TargetRef<'a>,
    pub signal: &'a Signal,
    pub ctx: &'a DeliveryContext,
}

impl Call for Deliver<'_> {
    type Output = Result<Result<(), wit::DeliveryError>, OpenFailed>;

    fn target_key(&self) -> u64 {
        self.target.key
    }

    fn delivery(&self) -> Option<&DeliveryContext> {
        Some(self.ctx)
    }

    async fn call(&self, instance: &mut Instance) -> wasmtime::Result<Self::Output> {
        let resource = match opened(instance, self.target, self.ctx).await? {
            Ok(resource) => resource,
            Err(message) => return Ok(Err(message)),
        };
        Ok(Ok(instance.exports.deliver(&mut instance.store, resource, self.signal).await?))
    }
}

/// `target.deliver-batch`.
pub(super) struct Batch<'a> {
    pub target: TargetRef<'a>,
    pub signals: &'a [Signal],
    pub ctx: &'a DeliveryContext,
}

impl Call for Batch<'_> {
    type Output = Result<Vec<Result<(), wit::DeliveryError>>, OpenFailed>;

    fn target_key(&self) -> u64 {
        self.target.key
    }

    fn delivery(&self) -> Option<&DeliveryContext> {
        Some(self.ctx)
    }

    async fn call(&self, instance: &mut Instance) -> wasmtime::Result<Self::Output> {
        let resource = match opened(instance, self.target, self.ctx).await? {
            Ok(resource) => resource,
            Err(message) => return Ok(Err(message)),
        };
        Ok(Ok(instance.exports.deliver_batch(&mut instance.store, resource, self.signals).await?))
    }
}

/// `target.health-check`.
pub(super) struct Health<'a> {
    pub target: TargetRef<'a>,
    pub ctx: &'a DeliveryContext,
}

impl Call for Health<'_> {
    type Output = Result<Result<(), String>, OpenFailed>;

    fn target_key(&self) -> u64 {
        self.target.key
    }

    fn delivery(&self) -> Option<&DeliveryContext> {
        Some(self.ctx)
    }

    async fn call(&self, instance: &mut Instance) -> wasmtime::Result<Self::Output> {
        let resource = match opened(instance, self.target, self.ctx).await? {
            Ok(resource) => resource,
            Err(message) => return Ok(Err(message)),
        };
        Ok(Ok(instance.exports.health_check(&mut instance.store, resource).await?))
    }
}

/// Sets the delivery the imports see, then the target's resource (opened on first use), or
/// why `target.open` refused.
async fn opened(
    instance: &mut Instance,
    target: TargetRef<'_>,
    ctx: &DeliveryContext,
) -> wasmtime::Result<Result<ResourceAny, OpenFailed>> {
    instance.store.data_mut().call = ctx.clone();
    instance.target(target).await
}

/// The transform world's `validate-opts`.
pub(super) struct ValidateTransform<'a>(pub &'a str);

impl Call for ValidateTransform<'_> {
    type Output = Result<String, String>;

    fn target_key(&self) -> u64 {
        0
    }

    fn delivery(&self) -> Option<&DeliveryContext> {
        None
    }

    async fn call(&self, instance: &mut Instance) -> wasmtime::Result<Self::Output> {
        instance.exports.validate_transform(&mut instance.store, self.0).await
    }
}

/// `transformer.transform`.
pub(super) struct Transform<'a> {
    pub transformer: TargetRef<'a>,
    pub signal: &'a Signal,
}

impl Call for Transform<'_> {
    type Output = Result<Result<Verdict, String>, OpenFailed>;

    fn target_key(&self) -> u64 {
        self.transformer.key
    }

    fn delivery(&self) -> Option<&DeliveryContext> {
        None
    }

    async fn call(&self, instance: &mut Instance) -> wasmtime::Result<Self::Output> {
        let resource = match instance.target(self.transformer).await? {
            Ok(resource) => resource,
            Err(message) => return Ok(Err(message)),
        };
        Ok(Ok(instance.exports.transform(&mut instance.store, resource, self.signal).await?))
    }
}

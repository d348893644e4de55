//! How long a piece of work waited on AWS: every call the store's clients make is timed (an
//! SDK interceptor) into the measurement of the task that made it, if one is running. The
//! API reports it (`Server-Timing`, on the local stack) so that a load test can tell the
//! API's own work from the store's, which locally is moto's.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

tokio::task_local! {
    static WAITED: Arc<Mutex<Duration>>;
}

/// Runs `work`, returning its output and the time its AWS calls took, summed (calls made at
/// once overlap, so the sum can exceed the wall time).
pub async fn measured<F: Future>(work: F) -> (F::Output, Duration) {
    let waited = Arc::new(Mutex::new(Duration::ZERO));
    let output = WAITED.scope(Arc::clone(&waited), work).await;
    let total = *waited.lock().expect("never poisoned");
    (output, total)
}

/// When one call started, kept in the call's own configuration.
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// Times every call (with its retries) of the client it is given to.
#[derive(Debug)]
pub(crate) struct Timing;

impl Intercept for Timing {
    fn name(&self) -> &'static str {
        "timing"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Started(at)) = cfg.load::<Started>() {
            let took = at.elapsed();
            let _ = WAITED.try_with(|waited| *waited.lock().expect("never poisoned") += took);
        }
        Ok(())
    }
}

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The SDK configuration of every region the stack touches, loaded once per region from the
/// standard chain (environment, profile, SSO, IMDS …) with `aws_config::defaults`.
///
/// Two flavours exist per region:
/// - `retrying`: adaptive retry with jittered exponential backoff, for reads and for calls that
///   are idempotent (or carry an idempotency token);
/// - `single_shot`: one attempt only, for creates that take no idempotency token (CreateVpc,
///   CreateSubnet, …). A blind resend of those after a lost answer makes a duplicate, so the
///   engine looks the resource up by its `provision:address` tag before it retries.
#[derive(Clone, Default)]
pub struct AwsConfigs {
    inner: Arc<Mutex<HashMap<(String, bool), SdkConfig>>>,
    max_attempts: Option<u32>,
}

impl AwsConfigs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Override the retrying flavour's attempt count.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    pub async fn retrying(&self, region: &str) -> SdkConfig {
        self.get(region, true).await
    }

    pub async fn single_shot(&self, region: &str) -> SdkConfig {
        self.get(region, false).await
    }

    async fn get(&self, region: &str, retrying: bool) -> SdkConfig {
        let mut map = self.inner.lock().await;
        if let Some(c) = map.get(&(region.to_string(), retrying)) {
            return c.clone();
        }
        let loader =
            aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_string()));
        // The standard AWS_MAX_ATTEMPTS / AWS_RETRY_MODE settings win over our default policy.
        let user_set = std::env::var_os("AWS_MAX_ATTEMPTS").is_some()
            || std::env::var_os("AWS_RETRY_MODE").is_some();
        let loader = match (retrying, user_set, self.max_attempts) {
            (false, _, _) => loader.retry_config(RetryConfig::standard().with_max_attempts(1)),
            (true, true, None) => loader,
            (true, _, n) => {
                loader.retry_config(RetryConfig::adaptive().with_max_attempts(n.unwrap_or(5)))
            }
        };
        let cfg = loader.load().await;
        map.insert((region.to_string(), retrying), cfg.clone());
        cfg
    }
}

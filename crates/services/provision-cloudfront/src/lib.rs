//! Amazon CloudFront reconcilers: distributions (origins, origin failover, custom error pages,
//! TLS, WAF) and the response headers policies they attach.
//!
//! CloudFront is a global service: both kinds live at `global` addresses, and their API calls
//! are signed for us-east-1 (as the WAF web ACLs of CLOUDFRONT scope they attach are kept
//! there).
//!
//! Every change to a CloudFront object goes through optimistic locking: the `IfMatch` of an
//! update or delete is the ETag of a read made just before it, and a stale one
//! (`PreconditionFailed`) is a conflict the engine retries with a fresh read.
//!
//! Refresh: one paginated ListResponseHeadersPolicies (Type=custom) for the policies; one
//! paginated ListDistributions, then ListTagsForResource and GetDistributionConfig per
//! distribution found (CloudFront has no batch tag read).

mod distribution;
mod distribution_config;
mod response_headers_policy;

use aws_sdk_cloudfront::Client;
use provision_aws::AwsConfigs;
use provision_core::{ReconcileError, Reconciler, GLOBAL};
use std::sync::Arc;

/// Every CloudFront reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(distribution::Distribution(configs.clone())),
        Arc::new(response_headers_policy::ResponseHeadersPolicy(configs)),
    ]
}

/// CloudFront's API is global; requests are signed for us-east-1.
const API_REGION: &str = "us-east-1";

/// CloudFront objects are global: refuse a regional address rather than make a second copy.
fn check_global(kind: &str, region: &str) -> Result<(), ReconcileError> {
    if region == GLOBAL {
        Ok(())
    } else {
        Err(ReconcileError::invalid(format!(
            "{kind} is a global resource: declare it at `{GLOBAL}/{kind}/<name>`, not in {region}"
        )))
    }
}

/// The retrying client (reads, and calls that are safe to resend).
async fn client(configs: &AwsConfigs, kind: &str, region: &str) -> Result<Client, ReconcileError> {
    check_global(kind, region)?;
    Ok(Client::new(&configs.retrying(API_REGION).await))
}

/// A client that sends each request once: for creates that take no idempotency token (the
/// engine looks the object up before any resend).
async fn single_shot(
    configs: &AwsConfigs,
    kind: &str,
    region: &str,
) -> Result<Client, ReconcileError> {
    check_global(kind, region)?;
    Ok(Client::new(&configs.single_shot(API_REGION).await))
}

fn invalid(e: impl std::fmt::Display) -> ReconcileError {
    ReconcileError::invalid(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_global_addresses() {
        assert!(check_global("cloudfront.distribution", GLOBAL).is_ok());
        let e = check_global("cloudfront.distribution", "eu-west-1").unwrap_err();
        assert!(e.message.contains("global/cloudfront.distribution/<name>"));
    }
}

//! KMS reconcilers: the customer-managed key each region's data services encrypt with.

mod key;

use provision_aws::AwsConfigs;
use provision_core::Reconciler;
use std::sync::Arc;

/// Every KMS reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![Arc::new(key::Key(configs))]
}

//! CloudWatch reconcilers: metric alarms.
//!
//! Refresh: one DescribeAlarms per region (by the stack's name prefix, paginated), then
//! ListTagsForResource per alarm (DescribeAlarms carries no tags).

mod alarm;

use provision_aws::AwsConfigs;
use provision_core::Reconciler;
use std::sync::Arc;

/// Every CloudWatch reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![Arc::new(alarm::Alarm(configs))]
}

//! IAM reconcilers. IAM is global: its resources live at `global/iam.*/…` and are shared by
//! every region's clusters (one EKS cluster role and one node role for the whole stack).

mod role;

use provision_aws::AwsConfigs;
use provision_core::Reconciler;
use std::sync::Arc;

/// Every IAM reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![Arc::new(role::Role(configs))]
}

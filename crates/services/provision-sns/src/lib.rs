//! SNS reconcilers: the alert topic of a region and its e-mail subscription.
//!
//! Refresh: one ListTopics per region (paginated), then ListTagsForResource per topic; one
//! ListSubscriptionsByTopic per topic for the subscriptions.

mod subscription;
mod topic;

use aws_sdk_sns::Client;
use provision_aws::AwsConfigs;
use provision_core::Reconciler;
use std::sync::Arc;

/// Every SNS reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(topic::Topic(configs.clone())),
        Arc::new(subscription::Subscription(configs)),
    ]
}

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(region).await)
}

//! AWS WAF (v2) reconcilers: web ACLs and their associations with regional resources.
//!
//! A web ACL's scope follows its address: a regional address makes a REGIONAL web ACL in that
//! region (for load balancers); a `global` address makes a CLOUDFRONT web ACL, which the WAF
//! API keeps in us-east-1.
//!
//! Refresh: one ListWebACLs per region and scope, then GetWebACL and ListTagsForResource per
//! web ACL (the list carries neither rules nor tags); GetWebACLForResource per association.

mod association;
mod web_acl;

use aws_sdk_wafv2::types::Scope;
use aws_sdk_wafv2::Client;
use provision_aws::AwsConfigs;
use provision_core::{Reconciler, GLOBAL};
use std::sync::Arc;

/// Every WAF reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(web_acl::WebAcl(configs.clone())),
        Arc::new(association::Association(configs)),
    ]
}

/// CLOUDFRONT web ACLs are managed through us-east-1.
const CLOUDFRONT_REGION: &str = "us-east-1";

/// The API region and scope of an address's region.
fn placement(region: &str) -> (&str, Scope) {
    if region == GLOBAL {
        (CLOUDFRONT_REGION, Scope::Cloudfront)
    } else {
        (region, Scope::Regional)
    }
}

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(placement(region).0).await)
}

async fn single_shot(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.single_shot(placement(region).0).await)
}

//! The registry: every resource kind mapped to its reconciler. One line per service crate.

use provision_aws::AwsConfigs;
use provision_core::Registry;

pub fn registry(configs: &AwsConfigs) -> Registry {
    let mut r = Registry::new();
    let services = [
        provision_ec2::reconcilers(configs.clone()),
        provision_iam::reconcilers(configs.clone()),
        provision_kms::reconcilers(configs.clone()),
        provision_eks::reconcilers(configs.clone()),
        provision_rds::reconcilers(configs.clone()),
        provision_secretsmanager::reconcilers(configs.clone()),
        provision_elasticache::reconcilers(configs.clone()),
        provision_msk::reconcilers(configs.clone()),
        provision_sns::reconcilers(configs.clone()),
        provision_cloudwatch::reconcilers(configs.clone()),
        provision_elbv2::reconcilers(configs.clone()),
        provision_wafv2::reconcilers(configs.clone()),
        provision_cloudfront::reconcilers(configs.clone()),
        provision_acm::reconcilers(configs.clone()),
        provision_route53::reconcilers(configs.clone()),
    ];
    services.into_iter().flatten().for_each(|k| r.register(k));
    r
}

/// The registry's kinds, for validation without AWS access.
pub fn offline() -> Registry {
    registry(&AwsConfigs::new())
}

//! AWS Certificate Manager reconcilers: a public certificate validated by DNS
//! (`acm.certificate`), and the wait for ACM to issue it (`acm.certificate_validation`).
//!
//! A certificate lives in its address's region: a load balancer uses one of its own region, and
//! CloudFront uses the us-east-1 one. A `global` address is placed in us-east-1 too.
//!
//! Refresh: ACM has no batch describe. A recorded certificate costs one DescribeCertificate and
//! one ListTagsForCertificate; a certificate with no recorded ARN (a create whose answer was
//! lost) adds one paginated ListCertificates per region and one ListTagsForCertificate per
//! certificate of the same domain. A validation costs one DescribeCertificate.

mod certificate;
mod validation;

use aws_sdk_acm::types::{CertificateDetail, CertificateStatus, Tag};
use aws_sdk_acm::Client;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::{ReconcileError, Reconciler, GLOBAL};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every ACM reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(certificate::Certificate(configs.clone())),
        Arc::new(validation::CertificateValidation(configs)),
    ]
}

/// CloudFront's certificates live in us-east-1.
const GLOBAL_REGION: &str = "us-east-1";

/// The API region of an address's region.
fn placement(region: &str) -> &str {
    if region == GLOBAL {
        GLOBAL_REGION
    } else {
        region
    }
}

/// Every ACM call may be resent: RequestCertificate carries an idempotency token, and the
/// others are reads, tag changes and deletes.
async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(placement(region)).await)
}

fn invalid(e: impl std::fmt::Display) -> ReconcileError {
    ReconcileError::invalid(e.to_string())
}

/// Statuses from which a certificate never becomes ISSUED.
fn is_dead(status: Option<&CertificateStatus>) -> bool {
    matches!(
        status,
        Some(
            CertificateStatus::Failed
                | CertificateStatus::ValidationTimedOut
                | CertificateStatus::Revoked
                | CertificateStatus::Expired
                | CertificateStatus::Inactive
        )
    )
}

/// A certificate's details; None if it is gone.
async fn describe(client: &Client, arn: &str) -> Result<Option<CertificateDetail>, ReconcileError> {
    match client
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(err)
    {
        Ok(o) => Ok(o.certificate().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A certificate's tags; None if it is gone.
async fn list_tags(
    client: &Client,
    arn: &str,
) -> Result<Option<BTreeMap<String, String>>, ReconcileError> {
    match client
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(err)
    {
        Ok(o) => Ok(Some(
            o.tags()
                .iter()
                .map(|t| {
                    (
                        t.key().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        )),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn acm_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ReconcileError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(invalid))
        .collect()
}

/// The status of a certificate as a string, for properties and messages.
fn status_str(c: &CertificateDetail) -> &str {
    c.status().map(|s| s.as_str()).unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_certificates_are_in_us_east_1() {
        assert_eq!(placement(GLOBAL), "us-east-1");
        assert_eq!(placement("eu-west-1"), "eu-west-1");
    }

    #[test]
    fn only_final_statuses_are_dead() {
        assert!(is_dead(Some(&CertificateStatus::Failed)));
        assert!(is_dead(Some(&CertificateStatus::ValidationTimedOut)));
        assert!(is_dead(Some(&CertificateStatus::Revoked)));
        assert!(!is_dead(Some(&CertificateStatus::PendingValidation)));
        assert!(!is_dead(Some(&CertificateStatus::Issued)));
        assert!(!is_dead(None));
    }
}

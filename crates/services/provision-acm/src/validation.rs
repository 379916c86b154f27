//! `acm.certificate_validation`: the wait until ACM has issued a certificate, like Terraform's
//! `aws_acm_certificate_validation`. It has no AWS object of its own.
//!
//! - **Id**: the certificate's ARN; its natural key is `certificate_arn`.
//! - **Create** makes no mutating call: it reads the certificate (DescribeCertificate), checks
//!   that `validation_record_fqdns`, when given, names every domain's validation record, and
//!   returns. `ready` then waits until the certificate is ISSUED, which happens once ACM finds
//!   the records in DNS; it fails on FAILED, VALIDATION_TIMED_OUT, REVOKED, EXPIRED or INACTIVE.
//! - `validation_record_fqdns` is there to make the graph order this wait after the DNS
//!   records. AWS never reports it, so it is compared with the value applied last, and a change
//!   replaces the validation (which again calls nothing).
//! - **Refresh**: DescribeCertificate per validation (ACM has no batch describe). It exists
//!   while its certificate exists and is ISSUED; otherwise the plan creates it again, which
//!   waits again.
//! - **Update** has nothing to change (no mutable field). **Delete** calls nothing: the
//!   certificate is `acm.certificate`'s, and it stays issued.

use crate::{client, describe, invalid, is_dead, status_str};
use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateDetail, CertificateStatus};
use provision_aws::props::{s, strings, target_name, vanished, Props};
use provision_aws::AwsConfigs;
use provision_core::*;

pub struct CertificateValidation(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "acm.certificate_validation",
    fields: &[
        FieldSchema::force_new("certificate_arn"),
        FieldSchema::write_only("validation_record_fqdns").unordered(),
    ],
    // No object of its own: nothing can clash.
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: false,
};

/// A DNS name compared the way DNS does: case-insensitive, with or without the final dot.
fn fqdn(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The domains whose validation record is not among `fqdns` (empty `fqdns`: nothing checked).
fn missing_records(c: &CertificateDetail, fqdns: &[String]) -> Vec<String> {
    if fqdns.is_empty() {
        return Vec::new();
    }
    let have: Vec<String> = fqdns.iter().map(|f| fqdn(f)).collect();
    c.domain_validation_options()
        .iter()
        .filter_map(|o| {
            let r = o.resource_record()?;
            (!have.contains(&fqdn(r.name()))).then(|| format!("{} ({})", o.domain_name(), r.name()))
        })
        .collect()
}

fn observed_of(address: &Address, arn: &str, properties: Props) -> Observed {
    Observed {
        address: address.clone(),
        id: arn.to_string(),
        arn: Some(arn.to_string()),
        properties,
    }
}

#[async_trait]
impl Reconciler for CertificateValidation {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let client = client(&self.0, region).await;
        let mut out = Vec::new();
        for t in targets {
            // Its id, or the desired certificate's ARN once the reference is resolved.
            let Some(arn) = target_name(t, "certificate_arn") else {
                continue;
            };
            let Some(c) = describe(&client, &arn).await? else {
                continue;
            };
            if c.status() != Some(&CertificateStatus::Issued) {
                continue;
            }
            let mut p = Props::new();
            p.insert("certificate_arn".into(), arn.clone().into());
            out.push(observed_of(&t.address, &arn, p));
        }
        Ok(out)
    }

    async fn create(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let arn = s(p, "certificate_arn")?;
        let client = client(&self.0, region).await;
        let Some(c) = describe(&client, &arn).await? else {
            return Err(ReconcileError::new(
                ErrorClass::NotFound,
                format!("certificate {arn} does not exist"),
            ));
        };
        let missing = missing_records(&c, &strings(p, "validation_record_fqdns"));
        if !missing.is_empty() {
            return Err(invalid(format!(
                "validation_record_fqdns names no validation record for {}; add the DNS records \
                 of every domain of the certificate (its validation_records)",
                missing.join(", ")
            )));
        }
        Ok(observed_of(&req.address, &arn, p.clone()))
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        // Every field replaces: there is nothing to change in place.
        Ok(observed_of(
            &observed.address,
            &observed.id,
            desired.clone(),
        ))
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        _observed: &Observed,
    ) -> Result<(), ReconcileError> {
        // Nothing to call: the wait has no object, and the certificate is not this kind's.
        Ok(())
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let client = client(&self.0, region).await;
        let what = format!("certificate {}", observed.id);
        let Some(c) = describe(&client, &observed.id).await? else {
            return Ok(vanished(&what));
        };
        let domain = c.domain_name().unwrap_or_default();
        Ok(match c.status() {
            Some(CertificateStatus::Issued) => Readiness::Ready,
            status if is_dead(status) => Readiness::Failed(format!(
                "certificate for {domain} is {}{}",
                status_str(&c),
                c.failure_reason()
                    .map(|r| format!(" ({})", r.as_str()))
                    .unwrap_or_default()
            )),
            _ => Readiness::Pending(format!(
                "certificate for {domain} is {}: ACM issues it once it finds the DNS validation records",
                status_str(&c)
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_acm::types::{DomainValidation, RecordType, ResourceRecord};

    fn cert() -> CertificateDetail {
        let option = |domain: &str| {
            DomainValidation::builder()
                .domain_name(domain)
                .resource_record(
                    ResourceRecord::builder()
                        .name(format!("_abc.{domain}."))
                        .r#type(RecordType::Cname)
                        .value("_def.acm-validations.aws.")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        };
        CertificateDetail::builder()
            .domain_name("api.example.test")
            .domain_validation_options(option("api.example.test"))
            .domain_validation_options(option("www.example.test"))
            .build()
    }

    #[test]
    fn fqdns_must_cover_every_domain() {
        let c = cert();
        assert!(
            missing_records(&c, &[]).is_empty(),
            "not given: not checked"
        );
        // Case and the final dot do not matter.
        let all = vec![
            "_ABC.api.example.test".to_string(),
            "_abc.www.example.test.".to_string(),
        ];
        assert!(missing_records(&c, &all).is_empty());
        let one = vec!["_abc.api.example.test.".to_string()];
        assert_eq!(
            missing_records(&c, &one),
            ["www.example.test (_abc.www.example.test.)"]
        );
    }
}

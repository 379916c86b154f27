//! `acm.certificate`: a public certificate that ACM issues once DNS shows the domains are ours.
//!
//! - **Id**: its ARN (also its `arn`). ACM has no names: an object is found by its recorded ARN,
//!   or, before one is recorded (a create whose answer was lost), by its domain name and its
//!   `provision:address` tag.
//! - **Create**: RequestCertificate with ValidationMethod DNS, the tags, and an IdempotencyToken
//!   derived from the intent's token (ACM takes at most 32 word characters; a resend within an
//!   hour answers the same ARN). Then one DescribeCertificate for the validation records, which
//!   ACM publishes a few seconds after the request; `ready` waits until every domain has one.
//!   Issuing is `acm.certificate_validation`'s wait, after the DNS records exist.
//! - **Update**: tags only (AddTagsToCertificate, RemoveTagsFromCertificate). Every other field
//!   replaces the certificate, the new one first: certificates have no name to clash, and a
//!   listener or distribution can move to the new one before the old one goes.
//! - **Refresh**: DescribeCertificate and ListTagsForCertificate per recorded certificate (ACM
//!   has no batch describe); a target without an ARN adds one ListCertificates per region,
//!   paged, with every key type (the default lists only RSA-2048 keys), matched on the domain.
//! - **Delete**: DeleteCertificate. `ResourceInUseException` while a listener or distribution
//!   still uses it is a conflict, which the engine retries while they move off it.
//!
//! Computed: `status`, `validation_records` (`[{domain_name, name, type, value}]`, one per
//! domain, sorted by domain), and the primary domain's `validation_record_name`, `_type` and
//! `_value`, for DNS records to reference.

use crate::{acm_tags, client, describe, invalid, is_dead, list_tags, status_str};
use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateDetail, Filters, KeyAlgorithm, Tag, ValidationMethod};
use provision_aws::props::{gone_ok, opt_s, s, sorted, strings, vanished, Props};
use provision_aws::tags::{address_tag, tag_diff, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use serde_json::json;
use std::collections::BTreeMap;

pub struct Certificate(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "acm.certificate",
    fields: &[
        FieldSchema::force_new("domain_name"),
        FieldSchema::force_new("subject_alternative_names").unordered(),
        FieldSchema::force_new("validation_method"),
        FieldSchema::force_new("key_algorithm"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("status"),
        FieldSchema::computed("validation_records"),
        FieldSchema::computed("validation_record_name"),
        FieldSchema::computed("validation_record_type"),
        FieldSchema::computed("validation_record_value"),
    ],
    // No name to clash: the new certificate is requested before the old one is deleted.
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

/// The only validation method this kind requests: the engine writes DNS records, not e-mails.
const DNS: &str = "DNS";

/// ACM's IdempotencyToken is 1 to 32 characters of `\w`: the intent token's word characters,
/// in order, cut at 32 (a UUID gives its 32 hex digits).
fn idempotency_token(token: &str) -> String {
    let t: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(32)
        .collect();
    if t.is_empty() {
        "provision".into()
    } else {
        t
    }
}

/// Every key type, so that ListCertificates does not hide EC or other RSA certificates.
fn all_key_types() -> Filters {
    let types = [
        KeyAlgorithm::Rsa1024,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
        KeyAlgorithm::EcPrime256v1,
        KeyAlgorithm::EcSecp384r1,
        KeyAlgorithm::EcSecp521r1,
    ];
    Filters::builder()
        .set_key_types(Some(types.to_vec()))
        .build()
}

/// A key algorithm in the request's spelling: DescribeCertificate may write `RSA-2048` for the
/// `RSA_2048` that RequestCertificate takes.
fn key_algorithm(c: &CertificateDetail) -> Option<String> {
    c.key_algorithm().map(|k| k.as_str().replace('-', "_"))
}

/// The validation record of each domain that has one, sorted by domain.
fn validation_records(c: &CertificateDetail) -> Vec<Value> {
    let mut records: Vec<(&str, Value)> = c
        .domain_validation_options()
        .iter()
        .filter_map(|o| {
            let r = o.resource_record()?;
            Some((
                o.domain_name(),
                json!({
                    "domain_name": o.domain_name(),
                    "name": r.name(),
                    "type": r.r#type().as_str(),
                    "value": r.value(),
                }),
            ))
        })
        .collect();
    records.sort_by(|a, b| a.0.cmp(b.0));
    records.into_iter().map(|(_, v)| v).collect()
}

/// Whether ACM has published a validation record for every domain.
fn records_known(c: &CertificateDetail) -> bool {
    let options = c.domain_validation_options();
    !options.is_empty() && options.iter().all(|o| o.resource_record().is_some())
}

/// The certificate's properties in the spec's shape. ACM lists the domain name among the SANs;
/// it is left out unless the spec lists it too (`desired`), so that neither shape diffs.
fn props_of(
    c: &CertificateDetail,
    tags: &BTreeMap<String, String>,
    desired: Option<&Props>,
) -> Props {
    let domain = c.domain_name().unwrap_or_default();
    let keep_domain = desired.is_some_and(|d| {
        strings(d, "subject_alternative_names")
            .iter()
            .any(|n| n == domain)
    });
    let sans = c
        .subject_alternative_names()
        .iter()
        .filter(|n| keep_domain || n.as_str() != domain)
        .cloned()
        .collect();
    let mut p = Props::new();
    p.insert("domain_name".into(), domain.into());
    p.insert("subject_alternative_names".into(), sorted(sans));
    if let Some(m) = c
        .domain_validation_options()
        .iter()
        .find_map(|o| o.validation_method())
    {
        p.insert("validation_method".into(), m.as_str().into());
    }
    if let Some(k) = key_algorithm(c) {
        p.insert("key_algorithm".into(), k.into());
    }
    p.insert("tags".into(), user_tags(tags));
    p.insert("status".into(), status_str(c).into());
    let records = validation_records(c);
    if let Some(primary) = records
        .iter()
        .find(|r| r["domain_name"].as_str() == Some(domain))
    {
        for (field, key) in [
            ("validation_record_name", "name"),
            ("validation_record_type", "type"),
            ("validation_record_value", "value"),
        ] {
            p.insert(field.into(), primary[key].clone());
        }
    }
    p.insert("validation_records".into(), Value::Array(records));
    p
}

fn observed(
    address: &Address,
    c: &CertificateDetail,
    tags: &BTreeMap<String, String>,
    desired: Option<&Props>,
) -> Observed {
    let arn = c.certificate_arn().unwrap_or_default().to_string();
    Observed {
        address: address.clone(),
        id: arn.clone(),
        arn: Some(arn),
        properties: props_of(c, tags, desired),
    }
}

/// The ARNs that may be a target's certificate: its recorded ARN, or else the listed
/// certificates of its desired domain name (whose tags then decide).
fn candidates(t: &Target, listed: &[(String, String)]) -> Vec<String> {
    if let Some(id) = &t.id {
        return vec![id.clone()];
    }
    let domain = t
        .desired
        .as_ref()
        .and_then(Value::as_object)
        .and_then(|d| opt_s(d, "domain_name"));
    listed
        .iter()
        .filter(|(_, d)| domain.as_deref() == Some(d.as_str()))
        .map(|(arn, _)| arn.clone())
        .collect()
}

#[async_trait]
impl Reconciler for Certificate {
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
        // (ARN, domain) of every certificate in the region, only when a target has no ARN.
        let mut listed = Vec::new();
        if targets.iter().any(|t| t.id.is_none()) {
            let summaries: Vec<_> = client
                .list_certificates()
                .includes(all_key_types())
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(err)?;
            listed = summaries
                .iter()
                .filter_map(|c| {
                    Some((
                        c.certificate_arn()?.to_string(),
                        c.domain_name()?.to_string(),
                    ))
                })
                .collect();
        }
        let mut out = Vec::new();
        for t in targets {
            let desired = t.desired.as_ref().and_then(Value::as_object);
            for arn in candidates(t, &listed) {
                let Some(tags) = list_tags(&client, &arn).await? else {
                    continue;
                };
                // Another address's certificate is never this one; found by domain, it must
                // carry this address.
                match address_tag(&tags) {
                    Some(a) if a != t.address => continue,
                    None if t.id.is_none() => continue,
                    _ => {}
                }
                if let Some(c) = describe(&client, &arn).await? {
                    out.push(observed(&t.address, &c, &tags, desired));
                }
            }
        }
        Ok(out)
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let method = opt_s(p, "validation_method").unwrap_or_else(|| DNS.into());
        if method != DNS {
            return Err(invalid(format!(
                "validation_method `{method}` is not supported: only DNS validation is, whose \
                 records the stack's DNS can hold"
            )));
        }
        let client = client(&self.0, region).await;
        let tags = cx.tags_for(&req.address, p);
        let sans = strings(p, "subject_alternative_names");
        let mut call = client
            .request_certificate()
            .domain_name(s(p, "domain_name")?)
            .validation_method(ValidationMethod::Dns)
            .idempotency_token(idempotency_token(&req.token))
            .set_tags(Some(acm_tags(&tags)?));
        if !sans.is_empty() {
            call = call.set_subject_alternative_names(Some(sans));
        }
        if let Some(k) = opt_s(p, "key_algorithm") {
            call = call.key_algorithm(KeyAlgorithm::from(k.as_str()));
        }
        let arn = call
            .send()
            .await
            .map_err(err)?
            .certificate_arn()
            .ok_or_else(|| invalid("RequestCertificate returned no ARN"))?
            .to_string();
        // One read for the validation records, never a wait: if ACM has not filled them in
        // yet, `ready` waits for them.
        match describe(&client, &arn).await {
            Ok(Some(c)) => Ok(observed(&req.address, &c, &tags, Some(p))),
            other => {
                if let Err(e) = other {
                    tracing::debug!(%arn, error = %e, "the new certificate cannot be read yet");
                }
                let mut o = provision_aws::props::observed_from(&req.address, arn.clone(), p);
                o.arn = Some(arn);
                Ok(o)
            }
        }
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, region).await;
        let arn = &observed.id;
        let diff = tag_diff(cx, &observed.address, &observed.properties, desired);
        if !diff.set.is_empty() {
            client
                .add_tags_to_certificate()
                .certificate_arn(arn)
                .set_tags(Some(acm_tags(&diff.set)?))
                .send()
                .await
                .map_err(err)?;
        }
        if !diff.remove.is_empty() {
            let keys = diff
                .remove
                .iter()
                .map(|k| Tag::builder().key(k).build().map_err(invalid))
                .collect::<Result<Vec<_>, _>>()?;
            client
                .remove_tags_from_certificate()
                .certificate_arn(arn)
                .set_tags(Some(keys))
                .send()
                .await
                .map_err(err)?;
        }
        let Some(c) = describe(&client, arn).await? else {
            return Err(ReconcileError::new(
                ErrorClass::NotFound,
                format!("certificate {arn} is gone"),
            ));
        };
        let tags = cx.tags_for(&observed.address, desired);
        Ok(self::observed(&observed.address, &c, &tags, Some(desired)))
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        // ResourceInUseException while a listener or distribution uses it: a conflict, retried.
        let r = client(&self.0, region)
            .await
            .delete_certificate()
            .certificate_arn(&observed.id)
            .send()
            .await
            .map_err(err);
        gone_ok(r)
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let client = client(&self.0, region).await;
        let domain = observed
            .properties
            .get("domain_name")
            .and_then(Value::as_str)
            .unwrap_or(&observed.id);
        let what = format!("certificate for {domain}");
        let Some(c) = describe(&client, &observed.id).await? else {
            return Ok(vanished(&what));
        };
        Ok(if is_dead(c.status()) {
            Readiness::Failed(format!(
                "{what} is {}{}",
                status_str(&c),
                c.failure_reason()
                    .map(|r| format!(" ({})", r.as_str()))
                    .unwrap_or_default()
            ))
        } else if records_known(&c) || status_str(&c) == "ISSUED" {
            Readiness::Ready
        } else {
            Readiness::Pending(format!(
                "{what}: waiting for ACM to publish its DNS validation records"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_acm::types::{
        CertificateStatus, DomainValidation, RecordType, ResourceRecord, ValidationMethod,
    };

    fn option(domain: &str, record: bool) -> DomainValidation {
        let mut o = DomainValidation::builder()
            .domain_name(domain)
            .validation_method(ValidationMethod::Dns);
        if record {
            o = o.resource_record(
                ResourceRecord::builder()
                    .name(format!("_abc.{domain}."))
                    .r#type(RecordType::Cname)
                    .value(format!("_def.{domain}.acm-validations.aws."))
                    .build()
                    .unwrap(),
            );
        }
        o.build().unwrap()
    }

    fn cert(records: bool) -> CertificateDetail {
        CertificateDetail::builder()
            .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/1")
            .domain_name("api.example.test")
            .subject_alternative_names("api.example.test")
            .subject_alternative_names("www.example.test")
            .subject_alternative_names("b.example.test")
            // ACM answers in its own order; the records come out sorted by domain.
            .domain_validation_options(option("www.example.test", records))
            .domain_validation_options(option("api.example.test", records))
            .domain_validation_options(option("b.example.test", records))
            .status(CertificateStatus::PendingValidation)
            .key_algorithm(KeyAlgorithm::from("RSA-2048"))
            .build()
    }

    #[test]
    fn tokens_are_word_characters_cut_at_32() {
        assert_eq!(
            idempotency_token("3f2b6c1e-9d4a-4b7e-8c2d-1a2b3c4d5e6f"),
            "3f2b6c1e9d4a4b7e8c2d1a2b3c4d5e6f"
        );
        let long = "a_b-".repeat(20);
        let t = idempotency_token(&long);
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert_eq!(t, idempotency_token(&long), "deterministic");
        assert_eq!(idempotency_token("--"), "provision");
    }

    #[test]
    fn properties_are_in_the_spec_shape() {
        let tags = BTreeMap::from([
            ("Team".to_string(), "edge".to_string()),
            ("provision:address".to_string(), "x".to_string()),
        ]);
        let p = props_of(&cert(true), &tags, None);
        assert_eq!(p["domain_name"], "api.example.test");
        // The domain name itself is not a SAN of the spec's.
        assert_eq!(
            p["subject_alternative_names"],
            json!(["b.example.test", "www.example.test"])
        );
        assert_eq!(p["validation_method"], "DNS");
        assert_eq!(p["key_algorithm"], "RSA_2048");
        assert_eq!(p["tags"], json!({"Team": "edge"}));
        assert_eq!(p["status"], "PENDING_VALIDATION");
        let domains: Vec<&str> = p["validation_records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["domain_name"].as_str().unwrap())
            .collect();
        assert_eq!(
            domains,
            ["api.example.test", "b.example.test", "www.example.test"]
        );
        assert_eq!(p["validation_record_name"], "_abc.api.example.test.");
        assert_eq!(p["validation_record_type"], "CNAME");
        assert_eq!(
            p["validation_record_value"],
            "_def.api.example.test.acm-validations.aws."
        );
        // A spec that lists the domain among its SANs sees it there.
        let desired: Props = serde_json::from_value(
            json!({"subject_alternative_names": ["api.example.test", "www.example.test"]}),
        )
        .unwrap();
        let p = props_of(&cert(true), &tags, Some(&desired));
        assert_eq!(
            p["subject_alternative_names"],
            json!(["api.example.test", "b.example.test", "www.example.test"])
        );
    }

    #[test]
    fn records_are_known_once_every_domain_has_one() {
        assert!(records_known(&cert(true)));
        let p = props_of(&cert(false), &BTreeMap::new(), None);
        assert_eq!(p["validation_records"], json!([]));
        assert!(!p.contains_key("validation_record_name"));
        assert!(!records_known(&cert(false)));
        let mut partial = cert(true);
        partial.domain_validation_options = Some(vec![
            option("api.example.test", true),
            option("www.example.test", false),
        ]);
        assert!(!records_known(&partial));
    }

    #[test]
    fn targets_match_by_arn_else_by_domain() {
        let listed = vec![
            ("arn:1".to_string(), "api.example.test".to_string()),
            ("arn:2".to_string(), "other.example.test".to_string()),
            ("arn:3".to_string(), "api.example.test".to_string()),
        ];
        let address: Address = "us-east-1/acm.certificate/edge".parse().unwrap();
        let recorded = Target {
            address: address.clone(),
            id: Some("arn:9".into()),
            desired: Some(json!({"domain_name": "api.example.test"})),
            tokens: Vec::new(),
        };
        assert_eq!(candidates(&recorded, &listed), ["arn:9"]);
        let lost = Target {
            address,
            id: None,
            desired: Some(json!({"domain_name": "api.example.test"})),
            tokens: Vec::new(),
        };
        assert_eq!(candidates(&lost, &listed), ["arn:1", "arn:3"]);
    }

    #[test]
    fn list_includes_every_key_type() {
        let f = all_key_types();
        assert!(f.key_types().contains(&KeyAlgorithm::EcPrime256v1));
        assert!(f.key_types().contains(&KeyAlgorithm::Rsa4096));
        assert_eq!(f.key_types().len(), 7);
    }
}

//! ACM certificates (`acm.certificate`) and the wait for their issue
//! (`acm.certificate_validation`), declared through the spec's `resources` section: a
//! DNS-validated certificate for `api.example-dev.test` with `www.example-dev.test` as a SAN in
//! us-east-1, and its validation. `up` requests the certificate, waits for ACM's validation
//! records, then waits for the certificate to be ISSUED: the test plays ACM finding the DNS
//! records (the emulator's issue hook) while `up` waits. Then a tag change is made in place
//! (same ARN), and removing the resources deletes the certificate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_acm::types::{CertificateStatus, Filters, KeyAlgorithm};
use provision_state::ResourceStatus;
use provision_tests::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const STACK: &str = "pyairtable-dev";
const CERT: &str = "us-east-1/acm.certificate/edge";
const VALIDATION: &str = "us-east-1/acm.certificate_validation/edge";

const RESOURCES: &str = r#"
resources:
  us-east-1/acm.certificate/edge:
    properties:
      domain_name: api.example-dev.test
      subject_alternative_names: [www.example-dev.test]
      validation_method: DNS
      tags: TAGS
  us-east-1/acm.certificate_validation/edge:
    properties:
      certificate_arn: ${us-east-1/acm.certificate/edge#arn}
"#;

/// specs/dev.yaml up to its network, so that the test's time goes to the certificates rather
/// than to EKS, RDS, ElastiCache and MSK; with the certificates when `tags` is given.
fn spec(dir: &Path, name: &str, tags: Option<&str>) -> PathBuf {
    let resources = tags
        .map(|t| RESOURCES.replace("TAGS", t))
        .unwrap_or_default();
    let path = dir.join(name);
    std::fs::write(&path, format!("{}{resources}", dev_network())).unwrap();
    path
}

/// Every certificate of the region, whatever its key type.
async fn certificates(acm: &aws_sdk_acm::Client) -> Vec<(String, String)> {
    let all = Filters::builder()
        .set_key_types(Some(
            KeyAlgorithm::values().iter().map(|k| (*k).into()).collect(),
        ))
        .build();
    acm.list_certificates()
        .includes(all)
        .send()
        .await
        .unwrap()
        .certificate_summary_list()
        .iter()
        .map(|c| {
            (
                c.certificate_arn().unwrap().to_string(),
                c.domain_name().unwrap().to_string(),
            )
        })
        .collect()
}

async fn tags(acm: &aws_sdk_acm::Client, arn: &str) -> Vec<(String, String)> {
    let mut t: Vec<(String, String)> = acm
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    t.sort();
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_is_requested_validated_retagged_and_removed() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let first = spec(dir.path(), "dev-cert.yaml", Some("{ Team: edge }"));
    let first = first.to_str().unwrap();
    let acm = emu.acm("us-east-1").await;

    // `up` requests the certificate, and the validation waits for it to be issued.
    let log = dir.path().join("up.log");
    let mut up = p.spawn_logged(&["up", first, "--yes"], &log);
    let output = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    let waiting = |p: &Provision| {
        let state = provision_state::read_state(p.state_dir(), STACK).ok()??;
        let (_, v) = state
            .resources
            .iter()
            .find(|(a, _)| a.to_string() == VALIDATION)?;
        (v.status == ResourceStatus::Pending).then(|| v.id.clone())?
    };
    let arn = loop {
        if let Some(status) = up.try_wait().unwrap() {
            panic!(
                "up ended ({status}) before the certificate was issued: {}",
                output()
            );
        }
        assert!(
            Instant::now() < deadline,
            "no validation waiting: {}",
            output()
        );
        if let Some(arn) = waiting(&p) {
            break arn;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // ACM has published both validation records, and nothing in DNS validates them: the
    // validation keeps waiting (its readiness is polled again after 2 s).
    let c = acm
        .describe_certificate()
        .certificate_arn(&arn)
        .send()
        .await
        .unwrap();
    let c = c.certificate().unwrap();
    assert_eq!(c.status(), Some(&CertificateStatus::PendingValidation));
    assert_eq!(c.domain_validation_options().len(), 2);
    assert!(c
        .domain_validation_options()
        .iter()
        .all(|o| o.resource_record().is_some()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(waiting(&p).as_deref(), Some(arn.as_str()), "{}", output());
    // ACM finds the records: the certificate is issued, and `up` finishes.
    let issued = emu.issue_certificate(&arn);
    assert!(issued.contains(&arn), "{issued}");
    let status = loop {
        if let Some(s) = up.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline + Duration::from_secs(60) {
            up.kill().unwrap();
            panic!("up still running: {}", output());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(status.success(), "up failed: {}", output());

    // One certificate, ISSUED, for both names, with the spec's and the provision tags.
    let listed = certificates(&acm).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let c = acm
        .describe_certificate()
        .certificate_arn(&arn)
        .send()
        .await
        .unwrap();
    let c = c.certificate().unwrap();
    assert_eq!(c.status(), Some(&CertificateStatus::Issued));
    assert_eq!(
        c.subject_alternative_names(),
        ["api.example-dev.test", "www.example-dev.test"]
    );
    let t = tags(&acm, &arn).await;
    assert!(t.contains(&("Team".into(), "edge".into())), "{t:?}");
    assert!(
        t.contains(&("provision:address".into(), CERT.into())),
        "{t:?}"
    );
    assert!(
        t.contains(&("provision:stack".into(), STACK.into())),
        "{t:?}"
    );
    // The state knows both by the certificate's ARN, with the records for DNS to reference.
    let ids = p.ids(STACK);
    assert_eq!(ids[CERT], arn);
    assert_eq!(ids[VALIDATION], arn);
    let state = p.state(STACK);
    let cert = state
        .resources
        .iter()
        .find(|(a, _)| a.to_string() == CERT)
        .map(|(_, r)| r)
        .unwrap();
    assert_eq!(cert.status, ResourceStatus::Ready);
    let validation = state
        .resources
        .iter()
        .find(|(a, _)| a.to_string() == VALIDATION)
        .map(|(_, r)| r)
        .unwrap();
    assert_eq!(validation.status, ResourceStatus::Ready);
    let records = cert.observed["validation_records"].as_array().unwrap();
    let domains: Vec<&str> = records
        .iter()
        .map(|r| r["domain_name"].as_str().unwrap())
        .collect();
    assert_eq!(domains, ["api.example-dev.test", "www.example-dev.test"]);
    let primary = c
        .domain_validation_options()
        .iter()
        .find(|o| o.domain_name() == "api.example-dev.test")
        .and_then(|o| o.resource_record())
        .unwrap();
    assert_eq!(
        cert.observed["validation_record_name"].as_str(),
        Some(primary.name())
    );
    assert_eq!(cert.observed["validation_record_type"], "CNAME");

    // Refreshed (DescribeCertificate, ListTagsForCertificate), nothing to do.
    let diff = p.run(&["diff", first, "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "not a no-op after up: {diff:?}");

    // A tag change is made in place: the same certificate, its tags replaced.
    let second = spec(dir.path(), "dev-cert-2.yaml", Some("{ Owner: platform }"));
    let second = second.to_str().unwrap();
    let diff = p.run(&["diff", second, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout.contains(&format!("~ {CERT}")),
        "an in-place update: {diff:?}"
    );
    assert!(
        diff.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{diff:?}"
    );
    emu.reset_calls();
    p.ok(&["up", second, "--yes"]);
    let acm_writes: Vec<String> = emu
        .mutating_calls()
        .into_iter()
        .filter(|c| c.service == "acm")
        .map(|c| c.action)
        .collect();
    assert_eq!(
        acm_writes,
        ["AddTagsToCertificate", "RemoveTagsFromCertificate"],
        "tags only"
    );
    assert_eq!(p.ids(STACK)[CERT], arn, "updated in place");
    let t = tags(&acm, &arn).await;
    assert!(t.contains(&("Owner".into(), "platform".into())), "{t:?}");
    assert!(!t.iter().any(|(k, _)| k == "Team"), "{t:?}");
    assert!(
        t.contains(&("provision:address".into(), CERT.into())),
        "{t:?}"
    );

    // A certificate whose request's answer was lost is found by its domain and address tag,
    // and adopted; one of the same domain without the tag is not provision's and is left alone.
    let other = "us-east-1/acm.certificate/other";
    let mut lost_tags = tags(&acm, &arn).await;
    for (k, v) in lost_tags.iter_mut() {
        if k == "provision:address" {
            *v = other.to_string();
        }
    }
    let request = |tags: &[(String, String)]| {
        let mut r = acm
            .request_certificate()
            .domain_name("other.example-dev.test")
            .validation_method(aws_sdk_acm::types::ValidationMethod::Dns);
        for (k, v) in tags {
            r = r.tags(
                aws_sdk_acm::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .unwrap(),
            );
        }
        r.send()
    };
    let stranger = request(&[]).await.unwrap();
    let stranger = stranger.certificate_arn().unwrap().to_string();
    let lost = request(&lost_tags).await.unwrap();
    let lost = lost.certificate_arn().unwrap().to_string();
    let third = spec(
        dir.path(),
        "dev-cert-3.yaml",
        Some(&format!(
            "{{ Owner: platform }}\n  {other}:\n    properties:\n      domain_name: \
             other.example-dev.test\n      key_algorithm: RSA_2048\n      tags: {{ Owner: \
             platform }}"
        )),
    );
    let third = third.to_str().unwrap();
    emu.reset_calls();
    p.ok(&["up", third, "--yes"]);
    let calls = emu.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.service == "acm" && c.action == "ListCertificates"),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c.action == "RequestCertificate"),
        "{calls:?}"
    );
    assert_eq!(p.ids(STACK)[other], lost);
    assert_eq!(p.run(&["diff", third, "--detailed-exitcode"]).code, 0);

    // Without the resources, the certificates are deleted (the validation has nothing to
    // delete).
    let without = spec(dir.path(), "dev-network.yaml", None);
    let without = without.to_str().unwrap();
    p.ok(&["up", without, "--yes"]);
    let left: Vec<String> = certificates(&acm).await.into_iter().map(|c| c.0).collect();
    assert_eq!(left, [stranger], "only the stranger's certificate is left");
    let ids = p.ids(STACK);
    assert!(!ids.contains_key(CERT) && !ids.contains_key(VALIDATION));
    assert_eq!(p.run(&["diff", without, "--detailed-exitcode"]).code, 0);
}

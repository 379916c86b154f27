//! The `edge` and `dns` sections, expanded: per region an internet-facing load balancer with an
//! HTTPS listener (its certificate requested and validated through the zone), HTTP redirected,
//! a regional web ACL; globally CloudFront over the three load balancers with failover, Origin
//! Shield, error pages, the security headers and the CLOUDFRONT web ACL; Route 53 health checks,
//! geolocation and failover records; the load-balancer and health-check alarms. Built, checked
//! by describe calls, changed in place (the WAF rate limit through its lock token, an error page
//! through CloudFront's ETag), and destroyed with nothing left.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::edge::{check_edge, cloudfront_web_acl, rate_limit, Expected};
use provision_tests::*;
use std::path::{Path, PathBuf};

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-1"];
const ZONE: &str = "pyairtable-dev.example.com";
const DOMAIN: &str = "api.pyairtable-dev.example.com";

const EDGE: &str = r#"
edge:
  domain: api.pyairtable-dev.example.com
  certificates: { request: dns }
  cloudfront:
    price_class: PriceClass_100
    origin_shield_region: us-east-1
    error_pages: { 502: /errors/502.html, 503: PAGE, 504: /errors/504.html }
  waf:
    rate_limit_per_5min: RATE
    managed_rules:
      - AWSManagedRulesCommonRuleSet
      - AWSManagedRulesKnownBadInputsRuleSet
      - AWSManagedRulesSQLiRuleSet

dns:
  zone: pyairtable-dev.example.com
  health_check: { path: /health, interval_s: 30, failure_threshold: 3 }
  routing:
    geolocation: { EU: eu-west-1, AS: ap-southeast-1, default: us-east-1 }

monitoring:
  alert_email: dev-alerts@example.com
"#;

/// specs/dev.yaml's network with the edge.
fn spec(dir: &Path, rate: u32, page: &str) -> PathBuf {
    let edge = EDGE
        .replace("RATE", &rate.to_string())
        .replace("PAGE", page);
    let path = dir.join("dev-edge.yaml");
    std::fs::write(&path, format!("{}{edge}", dev_network())).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn the_edge_is_built_changed_in_place_and_torn_down() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let first = spec(dir.path(), 2000, "/errors/503.html");
    let first = first.to_str().unwrap();
    p.ok(&["up", first, "--yes"]);

    let edge = check_edge(
        &emu,
        &p,
        &Expected {
            stack: "pyairtable-dev",
            zone: ZONE,
            domain: DOMAIN,
            // No database, so no backup region: the first secondary by name.
            secondary: "ap-southeast-1",
            email: "dev-alerts@example.com",
            regions: &REGIONS,
            azs: 2,
            rate: 2000,
        },
    )
    .await;
    let dist_id = edge.distribution;
    let acl_arn = edge.web_acl;
    let cf = emu.cloudfront().await;

    let diff = p.run(&["diff", first, "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");

    // The rate limit and an error page change in place: same web ACL, same distribution.
    let second = spec(dir.path(), 3000, "/errors/unavailable.html");
    let second = second.to_str().unwrap();
    let plan = p.ok(&["diff", second]);
    assert!(
        plan.stdout
            .contains("global/wafv2.web_acl/edge will be updated in place"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("global/cloudfront.distribution/main will be updated in place"),
        "{plan:?}"
    );
    p.ok(&["up", second, "--yes"]);
    let after = p.ids("pyairtable-dev");
    assert_eq!(after["global/cloudfront.distribution/main"], dist_id);
    assert_eq!(after["global/wafv2.web_acl/edge"], acl_arn);
    let acl = cloudfront_web_acl(&emu, &acl_arn).await;
    assert_eq!(rate_limit(&acl), Some(3000));
    let got = cf.get_distribution().id(&dist_id).send().await.unwrap();
    let pages: Vec<String> = got
        .distribution()
        .unwrap()
        .distribution_config()
        .unwrap()
        .custom_error_responses()
        .unwrap()
        .items()
        .iter()
        .filter(|e| e.error_code() == 503)
        .map(|e| e.response_page_path().unwrap_or_default().to_string())
        .collect();
    assert_eq!(pages, ["/errors/unavailable.html"]);
    let diff = p.run(&["diff", second, "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");

    // Destroy: nothing of the edge is left.
    p.ok(&["destroy", "--yes"]);
    assert_no_edge_left(&emu, &REGIONS).await;
    for region in REGIONS {
        let eips = emu
            .ec2(region)
            .await
            .describe_addresses()
            .send()
            .await
            .unwrap();
        assert!(eips.addresses().is_empty(), "{region}");
    }
    assert!(p.state("pyairtable-dev").resources.is_empty());
}

//! The whole spec format (the DESIGN.md sketch, every section): it parses and type-checks, is
//! refused only for what is not implemented yet, and `without_region` repairs every mention.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_spec::{parse_str, Certificates, Role, Spec, IMPLEMENTED_SECTIONS};
use std::path::Path;
use std::time::Duration;

const FULL: &str = r#"
stack: pyairtable
environment: prod
tags: { Project: pyairtable, Environment: prod, ManagedBy: provision }
regions:
  us-east-1:      { role: primary,   cidr: 10.0.0.0/16, azs: 3 }
  eu-west-1:      { role: secondary, cidr: 10.1.0.0/16, azs: 3 }
  ap-southeast-1: { role: secondary, cidr: 10.2.0.0/16, azs: 3 }
network: { nat_gateways: per_az, peering: full_mesh, flow_logs: true }
eks:
  version: "1.31"
  endpoint: { public: true, private: true }
  logging: [api, audit, authenticator]
  node_groups:
    general: { instance_types: [m6i.xlarge], capacity: ON_DEMAND, min: 3, desired: 3, max: 12 }
database:
  engine: postgres
  version: "15.4"
  instance_class: db.r6g.xlarge
  storage: { type: gp3, size_gb: 500, iops: 12000 }
  multi_az: true
  backup: { retention_days: 30, window: "03:00-04:00", cross_region_copy: eu-west-1 }
  maintenance_window: "sun:04:00-sun:05:00"
  performance_insights: true
  deletion_protection: true
  replicas: [eu-west-1, ap-southeast-1]
cache:
  engine: redis
  version: "7.1"
  node_type: cache.r6g.large
  shards: 3
  replicas_per_shard: 1
  maintenance_window: "sun:05:00-sun:06:00"
kafka:
  version: "3.6.0"
  broker_type: kafka.m5.large
  brokers_per_az: 1
  storage_gb: 1000
  retention_hours: 168
  topics: [events, audit-logs, notifications]
  mirror: { from: us-east-1, to: [eu-west-1, ap-southeast-1] }
edge:
  domain: api.example.com
  certificates:
    us-east-1: arn:aws:acm:us-east-1:123456789012:certificate/aaaa
    eu-west-1: arn:aws:acm:eu-west-1:123456789012:certificate/bbbb
    ap-southeast-1: arn:aws:acm:ap-southeast-1:123456789012:certificate/cccc
  cloudfront: { price_class: PriceClass_All, origin_shield_region: us-east-1 }
  waf:
    rate_limit_per_5min: 2000
    managed_rules: [AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet,
                    AWSManagedRulesSQLiRuleSet, AWSManagedRulesAmazonIpReputationList]
    blocked_countries: []
dns:
  zone: example.com
  health_check: { path: /health, interval_s: 30, failure_threshold: 3 }
  routing: { geolocation: { EU: eu-west-1, AS: ap-southeast-1, default: us-east-1 } }
monitoring:
  alert_email: oncall@example.com
  alarms: { rds_cpu_pct: 80, replica_lag_s: 900, cache_cpu_pct: 75, alb_5xx_per_min: 50 }
dr: { rto_minutes: 30, rpo_minutes: 15, failover_order: [eu-west-1, ap-southeast-1] }
timeouts: { eks: 30m, rds: 60m, elasticache: 60m, msk: 120m }
"#;

fn full() -> Spec {
    serde_yaml_ng::from_str(FULL).unwrap()
}

#[test]
fn the_full_format_is_refused_only_for_what_is_not_implemented() {
    let errors = parse_str(FULL, Path::new("full.yaml")).unwrap_err();
    let mut sections: Vec<&str> = Vec::new();
    for e in &errors {
        let m = &e.message;
        if let Some(rest) = m.strip_prefix("section `") {
            sections.push(rest.split('`').next().unwrap());
        } else {
            assert!(m.starts_with("`flow_logs: true`"), "unexpected error: {e}");
        }
    }
    assert!(sections.is_empty(), "refused: {sections:?}");
    assert!(["dr", "dns", "edge"]
        .iter()
        .all(|s| IMPLEMENTED_SECTIONS.contains(s)));
    assert_eq!(errors.len(), 1, "{errors}");
}

#[test]
fn the_full_format_deserializes_every_field() {
    let s = full();
    assert_eq!(s.timeouts.msk, Some(Duration::from_secs(7200)));
    assert_eq!(
        s.timeouts.for_service("kafka"),
        Some(Duration::from_secs(7200))
    );
    assert_eq!(s.timeouts.for_service("ec2"), None);
    let eks = s.eks.as_ref().unwrap();
    assert!(eks.endpoint.public);
    assert_eq!(eks.node_groups["general"].max, 12);
    let db = s.database.as_ref().unwrap();
    assert_eq!(db.storage.iops, Some(12000));
    assert!(db.final_snapshot, "final_snapshot defaults to true");
    assert_eq!(s.kafka.as_ref().unwrap().topics.len(), 3);
    let edge = s.edge.as_ref().unwrap();
    assert!(matches!(&edge.certificates, Certificates::Arns(m) if m.len() == 3));
    assert_eq!(edge.waf.managed_rules.len(), 4);
    assert_eq!(
        s.dns.as_ref().unwrap().routing.geolocation["EU"],
        "eu-west-1"
    );
    assert_eq!(s.dr.as_ref().unwrap().rto_minutes, 30);

    // It serializes back to a spec that reads the same.
    let yaml = serde_yaml_ng::to_string(&s).unwrap();
    let again: Spec = serde_yaml_ng::from_str(&yaml).unwrap();
    assert_eq!(again, s);
}

#[test]
fn eks_version_defaults_and_1_28_stays_expressible() {
    let s: Spec =
        serde_yaml_ng::from_str(&FULL.replace("  version: \"1.31\"\n  endpoint", "  endpoint"))
            .unwrap();
    assert_eq!(s.eks.unwrap().version, provision_spec::DEFAULT_EKS_VERSION);
    let old = FULL.replace("\"1.31\"", "\"1.28\"");
    let errors = parse_str(&old, Path::new("full.yaml")).unwrap_err();
    assert!(!errors.to_string().contains("eks.version"), "{errors}");
}

#[test]
fn request_dns_certificates() {
    let src = FULL.replace(
        "  certificates:\n    us-east-1: arn:aws:acm:us-east-1:123456789012:certificate/aaaa\n    eu-west-1: arn:aws:acm:eu-west-1:123456789012:certificate/bbbb\n    ap-southeast-1: arn:aws:acm:ap-southeast-1:123456789012:certificate/cccc\n",
        "  certificates: { request: dns }\n",
    );
    let s: Spec = serde_yaml_ng::from_str(&src).unwrap();
    assert_eq!(s.edge.unwrap().certificates, Certificates::RequestDns);
}

#[test]
fn without_region_drops_every_mention() {
    let s = full().without_region("eu-west-1").unwrap();
    assert_eq!(s.region_names(), ["us-east-1", "ap-southeast-1"]);
    let db = s.database.as_ref().unwrap();
    assert_eq!(db.replicas, ["ap-southeast-1"]);
    assert_eq!(db.backup.cross_region_copy, None);
    assert_eq!(
        s.kafka.as_ref().unwrap().mirror.as_ref().unwrap().to,
        ["ap-southeast-1"]
    );
    let Certificates::Arns(arns) = &s.edge.as_ref().unwrap().certificates else {
        panic!("arns")
    };
    assert!(!arns.contains_key("eu-west-1"));
    let geo = &s.dns.as_ref().unwrap().routing.geolocation;
    assert!(!geo.contains_key("EU"));
    assert_eq!(geo["default"], "us-east-1");
    assert_eq!(s.dr.as_ref().unwrap().failover_order, ["ap-southeast-1"]);

    // Removing the last mirror target drops the mirror.
    let s = s.without_region("ap-southeast-1").unwrap();
    assert!(s.kafka.as_ref().unwrap().mirror.is_none());
    assert_eq!(s.region_names(), ["us-east-1"]);
}

#[test]
fn without_region_refuses_primary_and_unknown() {
    let s = full();
    let e = s.without_region("us-east-1").unwrap_err();
    assert!(e.contains("primary"), "{e}");
    let e = s.without_region("sa-east-1").unwrap_err();
    assert!(e.contains("not in the spec"), "{e}");
    assert_eq!(s.regions["us-east-1"].role, Role::Primary);
}

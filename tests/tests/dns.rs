//! The Route 53 kinds (`route53.zone`, `route53.health_check`, `route53.record`), declared
//! through the spec's `resources` section beside an internet-facing load balancer: a public
//! zone, an HTTPS health check of the load balancer, geolocation alias records to it for EU, AS
//! and the default location, a failover pair, and a plain CNAME. Built, changed in place (the
//! health check through its HealthCheckVersion, records by UPSERT), and removed, checked with
//! the Route 53 API and the emulator's call recorder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_route53::types::{ResourceRecordSet, RrType};
use provision_tests::*;
use std::path::{Path, PathBuf};

const RESOURCES: &str = r#"
resources:
  us-east-1/ec2.security_group/web:
    properties:
      vpc_id: ${us-east-1/ec2.vpc/main#id}
      group_name: pyairtable-dev-web
      description: Public HTTPS entry point
  us-east-1/elbv2.load_balancer/web:
    properties:
      name: pyairtable-dev-web
      scheme: internet-facing
      subnets:
        - ${us-east-1/ec2.subnet/public-a#id}
        - ${us-east-1/ec2.subnet/public-b#id}
      security_groups:
        - ${us-east-1/ec2.security_group/web#id}
  global/route53.zone/main:
    properties:
      name: example-dev.test
      comment: pyairtable dev
  global/route53.health_check/api:
    properties:
      type: HTTPS
      fqdn: ${us-east-1/elbv2.load_balancer/web#dns_name}
      port: 443
      resource_path: /health
      request_interval: 30
      failure_threshold: THRESHOLD
      tags: { Purpose: api }
  global/route53.record/api-eu:
    properties:
      zone_id: ${global/route53.zone/main#zone_id}
      name: api.example-dev.test
      type: A
      set_identifier: eu
      geolocation: { continent_code: EU }
      alias:
        dns_name: ${us-east-1/elbv2.load_balancer/web#dns_name}
        zone_id: ${us-east-1/elbv2.load_balancer/web#zone_id}
        evaluate_target_health: true
      health_check_id: ${global/route53.health_check/api#id}
  global/route53.record/api-as:
    properties:
      zone_id: ${global/route53.zone/main#zone_id}
      name: api.example-dev.test
      type: A
      set_identifier: as
      geolocation: { continent_code: AS }
      alias:
        dns_name: ${us-east-1/elbv2.load_balancer/web#dns_name}
        zone_id: ${us-east-1/elbv2.load_balancer/web#zone_id}
        evaluate_target_health: true
      health_check_id: ${global/route53.health_check/api#id}
  global/route53.record/api-default:
    properties:
      zone_id: ${global/route53.zone/main#zone_id}
      name: api.example-dev.test
      type: A
      set_identifier: default
      geolocation: { country_code: "*" }
      alias:
        dns_name: ${us-east-1/elbv2.load_balancer/web#dns_name}
        zone_id: ${us-east-1/elbv2.load_balancer/web#zone_id}
        evaluate_target_health: true
      health_check_id: ${global/route53.health_check/api#id}
  global/route53.record/app-primary:
    properties:
      zone_id: ${global/route53.zone/main#zone_id}
      name: app.example-dev.test
      type: A
      set_identifier: primary
      failover: PRIMARY
      ttl: 60
      records: [192.0.2.10]
      health_check_id: ${global/route53.health_check/api#id}
  global/route53.record/app-secondary:
    properties:
      zone_id: ${global/route53.zone/main#zone_id}
      name: app.example-dev.test
      type: A
      set_identifier: secondary
      failover: SECONDARY
      ttl: 60
      records: [192.0.2.20]
SECONDARY_HC
  global/route53.record/docs:
    properties:
      zone_id: ${global/route53.zone/main#zone_id}
      name: docs.example-dev.test
      type: CNAME
      ttl: TTL
      records: [pyairtable.example.com]
"#;

/// The dev spec with the resources above: the health check's failure threshold, the CNAME's
/// TTL, and whether the secondary failover record has the health check too.
fn spec(dir: &Path, file: &str, threshold: u32, ttl: u32, secondary_checked: bool) -> PathBuf {
    let dev = std::fs::read_to_string(repo_root().join(DEV)).unwrap();
    let hc = if secondary_checked {
        "      health_check_id: ${global/route53.health_check/api#id}"
    } else {
        ""
    };
    let resources = RESOURCES
        .replace("THRESHOLD", &threshold.to_string())
        .replace("TTL", &ttl.to_string())
        .replace("SECONDARY_HC", hc);
    let path = dir.join(file);
    std::fs::write(&path, format!("{dev}{resources}")).unwrap();
    path
}

fn dns(name: &str) -> String {
    name.trim_end_matches('.').to_lowercase()
}

/// Every record of the zone, paged with all three Next* values.
async fn records(r53: &aws_sdk_route53::Client, zone: &str) -> Vec<ResourceRecordSet> {
    let mut out = Vec::new();
    let (mut name, mut rtype, mut ident) = (None, None, None);
    loop {
        let page = r53
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .set_start_record_name(name)
            .set_start_record_type(rtype)
            .set_start_record_identifier(ident)
            .send()
            .await
            .unwrap();
        out.extend(page.resource_record_sets().iter().cloned());
        if !page.is_truncated() {
            return out;
        }
        name = page.next_record_name().map(str::to_string);
        rtype = page.next_record_type().cloned();
        ident = page.next_record_identifier().map(str::to_string);
    }
}

fn find<'a>(
    records: &'a [ResourceRecordSet],
    name: &str,
    set: Option<&str>,
) -> &'a ResourceRecordSet {
    records
        .iter()
        .find(|r| dns(r.name()) == name && r.set_identifier() == set)
        .unwrap_or_else(|| panic!("no record {name} {set:?} in {records:#?}"))
}

/// The Route 53 operation of a recorded call (`METHOD /2013-04-01/<path>`, the REST form).
fn operation(action: &str) -> String {
    let (method, path) = action.split_once(' ').unwrap_or((action, ""));
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_matches('/').split('/').skip(1).collect();
    let op = match (method, segments.as_slice()) {
        ("POST", ["hostedzone"]) => "CreateHostedZone",
        ("POST", ["hostedzone", _, "rrset", ..]) => "ChangeResourceRecordSets",
        ("POST", ["hostedzone", _]) => "UpdateHostedZoneComment",
        ("DELETE", ["hostedzone", _]) => "DeleteHostedZone",
        ("GET", ["hostedzone"]) => "ListHostedZones",
        ("GET", ["hostedzone", _]) => "GetHostedZone",
        ("GET", ["hostedzone", _, "rrset", ..]) => "ListResourceRecordSets",
        ("POST", ["healthcheck"]) => "CreateHealthCheck",
        ("POST", ["healthcheck", _]) => "UpdateHealthCheck",
        ("DELETE", ["healthcheck", _]) => "DeleteHealthCheck",
        ("GET", ["healthcheck"]) => "ListHealthChecks",
        ("GET", ["healthcheck", _]) => "GetHealthCheck",
        ("GET", ["change", _]) => "GetChange",
        ("POST", ["tags", _]) => "ListTagsForResources",
        ("POST", ["tags", _, _]) => "ChangeTagsForResource",
        _ => return action.to_string(),
    };
    op.to_string()
}

/// How many times each Route 53 operation was called since the recorder was reset.
fn route53_calls(emu: &Emulator) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for c in emu.calls().into_iter().filter(|c| c.service == "route53") {
        *out.entry(operation(&c.action)).or_default() += 1;
    }
    out
}

fn n(calls: &std::collections::BTreeMap<String, usize>, op: &str) -> usize {
    calls.get(op).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zone_health_check_and_routed_records_are_built_changed_in_place_and_removed() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let first = spec(dir.path(), "dev-dns.yaml", 3, 300, false);
    let first = first.to_str().unwrap();
    emu.reset_calls();
    p.ok(&["up", first, "--yes"]);
    let calls = route53_calls(&emu);

    let elb = emu.elbv2("us-east-1").await;
    let lbs = elb
        .describe_load_balancers()
        .names("pyairtable-dev-web")
        .send()
        .await
        .unwrap();
    let lb = &lbs.load_balancers()[0];
    let lb_dns = dns(lb.dns_name().unwrap());
    let lb_zone = lb.canonical_hosted_zone_id().unwrap().to_string();

    // The public zone, with its name servers recorded for the spec's outputs and references.
    let r53 = emu.route53().await;
    let zones = r53.list_hosted_zones().send().await.unwrap();
    assert_eq!(zones.hosted_zones().len(), 1, "{zones:?}");
    let zone = &zones.hosted_zones()[0];
    assert_eq!(zone.name(), "example-dev.test.");
    assert!(!zone.config().unwrap().private_zone());
    assert_eq!(zone.config().unwrap().comment(), Some("pyairtable dev"));
    let zone_id = zone.id().trim_start_matches("/hostedzone/").to_string();
    let got = r53.get_hosted_zone().id(&zone_id).send().await.unwrap();
    let ns = got.delegation_set().unwrap().name_servers().to_vec();
    assert_eq!(ns.len(), 4, "{ns:?}");
    let state = p.state("pyairtable-dev");
    let recorded = &state.resources[&"global/route53.zone/main".parse().unwrap()];
    assert_eq!(recorded.id.as_deref(), Some(zone_id.as_str()));
    assert_eq!(recorded.observed["name_servers"], serde_json::json!(ns));
    let tags = r53
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
        .resource_id(&zone_id)
        .send()
        .await
        .unwrap();
    let tags = tags.resource_tag_set().unwrap().tags();
    assert!(tags
        .iter()
        .any(|t| t.key() == Some("provision:address")
            && t.value() == Some("global/route53.zone/main")));
    assert!(tags
        .iter()
        .any(|t| t.key() == Some("Project") && t.value() == Some("pyairtable")));

    // The health check of the load balancer: HTTPS /health every 30 s, 3 failures, SNI on.
    let checks = r53.list_health_checks().send().await.unwrap();
    assert_eq!(checks.health_checks().len(), 1, "{checks:?}");
    let check = &checks.health_checks()[0];
    let hc_id = check.id().to_string();
    let config = check.health_check_config().unwrap();
    assert_eq!(config.r#type().as_str(), "HTTPS");
    assert_eq!(
        config.fully_qualified_domain_name().map(dns),
        Some(lb_dns.clone())
    );
    assert_eq!(config.port(), Some(443));
    assert_eq!(config.resource_path(), Some("/health"));
    assert_eq!(config.request_interval(), Some(30));
    assert_eq!(config.failure_threshold(), Some(3));
    assert_eq!(config.enable_sni(), Some(true));
    let tags = r53
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Healthcheck)
        .resource_id(&hc_id)
        .send()
        .await
        .unwrap();
    let tags = tags.resource_tag_set().unwrap().tags();
    assert!(tags
        .iter()
        .any(|t| t.key() == Some("Purpose") && t.value() == Some("api")));

    // Geolocation: EU, AS and the default location, each an alias to the load balancer (in
    // its own alias zone) with the health check.
    let all = records(&r53, &zone_id).await;
    for (set, continent, country) in [
        ("eu", Some("EU"), None),
        ("as", Some("AS"), None),
        ("default", None, Some("*")),
    ] {
        let r = find(&all, "api.example-dev.test", Some(set));
        assert_eq!(r.r#type(), &RrType::A);
        let geo = r.geo_location().unwrap();
        assert_eq!(geo.continent_code(), continent, "{set}");
        assert_eq!(geo.country_code(), country, "{set}");
        let alias = r.alias_target().unwrap();
        assert_eq!(dns(alias.dns_name()), lb_dns, "{set}");
        assert_eq!(alias.hosted_zone_id(), lb_zone, "{set}");
        assert!(alias.evaluate_target_health(), "{set}");
        assert_eq!(r.health_check_id(), Some(hc_id.as_str()), "{set}");
        assert!(r.ttl().is_none() && r.resource_records().is_empty());
    }
    // The failover pair: the primary checked, the secondary not (yet).
    let primary = find(&all, "app.example-dev.test", Some("primary"));
    assert_eq!(primary.failover().map(|f| f.as_str()), Some("PRIMARY"));
    assert_eq!(primary.health_check_id(), Some(hc_id.as_str()));
    assert_eq!(primary.ttl(), Some(60));
    assert_eq!(primary.resource_records()[0].value(), "192.0.2.10");
    let secondary = find(&all, "app.example-dev.test", Some("secondary"));
    assert_eq!(secondary.failover().map(|f| f.as_str()), Some("SECONDARY"));
    assert_eq!(secondary.health_check_id(), None);
    assert_eq!(secondary.resource_records()[0].value(), "192.0.2.20");
    let docs = find(&all, "docs.example-dev.test", None);
    assert_eq!(docs.r#type(), &RrType::Cname);
    assert_eq!(docs.ttl(), Some(300));
    assert_eq!(docs.resource_records()[0].value(), "pyairtable.example.com");
    // Nothing else but the zone's own NS and SOA.
    assert_eq!(all.len(), 6 + 2, "{all:#?}");

    // The creates went through the API and waited for their changes: one CreateHostedZone,
    // one CreateHealthCheck, one UPSERT per record, each change polled until INSYNC.
    assert_eq!(n(&calls, "CreateHostedZone"), 1, "{calls:#?}");
    assert_eq!(n(&calls, "CreateHealthCheck"), 1, "{calls:#?}");
    assert_eq!(n(&calls, "ChangeResourceRecordSets"), 6, "{calls:#?}");
    assert_eq!(n(&calls, "ChangeTagsForResource"), 2, "{calls:#?}");
    assert!(n(&calls, "GetChange") >= 7, "{calls:#?}");
    assert_eq!(
        p.ids("pyairtable-dev")["global/route53.record/api-default"],
        format!("{zone_id}/api.example-dev.test/A/default")
    );

    // A no-op after up, and its refresh is batched: one listing of zones, of health checks,
    // and of the zone's records; tags in batches; name servers of the one zone.
    emu.reset_calls();
    let diff = p.run(&["diff", first, "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "not a no-op after up: {diff:?}");
    let calls = route53_calls(&emu);
    let reads = [
        ("ListHostedZones", 1),
        ("GetHostedZone", 1),
        ("ListHealthChecks", 1),
        ("ListTagsForResources", 2),
        ("ListResourceRecordSets", 1),
    ];
    assert_eq!(
        calls,
        reads.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        "refresh calls"
    );

    // In place: the threshold (UpdateHealthCheck with the version just read), the CNAME's TTL
    // and the secondary's health check (UPSERTs). Same zone, same health check.
    let second = spec(dir.path(), "dev-dns-2.yaml", 5, 600, true);
    let second = second.to_str().unwrap();
    emu.reset_calls();
    let up = p.ok(&["up", second, "--yes"]);
    assert!(up.stdout.contains("~ failure_threshold = 3 -> 5"), "{up:?}");
    assert!(up.stdout.contains("~ ttl = 300 -> 600"), "{up:?}");
    assert!(
        up.stdout
            .contains("Plan: 0 to add, 3 to change, 0 to destroy."),
        "{up:?}"
    );
    let calls = route53_calls(&emu);
    assert_eq!(n(&calls, "GetHealthCheck"), 1, "{calls:#?}");
    assert_eq!(n(&calls, "UpdateHealthCheck"), 1, "{calls:#?}");
    assert_eq!(n(&calls, "ChangeResourceRecordSets"), 2, "{calls:#?}");
    assert_eq!(
        n(&calls, "CreateHostedZone") + n(&calls, "CreateHealthCheck"),
        0
    );
    // The provision tags are rewritten by every update of a taggable kind (tag_diff): once,
    // for the health check; the zone is not updated.
    assert_eq!(n(&calls, "ChangeTagsForResource"), 1, "{calls:#?}");
    assert_eq!(n(&calls, "UpdateHostedZoneComment"), 0, "{calls:#?}");
    let zones = r53.list_hosted_zones().send().await.unwrap();
    assert_eq!(zones.hosted_zones().len(), 1);
    assert_eq!(
        zones.hosted_zones()[0]
            .id()
            .trim_start_matches("/hostedzone/"),
        zone_id
    );
    let check = r53
        .get_health_check()
        .health_check_id(&hc_id)
        .send()
        .await
        .unwrap();
    let check = check.health_check().unwrap();
    assert_eq!(check.health_check_version(), 2);
    let config = check.health_check_config().unwrap();
    assert_eq!(config.failure_threshold(), Some(5));
    assert_eq!(config.request_interval(), Some(30));
    assert_eq!(
        r53.list_health_checks()
            .send()
            .await
            .unwrap()
            .health_checks()
            .len(),
        1
    );
    let all = records(&r53, &zone_id).await;
    assert_eq!(find(&all, "docs.example-dev.test", None).ttl(), Some(600));
    let secondary = find(&all, "app.example-dev.test", Some("secondary"));
    assert_eq!(secondary.health_check_id(), Some(hc_id.as_str()));
    assert_eq!(secondary.failover().map(|f| f.as_str()), Some("SECONDARY"));
    assert_eq!(all.len(), 6 + 2, "{all:#?}");
    assert_eq!(p.run(&["diff", second, "--detailed-exitcode"]).code, 0);

    // Without the resources, they go: the records, then the zone and the health check.
    emu.reset_calls();
    p.ok(&["up", DEV, "--yes"]);
    let calls = route53_calls(&emu);
    assert_eq!(n(&calls, "ChangeResourceRecordSets"), 6, "{calls:#?}");
    assert_eq!(n(&calls, "DeleteHostedZone"), 1, "{calls:#?}");
    assert_eq!(n(&calls, "DeleteHealthCheck"), 1, "{calls:#?}");
    let zones = r53.list_hosted_zones().send().await.unwrap();
    assert!(zones.hosted_zones().is_empty(), "{zones:?}");
    let checks = r53.list_health_checks().send().await.unwrap();
    assert!(checks.health_checks().is_empty(), "{checks:?}");
    let left = elb.describe_load_balancers().send().await.unwrap();
    assert!(left.load_balancers().is_empty(), "{left:?}");
    assert_eq!(p.run(&["diff", DEV, "--detailed-exitcode"]).code, 0);
}

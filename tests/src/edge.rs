//! Describe checks of what `edge` and `dns` expand to, shared by the tests that build them
//! (tests/edge.rs on the dev network, tests/destroy.rs on prod).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{Emulator, Provision};
use std::collections::BTreeMap;

/// What the spec asked for.
pub struct Expected<'a> {
    /// `<stack>-<environment>`.
    pub stack: &'a str,
    pub zone: &'a str,
    pub domain: &'a str,
    /// The region CloudFront and the failover record fall back to.
    pub secondary: &'a str,
    pub email: &'a str,
    pub regions: &'a [&'a str],
    /// Availability zones per region (the load balancers span the public subnet of each).
    pub azs: usize,
    /// The web ACLs' rate limit.
    pub rate: i64,
}

/// The global ids the checks found.
pub struct EdgeIds {
    pub distribution: String,
    pub web_acl: String,
}

fn norm(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Per region, a load balancer with its HTTPS listener (the region's issued certificate, TLS
/// 1.2+), HTTP redirected and a web ACL; a zone with name servers, a health check per region
/// (HTTPS /health, 30 s, 3 failures), geolocation records (EU, AS, default) with their health
/// checks, the failover pair; a distribution with an origin per region, Origin Shield on the
/// primary's, the failover group, the error pages, the security headers, the CLOUDFRONT web
/// ACL (rate rule, managed groups) and the alias; alarms and the e-mail subscription per
/// region; the outputs.
pub async fn check_edge(emu: &Emulator, p: &Provision, e: &Expected<'_>) -> EdgeIds {
    let ids = p.ids(e.stack);
    // Per region: the load balancer, its HTTPS listener with the region's issued certificate,
    // HTTP redirected, and the regional web ACL on it.
    let mut alb_dns: BTreeMap<&str, String> = BTreeMap::new();
    for &region in e.regions {
        let elb = emu.elbv2(region).await;
        let lb_arn = &ids[&format!("{region}/elbv2.load_balancer/web")];
        let lbs = elb
            .describe_load_balancers()
            .load_balancer_arns(lb_arn)
            .send()
            .await
            .unwrap();
        let lb = &lbs.load_balancers()[0];
        assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
        assert_eq!(lb.availability_zones().len(), e.azs, "{region}");
        alb_dns.insert(region, lb.dns_name().unwrap().to_string());
        let listeners = elb
            .describe_listeners()
            .load_balancer_arn(lb_arn)
            .send()
            .await
            .unwrap();
        let https = listeners
            .listeners()
            .iter()
            .find(|l| l.port() == Some(443))
            .unwrap_or_else(|| panic!("{region}: no HTTPS listener"));
        assert_eq!(https.protocol().map(|x| x.as_str()), Some("HTTPS"));
        assert_eq!(
            https.ssl_policy(),
            Some("ELBSecurityPolicy-TLS13-1-2-2021-06")
        );
        let cert = https.certificates()[0].certificate_arn().unwrap();
        assert!(
            cert.starts_with(&format!("arn:aws:acm:{region}:")),
            "{cert}"
        );
        let c = emu
            .acm(region)
            .await
            .describe_certificate()
            .certificate_arn(cert)
            .send()
            .await
            .unwrap();
        let c = c.certificate().unwrap();
        assert_eq!(c.status().map(|s| s.as_str()), Some("ISSUED"), "{region}");
        assert_eq!(c.domain_name(), Some(e.domain));
        let http = listeners
            .listeners()
            .iter()
            .find(|l| l.port() == Some(80))
            .unwrap_or_else(|| panic!("{region}: no HTTP listener"));
        let redirect = http.default_actions()[0].redirect_config().unwrap();
        assert_eq!(redirect.protocol(), Some("HTTPS"));
        let acl = emu
            .wafv2(region)
            .await
            .get_web_acl_for_resource()
            .resource_arn(lb_arn)
            .send()
            .await
            .unwrap();
        assert!(acl.web_acl().is_some(), "{region}: no web ACL on the ALB");
    }

    // Route 53: the zone, a health check per region (HTTPS /health, 30 s, 3 failures), the
    // geolocation records with their health checks, the failover pair, CloudFront's alias.
    let r53 = emu.route53().await;
    let zone_id = ids["global/route53.zone/main"].clone();
    let zone = r53.get_hosted_zone().id(&zone_id).send().await.unwrap();
    assert_eq!(norm(zone.hosted_zone().unwrap().name()), e.zone);
    assert!(!zone.delegation_set().unwrap().name_servers().is_empty());
    let mut checks: BTreeMap<String, &str> = BTreeMap::new();
    for &region in e.regions {
        let id = ids[&format!("global/route53.health_check/{region}")].clone();
        let hc = r53
            .get_health_check()
            .health_check_id(&id)
            .send()
            .await
            .unwrap();
        let cfg = hc.health_check().unwrap().health_check_config().unwrap();
        assert_eq!(cfg.r#type().as_str(), "HTTPS");
        assert_eq!(cfg.resource_path(), Some("/health"));
        assert_eq!(cfg.request_interval(), Some(30));
        assert_eq!(cfg.failure_threshold(), Some(3));
        assert_eq!(
            cfg.fully_qualified_domain_name(),
            Some(alb_dns[region].as_str())
        );
        checks.insert(id, region);
    }
    let records = r53
        .list_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .send()
        .await
        .unwrap();
    let geo: Vec<_> = records
        .resource_record_sets()
        .iter()
        .filter(|r| norm(r.name()) == e.domain && r.geo_location().is_some())
        .collect();
    let mut routes: BTreeMap<String, &str> = BTreeMap::new();
    for r in &geo {
        let g = r.geo_location().unwrap();
        let location = g.continent_code().or(g.country_code()).unwrap().to_string();
        let region = checks[r
            .health_check_id()
            .expect("a geolocation record's health check")];
        let alias = r.alias_target().expect("an alias to the load balancer");
        assert_eq!(norm(alias.dns_name()), norm(&alb_dns[region]));
        assert!(alias.evaluate_target_health());
        routes.insert(location, region);
    }
    assert_eq!(
        routes,
        BTreeMap::from([
            ("*".to_string(), "us-east-1"),
            ("AS".to_string(), "ap-southeast-1"),
            ("EU".to_string(), "eu-west-1"),
        ])
    );
    let failover: BTreeMap<String, &str> = records
        .resource_record_sets()
        .iter()
        .filter(|r| norm(r.name()) == format!("failover.{}", e.domain))
        .map(|r| {
            (
                r.failover().unwrap().as_str().to_string(),
                checks[r.health_check_id().unwrap()],
            )
        })
        .collect();
    assert_eq!(
        failover,
        BTreeMap::from([
            ("PRIMARY".to_string(), "us-east-1"),
            ("SECONDARY".to_string(), e.secondary),
        ])
    );

    // CloudFront: three regional origins, Origin Shield on the primary's, the failover group,
    // the error pages, the security headers, the CLOUDFRONT web ACL with the rate rule and the
    // managed groups, the alias with the us-east-1 certificate.
    let cf = emu.cloudfront().await;
    let dist_id = ids["global/cloudfront.distribution/main"].clone();
    let got = cf.get_distribution().id(&dist_id).send().await.unwrap();
    let d = got.distribution().unwrap();
    let cfg = d.distribution_config().unwrap();
    let origins = cfg.origins().unwrap().items();
    assert_eq!(origins.len(), 3);
    for o in origins {
        assert_eq!(o.domain_name(), alb_dns[o.id()].as_str());
        let shield = o.origin_shield().is_some_and(|s| s.enabled());
        assert_eq!(shield, o.id() == "us-east-1", "{}", o.id());
    }
    let groups = cfg.origin_groups().unwrap().items();
    assert_eq!(groups.len(), 1);
    let errors: BTreeMap<i32, String> = cfg
        .custom_error_responses()
        .unwrap()
        .items()
        .iter()
        .map(|e| {
            (
                e.error_code(),
                e.response_page_path().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(errors[&503], "/errors/503.html");
    assert_eq!(errors.len(), 3);
    assert_eq!(
        cfg.aliases().unwrap().items(),
        [format!("cdn.{}", e.domain)].as_slice()
    );
    let viewer = cfg.viewer_certificate().unwrap();
    assert!(viewer
        .acm_certificate_arn()
        .unwrap()
        .starts_with("arn:aws:acm:us-east-1:"));
    let acl_arn = ids["global/wafv2.web_acl/edge"].clone();
    assert_eq!(cfg.web_acl_id(), Some(acl_arn.as_str()));
    let policy_id = cfg
        .default_cache_behavior()
        .unwrap()
        .response_headers_policy_id()
        .unwrap()
        .to_string();
    let policy = cf
        .get_response_headers_policy()
        .id(&policy_id)
        .send()
        .await
        .unwrap();
    let headers = policy
        .response_headers_policy()
        .unwrap()
        .response_headers_policy_config()
        .unwrap()
        .security_headers_config()
        .unwrap();
    assert!(headers.strict_transport_security().is_some());
    assert!(headers.content_type_options().is_some());
    assert!(headers.frame_options().is_some());
    assert!(headers.referrer_policy().is_some());
    let acl = cloudfront_web_acl(emu, &acl_arn).await;
    let acl = &acl;
    assert_eq!(rate_limit(acl), Some(e.rate));
    let managed: Vec<&str> = acl
        .rules()
        .iter()
        .filter_map(|r| Some(r.statement()?.managed_rule_group_statement()?.name()))
        .collect();
    assert_eq!(
        managed,
        [
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesSQLiRuleSet"
        ]
    );

    // Alarms and an e-mail subscription per region; the health-check alarms in us-east-1.
    for &region in e.regions {
        let cw = emu.cloudwatch(region).await;
        let alarms = cw.describe_alarms().send().await.unwrap();
        let names: Vec<&str> = alarms
            .metric_alarms()
            .iter()
            .filter_map(|a| a.alarm_name())
            .collect();
        assert!(
            names.contains(&format!("{}-alb-5xx", e.stack).as_str()),
            "{region}: {names:?}"
        );
        assert!(
            names.contains(&format!("{}-alb-unhealthy-targets", e.stack).as_str()),
            "{region}: {names:?}"
        );
        if region == "us-east-1" {
            for r in e.regions {
                assert!(names.contains(&format!("{}-health-{r}", e.stack).as_str()));
            }
        }
        let subs = emu
            .sns(region)
            .await
            .list_subscriptions()
            .send()
            .await
            .unwrap();
        assert!(subs
            .subscriptions()
            .iter()
            .any(|s| s.protocol() == Some("email") && s.endpoint() == Some(e.email)));
    }

    // The outputs name every entry point.
    let out = p.ok(&["output", "--json"]);
    let all: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for &region in e.regions {
        assert_eq!(
            all[format!("{region}.alb_dns_name")],
            alb_dns[region].as_str()
        );
    }
    assert_eq!(
        all["global.cloudfront_domain"].as_str(),
        d.domain_name().into()
    );
    assert_eq!(all["global.web_acl_arn"], acl_arn.as_str());
    assert!(all["global.name_servers"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));

    EdgeIds {
        distribution: dist_id,
        web_acl: acl_arn,
    }
}

/// The DNS records aliased to a load balancer's name, the health checks of it, and the
/// CloudFront origins on it.
pub async fn edge_pointing_at(
    emu: &Emulator,
    p: &Provision,
    stack: &str,
    alb: &str,
) -> (usize, usize, usize) {
    let ids = p.ids(stack);
    let r53 = emu.route53().await;
    let norm = |n: &str| n.trim_end_matches('.').to_ascii_lowercase();
    let records = r53
        .list_resource_record_sets()
        .hosted_zone_id(&ids["global/route53.zone/main"])
        .send()
        .await
        .unwrap();
    let geo = records
        .resource_record_sets()
        .iter()
        .filter(|r| r.geo_location().is_some())
        .filter(|r| {
            r.alias_target()
                .is_some_and(|a| norm(a.dns_name()) == norm(alb))
        })
        .count();
    let checks = r53.list_health_checks().send().await.unwrap();
    let checks = checks
        .health_checks()
        .iter()
        .filter(|c| {
            c.health_check_config()
                .and_then(|c| c.fully_qualified_domain_name())
                == Some(alb)
        })
        .count();
    let origins = cloudfront_config(emu, &ids["global/cloudfront.distribution/main"])
        .await
        .origins()
        .map(|o| o.items().iter().filter(|o| o.domain_name() == alb).count())
        .unwrap_or(0);
    (geo, checks, origins)
}

/// A distribution's configuration, as GetDistributionConfig answers it.
pub async fn cloudfront_config(
    emu: &Emulator,
    id: &str,
) -> aws_sdk_cloudfront::types::DistributionConfig {
    emu.cloudfront()
        .await
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .unwrap()
        .distribution_config()
        .cloned()
        .expect("GetDistributionConfig answers a configuration")
}

/// The ids of a distribution's origins, sorted.
pub async fn cloudfront_origins(emu: &Emulator, id: &str) -> Vec<String> {
    let mut ids: Vec<String> = cloudfront_config(emu, id)
        .await
        .origins()
        .map(|o| o.items().iter().map(|o| o.id().to_string()).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

/// The CLOUDFRONT-scope web ACL with this ARN, as GetWebACL answers it.
pub async fn cloudfront_web_acl(emu: &Emulator, arn: &str) -> aws_sdk_wafv2::types::WebAcl {
    let rest = arn.split_once("/webacl/").unwrap().1;
    let (name, id) = rest.rsplit_once('/').unwrap();
    let out = emu
        .wafv2("us-east-1")
        .await
        .get_web_acl()
        .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
        .name(name)
        .id(id)
        .send()
        .await
        .unwrap();
    out.web_acl().unwrap().clone()
}

/// The limit of a web ACL's rate-based rule.
pub fn rate_limit(acl: &aws_sdk_wafv2::types::WebAcl) -> Option<i64> {
    acl.rules()
        .iter()
        .find_map(|r| r.statement()?.rate_based_statement().map(|s| s.limit()))
}

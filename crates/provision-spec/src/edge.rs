//! The `edge` and `dns` sections: the regional entry points, the global edge, and the records
//! that route users to a healthy region.
//!
//! Per region of the spec:
//! - `ec2.security_group/alb` with `ec2.security_group_rule/alb-https` and `alb-http` (443 and
//!   80 from anywhere), and, with `eks`, `ec2.security_group_rule/eks-nodes-from-alb` (the
//!   target port from the load balancer's group);
//! - `elbv2.load_balancer/web` (internet-facing, in the public subnets),
//!   `elbv2.target_group/web` (HTTP to [`TARGET_PORT`], `ip` targets, the `dns.health_check`
//!   path), `elbv2.listener/https` (TLS 1.2+ policy, the region's certificate, forward) and
//!   `elbv2.listener/http` (301 to HTTPS);
//! - `wafv2.web_acl/web` (REGIONAL: the rate limit, blocked countries, managed groups) and
//!   `wafv2.web_acl_association/web`;
//! - with `request: dns`: `acm.certificate/edge` for the domain and `*.<domain>`, and
//!   `acm.certificate_validation/edge`, which waits until it is issued;
//! - with `monitoring`: `cloudwatch.alarm/alb-5xx` and `cloudwatch.alarm/alb-unhealthy-targets`,
//!   and in us-east-1 (where Route 53 publishes its metrics) `cloudwatch.alarm/health-<region>`
//!   per region.
//!
//! Global (`global/…`):
//! - `wafv2.web_acl/edge` (CLOUDFRONT scope), `cloudfront.response_headers_policy/security`
//!   and `cloudfront.distribution/main`: an origin per region (its load balancer), an origin
//!   group failing over from the primary to the first region of `dr.failover_order` (or the
//!   first secondary), Origin Shield on the primary's origin, the error pages, the alias
//!   `cdn.<domain>` with the us-east-1 certificate;
//! - with `dns`: `route53.zone/main` (unless `zone_id` names an existing zone), an HTTPS
//!   `route53.health_check/<region>` per region, `route53.record/geo-<location>` per entry of
//!   `dns.routing.geolocation` (plus `default` to the primary when the map has none): `<domain>`
//!   aliased to that region's load balancer with its health check; `route53.record/failover-
//!   primary` and `failover-secondary` for `failover.<domain>`; `route53.record/cdn` for
//!   `cdn.<domain>` to the distribution; with `request: dns`, `route53.record/acm-validation`,
//!   the CNAME that validates every region's certificate (ACM gives one record per domain and
//!   account, whichever the region).

use crate::model::{Certificates, DnsSpec, EdgeSpec, Spec, GEO_DEFAULT};
use provision_core::{Address, Ref, ResourceDecl, Value, GLOBAL};
use serde_json::json;
use std::collections::BTreeMap;

/// The port the load balancers forward to (the pods' or node ports' HTTP port).
pub const TARGET_PORT: u16 = 8080;
/// The listeners' TLS policy: TLS 1.3 and 1.2 only.
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/// CloudFront's viewer TLS floor.
pub const CLOUDFRONT_TLS: &str = "TLSv1.2_2021";
/// AWS managed cache policy `Managed-CachingDisabled`: an API is not cached by default.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// AWS managed origin request policy `Managed-AllViewerExceptHostHeader`: headers, cookies and
/// query strings reach the load balancer, with the origin's own Host.
pub const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// Where CloudFront's certificate must live.
pub const CLOUDFRONT_CERT_REGION: &str = "us-east-1";
/// Where Route 53 publishes health-check metrics (alarms on them live there).
pub const ROUTE53_METRICS_REGION: &str = "us-east-1";

fn global(kind: &str, name: &str) -> Address {
    Address::new(GLOBAL, kind, name)
}

fn r(address: &Address, field: &str) -> Value {
    Ref::new(address.clone(), field).to_value()
}

/// The spec's tags plus `Name = <stack>-<environment>-<name>`.
fn tags(spec: &Spec, name: &str) -> Value {
    let mut t: BTreeMap<String, String> = spec.tags.clone();
    t.insert("Name".into(), format!("{}-{name}", spec.stack_id()));
    json!(t)
}

/// The region whose origin CloudFront and the failover records fall back to: the first of
/// `dr.failover_order`, else the region the database's backups are copied to, else the first
/// secondary by name.
pub fn failover_region(spec: &Spec) -> Option<&str> {
    let primary = spec.primary_region();
    let usable = |r: &&str| spec.regions.contains_key(*r) && *r != primary;
    spec.dr
        .as_ref()
        .and_then(|dr| dr.failover_order.first())
        .map(String::as_str)
        .filter(usable)
        .or_else(|| {
            spec.database
                .as_ref()
                .and_then(|db| db.backup.cross_region_copy.as_deref())
                .filter(usable)
        })
        .or_else(|| spec.secondary_regions().first().copied())
}

/// The certificate a region's listener (or CloudFront, in us-east-1) uses: an ARN, or the
/// requested certificate once issued.
fn certificate(edge: &EdgeSpec, region: &str) -> Value {
    match &edge.certificates {
        Certificates::Arns(arns) => arns
            .get(region)
            .cloned()
            .map(Value::from)
            .unwrap_or_default(),
        Certificates::RequestDns => r(
            &Address::new(region, "acm.certificate_validation", "edge"),
            "id",
        ),
    }
}

/// The regions that need a certificate: every spec region, and us-east-1 for CloudFront.
fn certificate_regions(spec: &Spec) -> Vec<&str> {
    let mut out = spec.region_names();
    if !out.contains(&CLOUDFRONT_CERT_REGION) {
        out.push(CLOUDFRONT_CERT_REGION);
    }
    out
}

fn zone_id(dns: &DnsSpec) -> Value {
    match &dns.zone_id {
        Some(id) => id.clone().into(),
        None => r(&global("route53.zone", "main"), "id"),
    }
}

/// The resources of `edge` and `dns`, in every region and globally.
pub fn expand(spec: &Spec) -> Vec<ResourceDecl> {
    let Some(edge) = &spec.edge else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if edge.certificates == Certificates::RequestDns {
        out.extend(certificates(spec, edge));
    }
    for region in spec.region_names() {
        out.extend(regional(spec, edge, region));
    }
    out.extend(cloudfront(spec, edge));
    if let Some(dns) = &spec.dns {
        out.extend(records(spec, edge, dns));
    }
    if spec.monitoring.is_some() {
        out.extend(alarms(spec));
    }
    out
}

fn certificates(spec: &Spec, edge: &EdgeSpec) -> Vec<ResourceDecl> {
    let mut out = Vec::new();
    let validation = global("route53.record", "acm-validation");
    for region in certificate_regions(spec) {
        let cert = Address::new(region, "acm.certificate", "edge");
        out.push(
            ResourceDecl::new(cert.clone())
                .with("domain_name", edge.domain.clone())
                .with(
                    "subject_alternative_names",
                    json!([format!("*.{}", edge.domain)]),
                )
                .with("validation_method", "DNS")
                .with("tags", tags(spec, &format!("{region}-edge"))),
        );
        out.push(
            ResourceDecl::new(Address::new(region, "acm.certificate_validation", "edge"))
                .with_ref("certificate_arn", &cert, "arn")
                .depends_on(&validation),
        );
    }
    if let Some(dns) = &spec.dns {
        // One CNAME validates the domain (and its wildcard) in every region: take it from the
        // certificate that always exists.
        let cert = Address::new(CLOUDFRONT_CERT_REGION, "acm.certificate", "edge");
        out.push(
            ResourceDecl::new(validation)
                .with("zone_id", zone_id(dns))
                .with("name", r(&cert, "validation_record_name"))
                .with("type", "CNAME")
                .with("ttl", 300)
                .with("records", json!([r(&cert, "validation_record_value")])),
        );
    }
    out
}

fn regional(spec: &Spec, edge: &EdgeSpec, region: &str) -> Vec<ResourceDecl> {
    let id = spec.stack_id();
    let a = |kind: &str, name: &str| Address::new(region, kind, name);
    let rtags = |name: &str| tags(spec, &format!("{region}-{name}"));
    let mut out = Vec::new();
    let vpc = a("ec2.vpc", "main");
    let sg = a("ec2.security_group", "alb");
    out.push(
        ResourceDecl::new(sg.clone())
            .with_ref("vpc_id", &vpc, "id")
            .with("group_name", format!("{id}-alb"))
            .with(
                "description",
                format!("Internet-facing load balancer ({id})"),
            )
            .with("tags", rtags("alb")),
    );
    for (name, port, what) in [
        ("alb-https", 443, "HTTPS"),
        ("alb-http", 80, "HTTP, redirected to HTTPS"),
    ] {
        out.push(
            ResourceDecl::new(a("ec2.security_group_rule", name))
                .with_ref("security_group_id", &sg, "id")
                .with("direction", "ingress")
                .with("ip_protocol", "tcp")
                .with("from_port", port)
                .with("to_port", port)
                .with("cidr_ipv4", "0.0.0.0/0")
                .with("description", format!("{what} from anywhere"))
                .with("tags", rtags(name)),
        );
    }
    if spec.eks.is_some() {
        out.push(
            ResourceDecl::new(a("ec2.security_group_rule", "eks-nodes-from-alb"))
                .with_ref(
                    "security_group_id",
                    &a("ec2.security_group", "eks-nodes"),
                    "id",
                )
                .with("direction", "ingress")
                .with("ip_protocol", "tcp")
                .with("from_port", TARGET_PORT)
                .with("to_port", TARGET_PORT)
                .with_ref("source_security_group_id", &sg, "id")
                .with("description", "Application traffic from the load balancer")
                .with("tags", rtags("eks-nodes-from-alb")),
        );
    }
    let public: Vec<Value> = (0..spec.regions.get(region).map_or(0, |r| r.azs))
        .map(|i| {
            r(
                &a(
                    "ec2.subnet",
                    &format!("public-{}", crate::expand::az_letter(i)),
                ),
                "id",
            )
        })
        .collect();
    let lb = a("elbv2.load_balancer", "web");
    out.push(
        ResourceDecl::new(lb.clone())
            .with("name", format!("{id}-web"))
            .with("scheme", "internet-facing")
            .with("subnets", Value::Array(public))
            .with("security_groups", json!([r(&sg, "id")]))
            .with("tags", rtags("web")),
    );
    let path = spec
        .dns
        .as_ref()
        .map_or_else(|| "/health".to_string(), |d| d.health_check.path.clone());
    let tg = a("elbv2.target_group", "web");
    out.push(
        ResourceDecl::new(tg.clone())
            .with("name", format!("{id}-web"))
            .with("protocol", "HTTP")
            .with("port", TARGET_PORT)
            .with_ref("vpc_id", &vpc, "id")
            .with("target_type", "ip")
            .with("health_check_path", path)
            .with("health_check_interval_s", 30)
            .with("health_check_timeout_s", 5)
            .with("healthy_threshold", 3)
            .with("unhealthy_threshold", 3)
            .with("matcher", "200-399")
            .with("tags", rtags("web")),
    );
    out.push(
        ResourceDecl::new(a("elbv2.listener", "https"))
            .with_ref("load_balancer_arn", &lb, "arn")
            .with("port", 443)
            .with("protocol", "HTTPS")
            .with("ssl_policy", TLS_POLICY)
            .with("certificate_arn", certificate(edge, region))
            .with("action", "forward")
            .with_ref("target_group_arn", &tg, "arn")
            .with("tags", rtags("https")),
    );
    out.push(
        ResourceDecl::new(a("elbv2.listener", "http"))
            .with_ref("load_balancer_arn", &lb, "arn")
            .with("port", 80)
            .with("protocol", "HTTP")
            .with("action", "redirect")
            .with(
                "redirect",
                json!({"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}),
            )
            .with("tags", rtags("http")),
    );
    let acl = a("wafv2.web_acl", "web");
    out.push(web_acl(
        spec,
        edge,
        acl.clone(),
        format!("{id}-{region}-web"),
        rtags("web"),
    ));
    out.push(
        ResourceDecl::new(a("wafv2.web_acl_association", "web"))
            .with_ref("resource_arn", &lb, "arn")
            .with_ref("web_acl_arn", &acl, "arn"),
    );
    out
}

fn web_acl(
    spec: &Spec,
    edge: &EdgeSpec,
    address: Address,
    name: String,
    tags: Value,
) -> ResourceDecl {
    let scope = if address.is_global() {
        "CloudFront"
    } else {
        "load balancer"
    };
    ResourceDecl::new(address)
        .with("name", name)
        .with(
            "description",
            format!(
                "{} {scope}: rate limit, blocked countries, AWS managed rules",
                spec.stack_id()
            ),
        )
        .with("default_action", "allow")
        .with("rate_limit", edge.waf.rate_limit_per_5min)
        .with("blocked_countries", json!(edge.waf.blocked_countries))
        .with("managed_rules", json!(edge.waf.managed_rules))
        .with("tags", tags)
}

fn cloudfront(spec: &Spec, edge: &EdgeSpec) -> Vec<ResourceDecl> {
    let id = spec.stack_id();
    let primary = spec.primary_region();
    let mut out = Vec::new();
    let acl = global("wafv2.web_acl", "edge");
    out.push(web_acl(
        spec,
        edge,
        acl.clone(),
        format!("{id}-edge"),
        tags(spec, "edge"),
    ));
    let policy = global("cloudfront.response_headers_policy", "security");
    out.push(
        ResourceDecl::new(policy.clone())
            .with("name", format!("{id}-security-headers"))
            .with("comment", format!("{id}: HSTS, nosniff, frame and referrer policy"))
            .with(
                "hsts",
                json!({"max_age_s": 31_536_000, "include_subdomains": true, "preload": true, "override": true}),
            )
            .with("content_type_options", true)
            .with("frame_options", "DENY")
            .with("referrer_policy", "strict-origin-when-cross-origin"),
    );
    let origins: Vec<Value> = spec
        .region_names()
        .into_iter()
        .map(|region| {
            let lb = Address::new(region, "elbv2.load_balancer", "web");
            let mut o = json!({"id": region, "domain_name": r(&lb, "dns_name"),
                               "protocol_policy": "https-only", "https_port": 443});
            if region == primary {
                if let Some(shield) = &edge.cloudfront.origin_shield_region {
                    o["origin_shield_region"] = shield.clone().into();
                }
            }
            o
        })
        .collect();
    let mut target = primary.to_string();
    let mut d = ResourceDecl::new(global("cloudfront.distribution", "main"));
    if let Some(secondary) = failover_region(spec) {
        target = "failover".to_string();
        d = d.with(
            "origin_group",
            json!({"id": "failover", "primary": primary, "secondary": secondary,
                   "status_codes": [500, 502, 503, 504]}),
        );
    }
    let errors: Vec<Value> = edge
        .cloudfront
        .error_pages
        .iter()
        .map(|(code, page)| {
            json!({"error_code": code, "response_code": code, "response_page_path": page,
                   "error_caching_min_ttl_s": 10})
        })
        .collect();
    let d = d
        .with("comment", format!("{id}: the API at cdn.{}", edge.domain))
        .with("enabled", true)
        .with("aliases", json!([format!("cdn.{}", edge.domain)]))
        .with("price_class", json!(edge.cloudfront.price_class))
        .with("http_version", "http2")
        .with("origins", Value::Array(origins))
        .with(
            "default_behavior",
            // An origin group fails over for GET, HEAD and OPTIONS only, and CloudFront refuses
            // a behaviour that targets one with other methods.
            json!({"target_origin_id": target, "viewer_protocol_policy": "redirect-to-https",
                   "allowed_methods": ["GET", "HEAD", "OPTIONS"], "cached_methods": ["GET", "HEAD"],
                   "cache_policy_id": CACHING_DISABLED,
                   "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST,
                   "response_headers_policy_id": r(&policy, "id"), "compress": true}),
        )
        .with("custom_error_responses", Value::Array(errors))
        .with("certificate_arn", certificate(edge, CLOUDFRONT_CERT_REGION))
        .with("minimum_protocol_version", CLOUDFRONT_TLS)
        .with_ref("web_acl_id", &acl, "arn")
        .with("tags", tags(spec, "cdn"));
    out.push(d);
    out
}

/// The continent or country of a `dns.routing.geolocation` key, as Route 53 takes it.
fn geolocation(location: &str) -> Value {
    const CONTINENTS: [&str; 7] = ["AF", "AN", "AS", "EU", "NA", "OC", "SA"];
    if location == GEO_DEFAULT {
        json!({"country_code": "*"})
    } else if CONTINENTS.contains(&location) {
        json!({"continent_code": location})
    } else {
        json!({"country_code": location})
    }
}

fn records(spec: &Spec, edge: &EdgeSpec, dns: &DnsSpec) -> Vec<ResourceDecl> {
    let mut out = Vec::new();
    if let Some(zone) = &dns.zone {
        out.push(
            ResourceDecl::new(global("route53.zone", "main"))
                .with("name", zone.trim_end_matches('.').to_string())
                .with("comment", format!("{} (provision)", spec.stack_id()))
                .with("tags", tags(spec, "zone")),
        );
    }
    let zone = zone_id(dns);
    let hc = &dns.health_check;
    for region in spec.region_names() {
        let lb = Address::new(region, "elbv2.load_balancer", "web");
        out.push(
            ResourceDecl::new(global("route53.health_check", region))
                .with("type", "HTTPS")
                .with("fqdn", r(&lb, "dns_name"))
                .with("port", 443)
                .with("resource_path", hc.path.clone())
                .with("request_interval", hc.interval_s)
                .with("failure_threshold", hc.failure_threshold)
                .with("enable_sni", true)
                .with("tags", tags(spec, &format!("{region}-health"))),
        );
    }
    let alias_to = |region: &str| {
        let lb = Address::new(region, "elbv2.load_balancer", "web");
        json!({"dns_name": r(&lb, "dns_name"), "zone_id": r(&lb, "zone_id"),
               "evaluate_target_health": true})
    };
    let health = |region: &str| r(&global("route53.health_check", region), "id");
    let mut geo: BTreeMap<String, String> = dns.routing.geolocation.clone();
    geo.entry(GEO_DEFAULT.to_string())
        .or_insert_with(|| spec.primary_region().to_string());
    for (location, region) in &geo {
        if !spec.regions.contains_key(region) {
            continue;
        }
        let name = location.to_ascii_lowercase();
        out.push(
            ResourceDecl::new(global("route53.record", &format!("geo-{name}")))
                .with("zone_id", zone.clone())
                .with("name", edge.domain.clone())
                .with("type", "A")
                .with("set_identifier", format!("geo-{name}"))
                .with("geolocation", geolocation(location))
                .with("alias", alias_to(region))
                .with("health_check_id", health(region)),
        );
    }
    if let Some(secondary) = failover_region(spec) {
        for (role, region) in [("primary", spec.primary_region()), ("secondary", secondary)] {
            out.push(
                ResourceDecl::new(global("route53.record", &format!("failover-{role}")))
                    .with("zone_id", zone.clone())
                    .with("name", format!("failover.{}", edge.domain))
                    .with("type", "A")
                    .with("set_identifier", format!("failover-{role}"))
                    .with("failover", role.to_ascii_uppercase())
                    .with("alias", alias_to(region))
                    .with("health_check_id", health(region)),
            );
        }
    }
    let cdn = global("cloudfront.distribution", "main");
    out.push(
        ResourceDecl::new(global("route53.record", "cdn"))
            .with("zone_id", zone)
            .with("name", format!("cdn.{}", edge.domain))
            .with("type", "A")
            .with(
                "alias",
                json!({"dns_name": r(&cdn, "domain_name"), "zone_id": r(&cdn, "hosted_zone_id"),
                       "evaluate_target_health": false}),
            ),
    );
    out
}

fn alarms(spec: &Spec) -> Vec<ResourceDecl> {
    let Some(m) = &spec.monitoring else {
        return Vec::new();
    };
    let id = spec.stack_id();
    let mut out = Vec::new();
    let alarm = |region: &str, name: &str, description: String| {
        let topic = Address::new(region, "sns.topic", "alerts");
        let actions = json!([r(&topic, "arn")]);
        ResourceDecl::new(Address::new(region, "cloudwatch.alarm", name))
            .with("alarm_name", format!("{id}-{name}"))
            .with("description", description)
            .with("treat_missing_data", "missing")
            .with("alarm_actions", actions.clone())
            .with("ok_actions", actions)
            .with("tags", tags(spec, &format!("{region}-alarm-{name}")))
    };
    for region in spec.region_names() {
        let lb = Address::new(region, "elbv2.load_balancer", "web");
        let tg = Address::new(region, "elbv2.target_group", "web");
        out.push(
            alarm(
                region,
                "alb-5xx",
                format!(
                    "{id} {region} load balancer: more than {} 5xx answers a minute",
                    m.alarms.alb_5xx_per_min
                ),
            )
            .with("namespace", "AWS/ApplicationELB")
            .with("metric_name", "HTTPCode_ELB_5XX_Count")
            .with("dimensions", json!({"LoadBalancer": r(&lb, "arn_suffix")}))
            .with("statistic", "Sum")
            .with("period", 60)
            .with("evaluation_periods", 5)
            .with("datapoints_to_alarm", 3)
            .with("threshold", m.alarms.alb_5xx_per_min)
            .with("comparison_operator", "GreaterThanThreshold")
            .with("treat_missing_data", "notBreaching"),
        );
        out.push(
            alarm(
                region,
                "alb-unhealthy-targets",
                format!("{id} {region} load balancer: a target fails its health check"),
            )
            .with("namespace", "AWS/ApplicationELB")
            .with("metric_name", "UnHealthyHostCount")
            .with(
                "dimensions",
                json!({"LoadBalancer": r(&lb, "arn_suffix"), "TargetGroup": r(&tg, "arn_suffix")}),
            )
            .with("statistic", "Maximum")
            .with("period", 60)
            .with("evaluation_periods", 3)
            .with("datapoints_to_alarm", 3)
            .with("threshold", 0)
            .with("comparison_operator", "GreaterThanThreshold"),
        );
    }
    if spec.dns.is_some() && spec.regions.contains_key(ROUTE53_METRICS_REGION) {
        for region in spec.region_names() {
            let hc = global("route53.health_check", region);
            out.push(
                alarm(
                    ROUTE53_METRICS_REGION,
                    &format!("health-{region}"),
                    format!("{id}: the Route 53 health check of {region} fails"),
                )
                .with("namespace", "AWS/Route53")
                .with("metric_name", "HealthCheckStatus")
                .with("dimensions", json!({"HealthCheckId": r(&hc, "id")}))
                .with("statistic", "Minimum")
                .with("period", 60)
                .with("evaluation_periods", 2)
                .with("datapoints_to_alarm", 2)
                .with("threshold", 1)
                .with("comparison_operator", "LessThanThreshold")
                .depends_on(&Address::new(region, "elbv2.load_balancer", "web")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// specs/prod.yaml (which has `edge` and `dns`) with `edits` (from, to) made, validated.
    fn spec(edits: &[(&str, &str)]) -> Spec {
        let mut text = std::fs::read_to_string("../../specs/prod.yaml").unwrap();
        for (from, to) in edits {
            assert!(text.contains(from), "specs/prod.yaml has no {from:?}");
            text = text.replacen(from, to, 1);
        }
        crate::parse_str(&text, Path::new("prod.yaml")).unwrap()
    }

    fn find<'a>(decls: &'a [ResourceDecl], address: &str) -> &'a ResourceDecl {
        decls
            .iter()
            .find(|d| d.address.to_string() == address)
            .unwrap_or_else(|| panic!("{address} is not expanded"))
    }

    #[test]
    fn the_edge_and_dns_expand_to_these_addresses() {
        let decls = crate::expand(&spec(&[]));
        let mut edge: Vec<String> = expand(&spec(&[]))
            .iter()
            .map(|d| d.address.to_string())
            .collect();
        edge.sort();
        insta::assert_snapshot!(edge.join("\n"));
        // Every address is unique within the whole expansion.
        let mut all: Vec<String> = decls.iter().map(|d| d.address.to_string()).collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn geolocation_records_alias_their_region_with_its_health_check() {
        let decls = expand(&spec(&[]));
        let eu = find(&decls, "global/route53.record/geo-eu");
        let p = &eu.properties;
        assert_eq!(p["geolocation"], json!({"continent_code": "EU"}));
        assert_eq!(p["name"], "api.pyairtable.example.com");
        let deps: Vec<String> = eu.dependencies().iter().map(|a| a.to_string()).collect();
        assert!(deps.contains(&"eu-west-1/elbv2.load_balancer/web".to_string()));
        assert!(deps.contains(&"global/route53.health_check/eu-west-1".to_string()));
        assert!(deps.contains(&"global/route53.zone/main".to_string()));
        let default = find(&decls, "global/route53.record/geo-default");
        assert_eq!(
            default.properties["geolocation"],
            json!({"country_code": "*"})
        );
        let hc = find(&decls, "global/route53.health_check/ap-southeast-1");
        assert_eq!(hc.properties["request_interval"], 30);
        assert_eq!(hc.properties["failure_threshold"], 3);
        assert_eq!(hc.properties["resource_path"], "/health");
    }

    #[test]
    fn the_default_location_goes_to_the_primary_when_the_spec_names_none() {
        let decls = expand(&spec(&[(", default: us-east-1", "")]));
        let default = find(&decls, "global/route53.record/geo-default");
        let deps: Vec<String> = default
            .dependencies()
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert!(deps.contains(&"us-east-1/elbv2.load_balancer/web".to_string()));
    }

    #[test]
    fn cloudfront_fails_over_from_the_primary_to_the_backup_region() {
        let decls = expand(&spec(&[]));
        let d = &find(&decls, "global/cloudfront.distribution/main").properties;
        assert_eq!(
            d["origin_group"],
            json!({"id": "failover", "primary": "us-east-1", "secondary": "eu-west-1",
                   "status_codes": [500, 502, 503, 504]})
        );
        let origins = d["origins"].as_array().unwrap();
        assert_eq!(origins.len(), 3);
        assert_eq!(origins[0]["origin_shield_region"], "us-east-1");
        assert!(origins[1].get("origin_shield_region").is_none());
        assert_eq!(d["default_behavior"]["target_origin_id"], "failover");
        assert_eq!(d["custom_error_responses"].as_array().unwrap().len(), 3);
        assert_eq!(d["price_class"], "PriceClass_All");
        assert_eq!(d["aliases"], json!(["cdn.api.pyairtable.example.com"]));
        // CloudFront's certificate is us-east-1's, once issued.
        let deps: Vec<String> = find(&decls, "global/cloudfront.distribution/main")
            .dependencies()
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert!(deps.contains(&"us-east-1/acm.certificate_validation/edge".to_string()));
        assert!(deps.contains(&"global/wafv2.web_acl/edge".to_string()));
    }

    #[test]
    fn certificate_arns_are_used_as_given() {
        let arns = "certificates:
    us-east-1: arn:aws:acm:us-east-1:123456789012:certificate/a
    eu-west-1: arn:aws:acm:eu-west-1:123456789012:certificate/b
    ap-southeast-1: arn:aws:acm:ap-southeast-1:123456789012:certificate/c";
        let decls = expand(&spec(&[("certificates: { request: dns }", arns)]));
        assert!(!decls.iter().any(|d| d.address.kind().starts_with("acm.")));
        assert!(!decls
            .iter()
            .any(|d| d.address.to_string() == "global/route53.record/acm-validation"));
        let l = find(&decls, "eu-west-1/elbv2.listener/https");
        assert_eq!(
            l.properties["certificate_arn"],
            "arn:aws:acm:eu-west-1:123456789012:certificate/b"
        );
        assert_eq!(l.properties["ssl_policy"], TLS_POLICY);
    }

    #[test]
    fn a_region_teardown_drops_its_edge_and_rewires_the_rest() {
        let full = spec(&[]);
        let without = full.without_region("ap-southeast-1").unwrap();
        let decls = crate::expand(&without);
        assert!(!decls.iter().any(|d| d.address.region() == "ap-southeast-1"));
        assert!(!decls
            .iter()
            .any(|d| d.address.to_string() == "global/route53.health_check/ap-southeast-1"));
        assert!(!decls
            .iter()
            .any(|d| d.address.to_string() == "global/route53.record/geo-as"));
        let d = &find(&decls, "global/cloudfront.distribution/main").properties;
        assert_eq!(d["origins"].as_array().unwrap().len(), 2);
        assert!(!decls
            .iter()
            .any(|d| d.address.to_string() == "us-east-1/cloudwatch.alarm/health-ap-southeast-1"));
    }

    #[test]
    fn outputs_name_every_entry_point() {
        let names: Vec<String> = crate::outputs(&spec(&[]))
            .into_iter()
            .map(|o| o.name)
            .collect();
        for r in ["us-east-1", "eu-west-1", "ap-southeast-1"] {
            assert!(names.contains(&format!("{r}.alb_dns_name")), "{r}");
        }
        for g in ["cloudfront_domain", "name_servers", "web_acl_arn"] {
            assert!(names.contains(&format!("global.{g}")), "{g}: {names:?}");
        }
    }
}

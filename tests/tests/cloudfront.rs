//! The CloudFront kinds (`cloudfront.distribution`, `cloudfront.response_headers_policy`),
//! declared through the spec's `resources` section with a CLOUDFRONT web ACL
//! (`wafv2.web_acl` at a `global` address): a distribution with two origins, Origin Shield on
//! the first, an origin group failing over to the second, two custom error pages, the user's
//! certificate for two aliases, the security-headers policy and the web ACL attached. Built,
//! changed in place through IfMatch (an error page, the policy's frame option), and removed:
//! the distribution disabled, deployed, then deleted, before its policy and web ACL go.
//!
//! The emulator runs in lifecycle mode (N = 1): every create and update of a distribution is
//! `InProgress` for one read before it is `Deployed`, so the readiness and deletion waits poll.
//! The spec is specs/dev.yaml up to its network section (stack, tags, regions, network): the
//! CloudFront kinds refer to none of the data services, which in lifecycle mode take the
//! emulator some 45 s to build (measured), and the test is to stay near a minute.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_cloudfront::types::{FrameOptionsList, ResponseHeadersPolicyType};
use provision_tests::*;
use std::path::{Path, PathBuf};

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

const RESOURCES: &str = r#"
resources:
  global/wafv2.web_acl/edge:
    properties:
      name: pyairtable-dev-edge
      description: Rate limit and managed rules for CloudFront
      default_action: allow
      rate_limit: 2000
      managed_rules: [AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet]
  global/cloudfront.response_headers_policy/security:
    properties:
      name: pyairtable-dev-security
      comment: Security headers for every response
      hsts: { max_age_s: 63072000, include_subdomains: true, preload: true, override: true }
      content_type_options: true
      frame_options: FRAME
      referrer_policy: strict-origin-when-cross-origin
  global/cloudfront.distribution/web:
    properties:
      comment: pyairtable dev
      enabled: true
      aliases: [www.api.pyairtable.test, api.pyairtable.test]
      certificate_arn: CERT
      minimum_protocol_version: TLSv1.2_2021
      price_class: PriceClass_100
      default_root_object: index.html
      http_version: http2and3
      origins:
        - id: origin-a
          domain_name: origin-a.example-dev.test
          origin_shield_region: us-east-1
          protocol_policy: https-only
          https_port: 443
        - id: origin-b
          domain_name: origin-b.example-dev.test
          protocol_policy: https-only
          https_port: 443
      origin_group:
        id: failover
        primary: origin-a
        secondary: origin-b
        status_codes: [500, 502, 503, 504]
      default_behavior:
        target_origin_id: failover
        viewer_protocol_policy: redirect-to-https
        allowed_methods: [GET, HEAD]
        cached_methods: [GET, HEAD]
        cache_policy_id: CACHING
        response_headers_policy_id: ${global/cloudfront.response_headers_policy/security#id}
        compress: true
      custom_error_responses:
        - { error_code: 404, response_code: 404, response_page_path: /errors/404.html, error_caching_min_ttl_s: 60 }
        - { error_code: 503, response_code: 503, response_page_path: PAGE, error_caching_min_ttl_s: 10 }
      web_acl_id: ${global/wafv2.web_acl/edge#arn}
"#;

/// The dev network with the resources section (or without, when `cert` is None).
fn spec(dir: &Path, name: &str, cert: Option<&str>, frame: &str, page: &str) -> PathBuf {
    let path = dir.join(name);
    let Some(cert) = cert else {
        std::fs::write(&path, dev_network()).unwrap();
        return path;
    };
    let dev = dev_network();
    let resources = RESOURCES
        .replace("CERT", cert)
        .replace("CACHING", CACHING_OPTIMIZED)
        .replace("FRAME", frame)
        .replace("PAGE", page);
    std::fs::write(&path, format!("{dev}{resources}")).unwrap();
    path
}

/// The REST calls to one distribution: `PUT …/config` (UpdateDistribution) and `DELETE …`.
fn calls_to(emu: &Emulator, id: &str) -> Vec<String> {
    emu.calls()
        .into_iter()
        .filter(|c| c.action.contains(&format!("/distribution/{id}")))
        .map(|c| c.action)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_distribution_with_failover_and_security_headers_is_built_changed_in_place_and_removed() {
    let emu = Emulator::start_with_lifecycle(1);
    let cert = emu.import_test_certificate("us-east-1").await;
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let first = spec(
        dir.path(),
        "dev-cdn.yaml",
        Some(&cert),
        "DENY",
        "/errors/503.html",
    );
    let first = first.to_str().unwrap();
    let up = p.ok(&["up", first, "--yes"]);
    // The distribution was waited for until it was deployed.
    assert!(up.stderr.contains("is InProgress"), "no wait shown: {up:?}");

    let cf = emu.cloudfront().await;
    let list = cf.list_distributions().send().await.unwrap();
    let items = list.distribution_list().unwrap().items();
    assert_eq!(items.len(), 1, "{items:?}");
    let id = items[0].id.clone();
    assert_eq!(items[0].status, "Deployed");
    let got = cf.get_distribution_config().id(&id).send().await.unwrap();
    let etag = got.e_tag().unwrap().to_string();
    let cfg = got.distribution_config().unwrap();
    assert!(cfg.enabled);
    assert_eq!(cfg.default_root_object(), Some("index.html"));
    // Two origins, Origin Shield on the first only.
    let origins = &cfg.origins().unwrap().items;
    let ids: Vec<&str> = origins.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["origin-a", "origin-b"]);
    assert_eq!(origins[0].domain_name, "origin-a.example-dev.test");
    let shield = origins[0].origin_shield().unwrap();
    assert!(shield.enabled);
    assert_eq!(shield.origin_shield_region(), Some("us-east-1"));
    assert!(origins[1].origin_shield().is_none_or(|s| !s.enabled));
    let custom = origins[1].custom_origin_config().unwrap();
    assert_eq!(custom.origin_protocol_policy.as_str(), "https-only");
    assert_eq!(custom.https_port, 443);
    // The origin group fails over from a to b, and the default behaviour targets it.
    let groups = cfg.origin_groups().unwrap().items();
    assert_eq!(groups.len(), 1);
    let members: Vec<&str> = groups[0]
        .members()
        .unwrap()
        .items
        .iter()
        .map(|m| m.origin_id.as_str())
        .collect();
    assert_eq!(members, ["origin-a", "origin-b"]);
    let codes = &groups[0]
        .failover_criteria()
        .unwrap()
        .status_codes()
        .unwrap()
        .items;
    assert_eq!(codes, &[500, 502, 503, 504]);
    let behavior = cfg.default_cache_behavior().unwrap();
    assert_eq!(behavior.target_origin_id, "failover");
    assert_eq!(
        behavior.viewer_protocol_policy.as_str(),
        "redirect-to-https"
    );
    assert_eq!(behavior.cache_policy_id(), Some(CACHING_OPTIMIZED));
    // The error pages.
    let errors = cfg.custom_error_responses().unwrap().items();
    let pages: Vec<(i32, Option<&str>)> = errors
        .iter()
        .map(|e| (e.error_code, e.response_page_path()))
        .collect();
    assert_eq!(
        pages,
        [
            (404, Some("/errors/404.html")),
            (503, Some("/errors/503.html"))
        ]
    );
    // TLS with the user's certificate for both aliases.
    let mut aliases = cfg.aliases().unwrap().items().to_vec();
    aliases.sort();
    assert_eq!(aliases, ["api.pyairtable.test", "www.api.pyairtable.test"]);
    let viewer = cfg.viewer_certificate().unwrap();
    assert_eq!(viewer.acm_certificate_arn(), Some(cert.as_str()));
    assert_eq!(
        viewer.minimum_protocol_version().map(|v| v.as_str()),
        Some("TLSv1.2_2021")
    );
    assert_eq!(
        viewer.ssl_support_method().map(|v| v.as_str()),
        Some("sni-only")
    );
    // The CLOUDFRONT web ACL guards it.
    let acls = emu
        .wafv2("us-east-1")
        .await
        .list_web_acls()
        .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
        .send()
        .await
        .unwrap();
    let acl = acls
        .web_acls()
        .iter()
        .find(|a| a.name() == Some("pyairtable-dev-edge"))
        .expect("the CLOUDFRONT web ACL");
    assert_eq!(cfg.web_acl_id(), acl.arn());
    // Tagged like every resource of the stack.
    let tags = cf
        .list_tags_for_resource()
        .resource(&items[0].arn)
        .send()
        .await
        .unwrap();
    let tags = tags.tags().unwrap().items();
    assert!(tags
        .iter()
        .any(|t| t.key == "provision:address"
            && t.value() == Some("global/cloudfront.distribution/web")));
    assert!(tags
        .iter()
        .any(|t| t.key == "Project" && t.value() == Some("pyairtable")));

    // The security headers policy, attached to the default behaviour.
    let policies = cf
        .list_response_headers_policies()
        .r#type(ResponseHeadersPolicyType::Custom)
        .send()
        .await
        .unwrap();
    let policies = policies.response_headers_policy_list().unwrap().items();
    assert_eq!(policies.len(), 1);
    let policy = policies[0].response_headers_policy().unwrap();
    let policy_id = policy.id.clone();
    assert_eq!(
        behavior.response_headers_policy_id(),
        Some(policy_id.as_str())
    );
    let rhp = policy.response_headers_policy_config().unwrap();
    assert_eq!(rhp.name, "pyairtable-dev-security");
    let sec = rhp.security_headers_config().unwrap();
    let hsts = sec.strict_transport_security().unwrap();
    assert_eq!(hsts.access_control_max_age_sec, 63072000);
    assert_eq!(
        (hsts.include_subdomains, hsts.preload, hsts.r#override),
        (Some(true), Some(true), true)
    );
    assert!(sec.content_type_options().is_some());
    assert_eq!(
        sec.frame_options().unwrap().frame_option,
        FrameOptionsList::Deny
    );
    assert_eq!(
        sec.referrer_policy().unwrap().referrer_policy.as_str(),
        "strict-origin-when-cross-origin"
    );

    // Nothing to do after up: an empty diff, and a second up makes no mutating call.
    let diff = p.run(&["diff", first, "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "not a no-op after up: {diff:?}");
    emu.reset_calls();
    p.ok(&["up", first, "--yes"]);
    assert_eq!(emu.mutating_calls().len(), 0, "{:?}", emu.mutating_calls());

    // An error page and the frame option change in place.
    let second = spec(
        dir.path(),
        "dev-cdn-2.yaml",
        Some(&cert),
        "SAMEORIGIN",
        "/errors/unavailable.html",
    );
    let second = second.to_str().unwrap();
    let diff = p.run(&["diff", second, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout
            .contains("~ frame_options = \"DENY\" -> \"SAMEORIGIN\""),
        "{diff:?}"
    );
    assert!(diff.stdout.contains("/errors/unavailable.html"), "{diff:?}");
    assert!(
        diff.stdout
            .contains("Plan: 0 to add, 2 to change, 0 to destroy."),
        "{diff:?}"
    );
    emu.reset_calls();
    let up = p.ok(&["up", second, "--yes"]);
    assert!(up.stderr.contains("is InProgress"), "no wait shown: {up:?}");
    // One UpdateDistribution, accepted with the current ETag (a stale or missing IfMatch is
    // refused): same distribution, a new version.
    let updates: Vec<String> = calls_to(&emu, &id)
        .into_iter()
        .filter(|a| a.starts_with("PUT "))
        .collect();
    assert_eq!(
        updates,
        [format!("PUT /2020-05-31/distribution/{id}/config")]
    );
    let got = cf.get_distribution().id(&id).send().await.unwrap();
    assert_ne!(got.e_tag(), Some(etag.as_str()));
    let d = got.distribution().unwrap();
    assert_eq!(d.status, "Deployed");
    let errors = d
        .distribution_config()
        .unwrap()
        .custom_error_responses()
        .unwrap()
        .items();
    assert_eq!(errors[0].response_page_path(), Some("/errors/404.html"));
    assert_eq!(
        errors[1].response_page_path(),
        Some("/errors/unavailable.html")
    );
    let rhp = cf
        .get_response_headers_policy()
        .id(&policy_id)
        .send()
        .await
        .unwrap();
    let frame = rhp
        .response_headers_policy()
        .and_then(|p| p.response_headers_policy_config())
        .and_then(|c| c.security_headers_config())
        .and_then(|s| s.frame_options())
        .unwrap();
    assert_eq!(frame.frame_option, FrameOptionsList::Sameorigin);
    let ids = p.ids("pyairtable-dev");
    assert_eq!(ids["global/cloudfront.distribution/web"], id);
    assert_eq!(
        ids["global/cloudfront.response_headers_policy/security"],
        policy_id
    );
    assert_eq!(p.run(&["diff", second, "--detailed-exitcode"]).code, 0);

    // Without the resources they go: the distribution is disabled, deployed and deleted, then
    // its policy and web ACL.
    let plain = spec(dir.path(), "dev-network.yaml", None, "", "");
    let plain = plain.to_str().unwrap();
    emu.reset_calls();
    let down = p.ok(&["up", plain, "--yes"]);
    // Disabled (InProgress), waited for until deployed, then deleted.
    assert!(
        down.stderr
            .contains(&format!("waiting for {id} to be deleted")),
        "no deletion wait shown: {down:?}"
    );
    let calls = calls_to(&emu, &id);
    let disable = calls
        .iter()
        .position(|a| a == &format!("PUT /2020-05-31/distribution/{id}/config"))
        .unwrap_or_else(|| panic!("no disabling update: {calls:?}"));
    let delete = calls
        .iter()
        .position(|a| a == &format!("DELETE /2020-05-31/distribution/{id}"))
        .unwrap_or_else(|| panic!("no delete: {calls:?}"));
    assert!(disable < delete, "{calls:?}");
    let left = cf.list_distributions().send().await.unwrap();
    assert!(
        left.distribution_list().unwrap().items().is_empty(),
        "{left:?}"
    );
    let left = cf
        .list_response_headers_policies()
        .r#type(ResponseHeadersPolicyType::Custom)
        .send()
        .await
        .unwrap();
    assert!(
        left.response_headers_policy_list()
            .unwrap()
            .items()
            .is_empty(),
        "{left:?}"
    );
    let left = emu
        .wafv2("us-east-1")
        .await
        .list_web_acls()
        .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
        .send()
        .await
        .unwrap();
    assert!(left.web_acls().is_empty(), "{left:?}");
    assert_eq!(p.run(&["diff", plain, "--detailed-exitcode"]).code, 0);
}

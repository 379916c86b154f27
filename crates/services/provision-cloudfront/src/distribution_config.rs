//! A distribution's properties and CloudFront's `DistributionConfig`, both ways, without IO.
//!
//! - [`for_create`] builds the config of a new distribution; [`apply`] changes a config read
//!   from AWS to what the properties ask for, keeping everything the properties do not speak
//!   of (logging, restrictions, extra cache behaviours, an origin's timeouts and headers...),
//!   as UpdateDistribution needs the whole config back.
//! - [`props_of`] maps AWS's config back to exactly the properties' shape, so that a
//!   distribution that matches its declaration shows no diff: origins in their order, error
//!   responses by `error_code`, lists of methods and status codes in the declaration's order
//!   when they hold the same items.
//!
//! The nested shapes (an origin, the origin group, the default behaviour, an error response)
//! are typed: an unknown or missing key is refused with the property's name.

use crate::invalid;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, CustomErrorResponse, CustomErrorResponses,
    CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, HttpVersion, Method,
    MinimumProtocolVersion, Origin, OriginGroup, OriginGroupFailoverCriteria, OriginGroupMember,
    OriginGroupMembers, OriginGroups, OriginProtocolPolicy, OriginShield, OriginSslProtocols,
    Origins, PriceClass, SslProtocol, SslSupportMethod, StatusCodes, ViewerCertificate,
    ViewerProtocolPolicy,
};
use provision_aws::props::Props;
use provision_core::{ReconcileError, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The minimum TLS version with a certificate of the user's, unless the declaration says.
pub(crate) const DEFAULT_MINIMUM_PROTOCOL_VERSION: &str = "TLSv1.2_2021";

/// One of `origins`: a custom (HTTP) origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OriginSpec {
    id: String,
    domain_name: String,
    /// The Origin Shield region; absent: no Origin Shield.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin_shield_region: Option<String>,
    /// `https-only`, `http-only` or `match-viewer`.
    protocol_policy: String,
    https_port: i32,
}

/// `origin_group`: failover from `primary` to `secondary` on `status_codes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OriginGroupSpec {
    id: String,
    primary: String,
    secondary: String,
    status_codes: Vec<i32>,
}

/// `default_behavior`: the default cache behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BehaviorSpec {
    /// An origin's id, or the origin group's.
    target_origin_id: String,
    viewer_protocol_policy: String,
    allowed_methods: Vec<String>,
    cached_methods: Vec<String>,
    cache_policy_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin_request_policy_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_headers_policy_id: Option<String>,
    compress: bool,
}

/// One of `custom_error_responses`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorResponseSpec {
    error_code: i32,
    /// The status code sent to the viewer instead (with `response_page_path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_page_path: Option<String>,
    error_caching_min_ttl_s: i64,
}

/// A typed property; None when it is absent or null.
fn typed<T: DeserializeOwned>(
    p: &Props,
    key: &str,
    shape: &str,
) -> Result<Option<T>, ReconcileError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| invalid(format!("property `{key}` must be {shape}: {e}"))),
    }
}

/// A string property that must be one of an SDK enum's values.
fn one_of<T: for<'a> From<&'a str>>(
    key: &str,
    v: &str,
    values: &[&str],
) -> Result<T, ReconcileError> {
    if values.contains(&v) {
        Ok(T::from(v))
    } else {
        Err(invalid(format!(
            "property `{key}` must be one of {values:?}, not {v:?}"
        )))
    }
}

/// A string property; null is "".
fn string(p: &Props, key: &str) -> Result<Option<String>, ReconcileError> {
    match p.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("property `{key}` must be a string"))),
    }
}

fn methods(key: &str, names: &[String]) -> Result<Vec<Method>, ReconcileError> {
    names
        .iter()
        .map(|m| one_of(key, m, Method::values()))
        .collect()
}

fn origin(spec: &OriginSpec, existing: Option<&Origin>) -> Result<Origin, ReconcileError> {
    let mut o = match existing {
        Some(o) => o.clone(),
        None => Origin::builder()
            .id(&spec.id)
            .domain_name(&spec.domain_name)
            .build()
            .map_err(invalid)?,
    };
    o.domain_name = spec.domain_name.clone();
    o.s3_origin_config = None;
    let mut custom = match o.custom_origin_config.take() {
        Some(c) => c,
        None => CustomOriginConfig::builder()
            .http_port(80)
            .https_port(spec.https_port)
            .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
            .origin_ssl_protocols(
                OriginSslProtocols::builder()
                    .quantity(1)
                    .items(SslProtocol::TlSv12)
                    .build()
                    .map_err(invalid)?,
            )
            .build()
            .map_err(invalid)?,
    };
    custom.https_port = spec.https_port;
    custom.origin_protocol_policy = one_of(
        "origins[].protocol_policy",
        &spec.protocol_policy,
        OriginProtocolPolicy::values(),
    )?;
    o.custom_origin_config = Some(custom);
    o.origin_shield = Some(
        OriginShield::builder()
            .enabled(spec.origin_shield_region.is_some())
            .set_origin_shield_region(spec.origin_shield_region.clone())
            .build()
            .map_err(invalid)?,
    );
    Ok(o)
}

fn origin_groups(spec: Option<&OriginGroupSpec>) -> Result<OriginGroups, ReconcileError> {
    let Some(g) = spec else {
        return OriginGroups::builder().quantity(0).build().map_err(invalid);
    };
    let member = |id: &str| OriginGroupMember::builder().origin_id(id).build();
    let group = OriginGroup::builder()
        .id(&g.id)
        .failover_criteria(
            OriginGroupFailoverCriteria::builder()
                .status_codes(
                    StatusCodes::builder()
                        .quantity(i32::try_from(g.status_codes.len()).map_err(invalid)?)
                        .set_items(Some(g.status_codes.clone()))
                        .build()
                        .map_err(invalid)?,
                )
                .build(),
        )
        .members(
            OriginGroupMembers::builder()
                .quantity(2)
                .items(member(&g.primary).map_err(invalid)?)
                .items(member(&g.secondary).map_err(invalid)?)
                .build()
                .map_err(invalid)?,
        )
        .build()
        .map_err(invalid)?;
    OriginGroups::builder()
        .quantity(1)
        .items(group)
        .build()
        .map_err(invalid)
}

fn behavior(
    spec: &BehaviorSpec,
    existing: Option<DefaultCacheBehavior>,
) -> Result<DefaultCacheBehavior, ReconcileError> {
    let policy: ViewerProtocolPolicy = one_of(
        "default_behavior.viewer_protocol_policy",
        &spec.viewer_protocol_policy,
        ViewerProtocolPolicy::values(),
    )?;
    let mut b = match existing {
        Some(b) => b,
        None => DefaultCacheBehavior::builder()
            .target_origin_id(&spec.target_origin_id)
            .viewer_protocol_policy(policy.clone())
            .build()
            .map_err(invalid)?,
    };
    b.target_origin_id = spec.target_origin_id.clone();
    b.viewer_protocol_policy = policy;
    let allowed = methods("default_behavior.allowed_methods", &spec.allowed_methods)?;
    let cached = methods("default_behavior.cached_methods", &spec.cached_methods)?;
    b.allowed_methods = Some(
        AllowedMethods::builder()
            .quantity(i32::try_from(allowed.len()).map_err(invalid)?)
            .set_items(Some(allowed))
            .cached_methods(
                CachedMethods::builder()
                    .quantity(i32::try_from(cached.len()).map_err(invalid)?)
                    .set_items(Some(cached))
                    .build()
                    .map_err(invalid)?,
            )
            .build()
            .map_err(invalid)?,
    );
    b.cache_policy_id = Some(spec.cache_policy_id.clone());
    b.origin_request_policy_id = spec.origin_request_policy_id.clone();
    b.response_headers_policy_id = spec.response_headers_policy_id.clone();
    b.compress = Some(spec.compress);
    clear_legacy_cache_settings(&mut b);
    Ok(b)
}

/// A cache policy replaces the legacy cache settings (deprecated in the SDK for that reason):
/// AWS takes one or the other.
#[allow(deprecated)]
fn clear_legacy_cache_settings(b: &mut DefaultCacheBehavior) {
    b.forwarded_values = None;
    b.min_ttl = None;
    b.default_ttl = None;
    b.max_ttl = None;
}

fn error_responses(specs: &[ErrorResponseSpec]) -> Result<CustomErrorResponses, ReconcileError> {
    let items = specs
        .iter()
        .map(|e| {
            CustomErrorResponse::builder()
                .error_code(e.error_code)
                .set_response_code(e.response_code.map(|c| c.to_string()))
                .set_response_page_path(e.response_page_path.clone())
                .error_caching_min_ttl(e.error_caching_min_ttl_s)
                .build()
                .map_err(invalid)
        })
        .collect::<Result<Vec<_>, _>>()?;
    CustomErrorResponses::builder()
        .quantity(i32::try_from(items.len()).map_err(invalid)?)
        .set_items((!items.is_empty()).then_some(items))
        .build()
        .map_err(invalid)
}

/// The viewer certificate: the user's ACM certificate (SNI, a modern minimum TLS version) or
/// CloudFront's own. `creating`: decide it even if the properties say nothing.
fn viewer_certificate(
    cfg: &mut DistributionConfig,
    p: &Props,
    creating: bool,
) -> Result<(), ReconcileError> {
    if !creating
        && !p.contains_key("certificate_arn")
        && !p.contains_key("minimum_protocol_version")
    {
        return Ok(());
    }
    let current = cfg.viewer_certificate.as_ref();
    let current_arn = current
        .and_then(|v| v.acm_certificate_arn.clone())
        .filter(|a| !a.is_empty());
    let arn = match string(p, "certificate_arn")? {
        Some(a) => Some(a).filter(|a| !a.is_empty()),
        None => current_arn.clone(),
    };
    let wanted = string(p, "minimum_protocol_version")?.filter(|v| !v.is_empty());
    let Some(arn) = arn else {
        if wanted.is_some() {
            return Err(invalid(
                "property `minimum_protocol_version` needs `certificate_arn`: CloudFront's own certificate keeps its TLS versions",
            ));
        }
        cfg.viewer_certificate = Some(
            ViewerCertificate::builder()
                .cloud_front_default_certificate(true)
                .build(),
        );
        return Ok(());
    };
    let kept = current_arn
        .is_some()
        .then(|| current.and_then(|v| v.minimum_protocol_version.clone()))
        .flatten();
    let version = match wanted {
        Some(v) => one_of(
            "minimum_protocol_version",
            &v,
            MinimumProtocolVersion::values(),
        )?,
        None => kept.unwrap_or(MinimumProtocolVersion::from(
            DEFAULT_MINIMUM_PROTOCOL_VERSION,
        )),
    };
    cfg.viewer_certificate = Some(
        ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(version)
            .cloud_front_default_certificate(false)
            .build(),
    );
    Ok(())
}

/// Change `cfg` (AWS's current config) to what the properties ask for. A property the
/// declaration does not set is not managed: AWS's value stays.
pub(crate) fn apply(cfg: &mut DistributionConfig, p: &Props) -> Result<(), ReconcileError> {
    apply_with(cfg, p, false)
}

fn apply_with(
    cfg: &mut DistributionConfig,
    p: &Props,
    creating: bool,
) -> Result<(), ReconcileError> {
    if let Some(c) = string(p, "comment")? {
        cfg.comment = c;
    }
    match p.get("enabled") {
        None => {}
        Some(Value::Bool(b)) => cfg.enabled = *b,
        Some(_) => return Err(invalid("property `enabled` must be true or false")),
    }
    if p.contains_key("aliases") {
        let aliases: Vec<String> =
            typed(p, "aliases", "a list of domain names")?.unwrap_or_default();
        cfg.aliases = Some(
            Aliases::builder()
                .quantity(i32::try_from(aliases.len()).map_err(invalid)?)
                .set_items((!aliases.is_empty()).then_some(aliases))
                .build()
                .map_err(invalid)?,
        );
    }
    if let Some(v) = string(p, "price_class")? {
        cfg.price_class = Some(one_of("price_class", &v, PriceClass::values())?);
    }
    if let Some(v) = string(p, "default_root_object")? {
        cfg.default_root_object = Some(v);
    }
    if p.contains_key("origins") {
        let specs: Vec<OriginSpec> = typed(
            p,
            "origins",
            "a list of {id, domain_name, origin_shield_region (optional), protocol_policy, https_port}",
        )?
        .unwrap_or_default();
        if specs.is_empty() {
            return Err(invalid("property `origins` must list at least one origin"));
        }
        let current = cfg.origins.take().map(|o| o.items).unwrap_or_default();
        let items = specs
            .iter()
            .map(|s| origin(s, current.iter().find(|o| o.id == s.id)))
            .collect::<Result<Vec<_>, _>>()?;
        cfg.origins = Some(
            Origins::builder()
                .quantity(i32::try_from(items.len()).map_err(invalid)?)
                .set_items(Some(items))
                .build()
                .map_err(invalid)?,
        );
    }
    if p.contains_key("origin_group") {
        let group: Option<OriginGroupSpec> = typed(
            p,
            "origin_group",
            "{id, primary, secondary, status_codes} or null",
        )?;
        cfg.origin_groups = Some(origin_groups(group.as_ref())?);
    }
    if let Some(spec) = typed::<BehaviorSpec>(
        p,
        "default_behavior",
        "{target_origin_id, viewer_protocol_policy, allowed_methods, cached_methods, cache_policy_id, origin_request_policy_id (optional), response_headers_policy_id (optional), compress}",
    )? {
        cfg.default_cache_behavior = Some(behavior(&spec, cfg.default_cache_behavior.take())?);
    }
    if p.contains_key("custom_error_responses") {
        let specs: Vec<ErrorResponseSpec> = typed(
            p,
            "custom_error_responses",
            "a list of {error_code, response_code (optional), response_page_path (optional), error_caching_min_ttl_s}",
        )?
        .unwrap_or_default();
        cfg.custom_error_responses = Some(error_responses(&specs)?);
    }
    viewer_certificate(cfg, p, creating)?;
    if let Some(v) = string(p, "web_acl_id")? {
        cfg.web_acl_id = Some(v);
    }
    if let Some(v) = string(p, "http_version")? {
        cfg.http_version = Some(one_of("http_version", &v, HttpVersion::values())?);
    }
    Ok(())
}

/// The config of a new distribution. `caller_reference` makes a resent create return the
/// same distribution.
pub(crate) fn for_create(
    caller_reference: &str,
    p: &Props,
) -> Result<DistributionConfig, ReconcileError> {
    for key in ["origins", "default_behavior"] {
        if p.get(key).is_none_or(Value::is_null) {
            return Err(invalid(format!(
                "a distribution needs the property `{key}`"
            )));
        }
    }
    let mut cfg = DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment("")
        .enabled(true)
        .build()
        .map_err(invalid)?;
    apply_with(&mut cfg, p, true)?;
    Ok(cfg)
}

/// `observed`'s list in `desired`'s order when both hold the same items.
fn in_order_of<T: Clone + Ord>(observed: &mut Vec<T>, desired: &[T]) {
    let (mut a, mut b) = (observed.clone(), desired.to_vec());
    a.sort();
    b.sort();
    if a == b {
        *observed = desired.to_vec();
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The properties of AWS's config, in the declaration's shape (`desired`, when known, orders
/// lists that hold the same items and keeps an empty string where the declaration has one).
pub(crate) fn props_of(cfg: &DistributionConfig, desired: Option<&Props>) -> Props {
    let mut p = Props::new();
    p.insert("comment".into(), cfg.comment.clone().into());
    p.insert("enabled".into(), cfg.enabled.into());
    let mut aliases: Vec<String> = cfg
        .aliases
        .as_ref()
        .and_then(|a| a.items.clone())
        .unwrap_or_default();
    aliases.sort();
    p.insert("aliases".into(), aliases.into());
    if let Some(c) = &cfg.price_class {
        p.insert("price_class".into(), c.as_str().into());
    }
    let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    if let Some(o) = non_empty(&cfg.default_root_object) {
        p.insert("default_root_object".into(), o.into());
    }
    let origins: Vec<OriginSpec> = cfg
        .origins
        .iter()
        .flat_map(|o| o.items.iter())
        .map(|o| OriginSpec {
            id: o.id.clone(),
            domain_name: o.domain_name.clone(),
            origin_shield_region: o
                .origin_shield
                .as_ref()
                .filter(|s| s.enabled)
                .and_then(|s| s.origin_shield_region.clone()),
            protocol_policy: o
                .custom_origin_config
                .as_ref()
                .map(|c| c.origin_protocol_policy.as_str().to_string())
                .unwrap_or_default(),
            https_port: o
                .custom_origin_config
                .as_ref()
                .map_or(443, |c| c.https_port),
        })
        .collect();
    p.insert("origins".into(), to_value(&origins));

    let want = |key: &str| desired.and_then(|d| d.get(key)).cloned();
    let group = cfg
        .origin_groups
        .as_ref()
        .and_then(|g| g.items.as_ref())
        .and_then(|g| g.first())
        .map(|g| {
            let members: Vec<&str> = g
                .members
                .iter()
                .flat_map(|m| m.items.iter())
                .map(|m| m.origin_id.as_str())
                .collect();
            let mut status_codes: Vec<i32> = g
                .failover_criteria
                .as_ref()
                .and_then(|f| f.status_codes.as_ref())
                .map(|s| s.items.clone())
                .unwrap_or_default();
            let wanted: Option<OriginGroupSpec> =
                want("origin_group").and_then(|v| serde_json::from_value(v).ok());
            if let Some(w) = wanted {
                in_order_of(&mut status_codes, &w.status_codes);
            }
            OriginGroupSpec {
                id: g.id.clone(),
                primary: members.first().copied().unwrap_or_default().to_string(),
                secondary: members.get(1).copied().unwrap_or_default().to_string(),
                status_codes,
            }
        });
    if let Some(g) = group {
        p.insert("origin_group".into(), to_value(&g));
    }

    if let Some(b) = &cfg.default_cache_behavior {
        let names = |m: &[Method]| m.iter().map(|m| m.as_str().to_string()).collect::<Vec<_>>();
        let allowed = b.allowed_methods.as_ref();
        let mut spec = BehaviorSpec {
            target_origin_id: b.target_origin_id.clone(),
            viewer_protocol_policy: b.viewer_protocol_policy.as_str().to_string(),
            allowed_methods: allowed.map(|a| names(&a.items)).unwrap_or_default(),
            cached_methods: allowed
                .and_then(|a| a.cached_methods.as_ref())
                .map(|c| names(&c.items))
                .unwrap_or_default(),
            cache_policy_id: b.cache_policy_id.clone().unwrap_or_default(),
            origin_request_policy_id: non_empty(&b.origin_request_policy_id),
            response_headers_policy_id: non_empty(&b.response_headers_policy_id),
            compress: b.compress.unwrap_or(false),
        };
        let wanted: Option<BehaviorSpec> =
            want("default_behavior").and_then(|v| serde_json::from_value(v).ok());
        if let Some(w) = wanted {
            in_order_of(&mut spec.allowed_methods, &w.allowed_methods);
            in_order_of(&mut spec.cached_methods, &w.cached_methods);
        }
        p.insert("default_behavior".into(), to_value(&spec));
    }

    let mut errors: Vec<ErrorResponseSpec> = cfg
        .custom_error_responses
        .as_ref()
        .and_then(|e| e.items.as_ref())
        .into_iter()
        .flatten()
        .map(|e| ErrorResponseSpec {
            error_code: e.error_code,
            response_code: e.response_code.as_deref().and_then(|c| c.parse().ok()),
            response_page_path: non_empty(&e.response_page_path),
            // AWS caches an error for 10 seconds unless told otherwise.
            error_caching_min_ttl_s: e.error_caching_min_ttl.unwrap_or(10),
        })
        .collect();
    errors.sort_by_key(|e| e.error_code);
    let wanted: Option<Vec<ErrorResponseSpec>> =
        want("custom_error_responses").and_then(|v| serde_json::from_value(v).ok());
    if let Some(w) = wanted {
        let mut sorted = w.clone();
        sorted.sort_by_key(|e| e.error_code);
        if sorted == errors {
            errors = w;
        }
    }
    p.insert("custom_error_responses".into(), to_value(&errors));

    let cert = cfg.viewer_certificate.as_ref();
    if let Some(arn) = cert.and_then(|c| non_empty(&c.acm_certificate_arn)) {
        p.insert("certificate_arn".into(), arn.into());
    }
    if let Some(v) = cert.and_then(|c| c.minimum_protocol_version.as_ref()) {
        p.insert("minimum_protocol_version".into(), v.as_str().into());
    }
    if let Some(acl) = non_empty(&cfg.web_acl_id) {
        p.insert("web_acl_id".into(), acl.into());
    }
    if let Some(v) = &cfg.http_version {
        p.insert("http_version".into(), v.as_str().into());
    }
    // AWS says "" for "none"; so may the declaration.
    for key in ["default_root_object", "certificate_arn", "web_acl_id"] {
        if !p.contains_key(key) && want(key).is_some_and(|v| v == "") {
            p.insert(key.into(), "".into());
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

    fn props(v: Value) -> Props {
        v.as_object().unwrap().clone()
    }

    fn web() -> Value {
        json!({
            "comment": "pyairtable dev",
            "enabled": true,
            "aliases": ["api.pyairtable.test", "www.api.pyairtable.test"],
            "price_class": "PriceClass_100",
            "default_root_object": "index.html",
            "origins": [
                {"id": "origin-a", "domain_name": "origin-a.example-dev.test",
                 "origin_shield_region": "us-east-1", "protocol_policy": "https-only", "https_port": 443},
                {"id": "origin-b", "domain_name": "origin-b.example-dev.test",
                 "protocol_policy": "https-only", "https_port": 443},
            ],
            "origin_group": {"id": "failover", "primary": "origin-a", "secondary": "origin-b",
                             "status_codes": [500, 502, 503, 504]},
            "default_behavior": {
                "target_origin_id": "failover",
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_OPTIMIZED,
                "response_headers_policy_id": "5b5e1c4e-0000-4000-8000-000000000001",
                "compress": true,
            },
            "custom_error_responses": [
                {"error_code": 404, "response_code": 404, "response_page_path": "/errors/404.html",
                 "error_caching_min_ttl_s": 60},
                {"error_code": 503, "error_caching_min_ttl_s": 10},
            ],
            "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
            "minimum_protocol_version": "TLSv1.2_2021",
            "web_acl_id": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1",
            "http_version": "http2and3",
        })
    }

    #[test]
    fn a_config_maps_back_to_exactly_its_properties() {
        let p = props(web());
        let cfg = for_create("token-1", &p).unwrap();
        assert_eq!(cfg.caller_reference, "token-1");
        let origins = &cfg.origins.as_ref().unwrap().items;
        assert_eq!(origins.len(), 2);
        let shield = origins[0].origin_shield.as_ref().unwrap();
        assert!(shield.enabled);
        assert_eq!(shield.origin_shield_region.as_deref(), Some("us-east-1"));
        assert!(!origins[1].origin_shield.as_ref().unwrap().enabled);
        let custom = origins[0].custom_origin_config.as_ref().unwrap();
        assert_eq!(
            custom.origin_protocol_policy,
            OriginProtocolPolicy::HttpsOnly
        );
        let group = &cfg.origin_groups.as_ref().unwrap().items.as_ref().unwrap()[0];
        assert_eq!(
            group.members.as_ref().unwrap().items[0].origin_id,
            "origin-a"
        );
        let b = cfg.default_cache_behavior.as_ref().unwrap();
        assert_eq!(b.target_origin_id, "failover");
        #[allow(deprecated)]
        let legacy = b.forwarded_values.is_none();
        assert!(legacy);
        let cert = cfg.viewer_certificate.as_ref().unwrap();
        assert_eq!(cert.ssl_support_method, Some(SslSupportMethod::SniOnly));
        assert_eq!(cert.cloud_front_default_certificate, Some(false));
        let errors = cfg.custom_error_responses.as_ref().unwrap();
        assert_eq!(errors.quantity, 2);
        assert_eq!(
            errors.items.as_ref().unwrap()[0].response_code.as_deref(),
            Some("404")
        );
        assert_eq!(Value::Object(props_of(&cfg, Some(&p))), web());
    }

    #[test]
    fn lists_follow_the_declaration_when_they_hold_the_same_items() {
        let p = props(web());
        let mut cfg = for_create("t", &p).unwrap();
        // AWS may answer these in its own order.
        let b = cfg.default_cache_behavior.as_mut().unwrap();
        b.allowed_methods.as_mut().unwrap().items.reverse();
        let errors = cfg.custom_error_responses.as_mut().unwrap();
        errors.items.as_mut().unwrap().reverse();
        assert_eq!(Value::Object(props_of(&cfg, Some(&p))), web());
        // Without a declaration: error responses by code, the aliases sorted.
        let got = props_of(&cfg, None);
        assert_eq!(got["custom_error_responses"][0]["error_code"], 404);
        assert_eq!(got["aliases"][0], "api.pyairtable.test");
    }

    #[test]
    fn an_update_keeps_what_the_declaration_does_not_speak_of() {
        let mut cfg = for_create("t", &props(web())).unwrap();
        cfg.origins.as_mut().unwrap().items[1]
            .custom_origin_config
            .as_mut()
            .unwrap()
            .origin_read_timeout = Some(60);
        let change = props(json!({
            "enabled": false,
            "custom_error_responses": [
                {"error_code": 404, "response_code": 404, "response_page_path": "/errors/missing.html",
                 "error_caching_min_ttl_s": 60},
                {"error_code": 503, "error_caching_min_ttl_s": 10},
            ],
            "origin_group": null,
        }));
        apply(&mut cfg, &change).unwrap();
        assert!(!cfg.enabled);
        assert_eq!(cfg.caller_reference, "t");
        assert_eq!(cfg.origin_groups.as_ref().unwrap().quantity, 0);
        let origins = &cfg.origins.as_ref().unwrap().items;
        assert_eq!(
            origins[1]
                .custom_origin_config
                .as_ref()
                .unwrap()
                .origin_read_timeout,
            Some(60)
        );
        let got = props_of(&cfg, None);
        assert_eq!(
            got["custom_error_responses"][0]["response_page_path"],
            "/errors/missing.html"
        );
        assert!(!got.contains_key("origin_group"));
        // Untouched: the certificate and its TLS version, the web ACL.
        assert_eq!(got["minimum_protocol_version"], "TLSv1.2_2021");
        assert_eq!(got["web_acl_id"], web()["web_acl_id"]);
    }

    #[test]
    fn the_certificate_decides_the_viewer_settings() {
        let mut p = props(web());
        p.remove("certificate_arn");
        p.remove("aliases");
        // A minimum TLS version without a certificate of one's own is refused.
        assert!(for_create("t", &p)
            .unwrap_err()
            .message
            .contains("certificate_arn"));
        p.remove("minimum_protocol_version");
        let cfg = for_create("t", &p).unwrap();
        let cert = cfg.viewer_certificate.as_ref().unwrap();
        assert_eq!(cert.cloud_front_default_certificate, Some(true));
        assert!(!props_of(&cfg, None).contains_key("certificate_arn"));
        // With a certificate and no version: TLSv1.2_2021.
        let mut p = props(web());
        p.remove("minimum_protocol_version");
        let cfg = for_create("t", &p).unwrap();
        assert_eq!(
            props_of(&cfg, None)["minimum_protocol_version"],
            DEFAULT_MINIMUM_PROTOCOL_VERSION
        );
    }

    #[test]
    fn shapes_are_checked() {
        let mut p = props(web());
        p["origins"][0]
            .as_object_mut()
            .unwrap()
            .insert("port".into(), json!(443));
        let e = for_create("t", &p).unwrap_err();
        assert!(e.message.contains("property `origins`"), "{e}");
        let mut p = props(web());
        p.insert("price_class".into(), json!("PriceClass_Cheap"));
        assert!(for_create("t", &p)
            .unwrap_err()
            .message
            .contains("price_class"));
        let mut p = props(web());
        p.remove("default_behavior");
        assert!(for_create("t", &p)
            .unwrap_err()
            .message
            .contains("default_behavior"));
        // "" and null both mean none, and map back as written.
        let mut p = props(web());
        p.insert("web_acl_id".into(), json!(""));
        let cfg = for_create("t", &p).unwrap();
        assert_eq!(props_of(&cfg, Some(&p))["web_acl_id"], "");
        assert!(!props_of(&cfg, None).contains_key("web_acl_id"));
    }
}

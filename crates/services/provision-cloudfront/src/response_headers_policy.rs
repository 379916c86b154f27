//! `cloudfront.response_headers_policy`: a custom response headers policy with the security
//! headers a distribution adds to every response: HSTS, `X-Content-Type-Options: nosniff`,
//! `X-Frame-Options` and `Referrer-Policy`.
//!
//! Its id is the policy id. CloudFront policies take no tags, so the natural key is the name
//! (unique per account): refresh makes one paginated ListResponseHeadersPolicies (Type=custom),
//! whose items carry the whole config, and matches each target by its recorded id, or by name
//! before it has one. A same-named policy made outside provision is adopted.
//!
//! Update: GetResponseHeadersPolicyConfig, then UpdateResponseHeadersPolicy with the whole
//! config (AWS replaces it) and `IfMatch` = the ETag of that read. The headers the declaration
//! sets replace AWS's; the rest of the policy (CORS, custom headers, server timing, other
//! security headers) is sent back as it was. The name changes in place too: the config is
//! replaced as a whole, name included. Delete: GetResponseHeadersPolicy for the ETag, then
//! DeleteResponseHeadersPolicy; `ResponseHeadersPolicyInUse` while a cache behaviour still
//! names it is a conflict, retried.

use crate::{client, invalid, single_shot};
use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    FrameOptionsList, ReferrerPolicyList, ResponseHeadersPolicyConfig as Config,
    ResponseHeadersPolicyContentTypeOptions, ResponseHeadersPolicyFrameOptions,
    ResponseHeadersPolicyReferrerPolicy, ResponseHeadersPolicySecurityHeadersConfig as Security,
    ResponseHeadersPolicyStrictTransportSecurity, ResponseHeadersPolicyType,
};
use aws_sdk_cloudfront::Client;
use provision_aws::props::{gone_ok, opt_s, s, target_name, Props};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use serde::{Deserialize, Serialize};

pub struct ResponseHeadersPolicy(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "cloudfront.response_headers_policy",
    fields: &[
        // UpdateResponseHeadersPolicy replaces the whole config, name included.
        FieldSchema::mutable("name"),
        FieldSchema::mutable("comment"),
        FieldSchema::mutable("hsts"),
        FieldSchema::mutable("content_type_options"),
        FieldSchema::mutable("frame_options"),
        FieldSchema::mutable("referrer_policy"),
    ],
    // Names are unique per account.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: false,
};

/// The `hsts` property: the Strict-Transport-Security header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hsts {
    max_age_s: i32,
    include_subdomains: bool,
    preload: bool,
    /// Whether the policy's header replaces one the origin sends.
    #[serde(rename = "override")]
    override_origin: bool,
}

fn hsts_of(
    v: &Value,
) -> Result<Option<ResponseHeadersPolicyStrictTransportSecurity>, ReconcileError> {
    if v.is_null() {
        return Ok(None);
    }
    let h: Hsts = serde_json::from_value(v.clone()).map_err(|e| {
        invalid(format!(
            "property `hsts` must be {{max_age_s, include_subdomains, preload, override}}: {e}"
        ))
    })?;
    ResponseHeadersPolicyStrictTransportSecurity::builder()
        .access_control_max_age_sec(h.max_age_s)
        .include_subdomains(h.include_subdomains)
        .preload(h.preload)
        .r#override(h.override_origin)
        .build()
        .map(Some)
        .map_err(invalid)
}

fn frame_options_of(
    v: &Value,
) -> Result<Option<ResponseHeadersPolicyFrameOptions>, ReconcileError> {
    let Some(option) = v.as_str() else {
        return match v {
            Value::Null => Ok(None),
            _ => Err(invalid(
                "property `frame_options` must be DENY or SAMEORIGIN",
            )),
        };
    };
    if !FrameOptionsList::values().contains(&option) {
        return Err(invalid(format!(
            "property `frame_options` must be one of {:?}, not {option:?}",
            FrameOptionsList::values()
        )));
    }
    ResponseHeadersPolicyFrameOptions::builder()
        .frame_option(FrameOptionsList::from(option))
        .r#override(true)
        .build()
        .map(Some)
        .map_err(invalid)
}

fn referrer_policy_of(
    v: &Value,
) -> Result<Option<ResponseHeadersPolicyReferrerPolicy>, ReconcileError> {
    let Some(policy) = v.as_str() else {
        return match v {
            Value::Null => Ok(None),
            _ => Err(invalid("property `referrer_policy` must be a string")),
        };
    };
    if !ReferrerPolicyList::values().contains(&policy) {
        return Err(invalid(format!(
            "property `referrer_policy` must be one of {:?}, not {policy:?}",
            ReferrerPolicyList::values()
        )));
    }
    ResponseHeadersPolicyReferrerPolicy::builder()
        .referrer_policy(ReferrerPolicyList::from(policy))
        .r#override(true)
        .build()
        .map(Some)
        .map_err(invalid)
}

fn content_type_options_of(
    v: &Value,
) -> Result<Option<ResponseHeadersPolicyContentTypeOptions>, ReconcileError> {
    match v {
        Value::Bool(true) => ResponseHeadersPolicyContentTypeOptions::builder()
            .r#override(true)
            .build()
            .map(Some)
            .map_err(invalid),
        Value::Bool(false) | Value::Null => Ok(None),
        _ => Err(invalid(
            "property `content_type_options` must be true or false",
        )),
    }
}

/// The config the properties ask for, starting from `current` (AWS's, None at create): what
/// the declaration sets replaces AWS's, the rest is kept.
fn config_of(current: Option<&Config>, p: &Props) -> Result<Config, ReconcileError> {
    let name = match (p.contains_key("name"), current) {
        (false, Some(c)) => c.name.clone(),
        _ => s(p, "name")?,
    };
    let mut config = match current {
        Some(c) => c.clone(),
        None => Config::builder().name(&name).build().map_err(invalid)?,
    };
    config.name = name;
    if p.contains_key("comment") {
        config.comment = opt_s(p, "comment").filter(|c| !c.is_empty());
    }
    let mut sec = config
        .security_headers_config
        .take()
        .unwrap_or_else(|| Security::builder().build());
    if let Some(v) = p.get("hsts") {
        sec.strict_transport_security = hsts_of(v)?;
    }
    if let Some(v) = p.get("content_type_options") {
        sec.content_type_options = content_type_options_of(v)?;
    }
    if let Some(v) = p.get("frame_options") {
        sec.frame_options = frame_options_of(v)?;
    }
    if let Some(v) = p.get("referrer_policy") {
        sec.referrer_policy = referrer_policy_of(v)?;
    }
    config.security_headers_config = (sec != Security::builder().build()).then_some(sec);
    Ok(config)
}

/// The properties of a policy's config, in the spec's shape. A header the policy does not set
/// is left out (`content_type_options` is then false).
fn props_of(config: &Config) -> Props {
    let mut p = Props::new();
    p.insert("name".into(), config.name.clone().into());
    p.insert(
        "comment".into(),
        config.comment.clone().unwrap_or_default().into(),
    );
    let sec = config.security_headers_config.as_ref();
    if let Some(h) = sec.and_then(|s| s.strict_transport_security.as_ref()) {
        let hsts = Hsts {
            max_age_s: h.access_control_max_age_sec,
            include_subdomains: h.include_subdomains.unwrap_or(false),
            preload: h.preload.unwrap_or(false),
            override_origin: h.r#override,
        };
        if let Ok(v) = serde_json::to_value(hsts) {
            p.insert("hsts".into(), v);
        }
    }
    p.insert(
        "content_type_options".into(),
        sec.is_some_and(|s| s.content_type_options.is_some()).into(),
    );
    if let Some(f) = sec.and_then(|s| s.frame_options.as_ref()) {
        p.insert("frame_options".into(), f.frame_option.as_str().into());
    }
    if let Some(r) = sec.and_then(|s| s.referrer_policy.as_ref()) {
        p.insert("referrer_policy".into(), r.referrer_policy.as_str().into());
    }
    p
}

fn observed(address: &Address, id: &str, config: &Config) -> Observed {
    Observed {
        address: address.clone(),
        id: id.to_string(),
        arn: None,
        properties: props_of(config),
    }
}

/// Every custom policy of the account, as (id, config), through all pages.
async fn list_custom(client: &Client) -> Result<Vec<(String, Config)>, ReconcileError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_response_headers_policies()
            .r#type(ResponseHeadersPolicyType::Custom)
            .max_items(100)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(err)?;
        let Some(list) = page.response_headers_policy_list() else {
            break;
        };
        let items = list.items();
        out.extend(items.iter().filter_map(|i| {
            let policy = i.response_headers_policy()?;
            Some((
                policy.id.clone(),
                policy.response_headers_policy_config.clone()?,
            ))
        }));
        // An empty page with a marker, or the same marker again, ends the listing too.
        match list.next_marker() {
            Some(m) if !items.is_empty() && marker.as_deref() != Some(m) => {
                marker = Some(m.to_string())
            }
            _ => break,
        }
    }
    Ok(out)
}

#[async_trait]
impl Reconciler for ResponseHeadersPolicy {
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
        let policies = list_custom(&client(&self.0, SCHEMA.kind, region).await?).await?;
        Ok(targets
            .iter()
            .filter_map(|t| {
                let (id, config) = match &t.id {
                    Some(id) => policies.iter().find(|(i, _)| i == id)?,
                    None => {
                        let name = target_name(t, "name")?;
                        policies.iter().find(|(_, c)| c.name == name)?
                    }
                };
                Some(observed(&t.address, id, config))
            })
            .collect())
    }

    async fn create(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let config = config_of(None, &req.properties)?;
        // No idempotency token: one attempt; after a lost answer the engine finds the policy
        // by name (and a resend answers ResponseHeadersPolicyAlreadyExists, which it adopts).
        let out = single_shot(&self.0, SCHEMA.kind, region)
            .await?
            .create_response_headers_policy()
            .response_headers_policy_config(config)
            .send()
            .await
            .map_err(err)?;
        let policy = out
            .response_headers_policy()
            .ok_or_else(|| invalid("CreateResponseHeadersPolicy returned no policy"))?;
        let config = policy
            .response_headers_policy_config()
            .ok_or_else(|| invalid("CreateResponseHeadersPolicy returned no config"))?;
        Ok(observed(&req.address, policy.id(), config))
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, SCHEMA.kind, region).await?;
        let id = &observed.id;
        let current = client
            .get_response_headers_policy_config()
            .id(id)
            .send()
            .await
            .map_err(err)?;
        let (Some(config), Some(etag)) =
            (current.response_headers_policy_config(), current.e_tag())
        else {
            return Err(invalid(format!(
                "GetResponseHeadersPolicyConfig of {id} returned no config or ETag"
            )));
        };
        let wanted = config_of(Some(config), desired)?;
        if &wanted == config {
            return Ok(self::observed(&observed.address, id, config));
        }
        // A stale ETag (changed since the read) is PreconditionFailed: a conflict, retried.
        let out = client
            .update_response_headers_policy()
            .id(id)
            .if_match(etag)
            .response_headers_policy_config(wanted.clone())
            .send()
            .await
            .map_err(err)?;
        let config = out
            .response_headers_policy()
            .and_then(|p| p.response_headers_policy_config())
            .unwrap_or(&wanted);
        Ok(self::observed(&observed.address, id, config))
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let client = client(&self.0, SCHEMA.kind, region).await?;
        let got = client
            .get_response_headers_policy()
            .id(&observed.id)
            .send()
            .await
            .map_err(err);
        let etag = match got {
            Ok(o) => o.e_tag().unwrap_or_default().to_string(),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        // ResponseHeadersPolicyInUse while a distribution still uses it: a conflict, retried.
        let r = client
            .delete_response_headers_policy()
            .id(&observed.id)
            .if_match(etag)
            .send()
            .await
            .map_err(err);
        gone_ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Props {
        v.as_object().unwrap().clone()
    }

    fn security() -> Value {
        json!({
            "name": "pyairtable-dev-security",
            "comment": "Security headers",
            "hsts": {"max_age_s": 63072000, "include_subdomains": true, "preload": true, "override": true},
            "content_type_options": true,
            "frame_options": "DENY",
            "referrer_policy": "strict-origin-when-cross-origin",
        })
    }

    #[test]
    fn a_policy_round_trips_to_its_properties() {
        let p = props(security());
        let config = config_of(None, &p).unwrap();
        let sec = config.security_headers_config.as_ref().unwrap();
        let hsts = sec.strict_transport_security.as_ref().unwrap();
        assert_eq!(hsts.access_control_max_age_sec, 63072000);
        assert_eq!(hsts.preload, Some(true));
        assert_eq!(
            sec.frame_options.as_ref().unwrap().frame_option,
            FrameOptionsList::Deny
        );
        assert!(sec.content_type_options.as_ref().unwrap().r#override);
        // What AWS answers maps back to exactly the declared properties: no diff.
        assert_eq!(Value::Object(props_of(&config)), security());
    }

    #[test]
    fn an_update_changes_only_what_the_declaration_sets() {
        let current = config_of(None, &props(security())).unwrap();
        let mut with_cors = current.clone();
        with_cors.comment = Some("kept".into());
        let wanted = config_of(
            Some(&with_cors),
            &props(json!({"name": "pyairtable-dev-security", "frame_options": "SAMEORIGIN"})),
        )
        .unwrap();
        let p = props_of(&wanted);
        assert_eq!(p["frame_options"], "SAMEORIGIN");
        assert_eq!(p["comment"], "kept");
        assert_eq!(p["referrer_policy"], "strict-origin-when-cross-origin");
        // null removes a header; false removes nosniff.
        let wanted = config_of(
            Some(&current),
            &props(json!({"frame_options": null, "content_type_options": false})),
        )
        .unwrap();
        let p = props_of(&wanted);
        assert!(!p.contains_key("frame_options"));
        assert_eq!(p["content_type_options"], false);
        assert_eq!(p["name"], "pyairtable-dev-security");
    }

    #[test]
    fn bad_values_are_refused() {
        let mut p = props(security());
        p.insert("frame_options".into(), json!("ALLOW-FROM"));
        assert!(config_of(None, &p).unwrap_err().message.contains("DENY"));
        let mut p = props(security());
        p.insert("hsts".into(), json!({"max_age_s": 1}));
        assert!(config_of(None, &p).unwrap_err().message.contains("hsts"));
        let mut p = props(security());
        p.insert("referrer_policy".into(), json!("sometimes"));
        assert!(config_of(None, &p).is_err());
    }
}

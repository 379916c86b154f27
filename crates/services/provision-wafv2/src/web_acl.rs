//! `wafv2.web_acl`: a web ACL with a rate-based rule, an optional geographic block, and AWS
//! managed rule groups.
//!
//! Its id is its ARN. The rules are the web ACL's whole rule list, laid out by this kind:
//! - `rate-limit` (priority 0): block an IP above `rate_limit` requests per 5 minutes;
//! - `blocked-countries` (priority 1, when `blocked_countries` is not empty): block them;
//! - `aws-<group>` (priority 10, 11, ...): each of `managed_rules`, vendor AWS, its own actions.
//!
//! Every update sends the whole web ACL with the lock token of a read just before it (AWS
//! replaces the ACL's mutable settings as a whole); a stale token is a conflict the engine
//! retries with a fresh read.

use crate::{client, placement, single_shot};
use async_trait::async_trait;
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, CountryCode, DefaultAction, GeoMatchStatement,
    ManagedRuleGroupStatement, NoneAction, OverrideAction, RateBasedStatement,
    RateBasedStatementAggregateKeyType, Rule, RuleAction, Statement, Tag, VisibilityConfig,
    WebAcl as Acl,
};
use aws_sdk_wafv2::Client;
use provision_aws::props::{opt_s, s, sorted, strings, target_name, Props};
use provision_aws::tags::{address_tag, tag_diff, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::BTreeMap;

pub struct WebAcl(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "wafv2.web_acl",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::mutable("description"),
        FieldSchema::mutable("default_action"),
        FieldSchema::mutable("rate_limit"),
        FieldSchema::mutable("blocked_countries").unordered(),
        FieldSchema::mutable("managed_rules"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("capacity"),
    ],
    // Names are unique per scope and region.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

const RATE_RULE: &str = "rate-limit";
const GEO_RULE: &str = "blocked-countries";
const MANAGED_PREFIX: &str = "aws-";

fn invalid(e: impl std::fmt::Display) -> ReconcileError {
    ReconcileError::invalid(e.to_string())
}

/// (name, id) of a web ACL ARN: `arn:aws:wafv2:<region>:<account>:<scope>/webacl/<name>/<id>`.
fn name_and_id(arn: &str) -> Result<(String, String), ReconcileError> {
    let rest = arn
        .split_once("/webacl/")
        .map(|(_, r)| r)
        .ok_or_else(|| invalid(format!("{arn} is not a web ACL ARN")))?;
    let (name, id) = rest
        .rsplit_once('/')
        .ok_or_else(|| invalid(format!("{arn} is not a web ACL ARN")))?;
    Ok((name.to_string(), id.to_string()))
}

fn visibility(metric: &str) -> Result<VisibilityConfig, ReconcileError> {
    VisibilityConfig::builder()
        .sampled_requests_enabled(true)
        .cloud_watch_metrics_enabled(true)
        .metric_name(metric)
        .build()
        .map_err(invalid)
}

fn block() -> RuleAction {
    RuleAction::builder()
        .block(BlockAction::builder().build())
        .build()
}

/// The rules the properties ask for, in priority order.
fn rules_of(p: &Props) -> Result<Vec<Rule>, ReconcileError> {
    let limit = p
        .get("rate_limit")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("property `rate_limit` must be a number"))?;
    let mut rules = vec![Rule::builder()
        .name(RATE_RULE)
        .priority(0)
        .statement(
            Statement::builder()
                .rate_based_statement(
                    RateBasedStatement::builder()
                        .limit(limit)
                        .evaluation_window_sec(300)
                        .aggregate_key_type(RateBasedStatementAggregateKeyType::Ip)
                        .build()
                        .map_err(invalid)?,
                )
                .build(),
        )
        .action(block())
        .visibility_config(visibility(RATE_RULE)?)
        .build()
        .map_err(invalid)?];
    let countries = strings(p, "blocked_countries");
    if !countries.is_empty() {
        rules.push(
            Rule::builder()
                .name(GEO_RULE)
                .priority(1)
                .statement(
                    Statement::builder()
                        .geo_match_statement(
                            GeoMatchStatement::builder()
                                .set_country_codes(Some(
                                    countries
                                        .iter()
                                        .map(|c| CountryCode::from(c.as_str()))
                                        .collect(),
                                ))
                                .build(),
                        )
                        .build(),
                )
                .action(block())
                .visibility_config(visibility(GEO_RULE)?)
                .build()
                .map_err(invalid)?,
        );
    }
    for (i, group) in strings(p, "managed_rules").iter().enumerate() {
        let name = format!("{MANAGED_PREFIX}{group}");
        let priority = 10 + i32::try_from(i).map_err(invalid)?;
        rules.push(
            Rule::builder()
                .name(&name)
                .priority(priority)
                .statement(
                    Statement::builder()
                        .managed_rule_group_statement(
                            ManagedRuleGroupStatement::builder()
                                .vendor_name("AWS")
                                .name(group)
                                .build()
                                .map_err(invalid)?,
                        )
                        .build(),
                )
                // A managed group keeps its own rules' actions.
                .override_action(
                    OverrideAction::builder()
                        .none(NoneAction::builder().build())
                        .build(),
                )
                .visibility_config(visibility(&name)?)
                .build()
                .map_err(invalid)?,
        );
    }
    Ok(rules)
}

fn default_action(p: &Props) -> DefaultAction {
    match opt_s(p, "default_action").as_deref() {
        Some("block") => DefaultAction::builder()
            .block(BlockAction::builder().build())
            .build(),
        _ => DefaultAction::builder()
            .allow(AllowAction::builder().build())
            .build(),
    }
}

fn props_of(acl: &Acl, tags: &BTreeMap<String, String>) -> Props {
    let mut p = Props::new();
    p.insert("name".into(), acl.name().into());
    p.insert(
        "description".into(),
        acl.description().unwrap_or_default().into(),
    );
    let action = if acl.default_action().and_then(|a| a.block()).is_some() {
        "block"
    } else {
        "allow"
    };
    p.insert("default_action".into(), action.into());
    let mut rules: Vec<&Rule> = acl.rules().iter().collect();
    rules.sort_by_key(|r| r.priority());
    let mut managed = Vec::new();
    let mut countries = Vec::new();
    for r in rules {
        let Some(st) = r.statement() else { continue };
        if let Some(rate) = st.rate_based_statement() {
            p.insert("rate_limit".into(), rate.limit().into());
        } else if let Some(geo) = st.geo_match_statement() {
            countries.extend(geo.country_codes().iter().map(|c| c.as_str().to_string()));
        } else if let Some(m) = st.managed_rule_group_statement() {
            managed.push(Value::from(m.name()));
        }
    }
    p.insert("blocked_countries".into(), sorted(countries));
    p.insert("managed_rules".into(), Value::Array(managed));
    p.insert("tags".into(), user_tags(tags));
    p.insert("capacity".into(), acl.capacity().into());
    p
}

async fn list_tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, ReconcileError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .tag_info_for_resource()
        .map(|i| {
            i.tag_list()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

fn waf_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ReconcileError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(invalid))
        .collect()
}

/// The web ACL and its current lock token; None if it is gone.
async fn get(
    client: &Client,
    scope: &aws_sdk_wafv2::types::Scope,
    arn: &str,
) -> Result<Option<(Acl, String)>, ReconcileError> {
    let (name, id) = name_and_id(arn)?;
    let r = client
        .get_web_acl()
        .name(name)
        .scope(scope.clone())
        .id(id)
        .send()
        .await
        .map_err(err);
    match r {
        Ok(o) => Ok(o
            .web_acl()
            .cloned()
            .map(|a| (a, o.lock_token().unwrap_or_default().to_string()))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn observed(address: &Address, acl: &Acl, tags: &BTreeMap<String, String>) -> Observed {
    Observed {
        address: address.clone(),
        id: acl.arn().to_string(),
        arn: Some(acl.arn().to_string()),
        properties: props_of(acl, tags),
    }
}

#[async_trait]
impl Reconciler for WebAcl {
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
        let (_, scope) = placement(region);
        let client = client(&self.0, region).await;
        let mut summaries = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = client
                .list_web_acls()
                .scope(scope.clone())
                .limit(100)
                .set_next_marker(marker.clone())
                .send()
                .await
                .map_err(err)?;
            summaries.extend(out.web_acls().iter().cloned());
            // An empty page with a marker, or the same marker again, ends the listing too.
            match out.next_marker() {
                Some(m) if !out.web_acls().is_empty() && marker.as_deref() != Some(m) => {
                    marker = Some(m.to_string())
                }
                _ => break,
            }
        }
        let mut out = Vec::new();
        for t in targets {
            let name = target_name(t, "name");
            let found = summaries.iter().find(|s| {
                t.id.as_deref().is_some_and(|id| s.arn() == Some(id))
                    || (t.id.is_none() && name.as_deref().is_some_and(|n| s.name() == Some(n)))
            });
            let Some(arn) = found.and_then(|s| s.arn()) else {
                continue;
            };
            let tags = list_tags(&client, arn).await?;
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                continue;
            }
            if let Some((acl, _)) = get(&client, &scope, arn).await? {
                out.push(observed(&t.address, &acl, &tags));
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
        let (_, scope) = placement(region);
        let name = s(p, "name")?;
        let tags = cx.tags_for(&req.address, p);
        let mut call = single_shot(&self.0, region)
            .await
            .create_web_acl()
            .name(&name)
            .scope(scope)
            .default_action(default_action(p))
            .set_rules(Some(rules_of(p)?))
            .visibility_config(visibility(&name)?)
            .set_tags(Some(waf_tags(&tags)?));
        if let Some(d) = opt_s(p, "description").filter(|d| !d.is_empty()) {
            call = call.description(d);
        }
        let out = call.send().await.map_err(err)?;
        let arn = out
            .summary()
            .and_then(|s| s.arn())
            .ok_or_else(|| invalid("CreateWebACL returned no ARN"))?
            .to_string();
        let mut o = provision_aws::props::observed_from(&req.address, arn.clone(), p);
        o.arn = Some(arn);
        Ok(o)
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let (_, scope) = placement(region);
        let client = client(&self.0, region).await;
        let arn = &observed.id;
        let settings = [
            "description",
            "default_action",
            "rate_limit",
            "blocked_countries",
            "managed_rules",
        ];
        if settings.iter().any(|f| {
            desired.contains_key(*f)
                && !provision_core::value::same(
                    observed.properties.get(*f),
                    desired.get(*f),
                    *f == "blocked_countries",
                )
        }) {
            let Some((acl, token)) = get(&client, &scope, arn).await? else {
                return Err(ReconcileError::new(
                    ErrorClass::NotFound,
                    format!("web ACL {arn} is gone"),
                ));
            };
            let mut call = client
                .update_web_acl()
                .name(acl.name())
                .scope(scope.clone())
                .id(acl.id())
                .lock_token(token)
                .default_action(default_action(desired))
                .set_rules(Some(rules_of(desired)?))
                .visibility_config(visibility(acl.name())?);
            if let Some(d) = opt_s(desired, "description").filter(|d| !d.is_empty()) {
                call = call.description(d);
            }
            call.send().await.map_err(err)?;
        }
        let diff = tag_diff(cx, &observed.address, &observed.properties, desired);
        if !diff.set.is_empty() {
            client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(waf_tags(&diff.set)?))
                .send()
                .await
                .map_err(err)?;
        }
        if !diff.remove.is_empty() {
            client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(diff.remove))
                .send()
                .await
                .map_err(err)?;
        }
        let tags = cx.tags_for(&observed.address, desired);
        match get(&client, &scope, arn).await? {
            Some((acl, _)) => Ok(self::observed(&observed.address, &acl, &tags)),
            None => Err(ReconcileError::new(
                ErrorClass::NotFound,
                format!("web ACL {arn} is gone"),
            )),
        }
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let (_, scope) = placement(region);
        let client = client(&self.0, region).await;
        // WAFAssociatedItemException while an association remains: a conflict, retried.
        let Some((acl, token)) = get(&client, &scope, &observed.id).await? else {
            return Ok(());
        };
        let r = client
            .delete_web_acl()
            .name(acl.name())
            .scope(scope)
            .id(acl.id())
            .lock_token(token)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arns_give_name_and_id() {
        let (name, id) = name_and_id(
            "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/pyairtable-prod/a1b2c3",
        )
        .unwrap();
        assert_eq!((name.as_str(), id.as_str()), ("pyairtable-prod", "a1b2c3"));
        assert!(name_and_id("arn:aws:wafv2:us-east-1:1:regional/ipset/x/y").is_err());
    }

    #[test]
    fn rules_are_laid_out_by_priority() {
        let p: Props = serde_json::from_value(json!({
            "rate_limit": 2000,
            "blocked_countries": ["KP"],
            "managed_rules": ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet"],
        }))
        .unwrap();
        let rules = rules_of(&p).unwrap();
        let names: Vec<(&str, i32)> = rules.iter().map(|r| (r.name(), r.priority())).collect();
        assert_eq!(
            names,
            [
                ("rate-limit", 0),
                ("blocked-countries", 1),
                ("aws-AWSManagedRulesCommonRuleSet", 10),
                ("aws-AWSManagedRulesSQLiRuleSet", 11),
            ]
        );
        assert!(rules[0].action().and_then(|a| a.block()).is_some());
        assert!(rules[2].override_action().and_then(|a| a.none()).is_some());
        assert!(rules[2].action().is_none());
        // Without countries there is no geo rule.
        let p: Props = serde_json::from_value(json!({"rate_limit": 100})).unwrap();
        assert_eq!(rules_of(&p).unwrap().len(), 1);
    }
}

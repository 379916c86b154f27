//! `cloudwatch.alarm`: a metric alarm on one metric (`namespace`, `metric_name`, `dimensions`,
//! `statistic`, `period`) or on metric math (`metrics`: queries, one of them returning the
//! value compared with the threshold), notifying its actions on ALARM and OK.
//!
//! PutMetricAlarm both creates and replaces an alarm's whole definition, so every field but the
//! name changes in place. Its `Tags` only apply at creation; later tag changes go through
//! TagResource / UntagResource.

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, Statistic, Tag,
};
use aws_sdk_cloudwatch::Client;
use provision_aws::props::{i, opt_s, s, sorted, string_map, strings, Props};
use provision_aws::tags::{address_tag, tag_diff, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use serde_json::json;
use std::collections::BTreeMap;

pub struct Alarm(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "cloudwatch.alarm",
    fields: &[
        FieldSchema::force_new("alarm_name"),
        FieldSchema::mutable("description"),
        FieldSchema::mutable("namespace"),
        FieldSchema::mutable("metric_name"),
        FieldSchema::mutable("dimensions"),
        FieldSchema::mutable("statistic"),
        FieldSchema::mutable("period"),
        FieldSchema::mutable("metrics"),
        FieldSchema::mutable("evaluation_periods"),
        FieldSchema::mutable("datapoints_to_alarm"),
        FieldSchema::mutable("threshold"),
        FieldSchema::mutable("comparison_operator"),
        FieldSchema::mutable("treat_missing_data"),
        FieldSchema::mutable("alarm_actions").unordered(),
        FieldSchema::mutable("ok_actions").unordered(),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("state"),
    ],
    // Alarm names are unique per region.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(region).await)
}

/// A number as the spec writes it: whole numbers without a fraction.
fn num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn dimensions_map(d: &[Dimension]) -> Value {
    let m: BTreeMap<String, String> = d
        .iter()
        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
        .collect();
    json!(m)
}

fn dimensions_of(m: &BTreeMap<String, String>) -> Vec<Dimension> {
    m.iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect()
}

fn query_props(q: &MetricDataQuery) -> Value {
    let mut m = serde_json::Map::new();
    if let Some(id) = q.id() {
        m.insert("id".into(), id.into());
    }
    if let Some(e) = q.expression() {
        m.insert("expression".into(), e.into());
    }
    if let Some(st) = q.metric_stat() {
        if let Some(metric) = st.metric() {
            if let Some(n) = metric.namespace() {
                m.insert("namespace".into(), n.into());
            }
            if let Some(n) = metric.metric_name() {
                m.insert("metric_name".into(), n.into());
            }
            m.insert("dimensions".into(), dimensions_map(metric.dimensions()));
        }
        if let Some(p) = st.period() {
            m.insert("period".into(), p.into());
        }
        if let Some(stat) = st.stat() {
            m.insert("stat".into(), stat.into());
        }
    }
    m.insert("return_data".into(), q.return_data().unwrap_or(true).into());
    Value::Object(m)
}

fn query_of(v: &Value) -> Result<MetricDataQuery, ReconcileError> {
    let q = v
        .as_object()
        .ok_or_else(|| ReconcileError::invalid("each of `metrics` must be a mapping"))?;
    let mut b = MetricDataQuery::builder().id(s(q, "id")?).return_data(
        q.get("return_data")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    );
    if let Some(e) = opt_s(q, "expression") {
        b = b.expression(e);
    } else {
        b = b.metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(s(q, "namespace")?)
                        .metric_name(s(q, "metric_name")?)
                        .set_dimensions(Some(dimensions_of(&string_map(q, "dimensions"))))
                        .build(),
                )
                .set_period(i(q, "period"))
                .stat(s(q, "stat")?)
                .build(),
        );
    }
    Ok(b.build())
}

fn props_of(a: &MetricAlarm) -> Props {
    let mut p = Props::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            p.insert(k.into(), v);
        }
    };
    put("alarm_name", a.alarm_name().map(Value::from));
    put("description", a.alarm_description().map(Value::from));
    put("namespace", a.namespace().map(Value::from));
    put("metric_name", a.metric_name().map(Value::from));
    if a.metrics().is_empty() {
        put("dimensions", Some(dimensions_map(a.dimensions())));
    } else {
        put(
            "metrics",
            Some(Value::Array(a.metrics().iter().map(query_props).collect())),
        );
    }
    put("statistic", a.statistic().map(|s| Value::from(s.as_str())));
    put("period", a.period().map(Value::from));
    put(
        "evaluation_periods",
        a.evaluation_periods().map(Value::from),
    );
    put(
        "datapoints_to_alarm",
        a.datapoints_to_alarm().map(Value::from),
    );
    put("threshold", a.threshold().map(num));
    put(
        "comparison_operator",
        a.comparison_operator().map(|c| Value::from(c.as_str())),
    );
    put(
        "treat_missing_data",
        a.treat_missing_data().map(Value::from),
    );
    put("alarm_actions", Some(sorted(a.alarm_actions().to_vec())));
    put("ok_actions", Some(sorted(a.ok_actions().to_vec())));
    put("state", a.state_value().map(|s| Value::from(s.as_str())));
    p
}

impl Alarm {
    /// PutMetricAlarm with the whole declared definition.
    async fn put(
        &self,
        region: &str,
        p: &Props,
        tags: Option<Vec<Tag>>,
    ) -> Result<(), ReconcileError> {
        let threshold = p
            .get("threshold")
            .and_then(Value::as_f64)
            .ok_or_else(|| ReconcileError::invalid("property `threshold` must be a number"))?;
        let metrics = match p.get("metrics").and_then(Value::as_array) {
            Some(qs) => Some(qs.iter().map(query_of).collect::<Result<Vec<_>, _>>()?),
            None => None,
        };
        let simple = metrics.is_none();
        client(&self.0, region)
            .await
            .put_metric_alarm()
            .alarm_name(s(p, "alarm_name")?)
            .set_alarm_description(opt_s(p, "description"))
            .set_namespace(opt_s(p, "namespace").filter(|_| simple))
            .set_metric_name(opt_s(p, "metric_name").filter(|_| simple))
            .set_dimensions(simple.then(|| dimensions_of(&string_map(p, "dimensions"))))
            .set_statistic(
                opt_s(p, "statistic")
                    .filter(|_| simple)
                    .map(|x| Statistic::from(x.as_str())),
            )
            .set_period(i(p, "period").filter(|_| simple))
            .set_metrics(metrics)
            .set_evaluation_periods(i(p, "evaluation_periods"))
            .set_datapoints_to_alarm(i(p, "datapoints_to_alarm"))
            .threshold(threshold)
            .comparison_operator(ComparisonOperator::from(
                s(p, "comparison_operator")?.as_str(),
            ))
            .set_treat_missing_data(opt_s(p, "treat_missing_data"))
            .set_alarm_actions(Some(strings(p, "alarm_actions")))
            .set_ok_actions(Some(strings(p, "ok_actions")))
            .set_tags(tags)
            .send()
            .await
            .map_err(err)?;
        Ok(())
    }
}

fn cw_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

#[async_trait]
impl Reconciler for Alarm {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let client = client(&self.0, region).await;
        // The stack's alarms are named `<stack>-…`: one paginated call finds them all.
        let pages = client
            .describe_alarms()
            .alarm_name_prefix(&cx.stack)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let alarms: Vec<MetricAlarm> = pages
            .into_iter()
            .flat_map(|p| p.metric_alarms.unwrap_or_default())
            .collect();
        let mut out = Vec::new();
        for t in targets {
            let name = provision_aws::props::target_name(t, "alarm_name");
            let Some(a) = alarms
                .iter()
                .find(|a| name.is_some() && a.alarm_name() == name.as_deref())
            else {
                continue;
            };
            let tags: BTreeMap<String, String> = match a.alarm_arn() {
                Some(arn) => client
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                    .map_err(err)?
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                    .collect(),
                None => BTreeMap::new(),
            };
            if address_tag(&tags).is_some_and(|x| x != t.address) {
                continue;
            }
            let mut props = props_of(a);
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address: t.address.clone(),
                id: a.alarm_name().unwrap_or_default().to_string(),
                arn: a.alarm_arn().map(str::to_string),
                properties: props,
            });
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
        self.put(region, p, Some(cw_tags(&cx.tags_for(&req.address, p))))
            .await?;
        let mut o = provision_aws::props::observed_from(&req.address, s(p, "alarm_name")?, p);
        o.properties
            .insert("state".into(), "INSUFFICIENT_DATA".into());
        Ok(o)
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let o = &observed.properties;
        let definition_changed = SCHEMA
            .fields
            .iter()
            .filter(|f| f.mode == FieldMode::Mutable && f.name != "tags")
            .any(|f| {
                desired.contains_key(f.name)
                    && !provision_core::value::same(o.get(f.name), desired.get(f.name), f.unordered)
            });
        if definition_changed {
            self.put(region, desired, None).await?;
        }
        let diff = tag_diff(cx, &observed.address, o, desired);
        if !diff.is_empty() {
            let Some(arn) = observed.arn.as_deref() else {
                return Err(ReconcileError::invalid(format!(
                    "{}: no ARN recorded to tag; run `provision diff` to refresh",
                    observed.address
                )));
            };
            let client = client(&self.0, region).await;
            if !diff.set.is_empty() {
                client
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(cw_tags(&diff.set)))
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
        }
        let mut reached = desired.clone();
        if let Some(st) = o.get("state") {
            reached.insert("state".into(), st.clone());
        }
        Ok(Observed {
            properties: reached,
            ..observed.clone()
        })
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        // DeleteAlarms of a name that does not exist fails with ResourceNotFound.
        let r = client(&self.0, region)
            .await
            .delete_alarms()
            .alarm_names(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_thresholds_read_as_the_spec_writes_them() {
        assert_eq!(num(80.0), json!(80));
        assert_eq!(num(0.5), json!(0.5));
    }

    #[test]
    fn metric_math_round_trips() {
        let v = json!({"id": "m1", "namespace": "AWS/ElastiCache",
            "metric_name": "EngineCPUUtilization", "dimensions": {"CacheClusterId": "c-0001-001"},
            "stat": "Maximum", "period": 300, "return_data": false});
        let q = query_of(&v).unwrap();
        assert_eq!(query_props(&q), v);
        let e = json!({"id": "cpu", "expression": "MAX([m1])", "return_data": true});
        assert_eq!(query_props(&query_of(&e).unwrap()), e);
    }

    #[test]
    fn action_lists_compare_as_sets() {
        let a = json!(["b", "a"]);
        let b = json!(["a", "b"]);
        assert!(provision_core::value::same(Some(&a), Some(&b), true));
        assert!(!provision_core::value::same(Some(&a), Some(&b), false));
        assert!(provision_core::value::same(None, Some(&json!([])), true));
    }
}

//! `sns.subscription`: an endpoint subscribed to a topic, found by its natural key (topic,
//! protocol, endpoint).
//!
//! An e-mail subscription waits for its recipient to confirm it: until then AWS lists it as
//! `PendingConfirmation` (in place of its ARN) and `provision` reports `pending: true`. Nothing
//! in AWS can confirm it for the recipient, so it is not waited for. Subscribe is idempotent for
//! the same topic, protocol and endpoint.

use crate::client;
use async_trait::async_trait;
use provision_aws::props::{s, Props};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;

pub struct Subscription(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "sns.subscription",
    fields: &[
        FieldSchema::force_new("topic_arn"),
        FieldSchema::force_new("protocol"),
        // An e-mail address is personal data, but not a secret: it is shown.
        FieldSchema::force_new("endpoint"),
        FieldSchema::computed("pending"),
    ],
    // The same endpoint cannot be subscribed twice to one topic.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: false,
};

const PENDING: &str = "PendingConfirmation";

impl Subscription {
    async fn by_arn(
        &self,
        client: &aws_sdk_sns::Client,
        t: &Target,
    ) -> Result<Option<Observed>, ReconcileError> {
        let Some(arn) = t.id.as_deref().filter(|id| *id != PENDING) else {
            return Ok(None);
        };
        let r = client
            .get_subscription_attributes()
            .subscription_arn(arn)
            .send()
            .await
            .map_err(err);
        let attrs = match r {
            Ok(o) => o.attributes.unwrap_or_default(),
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut props = Props::new();
        for (k, field) in [
            ("TopicArn", "topic_arn"),
            ("Protocol", "protocol"),
            ("Endpoint", "endpoint"),
        ] {
            if let Some(v) = attrs.get(k) {
                props.insert(field.into(), v.clone().into());
            }
        }
        let pending = attrs.get("PendingConfirmation").map(String::as_str) == Some("true");
        props.insert("pending".into(), pending.into());
        Ok(Some(Observed {
            address: t.address.clone(),
            id: arn.to_string(),
            arn: Some(arn.to_string()),
            properties: props,
        }))
    }
}

#[async_trait]
impl Reconciler for Subscription {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let client = client(&self.0, region).await;
        let mut out = Vec::new();
        // One ListSubscriptionsByTopic per topic (there is one topic per region).
        let mut by_topic: std::collections::BTreeMap<
            String,
            Vec<aws_sdk_sns::types::Subscription>,
        > = Default::default();
        for t in targets {
            let Some(d) = t.desired.as_ref().and_then(Value::as_object) else {
                // Not in the spec any more (being deleted): found by its recorded ARN.
                if let Some(o) = self.by_arn(&client, t).await? {
                    out.push(o);
                }
                continue;
            };
            let (Ok(topic), Ok(protocol), Ok(endpoint)) =
                (s(d, "topic_arn"), s(d, "protocol"), s(d, "endpoint"))
            else {
                continue;
            };
            if !by_topic.contains_key(&topic) {
                let r = client
                    .list_subscriptions_by_topic()
                    .topic_arn(&topic)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(err);
                let subs = match r {
                    Ok(v) => v,
                    Err(e) if e.is_not_found() => Vec::new(),
                    Err(e) => return Err(e),
                };
                by_topic.insert(topic.clone(), subs);
            }
            let Some(sub) = by_topic[&topic].iter().find(|x| {
                x.protocol() == Some(protocol.as_str()) && x.endpoint() == Some(endpoint.as_str())
            }) else {
                continue;
            };
            let listed = sub.subscription_arn().unwrap_or(PENDING);
            let pending = listed == PENDING;
            // A pending subscription is listed without its ARN: the recorded one stands.
            let id = if pending {
                t.id.clone().unwrap_or_else(|| PENDING.to_string())
            } else {
                listed.to_string()
            };
            let mut props = Props::new();
            props.insert("topic_arn".into(), topic.clone().into());
            props.insert("protocol".into(), protocol.into());
            props.insert("endpoint".into(), endpoint.into());
            props.insert("pending".into(), pending.into());
            out.push(Observed {
                address: t.address.clone(),
                arn: (id != PENDING).then(|| id.clone()),
                id,
                properties: props,
            });
        }
        Ok(out)
    }

    async fn create(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let protocol = s(p, "protocol")?;
        let out = client(&self.0, region)
            .await
            .subscribe()
            .topic_arn(s(p, "topic_arn")?)
            .protocol(&protocol)
            .endpoint(s(p, "endpoint")?)
            // The ARN even while the subscription waits for confirmation.
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(err)?;
        let arn = out
            .subscription_arn()
            .ok_or_else(|| ReconcileError::invalid("Subscribe returned no ARN"))?
            .to_string();
        let mut o = provision_aws::props::observed_from(&req.address, arn.clone(), p);
        o.arn = Some(arn);
        o.properties.insert(
            "pending".into(),
            (protocol == "email" || protocol == "email-json").into(),
        );
        Ok(o)
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        observed: &Observed,
        _desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        // Every field forces a replacement: nothing to change in place.
        Ok(observed.clone())
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        if observed.id == PENDING {
            return Err(ReconcileError::invalid(format!(
                "{}: the subscription waits for confirmation and no ARN was recorded for it; \
                 AWS deletes unconfirmed subscriptions after three days, or delete the topic",
                observed.address
            )));
        }
        let r = client(&self.0, region)
            .await
            .unsubscribe()
            .subscription_arn(&observed.id)
            .send()
            .await
            .map_err(err);
        match r {
            // AWS cannot unsubscribe a subscription nobody confirmed; it deletes it by itself
            // when the confirmation expires (and with its topic).
            Err(e)
                if e.code.as_deref() == Some("InvalidParameter")
                    && e.message.contains("pending confirmation") =>
            {
                tracing::warn!(
                    address = %observed.address,
                    "the subscription was never confirmed; AWS cannot unsubscribe it and deletes it when the confirmation expires"
                );
                Ok(())
            }
            other => provision_aws::props::gone_ok(other),
        }
    }
}

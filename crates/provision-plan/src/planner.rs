use provision_core::value::{self, Ref};
use provision_core::{
    Action, Address, Change, FieldChange, FieldMode, KindSchema, Observed, Plan, ReplaceOrder,
    ResourceDecl, Value,
};
use provision_graph::{GraphError, ResourceGraph};
use provision_state::{ResourceStatus, State};
use std::collections::{BTreeMap, BTreeSet};

/// What is known of the live objects.
pub enum Live {
    /// Refreshed from AWS: an address recorded in state but absent here is gone.
    Refreshed(BTreeMap<Address, Observed>),
    /// `--no-refresh`: plan from the recorded observations alone.
    FromState,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{address}: kind `{kind}` is not known to this build of provision; upgrade provision, or remove the resource with `provision state rm {address}`")]
    UnknownKind { address: Address, kind: String },
    #[error(transparent)]
    Graph(Box<GraphError>),
}

impl From<GraphError> for PlanError {
    fn from(e: GraphError) -> Self {
        PlanError::Graph(Box::new(e))
    }
}

/// Compute the plan that brings the live objects to `desired`.
///
/// - a desired resource with no live object is created (re-created if it was deleted outside);
/// - a live one whose mutable fields differ is updated in place, and one whose force-new fields
///   differ is replaced, in the order its kind declares, naming the field that forces it;
/// - a recorded resource the spec no longer has is deleted.
pub fn plan(
    desired: &[ResourceDecl],
    state: &State,
    live: &Live,
    schema_of: &dyn Fn(&str) -> Option<&'static KindSchema>,
) -> Result<Plan, PlanError> {
    let decls: BTreeMap<&Address, &ResourceDecl> =
        desired.iter().map(|d| (&d.address, d)).collect();
    let graph = ResourceGraph::build(
        desired
            .iter()
            .map(|d| (d.address.clone(), d.dependencies())),
    )?;

    // What is live, whichever way we know it.
    let from_state: BTreeMap<Address, Observed>;
    let live_map: &BTreeMap<Address, Observed> = match live {
        Live::Refreshed(m) => m,
        Live::FromState => {
            from_state = state
                .resources
                .iter()
                .filter_map(|(a, r)| Some((a.clone(), r.recorded_observation(a)?)))
                .collect();
            &from_state
        }
    };
    let refreshed = matches!(live, Live::Refreshed(_));

    let mut changes = Vec::new();
    // Addresses whose object will be new: references to them are known only after apply.
    let mut fresh: BTreeSet<Address> = BTreeSet::new();
    // Addresses replaced delete-first.
    let mut delete_first: BTreeSet<Address> = BTreeSet::new();
    // The new values of the fields each update changes.
    let mut updated: BTreeMap<Address, serde_json::Map<String, Value>> = BTreeMap::new();

    for address in graph.topo_order() {
        let Some(decl) = decls.get(&address) else {
            continue;
        };
        let kind = address.kind();
        let schema = schema_of(kind).ok_or_else(|| PlanError::UnknownKind {
            address: address.clone(),
            kind: kind.to_string(),
        })?;
        let lookup = |r: &Ref| -> Option<Value> {
            if fresh.contains(&r.address) {
                return None;
            }
            // A field that an update changes takes its new value: a node group following its
            // cluster's version is updated in the same plan, after the cluster.
            if let Some(m) = updated.get(&r.address) {
                if let Some(v) = m.get(&r.field) {
                    return value::is_known(v).then(|| v.clone());
                }
                // A computed field that the update itself changes (a configuration's new
                // revision) is known only after apply.
                let moves = schema_of(r.address.kind())
                    .and_then(|s| s.field(&r.field))
                    .is_some_and(|f| f.changes_on_update);
                if moves {
                    return None;
                }
            }
            live_map.get(&r.address)?.field(&r.field)
        };
        let after = value::resolve(&Value::Object(decl.properties.clone()), &lookup);
        let after_map = after.as_object().cloned().unwrap_or_default();
        let recorded = state.resources.get(&address);
        let mut change = Change {
            address: address.clone(),
            action: Action::NoOp,
            before: None,
            after: Some(after.clone()),
            fields: Vec::new(),
            reasons: Vec::new(),
            depends_on: decl.dependencies(),
            recorded_depends_on: recorded.map(|r| r.depends_on.clone()).unwrap_or_default(),
            sensitive: sensitive_fields(schema_of(address.kind())),
        };
        match live_map.get(&address) {
            None => {
                change.action = Action::Create;
                match recorded {
                    Some(r) if r.id.is_none() && r.status == ResourceStatus::Creating => {
                        change.reasons.push(
                            "an interrupted create left no object behind; it will be created"
                                .into(),
                        )
                    }
                    Some(r) if r.id.is_none() => change.reasons.push(
                        "an earlier create failed and left no object; it will be created".into(),
                    ),
                    Some(_) if refreshed => change
                        .reasons
                        .push("deleted outside provision; it will be created again".into()),
                    _ => {}
                }
                fresh.insert(address.clone());
            }
            Some(obs) => {
                change.before = Some(Value::Object(obs.properties.clone()));
                change.fields = diff_fields(
                    schema,
                    &obs.properties,
                    recorded.map(|r| &r.desired),
                    &after_map,
                );
                let forcing: Vec<&FieldChange> = change
                    .fields
                    .iter()
                    .filter(|f| f.forces_replacement)
                    .collect();
                if !forcing.is_empty() {
                    for f in forcing {
                        change
                            .reasons
                            .push(format!("{} forces replacement", f.field));
                    }
                    // Create-before-destroy cannot depend on a delete-first replacement: the old
                    // object would have to outlive its dependency's deletion. Like Terraform,
                    // such a resource is replaced delete-first too.
                    let df_dep = change.depends_on.iter().find(|d| delete_first.contains(*d));
                    let order = match (schema.replace_order, df_dep) {
                        (ReplaceOrder::CreateBeforeDestroy, Some(d)) => {
                            change.reasons.push(format!(
                                "deleted first because {d} is replaced delete-first"
                            ));
                            ReplaceOrder::DeleteFirst
                        }
                        (o, _) => o,
                    };
                    if order == ReplaceOrder::DeleteFirst {
                        delete_first.insert(address.clone());
                    }
                    change.action = Action::Replace(order);
                    fresh.insert(address.clone());
                } else if !change.fields.is_empty() {
                    change.action = Action::Update;
                }
                match recorded {
                    None => change.reasons.push(format!(
                        "found live as {} by its provision:address tag; it will be adopted",
                        obs.id
                    )),
                    Some(r)
                        if r.status == ResourceStatus::Pending && change.action == Action::NoOp =>
                    {
                        change.action = Action::Update;
                        change
                            .reasons
                            .push("not ready yet; apply resumes waiting for it".into());
                    }
                    Some(r) if !r.deposed.is_empty() && change.action == Action::NoOp => {
                        change.action = Action::Update;
                        change.reasons.push(format!(
                            "{} superseded object(s) left by an interrupted replacement will be deleted",
                            r.deposed.len()
                        ));
                    }
                    _ => {}
                }
            }
        }
        if change.action == Action::Update {
            let after: serde_json::Map<String, Value> = change
                .fields
                .iter()
                .filter_map(|f| Some((f.field.clone(), f.after.clone()?)))
                .collect();
            updated.insert(address.clone(), after);
        }
        changes.push(change);
    }

    // Recorded resources the spec no longer has: deleted, dependants first (apply orders them).
    for (address, r) in &state.resources {
        if decls.contains_key(address) {
            continue;
        }
        let gone = refreshed && !live_map.contains_key(address);
        if gone && r.deposed.is_empty() {
            // Already gone: apply only forgets it.
            changes.push(Change {
                address: address.clone(),
                action: Action::Delete,
                before: None,
                after: None,
                fields: Vec::new(),
                reasons: vec!["not in the spec, and already gone from AWS".into()],
                depends_on: Vec::new(),
                recorded_depends_on: r.depends_on.clone(),
                sensitive: sensitive_fields(schema_of(address.kind())),
            });
            continue;
        }
        changes.push(Change {
            address: address.clone(),
            action: Action::Delete,
            before: live_map
                .get(address)
                .map(|o| Value::Object(o.properties.clone()))
                .or_else(|| Some(Value::Object(r.observed.clone()))),
            after: None,
            fields: Vec::new(),
            reasons: vec!["not in the spec".into()],
            depends_on: Vec::new(),
            recorded_depends_on: r.depends_on.clone(),
            sensitive: sensitive_fields(schema_of(address.kind())),
        });
    }
    Ok(Plan { changes })
}

/// The names of a kind's secret fields.
fn sensitive_fields(schema: Option<&'static KindSchema>) -> Vec<String> {
    schema
        .map(|s| {
            s.fields
                .iter()
                .filter(|f| f.sensitive)
                .map(|f| f.name.to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The fields of `schema` whose desired value differs from the live one.
fn diff_fields(
    schema: &KindSchema,
    live: &serde_json::Map<String, Value>,
    recorded: Option<&serde_json::Map<String, Value>>,
    desired: &serde_json::Map<String, Value>,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for f in schema.fields {
        // Computed fields are AWS's; a field the declaration does not set is not managed, and
        // AWS's value (its default, or what a replica inherits) stands.
        if f.mode == FieldMode::Computed || !desired.contains_key(f.name) {
            continue;
        }
        let before = match f.mode {
            // Never reported by AWS: compare with what was applied (nothing recorded, as for an
            // adopted object: nothing to compare).
            FieldMode::WriteOnly => match recorded.and_then(|r| r.get(f.name)) {
                Some(v) => Some(v),
                None => continue,
            },
            _ => live.get(f.name),
        };
        let after = desired.get(f.name);
        let known = after.is_none_or(value::is_known);
        if known && same(before, after, f.unordered) {
            continue;
        }
        out.push(FieldChange {
            field: f.name.to_string(),
            before: before.cloned(),
            after: after.cloned(),
            forces_replacement: match f.mode {
                // Clearing a read replica's source promotes it in place.
                FieldMode::ForceNew => !f.cleared_by(after),
                FieldMode::WriteOnly => true,
                _ => false,
            },
        });
    }
    out
}

pub use provision_core::value::same;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::render;
    use provision_core::{FieldSchema, ReplaceOrder};
    use provision_state::{ResourceState, ResourceStatus};
    use serde_json::json;

    static VPC: KindSchema = KindSchema {
        kind: "ec2.vpc",
        fields: &[
            FieldSchema::force_new("cidr_block"),
            FieldSchema::mutable("tags"),
        ],
        replace_order: ReplaceOrder::CreateBeforeDestroy,
        taggable: true,
    };
    static SUBNET: KindSchema = KindSchema {
        kind: "ec2.subnet",
        fields: &[
            FieldSchema::force_new("vpc_id"),
            FieldSchema::force_new("cidr_block"),
            FieldSchema::mutable("tags"),
        ],
        replace_order: ReplaceOrder::DeleteFirst,
        taggable: true,
    };
    static USER: KindSchema = KindSchema {
        kind: "db.user",
        fields: &[
            FieldSchema::force_new("name"),
            FieldSchema::write_only("password").sensitive(),
            FieldSchema::mutable("token").sensitive(),
        ],
        replace_order: ReplaceOrder::DeleteFirst,
        taggable: false,
    };
    static DB: KindSchema = KindSchema {
        kind: "rds.db_instance",
        fields: &[
            FieldSchema::force_new("source").cleared_in_place(),
            FieldSchema::mutable("backup_retention_period"),
        ],
        replace_order: ReplaceOrder::DeleteFirst,
        taggable: true,
    };
    fn schemas(kind: &str) -> Option<&'static KindSchema> {
        match kind {
            "rds.db_instance" => Some(&DB),
            "ec2.vpc" => Some(&VPC),
            "ec2.subnet" => Some(&SUBNET),
            "db.user" => Some(&USER),
            _ => None,
        }
    }
    fn addr(s: &str) -> Address {
        s.parse().unwrap()
    }
    fn decls(cidr: &str, tag: &str) -> Vec<ResourceDecl> {
        let vpc = addr("us-east-1/ec2.vpc/main");
        vec![
            ResourceDecl::new(vpc.clone())
                .with("cidr_block", cidr)
                .with("tags", json!({"Name": tag})),
            ResourceDecl::new(addr("us-east-1/ec2.subnet/a"))
                .with_ref("vpc_id", &vpc, "id")
                .with("cidr_block", "10.0.0.0/20")
                .with("tags", json!({})),
        ]
    }
    /// A state and live view where both resources exist as `decls("10.0.0.0/16", "main")`.
    fn applied() -> (State, BTreeMap<Address, Observed>) {
        let mut st = State::new("t-dev");
        let mut live = BTreeMap::new();
        for (a, id, props, deps) in [
            (
                "us-east-1/ec2.vpc/main",
                "vpc-1",
                json!({"cidr_block": "10.0.0.0/16", "tags": {"Name": "main"}}),
                vec![],
            ),
            (
                "us-east-1/ec2.subnet/a",
                "subnet-1",
                json!({"vpc_id": "vpc-1", "cidr_block": "10.0.0.0/20", "tags": {}}),
                vec![addr("us-east-1/ec2.vpc/main")],
            ),
        ] {
            let a = addr(a);
            let mut r = ResourceState::new(a.kind(), a.region(), ResourceStatus::Ready);
            r.id = Some(id.into());
            r.observed = props.as_object().unwrap().clone();
            r.desired = r.observed.clone();
            r.depends_on = deps;
            st.resources.insert(a.clone(), r);
            live.insert(
                a.clone(),
                Observed {
                    address: a,
                    id: id.into(),
                    arn: None,
                    properties: props.as_object().unwrap().clone(),
                },
            );
        }
        (st, live)
    }

    #[test]
    fn fresh_stack_creates_everything_with_unknown_refs() {
        let p = plan(
            &decls("10.0.0.0/16", "main"),
            &State::new("t-dev"),
            &Live::FromState,
            &schemas,
        )
        .unwrap();
        assert_eq!(p.summary().add, 2);
        insta::assert_snapshot!(render(&p));
    }

    /// A replica recorded under its old address, declared as a primary (no source): moved and
    /// promoted in place; pointing it at another source instead replaces it.
    #[test]
    fn a_moved_replica_is_promoted_in_place_and_a_new_source_replaces_it() {
        let replica = addr("eu-west-1/rds.db_instance/replica");
        let primary = addr("eu-west-1/rds.db_instance/primary");
        let props =
            json!({"source": "arn:aws:rds:us-east-1:1:db:app", "backup_retention_period": 0});
        let mut st = State::new("t-dev");
        let mut r = ResourceState::new("rds.db_instance", "eu-west-1", ResourceStatus::Ready);
        r.id = Some("app".into());
        r.observed = props.as_object().unwrap().clone();
        st.resources.insert(replica.clone(), r);
        let desired = vec![ResourceDecl::new(primary.clone())
            .with("source", Value::Null)
            .with("backup_retention_period", 7)
            .moved_from(&replica)];
        let moves = crate::apply_moves(&desired, &mut st);
        let live = BTreeMap::from([(
            primary.clone(),
            Observed {
                address: primary.clone(),
                id: "app".into(),
                arn: None,
                properties: props.as_object().unwrap().clone(),
            },
        )]);
        let mut p = plan(&desired, &st, &Live::Refreshed(live.clone()), &schemas).unwrap();
        crate::note_moves(&mut p.changes, &moves);
        let c = p.get(&primary).unwrap();
        assert_eq!(c.action, Action::Update);
        assert_eq!(p.summary().destroy, 0, "the replica is not deleted");
        insta::assert_snapshot!(render(&p));

        let repointed = vec![ResourceDecl::new(primary.clone())
            .with("source", "arn:aws:rds:eu-west-1:1:db:app")
            .with("backup_retention_period", 0)];
        let p = plan(&repointed, &st, &Live::Refreshed(live), &schemas).unwrap();
        let c = p.get(&primary).unwrap();
        assert_eq!(c.action, Action::Replace(ReplaceOrder::DeleteFirst));
        assert_eq!(c.reasons, vec!["source forces replacement".to_string()]);
    }

    #[test]
    fn no_changes_is_noop() {
        let (st, live) = applied();
        let p = plan(
            &decls("10.0.0.0/16", "main"),
            &st,
            &Live::Refreshed(live),
            &schemas,
        )
        .unwrap();
        assert!(!p.has_changes());
        assert_eq!(render(&p), "No changes. The live stack matches the spec.\n");
    }

    #[test]
    fn tag_change_is_an_update_of_exactly_that_resource() {
        let (st, live) = applied();
        let p = plan(
            &decls("10.0.0.0/16", "core"),
            &st,
            &Live::Refreshed(live),
            &schemas,
        )
        .unwrap();
        let s = p.summary();
        assert_eq!((s.add, s.change, s.destroy), (0, 1, 0));
        assert_eq!(
            p.get(&addr("us-east-1/ec2.vpc/main")).unwrap().action,
            Action::Update
        );
        insta::assert_snapshot!(render(&p));
    }

    #[test]
    fn secrets_print_as_sensitive_when_created_and_changed() {
        let user = addr("us-east-1/db.user/app");
        let decl = |password: &str, token: &str| {
            vec![ResourceDecl::new(user.clone())
                .with("name", "app")
                .with("password", password)
                .with("token", token)]
        };
        let p = plan(
            &decl("hunter2-create", "tok-create"),
            &State::new("t-dev"),
            &Live::FromState,
            &schemas,
        )
        .unwrap();
        let created = render(&p);
        assert!(
            !created.contains("hunter2") && !created.contains("tok-"),
            "{created}"
        );

        let mut st = State::new("t-dev");
        let mut r = ResourceState::new("db.user", "us-east-1", ResourceStatus::Ready);
        r.id = Some("app".into());
        r.observed = json!({"name": "app", "token": "tok-old"})
            .as_object()
            .unwrap()
            .clone();
        r.desired = json!({"name": "app", "password": "hunter2-old", "token": "tok-old"})
            .as_object()
            .unwrap()
            .clone();
        st.resources.insert(user.clone(), r.clone());
        let live = BTreeMap::from([(
            user.clone(),
            Observed {
                address: user.clone(),
                id: "app".into(),
                arn: None,
                properties: r.observed.clone(),
            },
        )]);
        let p = plan(
            &decl("hunter2-new", "tok-new"),
            &st,
            &Live::Refreshed(live),
            &schemas,
        )
        .unwrap();
        let changed = render(&p);
        assert!(
            !changed.contains("hunter2") && !changed.contains("tok-"),
            "{changed}"
        );
        insta::assert_snapshot!(format!("{created}\n{changed}"));
    }

    /// A plan with every kind of change and value, and drift: a tag added and a subnet deleted
    /// outside, a CIDR change that replaces the VPC, and a new user with secrets.
    fn rich() -> (Plan, Vec<crate::Drift>) {
        let (mut st, mut live) = applied();
        live.remove(&addr("us-east-1/ec2.subnet/a"));
        live.get_mut(&addr("us-east-1/ec2.vpc/main"))
            .unwrap()
            .properties
            .insert("tags".into(), json!({"Name": "main", "Owner": "someone"}));
        st.resources
            .get_mut(&addr("us-east-1/ec2.vpc/main"))
            .unwrap()
            .desired
            .insert("tags".into(), json!({"Name": "main"}));
        let mut d = decls("10.5.0.0/16", "main");
        d.push(
            ResourceDecl::new(addr("us-east-1/db.user/app"))
                .with("name", "app")
                .with("password", "hunter2")
                .with("token", "tok-1"),
        );
        let drift = crate::drift(&st, &live, &schemas);
        let p = plan(&d, &st, &Live::Refreshed(live), &schemas).unwrap();
        (p, drift)
    }

    #[test]
    fn drift_is_reported_apart_from_the_plan() {
        let (p, drift) = rich();
        assert_eq!(drift.len(), 2, "{drift:?}");
        let text = format!("{}{}", crate::render_drift(&drift), render(&p));
        assert!(
            !text.contains("hunter2") && !text.contains("tok-1"),
            "{text}"
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn plan_json_follows_the_documented_schema() {
        let (p, drift) = rich();
        let doc = crate::plan_json(&p, &drift, "t-dev");
        let text = serde_json::to_string(&doc).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("tok-1"),
            "{text}"
        );
        let schema: Value =
            serde_json::from_str(include_str!("../../../docs/plan.schema.json")).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
        // A document that breaks the format is refused: the schema checks something.
        let mut bad = doc.clone();
        bad["changes"][0]["action"] = json!("recreate");
        assert!(!validator.is_valid(&bad));
        let mut bad = doc.clone();
        bad["format_version"] = json!(2);
        assert!(!validator.is_valid(&bad));
        insta::assert_json_snapshot!(doc);
    }

    #[test]
    fn cidr_change_replaces_with_reason_and_cascades() {
        let (st, live) = applied();
        let p = plan(
            &decls("10.5.0.0/16", "main"),
            &st,
            &Live::Refreshed(live),
            &schemas,
        )
        .unwrap();
        let vpc = p.get(&addr("us-east-1/ec2.vpc/main")).unwrap();
        assert_eq!(
            vpc.action,
            Action::Replace(ReplaceOrder::CreateBeforeDestroy)
        );
        assert_eq!(
            vpc.reasons,
            vec!["cidr_block forces replacement".to_string()]
        );
        let sn = p.get(&addr("us-east-1/ec2.subnet/a")).unwrap();
        assert_eq!(sn.action, Action::Replace(ReplaceOrder::DeleteFirst));
        insta::assert_snapshot!(render(&p));
    }

    #[test]
    fn deleted_outside_is_recreated_and_dropped_is_deleted() {
        let (st, mut live) = applied();
        live.remove(&addr("us-east-1/ec2.subnet/a"));
        let d = decls("10.0.0.0/16", "main");
        let p = plan(&d, &st, &Live::Refreshed(live.clone()), &schemas).unwrap();
        let sn = p.get(&addr("us-east-1/ec2.subnet/a")).unwrap();
        assert_eq!(sn.action, Action::Create);
        assert!(sn.reasons[0].contains("deleted outside"));

        let p = plan(&d[..1], &st, &Live::FromState, &schemas).unwrap();
        let sn = p.get(&addr("us-east-1/ec2.subnet/a")).unwrap();
        assert_eq!(sn.action, Action::Delete);
        insta::assert_snapshot!(render(&p));
    }

    #[test]
    fn fields_the_declaration_does_not_set_are_not_managed() {
        let (st, mut live) = applied();
        // AWS reports a subnet field the declaration leaves out (say, a default it applied).
        let a = addr("us-east-1/ec2.subnet/a");
        live.get_mut(&a)
            .unwrap()
            .properties
            .insert("tags".into(), json!({"Added": "by AWS"}));
        let mut d = decls("10.0.0.0/16", "main");
        d[1].properties.remove("tags");
        let p = plan(&d, &st, &Live::Refreshed(live), &schemas).unwrap();
        assert!(!p.has_changes(), "{}", render(&p));
    }

    #[test]
    fn a_revision_that_an_update_changes_is_known_after_apply() {
        static CONFIG: KindSchema = KindSchema {
            kind: "msk.configuration",
            fields: &[
                FieldSchema::mutable("server_properties"),
                FieldSchema::computed("latest_revision").changes_on_update(),
                FieldSchema::computed("state"),
            ],
            replace_order: ReplaceOrder::DeleteFirst,
            taggable: false,
        };
        static CLUSTER: KindSchema = KindSchema {
            kind: "msk.cluster",
            fields: &[
                FieldSchema::mutable("configuration_revision"),
                FieldSchema::mutable("state_seen"),
            ],
            replace_order: ReplaceOrder::DeleteFirst,
            taggable: true,
        };
        let schemas = |k: &str| match k {
            "msk.configuration" => Some(&CONFIG),
            "msk.cluster" => Some(&CLUSTER),
            _ => None,
        };
        let (cfg, cl) = (
            addr("us-east-1/msk.configuration/main"),
            addr("us-east-1/msk.cluster/main"),
        );
        let decls = |hours: &str| {
            vec![
                ResourceDecl::new(cfg.clone())
                    .with("server_properties", json!({"log.retention.hours": hours})),
                ResourceDecl::new(cl.clone())
                    .with_ref("configuration_revision", &cfg, "latest_revision")
                    // A computed field without the flag keeps its live value.
                    .with_ref("state_seen", &cfg, "state"),
            ]
        };
        let mut st = State::new("t-dev");
        let mut live = BTreeMap::new();
        for (a, props, deps) in [
            (
                &cfg,
                json!({"server_properties": {"log.retention.hours": "168"},
                       "latest_revision": 1, "state": "ACTIVE"}),
                vec![],
            ),
            (
                &cl,
                json!({"configuration_revision": 1, "state_seen": "ACTIVE"}),
                vec![cfg.clone()],
            ),
        ] {
            let mut r = ResourceState::new(a.kind(), a.region(), ResourceStatus::Ready);
            r.id = Some(a.name().into());
            r.observed = props.as_object().unwrap().clone();
            r.desired = r.observed.clone();
            r.depends_on = deps;
            st.resources.insert(a.clone(), r);
            live.insert(
                a.clone(),
                Observed {
                    address: a.clone(),
                    id: a.name().into(),
                    arn: None,
                    properties: props.as_object().unwrap().clone(),
                },
            );
        }
        let p = plan(&decls("168"), &st, &Live::Refreshed(live.clone()), &schemas).unwrap();
        assert!(!p.has_changes(), "{}", render(&p));
        let p = plan(&decls("72"), &st, &Live::Refreshed(live), &schemas).unwrap();
        assert_eq!(p.get(&cfg).unwrap().action, Action::Update);
        let c = p.get(&cl).unwrap();
        assert_eq!(c.action, Action::Update);
        let fields: Vec<&str> = c.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["configuration_revision"]);
    }

    #[test]
    fn unknown_kind_names_the_resource() {
        let d = vec![ResourceDecl::new(addr("us-east-1/ec2.thing/x"))];
        let e = plan(&d, &State::new("t-dev"), &Live::FromState, &schemas).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("us-east-1/ec2.thing/x: kind `ec2.thing`"));
    }
}

//! Expansion: the validated spec, in the platform team's terms, becomes concrete resource
//! declarations with references between them. Addresses are stable: renaming one is explicit.
//!
//! Per region, the network is:
//! - `ec2.vpc/main` with DNS support and hostnames;
//! - `ec2.subnet/public-<az>` and `ec2.subnet/private-<az>`: the /16 is cut in /20 blocks,
//!   public subnet i is block i and private subnet i is block 8 + i;
//! - `ec2.internet_gateway/main`, attached to the VPC;
//! - `ec2.eip/nat-<az>` and `ec2.nat_gateway/<az>`: one per AZ (`per_az`), one in the first AZ
//!   (`single`), or none;
//! - `ec2.route_table/public` with `ec2.route/public-default` to the internet gateway, and a
//!   private table per NAT gateway with its default route; `ec2.route_table_association/<subnet>`
//!   for every subnet;
//! - `ec2.security_group/<role>` for the EKS control plane, the EKS nodes, the database, the cache
//!   and Kafka, with `ec2.security_group_rule`s by group reference only;
//! - `ec2.network_acl/private` over the private subnets.
//!
//! With `peering: full_mesh`, every pair of regions is peered (see `peering`).

use crate::model::{
    CacheEngine, CacheSpec, Capacity, DatabaseSpec, DbEngine, EksSpec, KafkaSpec, MonitoringSpec,
    NatMode, PeeringMode, Spec,
};
use ipnet::Ipv4Net;
use provision_core::{Address, Ref, ResourceDecl, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// The security groups of every region: (name, description).
pub const SECURITY_GROUPS: &[(&str, &str)] = &[
    ("eks-control-plane", "EKS control plane"),
    ("eks-nodes", "EKS worker nodes"),
    ("database", "RDS PostgreSQL"),
    ("cache", "ElastiCache Redis"),
    ("kafka", "MSK brokers"),
];

/// Ports that carry data: never open to 0.0.0.0/0.
pub const DATA_PORTS: &[u16] = &[5432, 6379, 9092, 9094, 9096, 9098];

/// A security-group rule by group reference: (name, group, source group, protocol, ports, description).
type RuleSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<(u16, u16)>,
    &'static str,
);

const RULES: &[RuleSpec] = &[
    (
        "eks-control-plane-from-nodes-https",
        "eks-control-plane",
        "eks-nodes",
        "tcp",
        Some((443, 443)),
        "Kubernetes API from nodes",
    ),
    (
        "eks-nodes-from-control-plane",
        "eks-nodes",
        "eks-control-plane",
        "tcp",
        Some((1025, 65535)),
        "Kubelet and pods from the control plane",
    ),
    (
        "eks-nodes-from-control-plane-https",
        "eks-nodes",
        "eks-control-plane",
        "tcp",
        Some((443, 443)),
        "Webhooks from the control plane",
    ),
    (
        "eks-nodes-from-nodes",
        "eks-nodes",
        "eks-nodes",
        "-1",
        None,
        "Node to node",
    ),
    (
        "database-from-nodes",
        "database",
        "eks-nodes",
        "tcp",
        Some((5432, 5432)),
        "PostgreSQL from EKS nodes",
    ),
    (
        "cache-from-nodes",
        "cache",
        "eks-nodes",
        "tcp",
        Some((6379, 6379)),
        "Redis from EKS nodes",
    ),
    (
        "kafka-from-nodes",
        "kafka",
        "eks-nodes",
        "tcp",
        Some((9092, 9098)),
        "Kafka from EKS nodes",
    ),
    (
        "kafka-from-kafka",
        "kafka",
        "kafka",
        "tcp",
        Some((9092, 9098)),
        "Brokers, and MSK Replicator, which runs in the brokers' group",
    ),
];

pub(crate) fn az_letter(i: u8) -> char {
    (b'a' + i) as char
}

/// The /20 block `index` of a /16.
fn block(cidr: &Ipv4Net, index: usize) -> Option<Ipv4Net> {
    cidr.subnets(20).ok()?.nth(index)
}

struct Ctx<'a> {
    spec: &'a Spec,
    region: &'a str,
    out: Vec<ResourceDecl>,
}

impl Ctx<'_> {
    fn addr(&self, kind: &str, name: &str) -> Address {
        Address::new(self.region, kind, name)
    }

    /// The spec's tags plus a Name.
    fn tags(&self, name: &str, extra: &[(&str, &str)]) -> Value {
        let mut t: BTreeMap<String, String> = self.spec.tags.clone();
        t.insert(
            "Name".into(),
            format!("{}-{}-{}", self.spec.stack_id(), self.region, name),
        );
        for (k, v) in extra {
            t.insert((*k).into(), (*v).into());
        }
        json!(t)
    }

    fn push(&mut self, d: ResourceDecl) -> Address {
        let a = d.address.clone();
        self.out.push(d);
        a
    }
}

/// Expand the spec into resource declarations: the sections region by region (primary first),
/// then the resources declared directly.
pub fn expand(spec: &Spec) -> Vec<ResourceDecl> {
    let mut out = expand_sections(spec);
    for (key, raw) in &spec.resources {
        let Ok(address) = key.parse::<Address>() else {
            continue;
        };
        let mut d = ResourceDecl::new(address);
        for (k, v) in &raw.properties {
            d.properties.insert(k.clone(), with_refs(v));
        }
        for dep in &raw.depends_on {
            if let Ok(a) = dep.parse::<Address>() {
                d = d.depends_on(&a);
            }
        }
        out.push(d);
    }
    out
}

/// A value `up` records and `provision output` prints: an endpoint or ARN a team needs.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDecl {
    /// `<region>.<what>`, e.g. `eu-west-1.rds_endpoint`.
    pub name: String,
    pub from: Ref,
}

/// The outputs of the spec's sections: per region, whatever of these the region runs; the
/// global ones (CloudFront's domain, the zone's name servers, the CLOUDFRONT web ACL) are named
/// `global.<what>`.
pub fn outputs(spec: &Spec) -> Vec<OutputDecl> {
    const FROM: &[(&str, &str, &str, &str)] = &[
        ("eks.cluster", "main", "endpoint", "eks_endpoint"),
        ("rds.db_instance", "primary", "endpoint", "rds_endpoint"),
        ("rds.db_instance", "replica", "endpoint", "rds_endpoint"),
        (
            "secretsmanager.secret",
            "db-master",
            "arn",
            "db_master_secret_arn",
        ),
        (
            "elasticache.replication_group",
            "main",
            "configuration_endpoint",
            "redis_endpoint",
        ),
        ("msk.cluster", "main", "arn", "msk_cluster_arn"),
        ("sns.topic", "alerts", "arn", "alert_topic_arn"),
        ("elbv2.load_balancer", "web", "dns_name", "alb_dns_name"),
        ("elbv2.target_group", "web", "arn", "target_group_arn"),
        (
            "cloudfront.distribution",
            "main",
            "domain_name",
            "cloudfront_domain",
        ),
        ("route53.zone", "main", "name_servers", "name_servers"),
        ("wafv2.web_acl", "edge", "arn", "web_acl_arn"),
    ];
    let mut out = Vec::new();
    for d in expand_sections(spec) {
        let a = &d.address;
        for (kind, name, field, what) in FROM {
            if a.kind() == *kind && a.name() == *name {
                out.push(OutputDecl {
                    name: format!("{}.{what}", a.region()),
                    from: Ref::new(a.clone(), *field),
                });
            }
        }
    }
    out.sort_by(|x, y| x.name.cmp(&y.name));
    out
}

/// `${<address>#<field>}` as a reference: None when `text` is not one, Err when it is one but
/// malformed.
pub fn parse_ref(text: &str) -> Option<Result<Ref, String>> {
    let inner = text.strip_prefix("${")?;
    let Some(inner) = inner.strip_suffix('}') else {
        return Some(Err("it does not end with `}`".into()));
    };
    let Some((addr, field)) = inner.rsplit_once('#') else {
        return Some(Err("it names no field: add `#id` (or another field)".into()));
    };
    if field.is_empty() {
        return Some(Err("the field after `#` is empty".into()));
    }
    Some(
        addr.parse::<Address>()
            .map(|a| Ref::new(a, field))
            .map_err(|e| e.to_string()),
    )
}

/// A declared value with its `${…}` strings turned into references.
fn with_refs(v: &Value) -> Value {
    match v {
        Value::String(s) => match parse_ref(s) {
            Some(Ok(r)) => r.to_value(),
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(with_refs).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), with_refs(x))).collect())
        }
        other => other.clone(),
    }
}

/// The declarations of the spec's sections alone (without the `resources` section).
pub fn expand_sections(spec: &Spec) -> Vec<ResourceDecl> {
    let mut out = global(spec);
    for region in spec.region_names() {
        let Some(r) = spec.regions.get(region) else {
            continue;
        };
        let mut cx = Ctx {
            spec,
            region,
            out: Vec::new(),
        };
        let private_tables = network(&mut cx, &r.cidr, r.azs);
        if spec.network.peering == PeeringMode::FullMesh {
            peering(&mut cx, &private_tables);
        }
        if needs_kms(spec) {
            kms(&mut cx);
        }
        if let Some(eks) = &spec.eks {
            eks_cluster(&mut cx, eks, r.azs);
        }
        if let Some(db) = &spec.database {
            database(&mut cx, db, r.azs);
        }
        if let Some(cache) = &spec.cache {
            cache_cluster(&mut cx, cache, r.azs);
        }
        if let Some(kafka) = &spec.kafka {
            kafka_cluster(&mut cx, kafka, r.azs);
        }
        if let Some(m) = &spec.monitoring {
            monitoring(&mut cx, m);
        }
        out.extend(cx.out);
    }
    out.extend(crate::edge::expand(spec));
    out
}

/// The region's network; returns the private route tables.
fn network(cx: &mut Ctx<'_>, cidr: &Ipv4Net, azs: u8) -> Vec<Address> {
    let region = cx.region.to_string();
    let vpc = cx.addr("ec2.vpc", "main");
    let d = ResourceDecl::new(vpc.clone())
        .with("cidr_block", cidr.to_string())
        .with("enable_dns_support", true)
        .with("enable_dns_hostnames", true)
        .with("tags", cx.tags("vpc", &[]));
    cx.push(d);

    let igw = cx.addr("ec2.internet_gateway", "main");
    let d = ResourceDecl::new(igw.clone())
        .with_ref("vpc_id", &vpc, "id")
        .with("tags", cx.tags("igw", &[]));
    cx.push(d);

    let mut public = Vec::new();
    let mut private = Vec::new();
    for i in 0..azs {
        let az = format!("{region}{}", az_letter(i));
        for (tier, index, is_public, role_tag) in [
            ("public", usize::from(i), true, "kubernetes.io/role/elb"),
            (
                "private",
                8 + usize::from(i),
                false,
                "kubernetes.io/role/internal-elb",
            ),
        ] {
            let Some(net) = block(cidr, index) else {
                continue;
            };
            let name = format!("{tier}-{}", az_letter(i));
            let a = cx.addr("ec2.subnet", &name);
            let d = ResourceDecl::new(a.clone())
                .with_ref("vpc_id", &vpc, "id")
                .with("cidr_block", net.to_string())
                .with("availability_zone", az.clone())
                .with("map_public_ip_on_launch", is_public)
                .with("tags", cx.tags(&name, &[(role_tag, "1")]));
            cx.push(d);
            if is_public {
                public.push((a, name));
            } else {
                private.push((a, name));
            }
        }
    }

    // Public routing.
    let public_rt = cx.addr("ec2.route_table", "public");
    let d = ResourceDecl::new(public_rt.clone())
        .with_ref("vpc_id", &vpc, "id")
        .with("tags", cx.tags("public", &[]));
    cx.push(d);
    let d = ResourceDecl::new(cx.addr("ec2.route", "public-default"))
        .with_ref("route_table_id", &public_rt, "id")
        .with("destination_cidr_block", "0.0.0.0/0")
        .with_ref("gateway_id", &igw, "id");
    cx.push(d);
    for (subnet, name) in &public {
        let d = ResourceDecl::new(cx.addr("ec2.route_table_association", name))
            .with_ref("route_table_id", &public_rt, "id")
            .with_ref("subnet_id", subnet, "id");
        cx.push(d);
    }

    // NAT gateways and private routing.
    let nat_count = match cx.spec.network.nat_gateways {
        NatMode::PerAz => public.len(),
        NatMode::Single => public.len().min(1),
        NatMode::None => 0,
    };
    let mut nats = Vec::new();
    for (subnet, _) in public.iter().take(nat_count) {
        let letter = subnet.name().trim_start_matches("public-").to_string();
        let eip = cx.addr("ec2.eip", &format!("nat-{letter}"));
        let d = ResourceDecl::new(eip.clone())
            .with("domain", "vpc")
            .with("tags", cx.tags(&format!("nat-{letter}"), &[]));
        cx.push(d);
        let nat = cx.addr("ec2.nat_gateway", &letter);
        let d = ResourceDecl::new(nat.clone())
            .with_ref("subnet_id", subnet, "id")
            .with_ref("allocation_id", &eip, "id")
            .with("tags", cx.tags(&format!("nat-{letter}"), &[]))
            // AWS requires the internet gateway attached before a public NAT gateway.
            .depends_on(&igw);
        nats.push(cx.push(d));
    }
    let mut private_tables = Vec::new();
    if nats.is_empty() {
        let rt = cx.addr("ec2.route_table", "private");
        let d = ResourceDecl::new(rt.clone())
            .with_ref("vpc_id", &vpc, "id")
            .with("tags", cx.tags("private", &[]));
        private_tables.push(cx.push(d));
    }
    for nat in &nats {
        let name = if nats.len() == 1 {
            "private".to_string()
        } else {
            format!("private-{}", nat.name())
        };
        let rt = cx.addr("ec2.route_table", &name);
        let d = ResourceDecl::new(rt.clone())
            .with_ref("vpc_id", &vpc, "id")
            .with("tags", cx.tags(&name, &[]));
        cx.push(d);
        let d = ResourceDecl::new(cx.addr("ec2.route", &format!("{name}-default")))
            .with_ref("route_table_id", &rt, "id")
            .with("destination_cidr_block", "0.0.0.0/0")
            .with_ref("nat_gateway_id", nat, "id");
        cx.push(d);
        private_tables.push(rt);
    }
    for (i, (subnet, name)) in private.iter().enumerate() {
        let Some(rt) = private_tables.get(i).or_else(|| private_tables.first()) else {
            continue;
        };
        let d = ResourceDecl::new(cx.addr("ec2.route_table_association", name))
            .with_ref("route_table_id", rt, "id")
            .with_ref("subnet_id", subnet, "id");
        cx.push(d);
    }

    // Security groups and their rules (by group reference; never 0.0.0.0/0 on a data port).
    let stack_id = cx.spec.stack_id();
    for (name, description) in SECURITY_GROUPS {
        let d = ResourceDecl::new(cx.addr("ec2.security_group", name))
            .with_ref("vpc_id", &vpc, "id")
            .with("group_name", format!("{stack_id}-{name}"))
            .with("description", format!("{description} ({stack_id})"))
            .with("tags", cx.tags(name, &[]));
        cx.push(d);
    }
    for (name, group, source, proto, ports, description) in RULES {
        let g = cx.addr("ec2.security_group", group);
        let src = cx.addr("ec2.security_group", source);
        let mut d = ResourceDecl::new(cx.addr("ec2.security_group_rule", name))
            .with_ref("security_group_id", &g, "id")
            .with("direction", "ingress")
            .with("ip_protocol", *proto)
            .with_ref("source_security_group_id", &src, "id")
            .with("description", *description)
            .with("tags", cx.tags(name, &[]));
        if let Some((from, to)) = ports {
            d = d.with("from_port", *from).with("to_port", *to);
        }
        cx.push(d);
    }

    // The private subnets' network ACL: everything within the VPC, return traffic from the
    // internet (through the NAT gateways) on ephemeral ports, and all egress.
    let vpc_cidr = cidr.to_string();
    let mut entries = vec![
        json!({"rule_number": 100, "egress": false, "protocol": "-1", "rule_action": "allow", "cidr_block": vpc_cidr}),
        json!({"rule_number": 200, "egress": false, "protocol": "6", "rule_action": "allow", "cidr_block": "0.0.0.0/0", "from_port": 1024, "to_port": 65535}),
        json!({"rule_number": 210, "egress": false, "protocol": "17", "rule_action": "allow", "cidr_block": "0.0.0.0/0", "from_port": 1024, "to_port": 65535}),
        json!({"rule_number": 100, "egress": true, "protocol": "-1", "rule_action": "allow", "cidr_block": "0.0.0.0/0"}),
    ];
    // Peered regions' VPCs, like this VPC: everything (security groups do the filtering).
    if cx.spec.network.peering == PeeringMode::FullMesh {
        for (k, (_, peer_cidr)) in peers(cx.spec, cx.region).iter().enumerate() {
            entries.push(
                json!({"rule_number": 110 + 10 * k, "egress": false, "protocol": "-1",
                "rule_action": "allow", "cidr_block": peer_cidr.to_string()}),
            );
        }
    }
    let entries = Value::Array(entries);
    let subnet_ids: Vec<Value> = private
        .iter()
        .map(|(a, _)| provision_core::Ref::new(a.clone(), "id").to_value())
        .collect();
    let d = ResourceDecl::new(cx.addr("ec2.network_acl", "private"))
        .with_ref("vpc_id", &vpc, "id")
        .with("entries", entries)
        .with("subnet_ids", Value::Array(subnet_ids))
        .with("tags", cx.tags("private", &[]));
    cx.push(d);
    private_tables
}

/// The other regions of the spec with their CIDRs, by name: not by role, so that a failover
/// (another primary) changes no peering and no network ACL rule.
fn peers(spec: &Spec, region: &str) -> Vec<(String, Ipv4Net)> {
    spec.regions
        .iter()
        .filter(|(r, _)| *r != region)
        .map(|(r, c)| (r.clone(), c.cidr))
        .collect()
}

/// The region's side of the full mesh. For each pair of regions, the one first by name
/// requests and the other accepts:
/// - `ec2.vpc_peering_connection/<peer>` (requester) or `ec2.vpc_peering_accepter/<peer>`;
/// - `ec2.vpc_peering_options/<peer>`: DNS resolution of the peer's private names, set by each
///   side in its own region once the connection is active;
/// - `ec2.route/<private table>-to-<peer>`: the peer's CIDR through the connection, in every
///   private route table (routes point at the acceptance, so they wait for it);
/// - `ec2.security_group_rule`s scoped to the peer's CIDR for what crosses the peering: the
///   database from its replicas' regions, Kafka from the regions it is mirrored to.
fn peering(cx: &mut Ctx<'_>, private_tables: &[Address]) {
    let order: Vec<&str> = cx.spec.regions.keys().map(String::as_str).collect();
    let me = order.iter().position(|r| *r == cx.region).unwrap_or(0);
    for (peer, peer_cidr) in peers(cx.spec, cx.region) {
        let them = order.iter().position(|r| *r == peer).unwrap_or(0);
        let accepter = if me < them {
            let connection = cx.addr("ec2.vpc_peering_connection", &peer);
            let d = ResourceDecl::new(connection)
                .with_ref("vpc_id", &cx.addr("ec2.vpc", "main"), "id")
                .with_ref("peer_vpc_id", &Address::new(&peer, "ec2.vpc", "main"), "id")
                .with("peer_region", peer.clone())
                .with("tags", cx.tags(&format!("peering-{peer}"), &[]));
            cx.push(d);
            Address::new(&peer, "ec2.vpc_peering_accepter", cx.region)
        } else {
            let connection = Address::new(&peer, "ec2.vpc_peering_connection", cx.region);
            let d = ResourceDecl::new(cx.addr("ec2.vpc_peering_accepter", &peer))
                .with_ref("vpc_peering_connection_id", &connection, "id")
                .with("tags", cx.tags(&format!("peering-{peer}"), &[]));
            cx.push(d)
        };
        let d = ResourceDecl::new(cx.addr("ec2.vpc_peering_options", &peer))
            .with_ref("vpc_peering_connection_id", &accepter, "id")
            .with("side", if me < them { "requester" } else { "accepter" })
            .with("allow_remote_dns", true);
        cx.push(d);
        for table in private_tables {
            let d = ResourceDecl::new(cx.addr("ec2.route", &format!("{}-to-{peer}", table.name())))
                .with_ref("route_table_id", table, "id")
                .with("destination_cidr_block", peer_cidr.to_string())
                .with_ref("vpc_peering_connection_id", &accepter, "id");
            cx.push(d);
        }
        let mut rules: Vec<(&str, (u16, u16), &str)> = Vec::new();
        let primary = cx.spec.primary_region() == cx.region;
        if primary
            && cx
                .spec
                .database
                .as_ref()
                .is_some_and(|db| db.replicas.contains(&peer))
        {
            rules.push(("database", (5432, 5432), "PostgreSQL from the replica"));
        }
        if cx
            .spec
            .kafka
            .as_ref()
            .and_then(|k| k.mirror.as_ref())
            .is_some_and(|m| m.from == cx.region && m.to.contains(&peer))
        {
            rules.push(("kafka", (9092, 9098), "Kafka from the mirror"));
        }
        for (group, (from, to), what) in rules {
            let name = format!("{group}-from-{peer}");
            let d = ResourceDecl::new(cx.addr("ec2.security_group_rule", &name))
                .with_ref(
                    "security_group_id",
                    &cx.addr("ec2.security_group", group),
                    "id",
                )
                .with("direction", "ingress")
                .with("ip_protocol", "tcp")
                .with("from_port", from)
                .with("to_port", to)
                .with("cidr_ipv4", peer_cidr.to_string())
                .with("description", format!("{what} in {peer}, over the peering"))
                .with("tags", cx.tags(&name, &[]));
            cx.push(d);
        }
    }
}

/// The AWS-managed policies of the EKS roles.
pub const EKS_CLUSTER_POLICIES: &[&str] = &["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"];
pub const EKS_NODE_POLICIES: &[&str] = &[
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
];

fn trust(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }],
    })
}

/// The AWS-managed policy of MSK Replicator's service execution role.
pub const MSK_REPLICATOR_POLICIES: &[&str] =
    &["arn:aws:iam::aws:policy/service-role/AWSMSKReplicatorExecutionRole"];

/// Global resources. IAM is global, so one EKS cluster role and one node role serve every
/// region's cluster, and one service execution role every MSK replicator; their path
/// `/provision/<stack-env>/` keeps the stack's roles together.
fn global(spec: &Spec) -> Vec<ResourceDecl> {
    let mut out = Vec::new();
    let mut roles: Vec<(&str, &str, &[&str])> = Vec::new();
    if spec.eks.is_some() {
        roles.push(("eks-cluster", "eks.amazonaws.com", EKS_CLUSTER_POLICIES));
        roles.push(("eks-node", "ec2.amazonaws.com", EKS_NODE_POLICIES));
    }
    if spec.kafka.as_ref().is_some_and(|k| k.mirror.is_some()) {
        roles.push((
            "msk-replicator",
            "kafka.amazonaws.com",
            MSK_REPLICATOR_POLICIES,
        ));
    }
    {
        let id = spec.stack_id();
        for (name, service, policies) in roles {
            let mut tags = spec.tags.clone();
            tags.insert("Name".into(), format!("{id}-{name}"));
            out.push(
                ResourceDecl::new(Address::new(provision_core::GLOBAL, "iam.role", name))
                    .with("role_name", format!("{id}-{name}"))
                    .with("path", format!("/provision/{id}/"))
                    .with("assume_role_policy", trust(service))
                    .with("managed_policy_arns", json!(policies))
                    .with("tags", json!(tags)),
            );
        }
    }
    out
}

/// Whether a section that encrypts with the region's KMS key is present.
fn needs_kms(spec: &Spec) -> bool {
    spec.eks.is_some() || spec.database.is_some() || spec.cache.is_some() || spec.kafka.is_some()
}

/// The region's customer-managed key, with rotation.
fn kms(cx: &mut Ctx<'_>) {
    let description = format!(
        "{} {}: encryption at rest for EKS secrets, RDS, ElastiCache and MSK",
        cx.spec.stack_id(),
        cx.region
    );
    let d = ResourceDecl::new(cx.addr("kms.key", "main"))
        .with("description", description)
        .with("enable_key_rotation", true)
        .with("tags", cx.tags("kms", &[]));
    cx.push(d);
}

/// The region's EKS cluster in the private subnets, and its managed node groups.
fn eks_cluster(cx: &mut Ctx<'_>, eks: &EksSpec, azs: u8) {
    let id = cx.spec.stack_id();
    let private: Vec<Value> = (0..azs)
        .map(|i| {
            provision_core::Ref::new(
                cx.addr("ec2.subnet", &format!("private-{}", az_letter(i))),
                "id",
            )
            .to_value()
        })
        .collect();
    let cluster = cx.addr("eks.cluster", "main");
    let mut logging: Vec<String> = eks
        .logging
        .iter()
        .map(|t| {
            serde_json::to_value(t)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    logging.sort();
    let mut d = ResourceDecl::new(cluster.clone())
        .with("name", id.clone())
        .with("version", eks.version.clone())
        .with_ref(
            "role_arn",
            &Address::new(provision_core::GLOBAL, "iam.role", "eks-cluster"),
            "arn",
        )
        .with("subnet_ids", Value::Array(private.clone()))
        .with(
            "security_group_ids",
            json!([provision_core::Ref::new(
                cx.addr("ec2.security_group", "eks-control-plane"),
                "id"
            )
            .to_value()]),
        )
        .with("endpoint_public_access", eks.endpoint.public)
        .with("endpoint_private_access", eks.endpoint.private)
        .with("logging", json!(logging))
        .with_ref("encryption_key_arn", &cx.addr("kms.key", "main"), "arn")
        .with("tags", cx.tags("eks", &[]));
    if eks.endpoint.public {
        let mut cidrs: Vec<String> = eks
            .endpoint
            .public_access_cidrs
            .iter()
            .map(ToString::to_string)
            .collect();
        if cidrs.is_empty() {
            // What AWS applies when none is given.
            cidrs.push("0.0.0.0/0".into());
        }
        d = d.with("public_access_cidrs", json!(cidrs));
    }
    cx.push(d);
    for (name, g) in &eks.node_groups {
        let capacity = match g.capacity {
            Capacity::OnDemand => "ON_DEMAND",
            Capacity::Spot => "SPOT",
        };
        let d = ResourceDecl::new(cx.addr("eks.node_group", name))
            .with_ref("cluster_name", &cluster, "id")
            .with("node_group_name", name.clone())
            .with_ref(
                "node_role_arn",
                &Address::new(provision_core::GLOBAL, "iam.role", "eks-node"),
                "arn",
            )
            .with("subnet_ids", Value::Array(private.clone()))
            .with("instance_types", json!(g.instance_types))
            .with("capacity_type", capacity)
            // The node group runs its cluster's version and follows its upgrades.
            .with_ref("version", &cluster, "version")
            .with(
                "scaling",
                json!({"min_size": g.min, "max_size": g.max, "desired_size": g.desired}),
            )
            .with("labels", json!(g.labels))
            .with("tags", cx.tags(&format!("nodes-{name}"), &[]))
            // AWS's default for managed node groups without a launch template is 20 GiB.
            .with("disk_size", g.disk_size_gb.unwrap_or(20));
        cx.push(d);
    }
}

/// The region's Kafka: a configuration with the spec's broker settings, a provisioned MSK
/// cluster in the private subnets (TLS, KMS at rest, IAM client auth) that uses it, and, in
/// each region of `mirror.to`, the replicator from `mirror.from`'s cluster.
fn kafka_cluster(cx: &mut Ctx<'_>, k: &KafkaSpec, azs: u8) {
    let id = cx.spec.stack_id();
    let name = k.name.clone().unwrap_or_else(|| id.clone());
    let private = |region: &str| -> Vec<Value> {
        let azs = cx.spec.regions.get(region).map_or(azs, |r| r.azs);
        (0..azs)
            .map(|i| {
                provision_core::Ref::new(
                    Address::new(region, "ec2.subnet", format!("private-{}", az_letter(i))),
                    "id",
                )
                .to_value()
            })
            .collect()
    };
    let sg = |region: &str| {
        json!([
            provision_core::Ref::new(Address::new(region, "ec2.security_group", "kafka"), "id")
                .to_value()
        ])
    };
    let config = cx.addr("msk.configuration", "main");
    // A configuration lists the Kafka versions it serves and cannot change them, so a new
    // version is a new configuration, created before the old one goes: the version is in the
    // name to keep the two apart.
    let d = ResourceDecl::new(config.clone())
        .with("name", format!("{name}-{}", k.version.replace('.', "-")))
        .with(
            "description",
            format!("{id} {}: broker settings", cx.region),
        )
        .with("kafka_versions", json!([k.version]))
        .with(
            "server_properties",
            json!({
                "default.replication.factor": k.replication_factor.to_string(),
                "min.insync.replicas": k.min_insync_replicas.to_string(),
                "log.retention.hours": k.retention_hours.to_string(),
            }),
        );
    cx.push(d);
    let cluster = cx.addr("msk.cluster", "main");
    let d = ResourceDecl::new(cluster.clone())
        .with("name", name.clone())
        .with("kafka_version", k.version.clone())
        .with("broker_type", k.broker_type.clone())
        // MSK spreads brokers evenly over the client subnets, one per AZ.
        .with("broker_count", u32::from(azs) * k.brokers_per_az)
        .with("volume_size_gb", k.storage_gb)
        .with("client_subnets", Value::Array(private(cx.region)))
        .with("security_group_ids", sg(cx.region))
        .with_ref("kms_key_id", &cx.addr("kms.key", "main"), "arn")
        .with("client_broker_encryption", "TLS")
        .with("in_cluster_encryption", true)
        .with("iam_auth", true)
        .with_ref("configuration_arn", &config, "arn")
        .with_ref("configuration_revision", &config, "latest_revision")
        .with("tags", cx.tags("kafka", &[]));
    cx.push(d);
    let Some(m) = &k.mirror else { return };
    if !m.to.iter().any(|r| r == cx.region) {
        return;
    }
    let source = Address::new(m.from.as_str(), "msk.cluster", "main");
    let d = ResourceDecl::new(cx.addr("msk.replicator", &format!("from-{}", m.from)))
        .with("name", format!("{name}-from-{}", m.from))
        .with(
            "description",
            format!("{id}: topics from {} to {}", m.from, cx.region),
        )
        .with_ref(
            "service_execution_role_arn",
            &Address::new(provision_core::GLOBAL, "iam.role", "msk-replicator"),
            "arn",
        )
        .with_ref("source_cluster_arn", &source, "arn")
        .with("source_subnet_ids", Value::Array(private(&m.from)))
        .with("source_security_group_ids", sg(&m.from))
        .with_ref("target_cluster_arn", &cluster, "arn")
        .with("target_subnet_ids", Value::Array(private(cx.region)))
        .with("target_security_group_ids", sg(cx.region))
        .with("target_compression_type", "NONE")
        .with("topics", json!(k.topics))
        .with("consumer_groups", json!([".*"]))
        .with("tags", cx.tags(&format!("kafka-from-{}", m.from), &[]));
    cx.push(d);
}

/// The region's alerting: an SNS topic with the alert e-mail subscribed, and CloudWatch alarms
/// that notify it (on ALARM and back to OK) for what the spec builds in the region:
/// - the database instance (primary or replica): CPU; the primary's free storage; a replica's
///   lag behind the primary;
/// - Redis: the highest engine CPU and memory use among the group's nodes (metric math over
///   each node's metric: ElastiCache publishes them per node, named
///   `<group>-<shard 0001..>-<node 001..>` in cluster mode).
fn monitoring(cx: &mut Ctx<'_>, m: &MonitoringSpec) {
    let id = cx.spec.stack_id();
    let topic = cx.addr("sns.topic", "alerts");
    let d = ResourceDecl::new(topic.clone())
        .with("name", format!("{id}-alerts"))
        .with("tags", cx.tags("alerts", &[]));
    cx.push(d);
    let d = ResourceDecl::new(cx.addr("sns.subscription", "alert-email"))
        .with_ref("topic_arn", &topic, "arn")
        .with("protocol", "email")
        .with("endpoint", m.alert_email.clone());
    cx.push(d);
    let actions = json!([provision_core::Ref::new(topic.clone(), "arn").to_value()]);
    let a = &m.alarms;
    // (name, description, metric or metrics, evaluation periods, datapoints, threshold,
    // comparison, depends on)
    type AlarmRow<'a> = (String, String, Value, u32, u32, u64, &'a str, Address);
    let mut alarms: Vec<AlarmRow> = Vec::new();
    let simple = |ns: &str, metric: &str, dims: Value, stat: &str, period: u32| {
        json!({"namespace": ns, "metric_name": metric, "dimensions": dims, "statistic": stat,
               "period": period})
    };
    if let Some(db) = &cx.spec.database {
        let primary = cx.spec.primary_region() == cx.region;
        let replica = db.replicas.iter().any(|r| r == cx.region);
        if primary || replica {
            // Every region's instance has the stack's identifier (see `database`).
            let ident = id.clone();
            let addr = if primary {
                cx.addr("rds.db_instance", "primary")
            } else {
                cx.addr("rds.db_instance", "replica")
            };
            let dims = json!({"DBInstanceIdentifier": ident});
            alarms.push((
                "db-cpu".into(),
                format!("{ident}: CPU above {}%", a.rds_cpu_pct),
                simple("AWS/RDS", "CPUUtilization", dims.clone(), "Average", 300),
                3,
                3,
                u64::from(a.rds_cpu_pct),
                "GreaterThanThreshold",
                addr.clone(),
            ));
            if primary {
                alarms.push((
                    "db-free-storage".into(),
                    format!("{ident}: less than {} GiB free", a.rds_free_storage_gb),
                    simple("AWS/RDS", "FreeStorageSpace", dims.clone(), "Minimum", 300),
                    1,
                    1,
                    u64::from(a.rds_free_storage_gb) * 1024 * 1024 * 1024,
                    "LessThanThreshold",
                    addr.clone(),
                ));
            } else {
                alarms.push((
                    "db-replica-lag".into(),
                    format!(
                        "{ident}: more than {} s behind the primary",
                        a.replica_lag_s
                    ),
                    simple("AWS/RDS", "ReplicaLag", dims, "Maximum", 60),
                    5,
                    5,
                    u64::from(a.replica_lag_s),
                    "GreaterThanThreshold",
                    addr,
                ));
            }
        }
    }
    if let Some(cache) = &cx.spec.cache {
        let group = cache.name.clone().unwrap_or_else(|| id.clone());
        let members: Vec<String> = (1..=cache.shards)
            .flat_map(|shard| {
                let group = group.clone();
                (1..=1 + cache.replicas_per_shard)
                    .map(move |node| format!("{group}-{shard:04}-{node:03}"))
            })
            .collect();
        let addr = cx.addr("elasticache.replication_group", "main");
        for (name, metric, pct, what) in [
            (
                "redis-cpu",
                "EngineCPUUtilization",
                a.cache_cpu_pct,
                "engine CPU",
            ),
            (
                "redis-memory",
                "DatabaseMemoryUsagePercentage",
                a.cache_memory_pct,
                "memory use",
            ),
        ] {
            let mut queries: Vec<Value> = members
                .iter()
                .enumerate()
                .map(|(k, node)| {
                    json!({"id": format!("m{}", k + 1), "namespace": "AWS/ElastiCache",
                           "metric_name": metric, "dimensions": {"CacheClusterId": node},
                           "stat": "Maximum", "period": 300, "return_data": false})
                })
                .collect();
            let ids: Vec<String> = (1..=members.len()).map(|k| format!("m{k}")).collect();
            queries.push(
                json!({"id": "highest", "expression": format!("MAX([{}])", ids.join(",")),
                                "return_data": true}),
            );
            alarms.push((
                name.into(),
                format!("{group}: highest node {what} above {pct}%"),
                json!({"metrics": queries}),
                3,
                3,
                u64::from(pct),
                "GreaterThanThreshold",
                addr.clone(),
            ));
        }
    }
    for (name, description, metric, periods, datapoints, threshold, comparison, on) in alarms {
        let mut d = ResourceDecl::new(cx.addr("cloudwatch.alarm", &name))
            .with("alarm_name", format!("{id}-{name}"))
            .with("description", description)
            .with("evaluation_periods", periods)
            .with("datapoints_to_alarm", datapoints)
            .with("threshold", threshold)
            .with("comparison_operator", comparison)
            .with("treat_missing_data", "missing")
            .with("alarm_actions", actions.clone())
            .with("ok_actions", actions.clone())
            .with("tags", cx.tags(&format!("alarm-{name}"), &[]))
            .depends_on(&on);
        if let Value::Object(fields) = metric {
            for (k, v) in fields {
                d = d.with(&k, v);
            }
        }
        cx.push(d);
    }
}

/// The parameter-group family and the parameter that forces TLS, per engine and version.
fn db_family(db: &DatabaseSpec) -> (String, &'static str) {
    let major = db.version.split('.').next().unwrap_or_default();
    match db.engine {
        DbEngine::Postgres => (format!("postgres{major}"), "rds.force_ssl"),
        DbEngine::Mysql => {
            let minor = db.version.split('.').nth(1).unwrap_or("0");
            (format!("mysql{major}.{minor}"), "require_secure_transport")
        }
    }
}

/// The database: the primary in the primary region, a cross-region read replica in each
/// region of `replicas`, and the automated-backup replication to `backup.cross_region_copy`.
fn database(cx: &mut Ctx<'_>, db: &DatabaseSpec, azs: u8) {
    let primary_region = cx.spec.primary_region().to_string();
    let is_primary = cx.region == primary_region;
    let is_replica = db.replicas.iter().any(|r| r == cx.region);
    let copy_here = db.backup.cross_region_copy.as_deref() == Some(cx.region);
    if !is_primary && !is_replica && !copy_here {
        return;
    }
    let id = cx.spec.stack_id();
    let key = cx.addr("kms.key", "main");
    let primary = Address::new(primary_region.as_str(), "rds.db_instance", "primary");
    if copy_here && !is_primary {
        let d = ResourceDecl::new(cx.addr("rds.automated_backup_replication", "primary"))
            .with_ref("source_db_instance_arn", &primary, "arn")
            .with("backup_retention_period", db.backup.retention_days)
            .with_ref("kms_key_id", &key, "arn");
        cx.push(d);
    }
    if !is_primary && !is_replica {
        return;
    }
    let private: Vec<Value> = (0..azs)
        .map(|i| {
            provision_core::Ref::new(
                cx.addr("ec2.subnet", &format!("private-{}", az_letter(i))),
                "id",
            )
            .to_value()
        })
        .collect();
    let subnet_group = cx.addr("rds.db_subnet_group", "main");
    let d = ResourceDecl::new(subnet_group.clone())
        .with("name", id.clone())
        .with("description", format!("{id} database: private subnets"))
        .with("subnet_ids", Value::Array(private))
        .with("tags", cx.tags("db-subnets", &[]));
    cx.push(d);
    let (family, tls) = db_family(db);
    let params = cx.addr("rds.db_parameter_group", "main");
    let d = ResourceDecl::new(params.clone())
        .with("name", format!("{id}-{family}").replace('.', "-"))
        .with("family", family.clone())
        .with("description", format!("{id}: {family} with TLS required"))
        .with("parameters", json!({ tls: "1" }))
        .with("tags", cx.tags("db-params", &[]));
    cx.push(d);
    let sg = json!([
        provision_core::Ref::new(cx.addr("ec2.security_group", "database"), "id").to_value()
    ]);
    let engine = match db.engine {
        DbEngine::Postgres => "postgres",
        DbEngine::Mysql => "mysql",
    };
    let secret = cx.addr("secretsmanager.secret", "db-master");
    if is_primary {
        // The master credential, generated by Secrets Manager. RDS's own managed password
        // (ManageMasterUserPassword) is not used: RDS refuses read replicas of such an instance.
        let d = ResourceDecl::new(secret.clone())
            .with("name", format!("{id}/rds/master"))
            .with(
                "description",
                format!("{id}: master credential of the database"),
            )
            .with("username", db.master_username.clone())
            .with("password_length", 32)
            .with_ref("kms_key_id", &key, "arn")
            .with("tags", cx.tags("db-master", &[]));
        cx.push(d);
    }
    let d = if is_primary {
        // A replica recorded in this region is this primary, promoted in place (a failover):
        // it keeps its data and its identifier, and clearing its source promotes it.
        let mut d = ResourceDecl::new(primary.clone())
            .moved_from(&cx.addr("rds.db_instance", "replica"))
            .with("identifier", id.clone())
            .with("source_db_instance_identifier", Value::Null)
            .with("engine", engine)
            .with("engine_version", db.version.clone())
            .with("instance_class", db.instance_class.clone())
            .with("allocated_storage", db.storage.size_gb)
            .with("storage_type", db.storage.kind.as_str())
            .with("multi_az", db.multi_az)
            .with("storage_encrypted", true)
            .with_ref("kms_key_id", &key, "arn")
            .with("backup_retention_period", db.backup.retention_days)
            .with("performance_insights", db.performance_insights)
            .with("deletion_protection", db.deletion_protection)
            .with("master_username", db.master_username.clone())
            .with_ref("master_password_secret_arn", &secret, "arn")
            .with_ref("db_subnet_group_name", &subnet_group, "id")
            .with("vpc_security_group_ids", sg)
            .with_ref("db_parameter_group_name", &params, "id")
            .with("final_snapshot", db.final_snapshot)
            .with("tags", cx.tags("db", &[]));
        if let Some(iops) = db.storage.iops {
            d = d.with("iops", iops);
        }
        if let Some(w) = &db.backup.window {
            d = d.with("preferred_backup_window", w.clone());
        }
        if let Some(w) = &db.maintenance_window {
            d = d.with("preferred_maintenance_window", w.clone());
        }
        d
    } else {
        // A replica is created from the primary's ARN with this region's key, subnet group
        // and parameter group. It can always be torn down with its region: no deletion
        // protection, and a replica takes no final snapshot. It has the primary's identifier
        // (identifiers are per region), so that promoting it keeps its name. A primary
        // recorded in this region (the old one, after a failover away from it) is this replica
        // now: the same name, so it goes before the replica is made (a replacement, which its
        // deletion protection holds back until a person lifts it).
        ResourceDecl::new(cx.addr("rds.db_instance", "replica"))
            .moved_from(&cx.addr("rds.db_instance", "primary"))
            .with("identifier", id.clone())
            .with_ref("source_db_instance_identifier", &primary, "arn")
            .with("instance_class", db.instance_class.clone())
            .with_ref("kms_key_id", &key, "arn")
            .with("performance_insights", db.performance_insights)
            .with("deletion_protection", false)
            .with_ref("db_subnet_group_name", &subnet_group, "id")
            .with("vpc_security_group_ids", sg)
            .with_ref("db_parameter_group_name", &params, "id")
            .with("final_snapshot", false)
            .with("tags", cx.tags("db-replica", &[]))
    };
    cx.push(d);
}

/// The region's cache: a replication group in cluster mode over the private subnets, with
/// Multi-AZ and automatic failover, encrypted at rest (the region's key) and in transit.
fn cache_cluster(cx: &mut Ctx<'_>, cache: &CacheSpec, azs: u8) {
    let id = cx.spec.stack_id();
    let name = cache.name.clone().unwrap_or_else(|| id.clone());
    let private: Vec<Value> = (0..azs)
        .map(|i| {
            provision_core::Ref::new(
                cx.addr("ec2.subnet", &format!("private-{}", az_letter(i))),
                "id",
            )
            .to_value()
        })
        .collect();
    let (engine, major) = (
        match cache.engine {
            CacheEngine::Redis => "redis",
            CacheEngine::Valkey => "valkey",
        },
        cache
            .version
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string(),
    );
    let family = format!("{engine}{major}");
    let subnets = cx.addr("elasticache.subnet_group", "main");
    let d = ResourceDecl::new(subnets.clone())
        .with("name", id.clone())
        .with("description", format!("{id} cache: private subnets"))
        .with("subnet_ids", Value::Array(private))
        .with("tags", cx.tags("cache-subnets", &[]));
    cx.push(d);
    let params = cx.addr("elasticache.parameter_group", "main");
    let d = ResourceDecl::new(params.clone())
        .with("name", format!("{id}-{family}").replace('.', "-"))
        .with("family", family.clone())
        .with("description", format!("{id}: {family} in cluster mode"))
        .with("parameters", json!({"cluster-enabled": "yes"}))
        .with("tags", cx.tags("cache-params", &[]));
    cx.push(d);
    let mut d = ResourceDecl::new(cx.addr("elasticache.replication_group", "main"))
        .with("id", name)
        .with("description", format!("{id} {} cache", cx.region))
        .with("engine", engine)
        .with("engine_version", cache.version.clone())
        .with("node_type", cache.node_type.clone())
        .with("shards", cache.shards)
        .with("replicas_per_shard", cache.replicas_per_shard)
        .with("cluster_mode", "enabled")
        .with("automatic_failover", true)
        // Multi-AZ needs a replica to fail over to.
        .with("multi_az", cache.replicas_per_shard > 0)
        .with("at_rest_encryption", true)
        .with_ref("kms_key_id", &cx.addr("kms.key", "main"), "arn")
        .with("transit_encryption", true)
        .with_ref("subnet_group_name", &subnets, "id")
        .with(
            "security_group_ids",
            json!([
                provision_core::Ref::new(cx.addr("ec2.security_group", "cache"), "id").to_value()
            ]),
        )
        .with_ref("parameter_group_name", &params, "id")
        .with("snapshot_retention_limit", cache.snapshot_retention_days)
        .with("tags", cx.tags("cache", &[]));
    if let Some(w) = &cache.maintenance_window {
        d = d.with("maintenance_window", w.clone());
    }
    cx.push(d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn prod() -> Spec {
        crate::load(Path::new("../../specs/prod.yaml"))
            .unwrap()
            .spec
    }

    #[test]
    fn prod_network_per_region() {
        let decls = expand(&prod());
        let count = |region: &str, kind: &str| {
            decls
                .iter()
                .filter(|d| d.address.region() == region && d.address.kind() == kind)
                .count()
        };
        for r in ["us-east-1", "eu-west-1", "ap-southeast-1"] {
            assert_eq!(count(r, "ec2.vpc"), 1);
            assert_eq!(count(r, "ec2.subnet"), 6);
            assert_eq!(count(r, "ec2.nat_gateway"), 3);
            assert_eq!(count(r, "ec2.eip"), 3);
            assert_eq!(count(r, "ec2.route_table"), 4);
            assert_eq!(count(r, "ec2.route_table_association"), 6);
            // The five of the network, and the load balancer's (`edge`).
            assert_eq!(count(r, "ec2.security_group"), 6);
        }
        // Addresses are unique.
        let mut a: Vec<String> = decls.iter().map(|d| d.address.to_string()).collect();
        a.sort();
        let n = a.len();
        a.dedup();
        assert_eq!(n, a.len());
    }

    #[test]
    fn dev_has_a_single_nat() {
        let dev = crate::load(Path::new("../../specs/dev.yaml")).unwrap().spec;
        let decls = expand(&dev);
        let nats = decls
            .iter()
            .filter(|d| d.address.region() == "us-east-1" && d.address.kind() == "ec2.nat_gateway")
            .count();
        assert_eq!(nats, 1);
    }

    #[test]
    fn no_data_port_is_open_to_the_world() {
        for d in expand(&prod()) {
            if d.address.kind() != "ec2.security_group_rule" {
                continue;
            }
            let open = d.properties.get("cidr_ipv4").and_then(Value::as_str) == Some("0.0.0.0/0");
            let from = d
                .properties
                .get("from_port")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let to = d
                .properties
                .get("to_port")
                .and_then(Value::as_u64)
                .unwrap_or(65535);
            let covers = DATA_PORTS
                .iter()
                .any(|p| (from..=to).contains(&u64::from(*p)));
            assert!(
                !(open && covers),
                "{} opens a data port to the world",
                d.address
            );
        }
    }

    #[test]
    fn declared_resources_expand_with_references() {
        let src = std::fs::read_to_string("../../specs/dev.yaml").unwrap()
            + "resources:\n  us-east-1/ec2.route/vpn:\n    properties:\n      \
               route_table_id: ${us-east-1/ec2.route_table/public#id}\n      \
               destination_cidr_block: 10.100.0.0/16\n      \
               gateway_id: ${us-east-1/ec2.internet_gateway/main#id}\n    \
               depends_on: [us-east-1/ec2.vpc/main]\n";
        let spec = crate::parse_str(&src, Path::new("dev.yaml")).unwrap();
        let decls = expand(&spec);
        let d = decls.last().unwrap();
        assert_eq!(d.address.to_string(), "us-east-1/ec2.route/vpn");
        let mut deps: Vec<String> = d.dependencies().iter().map(ToString::to_string).collect();
        deps.sort();
        assert_eq!(
            deps,
            [
                "us-east-1/ec2.internet_gateway/main",
                "us-east-1/ec2.route_table/public",
                "us-east-1/ec2.vpc/main"
            ]
        );
        assert_eq!(d.properties["destination_cidr_block"], "10.100.0.0/16");
        assert!(matches!(parse_ref("${x}"), Some(Err(_))));
        assert!(parse_ref("plain").is_none());
    }

    #[test]
    fn outputs_per_region() {
        let names: Vec<String> = outputs(&prod()).into_iter().map(|o| o.name).collect();
        for r in ["us-east-1", "eu-west-1", "ap-southeast-1"] {
            for what in [
                "eks_endpoint",
                "rds_endpoint",
                "redis_endpoint",
                "msk_cluster_arn",
                "alert_topic_arn",
            ] {
                assert!(names.contains(&format!("{r}.{what}")), "{r}.{what}");
            }
        }
        assert!(names.contains(&"us-east-1.db_master_secret_arn".to_string()));
        let without = prod().without_region("ap-southeast-1").unwrap();
        assert!(outputs(&without)
            .iter()
            .all(|o| !o.name.starts_with("ap-southeast-1.")));
    }

    /// `destroy --region us-east-1 --force` on prod: eu-west-1 (where backups are copied, and a
    /// replica lives) becomes the primary; its replica is the primary, promoted in place; the
    /// Asia replica and mirror follow it; nothing is left in us-east-1 but CloudFront's
    /// certificate.
    #[test]
    fn the_failover_target_follows_the_dr_order_among_the_replicas() {
        let mut spec = prod();
        assert_eq!(spec.failover_target().as_deref(), Some("eu-west-1"));
        let dr = spec.dr.as_mut().unwrap();
        dr.failover_order = vec!["ap-southeast-1".into(), "eu-west-1".into()];
        assert_eq!(spec.failover_target().as_deref(), Some("ap-southeast-1"));
        // A first choice without a replica gives way to the next region in the order that has
        // one.
        spec.database.as_mut().unwrap().replicas = vec!["eu-west-1".into()];
        assert_eq!(spec.failover_target().as_deref(), Some("eu-west-1"));
        spec.database = None;
        assert_eq!(spec.failover_target().as_deref(), Some("ap-southeast-1"));
        // After a failover, the old primary region's replica names the primary there as moved-from,
        // so that its old primary is replaced by the replica, never kept beside it.
        let decls = expand(&prod().failed_over("eu-west-1").unwrap());
        let replica = decls
            .iter()
            .find(|d| d.address.to_string() == "us-east-1/rds.db_instance/replica")
            .unwrap();
        assert_eq!(
            replica.moved_from,
            ["us-east-1/rds.db_instance/primary"
                .parse::<Address>()
                .unwrap()]
        );
    }

    #[test]
    fn a_forced_teardown_of_the_primary_fails_over_first() {
        let (without, to) = prod().without_region_failing_over("us-east-1").unwrap();
        assert_eq!(to.as_deref(), Some("eu-west-1"));
        assert_eq!(without.primary_region(), "eu-west-1");
        let decls = expand(&without);
        // Every reference names a declared resource.
        let declared: Vec<&Address> = decls.iter().map(|d| &d.address).collect();
        for d in &decls {
            for dep in d.dependencies() {
                assert!(declared.contains(&&dep), "{} needs {dep}", d.address);
            }
        }
        let find = |a: &str| {
            decls
                .iter()
                .find(|d| d.address.to_string() == a)
                .unwrap_or_else(|| panic!("no {a}"))
        };
        let primary = find("eu-west-1/rds.db_instance/primary");
        assert_eq!(
            primary.moved_from,
            ["eu-west-1/rds.db_instance/replica"
                .parse::<Address>()
                .unwrap()]
        );
        assert_eq!(
            primary.properties["source_db_instance_identifier"],
            Value::Null
        );
        assert_eq!(primary.properties["identifier"], "pyairtable-prod");
        let replica = find("ap-southeast-1/rds.db_instance/replica");
        let deps: Vec<String> = replica
            .dependencies()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            deps.contains(&"eu-west-1/rds.db_instance/primary".to_string()),
            "{deps:?}"
        );
        assert!(find("ap-southeast-1/msk.replicator/from-eu-west-1")
            .dependencies()
            .iter()
            .any(|d| d.to_string() == "eu-west-1/msk.cluster/main"));
        let left: Vec<String> = decls
            .iter()
            .map(|d| d.address.to_string())
            .filter(|a| a.starts_with("us-east-1/"))
            .collect();
        assert_eq!(
            left,
            [
                "us-east-1/acm.certificate/edge",
                "us-east-1/acm.certificate_validation/edge"
            ]
        );
        // Not the primary without --force; not the last region either way.
        assert!(prod().without_region("us-east-1").is_err());
        let (only, _) = without
            .without_region_failing_over("ap-southeast-1")
            .unwrap();
        assert!(only.without_region_failing_over("eu-west-1").is_err());
    }

    #[test]
    fn prod_peers_every_pair_once() {
        let decls = expand(&prod());
        let of = |kind: &str| -> Vec<&ResourceDecl> {
            decls.iter().filter(|d| d.address.kind() == kind).collect()
        };
        let names = |kind: &str| -> Vec<String> {
            of(kind).iter().map(|d| d.address.to_string()).collect()
        };
        // Of each pair, the first by name requests (the primary's expansion comes first).
        assert_eq!(
            names("ec2.vpc_peering_connection"),
            [
                "ap-southeast-1/ec2.vpc_peering_connection/eu-west-1",
                "ap-southeast-1/ec2.vpc_peering_connection/us-east-1",
                "eu-west-1/ec2.vpc_peering_connection/us-east-1",
            ]
        );
        for a in of("ec2.vpc_peering_accepter") {
            let deps: Vec<String> = a.dependencies().iter().map(ToString::to_string).collect();
            let requester = format!(
                "{}/ec2.vpc_peering_connection/{}",
                a.address.name(),
                a.address.region()
            );
            assert_eq!(deps, [requester]);
        }
        assert_eq!(of("ec2.vpc_peering_accepter").len(), 3);
        assert_eq!(of("ec2.vpc_peering_options").len(), 6);
        // Every private table of every region (3 each) to each of its 2 peers.
        let peer_routes = of("ec2.route")
            .into_iter()
            .filter(|d| d.properties.contains_key("vpc_peering_connection_id"))
            .count();
        assert_eq!(peer_routes, 18);
        let acl = decls
            .iter()
            .find(|d| d.address.to_string() == "eu-west-1/ec2.network_acl/private")
            .unwrap();
        let cidrs: Vec<&str> = acl.properties["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["cidr_block"].as_str())
            .collect();
        assert!(cidrs.contains(&"10.0.0.0/16") && cidrs.contains(&"10.2.0.0/16"));
    }

    #[test]
    fn subnets_do_not_overlap() {
        let decls = expand(&prod());
        let nets: Vec<Ipv4Net> = decls
            .iter()
            .filter(|d| d.address.kind() == "ec2.subnet")
            .filter_map(|d| d.properties.get("cidr_block")?.as_str()?.parse().ok())
            .collect();
        for (i, a) in nets.iter().enumerate() {
            for b in &nets[i + 1..] {
                assert!(!a.contains(b) && !b.contains(a), "{a} overlaps {b}");
            }
        }
    }
}

//! The typed spec: what `specs/*.yaml` deserializes into.
//!
//! Every struct denies unknown fields, so a typo is an error with a location, never a silently
//! ignored key. The types say what is well-formed; `validate` says what is acceptable (ranges,
//! cross-references, and which sections the engine can build today). docs/spec.md describes every
//! field.

use ipnet::Ipv4Net;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The EKS version used when `eks.version` is absent. The seed asks for 1.28, which AWS no
/// longer offers in standard support; it stays expressible (`version: "1.28"`).
pub const DEFAULT_EKS_VERSION: &str = "1.31";

/// The whole spec of one stack in one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// `[a-z][a-z0-9-]*`, at most 32 characters.
    pub stack: String,
    /// Same charset as `stack`, at most 16 characters: `prod`, `staging`, `dev`.
    pub environment: String,
    /// User tags put on every taggable resource, next to the `provision:*` tags.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: BTreeMap<String, String>,
    /// Region name → its role, CIDR and AZ count. Exactly one region is `primary`.
    pub regions: BTreeMap<String, RegionSpec>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub network: NetworkSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eks: Option<EksSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<EdgeSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dr: Option<DrSpec>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub timeouts: Timeouts,
    /// Extra resources declared directly, by address: the escape hatch for what the sections
    /// above do not say (an extra security-group rule, a route). See docs/spec.md.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub resources: BTreeMap<String, RawResource>,
}

/// A resource declared directly in the `resources` section.
///
/// A property whose whole value is `${<address>#<field>}` is a reference to a field of another
/// resource (for example `${us-east-1/ec2.vpc/main#id}`); it becomes an edge of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResource {
    #[serde(default)]
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// Addresses this resource must come after, beyond its references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl Spec {
    /// `<stack>-<environment>`: the state file name and the value of the `provision:stack` tag.
    pub fn stack_id(&self) -> String {
        format!("{}-{}", self.stack, self.environment)
    }

    /// The region with `role: primary`. A validated spec has exactly one; on an unvalidated spec
    /// without one this falls back to the first region name (or "").
    pub fn primary_region(&self) -> &str {
        self.regions
            .iter()
            .find(|(_, r)| r.role == Role::Primary)
            .or_else(|| self.regions.iter().next())
            .map(|(name, _)| name.as_str())
            .unwrap_or("")
    }

    /// The primary region first, then the others in name order.
    pub fn region_names(&self) -> Vec<&str> {
        let primary = self.primary_region();
        let mut out = Vec::with_capacity(self.regions.len());
        if self.regions.contains_key(primary) {
            out.push(primary);
        }
        out.extend(
            self.regions
                .keys()
                .map(String::as_str)
                .filter(|r| *r != primary),
        );
        out
    }

    /// The secondary regions, in name order.
    pub fn secondary_regions(&self) -> Vec<&str> {
        self.regions
            .iter()
            .filter(|(_, r)| r.role == Role::Secondary)
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// The spec failed over to `to`: `to` becomes the primary and the old primary a secondary.
    ///
    /// - the database's primary is `to` (its replica there is promoted); the old primary's
    ///   region takes `to`'s place among the replicas; backups copied to `to` are copied to the
    ///   old primary's region instead;
    /// - a Kafka mirror from the old primary mirrors from `to`, and to the old primary instead
    ///   of `to`;
    /// - Origin Shield on the old primary moves to `to`;
    /// - `dr.failover_order` loses `to` and ends with the old primary.
    ///
    /// Routing by location (`dns.routing.geolocation`) names regions, not roles: it stays.
    /// Errors if `to` is not a secondary region of the spec.
    pub fn failed_over(&self, to: &str) -> Result<Spec, String> {
        let old = self.primary_region().to_string();
        match self.regions.get(to) {
            None => {
                let known = self.region_names().join(", ");
                return Err(format!(
                    "region `{to}` is not in the spec (its regions are: {known})"
                ));
            }
            Some(r) if r.role == Role::Primary => {
                return Err(format!("region `{to}` is already the primary region"));
            }
            Some(_) => {}
        }
        let mut s = self.clone();
        for (name, r) in s.regions.iter_mut() {
            if *name == old {
                r.role = Role::Secondary;
            } else if name == to {
                r.role = Role::Primary;
            }
        }
        let swap = |r: &mut String| {
            if r == to {
                *r = old.clone();
            }
        };
        if let Some(db) = s.database.as_mut() {
            db.replicas.iter_mut().for_each(swap);
            if let Some(copy) = db.backup.cross_region_copy.as_mut() {
                swap(copy);
            }
        }
        if let Some(m) = s.kafka.as_mut().and_then(|k| k.mirror.as_mut()) {
            if m.from == old {
                m.from = to.to_string();
                m.to.iter_mut().for_each(swap);
            }
        }
        if let Some(edge) = s.edge.as_mut() {
            if edge.cloudfront.origin_shield_region.as_deref() == Some(old.as_str()) {
                edge.cloudfront.origin_shield_region = Some(to.to_string());
            }
        }
        if let Some(dr) = s.dr.as_mut() {
            dr.failover_order.retain(|r| r != to && *r != old);
            dr.failover_order.push(old.clone());
        }
        Ok(s)
    }

    /// `destroy --region R --force`: the spec without R even when R is the primary. The
    /// primary then fails over first (see [`Spec::failed_over`]) to the region
    /// [`crate::edge::failover_region`] names (or, when that region holds no database replica,
    /// the first region that does), and the new primary is returned with the spec.
    pub fn without_region_failing_over(
        &self,
        region: &str,
    ) -> Result<(Spec, Option<String>), String> {
        if self.primary_region() != region || !self.regions.contains_key(region) {
            return Ok((self.without_region(region)?, None));
        }
        let to = self.failover_target().ok_or_else(|| {
            format!(
                "region `{region}` is the only region of the spec; destroy the whole stack instead"
            )
        })?;
        let s = self.failed_over(&to)?.without_region(region)?;
        Ok((s, Some(to)))
    }

    /// The region a failover from the primary goes to: the failover region (the first of
    /// `dr.failover_order`, else the backup copy region, else the first secondary), unless the
    /// database has replicas and none there, then the first region with one (first in
    /// `dr.failover_order`): the new primary keeps the data only where a replica is promoted.
    pub fn failover_target(&self) -> Option<String> {
        let primary = self.primary_region();
        let mut replicas: Vec<&str> = self
            .database
            .iter()
            .flat_map(|db| db.replicas.iter().map(String::as_str))
            .filter(|r| self.regions.contains_key(*r) && *r != primary)
            .collect();
        let order: Vec<&str> = self
            .dr
            .iter()
            .flat_map(|dr| dr.failover_order.iter().map(String::as_str))
            .collect();
        replicas.sort_by_key(|r| order.iter().position(|o| o == r).unwrap_or(usize::MAX));
        crate::edge::failover_region(self)
            .filter(|r| replicas.is_empty() || replicas.contains(r))
            .or_else(|| replicas.first().copied())
            .map(str::to_string)
    }

    /// The spec with one region removed (for `destroy --region R`): drops the region and every
    /// mention of it.
    ///
    /// - `database.replicas` loses R; `database.backup.cross_region_copy: R` becomes absent.
    /// - `kafka.mirror.to` loses R; a mirror whose `from` is R, or whose `to` becomes empty, is
    ///   dropped.
    /// - `edge.certificates` loses R's ARN, except `us-east-1`'s: CloudFront's certificate lives
    ///   there whether or not us-east-1 is a stack region. `edge.cloudfront.origin_shield_region:
    ///   R` becomes absent.
    /// - `dns.routing.geolocation` loses every entry that routes to R, except `default`, which is
    ///   pointed at the primary so that unmatched locations still get an answer.
    /// - `dr.failover_order` loses R.
    ///
    /// Errors if R is the primary (fail over first) or not in the spec.
    pub fn without_region(&self, region: &str) -> Result<Spec, String> {
        match self.regions.get(region) {
            None => {
                let known = self.region_names().join(", ");
                return Err(format!(
                    "region `{region}` is not in the spec (its regions are: {known})"
                ));
            }
            Some(r) if r.role == Role::Primary => {
                return Err(format!(
                    "region `{region}` is the primary region; it cannot be removed on its own \
                     (fail over to another region first, or destroy the whole stack)"
                ));
            }
            Some(_) => {}
        }
        let primary = self.primary_region().to_string();
        let mut s = self.clone();
        s.regions.remove(region);
        let prefix = format!("{region}/");
        s.resources
            .retain(|address, _| !address.starts_with(&prefix));

        if let Some(db) = s.database.as_mut() {
            db.replicas.retain(|r| r != region);
            if db.backup.cross_region_copy.as_deref() == Some(region) {
                db.backup.cross_region_copy = None;
            }
        }
        if let Some(kafka) = s.kafka.as_mut() {
            let drop_mirror = match kafka.mirror.as_mut() {
                Some(m) => {
                    m.to.retain(|r| r != region);
                    m.from == region || m.to.is_empty()
                }
                None => false,
            };
            if drop_mirror {
                kafka.mirror = None;
            }
        }
        if let Some(edge) = s.edge.as_mut() {
            if let Certificates::Arns(arns) = &mut edge.certificates {
                if region != "us-east-1" {
                    arns.remove(region);
                }
            }
            if edge.cloudfront.origin_shield_region.as_deref() == Some(region) {
                edge.cloudfront.origin_shield_region = None;
            }
        }
        if let Some(dns) = s.dns.as_mut() {
            let geo = &mut dns.routing.geolocation;
            geo.retain(|loc, r| r != region || loc == GEO_DEFAULT);
            if let Some(d) = geo.get_mut(GEO_DEFAULT) {
                if d == region {
                    *d = primary.clone();
                }
            }
        }
        if let Some(dr) = s.dr.as_mut() {
            dr.failover_order.retain(|r| r != region);
        }
        Ok(s)
    }
}

/// A region's role in the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Holds the writable database and the mirror sources; exactly one region.
    Primary,
    Secondary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    pub role: Role,
    /// The VPC's CIDR: a private, network-aligned /16 (v1).
    pub cidr: Ipv4Net,
    /// How many availability zones to spread subnets over: 1..=6.
    #[serde(default = "default_azs")]
    pub azs: u8,
}

fn default_azs() -> u8 {
    3
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    #[serde(default)]
    pub nat_gateways: NatMode,
    /// Only `none` is implemented today.
    #[serde(default)]
    pub peering: PeeringMode,
    /// Only `false` is implemented today.
    #[serde(default)]
    pub flow_logs: bool,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        Self {
            nat_gateways: NatMode::PerAz,
            peering: PeeringMode::None,
            flow_logs: false,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NatMode {
    /// One NAT gateway per AZ (each private subnet routes through its own AZ's gateway).
    #[default]
    PerAz,
    /// One NAT gateway in the first AZ for the whole VPC (cheap, not AZ-resilient).
    Single,
    /// No NAT gateway: private subnets have no route to the internet.
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeeringMode {
    /// A VPC peering connection between every pair of regions.
    FullMesh,
    #[default]
    None,
}

// ---------------------------------------------------------------------------------------------
// EKS

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EksSpec {
    /// Kubernetes `major.minor`, e.g. "1.31".
    #[serde(default = "default_eks_version")]
    pub version: String,
    #[serde(default)]
    pub endpoint: EksEndpoint,
    /// Control-plane log types sent to CloudWatch Logs.
    #[serde(default)]
    pub logging: Vec<EksLogType>,
    /// Node group name → its shape. At least one.
    pub node_groups: BTreeMap<String, NodeGroupSpec>,
}

fn default_eks_version() -> String {
    DEFAULT_EKS_VERSION.to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EksEndpoint {
    /// Reachable from the internet. Off unless asked for.
    #[serde(default)]
    pub public: bool,
    /// Reachable from inside the VPC.
    #[serde(default = "default_true")]
    pub private: bool,
    /// When `public`, the CIDRs allowed to reach it (empty = anywhere).
    #[serde(default)]
    pub public_access_cidrs: Vec<Ipv4Net>,
}

impl Default for EksEndpoint {
    fn default() -> Self {
        Self {
            public: false,
            private: true,
            public_access_cidrs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EksLogType {
    Api,
    Audit,
    Authenticator,
    ControllerManager,
    Scheduler,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeGroupSpec {
    /// At least one, e.g. `[m6i.xlarge]`.
    pub instance_types: Vec<String>,
    #[serde(default)]
    pub capacity: Capacity,
    pub min: u32,
    pub desired: u32,
    pub max: u32,
    #[serde(default)]
    pub disk_size_gb: Option<u32>,
    /// Kubernetes labels on the nodes.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Capacity {
    #[default]
    OnDemand,
    Spot,
}

// ---------------------------------------------------------------------------------------------
// Database

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    #[serde(default)]
    pub engine: DbEngine,
    /// Engine version, e.g. "15.4".
    pub version: String,
    /// e.g. `db.r6g.xlarge`.
    pub instance_class: String,
    pub storage: StorageSpec,
    #[serde(default)]
    pub multi_az: bool,
    #[serde(default)]
    pub backup: BackupSpec,
    /// `ddd:hh:mm-ddd:hh:mm` (UTC), e.g. `sun:04:00-sun:05:00`.
    #[serde(default)]
    pub maintenance_window: Option<String>,
    #[serde(default)]
    pub performance_insights: bool,
    #[serde(default = "default_true")]
    pub deletion_protection: bool,
    /// Secondary regions that get a cross-region read replica.
    #[serde(default)]
    pub replicas: Vec<String>,
    /// Take a final snapshot when the instance is deleted.
    #[serde(default = "default_true")]
    pub final_snapshot: bool,
    /// The master user's name. Its password is generated by Secrets Manager into the secret
    /// `<stack>-<env>/rds/master`: it is never in the spec, the state or the logs.
    #[serde(default = "default_master_username")]
    pub master_username: String,
}

fn default_master_username() -> String {
    "dbadmin".to_string()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbEngine {
    #[default]
    Postgres,
    Mysql,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSpec {
    #[serde(rename = "type", default)]
    pub kind: StorageType,
    pub size_gb: u32,
    /// Provisioned IOPS (gp3, io1, io2 only).
    #[serde(default)]
    pub iops: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageType {
    Gp2,
    #[default]
    Gp3,
    Io1,
    Io2,
}

impl StorageType {
    pub fn as_str(&self) -> &'static str {
        match self {
            StorageType::Gp2 => "gp2",
            StorageType::Gp3 => "gp3",
            StorageType::Io1 => "io1",
            StorageType::Io2 => "io2",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSpec {
    /// 1..=35 days.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// `hh:mm-hh:mm` (UTC), e.g. `03:00-04:00`.
    #[serde(default)]
    pub window: Option<String>,
    /// A secondary region that receives replicated automated backups.
    #[serde(default)]
    pub cross_region_copy: Option<String>,
}

impl Default for BackupSpec {
    fn default() -> Self {
        Self {
            retention_days: default_retention_days(),
            window: None,
            cross_region_copy: None,
        }
    }
}

fn default_retention_days() -> u32 {
    7
}

// ---------------------------------------------------------------------------------------------
// Cache

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    /// The replication group's id in every region: lowercase letters, digits and hyphens, at
    /// most 40 characters. Default `<stack>-<environment>`. Renaming replaces the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub engine: CacheEngine,
    /// e.g. "7.1".
    pub version: String,
    /// e.g. `cache.r6g.large`.
    pub node_type: String,
    /// Cluster-mode shards (node groups): 1..=500.
    #[serde(default = "default_one")]
    pub shards: u32,
    /// 0..=5.
    #[serde(default = "default_one")]
    pub replicas_per_shard: u32,
    #[serde(default)]
    pub maintenance_window: Option<String>,
    /// Days of automatic snapshots kept (0 = none).
    #[serde(default)]
    pub snapshot_retention_days: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheEngine {
    #[default]
    Redis,
    Valkey,
}

// ---------------------------------------------------------------------------------------------
// Kafka

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSpec {
    /// The cluster name in every region (default: the stack id). Changing it replaces the
    /// clusters.
    #[serde(default)]
    pub name: Option<String>,
    /// e.g. "3.6.0".
    pub version: String,
    /// e.g. `kafka.m5.large`.
    pub broker_type: String,
    #[serde(default = "default_one")]
    pub brokers_per_az: u32,
    /// EBS storage per broker, GiB.
    pub storage_gb: u32,
    #[serde(default = "default_retention_hours")]
    pub retention_hours: u32,
    /// `default.replication.factor` of the cluster configuration.
    #[serde(default = "default_replication_factor")]
    pub replication_factor: u32,
    /// `min.insync.replicas` of the cluster configuration.
    #[serde(default = "default_min_insync_replicas")]
    pub min_insync_replicas: u32,
    /// The topics that `mirror` replicates.
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub mirror: Option<MirrorSpec>,
}

fn default_retention_hours() -> u32 {
    168
}

fn default_replication_factor() -> u32 {
    3
}

fn default_min_insync_replicas() -> u32 {
    2
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorSpec {
    pub from: String,
    pub to: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Edge

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeSpec {
    /// The public name, e.g. `api.example.com`.
    pub domain: String,
    pub certificates: Certificates,
    #[serde(default)]
    pub cloudfront: CloudFrontSpec,
    #[serde(default)]
    pub waf: WafSpec,
}

/// Either ACM certificate ARNs per region (CloudFront's in us-east-1), or `request: dns`: the
/// engine requests them and writes the DNS validation records itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub enum Certificates {
    Arns(BTreeMap<String, String>),
    RequestDns,
}

impl TryFrom<BTreeMap<String, String>> for Certificates {
    type Error = String;

    fn try_from(m: BTreeMap<String, String>) -> Result<Self, Self::Error> {
        match m.get("request") {
            Some(v) if v == "dns" && m.len() == 1 => Ok(Certificates::RequestDns),
            Some(v) if v == "dns" => Err(
                "`request: dns` cannot be mixed with certificate ARNs; use one or the other"
                    .to_string(),
            ),
            Some(v) => Err(format!(
                "`request: {v}` is not supported; the only request method is `request: dns`"
            )),
            None => Ok(Certificates::Arns(m)),
        }
    }
}

impl From<Certificates> for BTreeMap<String, String> {
    fn from(c: Certificates) -> Self {
        match c {
            Certificates::Arns(m) => m,
            Certificates::RequestDns => {
                BTreeMap::from([("request".to_string(), "dns".to_string())])
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFrontSpec {
    #[serde(default)]
    pub price_class: PriceClass,
    #[serde(default)]
    pub origin_shield_region: Option<String>,
    /// HTTP error code (from an origin) → the page CloudFront answers with instead, with the
    /// same code.
    #[serde(default = "default_error_pages")]
    pub error_pages: BTreeMap<u16, String>,
}

impl Default for CloudFrontSpec {
    fn default() -> Self {
        Self {
            price_class: PriceClass::default(),
            origin_shield_region: None,
            error_pages: default_error_pages(),
        }
    }
}

fn default_error_pages() -> BTreeMap<u16, String> {
    [502, 503, 504]
        .into_iter()
        .map(|code| (code, format!("/errors/{code}.html")))
        .collect()
}

/// The error codes CloudFront lets a distribution answer with a custom page.
pub const CLOUDFRONT_ERROR_CODES: &[u16] = &[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriceClass {
    #[default]
    #[serde(rename = "PriceClass_All")]
    All,
    #[serde(rename = "PriceClass_200")]
    P200,
    #[serde(rename = "PriceClass_100")]
    P100,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WafSpec {
    /// Requests per 5 minutes per client IP before blocking: 10..=2,000,000,000.
    #[serde(default = "default_rate_limit")]
    pub rate_limit_per_5min: u32,
    /// AWS managed rule group names, e.g. `AWSManagedRulesCommonRuleSet`.
    #[serde(default = "default_managed_rules")]
    pub managed_rules: Vec<String>,
    /// ISO 3166-1 alpha-2 country codes to block.
    #[serde(default)]
    pub blocked_countries: Vec<String>,
}

impl Default for WafSpec {
    fn default() -> Self {
        Self {
            rate_limit_per_5min: default_rate_limit(),
            managed_rules: default_managed_rules(),
            blocked_countries: Vec::new(),
        }
    }
}

fn default_rate_limit() -> u32 {
    2000
}

fn default_managed_rules() -> Vec<String> {
    vec!["AWSManagedRulesCommonRuleSet".to_string()]
}

// ---------------------------------------------------------------------------------------------
// DNS

/// The key of the catch-all entry of `dns.routing.geolocation`.
pub const GEO_DEFAULT: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsSpec {
    /// The hosted zone's name, e.g. `example.com` (exactly one of `zone` and `zone_id`).
    #[serde(default)]
    pub zone: Option<String>,
    /// The hosted zone's id, e.g. `Z0123456789ABC`.
    #[serde(default)]
    pub zone_id: Option<String>,
    #[serde(default)]
    pub health_check: HealthCheckSpec,
    #[serde(default)]
    pub routing: RoutingSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckSpec {
    #[serde(default = "default_health_path")]
    pub path: String,
    /// 10 or 30 (the only values Route 53 offers).
    #[serde(default = "default_health_interval")]
    pub interval_s: u32,
    /// 1..=10.
    #[serde(default = "default_failure_threshold")]
    pub failure_threshold: u32,
}

impl Default for HealthCheckSpec {
    fn default() -> Self {
        Self {
            path: default_health_path(),
            interval_s: default_health_interval(),
            failure_threshold: default_failure_threshold(),
        }
    }
}

fn default_health_path() -> String {
    "/health".to_string()
}

fn default_health_interval() -> u32 {
    30
}

fn default_failure_threshold() -> u32 {
    3
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingSpec {
    /// Location → region. Locations are continent codes (AF, AN, AS, EU, NA, OC, SA), ISO
    /// country codes (DE, JP, …) or `default`.
    #[serde(default)]
    pub geolocation: BTreeMap<String, String>,
}

// ---------------------------------------------------------------------------------------------
// Monitoring and DR

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringSpec {
    /// Subscribed to the alarm topic (SNS e-mail subscription).
    pub alert_email: String,
    #[serde(default)]
    pub alarms: AlarmsSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmsSpec {
    #[serde(default = "default_rds_cpu")]
    pub rds_cpu_pct: u32,
    /// Free storage of a database instance below which it alarms, GiB.
    #[serde(default = "default_rds_free_storage")]
    pub rds_free_storage_gb: u32,
    /// Redis memory use (DatabaseMemoryUsagePercentage) above which it alarms.
    #[serde(default = "default_cache_memory")]
    pub cache_memory_pct: u32,
    #[serde(default = "default_replica_lag")]
    pub replica_lag_s: u32,
    #[serde(default = "default_cache_cpu")]
    pub cache_cpu_pct: u32,
    #[serde(default = "default_alb_5xx")]
    pub alb_5xx_per_min: u32,
}

impl Default for AlarmsSpec {
    fn default() -> Self {
        Self {
            rds_cpu_pct: default_rds_cpu(),
            rds_free_storage_gb: default_rds_free_storage(),
            cache_memory_pct: default_cache_memory(),
            replica_lag_s: default_replica_lag(),
            cache_cpu_pct: default_cache_cpu(),
            alb_5xx_per_min: default_alb_5xx(),
        }
    }
}

fn default_rds_cpu() -> u32 {
    80
}

fn default_rds_free_storage() -> u32 {
    20
}

fn default_cache_memory() -> u32 {
    80
}

fn default_replica_lag() -> u32 {
    900
}

fn default_cache_cpu() -> u32 {
    75
}

fn default_alb_5xx() -> u32 {
    50
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrSpec {
    pub rto_minutes: u32,
    pub rpo_minutes: u32,
    /// Secondary regions in the order they take over from the primary.
    #[serde(default)]
    pub failover_order: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Timeouts

/// How long the engine waits for a resource of each service to become ready (or gone).
/// Written as `90s`, `30m`, `2h` or combinations such as `1h30m`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub eks: Option<Duration>,
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub rds: Option<Duration>,
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub elasticache: Option<Duration>,
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub msk: Option<Duration>,
    /// For every other service.
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub default: Option<Duration>,
}

impl Timeouts {
    /// The timeout set for `service` (`eks`, `rds`, `elasticache`, `msk`), else `default`.
    /// None means the engine's own per-kind default applies.
    pub fn for_service(&self, service: &str) -> Option<Duration> {
        let specific = match service {
            "eks" => self.eks,
            "rds" => self.rds,
            "elasticache" => self.elasticache,
            "msk" | "kafka" => self.msk,
            _ => None,
        };
        specific.or(self.default)
    }
}

/// Parse `90s`, `30m`, `2h`, `1h30m`: one or more `<digits><unit>` groups, unit `s`, `m` or `h`,
/// greater than zero and at most 24h.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration");
    let mut total: u64 = 0;
    let mut digits = String::new();
    if s.is_empty() {
        return Err(bad());
    }
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("`{s}` has no unit"));
    }
    if total == 0 {
        return Err(format!("`{s}` is zero; a timeout must be positive"));
    }
    if total > 24 * 3600 {
        return Err(format!("`{s}` is longer than 24h"));
    }
    Ok(Duration::from_secs(total))
}

/// The inverse of [`parse_duration`]: `1h30m`, `90s` → `1m30s`, `2h`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

mod opt_duration {
    use super::{format_duration, parse_duration};
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        d.deserialize_any(DurationVisitor)
    }

    struct DurationVisitor;

    impl<'de> Visitor<'de> for DurationVisitor {
        type Value = Option<Duration>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a duration such as `90s`, `30m` or `2h`")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse_duration(v.trim()).map(Some).map_err(E::custom)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Err(E::custom(format!("`{v}` has no unit")))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Err(E::custom(format!("`{v}` is not a duration")))
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn default_true() -> bool {
    true
}

fn default_one() -> u32 {
    1
}

/// `tags:` with nothing after it means "no tags", not a type error.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        })
    }
}

impl fmt::Display for NatMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NatMode::PerAz => "per_az",
            NatMode::Single => "single",
            NatMode::None => "none",
        })
    }
}

impl fmt::Display for PeeringMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PeeringMode::FullMesh => "full_mesh",
            PeeringMode::None => "none",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_format() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("30 minutes").is_err());
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("25h").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("m").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
    }

    #[test]
    fn certificates_forms() {
        let req = BTreeMap::from([("request".to_string(), "dns".to_string())]);
        assert_eq!(Certificates::try_from(req), Ok(Certificates::RequestDns));
        let bad = BTreeMap::from([("request".to_string(), "email".to_string())]);
        assert!(Certificates::try_from(bad).is_err());
        let arns = BTreeMap::from([("us-east-1".to_string(), "arn:x".to_string())]);
        assert!(matches!(
            Certificates::try_from(arns),
            Ok(Certificates::Arns(_))
        ));
    }
}

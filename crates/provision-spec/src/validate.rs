//! Semantic validation of a parsed spec. Every problem is collected, each with the location of
//! the offending value and a help line; nothing is skipped silently.

use crate::error::{Location, SpecError};
use crate::locate::{index, join, SourceIndex};
use crate::model::{
    Certificates, DatabaseSpec, DnsSpec, DrSpec, EdgeSpec, EksSpec, KafkaSpec, MonitoringSpec,
    Role, Spec, StorageType, GEO_DEFAULT,
};
use crate::regions::{closest_region, is_supported};
use ipnet::Ipv4Net;
use std::path::Path;

/// Sections that the engine can build today. Any other top-level section that is present (and
/// not null) is rejected at validation with its location, never skipped.
pub const IMPLEMENTED_SECTIONS: &[&str] = &[
    "stack",
    "environment",
    "tags",
    "regions",
    "network",
    "timeouts",
    "resources",
    "eks",
    "database",
    "cache",
    "kafka",
    "monitoring",
    "edge",
    "dns",
    "dr",
];

/// The most user tags a spec may set: AWS allows 50 per resource and provision adds its own.
pub const MAX_USER_TAGS: usize = 40;
pub const MAX_STACK_LEN: usize = 32;
pub const MAX_ENVIRONMENT_LEN: usize = 16;
/// v1 carves each region's /16 into /20 subnets: public i = block i, private i = block 8 + i.
pub const REQUIRED_PREFIX_LEN: u8 = 16;
pub const MAX_AZS: u8 = 6;

const PRIVATE_RANGES: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/// Check everything the types cannot say. Returns every problem found (empty when valid).
pub fn validate(spec: &Spec, ix: &SourceIndex, file: &Path) -> Vec<SpecError> {
    let mut v = Validator {
        spec,
        ix,
        file,
        errors: Vec::new(),
    };
    v.names();
    v.tags();
    v.regions();
    v.network();
    v.unimplemented_sections();
    v.resources();
    if let Some(eks) = &spec.eks {
        v.eks(eks);
    }
    if let Some(db) = &spec.database {
        v.database(db);
    }
    if let Some(cache) = &spec.cache {
        v.maintenance_window(
            "cache.maintenance_window",
            cache.maintenance_window.as_deref(),
        );
        v.range("cache.shards", cache.shards, 1, 500);
        if let Some(name) = &cache.name {
            let ok = !name.is_empty()
                && name.len() <= 40
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.ends_with('-')
                && !name.contains("--");
            if !ok {
                v.at_value(
                    "cache.name",
                    format!("`{name}` is not a valid replication group id"),
                    "use 1-40 lowercase letters, digits and single hyphens, starting with a letter",
                );
            }
        }
        v.range("cache.replicas_per_shard", cache.replicas_per_shard, 0, 5);
        v.range(
            "cache.snapshot_retention_days",
            cache.snapshot_retention_days,
            0,
            35,
        );
    }
    if let Some(kafka) = &spec.kafka {
        v.kafka(kafka);
    }
    if let Some(edge) = &spec.edge {
        v.edge(edge);
    }
    if let Some(dns) = &spec.dns {
        v.dns(dns);
    }
    v.edge_and_dns();
    if let Some(m) = &spec.monitoring {
        v.monitoring(m);
    }
    if let Some(dr) = &spec.dr {
        v.dr(dr);
    }
    v.errors
}

struct Validator<'a> {
    spec: &'a Spec,
    ix: &'a SourceIndex,
    file: &'a Path,
    errors: Vec<SpecError>,
}

impl Validator<'_> {
    /// An error at the value of `path`.
    fn at_value(&mut self, path: &str, message: impl Into<String>, help: impl Into<String>) {
        let loc = self.ix.locate(path);
        self.push(loc, path, message, help);
    }

    /// An error at the key of `path` (region names, section names, tag keys).
    fn at_key(&mut self, path: &str, message: impl Into<String>, help: impl Into<String>) {
        let loc = self.ix.locate_key(path);
        self.push(loc, path, message, help);
    }

    fn push(
        &mut self,
        loc: Location,
        path: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.errors.push(
            SpecError::new(self.file, Some(loc), message)
                .with_field(path)
                .with_help(help),
        );
    }

    fn range(&mut self, path: &str, value: u32, min: u32, max: u32) {
        if value < min || value > max {
            self.at_value(
                path,
                format!("`{path}` is {value}, outside {min}..={max}"),
                format!("use a value from {min} to {max}"),
            );
        }
    }

    // -----------------------------------------------------------------------------------------
    // Implemented sections

    fn names(&mut self) {
        let spec = self.spec;
        self.name("stack", &spec.stack, MAX_STACK_LEN);
        self.name("environment", &spec.environment, MAX_ENVIRONMENT_LEN);
    }

    fn name(&mut self, field: &str, value: &str, max: usize) {
        let mut chars = value.chars();
        let starts_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let problem = if value.is_empty() {
            Some("is empty".to_string())
        } else if !starts_ok || !rest_ok {
            Some("is not a valid name".to_string())
        } else if value.ends_with('-') {
            Some("ends with `-`".to_string())
        } else if value.len() > max {
            Some(format!(
                "is {} characters long (at most {max})",
                value.len()
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            self.at_value(
                field,
                format!("{field} `{value}` {problem}"),
                format!(
                    "use lowercase letters, digits and `-`, starting with a letter, at most {max} \
                     characters: `<stack>-<environment>` names the state file and prefixes \
                     resource names"
                ),
            );
        }
    }

    fn tags(&mut self) {
        let spec = self.spec;
        if spec.tags.len() > MAX_USER_TAGS {
            self.at_key(
                "tags",
                format!(
                    "{} tags are set; at most {MAX_USER_TAGS} are allowed",
                    spec.tags.len()
                ),
                "AWS allows 50 tags per resource and provision adds its own; remove some",
            );
        }
        let allowed = "letters, digits, spaces and `_ . : / = + - @`";
        for (k, val) in &spec.tags {
            let path = join("tags", k);
            let lower = k.to_ascii_lowercase();
            if k.trim().is_empty() {
                self.at_key(&path, "a tag key is empty", "give the tag a name");
            } else if lower.starts_with("provision:") {
                self.at_key(
                    &path,
                    format!("tag key `{k}` uses the reserved prefix `provision:`"),
                    "provision sets `provision:stack` and `provision:address` itself; rename the tag",
                );
            } else if lower.starts_with("aws:") {
                self.at_key(
                    &path,
                    format!("tag key `{k}` uses the prefix `aws:`, which AWS reserves"),
                    "rename the tag",
                );
            } else if k.chars().count() > 128 {
                self.at_key(
                    &path,
                    format!("tag key `{k}` is longer than 128 characters"),
                    "shorten the key",
                );
            } else if !k.chars().all(tag_char) {
                self.at_key(
                    &path,
                    format!("tag key `{k}` holds a character AWS does not accept in every service"),
                    format!("use only {allowed}"),
                );
            }
            if val.chars().count() > 256 {
                self.at_value(
                    &path,
                    format!("the value of tag `{k}` is longer than 256 characters"),
                    "shorten the value",
                );
            } else if !val.chars().all(tag_char) {
                self.at_value(
                    &path,
                    format!(
                        "the value of tag `{k}` holds a character AWS does not accept in every \
                         service"
                    ),
                    format!("use only {allowed}"),
                );
            }
        }
    }

    fn regions(&mut self) {
        let spec = self.spec;
        if spec.regions.is_empty() {
            self.at_key(
                "regions",
                "the spec has no regions",
                "add at least one region, e.g. `us-east-1: { role: primary, cidr: 10.0.0.0/16 }`",
            );
            return;
        }
        // Document order, so that "the second one" is the one further down the file.
        let mut ordered: Vec<(&String, &crate::model::RegionSpec)> = spec.regions.iter().collect();
        ordered.sort_by_key(|(name, _)| self.ix.locate_key(&join("regions", name)));

        let mut primary: Option<&str> = None;
        let mut cidrs: Vec<(&str, Ipv4Net)> = Vec::new();
        for (name, r) in &ordered {
            let path = join("regions", name);
            if !is_supported(name) {
                let help = match closest_region(name) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "use a commercial AWS region name such as `us-east-1`, `eu-west-1` or \
                         `ap-southeast-1` ({} are supported; see docs/spec.md)",
                        crate::regions::SUPPORTED_REGIONS.len()
                    ),
                };
                self.at_key(&path, format!("`{name}` is not an AWS region"), help);
            }
            if r.role == Role::Primary {
                match primary {
                    None => primary = Some(name),
                    Some(first) => self.at_value(
                        &join(&path, "role"),
                        format!("region `{name}` is `role: primary`, but `{first}` already is"),
                        "exactly one region is primary; make the others `role: secondary`",
                    ),
                }
            }
            self.cidr(&join(&path, "cidr"), r.cidr);
            if r.azs == 0 || r.azs > MAX_AZS {
                self.at_value(
                    &join(&path, "azs"),
                    format!("region `{name}` asks for {} availability zones", r.azs),
                    format!("use 1 to {MAX_AZS} availability zones (3 is usual for production)"),
                );
            }
            let net = r.cidr.trunc();
            for (other, other_net) in &cidrs {
                if net.contains(&other_net.network()) || other_net.contains(&net.network()) {
                    self.at_value(
                        &join(&path, "cidr"),
                        format!(
                            "the CIDR {net} of `{name}` overlaps the CIDR {other_net} of `{other}`"
                        ),
                        "give every region its own range (e.g. 10.0.0.0/16, 10.1.0.0/16, \
                         10.2.0.0/16); provision refuses overlapping VPC ranges even without \
                         peering, so the regions can be peered later",
                    );
                }
            }
            cidrs.push((name, net));
        }
        if primary.is_none() {
            self.at_key(
                "regions",
                "no region has `role: primary`",
                "mark exactly one region `role: primary`: it holds the writable database and \
                 the sources of replication",
            );
        }
    }

    fn cidr(&mut self, path: &str, cidr: Ipv4Net) {
        let net = cidr.trunc();
        if cidr.addr() != cidr.network() {
            self.at_value(
                path,
                format!("`{cidr}` is not a network address: it has host bits set"),
                format!("write `{net}`"),
            );
        }
        let private = PRIVATE_RANGES
            .iter()
            .filter_map(|r| r.parse::<Ipv4Net>().ok())
            .any(|p| p.contains(&net));
        if !private {
            self.at_value(
                path,
                format!("`{cidr}` is not a private address range"),
                "use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)",
            );
        }
        if cidr.prefix_len() != REQUIRED_PREFIX_LEN {
            let suggestion = Ipv4Net::new(net.network(), REQUIRED_PREFIX_LEN)
                .map(|n| n.trunc().to_string())
                .unwrap_or_else(|_| "10.0.0.0/16".to_string());
            self.at_value(
                path,
                format!(
                    "`{cidr}` is a /{}; each region's VPC must be a /16",
                    cidr.prefix_len()
                ),
                format!(
                    "write a /16 such as `{suggestion}`: subnets are carved as /20 blocks \
                     (public i = block i, private i = block 8+i)"
                ),
            );
        }
    }

    fn network(&mut self) {
        let net = &self.spec.network;
        if net.flow_logs {
            self.at_value(
                "network.flow_logs",
                "`flow_logs: true` is part of the spec format but VPC flow logs are not \
                 implemented yet",
                "set `flow_logs: false` (the default) or remove the line for now",
            );
        }
    }

    /// The `resources` section: addresses, references and depends_on that resolve, no clash with
    /// what the sections declare, and no cycle. (Kinds and property names are checked against
    /// the reconcilers' schemas by the CLI, which knows them.)
    fn resources(&mut self) {
        use provision_core::Address;
        use std::collections::{BTreeMap, BTreeSet};
        let s = self.spec;
        if s.resources.is_empty() {
            return;
        }
        let declared: BTreeSet<String> = crate::expand::expand_sections(s)
            .into_iter()
            .map(|d| d.address.to_string())
            .collect();
        let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, r) in &s.resources {
            let path = crate::locate::join("resources", key);
            let address = match key.parse::<Address>() {
                Ok(a) => a,
                Err(e) => {
                    self.at_key(&path, e.to_string(), "write the address as `<region>/<service>.<type>/<name>`, e.g. `us-east-1/ec2.security_group_rule/office-vpn`");
                    continue;
                }
            };
            if !address.is_global() && !s.regions.contains_key(address.region()) {
                self.at_key(
                    &path,
                    format!(
                        "`{key}` is in region `{}`, which is not in the spec",
                        address.region()
                    ),
                    "declare resources only in the spec's regions (or `global`)",
                );
            }
            if declared.contains(key) {
                self.at_key(
                    &path,
                    format!("`{key}` is already declared by a section of the spec"),
                    "choose another name for the extra resource",
                );
            }
            if address.kind() == "ec2.security_group_rule" {
                self.open_data_port(&path, &r.properties);
            }
            let mut targets = Vec::new();
            for (field, value) in &r.properties {
                let ppath = crate::locate::join(&crate::locate::join(&path, "properties"), field);
                let mut strings = Vec::new();
                collect_strings(value, &mut strings);
                for text in strings {
                    match crate::expand::parse_ref(text) {
                        None => {}
                        Some(Err(why)) => self.at_value(
                            &ppath,
                            format!("malformed reference `{text}`: {why}"),
                            "a reference is a whole value `${<address>#<field>}`, e.g. `${us-east-1/ec2.vpc/main#id}`",
                        ),
                        Some(Ok(r)) => targets.push((ppath.clone(), r.address.to_string())),
                    }
                }
            }
            for (i, d) in r.depends_on.iter().enumerate() {
                let dpath = crate::locate::index(&crate::locate::join(&path, "depends_on"), i);
                match d.parse::<Address>() {
                    Ok(a) => targets.push((dpath, a.to_string())),
                    Err(e) => {
                        self.at_value(&dpath, e.to_string(), "depends_on lists resource addresses")
                    }
                }
            }
            for (tpath, target) in &targets {
                if !declared.contains(target) && !s.resources.contains_key(target) {
                    self.at_value(
                        tpath,
                        format!("`{key}` refers to `{target}`, which the spec does not declare"),
                        "`provision graph SPEC` lists every address; check the spelling, or declare it under `resources`",
                    );
                }
            }
            edges.insert(
                key.clone(),
                targets
                    .into_iter()
                    .map(|(_, t)| t)
                    .filter(|t| s.resources.contains_key(t))
                    .collect(),
            );
        }
        // Sections never refer to declared resources, so a cycle lies within this section.
        if let Some(cycle) = find_cycle(&edges) {
            let path = crate::locate::join("resources", &cycle[0]);
            let mut shown = cycle.clone();
            shown.push(cycle[0].clone());
            self.at_key(
                &path,
                format!("dependency cycle: {}", shown.join(" -> ")),
                format!(
                    "remove one of these references or depends_on (for example the one from `{}` to `{}`)",
                    cycle[cycle.len() - 1],
                    cycle[0]
                ),
            );
        }
    }

    /// Guardrail: no rule opens a data port (PostgreSQL, Redis, Kafka) to the whole internet.
    fn open_data_port(&mut self, path: &str, p: &serde_json::Map<String, serde_json::Value>) {
        let world = ["0.0.0.0/0", "::/0"];
        let cidr = p.get("cidr_ipv4").and_then(|v| v.as_str());
        if !cidr.is_some_and(|c| world.contains(&c)) {
            return;
        }
        let all = p.get("ip_protocol").and_then(|v| v.as_str()) == Some("-1");
        let from = p.get("from_port").and_then(|v| v.as_u64()).unwrap_or(0);
        let to = p.get("to_port").and_then(|v| v.as_u64()).unwrap_or(65535);
        if let Some(port) = crate::expand::DATA_PORTS
            .iter()
            .find(|port| all || (from..=to).contains(&u64::from(**port)))
        {
            self.at_value(
                &crate::locate::join(&crate::locate::join(path, "properties"), "cidr_ipv4"),
                format!("this rule opens data port {port} to the whole internet"),
                "data ports are reachable by security-group reference or from private CIDRs only",
            );
        }
    }

    fn unimplemented_sections(&mut self) {
        let s = self.spec;
        let present = [
            ("eks", s.eks.is_some()),
            ("database", s.database.is_some()),
            ("cache", s.cache.is_some()),
            ("kafka", s.kafka.is_some()),
            ("edge", s.edge.is_some()),
            ("dns", s.dns.is_some()),
            ("monitoring", s.monitoring.is_some()),
            ("dr", s.dr.is_some()),
        ];
        for (name, is_present) in present {
            if is_present && !IMPLEMENTED_SECTIONS.contains(&name) {
                self.at_key(
                    name,
                    format!(
                        "section `{name}` is part of the spec format but its resource kinds are \
                         not implemented yet; remove it for now"
                    ),
                    format!(
                        "the sections implemented today are {}; see docs/spec.md",
                        IMPLEMENTED_SECTIONS
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Cheap checks of the sections that are parsed but not implemented yet

    /// `name` at `path` must be a region of the spec (and not the primary unless allowed).
    fn region_ref(&mut self, path: &str, name: &str, allow_primary: bool) {
        match self.spec.regions.get(name) {
            None => {
                let known = self.spec.region_names().join("`, `");
                self.at_value(
                    path,
                    format!("`{name}` is not a region of this spec"),
                    format!("use one of `{known}`, or add `{name}` under `regions`"),
                );
            }
            Some(r) if r.role == Role::Primary && !allow_primary => self.at_value(
                path,
                format!("`{name}` is the primary region here"),
                "name a secondary region",
            ),
            Some(_) => {}
        }
    }

    /// Every entry of a region list must be a secondary region of the spec, once.
    fn region_list(&mut self, path: &str, regions: &[String]) {
        for (i, r) in regions.iter().enumerate() {
            let p = index(path, i);
            if regions[..i].contains(r) {
                self.at_value(
                    &p,
                    format!("`{r}` is listed twice"),
                    "list each region once",
                );
            } else {
                self.region_ref(&p, r, false);
            }
        }
    }

    fn eks(&mut self, eks: &EksSpec) {
        let ok = eks.version.split_once('.').is_some_and(|(a, b)| {
            a == "1" && !b.is_empty() && b.chars().all(|c| c.is_ascii_digit())
        });
        if !ok {
            self.at_value(
                "eks.version",
                format!("`{}` is not a Kubernetes version", eks.version),
                "write `major.minor` in quotes, e.g. \"1.31\"",
            );
        }
        if eks.node_groups.is_empty() {
            self.at_key(
                "eks.node_groups",
                "`eks.node_groups` is empty",
                "add at least one node group",
            );
        }
        for (name, g) in &eks.node_groups {
            let path = join("eks.node_groups", name);
            if g.instance_types.is_empty() {
                self.at_value(
                    &join(&path, "instance_types"),
                    format!("node group `{name}` has no instance types"),
                    "list at least one, e.g. `[m6i.xlarge]`",
                );
            }
            if g.min > g.desired || g.desired > g.max {
                self.at_value(
                    &join(&path, "desired"),
                    format!(
                        "node group `{name}` has min {}, desired {}, max {}",
                        g.min, g.desired, g.max
                    ),
                    "sizes must satisfy min <= desired <= max",
                );
            }
            if g.max == 0 {
                self.at_value(
                    &join(&path, "max"),
                    format!("node group `{name}` has max 0"),
                    "max must be at least 1",
                );
            }
        }
    }

    fn database(&mut self, db: &DatabaseSpec) {
        self.region_list("database.replicas", &db.replicas);
        if let Some(r) = &db.backup.cross_region_copy {
            self.region_ref("database.backup.cross_region_copy", r, false);
        }
        self.range(
            "database.backup.retention_days",
            db.backup.retention_days,
            1,
            35,
        );
        self.range("database.storage.size_gb", db.storage.size_gb, 20, 65536);
        match (db.storage.kind, db.storage.iops) {
            (StorageType::Gp2, Some(_)) => self.at_value(
                "database.storage.iops",
                "`iops` is set but gp2 storage has no provisioned IOPS",
                "use `type: gp3` (or io1/io2), or remove `iops`",
            ),
            (StorageType::Io1 | StorageType::Io2, None) => self.at_value(
                "database.storage",
                format!("{} storage needs `iops`", db.storage.kind.as_str()),
                "add `iops: <number>`",
            ),
            _ => {}
        }
        if let Some(w) = &db.backup.window {
            if !is_daily_window(w) {
                self.at_value(
                    "database.backup.window",
                    format!("`{w}` is not a daily window"),
                    "write `hh:mm-hh:mm` in UTC, e.g. \"03:00-04:00\"",
                );
            }
        }
        self.maintenance_window(
            "database.maintenance_window",
            db.maintenance_window.as_deref(),
        );
        if let (Some(b), Some(m)) = (&db.backup.window, &db.maintenance_window) {
            if windows_meet(b, m) {
                self.at_value(
                    "database.backup.window",
                    format!("the backup window `{b}` overlaps the maintenance window `{m}`"),
                    "RDS refuses a backup window that overlaps the maintenance window's hours (backups run daily); move one, e.g. \"03:00-04:00\" with \"sun:04:00-sun:05:00\"",
                );
            }
        }
    }

    fn maintenance_window(&mut self, path: &str, w: Option<&str>) {
        if let Some(w) = w {
            if !is_weekly_window(w) {
                self.at_value(
                    path,
                    format!("`{w}` is not a weekly window"),
                    "write `ddd:hh:mm-ddd:hh:mm` in UTC, e.g. \"sun:04:00-sun:05:00\"",
                );
            }
        }
    }

    fn kafka(&mut self, k: &KafkaSpec) {
        if k.brokers_per_az == 0 {
            self.at_value(
                "kafka.brokers_per_az",
                "`brokers_per_az` is 0",
                "use at least 1 broker per availability zone",
            );
        }
        if let Some(name) = &k.name {
            // MSK: 1-64 characters, letters, digits and hyphens, starting with a letter.
            let ok = !name.is_empty()
                && name.len() <= 64
                && name.starts_with(|c: char| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                self.at_value(
                    "kafka.name",
                    format!("`{name}` is not a valid MSK cluster name"),
                    "use 1-64 letters, digits and hyphens, starting with a letter",
                );
            }
        }
        if !k.broker_type.starts_with("kafka.") {
            self.at_value(
                "kafka.broker_type",
                format!("`{}` is not an MSK broker type", k.broker_type),
                "MSK broker types start with `kafka.`, e.g. `kafka.m5.large`",
            );
        }
        self.range("kafka.storage_gb", k.storage_gb, 1, 16384);
        self.range("kafka.retention_hours", k.retention_hours, 1, 8760);
        // The smallest cluster of the stack: brokers_per_az in each of its AZs.
        let min_azs = self
            .spec
            .regions
            .values()
            .map(|r| u32::from(r.azs))
            .min()
            .unwrap_or(0);
        let brokers = min_azs.saturating_mul(k.brokers_per_az);
        if k.replication_factor == 0 || (brokers > 0 && k.replication_factor > brokers) {
            // At the field when it is written, else at the section (the default applies).
            let written = self.ix.value("kafka.replication_factor").is_some();
            let at = if written {
                Self::at_value
            } else {
                Self::at_key
            };
            at(
                self,
                if written {
                    "kafka.replication_factor"
                } else {
                    "kafka"
                },
                format!(
                    "replication factor {} does not fit a cluster of {brokers} brokers",
                    k.replication_factor
                ),
                "set `replication_factor` between 1 and the brokers of the smallest region \
                 (azs x brokers_per_az), or add brokers",
            );
        }
        if k.min_insync_replicas == 0 || k.min_insync_replicas > k.replication_factor {
            self.at_value(
                "kafka.min_insync_replicas",
                format!(
                    "min.insync.replicas {} is not between 1 and the replication factor {}",
                    k.min_insync_replicas, k.replication_factor
                ),
                "use at least 1 and at most `replication_factor` (usually factor - 1)",
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, t) in k.topics.iter().enumerate() {
            let p = index("kafka.topics", i);
            let valid = !t.is_empty()
                && t.len() <= 249
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !valid {
                self.at_value(
                    &p,
                    format!("`{t}` is not a valid Kafka topic name"),
                    "use 1-249 letters, digits, `.`, `_` and `-`",
                );
            } else if !seen.insert(t.as_str()) {
                self.at_value(&p, format!("topic `{t}` is listed twice"), "remove one");
            }
        }
        if k.mirror.is_some() && k.topics.is_empty() {
            self.at_key(
                "kafka.mirror",
                "`kafka.mirror` has no topics to replicate",
                "list the topics in `kafka.topics`",
            );
        }
        if let Some(m) = &k.mirror {
            self.region_ref("kafka.mirror.from", &m.from, true);
            if m.to.is_empty() {
                self.at_value(
                    "kafka.mirror.to",
                    "`kafka.mirror.to` is empty",
                    "list the regions to mirror to, or remove `mirror`",
                );
            }
            for (i, r) in m.to.iter().enumerate() {
                let p = index("kafka.mirror.to", i);
                if *r == m.from {
                    self.at_value(
                        &p,
                        format!("`{r}` mirrors to itself"),
                        "remove it from `to`",
                    );
                } else {
                    self.region_ref(&p, r, true);
                }
            }
        }
    }

    fn edge(&mut self, e: &EdgeSpec) {
        if !e.domain.contains('.') || e.domain.contains(char::is_whitespace) {
            self.at_value(
                "edge.domain",
                format!("`{}` is not a domain name", e.domain),
                "write a fully qualified name, e.g. `api.example.com`",
            );
        }
        if let Certificates::Arns(arns) = &e.certificates {
            for (region, arn) in arns {
                let path = join("edge.certificates", region);
                if region != "us-east-1" && !self.spec.regions.contains_key(region) {
                    self.at_key(
                        &path,
                        format!("certificate for `{region}`, which is not a region of this spec"),
                        "certificates are per spec region, plus us-east-1 for CloudFront",
                    );
                }
                let prefix = format!("arn:aws:acm:{region}:");
                if !arn.starts_with(&prefix) {
                    self.at_value(
                        &path,
                        format!("`{arn}` is not an ACM certificate ARN in `{region}`"),
                        format!("the ARN must start with `{prefix}`"),
                    );
                }
            }
            if !arns.contains_key("us-east-1") {
                self.at_key(
                    "edge.certificates",
                    "no certificate for us-east-1",
                    "CloudFront only uses ACM certificates from us-east-1; add one, or use \
                     `request: dns`",
                );
            }
        }
        if let Some(r) = &e.cloudfront.origin_shield_region {
            if !is_supported(r) {
                self.at_value(
                    "edge.cloudfront.origin_shield_region",
                    format!("`{r}` is not an AWS region"),
                    match closest_region(r) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "use an AWS region name, e.g. `us-east-1`".to_string(),
                    },
                );
            }
        }
        for (code, page) in &e.cloudfront.error_pages {
            let path = join("edge.cloudfront.error_pages", &code.to_string());
            if !crate::model::CLOUDFRONT_ERROR_CODES.contains(code) {
                self.at_key(
                    &path,
                    format!("CloudFront cannot replace the page of HTTP {code}"),
                    format!(
                        "use one of {}",
                        crate::model::CLOUDFRONT_ERROR_CODES
                            .iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            if !page.starts_with('/') {
                self.at_value(
                    &path,
                    format!("`{page}` is not a path"),
                    "write the page's path on the origin, starting with `/`, e.g. `/errors/503.html`",
                );
            }
        }
        if e.waf.rate_limit_per_5min < 10 {
            self.at_value(
                "edge.waf.rate_limit_per_5min",
                format!(
                    "rate limit {} is below the WAF minimum",
                    e.waf.rate_limit_per_5min
                ),
                "use at least 10 requests per 5 minutes",
            );
        }
        for (i, c) in e.waf.blocked_countries.iter().enumerate() {
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
                self.at_value(
                    &index("edge.waf.blocked_countries", i),
                    format!("`{c}` is not a country code"),
                    "write ISO 3166-1 alpha-2 codes in capitals, e.g. `KP`",
                );
            }
        }
    }

    fn dns(&mut self, d: &DnsSpec) {
        match (&d.zone, &d.zone_id) {
            (Some(_), Some(_)) => self.at_key(
                "dns.zone_id",
                "both `zone` and `zone_id` are set",
                "set one: `zone` (the zone's name) or `zone_id`",
            ),
            (None, None) => self.at_key(
                "dns",
                "`dns` names no hosted zone",
                "set `zone: example.com` or `zone_id: Z…`",
            ),
            _ => {}
        }
        let hc = &d.health_check;
        if hc.interval_s != 10 && hc.interval_s != 30 {
            self.at_value(
                "dns.health_check.interval_s",
                format!(
                    "health check interval {}s is not offered by Route 53",
                    hc.interval_s
                ),
                "use 10 or 30",
            );
        }
        self.range(
            "dns.health_check.failure_threshold",
            hc.failure_threshold,
            1,
            10,
        );
        if !hc.path.starts_with('/') {
            self.at_value(
                "dns.health_check.path",
                format!("health check path `{}` does not start with `/`", hc.path),
                "write an absolute path, e.g. `/health`",
            );
        }
        const CONTINENTS: [&str; 7] = ["AF", "AN", "AS", "EU", "NA", "OC", "SA"];
        for (loc, region) in &d.routing.geolocation {
            let path = join("dns.routing.geolocation", loc);
            let valid_loc = loc == GEO_DEFAULT
                || CONTINENTS.contains(&loc.as_str())
                || (loc.len() == 2 && loc.chars().all(|c| c.is_ascii_uppercase()));
            if !valid_loc {
                self.at_key(
                    &path,
                    format!("`{loc}` is not a geolocation"),
                    "use a continent code (AF, AN, AS, EU, NA, OC, SA), a country code (DE, JP, \
                     …) or `default`",
                );
            }
            self.region_ref(&path, region, true);
        }
    }

    /// What `edge` and `dns` need of each other: the records route to the edge's load
    /// balancers, and requested certificates are validated by records in the zone.
    fn edge_and_dns(&mut self) {
        let s = self.spec;
        match (&s.edge, &s.dns) {
            (None, Some(_)) => self.at_key(
                "dns",
                "`dns` routes to the regional load balancers of `edge`, and there is no `edge`",
                "add an `edge` section (domain, certificates), or remove `dns`",
            ),
            (Some(e), None) if e.certificates == Certificates::RequestDns => self.at_key(
                "edge.certificates",
                "`request: dns` validates the certificates with records in the hosted zone, and \
                 there is no `dns` section",
                "add `dns` with the zone of the domain, or give certificate ARNs per region",
            ),
            (Some(e), Some(d)) => {
                if let Some(zone) = &d.zone {
                    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
                    let domain = e.domain.trim_end_matches('.').to_ascii_lowercase();
                    if domain != zone && !domain.ends_with(&format!(".{zone}")) {
                        self.at_value(
                            "edge.domain",
                            format!("`{}` is not in the zone `{zone}` of `dns.zone`", e.domain),
                            format!("use a name ending in `.{zone}`, or the zone that holds it"),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn monitoring(&mut self, m: &MonitoringSpec) {
        let e = &m.alert_email;
        let ok = e
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
        if !ok {
            self.at_value(
                "monitoring.alert_email",
                format!("`{e}` is not an e-mail address"),
                "write an address such as `oncall@example.com`",
            );
        }
        self.range(
            "monitoring.alarms.rds_cpu_pct",
            m.alarms.rds_cpu_pct,
            1,
            100,
        );
        self.range(
            "monitoring.alarms.cache_cpu_pct",
            m.alarms.cache_cpu_pct,
            1,
            100,
        );
        self.range(
            "monitoring.alarms.cache_memory_pct",
            m.alarms.cache_memory_pct,
            1,
            100,
        );
        self.range(
            "monitoring.alarms.alb_5xx_per_min",
            m.alarms.alb_5xx_per_min,
            1,
            1_000_000,
        );
        self.range(
            "monitoring.alarms.rds_free_storage_gb",
            m.alarms.rds_free_storage_gb,
            1,
            65536,
        );
        self.range(
            "monitoring.alarms.replica_lag_s",
            m.alarms.replica_lag_s,
            1,
            86400,
        );
    }

    fn dr(&mut self, dr: &DrSpec) {
        self.region_list("dr.failover_order", &dr.failover_order);
        if dr.rto_minutes == 0 {
            self.at_value(
                "dr.rto_minutes",
                "`rto_minutes` is 0",
                "use a positive number",
            );
        }
        if dr.rpo_minutes == 0 {
            self.at_value(
                "dr.rpo_minutes",
                "`rpo_minutes` is 0",
                "use a positive number",
            );
        }
        let s = self.spec;
        // The replica-lag alarm must fire before a failover would lose more than the RPO.
        let replicated = s
            .database
            .as_ref()
            .is_some_and(|db| !db.replicas.is_empty());
        if let (true, Some(m)) = (replicated, &s.monitoring) {
            let lag = m.alarms.replica_lag_s;
            let rpo_s = dr.rpo_minutes.saturating_mul(60);
            if dr.rpo_minutes > 0 && lag > rpo_s {
                self.at_value(
                    "dr.rpo_minutes",
                    format!(
                        "the replica-lag alarm fires after {lag} s behind the primary, later than \
                         the RPO of {} min: a failover before it fires would lose more than the \
                         RPO allows",
                        dr.rpo_minutes
                    ),
                    format!("set `monitoring.alarms.replica_lag_s` to {rpo_s} or less"),
                );
            }
        }
        // Route 53 must see a region fail well within the RTO.
        if let Some(dns) = &s.dns {
            let hc = &dns.health_check;
            let detect = hc.interval_s.saturating_mul(hc.failure_threshold);
            if dr.rto_minutes > 0 && detect >= dr.rto_minutes.saturating_mul(60) {
                self.at_value(
                    "dr.rto_minutes",
                    format!(
                        "the health checks take {detect} s to see a region fail ({} s x {}), \
                         no less than the RTO of {} min",
                        hc.interval_s, hc.failure_threshold, dr.rto_minutes
                    ),
                    "check more often (`dns.health_check`), or allow a longer RTO",
                );
            }
        }
    }
}

/// Characters that every AWS service accepts in tags.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

/// `hh:mm`
fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && s[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && s[3..].parse::<u8>().is_ok_and(|m| m < 60)
}

/// Minutes since midnight of `hh:mm`.
fn minutes(t: &str) -> Option<u32> {
    let (h, m) = t.split_once(':')?;
    Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
}

/// Whether a daily window (`hh:mm-hh:mm`) and the hours of a weekly one (`ddd:hh:mm-ddd:hh:mm`)
/// overlap, as RDS checks them (backups run every day, so the day does not matter). Windows that
/// only touch (03:00-04:00 and 04:00-05:00) are allowed.
fn windows_meet(daily: &str, weekly: &str) -> bool {
    let span = |a: &str, b: &str| -> Option<(u32, u32)> {
        let (s, e) = (minutes(a)?, minutes(b)?);
        Some((s, if e < s { e + 1440 } else { e }))
    };
    let Some((ds, de)) = daily.split_once('-').and_then(|(a, b)| span(a, b)) else {
        return false;
    };
    let time = |p: &str| p.split_once(':').map(|(_, t)| t.to_string());
    let Some((ms, me)) = weekly
        .split_once('-')
        .and_then(|(a, b)| Some((time(a)?, time(b)?)))
        .and_then(|(a, b)| span(&a, &b))
    else {
        return false;
    };
    // Compare on two consecutive days so windows that pass midnight are caught.
    [(ms, me), (ms + 1440, me + 1440)]
        .iter()
        .any(|(s, e)| ds < *e && *s < de)
        || (ds + 1440 < me && ms < de + 1440)
}

/// `hh:mm-hh:mm`
fn is_daily_window(s: &str) -> bool {
    s.split_once('-')
        .is_some_and(|(a, b)| is_time(a) && is_time(b) && a != b)
}

/// `ddd:hh:mm-ddd:hh:mm`
fn is_weekly_window(s: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let part = |p: &str| {
        p.split_once(':')
            .is_some_and(|(d, t)| DAYS.contains(&d.to_ascii_lowercase().as_str()) && is_time(t))
    };
    s.split_once('-').is_some_and(|(a, b)| part(a) && part(b))
}

fn collect_strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|i| collect_strings(i, out)),
        serde_json::Value::Object(m) => m.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// The first cycle of a small graph (node -> its dependencies), as the list of its nodes in
/// path order starting at its smallest node; None when there is none.
fn find_cycle(edges: &std::collections::BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        n: &str,
        edges: &std::collections::BTreeMap<String, Vec<String>>,
        marks: &mut std::collections::BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(n.to_string(), Mark::OnPath);
        path.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match marks.get(m).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let start = path.iter().position(|p| p == m).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    let min = cycle
                        .iter()
                        .enumerate()
                        .min_by(|a, b| a.1.cmp(b.1))
                        .map(|(i, _)| i)
                        .unwrap_or(0);
                    cycle.rotate_left(min);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(m, edges, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(n.to_string(), Mark::Done);
        None
    }
    let mut marks = std::collections::BTreeMap::new();
    for n in edges.keys() {
        if marks.get(n).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(c) = visit(n, edges, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_str;

    fn check(src: &str) -> Vec<String> {
        match parse_str(src, Path::new("t.yaml")) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(|e| e.render()).collect(),
        }
    }

    const BASE: &str = "\
stack: demo
environment: dev
regions:
  us-east-1: { role: primary, cidr: 10.0.0.0/16 }
  eu-west-1: { role: secondary, cidr: 10.1.0.0/16 }
";

    #[test]
    fn windows() {
        assert!(is_daily_window("03:00-04:00"));
        assert!(!is_daily_window("3:00-4:00"));
        assert!(!is_daily_window("25:00-04:00"));
        assert!(is_weekly_window("sun:04:00-sun:05:00"));
        assert!(!is_weekly_window("sunday:04:00-sun:05:00"));
    }

    #[test]
    fn collects_every_error() {
        let src = "\
stack: Demo
environment: dev
tags: { 'aws:x': y }
regions:
  us-east-1: { role: primary, cidr: 10.0.0.0/16, azs: 0 }
  eu-west-9: { role: primary, cidr: 10.0.5.0/20 }
network: { peering: full_mesh, flow_logs: true }
";
        let errs = check(src);
        let all = errs.join("\n");
        assert!(
            all.contains("t.yaml:1:8: error: stack `Demo` is not a valid name"),
            "{all}"
        );
        assert!(all.contains("t.yaml:3:9: error: tag key `aws:x`"), "{all}");
        assert!(
            all.contains("t.yaml:5:55: error: region `us-east-1` asks for 0"),
            "{all}"
        );
        assert!(
            all.contains("t.yaml:6:3: error: `eu-west-9` is not an AWS region"),
            "{all}"
        );
        assert!(all.contains("did you mean `eu-west-1`?"), "{all}");
        assert!(
            all.contains("region `eu-west-9` is `role: primary`, but `us-east-1` already is"),
            "{all}"
        );
        assert!(
            all.contains("`10.0.5.0/20` is not a network address"),
            "{all}"
        );
        assert!(all.contains("write `10.0.0.0/20`"), "{all}");
        assert!(all.contains("is a /20"), "{all}");
        assert!(
            all.contains("overlaps the CIDR 10.0.0.0/16 of `us-east-1`"),
            "{all}"
        );
        assert!(all.contains("`flow_logs: true`"), "{all}");
        // Sorted by position.
        let lines: Vec<usize> = errs
            .iter()
            .map(|e| e.split(':').nth(1).unwrap().parse().unwrap())
            .collect();
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(lines, sorted);
    }

    #[test]
    fn dr_objectives_meet_the_alarms_and_the_health_checks() {
        let src = format!(
            "{BASE}\
database:
  version: '15.4'
  instance_class: db.r6g.large
  storage: {{ size_gb: 100 }}
  replicas: [eu-west-1]
monitoring:
  alert_email: oncall@example.com
dns:
  zone: example.com
  health_check: {{ interval_s: 30, failure_threshold: 4 }}
dr: {{ rto_minutes: 2, rpo_minutes: 10, failover_order: [eu-west-1] }}
"
        );
        let all = check(&src).join("\n");
        for s in [
            "error: the replica-lag alarm fires after 900 s behind the primary, later than the RPO of 10 min",
            "set `monitoring.alarms.replica_lag_s` to 600 or less",
            "error: the health checks take 120 s to see a region fail (30 s x 4), no less than the RTO of 2 min",
        ] {
            assert!(all.contains(s), "missing {s:?} in\n{all}");
        }
        let within = src.replace(
            "rto_minutes: 2, rpo_minutes: 10",
            "rto_minutes: 30, rpo_minutes: 15",
        );
        let all = check(&within).join("\n");
        assert!(!all.contains("RPO") && !all.contains("RTO"), "{all}");
    }

    #[test]
    fn every_section_is_checked_in_one_pass() {
        let src = format!(
            "{BASE}\
eks:
  node_groups:
    general: {{ instance_types: [m6i.xlarge], min: 3, desired: 2, max: 12 }}
database:
  version: '15.4'
  instance_class: db.r6g.xlarge
  storage: {{ size_gb: 500 }}
  replicas: [eu-west-1, us-east-1, ap-southeast-1]
kafka:
  version: 3.6.0
  broker_type: kafka.m5.large
  storage_gb: 1000
  mirror: {{ from: us-east-1, to: [eu-west-1, sa-east-1] }}
dr: {{ rto_minutes: 30, rpo_minutes: 15, failover_order: [eu-west-1, eu-west-1] }}
"
        );
        let all = check(&src).join("\n");
        for s in [
            "node group `general` has min 3, desired 2, max 12",
            "t.yaml:13:25: error: `us-east-1` is the primary region here",
            "t.yaml:13:36: error: `ap-southeast-1` is not a region of this spec",
            "`sa-east-1` is not a region of this spec",
            "`eu-west-1` is listed twice",
        ] {
            assert!(all.contains(s), "missing {s:?} in\n{all}");
        }
    }

    #[test]
    fn no_primary_and_no_regions() {
        let all = check("stack: a\nenvironment: b\nregions:\n  us-east-1: { role: secondary, cidr: 10.0.0.0/16 }\n").join("\n");
        assert!(
            all.contains("t.yaml:3:1: error: no region has `role: primary`"),
            "{all}"
        );
        let all = check("stack: a\nenvironment: b\nregions: {}\n").join("\n");
        assert!(
            all.contains("t.yaml:3:1: error: the spec has no regions"),
            "{all}"
        );
    }
}

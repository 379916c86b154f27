//! The end-to-end harness: a private emulator per test (started through `scripts/emulator`, the
//! same launcher people use), the built `provision` binary run as a user would, and an EC2 client
//! to look at what really exists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod edge;
pub mod faults;

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use tempfile::TempDir;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `provision` binary, built once per test process (a no-op when it is fresh).
pub fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            // The package selection of scripts/build: the SDK crates built for the tests
            // serve, where `-p provision-cli` would build them all again (see there).
            .args(["build", "--quiet", "--workspace", "--bins", "--examples"])
            .current_dir(repo_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building provision failed");
        // target/debug/deps/<test-exe> -> target/debug/provision
        let exe = std::env::current_exe().expect("current exe");
        let dir = exe.parent().and_then(Path::parent).expect("target dir");
        dir.join("provision")
    })
    .clone()
}

/// One API call as the emulator's recorder saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: String,
    pub region: String,
    pub action: String,
}

impl Call {
    /// Reads are Describe*, List*, Get* (query and JSON protocols) and GET/HEAD requests (REST
    /// protocols, recorded as `METHOD /path`), plus Route 53's ListTagsForResources, a POST to
    /// `/2013-04-01/tags/<type>` (its ChangeTagsForResource posts to `.../tags/<type>/<id>`);
    /// everything else changes something.
    pub fn is_mutating(&self) -> bool {
        let a = self.action.as_str();
        if let Some((method, path)) = a.split_once(' ') {
            let route53_tag_read = self.service == "route53"
                && method == "POST"
                && path
                    .strip_prefix("/2013-04-01/tags/")
                    .is_some_and(|rest| !rest.contains('/'));
            return !(matches!(method, "GET" | "HEAD") || route53_tag_read);
        }
        !(a.starts_with("Describe") || a.starts_with("List") || a.starts_with("Get"))
    }
}

/// A private emulator on a free port, stopped on drop.
pub struct Emulator {
    pub endpoint: String,
    port: u16,
    dir: TempDir,
}

impl Emulator {
    pub fn start() -> Emulator {
        Self::start_with(None)
    }

    /// An emulator in lifecycle mode: EKS clusters and node groups and NAT gateways stay in
    /// their transitional states (CREATING, pending, DELETING…) for `polls` describes.
    pub fn start_with_lifecycle(polls: u32) -> Emulator {
        Self::start_with(Some(polls))
    }

    fn start_with(lifecycle: Option<u32>) -> Emulator {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("moto.pid");
        let log = dir.path().join("moto.log");
        let mut cmd = Command::new(repo_root().join("scripts/emulator"));
        match lifecycle {
            Some(n) => cmd.env("PROVISION_EMULATOR_LIFECYCLE", n.to_string()),
            None => cmd.env_remove("PROVISION_EMULATOR_LIFECYCLE"),
        };
        let out = cmd
            .arg("start")
            .arg("--pidfile")
            .arg(&pidfile)
            .arg("--log")
            .arg(&log)
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/emulator start");
        assert!(
            out.status.success(),
            "emulator failed to start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let endpoint = stdout
            .lines()
            .find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL="))
            .expect("AWS_ENDPOINT_URL in the emulator's output")
            .trim()
            .to_string();
        let port = endpoint.rsplit(':').next().unwrap().parse().unwrap();
        Emulator {
            endpoint,
            port,
            dir,
        }
    }

    fn http(&self, method: &str, path: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).unwrap();
        buf.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }

    pub fn calls(&self) -> Vec<Call> {
        let body = self.http("GET", "/_provision/calls");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Call {
                service: c["service"].as_str().unwrap_or_default().into(),
                region: c["region"].as_str().unwrap_or_default().into(),
                action: c["action"].as_str().unwrap_or_default().into(),
            })
            .collect()
    }

    pub fn mutating_calls(&self) -> Vec<Call> {
        self.calls().into_iter().filter(Call::is_mutating).collect()
    }

    pub fn reset_calls(&self) {
        self.http("POST", "/_provision/calls/reset");
    }

    pub async fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config(region).await)
    }

    pub async fn eks(&self, region: &str) -> aws_sdk_eks::Client {
        aws_sdk_eks::Client::new(&self.sdk_config(region).await)
    }

    pub async fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.sdk_config(region).await)
    }

    pub async fn rds(&self, region: &str) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.sdk_config(region).await)
    }

    pub async fn secrets(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk_config(region).await)
    }

    pub async fn elasticache(&self, region: &str) -> aws_sdk_elasticache::Client {
        aws_sdk_elasticache::Client::new(&self.sdk_config(region).await)
    }

    pub async fn kafka(&self, region: &str) -> aws_sdk_kafka::Client {
        aws_sdk_kafka::Client::new(&self.sdk_config(region).await)
    }

    pub async fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk_config(region).await)
    }

    pub async fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::new(&self.sdk_config(region).await)
    }

    pub async fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config("us-east-1").await)
    }

    pub async fn elbv2(&self, region: &str) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::new(&self.sdk_config(region).await)
    }

    pub async fn wafv2(&self, region: &str) -> aws_sdk_wafv2::Client {
        aws_sdk_wafv2::Client::new(&self.sdk_config(region).await)
    }

    /// CloudFront is global: its client signs for us-east-1.
    pub async fn cloudfront(&self) -> aws_sdk_cloudfront::Client {
        aws_sdk_cloudfront::Client::new(&self.sdk_config("us-east-1").await)
    }

    pub async fn acm(&self, region: &str) -> aws_sdk_acm::Client {
        aws_sdk_acm::Client::new(&self.sdk_config(region).await)
    }

    /// Route 53 is global: its client signs for us-east-1.
    pub async fn route53(&self) -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::new(&self.sdk_config("us-east-1").await)
    }

    /// Import the test certificate (tests/fixtures/tls) into ACM in `region`, as a user's
    /// existing certificate; its ARN.
    pub async fn import_test_certificate(&self, region: &str) -> String {
        let dir = repo_root().join("tests/fixtures/tls");
        let cert = std::fs::read(dir.join("cert.pem")).unwrap();
        let key = std::fs::read(dir.join("key.pem")).unwrap();
        self.acm(region)
            .await
            .import_certificate()
            .certificate(aws_sdk_acm::primitives::Blob::new(cert))
            .private_key(aws_sdk_acm::primitives::Blob::new(key))
            .send()
            .await
            .unwrap()
            .certificate_arn()
            .unwrap()
            .to_string()
    }

    /// Validate a requested ACM certificate as if ACM had found its DNS records (the launcher's
    /// test hook, patch 78): it turns ISSUED. The hook's answer, `{"validated":[ARN...]}`.
    pub fn issue_certificate(&self, arn: &str) -> String {
        self.http("POST", &format!("/_provision/acm/issue?arn={arn}"))
    }

    pub async fn tagging(&self, region: &str) -> aws_sdk_resourcegroupstagging::Client {
        aws_sdk_resourcegroupstagging::Client::new(&self.sdk_config(region).await)
    }

    /// Every object tagged `provision:stack = stack` in `regions`, as (ARN or id,
    /// provision:address). The Resource Groups Tagging API finds what it covers in the emulator
    /// (EC2, RDS, ElastiCache, MSK, KMS, SNS, CloudWatch, Secrets Manager); Elastic IPs, network
    /// ACLs, security-group rules and EKS clusters, which it does not list, are described
    /// directly. RDS snapshots carry their instance's tags and are left out. Routes, which take
    /// no tag, are counted by natural key: each route of a stack route table, as
    /// (`<table>|<destination>`, [`ROUTE`] + the same key). What AWS still lists after its
    /// deletion (a deleted NAT gateway or peering, a key or secret pending deletion) is gone.
    pub async fn tagged_objects(&self, stack: &str, regions: &[&str]) -> Vec<(String, String)> {
        use aws_sdk_resourcegroupstagging::types::TagFilter;
        const STACK: &str = "provision:stack";
        const ADDRESS: &str = "provision:address";
        let mut out = Vec::new();
        for region in regions {
            let start = out.len();
            let pages = self
                .tagging(region)
                .await
                .get_resources()
                .tag_filters(TagFilter::builder().key(STACK).values(stack).build())
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
                .await;
            for page in pages {
                for m in page.unwrap().resource_tag_mapping_list() {
                    let arn = m.resource_arn().unwrap_or_default().to_string();
                    if arn.contains(":snapshot:") {
                        continue;
                    }
                    let address = m
                        .tags()
                        .iter()
                        .find(|t| t.key() == ADDRESS)
                        .map(|t| t.value().to_string())
                        .unwrap_or_default();
                    out.push((arn, address));
                }
            }
            let eips = self
                .ec2(region)
                .await
                .describe_addresses()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name(format!("tag:{STACK}"))
                        .values(stack)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            for a in eips.addresses() {
                let address = a
                    .tags()
                    .iter()
                    .find(|t| t.key() == Some(ADDRESS))
                    .and_then(|t| t.value())
                    .unwrap_or_default();
                out.push((
                    a.allocation_id().unwrap_or_default().to_string(),
                    address.to_string(),
                ));
            }
            // Tagged EC2 objects the tagging API does not list: network ACLs and security-group
            // rules. Routes take no tags: each route in a stack route table (but the VPC's
            // `local` one) is counted by its natural key, `<route table>|<destination>`, which
            // is also its id, with the route table's address (the state must know each one).
            let ec2 = self.ec2(region).await;
            let stack_filter = aws_sdk_ec2::types::Filter::builder()
                .name(format!("tag:{STACK}"))
                .values(stack)
                .build();
            let address_of = |tags: &[aws_sdk_ec2::types::Tag]| {
                tags.iter()
                    .find(|t| t.key() == Some(ADDRESS))
                    .and_then(|t| t.value())
                    .unwrap_or_default()
                    .to_string()
            };
            let acls = ec2
                .describe_network_acls()
                .filters(stack_filter.clone())
                .send()
                .await
                .unwrap();
            for a in acls.network_acls() {
                out.push((
                    a.network_acl_id().unwrap_or_default().to_string(),
                    address_of(a.tags()),
                ));
            }
            let rules = ec2
                .describe_security_group_rules()
                .filters(stack_filter.clone())
                .send()
                .await
                .unwrap();
            for r in rules.security_group_rules() {
                out.push((
                    r.security_group_rule_id().unwrap_or_default().to_string(),
                    address_of(r.tags()),
                ));
            }
            let tables = ec2
                .describe_route_tables()
                .filters(stack_filter)
                .send()
                .await
                .unwrap();
            for t in tables.route_tables() {
                let rt = t.route_table_id().unwrap_or_default();
                for r in t.routes() {
                    let Some(cidr) = r.destination_cidr_block() else {
                        continue;
                    };
                    if r.gateway_id() == Some("local") {
                        continue;
                    }
                    out.push((format!("{rt}|{cidr}"), format!("{ROUTE}{rt}|{cidr}")));
                }
            }
            let eks = self.eks(region).await;
            for name in eks.list_clusters().send().await.unwrap().clusters() {
                let c = eks.describe_cluster().name(name).send().await.unwrap();
                let Some(c) = c.cluster() else { continue };
                let tags = c.tags().cloned().unwrap_or_default();
                if tags.get(STACK).map(String::as_str) != Some(stack) {
                    continue;
                }
                out.push((
                    c.arn().unwrap_or_default().to_string(),
                    tags.get(ADDRESS).cloned().unwrap_or_default(),
                ));
            }
            let gone = self.deleted(region, &out[start..]).await;
            let mut i = 0;
            out.retain(|(arn, _)| {
                let keep = i < start || !gone.contains(arn);
                i += 1;
                keep
            });
        }
        // Global objects (CloudFront, Route 53, the CLOUDFRONT web ACL) are listed from every
        // region: count each once.
        let mut seen = std::collections::HashSet::new();
        out.retain(|(arn, _)| seen.insert(arn.clone()));
        out
    }

    /// Of `objects` (ARN, address) in `region`, those that AWS still lists after their
    /// deletion: NAT gateways and peering connections in a final state, KMS keys pending
    /// deletion, secrets scheduled for deletion.
    async fn deleted(
        &self,
        region: &str,
        objects: &[(String, String)],
    ) -> std::collections::HashSet<String> {
        let mut gone = std::collections::HashSet::new();
        let ec2 = self.ec2(region).await;
        for (arn, _) in objects {
            let last = arn.rsplit('/').next().unwrap_or_default().to_string();
            let dead = if arn.contains(":natgateway/") {
                let out = ec2
                    .describe_nat_gateways()
                    .nat_gateway_ids(&last)
                    .send()
                    .await;
                out.ok().is_some_and(|o| {
                    o.nat_gateways().iter().all(|n| {
                        matches!(
                            n.state(),
                            Some(aws_sdk_ec2::types::NatGatewayState::Deleted)
                                | Some(aws_sdk_ec2::types::NatGatewayState::Deleting)
                        )
                    })
                })
            } else if arn.contains(":vpc-peering-connection/") {
                let out = ec2
                    .describe_vpc_peering_connections()
                    .vpc_peering_connection_ids(&last)
                    .send()
                    .await;
                out.ok().is_some_and(|o| {
                    o.vpc_peering_connections().iter().all(|c| {
                        matches!(
                            c.status().and_then(|s| s.code()).map(|c| c.as_str()),
                            Some("deleted" | "deleting" | "rejected" | "failed" | "expired")
                        )
                    })
                })
            } else if arn.contains(":kms:") {
                let out = self
                    .kms(region)
                    .await
                    .describe_key()
                    .key_id(arn)
                    .send()
                    .await;
                out.ok()
                    .and_then(|o| o.key_metadata().and_then(|m| m.key_state().cloned()))
                    == Some(aws_sdk_kms::types::KeyState::PendingDeletion)
            } else if arn.contains(":secretsmanager:") {
                let out = self
                    .secrets(region)
                    .await
                    .describe_secret()
                    .secret_id(arn)
                    .send()
                    .await;
                out.ok().is_some_and(|o| o.deleted_date().is_some())
            } else {
                false
            };
            if dead {
                gone.insert(arn.clone());
            }
        }
        gone
    }

    async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("scripts/emulator"))
            .arg("stop")
            .arg("--pidfile")
            .arg(self.dir.path().join("moto.pid"))
            .stdin(Stdio::null())
            .output();
    }
}

/// The `provision` binary with its own state directory, pointed at an endpoint.
pub struct Provision {
    endpoint: String,
    pub state_dir: TempDir,
}

/// What a run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Provision {
    pub fn new(endpoint: &str) -> Provision {
        Provision {
            endpoint: endpoint.to_string(),
            state_dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Point the following runs at another endpoint (the same state directory).
    pub fn set_endpoint(&mut self, endpoint: &str) {
        self.endpoint = endpoint.to_string();
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out: Output = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("run provision");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The binary with the harness's state directory, endpoint and test credentials.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(binary());
        c.arg("--state-dir")
            .arg(self.state_dir.path())
            .args(args)
            .current_dir(repo_root())
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        c
    }

    /// Start a run in the background (output discarded), to be killed by the test.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stderr(Stdio::null())
            .spawn()
            .expect("start provision")
    }

    /// Start a run in the background with its stderr written to `log`, to be signalled by
    /// the test.
    pub fn spawn_logged(&self, args: &[&str], log: &Path) -> std::process::Child {
        let err = std::fs::File::create(log).unwrap();
        self.command(args)
            .stderr(err)
            .spawn()
            .expect("start provision")
    }

    /// The directory of the state files.
    pub fn state_dir(&self) -> &Path {
        self.state_dir.path()
    }

    /// Run and insist on exit code 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "provision {args:?} failed: {r:?}");
        r
    }

    pub fn state(&self, stack: &str) -> provision_state::State {
        provision_state::read_state(self.state_dir.path(), stack)
            .unwrap()
            .expect("a state file")
    }

    /// address -> id of every recorded resource.
    pub fn ids(&self, stack: &str) -> std::collections::BTreeMap<String, String> {
        self.state(stack)
            .resources
            .iter()
            .map(|(a, r)| (a.to_string(), r.id.clone().unwrap_or_default()))
            .collect()
    }
}

/// The address column of a route in [`Emulator::tagged_objects`]: routes carry no tag, so this
/// prefix + their natural key stands for the `ec2.route` resource whose id that key is.
pub const ROUTE: &str = "ec2.route ";

/// Each object tagged for `stack` in `regions` (see [`Emulator::tagged_objects`]): exactly one
/// per address, and known to the state by its id or ARN. Nothing duplicated, nothing orphaned.
/// A route is known when an `ec2.route` of the state has its natural key as id.
pub fn assert_one_object_per_address(
    emu: &Emulator,
    p: &Provision,
    stack: &str,
    regions: &[&str],
    context: &str,
) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let objects = rt.block_on(emu.tagged_objects(stack, regions));
    assert!(!objects.is_empty(), "{context}: no tagged object at all");
    let state = p.state(stack);
    let mut per_address: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (arn, address) in &objects {
        per_address.entry(address).or_default().push(arn);
    }
    for (address, arns) in &per_address {
        assert!(!address.is_empty(), "{context}: untagged objects {arns:?}");
        assert_eq!(
            arns.len(),
            1,
            "{context}: {address} exists {} times: {arns:?}",
            arns.len()
        );
    }
    for (arn, address) in &objects {
        if let Some(key) = address.strip_prefix(ROUTE) {
            assert!(
                state
                    .resources
                    .iter()
                    .any(|(a, r)| a.kind() == "ec2.route" && r.id.as_deref() == Some(key)),
                "{context}: route {key} is an orphan: no ec2.route of the state has it"
            );
            continue;
        }
        let known = state.resources.iter().any(|(a, r)| {
            a.to_string() == *address
                && (r.arn.as_deref() == Some(arn)
                    || r.id.as_deref().is_some_and(|id| {
                        arn == id
                            || arn.ends_with(&format!("/{id}"))
                            || arn.ends_with(&format!(":{id}"))
                    }))
        });
        assert!(
            known,
            "{context}: {arn} ({address}) is an orphan: the state does not know it"
        );
    }
}

/// A copy of a spec under `dir`, with `edits` (from, to) applied to its text.
pub fn edited_spec(dir: &Path, from: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(repo_root().join(from)).unwrap();
    for (a, b) in edits {
        assert!(text.contains(a), "{from} does not contain {a:?}");
        text = text.replacen(a, b, 1);
    }
    let path = dir.join(Path::new(from).file_name().unwrap());
    std::fs::write(&path, text).unwrap();
    path
}

pub const PROD: &str = "specs/prod.yaml";
pub const DEV: &str = "specs/dev.yaml";
pub const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-1"];

/// specs/dev.yaml up to its network (stack, tags, regions, network: everything before its `eks`
/// section), for tests whose time should go to their own resources rather than to EKS, RDS,
/// ElastiCache and MSK. Ends with a newline, so sections can be appended.
pub fn dev_network() -> String {
    let dev = std::fs::read_to_string(repo_root().join(DEV)).unwrap();
    let (network, _) = dev
        .split_once("\neks:")
        .expect("specs/dev.yaml has an `eks` section after its network");
    format!("{network}\n")
}

/// Nothing of an edge is left: no hosted zone, health check, distribution or CLOUDFRONT web ACL,
/// and in each region no load balancer, REGIONAL web ACL, alarm or certificate.
pub async fn assert_no_edge_left(emu: &Emulator, regions: &[&str]) {
    let r53 = emu.route53().await;
    let zones = r53.list_hosted_zones().send().await.unwrap();
    assert!(zones.hosted_zones().is_empty(), "zones left: {zones:?}");
    let checks = r53.list_health_checks().send().await.unwrap();
    assert!(checks.health_checks().is_empty(), "health checks left");
    let dists = emu
        .cloudfront()
        .await
        .list_distributions()
        .send()
        .await
        .unwrap();
    assert!(
        dists
            .distribution_list()
            .is_none_or(|l| l.items().is_empty()),
        "distributions left"
    );
    for (region, scope) in std::iter::once(("us-east-1", aws_sdk_wafv2::types::Scope::Cloudfront))
        .chain(
            regions
                .iter()
                .map(|r| (*r, aws_sdk_wafv2::types::Scope::Regional)),
        )
    {
        let acls = emu
            .wafv2(region)
            .await
            .list_web_acls()
            .scope(scope.clone())
            .send()
            .await
            .unwrap();
        assert!(
            acls.web_acls().is_empty(),
            "{scope:?} web ACLs left in {region}"
        );
    }
    for region in regions {
        let lbs = emu
            .elbv2(region)
            .await
            .describe_load_balancers()
            .send()
            .await
            .unwrap();
        assert!(
            lbs.load_balancers().is_empty(),
            "load balancers left in {region}"
        );
        let alarms = emu
            .cloudwatch(region)
            .await
            .describe_alarms()
            .send()
            .await
            .unwrap();
        assert!(alarms.metric_alarms().is_empty(), "alarms left in {region}");
        let certs = emu
            .acm(region)
            .await
            .list_certificates()
            .send()
            .await
            .unwrap();
        assert!(
            certs.certificate_summary_list().is_empty(),
            "certificates left in {region}"
        );
    }
}

/// The EC2 filter on the provision:stack tag.
pub fn stack_filter(stack: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name("tag:provision:stack")
        .values(stack)
        .build()
}

/// How many EC2 objects tagged for `stack` live in `region`, per kind (NAT gateways that are
/// deleted, which AWS lists for a while, are not counted).
pub async fn census(emu: &Emulator, region: &str, stack: &str) -> Vec<(&'static str, usize)> {
    let c = emu.ec2(region).await;
    let f = || stack_filter(stack);
    let nats = c.describe_nat_gateways().filter(f()).send().await.unwrap();
    let live_nats = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.state() != Some(&aws_sdk_ec2::types::NatGatewayState::Deleted))
        .count();
    vec![
        (
            "vpc",
            c.describe_vpcs()
                .filters(f())
                .send()
                .await
                .unwrap()
                .vpcs()
                .len(),
        ),
        (
            "subnet",
            c.describe_subnets()
                .filters(f())
                .send()
                .await
                .unwrap()
                .subnets()
                .len(),
        ),
        (
            "igw",
            c.describe_internet_gateways()
                .filters(f())
                .send()
                .await
                .unwrap()
                .internet_gateways()
                .len(),
        ),
        (
            "eip",
            c.describe_addresses()
                .filters(f())
                .send()
                .await
                .unwrap()
                .addresses()
                .len(),
        ),
        ("nat", live_nats),
        (
            "route_table",
            c.describe_route_tables()
                .filters(f())
                .send()
                .await
                .unwrap()
                .route_tables()
                .len(),
        ),
        (
            "security_group",
            c.describe_security_groups()
                .filters(f())
                .send()
                .await
                .unwrap()
                .security_groups()
                .len(),
        ),
        (
            "security_group_rule",
            c.describe_security_group_rules()
                .filters(f())
                .send()
                .await
                .unwrap()
                .security_group_rules()
                .len(),
        ),
        (
            "network_acl",
            c.describe_network_acls()
                .filters(f())
                .send()
                .await
                .unwrap()
                .network_acls()
                .len(),
        ),
    ]
}

/// The sum of a [`census`].
pub fn total(c: &[(&str, usize)]) -> usize {
    c.iter().map(|(_, n)| n).sum()
}

/// A database instance as DescribeDBInstances answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbInstance {
    pub arn: String,
    /// The ARN (or identifier) of the instance it replicates, for a read replica.
    pub source: Option<String>,
    pub backup_retention: i32,
    pub deletion_protection: bool,
}

/// The instance `identifier` in `region`, if there is one.
pub async fn db_instance(emu: &Emulator, region: &str, identifier: &str) -> Option<DbInstance> {
    let out = emu
        .rds(region)
        .await
        .describe_db_instances()
        .send()
        .await
        .unwrap();
    out.db_instances()
        .iter()
        .find(|d| d.db_instance_identifier() == Some(identifier))
        .map(|d| DbInstance {
            arn: d.db_instance_arn().unwrap().to_string(),
            source: d
                .read_replica_source_db_instance_identifier()
                .map(str::to_string),
            backup_retention: d.backup_retention_period().unwrap_or_default(),
            deletion_protection: d.deletion_protection().unwrap_or_default(),
        })
}

//! The VPC peering mesh of prod: every pair of regions peered, with DNS resolution, routes in
//! every private route table and rules scoped to the peers' CIDRs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_ec2::types::Filter;
use provision_tests::*;

/// The regions in the engine's order: the primary first, then by name.
const CIDRS: [(&str, &str); 3] = [
    ("ap-southeast-1", "10.2.0.0/16"),
    ("eu-west-1", "10.1.0.0/16"),
    ("us-east-1", "10.0.0.0/16"),
];

#[tokio::test(flavor = "multi_thread")]
async fn prod_peers_every_pair_of_regions() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", PROD, "--yes"]);
    let ids = p.ids("pyairtable-prod");

    for (i, (a, _)) in CIDRS.iter().enumerate() {
        for (b, _) in &CIDRS[i + 1..] {
            // Requested by the region first by name, accepted by the other.
            let pcx = &ids[&format!("{a}/ec2.vpc_peering_connection/{b}")];
            assert_eq!(&ids[&format!("{b}/ec2.vpc_peering_accepter/{a}")], pcx);
            for (region, requester) in [(a, true), (b, false)] {
                let out = emu
                    .ec2(region)
                    .await
                    .describe_vpc_peering_connections()
                    .vpc_peering_connection_ids(pcx)
                    .send()
                    .await
                    .unwrap();
                let c = &out.vpc_peering_connections()[0];
                assert_eq!(
                    c.status().and_then(|s| s.code()).map(|c| c.as_str()),
                    Some("active"),
                    "{pcx} seen from {region}"
                );
                let req = c.requester_vpc_info().unwrap();
                let acc = c.accepter_vpc_info().unwrap();
                assert_eq!(
                    req.vpc_id(),
                    Some(ids[&format!("{a}/ec2.vpc/main")].as_str())
                );
                assert_eq!(
                    acc.vpc_id(),
                    Some(ids[&format!("{b}/ec2.vpc/main")].as_str())
                );
                // Each side resolves the other's private DNS names.
                let side = if requester { req } else { acc };
                assert_eq!(
                    side.peering_options()
                        .and_then(|o| o.allow_dns_resolution_from_remote_vpc()),
                    Some(true),
                    "{pcx}: DNS on the {} side",
                    if requester { "requester" } else { "accepter" }
                );
            }
        }
    }

    // Every private route table reaches every peer CIDR through its peering.
    for (region, _) in CIDRS {
        let tables = emu
            .ec2(region)
            .await
            .describe_route_tables()
            .filters(
                Filter::builder()
                    .name("vpc-id")
                    .values(&ids[&format!("{region}/ec2.vpc/main")])
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let private: Vec<_> = tables
            .route_tables()
            .iter()
            .filter(|t| {
                t.tags().iter().any(|tag| {
                    tag.key() == Some("Name") && tag.value().unwrap().contains("private")
                })
            })
            .collect();
        assert_eq!(private.len(), 3, "{region}");
        for t in private {
            for (peer, cidr) in CIDRS.iter().filter(|(r, _)| *r != region) {
                let pcx = ids
                    .get(&format!("{region}/ec2.vpc_peering_connection/{peer}"))
                    .or_else(|| ids.get(&format!("{region}/ec2.vpc_peering_accepter/{peer}")))
                    .unwrap();
                assert!(
                    t.routes()
                        .iter()
                        .any(|r| r.destination_cidr_block() == Some(cidr)
                            && r.vpc_peering_connection_id() == Some(pcx.as_str())),
                    "{region}: {:?} has no route to {peer}",
                    t.route_table_id()
                );
            }
        }
    }

    // The database and Kafka of the primary region admit their replicas and mirrors, by CIDR
    // and port only.
    let rules = emu
        .ec2("us-east-1")
        .await
        .describe_security_group_rules()
        .filters(
            Filter::builder()
                .name("group-id")
                .values(&ids["us-east-1/ec2.security_group/database"])
                .values(&ids["us-east-1/ec2.security_group/kafka"])
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut by_cidr: Vec<(String, i32, i32)> = rules
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .filter_map(|r| Some((r.cidr_ipv4()?.to_string(), r.from_port()?, r.to_port()?)))
        .collect();
    by_cidr.sort();
    assert_eq!(
        by_cidr,
        [
            ("10.1.0.0/16".to_string(), 5432, 5432),
            ("10.1.0.0/16".to_string(), 9092, 9098),
            ("10.2.0.0/16".to_string(), 5432, 5432),
            ("10.2.0.0/16".to_string(), 9092, 9098),
        ]
    );
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);
}

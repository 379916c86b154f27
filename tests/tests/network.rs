//! The network of three regions: up, no-op, in-place update, replacement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;

#[test]
fn prod_network_up_is_idempotent_updates_in_place_and_plans_replacements() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);

    let up = p.ok(&["up", PROD, "--yes"]);
    assert!(
        up.stdout
            .contains("Plan: 277 to add, 0 to change, 0 to destroy."),
        "{up:?}"
    );
    assert!(up.stderr.contains("Apply complete: 277 created"), "{up:?}");
    let ids = p.ids("pyairtable-prod");
    assert_eq!(ids.len(), 277);
    for r in REGIONS {
        assert!(ids.contains_key(&format!("{r}/ec2.vpc/main")));
        assert_eq!(
            ids.keys()
                .filter(|a| a.starts_with(&format!("{r}/ec2.nat_gateway/")))
                .count(),
            3
        );
    }

    // An immediate diff, with the spec recorded in the state, has nothing to do.
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    assert!(diff.stdout.contains("No changes."), "{diff:?}");

    // A second up reads, and changes nothing.
    emu.reset_calls();
    p.ok(&["up", PROD, "--yes"]);
    let calls = emu.calls();
    assert!(!calls.is_empty(), "the second up refreshed nothing");
    let mutating: Vec<_> = calls.iter().filter(|c| c.is_mutating()).collect();
    assert!(
        mutating.is_empty(),
        "a no-op up made mutating calls: {mutating:?}"
    );

    // A mutable field (a tag of every resource) is an in-place update, ids unchanged.
    let dir = tempfile::tempdir().unwrap();
    let tagged = edited_spec(
        dir.path(),
        PROD,
        &[("CostCenter: platform", "CostCenter: platform\n  Owner: sre")],
    );
    let tagged = tagged.to_str().unwrap();
    let diff = p.run(&["diff", tagged, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(!diff.stdout.contains("must be replaced"), "{diff:?}");
    assert!(diff.stdout.contains("+ tags.Owner = \"sre\""), "{diff:?}");
    assert!(
        diff.stdout.contains("to add") && diff.stdout.contains("0 to add"),
        "{diff:?}"
    );
    assert!(diff.stdout.contains("0 to destroy."), "{diff:?}");
    p.ok(&["up", tagged, "--yes"]);
    assert_eq!(
        p.ids("pyairtable-prod"),
        ids,
        "an in-place update changed ids"
    );
    let diff = p.run(&["diff", tagged, "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");

    // A VPC CIDR is a replacement, with the reason.
    let moved = edited_spec(dir.path(), PROD, &[("10.2.0.0/16", "10.7.0.0/16")]);
    let diff = p.run(&["diff", moved.to_str().unwrap(), "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout
            .contains("ap-southeast-1/ec2.vpc/main must be replaced"),
        "{diff:?}"
    );
    assert!(
        diff.stdout.contains("# cidr_block forces replacement"),
        "{diff:?}"
    );
    assert!(
        !diff.stdout.contains("us-east-1/ec2.vpc/main must"),
        "{diff:?}"
    );
}

#[test]
fn a_replacement_applies_and_converges() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    let before = p.ids("pyairtable-dev");
    let dir = tempfile::tempdir().unwrap();
    let moved = edited_spec(dir.path(), DEV, &[("10.12.0.0/16", "10.17.0.0/16")]);
    let moved = moved.to_str().unwrap();
    let up = p.ok(&["up", moved, "--yes"]);
    assert!(up.stderr.contains("Apply complete"), "{up:?}");
    let after = p.ids("pyairtable-dev");
    assert_ne!(
        before["ap-southeast-1/ec2.vpc/main"],
        after["ap-southeast-1/ec2.vpc/main"]
    );
    assert_eq!(
        before["us-east-1/ec2.vpc/main"],
        after["us-east-1/ec2.vpc/main"]
    );
    let diff = p.run(&["diff", moved, "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    assert!(
        p.state("pyairtable-dev")
            .resources
            .values()
            .all(|r| r.deposed.is_empty()),
        "superseded objects left behind"
    );
}

/// A resource declared directly in the spec's `resources` section: created with references
/// resolved, updated in place (exactly that resource) when its mutable field changes.
#[test]
fn a_declared_security_group_rule_updates_in_place_alone() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let extra = |description: &str| {
        format!(
            "\nresources:\n  us-east-1/ec2.security_group_rule/office-vpn-https:\n    properties:\n      \
             security_group_id: ${{us-east-1/ec2.security_group/eks-control-plane#id}}\n      \
             direction: ingress\n      ip_protocol: tcp\n      from_port: 443\n      to_port: 443\n      \
             cidr_ipv4: 10.100.0.0/16\n      description: {description}\n"
        )
    };
    let spec = dir.path().join("dev.yaml");
    let base = std::fs::read_to_string(repo_root().join(DEV)).unwrap();
    std::fs::write(&spec, format!("{base}{}", extra("Office VPN"))).unwrap();
    let spec = spec.to_str().unwrap().to_string();
    let up = p.ok(&["up", &spec, "--yes"]);
    assert!(
        up.stdout
            .contains("+ us-east-1/ec2.security_group_rule/office-vpn-https will be created"),
        "{up:?}"
    );
    let ids = p.ids("pyairtable-dev");
    let rule = &p.state("pyairtable-dev").resources
        [&"us-east-1/ec2.security_group_rule/office-vpn-https"
            .parse()
            .unwrap()];
    assert_eq!(rule.observed["cidr_ipv4"], "10.100.0.0/16");
    assert_eq!(
        rule.observed["tags"]["Project"], "pyairtable",
        "the spec's tags are applied"
    );

    std::fs::write(&spec, format!("{base}{}", extra("Office VPN (Berlin)"))).unwrap();
    let diff = p.run(&["diff", &spec, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout.contains(
            "~ us-east-1/ec2.security_group_rule/office-vpn-https will be updated in place"
        ),
        "{diff:?}"
    );
    assert!(
        diff.stdout
            .contains("~ description = \"Office VPN\" -> \"Office VPN (Berlin)\""),
        "{diff:?}"
    );
    assert!(
        diff.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{diff:?}"
    );
    p.ok(&["up", &spec, "--yes"]);
    assert_eq!(p.ids("pyairtable-dev"), ids, "ids changed");
    assert_eq!(p.run(&["diff", &spec, "--detailed-exitcode"]).code, 0);
}

#!/usr/bin/env python3
"""Probe of the emulator's cross-region VPC peering: docs/emulator-notes.md, patches 51-57.

Builds a full mesh of VPC peerings across us-east-1, eu-west-1 and ap-southeast-1 the way
the engine does (create in the requester region, accept in the accepter region, DNS
options on each side in its own region, routes on both sides, delete), and asserts what
docs/emulator-notes.md says about each step. Prints one OK line per check; exits non-zero
at the first failure. Each run uses a fresh account (x-moto-account-id), so runs don't
collide.

  eval "$(scripts/emulator start --pidfile /tmp/pcx.pid --port 0)"
  .venv/bin/python scripts/probe_peering.py

  PROVISION_EMULATOR_LIFECYCLE=2 scripts/emulator start --pidfile /tmp/pcx-life.pid --port 0
  .venv/bin/python scripts/probe_peering.py --lifecycle 2    # the server's N: checks transitions

The endpoint comes from AWS_ENDPOINT_URL.
"""

import argparse
import os
import random
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGIONS = {"us-east-1": "10.0.0.0/16", "eu-west-1": "10.1.0.0/16",
           "ap-southeast-1": "10.2.0.0/16"}
STACK = "probe-mesh"
NOT_FOUND = "InvalidVpcPeeringConnectionID.NotFound"

LIFE = 0  # describes per transition (--lifecycle)


def ok(message):
    print(f"OK   {message}", flush=True)


def fail(message):
    print(f"FAIL {message}", flush=True)
    sys.exit(1)


def check(condition, message, detail=None):
    if not condition:
        fail(f"{message}" + (f": {detail!r}" if detail is not None else ""))
    ok(message)


def expect_error(call, code, message):
    try:
        call()
    except ClientError as e:
        got = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        check(got == (code, 400), f"{message} -> {code}", got)
        return
    fail(f"{message}: no error, expected {code}")


def clients(account):
    config = Config(retries={"max_attempts": 1})

    def with_account(request, **_):
        request.headers["x-moto-account-id"] = account

    made = {}
    for region in REGIONS:
        client = boto3.client("ec2", region_name=region, config=config,
                              endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        client.meta.events.register("before-sign", with_account)
        made[region] = client
    return made


def describe(ec2, pcx):
    return ec2.describe_vpc_peering_connections(
        VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]


def code(c):
    return c["Status"]["Code"]


def tags(c):
    return {t["Key"]: t["Value"] for t in c.get("Tags", [])}


def by_stack(ec2, stack=STACK, **extra):
    filters = [{"Name": "tag:provision:stack", "Values": [stack]}]
    filters += [{"Name": k, "Values": v} for k, v in extra.items()]
    return {c["VpcPeeringConnectionId"]: c for c in ec2.describe_vpc_peering_connections(
        Filters=filters)["VpcPeeringConnections"]}


def transition(ec2, pcx, during, end, what, seen=0):
    """Lifecycle off: `end` at once. On: `during` for LIFE describes (`seen` of them done
    already, in either region), then `end`."""
    for i in range(seen, LIFE):
        state = code(describe(ec2, pcx))
        check(state == during, f"{what}: describe {i + 1}/{LIFE} shows {during}", state)
    result = describe(ec2, pcx)
    check(code(result) == end, f"{what}: then {end}", code(result))
    return result


def network(c, account):
    nets = {}
    for region, cidr in REGIONS.items():
        ec2 = c[region]
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        check(vpc in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]],
              f"ec2 {region}: VPC {cidr} and a private route table made, describe_vpcs lists it")
        nets[region] = (vpc, cidr, table)
    return nets


def info_of(net, region, account):
    vpc, cidr, _ = net
    return {"VpcId": vpc, "CidrBlock": cidr, "Region": region, "OwnerId": account}


def probe_request(c, nets, account, req, acc):
    """Steps 1-2: the request, seen from both regions; per-region tags. Returns the id."""
    what = f"{req} -> {acc}"
    name = f"{req}-{acc}"
    made = c[req].create_vpc_peering_connection(
        VpcId=nets[req][0], PeerVpcId=nets[acc][0], PeerRegion=acc,
        TagSpecifications=[{"ResourceType": "vpc-peering-connection", "Tags": [
            {"Key": "provision:stack", "Value": STACK}, {"Key": "Name", "Value": name}]}],
    )["VpcPeeringConnection"]
    pcx = made["VpcPeeringConnectionId"]
    check(pcx.startswith("pcx-") and code(made) == "initiating-request",
          f"{what}: CreateVpcPeeringConnection answers {pcx}, initiating-request", made["Status"])
    for key, region in (("RequesterVpcInfo", req), ("AccepterVpcInfo", acc)):
        got = {k: made[key].get(k) for k in ("VpcId", "CidrBlock", "Region", "OwnerId")}
        check(got == info_of(nets[region], region, account),
              f"{what}: create answer's {key}: VpcId, CidrBlock, Region, OwnerId", got)
    check(tags(made) == {"provision:stack": STACK, "Name": name},
          f"{what}: create answer carries the TagSpecifications tags", made.get("Tags"))

    seen = 0
    if LIFE:
        expect_error(lambda: describe(c[acc], pcx), NOT_FOUND,
                     f"{what}: initiating-request: the accepter region doesn't see it yet")
        seen = 1
        expect_error(lambda: c[acc].accept_vpc_peering_connection(VpcPeeringConnectionId=pcx),
                     NOT_FOUND, f"{what}: initiating-request: AcceptVpcPeeringConnection")
    transition(c[req], pcx, "initiating-request", "pending-acceptance", what, seen)

    mine, theirs = describe(c[req], pcx), describe(c[acc], pcx)
    check(code(theirs) == "pending-acceptance" and theirs["VpcPeeringConnectionId"] == pcx,
          f"{what}: the accepter region describes the same id, pending-acceptance")
    for key in ("RequesterVpcInfo", "AccepterVpcInfo"):
        strip = lambda i: {k: v for k, v in i.items() if k != "PeeringOptions"}  # noqa: E731
        check(strip(mine[key]) == strip(theirs[key]),
              f"{what}: both regions show the same {key}", (mine[key], theirs[key]))
    check(tags(mine) == {"provision:stack": STACK, "Name": name},
          f"{what}: requester region: the create tags", mine.get("Tags"))
    check(tags(theirs) == {}, f"{what}: accepter region: no tags (tags are per region)",
          theirs.get("Tags"))
    check(pcx in by_stack(c[req]), f"{what}: requester region: tag:provision:stack finds it")
    check(pcx not in by_stack(c[acc]), f"{what}: accepter region: tag:provision:stack doesn't")

    c[acc].create_tags(Resources=[pcx], Tags=[
        {"Key": "provision:stack", "Value": STACK}, {"Key": "Name", "Value": name},
        {"Key": "provision:side", "Value": "accepter"}])
    check(tags(describe(c[acc], pcx)).get("provision:side") == "accepter" and pcx in by_stack(
        c[acc]), f"{what}: CreateTags in the accepter region: its describe and filter show them")
    check("provision:side" not in tags(describe(c[req], pcx)),
          f"{what}: ... and the requester region's tags are unchanged")
    listed = c[acc].describe_tags(Filters=[{"Name": "resource-id", "Values": [pcx]}])["Tags"]
    check({t["Key"] for t in listed} == {"provision:stack", "Name", "provision:side"}
          and {t["ResourceType"] for t in listed} == {"vpc-peering-connection"},
          f"{what}: DescribeTags in the accepter region lists them", listed)
    return pcx


def probe_accept(c, req, acc, pcx):
    """Steps 3-4: accept in the accepter region; DNS options, each side in its region."""
    what = f"{req} -> {acc}"
    expect_error(lambda: c[req].accept_vpc_peering_connection(VpcPeeringConnectionId=pcx),
                 "OperationNotPermitted", f"{what}: AcceptVpcPeeringConnection in the requester region")
    dns = {"AllowDnsResolutionFromRemoteVpc": True}
    expect_error(lambda: c[req].modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=dns),
        "OperationNotPermitted", f"{what}: ModifyVpcPeeringConnectionOptions while pending-acceptance")
    accepted = c[acc].accept_vpc_peering_connection(
        VpcPeeringConnectionId=pcx)["VpcPeeringConnection"]
    first = "provisioning" if LIFE else "active"
    check(code(accepted) == first and accepted["VpcPeeringConnectionId"] == pcx,
          f"{what}: AcceptVpcPeeringConnection in the accepter region answers {first}",
          accepted["Status"])
    check(tags(accepted).get("provision:side") == "accepter",
          f"{what}: the accept answer shows the accepter region's tags", accepted.get("Tags"))
    if LIFE:
        expect_error(lambda: c[req].modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=dns),
            "OperationNotPermitted", f"{what}: ModifyVpcPeeringConnectionOptions while provisioning")
    transition(c[acc], pcx, "provisioning", "active", f"{what} accepted")
    check(code(describe(c[req], pcx)) == "active", f"{what}: the requester region shows active")
    expect_error(lambda: c[acc].accept_vpc_peering_connection(VpcPeeringConnectionId=pcx),
                 "InvalidStateTransition", f"{what}: AcceptVpcPeeringConnection again")

    expect_error(lambda: c[req].modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions=dns),
        "OperationNotPermitted", f"{what}: accepter options modified in the requester region")
    expect_error(lambda: c[acc].modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=dns),
        "OperationNotPermitted", f"{what}: requester options modified in the accepter region")
    answer = c[req].modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=dns)
    check(answer.get("RequesterPeeringConnectionOptions", {}).get(
        "AllowDnsResolutionFromRemoteVpc") is True and "AccepterPeeringConnectionOptions" not in answer,
        f"{what}: requester DNS option set in the requester region; answer has that side only",
        answer)
    answer = c[acc].modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions=dns)
    check(answer.get("AccepterPeeringConnectionOptions", {}).get(
        "AllowDnsResolutionFromRemoteVpc") is True and "RequesterPeeringConnectionOptions" not in answer,
        f"{what}: accepter DNS option set in the accepter region; answer has that side only",
        answer)
    for region in (req, acc):
        seen = describe(c[region], pcx)
        check(seen["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"]
              and seen["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"],
              f"{what}: {region} describes both sides' AllowDnsResolutionFromRemoteVpc true")


def probe_routes(c, nets, req, acc, pcx):
    """Step 5: a route to the peer's CIDR on both sides."""
    what = f"{req} -> {acc}"
    for here, there in ((req, acc), (acc, req)):
        ec2, table, peer_cidr = c[here], nets[here][2], nets[there][1]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock=peer_cidr,
                         VpcPeeringConnectionId=pcx)
        routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
        route = [r for r in routes if r["DestinationCidrBlock"] == peer_cidr]
        check(route and route[0].get("VpcPeeringConnectionId") == pcx
              and route[0]["State"] == "active" and route[0]["Origin"] == "CreateRoute",
              f"{what}: {here}: CreateRoute {peer_cidr} -> {pcx}, active", route)
        found = ec2.describe_route_tables(Filters=[
            {"Name": "route.vpc-peering-connection-id", "Values": [pcx]}])["RouteTables"]
        check([t["RouteTableId"] for t in found] == [table],
              f"{what}: {here}: filter route.vpc-peering-connection-id finds the table")
        expect_error(lambda: ec2.create_route(RouteTableId=table, DestinationCidrBlock=peer_cidr,
                                              VpcPeeringConnectionId=pcx),
                     "RouteAlreadyExists", f"{what}: {here}: the same CreateRoute again")
        ec2.replace_route(RouteTableId=table, DestinationCidrBlock=peer_cidr,
                          VpcPeeringConnectionId=pcx)
        ok(f"{what}: {here}: ReplaceRoute to the same connection")


def probe_failed(c, nets, req, acc):
    """An unknown PeerVpcId, and overlapping CIDRs: the request is made, then fails."""
    unknown = "vpc-0123456789abcdef0"
    overlap = c[acc].create_vpc(CidrBlock="10.0.128.0/17")["Vpc"]["VpcId"]  # inside 10.0/16
    cases = ((unknown, "an unknown PeerVpcId"), (overlap, f"overlapping CIDRs ({acc} 10.0.128.0/17)"))
    for peer, what in cases:
        made = c[req].create_vpc_peering_connection(
            VpcId=nets[req][0], PeerVpcId=peer, PeerRegion=acc,
            TagSpecifications=[{"ResourceType": "vpc-peering-connection", "Tags": [
                {"Key": "provision:stack", "Value": "probe-failed"}]}])["VpcPeeringConnection"]
        pcx = made["VpcPeeringConnectionId"]
        check(code(made) == "initiating-request" and made["AccepterVpcInfo"]["VpcId"] == peer,
              f"{what}: CreateVpcPeeringConnection answers initiating-request", made["Status"])
        failed = transition(c[req], pcx, "initiating-request", "failed", what)
        check("overlapping CIDR" in failed["Status"]["Message"],
              f"{what}: Status.Message says why", failed["Status"])
        check(pcx in by_stack(c[req], "probe-failed", **{"status-code": ["failed"]})
              and pcx not in by_stack(c[req], "probe-failed", **{"status-code": ["active"]}),
              f"{what}: tag and status-code filters find it (failed, not active)")
        expect_error(lambda: describe(c[acc], pcx), NOT_FOUND,
                     f"{what}: the peer region doesn't see it")
        expect_error(lambda: c[req].delete_vpc_peering_connection(VpcPeeringConnectionId=pcx),
                     "InvalidStateTransition", f"{what}: DeleteVpcPeeringConnection of a failed one")
    expect_error(lambda: c[req].create_vpc_peering_connection(
        VpcId=unknown, PeerVpcId=nets[acc][0], PeerRegion=acc),
        "InvalidVpcID.NotFound", "CreateVpcPeeringConnection with an unknown VpcId (own region)")


def probe_describe(c, mesh):
    """Step 2 again, for the whole mesh: filters, ids, errors."""
    for region in REGIONS:
        mine = {p for p, (req, acc) in mesh.items() if region in (req, acc)}
        check(set(by_stack(c[region])) == mine,
              f"{region}: tag:provision:stack finds its {len(mine)} connections (its tags)")
        check(set(by_stack(c[region], **{"status-code": ["active"]})) == mine,
              f"{region}: ... all active (status-code filter)")
        check(by_stack(c[region], "someone-else") == {},
              f"{region}: another stack's tag value finds none")
        listed = c[region].describe_vpc_peering_connections(
            VpcPeeringConnectionIds=sorted(mine))["VpcPeeringConnections"]
        check({p["VpcPeeringConnectionId"] for p in listed} == mine,
              f"{region}: VpcPeeringConnectionIds=[its connections] lists them")
        for pcx in mine:
            req, acc = mesh[pcx]
            got = c[region].describe_vpc_peering_connections(Filters=[
                {"Name": "requester-vpc-info.cidr-block", "Values": [REGIONS[req]]},
                {"Name": "accepter-vpc-info.cidr-block", "Values": [REGIONS[acc]]},
            ])["VpcPeeringConnections"]
            check([p["VpcPeeringConnectionId"] for p in got] == [pcx],
                  f"{region}: requester/accepter-vpc-info.cidr-block filters find {req} -> {acc}")
        outside = [p for p, pair in mesh.items() if region not in pair]
        for pcx in outside:
            expect_error(lambda: describe(c[region], pcx), NOT_FOUND,
                         f"{region}: a connection between two other regions")
    ec2 = c["us-east-1"]
    expect_error(lambda: describe(ec2, "pcx-0123456789abcdef0"), NOT_FOUND,
                 "DescribeVpcPeeringConnections of an unknown id")
    expect_error(lambda: ec2.describe_vpc_peering_connections(
        Filters=[{"Name": "no-such-filter", "Values": ["x"]}]),
        "InvalidParameterValue", "DescribeVpcPeeringConnections with an unknown filter name")
    expect_error(lambda: ec2.accept_vpc_peering_connection(
        VpcPeeringConnectionId="pcx-0123456789abcdef0"), NOT_FOUND,
        "AcceptVpcPeeringConnection of an unknown id")
    expect_error(lambda: ec2.create_route(
        RouteTableId=ec2.describe_route_tables()["RouteTables"][0]["RouteTableId"],
        DestinationCidrBlock="10.9.0.0/16", VpcPeeringConnectionId="pcx-0123456789abcdef0"),
        NOT_FOUND, "CreateRoute to an unknown connection")


def probe_delete(c, nets, mesh):
    """Step 6: delete from either region; deleted in both; routes removed."""
    for i, (pcx, (req, acc)) in enumerate(mesh.items()):
        what = f"{req} -> {acc}"
        where = acc if i % 2 == 0 else req
        check(c[where].delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)["Return"],
              f"{what}: DeleteVpcPeeringConnection in {where} answers true")
        if LIFE:
            expect_error(lambda: c[where].delete_vpc_peering_connection(
                VpcPeeringConnectionId=pcx), "InvalidStateTransition", f"{what}: delete while deleting")
        gone = transition(c[where], pcx, "deleting", "deleted", f"{what} deleted")
        check(gone["Status"]["Message"].startswith("Deleted by"),
              f"{what}: Status.Message 'Deleted by <account>'", gone["Status"])
        other = req if where == acc else acc
        check(code(describe(c[other], pcx)) == "deleted",
              f"{what}: {other} describes it deleted too (still listed)")
        check(pcx in by_stack(c[req], **{"status-code": ["deleted"]}),
              f"{what}: the stack's tag filter still lists it, status-code deleted")
        expect_error(lambda: c[where].delete_vpc_peering_connection(VpcPeeringConnectionId=pcx),
                     "InvalidStateTransition", f"{what}: DeleteVpcPeeringConnection again")
        expect_error(lambda: c[req].modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=pcx,
            RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": False}),
            "OperationNotPermitted", f"{what}: ModifyVpcPeeringConnectionOptions of a deleted one")
        for here, there in ((req, acc), (acc, req)):
            c[here].delete_route(RouteTableId=nets[here][2], DestinationCidrBlock=REGIONS[there])
            routes = c[here].describe_route_tables(RouteTableIds=[nets[here][2]])[
                "RouteTables"][0]["Routes"]
            check(all(r.get("VpcPeeringConnectionId") != pcx for r in routes),
                  f"{what}: {here}: DeleteRoute removes the route to it")


def main():
    global LIFE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycle", type=int, default=0, metavar="N",
                        help="the server's PROVISION_EMULATOR_LIFECYCLE (0: off)")
    LIFE = parser.parse_args().lifecycle
    account = str(random.randint(10**11, 10**12 - 1))
    print(f"probe_peering: account {account}, lifecycle {LIFE or 'off'},"
          f" endpoint {os.environ['AWS_ENDPOINT_URL']}")
    c = clients(account)
    nets = network(c, account)
    regions = list(REGIONS)
    pairs = [(a, b) for i, a in enumerate(regions) for b in regions[i + 1:]]  # the full mesh
    mesh = {}
    for req, acc in pairs:
        pcx = probe_request(c, nets, account, req, acc)
        probe_accept(c, req, acc, pcx)
        probe_routes(c, nets, req, acc, pcx)
        mesh[pcx] = (req, acc)
    probe_describe(c, mesh)
    probe_failed(c, nets, "us-east-1", "eu-west-1")
    probe_delete(c, nets, mesh)
    print("probe_peering: all checks passed")


if __name__ == "__main__":
    main()

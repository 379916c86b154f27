#!/usr/bin/env python3
"""Probe of the emulator's global edge services: Route53, CloudFront, WAFv2 (CLOUDFRONT).

A report, not a test: every call prints what the emulator answered, and a `wire:` line
that checks the raw answer the way a strict Rust SDK client reads it, against botocore's
model of the operation (the same Smithy model aws-sdk-route53 / aws-sdk-cloudfront /
aws-sdk-wafv2 are generated from):

  - restXml (Route53, CloudFront): the root element name (smithy-rs refuses an answer
    whose root isn't the output shape's, or the payload's, name; it ignores namespaces),
    the namespace seen, required members missing anywhere in the tree (smithy-rs fills
    them with zero values instead of failing: "error correction"), elements the model
    doesn't know (dropped silently by the SDK, so usually a misspelt name), timestamps
    that aren't RFC 3339 with Z or an offset, and the HTTP header members (ETag,
    Location).
  - awsJson1_1 (WAFv2): required members missing or null, unknown keys, `__type`.

Then "Patch checks" asserts the launcher's patches 86-104 (Route53, CloudFront, WAFv2
CLOUDFRONT scope), one `ok` or `!! FAIL` line per expectation; --checks-only runs just
those (exit status 1 if one fails). Pass --lifecycle N when the emulator runs with
PROVISION_EMULATOR_LIFECYCLE=N.

Findings: docs/emulator-probe-edge-global.md. Each run uses a fresh account
(x-moto-account-id), so runs don't collide.

  cd /work/main && scripts/emulator start --port 0 --pidfile /tmp/pg.pid --log /tmp/pg.log > /tmp/pg.env
  . /tmp/pg.env && .venv/bin/python scripts/probe_edge_global.py
  .venv/bin/python scripts/probe_edge_global.py --checks-only     # the patch checks only
  scripts/emulator stop --pidfile /tmp/pg.pid

The endpoint comes from AWS_ENDPOINT_URL.
"""

import argparse
import copy
import json
import os
import random
import re
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "")
ACCOUNT = str(random.randint(10**11, 10**12 - 1))
RUN = "%06d" % random.randint(0, 999999)
ZONE = f"probe{RUN}.example.com"

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

# The ELB canonical hosted zone ids AWS documents for ALBs (Elastic Load Balancing
# endpoints and quotas): what a real DescribeLoadBalancers answers per region.
AWS_ALB_ZONES = {"us-east-1": "Z35SXDOTRQ7X7K", "eu-west-1": "Z32O12XQLNTSW2",
                 "ap-southeast-1": "Z1LMS91P8CMLE5"}
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def say(text=""):
    print(text, flush=True)


def section(title):
    say()
    say("=" * 78)
    say(title)
    say("=" * 78)


def short(value, limit=900):
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# ---------------------------------------------------------------------------
# Wire checks against botocore's model
# ---------------------------------------------------------------------------


def local(tag):
    return tag.split("}", 1)[-1]


def xml_problems(shape, el, path, out):
    kind = shape.type_name
    if kind == "structure":
        children = {}
        for child in el:
            children.setdefault(local(child.tag), []).append(child)
        known = set()
        for name, member in shape.members.items():
            ser = member.serialization
            if ser.get("location") in ("header", "headers", "statusCode") or ser.get("xmlAttribute"):
                continue
            xname = ser.get("name", name)
            known.add(xname)
            found = children.get(xname)
            if not found:
                if name in shape.required_members:
                    out.append(f"missing required {path}/{xname}")
                continue
            if member.type_name == "list" and ser.get("flattened"):
                for i, child in enumerate(found):
                    xml_problems(member.member, child, f"{path}/{xname}[{i}]", out)
            else:
                xml_problems(member, found[0], f"{path}/{xname}", out)
        for name in children:
            if name not in known:
                out.append(f"unknown element {path}/{name}")
    elif kind == "list":
        item = shape.member.serialization.get("name", "member")
        for i, child in enumerate(el):
            if local(child.tag) != item:
                out.append(f"list item {path}/{local(child.tag)} (model: {item})")
            xml_problems(shape.member, child, f"{path}/{item}[{i}]", out)
    elif kind == "timestamp":
        if not TIMESTAMP.match((el.text or "").strip()):
            out.append(f"timestamp {path} = {el.text!r} is not RFC 3339 with an offset")
    elif kind in ("integer", "long"):
        if not re.fullmatch(r"-?\d+", (el.text or "").strip()):
            out.append(f"integer {path} = {el.text!r}")
    elif kind == "boolean":
        if (el.text or "").strip() not in ("true", "false"):
            out.append(f"boolean {path} = {el.text!r}")
    elif kind == "string" and shape.enum and (el.text or "") not in shape.enum:
        out.append(f"enum {path} = {el.text!r} not in the model's values")


def json_problems(shape, value, path, out):
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            out.append(f"{path} is {type(value).__name__}, not an object")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                out.append(f"missing required {path}.{name}")
        for key, item in value.items():
            if key not in shape.members:
                if key != "__type":
                    out.append(f"unknown key {path}.{key}")
            elif item is not None:
                json_problems(shape.members[key], item, f"{path}.{key}", out)
    elif kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            json_problems(shape.member, item, f"{path}[{i}]", out)
    elif kind == "string" and shape.enum and value not in shape.enum:
        out.append(f"enum {path} = {value!r} not in the model's values")


class Wire:
    """Keeps the raw answer of each call (after-call) and checks it against the model."""

    def __init__(self):
        self.last = None

    def after_call(self, http_response, parsed, model, **_):
        self.last = (http_response, model)

    def report(self):
        if self.last is None:
            return
        http, model = self.last
        self.last = None
        status = http.status_code
        body = http.content or b""
        headers = http.headers
        ctype = headers.get("Content-Type", "")
        notes = [f"HTTP {status}", f"content-type={ctype or '-'}"]
        problems = []
        protocol = model.service_model.protocol
        if status >= 300:
            notes.append(f"body={body[:300].decode('utf-8', 'replace')!r}")
            if protocol == "rest-xml":
                try:
                    root = ET.fromstring(body)
                    if local(root.tag) != "ErrorResponse" or root.find("./{*}Error/{*}Code") is None:
                        problems.append(f"error root <{local(root.tag)}>, not <ErrorResponse><Error><Code>")
                except ET.ParseError:
                    problems.append("error body is not XML (the SDK reports an unhandled error)")
            say("  wire: " + ", ".join(notes) + (f"; PROBLEMS: {problems}" if problems else ""))
            return
        output = model.output_shape
        if output is not None:
            for name, member in output.members.items():
                ser = member.serialization
                if ser.get("location") == "header":
                    value = headers.get(ser.get("name", name))
                    notes.append(f"{ser.get('name', name)}: {value!r}")
                    if value is None and name in output.required_members:
                        problems.append(f"missing required header {ser.get('name', name)}")
        if protocol == "rest-xml" and output is not None:
            payload = output.serialization.get("payload")
            body_members = [n for n, m in output.members.items()
                            if m.serialization.get("location") is None]
            if not body.strip():
                if body_members:
                    problems.append("empty body")
            else:
                try:
                    root = ET.fromstring(body)
                except ET.ParseError as e:
                    problems.append(f"XML does not parse: {e}")
                    root = None
                if root is not None:
                    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
                    if payload:
                        shape = output.members[payload]
                        expected = shape.serialization.get("name", shape.name)
                    else:
                        shape = output
                        expected = output.name
                    notes.append(f"root=<{local(root.tag)}> ns={ns or '-'}")
                    if local(root.tag) != expected:
                        problems.append(f"root <{local(root.tag)}>, smithy-rs expects <{expected}>")
                    xml_problems(shape, root, local(root.tag), problems)
        elif protocol == "json" and output is not None:
            try:
                doc = json.loads(body or b"{}")
                json_problems(output, doc, "$", problems)
            except ValueError as e:
                problems.append(f"JSON does not parse: {e}")
        say("  wire: " + ", ".join(notes) + (f"; PROBLEMS: {problems}" if problems else "; model OK"))


WIRE = Wire()


def client(service, region, validate=True):
    c = boto3.client(
        service, region_name=region, endpoint_url=ENDPOINT,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=validate),
    )

    def account(request, **_):
        request.headers["x-moto-account-id"] = ACCOUNT

    c.meta.events.register("before-sign", account)
    c.meta.events.register("after-call", WIRE.after_call)
    return c


def call(label, fn, show=None, **kwargs):
    """Run fn(**kwargs); print the answer (or error) and the wire line. Returns
    (answer, None) or (None, (code, status, message))."""
    say(f"CALL {label}")
    try:
        answer = fn(**kwargs)
    except ClientError as e:
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        say(f"  -> ERROR {err.get('Code')} (HTTP {status}): {err.get('Message')}")
        WIRE.report()
        return None, (err.get("Code"), status, err.get("Message"))
    except Exception as e:  # noqa: BLE001  (a report: keep going)
        say(f"  -> EXCEPTION {type(e).__name__}: {e}")
        WIRE.report()
        return None, (type(e).__name__, None, str(e))
    answer = dict(answer)
    answer.pop("ResponseMetadata", None)
    say("  -> " + short(show(answer) if show else answer))
    WIRE.report()
    return answer, None


def observe(text):
    say(f"  OBSERVED: {text}")


def diff(sent, got, path=""):
    """Paths where `got` differs from `sent`: changed, dropped and added members."""
    out = []
    if isinstance(sent, dict) and isinstance(got, dict):
        for key in sent:
            if key not in got:
                out.append(f"dropped {path}.{key} (sent {short(sent[key], 120)})")
            else:
                out.extend(diff(sent[key], got[key], f"{path}.{key}"))
        for key in got:
            if key not in sent:
                out.append(f"added {path}.{key} = {short(got[key], 160)}")
    elif isinstance(sent, list) and isinstance(got, list):
        if len(sent) != len(got):
            out.append(f"changed {path}: {len(sent)} items sent, {len(got)} returned")
        for i, (a, b) in enumerate(zip(sent, got)):
            out.extend(diff(a, b, f"{path}[{i}]"))
    elif sent != got:
        out.append(f"changed {path}: sent {short(sent, 120)}, got {short(got, 160)}")
    return out


def raw(method, path, headers=None):
    """An unsigned raw request (for moto's control API)."""
    req = urllib.request.Request(ENDPOINT + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# ---------------------------------------------------------------------------
# Setup: ALBs (origins and alias targets), an ACM certificate
# ---------------------------------------------------------------------------


def make_alb(region):
    ec2 = client("ec2", region)
    elb = client("elbv2", region)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24",
                                 AvailabilityZone=f"{region}{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ab")]
    lb = elb.create_load_balancer(Name=f"edge-{region}", Subnets=subnets, Type="application",
                                  Scheme="internet-facing")["LoadBalancers"][0]
    return {"region": region, "dns": lb["DNSName"], "zone": lb["CanonicalHostedZoneId"],
            "arn": lb["LoadBalancerArn"]}


def setup():
    section("Setup: three ALBs (moto elbv2) and an ACM certificate in us-east-1")
    albs = {}
    for region in ("eu-west-1", "ap-southeast-1", "us-east-1"):
        albs[region] = make_alb(region)
        say(f"ALB {region}: DNSName={albs[region]['dns']} "
            f"CanonicalHostedZoneId={albs[region]['zone']} (AWS: {AWS_ALB_ZONES[region]})")
    acm = client("acm", "us-east-1")
    cert = acm.request_certificate(DomainName=f"*.{ZONE}", ValidationMethod="DNS",
                                   SubjectAlternativeNames=[ZONE])["CertificateArn"]
    status = acm.describe_certificate(CertificateArn=cert)["Certificate"]["Status"]
    say(f"ACM certificate {cert} status {status}")
    # CloudFront takes only an ISSUED certificate (patch 101): validate it with the test
    # hook of patch 78, as ACM would once the validation records are in DNS.
    raw("POST", "/_provision/acm/issue?arn=" + cert)
    status = acm.describe_certificate(CertificateArn=cert)["Certificate"]["Status"]
    say(f"after POST /_provision/acm/issue: status {status}")
    WIRE.last = None
    return albs, cert


# ---------------------------------------------------------------------------
# Route53
# ---------------------------------------------------------------------------


def alias_record(name, ident, alb, geo=None, failover=None, health=None, evaluate=True):
    record = {
        "Name": name, "Type": "A", "SetIdentifier": ident,
        "AliasTarget": {"HostedZoneId": alb["zone"], "DNSName": alb["dns"],
                        "EvaluateTargetHealth": evaluate},
    }
    if geo:
        record["GeoLocation"] = geo
    if failover:
        record["Failover"] = failover
    if health:
        record["HealthCheckId"] = health
    return record


def probe_route53(albs):
    section("Route53 (restXml, global; signed for us-east-1)")
    r53 = client("route53", "us-east-1")

    # --- hosted zones -----------------------------------------------------
    zone, _ = call("CreateHostedZone", r53.create_hosted_zone, Name=ZONE,
                   CallerReference=f"zone-{RUN}")
    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    change_id = zone["ChangeInfo"]["Id"]
    observe(f"Id={zone['HostedZone']['Id']} (len {len(zone_id)}), Name={zone['HostedZone']['Name']}, "
            f"NameServers={zone.get('DelegationSet', {}).get('NameServers')}, "
            f"DelegationSet.Id={zone.get('DelegationSet', {}).get('Id')!r}, "
            f"ChangeInfo={zone['ChangeInfo']}, Location={zone.get('Location')}")

    call("CreateHostedZone again, same CallerReference (AWS: HostedZoneAlreadyExists 409)",
         r53.create_hosted_zone, Name=ZONE, CallerReference=f"zone-{RUN}",
         show=lambda a: a["HostedZone"])
    listed, _ = call("ListHostedZonesByName(DNSName=zone)", r53.list_hosted_zones_by_name,
                     DNSName=ZONE, show=lambda a: {k: v for k, v in a.items() if k != "HostedZones"}
                     | {"zones": [(z["Id"], z["Name"]) for z in a["HostedZones"]]})
    dupes = [z for z in r53.list_hosted_zones_by_name(DNSName=ZONE)["HostedZones"]
             if z["Name"] == ZONE + "."]
    WIRE.last = None
    for z in dupes:
        if z["Id"].split("/")[-1] != zone_id:
            r53.delete_hosted_zone(Id=z["Id"])  # the duplicate, if moto made one
    WIRE.last = None

    other = f"aaa{RUN}.example.com"
    other_id = r53.create_hosted_zone(Name=other, CallerReference=f"other-{RUN}")["HostedZone"]["Id"]
    WIRE.last = None
    call("ListHostedZonesByName(DNSName=aaa... , MaxItems=1) (AWS: starts at that name, "
         "lists on in order, NextDNSName/NextHostedZoneId)", r53.list_hosted_zones_by_name,
         DNSName=other, MaxItems="1",
         show=lambda a: {k: v for k, v in a.items() if k != "HostedZones"}
         | {"zones": [z["Name"] for z in a["HostedZones"]]})
    call("ListHostedZonesByName() with no DNSName", r53.list_hosted_zones_by_name,
         show=lambda a: {k: v for k, v in a.items() if k != "HostedZones"}
         | {"zones": [z["Name"] for z in a["HostedZones"]]})

    call("GetHostedZone", r53.get_hosted_zone, Id=zone_id)
    call("GetHostedZone unknown (AWS: NoSuchHostedZone 404)", r53.get_hosted_zone,
         Id="Z0000000000000000000")
    call("GetChange of the create's ChangeInfo.Id", r53.get_change, Id=change_id)
    call("GetChange unknown id (AWS: NoSuchChange 404)", r53.get_change, Id="C0000000NOSUCH")

    # --- health checks ------------------------------------------------------
    config = {"Type": "HTTPS", "FullyQualifiedDomainName": albs["eu-west-1"]["dns"],
              "ResourcePath": "/health", "RequestInterval": 30, "FailureThreshold": 3,
              "Port": 443}
    hc, _ = call("CreateHealthCheck HTTPS", r53.create_health_check,
                 CallerReference=f"hc-{RUN}", HealthCheckConfig=config)
    hc_id = hc["HealthCheck"]["Id"]
    observe(f"HealthCheckVersion={hc['HealthCheck'].get('HealthCheckVersion')}, "
            f"Location={hc.get('Location')!r}, config diff: "
            f"{diff(config, hc['HealthCheck']['HealthCheckConfig'])}")
    again, _ = call("CreateHealthCheck same CallerReference, same config (AWS: returns the "
                    "existing health check)", r53.create_health_check,
                    CallerReference=f"hc-{RUN}", HealthCheckConfig=config,
                    show=lambda a: {"Id": a["HealthCheck"]["Id"]})
    if again and again["HealthCheck"]["Id"] != hc_id:
        observe("a second health check was made")
        r53.delete_health_check(HealthCheckId=again["HealthCheck"]["Id"])
        WIRE.last = None
    changed = dict(config, FailureThreshold=5)
    again, _ = call("CreateHealthCheck same CallerReference, other config (AWS: "
                    "HealthCheckAlreadyExists 409)", r53.create_health_check,
                    CallerReference=f"hc-{RUN}", HealthCheckConfig=changed,
                    show=lambda a: {"Id": a["HealthCheck"]["Id"]})
    if again and again["HealthCheck"]["Id"] != hc_id:
        r53.delete_health_check(HealthCheckId=again["HealthCheck"]["Id"])
        WIRE.last = None
    hc2, _ = call("CreateHealthCheck #2 (for the AS record)", r53.create_health_check,
                  CallerReference=f"hc2-{RUN}",
                  HealthCheckConfig=dict(config, FullyQualifiedDomainName=albs["ap-southeast-1"]["dns"]),
                  show=lambda a: {"Id": a["HealthCheck"]["Id"]})
    hc2_id = hc2["HealthCheck"]["Id"]
    call("GetHealthCheck", r53.get_health_check, HealthCheckId=hc_id)
    call("GetHealthCheck unknown (AWS: NoSuchHealthCheck 404)", r53.get_health_check,
         HealthCheckId="00000000-0000-0000-0000-000000000000")
    call("ListHealthChecks(MaxItems=1) (AWS: Marker, IsTruncated, NextMarker, MaxItems)",
         r53.list_health_checks, MaxItems="1",
         show=lambda a: {k: v for k, v in a.items() if k != "HealthChecks"}
         | {"ids": [h["Id"] for h in a["HealthChecks"]]})
    up, _ = call("UpdateHealthCheck(HealthCheckVersion=1, FailureThreshold=5, "
                 "ResourcePath=/healthz)", r53.update_health_check, HealthCheckId=hc_id,
                 HealthCheckVersion=1, FailureThreshold=5, ResourcePath="/healthz",
                 show=lambda a: {"Version": a["HealthCheck"]["HealthCheckVersion"],
                                 "FailureThreshold": a["HealthCheck"]["HealthCheckConfig"]["FailureThreshold"],
                                 "ResourcePath": a["HealthCheck"]["HealthCheckConfig"]["ResourcePath"]})
    call("UpdateHealthCheck stale HealthCheckVersion=1 again (AWS: HealthCheckVersionMismatch "
         "409, since the first update made it 2)", r53.update_health_check, HealthCheckId=hc_id,
         HealthCheckVersion=1, FailureThreshold=4,
         show=lambda a: {"Version": a["HealthCheck"]["HealthCheckVersion"],
                         "FailureThreshold": a["HealthCheck"]["HealthCheckConfig"]["FailureThreshold"]})
    call("UpdateHealthCheck unknown id (AWS: NoSuchHealthCheck 404)", r53.update_health_check,
         HealthCheckId="00000000-0000-0000-0000-000000000000", FailureThreshold=4)
    call("UpdateHealthCheck ResetElements=[ResourcePath]", r53.update_health_check,
         HealthCheckId=hc_id, ResetElements=["ResourcePath"],
         show=lambda a: {"Version": a["HealthCheck"]["HealthCheckVersion"],
                         "ResourcePath": a["HealthCheck"]["HealthCheckConfig"].get("ResourcePath")})
    r53.update_health_check(HealthCheckId=hc_id, ResourcePath="/health", FailureThreshold=3)
    WIRE.last = None

    call("ChangeTagsForResource(healthcheck, AddTags)", r53.change_tags_for_resource,
         ResourceType="healthcheck", ResourceId=hc_id,
         AddTags=[{"Key": "provision:stack", "Value": "edge"}, {"Key": "Name", "Value": "eu"}])
    call("ListTagsForResource(healthcheck)", r53.list_tags_for_resource,
         ResourceType="healthcheck", ResourceId=hc_id)
    call("ListTagsForResources(healthcheck, [hc, hc2])", r53.list_tags_for_resources,
         ResourceType="healthcheck", ResourceIds=[hc_id, hc2_id])
    call("ChangeTagsForResource(healthcheck, RemoveTagKeys=[Name])", r53.change_tags_for_resource,
         ResourceType="healthcheck", ResourceId=hc_id, RemoveTagKeys=["Name"])
    call("ChangeTagsForResource on an unknown health check (AWS: NoSuchHealthCheck 404)",
         r53.change_tags_for_resource, ResourceType="healthcheck",
         ResourceId="00000000-0000-0000-0000-000000000000",
         AddTags=[{"Key": "k", "Value": "v"}])
    call("ListTagsForResource on an unknown health check (AWS: NoSuchHealthCheck 404)",
         r53.list_tags_for_resource, ResourceType="healthcheck",
         ResourceId="00000000-0000-0000-0000-000000000000")

    # --- records ------------------------------------------------------------
    www = f"www.{ZONE}"
    api = f"api.{ZONE}"
    eu = alias_record(www, "eu", albs["eu-west-1"], geo={"ContinentCode": "EU"}, health=hc_id)
    asia = alias_record(www, "as", albs["ap-southeast-1"], geo={"ContinentCode": "AS"},
                        health=hc2_id)
    default = alias_record(www, "default", albs["us-east-1"], geo={"CountryCode": "*"})
    primary = alias_record(api, "primary", albs["eu-west-1"], failover="PRIMARY", health=hc_id)
    secondary = alias_record(api, "secondary", albs["ap-southeast-1"], failover="SECONDARY")
    sent = [eu, asia, default, primary, secondary]
    ch, _ = call("ChangeResourceRecordSets UPSERT 3 geolocation + 2 failover alias A records",
                 r53.change_resource_record_sets, HostedZoneId=zone_id,
                 ChangeBatch={"Comment": "edge", "Changes": [
                     {"Action": "UPSERT", "ResourceRecordSet": copy.deepcopy(r)} for r in sent]})
    if ch:
        call("GetChange of that change", r53.get_change, Id=ch["ChangeInfo"]["Id"])
    rrs, _ = call("ListResourceRecordSets (all)", r53.list_resource_record_sets,
                  HostedZoneId=zone_id,
                  show=lambda a: {k: v for k, v in a.items() if k != "ResourceRecordSets"}
                  | {"records": [(r["Name"], r["Type"], r.get("SetIdentifier"))
                                 for r in a["ResourceRecordSets"]]})
    by_ident = {r.get("SetIdentifier"): r for r in rrs["ResourceRecordSets"]}
    for record in sent:
        got = by_ident.get(record["SetIdentifier"])
        if got is None:
            observe(f"record {record['SetIdentifier']} missing")
            continue
        observe(f"round trip of {record['SetIdentifier']}: {diff(record, got) or 'identical'}")
    for r in rrs["ResourceRecordSets"]:
        if r["Type"] in ("NS", "SOA"):
            observe(f"{r['Type']} record: {short(r, 400)}")

    say()
    say("Paging ListResourceRecordSets with MaxItems=1 (AWS: NextRecordName/Type and, for "
        "records with a SetIdentifier, NextRecordIdentifier)")
    seen, args = [], {"HostedZoneId": zone_id, "MaxItems": "1"}
    for _ in range(12):
        page = r53.list_resource_record_sets(**args)
        WIRE.last = None
        seen += [(r["Name"], r["Type"], r.get("SetIdentifier")) for r in page["ResourceRecordSets"]]
        nxt = {k: page.get(k) for k in ("NextRecordName", "NextRecordType", "NextRecordIdentifier")}
        say(f"  page {len(seen)}: {seen[-1] if seen else None}; IsTruncated={page['IsTruncated']} next={nxt}")
        if not page["IsTruncated"]:
            break
        args = {"HostedZoneId": zone_id, "MaxItems": "1", "StartRecordName": nxt["NextRecordName"],
                "StartRecordType": nxt["NextRecordType"]}
        if nxt["NextRecordIdentifier"]:
            args["StartRecordIdentifier"] = nxt["NextRecordIdentifier"]
    else:
        say("  ... stopped after 12 pages")
    total = len(rrs["ResourceRecordSets"])
    observe(f"{len(seen)} records seen while paging, {len(set(seen))} distinct, {total} in the zone")

    moved = alias_record(www, "eu", albs["us-east-1"], geo={"ContinentCode": "EU"}, health=hc_id)
    call("ChangeResourceRecordSets UPSERT eu with another target", r53.change_resource_record_sets,
         HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT",
                                                         "ResourceRecordSet": copy.deepcopy(moved)}]})
    now = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    WIRE.last = None
    eus = [r for r in now if r.get("SetIdentifier") == "eu"]
    observe(f"{len(eus)} record(s) with SetIdentifier eu; target {[r['AliasTarget']['DNSName'] for r in eus]}")

    call("ChangeResourceRecordSets CREATE an existing name/type/SetIdentifier with another "
         "target (AWS: InvalidChangeBatch 'already exists')", r53.change_resource_record_sets,
         HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE",
                                                         "ResourceRecordSet": copy.deepcopy(asia) | {
                                                             "AliasTarget": dict(asia["AliasTarget"], DNSName=albs["us-east-1"]["dns"])}}]})
    now = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    WIRE.last = None
    observe(f"{len([r for r in now if r.get('SetIdentifier') == 'as'])} record(s) with SetIdentifier as")

    call("ChangeResourceRecordSets CREATE geolocation record without SetIdentifier (AWS: "
         "InvalidInput)", r53.change_resource_record_sets, HostedZoneId=zone_id,
         ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
             "Name": f"nosid.{ZONE}", "Type": "A", "GeoLocation": {"ContinentCode": "EU"},
             "AliasTarget": eu["AliasTarget"]}}]})
    call("ChangeResourceRecordSets CREATE with HealthCheckId of no health check (AWS: "
         "NoSuchHealthCheck 404 / InvalidInput)", r53.change_resource_record_sets,
         HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet":
             alias_record(f"ghost.{ZONE}", "g", albs["eu-west-1"], geo={"ContinentCode": "EU"},
                          health="00000000-0000-0000-0000-000000000000")}]})
    call("ChangeResourceRecordSets CREATE GeoLocation with ContinentCode XX (AWS: InvalidInput)",
         r53.change_resource_record_sets, HostedZoneId=zone_id,
         ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet":
             alias_record(f"bad.{ZONE}", "x", albs["eu-west-1"], geo={"ContinentCode": "XX"})}]})
    ttl = alias_record(f"ttl.{other}", "t", albs["eu-west-1"], geo={"ContinentCode": "EU"}) | {"TTL": 60}
    call("ChangeResourceRecordSets CREATE alias record with a TTL too, in the other zone (AWS: "
         "InvalidInput)", r53.change_resource_record_sets, HostedZoneId=other_id,
         ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": copy.deepcopy(ttl)}]})
    call("ChangeResourceRecordSets DELETE that alias+TTL record as sent", r53.change_resource_record_sets,
         HostedZoneId=other_id, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": ttl}]})
    call("ChangeResourceRecordSets CREATE alias with AliasTarget.HostedZoneId of another region's "
         "ELB (AWS: InvalidChangeBatch, the alias target name does not lie within the target zone)",
         r53.change_resource_record_sets, HostedZoneId=zone_id,
         ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
             "Name": f"mismatch.{ZONE}", "Type": "A",
             "AliasTarget": {"HostedZoneId": AWS_ALB_ZONES["us-east-1"],
                             "DNSName": albs["eu-west-1"]["dns"], "EvaluateTargetHealth": False}}}]})
    now = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    WIRE.last = None
    stray = [(r["Name"], r.get("SetIdentifier")) for r in now
             if r["Name"].split(".")[0] in ("nosid", "ghost", "bad", "ttl", "mismatch")]
    observe(f"records the refused-by-AWS calls left: {stray}")
    for name, ident in stray:  # clean up what moto accepted
        rec = next(r for r in now if r["Name"] == name and r.get("SetIdentifier") == ident)
        try:
            r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
                {"Action": "DELETE", "ResourceRecordSet": rec}]})
        except ClientError as e:
            say(f"  (cleanup of {name} failed: {e})")
        WIRE.last = None

    call("DeleteHostedZone with records left (AWS: HostedZoneNotEmpty 400)",
         r53.delete_hosted_zone, Id=zone_id)

    call("DeleteHealthCheck of a health check records use (AWS allows it: 'does not prevent "
         "you'; HealthCheckInUse is 'not in use')", r53.delete_health_check, HealthCheckId=hc2_id)
    call("GetHealthCheck after that delete", r53.get_health_check, HealthCheckId=hc2_id,
         show=lambda a: {"Id": a["HealthCheck"]["Id"]})
    now = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    WIRE.last = None
    observe(f"the AS record still names HealthCheckId "
            f"{[r.get('HealthCheckId') for r in now if r.get('SetIdentifier') == 'as']}")
    call("DeleteHealthCheck again / unknown (AWS: NoSuchHealthCheck 404)",
         r53.delete_health_check, HealthCheckId=hc2_id)
    call("CreateHealthCheck with the deleted one's CallerReference (AWS: "
         "HealthCheckAlreadyExists 409, 'regardless of the other settings')",
         r53.create_health_check, CallerReference=f"hc2-{RUN}", HealthCheckConfig=config,
         show=lambda a: {"Id": a["HealthCheck"]["Id"]})

    # Same SetIdentifier on two names: does DELETE of one remove only it?
    twin = alias_record(api, "eu", albs["eu-west-1"], failover=None,
                        geo={"ContinentCode": "EU"})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": copy.deepcopy(twin)}]})
    WIRE.last = None
    say("(created api/A/eu too: SetIdentifier 'eu' now on www and on api)")
    mismatched = copy.deepcopy(moved)
    mismatched["AliasTarget"]["EvaluateTargetHealth"] = False
    call("ChangeResourceRecordSets DELETE www/eu with EvaluateTargetHealth=false (not as "
         "stored) (AWS: InvalidChangeBatch, values must match)", r53.change_resource_record_sets,
         HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "DELETE",
                                                         "ResourceRecordSet": mismatched}]})
    now = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    WIRE.last = None
    observe(f"records with SetIdentifier eu left: "
            f"{[(r['Name'], r['Type']) for r in now if r.get('SetIdentifier') == 'eu']}")
    call("ChangeResourceRecordSets DELETE a record that isn't there (AWS: InvalidChangeBatch "
         "'it was not found')", r53.change_resource_record_sets, HostedZoneId=zone_id,
         ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet":
             alias_record(f"never.{ZONE}", "n", albs["eu-west-1"], geo={"ContinentCode": "EU"})}]})

    # clean: delete every non NS/SOA record as listed, then the zone
    now = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    WIRE.last = None
    left = [r for r in now if r["Type"] not in ("NS", "SOA")]
    say(f"Deleting the {len(left)} records left, one call each, each exactly as listed:")
    for r in left:
        call(f"ChangeResourceRecordSets DELETE {r['Name']} {r['Type']} {r.get('SetIdentifier')}",
             r53.change_resource_record_sets, HostedZoneId=zone_id,
             ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": r}]})
    now = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    WIRE.last = None
    observe(f"left in the zone: {[(r['Name'], r['Type'], r.get('SetIdentifier')) for r in now]}")
    call("DeleteHostedZone (empty)", r53.delete_hosted_zone, Id=zone_id)
    call("GetHostedZone after delete (AWS: NoSuchHostedZone 404)", r53.get_hosted_zone, Id=zone_id)
    r53.delete_health_check(HealthCheckId=hc_id)
    for z in r53.list_hosted_zones_by_name(DNSName=other)["HostedZones"]:
        try:
            r53.delete_hosted_zone(Id=z["Id"])
        except ClientError as e:
            say(f"(the other zone stays: {e.response['Error']['Code']})")
    WIRE.last = None


# ---------------------------------------------------------------------------
# WAFv2, Scope=CLOUDFRONT
# ---------------------------------------------------------------------------


def visibility(name):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def managed(name, priority, vendor_rule):
    return {"Name": name, "Priority": priority, "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": vendor_rule}},
            "VisibilityConfig": visibility(name)}


ACL_RULES = [
    {"Name": "rate-limit", "Priority": 0, "Action": {"Block": {}},
     "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
     "VisibilityConfig": visibility("rate-limit")},
    managed("common", 1, "AWSManagedRulesCommonRuleSet"),
    managed("bad-inputs", 2, "AWSManagedRulesKnownBadInputsRuleSet"),
    managed("sqli", 3, "AWSManagedRulesSQLiRuleSet"),
    {"Name": "geo-block", "Priority": 4, "Action": {"Block": {}},
     "Statement": {"GeoMatchStatement": {"CountryCodes": ["KP", "IR"]}},
     "VisibilityConfig": visibility("geo-block")},
]


def probe_wafv2():
    section("WAFv2 (awsJson1_1), Scope=CLOUDFRONT in us-east-1")
    waf = client("wafv2", "us-east-1")
    name = f"edge-{RUN}"
    created, _ = call("CreateWebACL CLOUDFRONT with rate-based, 3 managed groups, geo block",
                      waf.create_web_acl, Name=name, Scope="CLOUDFRONT",
                      DefaultAction={"Allow": {}}, Description="edge acl",
                      Rules=copy.deepcopy(ACL_RULES), VisibilityConfig=visibility(name),
                      Tags=[{"Key": "provision:stack", "Value": "edge"}])
    summary = created["Summary"]
    acl_id, arn, token = summary["Id"], summary["ARN"], summary["LockToken"]
    observe(f"ARN {arn}")
    got, _ = call("GetWebACL(Name, Scope, Id)", waf.get_web_acl, Name=name, Scope="CLOUDFRONT",
                  Id=acl_id, show=lambda a: {"LockToken": a.get("LockToken"),
                                             "WebACL": {k: v for k, v in a["WebACL"].items() if k != "Rules"}})
    observe(f"rules round trip: {diff(ACL_RULES, got['WebACL']['Rules']) or 'identical'}")
    observe(f"Capacity={got['WebACL'].get('Capacity')} (AWS: the WCUs of the rules; the managed "
            f"groups alone are 700+200+200)")
    call("GetWebACL(ARN) alone", waf.get_web_acl, ARN=arn, show=lambda a: {"Id": a["WebACL"]["Id"]})
    call("GetWebACL(ARN, Scope=CLOUDFRONT)", waf.get_web_acl, ARN=arn, Scope="CLOUDFRONT",
         show=lambda a: {"Id": a["WebACL"]["Id"]})
    call("ListWebACLs(Scope=CLOUDFRONT)", waf.list_web_acls, Scope="CLOUDFRONT")
    call("ListWebACLs(Scope=REGIONAL) in us-east-1 (AWS: not the CLOUDFRONT ACL)",
         waf.list_web_acls, Scope="REGIONAL")
    call("ListWebACLs(Scope=CLOUDFRONT) from eu-west-1 (AWS: CLOUDFRONT only in us-east-1; "
         "WAFInvalidParameterException)", client("wafv2", "eu-west-1").list_web_acls,
         Scope="CLOUDFRONT")
    call("CreateWebACL CLOUDFRONT from eu-west-1 (AWS: WAFInvalidParameterException)",
         client("wafv2", "eu-west-1").create_web_acl, Name=f"eu-{RUN}", Scope="CLOUDFRONT",
         DefaultAction={"Allow": {}}, VisibilityConfig=visibility("eu"),
         show=lambda a: a["Summary"]["ARN"])
    call("CreateWebACL same name again (AWS: WAFDuplicateItemException)", waf.create_web_acl,
         Name=name, Scope="CLOUDFRONT", DefaultAction={"Allow": {}},
         VisibilityConfig=visibility(name))
    call("CreateWebACL with a managed-group rule carrying Action, not OverrideAction (AWS: "
         "WAFInvalidParameterException)", waf.create_web_acl, Name=f"bad-{RUN}",
         Scope="CLOUDFRONT", DefaultAction={"Allow": {}}, VisibilityConfig=visibility("bad"),
         Rules=[{"Name": "c", "Priority": 0, "Action": {"Block": {}},
                 "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS",
                                                             "Name": "AWSManagedRulesCommonRuleSet"}},
                 "VisibilityConfig": visibility("c")}], show=lambda a: a["Summary"]["Name"])
    loose = client("wafv2", "us-east-1", validate=False)  # the Rust SDK doesn't check @range
    call("CreateWebACL with a rate-based rule Limit=5, sent unchecked as the Rust SDK does "
         "(AWS: Limit 10..2e9; WAFInvalidParameterException)", loose.create_web_acl, Name=f"low-{RUN}",
         Scope="CLOUDFRONT", DefaultAction={"Allow": {}}, VisibilityConfig=visibility("low"),
         Rules=[{"Name": "r", "Priority": 0, "Action": {"Block": {}},
                 "Statement": {"RateBasedStatement": {"Limit": 5, "AggregateKeyType": "IP"}},
                 "VisibilityConfig": visibility("r")}], show=lambda a: a["Summary"]["Name"])
    call("ListTagsForResource(ACL ARN)", waf.list_tags_for_resource, ResourceARN=arn)

    new_rules = copy.deepcopy(ACL_RULES)
    new_rules[0]["Statement"]["RateBasedStatement"]["Limit"] = 1000
    up, _ = call("UpdateWebACL with the current LockToken (Limit 2000 -> 1000)", waf.update_web_acl,
                 Name=name, Scope="CLOUDFRONT", Id=acl_id, LockToken=token,
                 DefaultAction={"Allow": {}}, Rules=new_rules, VisibilityConfig=visibility(name),
                 Description="edge acl")
    call("UpdateWebACL with the stale LockToken (AWS: WAFOptimisticLockException)",
         waf.update_web_acl, Name=name, Scope="CLOUDFRONT", Id=acl_id, LockToken=token,
         DefaultAction={"Allow": {}}, Rules=new_rules, VisibilityConfig=visibility(name))
    token = up["NextLockToken"]
    mid = waf.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl_id)["WebACL"]
    WIRE.last = None
    observe(f"after it: rate limit {mid['Rules'][0]['Statement']['RateBasedStatement']['Limit']}, "
            f"LockToken changed: {token != summary['LockToken']}")
    up2, _ = call("UpdateWebACL with Rules=[] and no Description (AWS: replaces everything: no "
                  "rules, no description)", waf.update_web_acl, Name=name, Scope="CLOUDFRONT",
                  Id=acl_id, LockToken=token, DefaultAction={"Block": {}}, Rules=[],
                  VisibilityConfig=visibility(name))
    after = waf.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl_id)
    WIRE.last = None
    observe(f"after it: {len(after['WebACL']['Rules'])} rules, Description="
            f"{after['WebACL'].get('Description')!r}, DefaultAction={after['WebACL']['DefaultAction']}")
    token = after["LockToken"]
    call("DeleteWebACL with a stale LockToken (AWS: WAFOptimisticLockException)",
         waf.delete_web_acl, Name=name, Scope="CLOUDFRONT", Id=acl_id,
         LockToken="00000000-0000-0000-0000-000000000000")
    return waf, name, acl_id, arn


def finish_wafv2(waf, name, acl_id, arn, distribution_uses_it):
    section("WAFv2 delete")
    token = waf.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl_id)["LockToken"]
    WIRE.last = None
    label = "DeleteWebACL with the current LockToken"
    if distribution_uses_it:
        label += " while a distribution's WebACLId names it (AWS: WAFAssociatedItemException)"
    call(label, waf.delete_web_acl, Name=name, Scope="CLOUDFRONT", Id=acl_id, LockToken=token)
    call("GetWebACL after delete (AWS: WAFNonexistentItemException)", waf.get_web_acl,
         Name=name, Scope="CLOUDFRONT", Id=acl_id)
    call("ListTagsForResource after delete (AWS: WAFNonexistentItemException)",
         waf.list_tags_for_resource, ResourceARN=arn)


# ---------------------------------------------------------------------------
# CloudFront
# ---------------------------------------------------------------------------


def distribution_config(albs, cert, acl_arn, rhp_id, reference, target):
    origins = []
    for key, region in (("eu", "eu-west-1"), ("as", "ap-southeast-1"), ("us", "us-east-1")):
        origin = {
            "Id": f"alb-{key}", "DomainName": albs[region]["dns"], "OriginPath": "",
            "CustomHeaders": {"Quantity": 1, "Items": [
                {"HeaderName": "X-Origin-Verify", "HeaderValue": f"secret-{key}"}]},
            "CustomOriginConfig": {
                "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                "OriginReadTimeout": 30, "OriginKeepaliveTimeout": 5},
            "ConnectionAttempts": 3, "ConnectionTimeout": 10,
        }
        origin["OriginShield"] = ({"Enabled": True, "OriginShieldRegion": "eu-west-1"}
                                  if key == "eu" else {"Enabled": False})
        origins.append(origin)
    return {
        "CallerReference": reference,
        "Aliases": {"Quantity": 1, "Items": [f"www.{ZONE}"]},
        "DefaultRootObject": "",
        "Origins": {"Quantity": 3, "Items": origins},
        "OriginGroups": {"Quantity": 1, "Items": [{
            "Id": "alb-failover",
            "FailoverCriteria": {"StatusCodes": {"Quantity": 4, "Items": [500, 502, 503, 504]}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": "alb-eu"}, {"OriginId": "alb-as"}]},
        }]},
        "DefaultCacheBehavior": {
            "TargetOriginId": target,
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"],
                               "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
            "Compress": True,
            "CachePolicyId": CACHING_OPTIMIZED,
            "ResponseHeadersPolicyId": rhp_id,
        },
        "CacheBehaviors": {"Quantity": 1, "Items": [{
            "PathPattern": "/api/*", "TargetOriginId": "alb-us",
            "ViewerProtocolPolicy": "https-only",
            "AllowedMethods": {"Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                               "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
            "Compress": False, "CachePolicyId": CACHING_DISABLED,
        }]},
        "CustomErrorResponses": {"Quantity": 2, "Items": [
            {"ErrorCode": 503, "ResponsePagePath": "/errors/503.html", "ResponseCode": "503",
             "ErrorCachingMinTTL": 10},
            {"ErrorCode": 404, "ErrorCachingMinTTL": 0}]},
        "Comment": "edge",
        "Logging": {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""},
        "PriceClass": "PriceClass_100",
        "Enabled": True,
        "ViewerCertificate": {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only",
                              "MinimumProtocolVersion": "TLSv1.2_2021",
                              "CloudFrontDefaultCertificate": False},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": acl_arn,
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
    }


def probe_cloudfront(albs, cert, acl_arn):
    section("CloudFront (restXml, global; signed for us-east-1)")
    cf = client("cloudfront", "us-east-1")

    # --- policies -----------------------------------------------------------
    call("ListCachePolicies(Type=managed)", cf.list_cache_policies, Type="managed")
    call("GetCachePolicy(CachingOptimized)", cf.get_cache_policy, Id=CACHING_OPTIMIZED)
    rhp_config = {
        "Name": f"edge-security-{RUN}", "Comment": "security headers",
        "SecurityHeadersConfig": {
            "StrictTransportSecurity": {"Override": True, "AccessControlMaxAgeSec": 63072000,
                                        "IncludeSubdomains": True, "Preload": True},
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": "DENY"},
            "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
        },
    }
    rhp, _ = call("CreateResponseHeadersPolicy (HSTS, nosniff, DENY, referrer)",
                  cf.create_response_headers_policy, ResponseHeadersPolicyConfig=rhp_config)
    rhp_id = rhp["ResponseHeadersPolicy"]["Id"] if rhp else "67f7725c-6f97-4210-82d7-5512b31e9d03"
    if rhp:
        call("GetResponseHeadersPolicy", cf.get_response_headers_policy, Id=rhp_id)
        call("UpdateResponseHeadersPolicy with a stale IfMatch (AWS: PreconditionFailed 412)",
             cf.update_response_headers_policy, Id=rhp_id, IfMatch="STALE",
             ResponseHeadersPolicyConfig=rhp_config)
    else:
        observe(f"no response headers policy: the distribution below uses the id of the managed "
                f"SecurityHeadersPolicy {rhp_id}")

    # --- create -------------------------------------------------------------
    group_config = distribution_config(albs, cert, acl_arn, rhp_id, f"dist-{RUN}", "alb-failover")
    config = group_config
    first, _ = call("CreateDistributionWithTags, DefaultCacheBehavior.TargetOriginId = the origin group "
         "(AWS: allowed, that is how origin failover is set up)",
         cf.create_distribution_with_tags,
         DistributionConfigWithTags={"DistributionConfig": copy.deepcopy(config),
                                     "Tags": {"Items": [{"Key": "provision:stack", "Value": "edge"}]}},
         show=lambda a: {"Id": a["Distribution"]["Id"], "Status": a["Distribution"]["Status"]})
    if first:  # patched emulator (93): the origin-group distribution is the one probed
        created = cf.get_distribution(Id=first["Distribution"]["Id"])
        WIRE.last = None
    else:
        config = distribution_config(albs, cert, acl_arn, rhp_id, f"dist-{RUN}-b", "alb-eu")
        created, _ = call("CreateDistributionWithTags, TargetOriginId = alb-eu (an origin)",
                          cf.create_distribution_with_tags,
                          DistributionConfigWithTags={"DistributionConfig": copy.deepcopy(config),
                                                      "Tags": {"Items": [{"Key": "provision:stack", "Value": "edge"}]}},
                          show=lambda a: {"ETag": a.get("ETag"), "Location": a.get("Location"),
                                          "Distribution": {k: v for k, v in a["Distribution"].items()
                                                           if k != "DistributionConfig"}})
    if not created:
        observe("no distribution: CloudFront probe stops here")
        return cf, []
    dist = created["Distribution"]
    dist_id, dist_arn = dist["Id"], dist["ARN"]
    observe(f"Status at create: {dist['Status']}")
    observe("DistributionConfig round trip (create answer): ")
    for line in diff(config, dist["DistributionConfig"]):
        say(f"    {line}")

    got, _ = call("GetDistribution", cf.get_distribution, Id=dist_id,
                  show=lambda a: {"ETag": a.get("ETag"), "Status": a["Distribution"]["Status"],
                                  "LastModifiedTime": a["Distribution"]["LastModifiedTime"]})
    etag = got["ETag"]
    gc, _ = call("GetDistributionConfig", cf.get_distribution_config, Id=dist_id,
                 show=lambda a: {"ETag": a.get("ETag")})
    observe(f"GetDistributionConfig round trip: {diff(config, gc['DistributionConfig']) == diff(config, dist['DistributionConfig'])} "
            f"(same differences as the create answer)")
    call("GetDistribution unknown (AWS: NoSuchDistribution 404)", cf.get_distribution,
         Id="E000000000000")
    call("CreateDistribution with the same CallerReference (AWS: DistributionAlreadyExists 409, "
         "whatever the config)",
         cf.create_distribution, DistributionConfig=copy.deepcopy(config),
         show=lambda a: {"Id": a["Distribution"]["Id"]})
    other = distribution_config(albs, cert, acl_arn, rhp_id, f"dist-{RUN}-c", "alb-eu")
    cname, _ = call("CreateDistribution with a CNAME another distribution has (AWS: "
                    "CNAMEAlreadyExists 409)", cf.create_distribution,
                    DistributionConfig=copy.deepcopy(other),
                    show=lambda a: {"Id": a["Distribution"]["Id"], "ETag": a.get("ETag")})
    bad = distribution_config(albs, cert, "arn:aws:wafv2:us-east-1:%s:global/webacl/nope/"
                              "00000000-0000-0000-0000-000000000000" % ACCOUNT, rhp_id,
                              f"dist-{RUN}-d", "alb-eu")
    bad["Aliases"] = {"Quantity": 0}
    del bad["ViewerCertificate"]["CloudFrontDefaultCertificate"]
    call("CreateDistribution with a WebACLId of no ACL (AWS: InvalidWebACLId); its "
         "ViewerCertificate has ACMCertificateArn and no CloudFrontDefaultCertificate",
         cf.create_distribution, DistributionConfig=bad,
         show=lambda a: {"Id": a["Distribution"]["Id"],
                         "WebACLId": a["Distribution"]["DistributionConfig"]["WebACLId"],
                         "ViewerCertificate": a["Distribution"]["DistributionConfig"]["ViewerCertificate"]})
    nocert = distribution_config(albs, cert, acl_arn, rhp_id, f"dist-{RUN}-e", "alb-eu")
    nocert["Aliases"] = {"Quantity": 1, "Items": [f"img.{ZONE}"]}
    nocert["ViewerCertificate"] = {"CloudFrontDefaultCertificate": True}
    call("CreateDistribution with Aliases but the default certificate (AWS: "
         "InvalidViewerCertificate)", cf.create_distribution, DistributionConfig=nocert,
         show=lambda a: {"Id": a["Distribution"]["Id"]})
    badgroup = distribution_config(albs, cert, acl_arn, rhp_id, f"dist-{RUN}-f", "alb-eu")
    badgroup["Aliases"] = {"Quantity": 0}
    badgroup["OriginGroups"]["Items"][0]["Members"]["Items"][1]["OriginId"] = "nope"
    call("CreateDistribution with an origin group member that is no origin (AWS: "
         "InvalidOriginGroup / NoSuchOrigin)", cf.create_distribution, DistributionConfig=badgroup,
         show=lambda a: {"Id": a["Distribution"]["Id"]})

    # --- status and update ---------------------------------------------------
    for i in range(2):
        got, _ = call(f"GetDistribution #{i + 2} (Status)", cf.get_distribution, Id=dist_id,
                      show=lambda a: {"ETag": a.get("ETag"), "Status": a["Distribution"]["Status"]})
    updated_config = copy.deepcopy(gc["DistributionConfig"])
    updated_config["Comment"] = "edge v2"
    up, _ = call("UpdateDistribution with the current IfMatch (Comment changed)",
                 cf.update_distribution, Id=dist_id, IfMatch=etag,
                 DistributionConfig=updated_config,
                 show=lambda a: {"ETag": a.get("ETag"), "Status": a["Distribution"]["Status"],
                                 "Comment": a["Distribution"]["DistributionConfig"]["Comment"],
                                 "LastModifiedTime": a["Distribution"]["LastModifiedTime"]})
    if up:
        observe(f"ETag before {etag}, after {up.get('ETag')} (AWS: a new ETag per change); "
                f"Status after update {up['Distribution']['Status']} (AWS: InProgress)")
    call("UpdateDistribution with the stale IfMatch (AWS: PreconditionFailed 412)",
         cf.update_distribution, Id=dist_id, IfMatch="E2STALEETAG0000", DistributionConfig=updated_config,
         show=lambda a: {"ETag": a.get("ETag")})
    call("UpdateDistribution without IfMatch (AWS: InvalidIfMatchVersion 400)",
         cf.update_distribution, Id=dist_id, IfMatch="", DistributionConfig=updated_config,
         show=lambda a: {"ETag": a.get("ETag")})
    changed_ref = dict(copy.deepcopy(updated_config), CallerReference="changed")
    call("UpdateDistribution changing CallerReference (AWS: IllegalUpdate 400)",
         cf.update_distribution, Id=dist_id, IfMatch=cf.get_distribution(Id=dist_id)["ETag"],
         DistributionConfig=changed_ref,
         show=lambda a: {"CallerReference": a["Distribution"]["DistributionConfig"]["CallerReference"]})
    partial = {k: v for k, v in copy.deepcopy(updated_config).items()
               if k in ("CallerReference", "Origins", "DefaultCacheBehavior", "Comment", "Enabled")}
    partial["CallerReference"] = updated_config["CallerReference"]
    etag_now = cf.get_distribution(Id=dist_id)["ETag"]
    WIRE.last = None
    pu, _ = call("UpdateDistribution with only the required members (AWS: replaces, not merges: "
                 "Aliases, OriginGroups, WebACLId... go)", cf.update_distribution, Id=dist_id,
                 IfMatch=etag_now, DistributionConfig=partial,
                 show=lambda a: {k: a["Distribution"]["DistributionConfig"].get(k)
                                 for k in ("Aliases", "OriginGroups", "WebACLId", "PriceClass",
                                           "CustomErrorResponses", "ViewerCertificate")})
    etag_now = cf.get_distribution(Id=dist_id)["ETag"]
    WIRE.last = None
    cf.update_distribution(Id=dist_id, IfMatch=etag_now, DistributionConfig=updated_config)
    WIRE.last = None

    # --- list and tags ----------------------------------------------------------
    call("ListDistributions", cf.list_distributions,
         show=lambda a: {k: v for k, v in a["DistributionList"].items() if k != "Items"}
         | {"items": [(d["Id"], d["Status"]) for d in a["DistributionList"].get("Items", [])]})
    call("ListDistributions(MaxItems=1)", cf.list_distributions, MaxItems="1",
         show=lambda a: {k: v for k, v in a["DistributionList"].items() if k != "Items"})
    call("ListDistributionsByWebACLId (the engine's way to see what uses an ACL)",
         cf.list_distributions_by_web_acl_id, WebACLId=acl_arn)
    call("ListTagsForResource(distribution ARN)", cf.list_tags_for_resource, Resource=dist_arn)
    call("TagResource(Name=edge)", cf.tag_resource, Resource=dist_arn,
         Tags={"Items": [{"Key": "Name", "Value": "edge"}]})
    call("UntagResource(provision:stack)", cf.untag_resource, Resource=dist_arn,
         TagKeys={"Items": ["provision:stack"]})
    call("ListTagsForResource again", cf.list_tags_for_resource, Resource=dist_arn)
    call("ListTagsForResource of no distribution (AWS: NoSuchResource 404)",
         cf.list_tags_for_resource,
         Resource=f"arn:aws:cloudfront::{ACCOUNT}:distribution/E000000000000")

    # --- delete -----------------------------------------------------------------
    etag_now = cf.get_distribution(Id=dist_id)["ETag"]
    WIRE.last = None
    if cname:
        e2 = cf.get_distribution(Id=cname["Distribution"]["Id"])["ETag"]
        WIRE.last = None
        call("DeleteDistribution of an enabled distribution (AWS: DistributionNotDisabled 409)",
             cf.delete_distribution, Id=cname["Distribution"]["Id"], IfMatch=e2)
    disabled = dict(copy.deepcopy(updated_config), Enabled=False)
    off, _ = call("UpdateDistribution Enabled=false", cf.update_distribution, Id=dist_id,
                  IfMatch=etag_now, DistributionConfig=disabled,
                  show=lambda a: {"ETag": a.get("ETag"), "Status": a["Distribution"]["Status"],
                                  "Enabled": a["Distribution"]["DistributionConfig"]["Enabled"]})
    got, _ = call("GetDistribution (wait for Deployed)", cf.get_distribution, Id=dist_id,
                  show=lambda a: {"ETag": a.get("ETag"), "Status": a["Distribution"]["Status"]})
    call("DeleteDistribution with a stale IfMatch (AWS: PreconditionFailed 412)",
         cf.delete_distribution, Id=dist_id, IfMatch="E2STALEETAG0000")
    if got:
        call("DeleteDistribution with the current IfMatch", cf.delete_distribution, Id=dist_id,
             IfMatch=got["ETag"])
    call("GetDistribution after delete (AWS: NoSuchDistribution 404)", cf.get_distribution,
         Id=dist_id)
    call("ListTagsForResource of the deleted distribution (AWS: NoSuchResource 404)",
         cf.list_tags_for_resource, Resource=dist_arn)
    remaining = [d["Id"] for d in cf.list_distributions()["DistributionList"].get("Items", [])]
    WIRE.last = None

    # --- moto's state manager ----------------------------------------------------
    say()
    say("moto's own state manager (POST /moto-api/state-manager/set-transition), times=3:")
    req = urllib.request.Request(
        ENDPOINT + "/moto-api/state-manager/set-transition", method="POST",
        data=json.dumps({"model_name": "cloudfront::distribution",
                         "transition": {"progression": "manual", "times": 3}}).encode())
    with urllib.request.urlopen(req) as resp:
        say(f"  set-transition: HTTP {resp.status}")
    again = distribution_config(albs, cert, acl_arn, rhp_id, f"dist-{RUN}-g", "alb-eu")
    again["Aliases"] = {"Quantity": 0}
    made = cf.create_distribution(DistributionConfig=again)["Distribution"]
    states = [made["Status"]] + [cf.get_distribution(Id=made["Id"])["Distribution"]["Status"]
                                 for _ in range(4)]
    WIRE.last = None
    observe(f"create then 4 gets: {states}")
    req = urllib.request.Request(
        ENDPOINT + "/moto-api/state-manager/unset-transition", method="POST",
        data=json.dumps({"model_name": "cloudfront::distribution"}).encode())
    with urllib.request.urlopen(req) as resp:
        say(f"  unset-transition: HTTP {resp.status}")
    remaining.append(made["Id"])
    return cf, sorted(set(remaining))


# ---------------------------------------------------------------------------
# Patch checks (the launcher's patches 86-104; docs/emulator-notes.md)
# ---------------------------------------------------------------------------

FAILED = []


def expect(ok, label, detail=None):
    """One checked expectation of the launcher's patches 86-104: `ok` or `!! FAIL`."""
    if ok:
        say(f"ok  {label}")
    else:
        FAILED.append(label)
        say(f"!! FAIL {label}" + (f": {short(detail, 600)}" if detail is not None else ""))


def error_code(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response.get("Error", {}).get("Code")
    return None


def check_route53(albs, lifecycle):
    r53 = client("route53", "us-east-1")
    name = f"chk{RUN}.example.com"
    zone = r53.create_hosted_zone(Name=name, CallerReference=f"chk-{RUN}")
    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    expect(zone["ChangeInfo"]["Status"] == "PENDING", "86 CreateHostedZone answers PENDING")
    expect(error_code(r53.create_hosted_zone, Name=name, CallerReference=f"chk-{RUN}")
           == "HostedZoneAlreadyExists", "91 same CallerReference: HostedZoneAlreadyExists")
    soa = [r for r in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
           if r["Type"] == "SOA"][0]
    expect(not soa["ResourceRecords"][0]["Value"].startswith("{"), "91 SOA value is a plain string",
           soa["ResourceRecords"])
    other = r53.create_hosted_zone(Name=f"b{RUN}.example.com", CallerReference=f"chk-b-{RUN}")
    listed = r53.list_hosted_zones_by_name(DNSName=f"b{RUN}.example.com", MaxItems="1")
    expect(listed["IsTruncated"] and listed["MaxItems"] == "1" and "NextDNSName" in listed
           and listed["HostedZones"][0]["Name"] == f"b{RUN}.example.com.",
           "91 ListHostedZonesByName starts at DNSName, pages with MaxItems/NextDNSName",
           {k: v for k, v in listed.items() if k != "HostedZones"})

    # 90 health checks
    config = {"Type": "HTTPS", "FullyQualifiedDomainName": albs["eu-west-1"]["dns"],
              "ResourcePath": "/health", "RequestInterval": 30, "FailureThreshold": 3,
              "Port": 443, "EnableSNI": True}
    made = r53.create_health_check(CallerReference=f"chk-hc-{RUN}", HealthCheckConfig=config)
    hc = made["HealthCheck"]
    got = hc["HealthCheckConfig"]
    expect(all(got.get(k) == v for k, v in config.items()), "90 HealthCheckConfig round trip", got)
    expect(made.get("Location", "").endswith(f"/healthcheck/{hc['Id']}"), "90 Location header",
           made.get("Location"))
    again = r53.create_health_check(CallerReference=f"chk-hc-{RUN}", HealthCheckConfig=config)
    expect(again["HealthCheck"]["Id"] == hc["Id"], "90 same CallerReference and config: the same check")
    expect(error_code(r53.create_health_check, CallerReference=f"chk-hc-{RUN}",
                      HealthCheckConfig=dict(config, FailureThreshold=5))
           == "HealthCheckAlreadyExists", "90 same CallerReference, other config: HealthCheckAlreadyExists")
    up = r53.update_health_check(HealthCheckId=hc["Id"], HealthCheckVersion=1, FailureThreshold=5)
    expect(up["HealthCheck"]["HealthCheckVersion"] == 2, "90 HealthCheckVersion +1 per update")
    expect(error_code(r53.update_health_check, HealthCheckId=hc["Id"], HealthCheckVersion=1,
                      FailureThreshold=4) == "HealthCheckVersionMismatch",
           "90 stale HealthCheckVersion: HealthCheckVersionMismatch")
    reset = r53.update_health_check(HealthCheckId=hc["Id"], ResetElements=["ResourcePath"])
    expect(not reset["HealthCheck"]["HealthCheckConfig"].get("ResourcePath"), "90 ResetElements")
    r53.update_health_check(HealthCheckId=hc["Id"], ResourcePath="/health", FailureThreshold=3)
    hc2 = r53.create_health_check(CallerReference=f"chk-hc2-{RUN}", HealthCheckConfig=dict(
        config, FullyQualifiedDomainName=albs["ap-southeast-1"]["dns"]))["HealthCheck"]
    page1 = r53.list_health_checks(MaxItems="1")
    page2 = r53.list_health_checks(MaxItems="1", Marker=page1.get("NextMarker", ""))
    expect(page1["IsTruncated"] and len(page1["HealthChecks"]) == 1
           and page2["HealthChecks"][0]["Id"] != page1["HealthChecks"][0]["Id"],
           "90 ListHealthChecks pages with MaxItems/NextMarker")
    expect(error_code(r53.change_tags_for_resource, ResourceType="healthcheck",
                      ResourceId="00000000-0000-0000-0000-000000000000",
                      AddTags=[{"Key": "k", "Value": "v"}]) == "NoSuchHealthCheck",
           "92 tags of an unknown health check: NoSuchHealthCheck")

    # 86-89 records
    www, api = f"www.{name}", f"api.{name}"
    eu = alias_record(www, "eu", albs["eu-west-1"], geo={"ContinentCode": "EU"}, health=hc["Id"])
    asia = alias_record(www, "as", albs["ap-southeast-1"], geo={"ContinentCode": "AS"},
                        health=hc2["Id"])
    default = alias_record(www, "default", albs["us-east-1"], geo={"CountryCode": "*"})
    primary = alias_record(api, "primary", albs["eu-west-1"], failover="PRIMARY", health=hc["Id"])
    secondary = alias_record(api, "secondary", albs["ap-southeast-1"], failover="SECONDARY")
    sent = [eu, asia, default, primary, secondary]
    ch = r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Comment": "chk", "Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in sent]})
    info = ch["ChangeInfo"]
    expect(info["Status"] == "PENDING" and info["Id"] != zone["ChangeInfo"]["Id"],
           "86 ChangeResourceRecordSets answers PENDING with its own id", info)
    statuses = [r53.get_change(Id=info["Id"])["ChangeInfo"] for _ in range(lifecycle + 1)]
    expect([s["Status"] for s in statuses] == ["PENDING"] * lifecycle + ["INSYNC"]
           and statuses[-1].get("Comment") == "chk",
           f"86 GetChange: INSYNC{f' after {lifecycle} calls' if lifecycle else ' at once'}, with the Comment",
           statuses)
    expect(error_code(r53.get_change, Id="C0000000NOSUCH") == "NoSuchChange", "86 unknown change: NoSuchChange")
    records = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    mine = {(r["Name"], r.get("SetIdentifier")): r for r in records if r["Type"] == "A"}
    back = [mine.get((r["Name"] + ".", r["SetIdentifier"])) for r in sent]
    expect(all(b is not None and all(b.get(k) == v for k, v in r.items() if k != "Name")
               for r, b in zip(sent, back)),
           "geolocation and failover alias records round-trip (SetIdentifier, GeoLocation, Failover,"
           " HealthCheckId, AliasTarget)", back)
    seen, start = [], {}
    for _ in range(20):
        pg = r53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="1", **start)
        seen += [(r["Name"], r["Type"], r.get("SetIdentifier")) for r in pg["ResourceRecordSets"]]
        if not pg["IsTruncated"]:
            break
        start = {"StartRecordName": pg["NextRecordName"], "StartRecordType": pg["NextRecordType"]}
        if pg.get("NextRecordIdentifier"):
            start["StartRecordIdentifier"] = pg["NextRecordIdentifier"]
    expect(len(seen) == len(set(seen)) == 7, "89 paging with NextRecordIdentifier visits each record once",
           seen)
    changed_asia = alias_record(www, "as", albs["eu-west-1"], geo={"ContinentCode": "AS"})
    expect(error_code(r53.change_resource_record_sets, HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "CREATE", "ResourceRecordSet": changed_asia}]})
        == "InvalidChangeBatch", "87 CREATE of an existing record: InvalidChangeBatch")
    wrong = alias_record(www, "eu", albs["eu-west-1"], geo={"ContinentCode": "EU"},
                         health=hc["Id"], evaluate=False)
    expect(error_code(r53.change_resource_record_sets, HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "DELETE", "ResourceRecordSet": wrong}]}) == "InvalidChangeBatch",
        "87 DELETE with other values: InvalidChangeBatch")
    missing = alias_record(www, "nope", albs["eu-west-1"], geo={"ContinentCode": "OC"})
    expect(error_code(r53.change_resource_record_sets, HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "DELETE", "ResourceRecordSet": eu},
                    {"Action": "DELETE", "ResourceRecordSet": missing}]}) == "InvalidChangeBatch",
        "87 DELETE of a missing record: InvalidChangeBatch")
    count = len(r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"])
    expect(count == 7, "87 a failed batch changes nothing", count)
    bad = [
        ("no SetIdentifier", dict({k: v for k, v in eu.items() if k != "SetIdentifier"}), "InvalidInput"),
        ("ContinentCode XX", dict(eu, SetIdentifier="xx", GeoLocation={"ContinentCode": "XX"}), "InvalidInput"),
        ("alias with TTL", dict(eu, SetIdentifier="ttl", GeoLocation={"CountryCode": "FR"}, TTL=60), "InvalidInput"),
        ("unknown HealthCheckId", dict(eu, SetIdentifier="hc", GeoLocation={"CountryCode": "DE"},
                                       HealthCheckId="00000000-0000-0000-0000-000000000000"), "NoSuchHealthCheck"),
        ("same location twice", dict(eu, SetIdentifier="eu2"), "InvalidChangeBatch"),
        ("second PRIMARY", dict(primary, SetIdentifier="primary2"), "InvalidChangeBatch"),
        ("alias zone not the ALB's", dict(eu, SetIdentifier="zone", GeoLocation={"CountryCode": "IT"},
                                          AliasTarget=dict(eu["AliasTarget"], HostedZoneId="Z35SXDOTRQ7X7K")),
         "InvalidChangeBatch"),
    ]
    for label, record, code in bad:
        got = error_code(r53.change_resource_record_sets, HostedZoneId=zone_id, ChangeBatch={
            "Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]})
        expect(got == code, f"88 {label}: {code}", got)
    expect(error_code(r53.delete_hosted_zone, Id=zone_id) == "HostedZoneNotEmpty",
           "DeleteHostedZone with records: HostedZoneNotEmpty")
    r53.delete_health_check(HealthCheckId=hc2["Id"])
    expect(error_code(r53.delete_health_check, HealthCheckId=hc2["Id"]) == "NoSuchHealthCheck",
           "90 DeleteHealthCheck of an unknown id: NoSuchHealthCheck")
    expect(error_code(r53.create_health_check, CallerReference=f"chk-hc2-{RUN}", HealthCheckConfig=dict(
        config, FullyQualifiedDomainName=albs["ap-southeast-1"]["dns"])) == "HealthCheckAlreadyExists",
        "90 a deleted check's CallerReference: HealthCheckAlreadyExists")
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "DELETE", "ResourceRecordSet": r} for r in sent]})
    deleted = r53.delete_hosted_zone(Id=zone_id)
    expect(deleted["ChangeInfo"]["Status"] == "PENDING", "86 DeleteHostedZone answers PENDING")
    r53.delete_hosted_zone(Id=other["HostedZone"]["Id"])
    r53.delete_health_check(HealthCheckId=hc["Id"])


def check_wafv2_cloudfront(cloudfront_acl=None):
    waf = client("wafv2", "us-east-1")
    name = f"chk-cf-{RUN}"
    rules = copy.deepcopy(ACL_RULES)
    acl = waf.create_web_acl(Name=name, Scope="CLOUDFRONT", DefaultAction={"Allow": {}},
                             VisibilityConfig=visibility(name), Rules=rules,
                             Description="edge")["Summary"]
    expect(error_code(waf.create_web_acl, Name=name, Scope="CLOUDFRONT", DefaultAction={"Allow": {}},
                      VisibilityConfig=visibility(name)) == "WAFDuplicateItemException",
           "79 (CLOUDFRONT) duplicate name: WAFDuplicateItemException")
    got = waf.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl["Id"])
    expect(got["WebACL"]["Capacity"] == 1103, "80 (CLOUDFRONT) Capacity 2 + 700 + 200 + 200 + 1",
           got["WebACL"]["Capacity"])
    expect(diff(rules, got["WebACL"]["Rules"]) == [], "rate-based, managed and geo-match rules round-trip",
           got["WebACL"]["Rules"])
    by_arn = waf.get_web_acl(ARN=acl["ARN"])
    expect(by_arn["WebACL"]["Id"] == acl["Id"], "104 GetWebACL by the ARN alone")
    expect(error_code(client("wafv2", "eu-west-1").list_web_acls, Scope="CLOUDFRONT")
           == "WAFInvalidParameterException", "104 Scope=CLOUDFRONT outside us-east-1")
    bad_action = [dict(rules[1], Action={"Block": {}})]
    del bad_action[0]["OverrideAction"]
    expect(error_code(waf.create_web_acl, Name=name + "-x", Scope="CLOUDFRONT", DefaultAction={"Allow": {}},
                      VisibilityConfig=visibility("x"), Rules=bad_action) == "WAFInvalidParameterException",
           "104 managed rule group with Action: WAFInvalidParameterException")
    low = copy.deepcopy(rules[:1])
    low[0]["Statement"]["RateBasedStatement"]["Limit"] = 5
    expect(error_code(client("wafv2", "us-east-1", validate=False).create_web_acl, Name=name + "-y",
                      Scope="CLOUDFRONT", DefaultAction={"Allow": {}}, VisibilityConfig=visibility("y"),
                      Rules=low) == "WAFInvalidParameterException", "104 rate limit 5: WAFInvalidParameterException")
    token = waf.update_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl["Id"], DefaultAction={"Block": {}},
                               VisibilityConfig=visibility(name), Rules=[],
                               LockToken=got["LockToken"])["NextLockToken"]
    now = waf.get_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl["Id"])["WebACL"]
    expect(not now.get("Rules") and not now.get("Description") and now["Capacity"] == 0,
           "81 (CLOUDFRONT) UpdateWebACL replaces the whole ACL", now)
    token = waf.update_web_acl(Name=name, Scope="CLOUDFRONT", Id=acl["Id"], DefaultAction={"Allow": {}},
                               VisibilityConfig=visibility(name), Rules=rules, LockToken=token)["NextLockToken"]
    return waf, name, acl, token


def check_cloudfront(albs, lifecycle):
    cf = client("cloudfront", "us-east-1")
    acm = client("acm", "us-east-1")
    cert = acm.request_certificate(DomainName=f"*.chk{RUN}.example.com", ValidationMethod="DNS",
                                   SubjectAlternativeNames=[f"chk{RUN}.example.com"])["CertificateArn"]
    waf, acl_name, acl, token = check_wafv2_cloudfront()
    rhp_config = {
        "Name": f"chk-security-{RUN}", "Comment": "security headers",
        "SecurityHeadersConfig": {
            "StrictTransportSecurity": {"Override": True, "AccessControlMaxAgeSec": 63072000,
                                        "IncludeSubdomains": True, "Preload": True},
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": "DENY"},
            "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
        },
    }
    rhp = cf.create_response_headers_policy(ResponseHeadersPolicyConfig=rhp_config)
    rhp_id = rhp["ResponseHeadersPolicy"]["Id"]
    expect(rhp.get("ETag") and rhp.get("Location", "").endswith(rhp_id)
           and rhp["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"] == rhp_config,
           "97 CreateResponseHeadersPolicy: ETag, Location, config round trip", rhp)
    expect(error_code(cf.create_response_headers_policy, ResponseHeadersPolicyConfig=rhp_config)
           == "ResponseHeadersPolicyAlreadyExists", "97 same name: ResponseHeadersPolicyAlreadyExists")
    expect(error_code(cf.update_response_headers_policy, Id=rhp_id, IfMatch="STALE",
                      ResponseHeadersPolicyConfig=rhp_config) == "PreconditionFailed",
           "97 stale IfMatch: PreconditionFailed")
    rhp_up = cf.update_response_headers_policy(Id=rhp_id, IfMatch=rhp["ETag"], ResponseHeadersPolicyConfig=dict(
        rhp_config, Comment="v2"))
    expect(rhp_up["ETag"] != rhp["ETag"] and cf.get_response_headers_policy(Id=rhp_id)[
        "ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["Comment"] == "v2",
        "97 UpdateResponseHeadersPolicy: new ETag, new config")
    expect(cf.get_cache_policy(Id=CACHING_OPTIMIZED)["CachePolicy"]["CachePolicyConfig"]["DefaultTTL"] == 86400,
           "98 GetCachePolicy(CachingOptimized)")
    expect(error_code(cf.delete_response_headers_policy, Id="67f7725c-6f97-4210-82d7-5512b31e9d03",
                      IfMatch="x") == "IllegalDelete", "97 managed policy: IllegalDelete")

    config = distribution_config(albs, cert, acl["ARN"], rhp_id, f"chk-{RUN}", "alb-failover")
    config["Aliases"] = {"Quantity": 1, "Items": [f"cdn.chk{RUN}.example.com"]}
    expect(error_code(cf.create_distribution, DistributionConfig=copy.deepcopy(config))
           == "InvalidViewerCertificate", "101 certificate not ISSUED: InvalidViewerCertificate")
    issued = raw("POST", "/_provision/acm/issue?arn=" + cert)
    for _ in range(lifecycle + 1):
        acm.describe_certificate(CertificateArn=cert)
    made = cf.create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": copy.deepcopy(config),
        "Tags": {"Items": [{"Key": "provision:stack", "Value": "chk"}]}})
    dist = made["Distribution"]
    expect(dist["DistributionConfig"]["DefaultCacheBehavior"]["TargetOriginId"] == "alb-failover",
           "93 DefaultCacheBehavior may target the origin group", issued)
    expect(dist["Status"] == "InProgress", "95 create answers InProgress")
    echo = dist["DistributionConfig"]
    for key in ("Aliases", "OriginGroups", "CustomErrorResponses", "PriceClass", "WebACLId", "HttpVersion"):
        expect(echo.get(key) == config[key], f"{key} round-trips", {"sent": config[key], "got": echo.get(key)})
    expect([o.get("OriginShield") for o in echo["Origins"]["Items"]]
           == [o.get("OriginShield", {"Enabled": False}) for o in config["Origins"]["Items"]],
           "OriginShield round-trips")
    vc = echo["ViewerCertificate"]
    expect(vc.get("ACMCertificateArn") == cert and vc.get("MinimumProtocolVersion") == "TLSv1.2_2021"
           and vc.get("SSLSupportMethod") == "sni-only" and vc.get("CloudFrontDefaultCertificate") is False,
           "99 ViewerCertificate round-trips, CloudFrontDefaultCertificate false", vc)
    expect("ForwardedValues" not in echo["DefaultCacheBehavior"] and "MinTTL" not in echo["DefaultCacheBehavior"],
           "99 no ForwardedValues/TTLs beside a CachePolicyId", echo["DefaultCacheBehavior"])
    dist_id, etag = dist["Id"], made["ETag"]
    states = [cf.get_distribution(Id=dist_id) for _ in range(lifecycle + 1)]
    expect([s["Distribution"]["Status"] for s in states] == ["InProgress"] * lifecycle + ["Deployed"],
           f"95 Deployed{f' after {lifecycle} GetDistribution' if lifecycle else ' at the first GetDistribution'}",
           [s["Distribution"]["Status"] for s in states])
    expect(states[-1]["ETag"] == etag, "94 Get answers the current ETag")
    expect(error_code(cf.create_distribution, DistributionConfig=dict(
        copy.deepcopy(config), CallerReference=f"chk-{RUN}-2")) == "CNAMEAlreadyExists",
        "101 an alias another distribution has: CNAMEAlreadyExists")
    nowaf = dict(copy.deepcopy(config), CallerReference=f"chk-{RUN}-3", Aliases={"Quantity": 0},
                 WebACLId=acl["ARN"][:-4] + "0000")
    expect(error_code(cf.create_distribution, DistributionConfig=nowaf) == "InvalidWebACLId",
           "101 WebACLId of no ACL: InvalidWebACLId")
    expect(error_code(cf.delete_response_headers_policy, Id=rhp_id, IfMatch=rhp_up["ETag"])
           == "ResponseHeadersPolicyInUse", "97 policy in use: ResponseHeadersPolicyInUse")
    expect(error_code(waf.delete_web_acl, Name=acl_name, Scope="CLOUDFRONT", Id=acl["Id"], LockToken=token)
           == "WAFAssociatedItemException", "103 DeleteWebACL of an ACL a distribution uses")
    by_acl = cf.list_distributions_by_web_acl_id(WebACLId=acl["ARN"])["DistributionList"]
    expect([d["Id"] for d in by_acl.get("Items", [])] == [dist_id], "100 ListDistributionsByWebACLId", by_acl)
    listed = cf.list_distributions()["DistributionList"]["Items"]
    expect(all(d.get("Staging") is False for d in listed), "99 Staging false in summaries")

    current = cf.get_distribution_config(Id=dist_id)
    new_config = dict(current["DistributionConfig"], Comment="v2")
    expect(error_code(cf.update_distribution, Id=dist_id, IfMatch="E2STALE", DistributionConfig=new_config)
           == "PreconditionFailed", "94 stale IfMatch: PreconditionFailed")
    expect(error_code(cf.update_distribution, Id=dist_id, IfMatch="", DistributionConfig=new_config)
           == "InvalidIfMatchVersion", "94 empty IfMatch: InvalidIfMatchVersion")
    expect(error_code(cf.update_distribution, Id=dist_id, IfMatch=current["ETag"], DistributionConfig=dict(
        new_config, CallerReference="changed")) == "IllegalUpdate", "101 changed CallerReference: IllegalUpdate")
    up = cf.update_distribution(Id=dist_id, IfMatch=current["ETag"], DistributionConfig=new_config)
    expect(up["ETag"] != current["ETag"] and up["Distribution"]["Status"] == "InProgress",
           "94/95 update: new ETag, InProgress", {"ETag": up["ETag"], "Status": up["Distribution"]["Status"]})
    expect(str(up["Distribution"]["LastModifiedTime"].year) != "2021", "95 LastModifiedTime is now")
    expect(error_code(cf.delete_distribution, Id=dist_id, IfMatch=up["ETag"]) == "DistributionNotDisabled",
           "96 DeleteDistribution of an enabled distribution: DistributionNotDisabled")
    off = cf.update_distribution(Id=dist_id, IfMatch=up["ETag"], DistributionConfig=dict(
        new_config, Enabled=False, WebACLId=""))
    if lifecycle:
        expect(error_code(cf.delete_distribution, Id=dist_id, IfMatch=off["ETag"]) == "DistributionNotDisabled",
               "96 disabled but InProgress: DistributionNotDisabled")
    states = [cf.get_distribution(Id=dist_id)["Distribution"]["Status"] for _ in range(lifecycle + 1)]
    expect(states[-1] == "Deployed", "95 the disabling update turns Deployed", states)
    expect(error_code(cf.delete_distribution, Id=dist_id, IfMatch="E2STALE") == "PreconditionFailed",
           "94 DeleteDistribution with a stale IfMatch: PreconditionFailed")
    cf.delete_distribution(Id=dist_id, IfMatch=off["ETag"])
    expect(error_code(cf.list_tags_for_resource, Resource=dist["ARN"]) == "NoSuchResource",
           "102 tags of a deleted distribution: NoSuchResource")
    waf.delete_web_acl(Name=acl_name, Scope="CLOUDFRONT", Id=acl["Id"], LockToken=token)
    expect(error_code(waf.list_tags_for_resource, ResourceARN=acl["ARN"]) == "WAFNonexistentItemException",
           "84 (CLOUDFRONT) tags of a deleted ACL: WAFNonexistentItemException")
    cf.delete_response_headers_policy(Id=rhp_id, IfMatch=rhp_up["ETag"])
    expect(error_code(cf.get_response_headers_policy, Id=rhp_id) == "NoSuchResponseHeadersPolicy",
           "97 deleted: NoSuchResponseHeadersPolicy")


def check_patches(albs, lifecycle):
    section(f"Patch checks (lifecycle {lifecycle or 'off'})")
    WIRE.last = None
    check_route53(albs, lifecycle)
    check_cloudfront(albs, lifecycle)
    WIRE.last = None


def cleanup_distributions(cf, ids):
    for d in ids:
        try:
            cf.delete_distribution(Id=d, IfMatch=cf.get_distribution(Id=d)["ETag"])
        except ClientError:
            pass
    WIRE.last = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lifecycle", type=int, default=0,
                        help="the emulator's PROVISION_EMULATOR_LIFECYCLE, for the patch checks")
    parser.add_argument("--checks-only", action="store_true",
                        help="run only the patch checks (patches 86-104)")
    args = parser.parse_args()
    if not ENDPOINT:
        sys.exit("AWS_ENDPOINT_URL is not set: source the emulator's env first")
    say(f"endpoint {ENDPOINT}, account {ACCOUNT}, zone {ZONE}")
    albs, cert = setup()
    if not args.checks_only:
        probe_route53(albs)
        waf, name, acl_id, arn = probe_wafv2()
        cf, left = probe_cloudfront(albs, cert, arn)
        finish_wafv2(waf, name, acl_id, arn, distribution_uses_it=bool(left))
        cleanup_distributions(cf, left)
    check_patches(albs, args.lifecycle)
    if not args.checks_only:
        section("Call recorder: what REST calls look like")
        status, body = raw("GET", "/_provision/calls")
        calls = json.loads(body)["calls"]
        mine = [c for c in calls if c["service"] in ("route53", "cloudfront", "wafv2")]
        for c in mine[:6] + [c for c in mine if c["service"] == "cloudfront"][:4]:
            say(f"  {c}")
        say(f"  ({len(mine)} route53/cloudfront/wafv2 calls recorded)")
    say(f"\npatch checks: {len(FAILED)} failed {FAILED}")
    sys.exit(1 if FAILED and args.checks_only else 0)


if __name__ == "__main__":
    main()

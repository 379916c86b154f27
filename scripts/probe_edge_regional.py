#!/usr/bin/env python3
"""Probe of the emulator's edge services, as the engine's edge section would call them.

ELBv2 (an internet-facing ALB in three public subnets, a target group for EKS nodes, an
HTTPS listener with an ACM certificate and a redirecting HTTP listener), ACM (imported and
DNS-validated certificates) and WAFv2 (a REGIONAL web ACL with a rate-based rule and AWS
managed rule groups, associated with the ALB). See docs/emulator-notes.md, "ELBv2, ACM and
WAFv2 (regional)", and the launcher's patches 65-85.

The first part is a report: it prints what each call returns (or which error it raises).
Lines start with the call; `->` is the emulator's answer, `!!` marks an answer that
differs from what AWS documents (the note after it says what AWS does). Then "Patch checks"
asserts the patched behaviour, one `ok` or `!! FAIL` line per expectation, in a fresh VPC
of each region; --checks-only runs just those (exit status 1 if one fails). Pass
--lifecycle N when the emulator runs with PROVISION_EMULATOR_LIFECYCLE=N.

  scripts/emulator start --port 0 --pidfile /tmp/pe.pid --log /tmp/pe.log > /tmp/pe.env
  . /tmp/pe.env
  .venv/bin/python scripts/probe_edge_regional.py                  # both regions
  .venv/bin/python scripts/probe_edge_regional.py --checks-only    # the patch checks only
  scripts/emulator stop --pidfile /tmp/pe.pid

The endpoint comes from AWS_ENDPOINT_URL. Each run uses a fresh account
(x-moto-account-id), so runs don't collide. --acm-wait N polls DescribeCertificate of the
requested (DNS-validated) certificate for up to N seconds (default 0: no wait). The
emulator issues it when its validation records are in a Route 53 zone of the account or on
POST /_provision/acm/issue (patch 78), or by the clock only when the emulator was started
with MOTO_ACM_VALIDATION_WAIT set; the patch checks cover the first two.
"""

import argparse
import datetime
import json
import os
import random
import re
import sys
import time
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REGIONS = ("us-east-1", "eu-west-1")
TLS13 = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Route 53 hosted zone ids of ALBs, per region (AWS "Elastic Load Balancing endpoints").
ALB_ZONE = {"us-east-1": "Z35SXDOTRQ7X7K", "eu-west-1": "Z32O12XQLNTSW2",
            "ap-southeast-1": "Z1LMS91P8CMLE5", "us-west-2": "Z1H1FL5HABSF5",
            "eu-central-1": "Z215JYRZR1TBD5"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

MODELS = {s: boto3.session.Session().client(s, region_name="us-east-1").meta.service_model
          for s in ("acm", "wafv2")}
raw = []  # (service, operation, http status, headers, body bytes) of every response
ACCOUNT = "".join(random.choice("0123456789") for _ in range(12))


# --- output -------------------------------------------------------------------------------


def out(line=""):
    print(line, flush=True)


def section(title):
    out()
    out(f"== {title}")


def short(value, limit=700):
    text = json.dumps(value, default=str, sort_keys=False)
    return text if len(text) <= limit else text[:limit] + " ..."


def differs(note):
    out(f"   !! {note}")


def call(client, op, label=None, show=None, **kwargs):
    """Calls op, prints `label -> shown answer` or `label -> ERROR code (HTTP)`.

    Returns (response, error code or None)."""
    label = label or op
    try:
        resp = getattr(client, op)(**kwargs)
    except ClientError as e:
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        out(f"{label} -> ERROR {err.get('Code')} ({status}): {err.get('Message', '')[:160]}")
        return None, err.get("Code")
    except Exception as e:  # botocore parse errors, connection errors
        out(f"{label} -> EXCEPTION {type(e).__name__}: {str(e)[:300]}")
        return None, type(e).__name__
    resp.pop("ResponseMetadata", None)
    shown = show(resp) if show else resp
    out(f"{label} -> {short(shown)}")
    return resp, None


# --- clients ------------------------------------------------------------------------------


def clients(region):
    config = Config(retries={"max_attempts": 1})

    def with_account(request, **_):
        request.headers["x-moto-account-id"] = ACCOUNT

    def keep_raw(response_dict, operation_model, **_):
        raw.append((operation_model.service_model.service_name, operation_model.name,
                    response_dict["status_code"], dict(response_dict["headers"]),
                    response_dict["body"] or b""))

    made = {}
    for service in ("ec2", "elbv2", "acm", "wafv2", "route53"):
        client = boto3.client(service, region_name=region, config=config,
                              endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        client.meta.events.register("before-sign", with_account)
        client.meta.events.register("before-parse", keep_raw)
        made[service] = client
    return made


# --- fixtures -----------------------------------------------------------------------------


def self_signed(domain, sans=()):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(d) for d in (domain, *sans)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_cert = cert.public_bytes(serialization.Encoding.PEM)
    pem_key = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return pem_cert, pem_key


def network(ec2, region, second_octet):
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for i, az in enumerate(f"{region}{s}" for s in "abc"):
        subnets.append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second_octet}.{i}.0/24",
                                         AvailabilityZone=az)["Subnet"]["SubnetId"])
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    other_vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet + 100}.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock=f"10.{second_octet + 100}.0.0/24",
                                     AvailabilityZone=f"{region}a")["Subnet"]["SubnetId"]
    out(f"(network: vpc {vpc}, public subnets {subnets}, sg {sg}; "
        f"other vpc {other_vpc} subnet {other_subnet})")
    return vpc, subnets, sg, other_subnet


def tags(**kv):
    return [{"Key": k, "Value": v} for k, v in kv.items()]


STACK_TAGS = tags(**{"provision:stack": "edge", "provision:region-role": "primary"})


# --- ACM ----------------------------------------------------------------------------------


def cert_view(resp):
    c = resp["Certificate"]
    keep = ("Status", "Type", "DomainName", "SubjectAlternativeNames", "InUseBy", "KeyAlgorithm",
            "CreatedAt", "IssuedAt", "ImportedAt", "NotBefore", "NotAfter", "RenewalEligibility",
            "Issuer", "FailureReason")
    view = {k: c.get(k) for k in keep if k in c}
    view["DomainValidationOptions"] = c.get("DomainValidationOptions", "<absent>")
    return view


def probe_acm(cl, region, state):
    acm = cl["acm"]
    section(f"ACM {region}")
    domain = f"app.{region}.example.com"

    pem_cert, pem_key = self_signed(domain, (f"www.{region}.example.com",))
    resp, _ = call(acm, "import_certificate", "ImportCertificate(self-signed, cryptography)",
                   Certificate=pem_cert, PrivateKey=pem_key, Tags=STACK_TAGS)
    imported = resp["CertificateArn"]
    state["imported"] = imported
    call(acm, "describe_certificate", "DescribeCertificate(imported)", cert_view,
         CertificateArn=imported)

    pem2, key2 = self_signed(f"alt.{region}.example.com")
    resp, _ = call(acm, "import_certificate", "ImportCertificate(second)",
                   Certificate=pem2, PrivateKey=key2)
    state["imported2"] = resp["CertificateArn"]

    resp, _ = call(acm, "request_certificate", "RequestCertificate(DNS, SAN, tags, token)",
                   DomainName=domain, ValidationMethod="DNS",
                   SubjectAlternativeNames=[domain, f"*.{region}.example.com"],
                   IdempotencyToken="edge1", Tags=STACK_TAGS)
    requested = resp["CertificateArn"]
    state["requested"] = requested
    state["requested_at"] = time.monotonic()
    resp, _ = call(acm, "describe_certificate", "DescribeCertificate(requested, at once)",
                   cert_view, CertificateArn=requested)
    if resp:
        dvos = resp["Certificate"].get("DomainValidationOptions", [])
        if all("ResourceRecord" in d for d in dvos):
            out("   (ResourceRecord is there at once; AWS fills it in some seconds after "
                "RequestCertificate, as the emulator's lifecycle mode does: poll until every "
                "DomainValidationOption has one)")
        if "IssuedAt" in resp["Certificate"]:
            differs("IssuedAt on a PENDING_VALIDATION certificate; AWS sets it when issued")
        names = {d["ResourceRecord"]["Name"].split(".")[0] for d in dvos if "ResourceRecord" in d}
        values = {d["ResourceRecord"]["Value"] for d in dvos if "ResourceRecord" in d}
        out(f"   (record name labels {sorted(names)}, values {sorted(values)})")

    call(acm, "request_certificate", "RequestCertificate(same IdempotencyToken again)",
         lambda r: {"same ARN": r["CertificateArn"] == requested, "arn": r["CertificateArn"]},
         DomainName=domain, ValidationMethod="DNS",
         SubjectAlternativeNames=[domain, f"*.{region}.example.com"],
         IdempotencyToken="edge1", Tags=STACK_TAGS)
    resp, _ = call(acm, "request_certificate", "RequestCertificate(EMAIL)",
                   DomainName=f"mail.{region}.example.com", ValidationMethod="EMAIL")
    if resp:
        call(acm, "describe_certificate", "DescribeCertificate(EMAIL-validated)",
             lambda r: [{k: d.get(k) for k in ("ValidationMethod", "ValidationEmails",
                                               "ResourceRecord")}
                        for d in r["Certificate"].get("DomainValidationOptions", [])],
             CertificateArn=resp["CertificateArn"])

    call(acm, "list_certificates", "ListCertificates()",
         lambda r: {"count": len(r["CertificateSummaryList"]),
                    "first": r["CertificateSummaryList"][0] if r["CertificateSummaryList"] else None})
    call(acm, "list_certificates", "ListCertificates(CertificateStatuses=[ISSUED])",
         lambda r: [(c["CertificateArn"][-12:], c.get("Status")) for c in r["CertificateSummaryList"]],
         CertificateStatuses=["ISSUED"])
    call(acm, "list_tags_for_certificate", "ListTagsForCertificate(requested)",
         CertificateArn=requested)
    call(acm, "add_tags_to_certificate", "AddTagsToCertificate(extra=1)",
         CertificateArn=requested, Tags=tags(extra="1"))
    call(acm, "remove_tags_from_certificate", "RemoveTagsFromCertificate(extra)",
         CertificateArn=requested, Tags=[{"Key": "extra"}])
    call(acm, "list_tags_for_certificate", "ListTagsForCertificate(requested) after",
         CertificateArn=requested)
    bogus = f"arn:aws:acm:{region}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
    state["bogus_cert"] = bogus
    call(acm, "describe_certificate", "DescribeCertificate(unknown ARN)", CertificateArn=bogus)
    call(acm, "get_certificate", "GetCertificate(requested, pending)",
         lambda r: sorted(r), CertificateArn=requested)


# --- ELBv2 --------------------------------------------------------------------------------


def lb_view(lb):
    keep = ("LoadBalancerName", "State", "Scheme", "Type", "DNSName", "CanonicalHostedZoneId",
            "CreatedTime", "VpcId", "SecurityGroups", "IpAddressType", "AvailabilityZones")
    return {k: lb.get(k, "<absent>") for k in keep}


def tg_view(tg):
    keep = ("TargetGroupName", "Protocol", "ProtocolVersion", "Port", "TargetType",
            "HealthCheckProtocol", "HealthCheckPort", "HealthCheckPath", "HealthCheckEnabled",
            "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds", "HealthyThresholdCount",
            "UnhealthyThresholdCount", "Matcher", "LoadBalancerArns", "IpAddressType", "VpcId")
    return {k: tg.get(k, "<absent>") for k in keep}


def listener_view(listener):
    keep = ("Port", "Protocol", "SslPolicy", "Certificates", "DefaultActions", "AlpnPolicy")
    return {k: listener.get(k, "<absent>") for k in keep}


def probe_elbv2(cl, region, state):
    ec2, elb = cl["ec2"], cl["elbv2"]
    section(f"ELBv2 {region}")
    vpc, subnets, sg, other_subnet = network(ec2, region, 10 if region == "us-east-1" else 20)
    state["vpc"] = vpc
    name = "edge-alb"

    resp, _ = call(elb, "create_load_balancer", "CreateLoadBalancer(3 subnets, sg, tags)",
                   lambda r: lb_view(r["LoadBalancers"][0]),
                   Name=name, Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing",
                   Type="application", IpAddressType="ipv4", Tags=STACK_TAGS)
    lb = resp["LoadBalancers"][0]
    lb_arn = lb["LoadBalancerArn"]
    state["lb_arn"] = lb_arn
    out(f"   (ARN {lb_arn})")
    if lb.get("CanonicalHostedZoneId") != ALB_ZONE[region]:
        differs(f"CanonicalHostedZoneId {lb.get('CanonicalHostedZoneId')}; AWS's ALB zone in "
                f"{region} is {ALB_ZONE[region]}")

    call(elb, "create_load_balancer", "CreateLoadBalancer(same name, same settings)",
         lambda r: {"same ARN": r["LoadBalancers"][0]["LoadBalancerArn"] == lb_arn,
                    "arn": r["LoadBalancers"][0]["LoadBalancerArn"]},
         Name=name, Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing",
         Type="application", IpAddressType="ipv4", Tags=STACK_TAGS)
    call(elb, "create_load_balancer", "CreateLoadBalancer(same name, 2 subnets)",
         lambda r: {"same ARN": r["LoadBalancers"][0]["LoadBalancerArn"] == lb_arn},
         Name=name, Subnets=subnets[:2], SecurityGroups=[sg], Scheme="internet-facing",
         Type="application")
    call(elb, "describe_load_balancers", "DescribeLoadBalancers(Names=[name])",
         lambda r: [(x["LoadBalancerArn"][-16:], x["State"]) for x in r["LoadBalancers"]],
         Names=[name])
    resp, _ = call(elb, "create_load_balancer", "CreateLoadBalancer(no Scheme, no SecurityGroups)",
                   lambda r: lb_view(r["LoadBalancers"][0]),
                   Name="edge-alb-defaults", Subnets=subnets)
    state["lb_defaults"] = resp["LoadBalancers"][0]["LoadBalancerArn"] if resp else None
    call(elb, "create_load_balancer", "CreateLoadBalancer(1 subnet)",
         lambda r: lb_view(r["LoadBalancers"][0]), Name="edge-alb-one", Subnets=subnets[:1])
    call(elb, "create_load_balancer", "CreateLoadBalancer(subnets of two VPCs)",
         lambda r: lb_view(r["LoadBalancers"][0]), Name="edge-alb-2vpc",
         Subnets=[subnets[1], other_subnet])
    call(elb, "create_load_balancer", "CreateLoadBalancer(two subnets in one AZ)",
         lambda r: lb_view(r["LoadBalancers"][0]), Name="edge-alb-1az",
         Subnets=[subnets[0], subnets[0]])
    for bad in ("internal-edge", "-edge", "edge_alb", "e" * 33):
        call(elb, "create_load_balancer", f"CreateLoadBalancer(Name={bad!r})",
             lambda r: r["LoadBalancers"][0]["LoadBalancerName"], Name=bad, Subnets=subnets)
    call(elb, "create_load_balancer", "CreateLoadBalancer(unknown security group)",
         lambda r: r["LoadBalancers"][0]["SecurityGroups"], Name="edge-alb-badsg",
         Subnets=subnets, SecurityGroups=["sg-0123456789abcdef0"])

    out("-- state over describes")
    for i in range(3):
        call(elb, "describe_load_balancers", f"DescribeLoadBalancers(LoadBalancerArns=[arn]) #{i + 1}",
             lambda r: [x["State"] for x in r["LoadBalancers"]], LoadBalancerArns=[lb_arn])
    call(elb, "describe_load_balancers", "DescribeLoadBalancers(Names=[name, 'missing'])",
         lambda r: [x["LoadBalancerName"] for x in r["LoadBalancers"]], Names=[name, "missing"])
    call(elb, "describe_load_balancers", "DescribeLoadBalancers(Names=['missing'])",
         Names=["missing"])
    call(elb, "describe_load_balancers", "DescribeLoadBalancers(Names=[name], LoadBalancerArns=[arn])",
         lambda r: [x["LoadBalancerName"] for x in r["LoadBalancers"]],
         Names=[name], LoadBalancerArns=[lb_arn])
    call(elb, "describe_load_balancers", "DescribeLoadBalancers()",
         lambda r: sorted(x["LoadBalancerName"] for x in r["LoadBalancers"]))

    out("-- attributes")
    call(elb, "describe_load_balancer_attributes", "DescribeLoadBalancerAttributes",
         lambda r: {a["Key"]: a["Value"] for a in r["Attributes"]}, LoadBalancerArn=lb_arn)
    call(elb, "modify_load_balancer_attributes",
         "ModifyLoadBalancerAttributes(idle 120, drop_invalid_header_fields)",
         lambda r: {a["Key"]: a["Value"] for a in r["Attributes"]}, LoadBalancerArn=lb_arn,
         Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "120"},
                     {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}])
    call(elb, "describe_load_balancer_attributes", "DescribeLoadBalancerAttributes after",
         lambda r: {a["Key"]: a["Value"] for a in r["Attributes"]}, LoadBalancerArn=lb_arn)
    call(elb, "modify_load_balancer_attributes", "ModifyLoadBalancerAttributes(unknown key)",
         LoadBalancerArn=lb_arn, Attributes=[{"Key": "no.such.key", "Value": "1"}])
    call(elb, "modify_load_balancer_attributes", "ModifyLoadBalancerAttributes(idle 'abc')",
         lambda r: {a["Key"]: a["Value"] for a in r["Attributes"]
                    if a["Key"] == "idle_timeout.timeout_seconds"},
         LoadBalancerArn=lb_arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "abc"}])
    call(elb, "modify_load_balancer_attributes", "ModifyLoadBalancerAttributes(idle back to 120)",
         lambda r: {a["Key"]: a["Value"] for a in r["Attributes"]
                    if a["Key"] == "idle_timeout.timeout_seconds"},
         LoadBalancerArn=lb_arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "120"}])
    resp, _ = call(elb, "create_load_balancer", "CreateLoadBalancer(edge-alb-prot, throwaway)",
                   lambda r: r["LoadBalancers"][0]["State"], Name="edge-alb-prot",
                   Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing")
    prot = resp["LoadBalancers"][0]["LoadBalancerArn"]
    call(elb, "modify_load_balancer_attributes", "ModifyLoadBalancerAttributes(prot: deletion_protection on)",
         lambda r: {a["Key"]: a["Value"] for a in r["Attributes"]
                    if a["Key"] == "deletion_protection.enabled"},
         LoadBalancerArn=prot, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}])
    call(elb, "delete_load_balancer", "DeleteLoadBalancer(prot, deletion_protection on)",
         LoadBalancerArn=prot)
    call(elb, "describe_load_balancers", "DescribeLoadBalancers(prot) after that",
         lambda r: [x["State"] for x in r["LoadBalancers"]], LoadBalancerArns=[prot])

    out("-- target groups")
    tg_args = dict(Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance",
                   HealthCheckProtocol="HTTP", HealthCheckPath="/health",
                   HealthCheckIntervalSeconds=15, HealthCheckTimeoutSeconds=5,
                   HealthyThresholdCount=3, UnhealthyThresholdCount=3,
                   Matcher={"HttpCode": "200-399"}, Tags=STACK_TAGS)
    resp, _ = call(elb, "create_target_group", "CreateTargetGroup(HTTP 8080 instance /health)",
                   lambda r: tg_view(r["TargetGroups"][0]), Name="edge-nodes", **tg_args)
    tg_arn = resp["TargetGroups"][0]["TargetGroupArn"]
    state["tg_arn"] = tg_arn
    call(elb, "create_target_group", "CreateTargetGroup(same name, same settings)",
         lambda r: {"same ARN": r["TargetGroups"][0]["TargetGroupArn"] == tg_arn},
         Name="edge-nodes", **tg_args)
    call(elb, "create_target_group", "CreateTargetGroup(same name, port 9090)",
         lambda r: {"same ARN": r["TargetGroups"][0]["TargetGroupArn"] == tg_arn},
         Name="edge-nodes", **{**tg_args, "Port": 9090})
    resp, _ = call(elb, "create_target_group", "CreateTargetGroup(ip, defaults)",
                   lambda r: tg_view(r["TargetGroups"][0]), Name="edge-pods",
                   Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    ip_tg = resp["TargetGroups"][0]["TargetGroupArn"] if resp else None
    call(elb, "describe_target_groups", "DescribeTargetGroups(Names=[edge-nodes])",
         lambda r: [tg_view(t) for t in r["TargetGroups"]], Names=["edge-nodes"])
    call(elb, "describe_target_groups", "DescribeTargetGroups(TargetGroupArns=[both])",
         lambda r: [t["TargetGroupName"] for t in r["TargetGroups"]],
         TargetGroupArns=[tg_arn, ip_tg])
    call(elb, "describe_target_groups", "DescribeTargetGroups(LoadBalancerArn) before listeners",
         lambda r: [t["TargetGroupName"] for t in r["TargetGroups"]], LoadBalancerArn=lb_arn)
    call(elb, "describe_target_groups", "DescribeTargetGroups(Names=['missing'])",
         Names=["missing"])
    call(elb, "modify_target_group",
         "ModifyTargetGroup(path /healthz, interval 10, HealthCheckEnabled, matcher 200)",
         lambda r: tg_view(r["TargetGroups"][0]), TargetGroupArn=tg_arn,
         HealthCheckPath="/healthz", HealthCheckIntervalSeconds=10, HealthCheckEnabled=True,
         Matcher={"HttpCode": "200"})
    call(elb, "modify_target_group", "ModifyTargetGroup(timeout 30 > interval 10)",
         lambda r: tg_view(r["TargetGroups"][0]), TargetGroupArn=tg_arn,
         HealthCheckTimeoutSeconds=30)
    call(elb, "describe_target_group_attributes", "DescribeTargetGroupAttributes",
         lambda r: {a["Key"]: a["Value"] for a in r["Attributes"]}, TargetGroupArn=tg_arn)
    call(elb, "modify_target_group_attributes", "ModifyTargetGroupAttributes(deregistration 30)",
         lambda r: {a["Key"]: a["Value"] for a in r["Attributes"]}, TargetGroupArn=tg_arn,
         Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])

    out("-- listeners")
    forward = [{"Type": "forward", "TargetGroupArn": tg_arn}]
    call(elb, "create_listener", "CreateListener(HTTPS, unknown certificate ARN)",
         lambda r: listener_view(r["Listeners"][0]), LoadBalancerArn=lb_arn, Protocol="HTTPS",
         Port=8443, SslPolicy=TLS13, Certificates=[{"CertificateArn": state["bogus_cert"]}],
         DefaultActions=forward)
    call(elb, "create_listener", "CreateListener(HTTPS, no Certificates)",
         lambda r: listener_view(r["Listeners"][0]), LoadBalancerArn=lb_arn, Protocol="HTTPS",
         Port=8444, SslPolicy=TLS13, DefaultActions=forward)
    call(elb, "create_listener", "CreateListener(HTTPS, unknown SslPolicy)",
         lambda r: listener_view(r["Listeners"][0]), LoadBalancerArn=lb_arn, Protocol="HTTPS",
         Port=8445, SslPolicy="ELBSecurityPolicy-Nope",
         Certificates=[{"CertificateArn": state["imported"]}], DefaultActions=forward)
    if state.get("other_region_cert"):
        call(elb, "create_listener", "CreateListener(HTTPS, certificate of another region)",
             lambda r: listener_view(r["Listeners"][0]), LoadBalancerArn=lb_arn,
             Protocol="HTTPS", Port=8446, SslPolicy=TLS13,
             Certificates=[{"CertificateArn": state["other_region_cert"]}],
             DefaultActions=forward)
    call(elb, "create_listener", "CreateListener(HTTPS, PENDING_VALIDATION certificate)",
         lambda r: listener_view(r["Listeners"][0]), LoadBalancerArn=lb_arn, Protocol="HTTPS",
         Port=8447, SslPolicy=TLS13, Certificates=[{"CertificateArn": state["requested"]}],
         DefaultActions=forward)
    resp, _ = call(elb, "create_listener", "CreateListener(HTTPS 443, imported cert, TLS13, forward, tags)",
                   lambda r: listener_view(r["Listeners"][0]), LoadBalancerArn=lb_arn,
                   Protocol="HTTPS", Port=443, SslPolicy=TLS13,
                   Certificates=[{"CertificateArn": state["imported"]}],
                   DefaultActions=forward, Tags=STACK_TAGS)
    https_arn = resp["Listeners"][0]["ListenerArn"]
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                        "StatusCode": "HTTP_301"}}]
    resp, _ = call(elb, "create_listener", "CreateListener(HTTP 80, redirect 301, tags)",
                   lambda r: listener_view(r["Listeners"][0]), LoadBalancerArn=lb_arn,
                   Protocol="HTTP", Port=80, DefaultActions=redirect, Tags=STACK_TAGS)
    http_arn = resp["Listeners"][0]["ListenerArn"]
    call(elb, "create_listener", "CreateListener(HTTP 80 again, same settings)",
         lambda r: {"same ARN": r["Listeners"][0]["ListenerArn"] == http_arn},
         LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=redirect)
    call(elb, "create_listener", "CreateListener(port 80 again, forward instead)",
         lambda r: {"same ARN": r["Listeners"][0]["ListenerArn"] == http_arn},
         LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=forward)
    call(elb, "describe_listeners", "DescribeListeners(LoadBalancerArn)",
         lambda r: [(x["Port"], x["Protocol"], x.get("SslPolicy")) for x in r["Listeners"]],
         LoadBalancerArn=lb_arn)
    call(elb, "describe_listeners", "DescribeListeners(ListenerArns=[https, http])",
         lambda r: [listener_view(x) for x in r["Listeners"]], ListenerArns=[https_arn, http_arn])
    call(elb, "describe_listeners", "DescribeListeners(ListenerArns=[https, unknown])",
         lambda r: [x["Port"] for x in r["Listeners"]],
         ListenerArns=[https_arn, https_arn[:-4] + "0000"])
    call(elb, "describe_listener_certificates", "DescribeListenerCertificates(https)",
         ListenerArn=https_arn)
    call(elb, "describe_target_groups", "DescribeTargetGroups(LoadBalancerArn) with listeners",
         lambda r: [(t["TargetGroupName"], t.get("LoadBalancerArns")) for t in r["TargetGroups"]],
         LoadBalancerArn=lb_arn)
    call(cl["acm"], "describe_certificate", "ACM DescribeCertificate(imported).InUseBy",
         lambda r: r["Certificate"].get("InUseBy"), CertificateArn=state["imported"])

    out("-- modify listeners")
    call(elb, "modify_listener", "ModifyListener(https: SslPolicy TLS13-1-3, second cert)",
         lambda r: listener_view(r["Listeners"][0]), ListenerArn=https_arn,
         SslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06",
         Certificates=[{"CertificateArn": state["imported2"]}])
    call(elb, "modify_listener", "ModifyListener(https: back to TLS13-1-2, first cert)",
         lambda r: listener_view(r["Listeners"][0]), ListenerArn=https_arn, SslPolicy=TLS13,
         Certificates=[{"CertificateArn": state["imported"]}])
    call(elb, "modify_listener", "ModifyListener(https: unknown SslPolicy)",
         ListenerArn=https_arn, SslPolicy="ELBSecurityPolicy-Nope")
    call(elb, "modify_listener", "ModifyListener(https: unknown certificate)",
         ListenerArn=https_arn, Certificates=[{"CertificateArn": state["bogus_cert"]}])
    call(elb, "modify_listener", "ModifyListener(http: redirect 302)",
         lambda r: listener_view(r["Listeners"][0]), ListenerArn=http_arn,
         DefaultActions=[{"Type": "redirect", "RedirectConfig": {
             "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_302"}}])
    call(elb, "modify_listener", "ModifyListener(http: back to 301)",
         lambda r: listener_view(r["Listeners"][0]), ListenerArn=http_arn, DefaultActions=redirect)
    call(elb, "modify_listener", "ModifyListener(http: Port 443, taken by https)",
         lambda r: listener_view(r["Listeners"][0]), ListenerArn=http_arn, Port=443)
    call(elb, "modify_listener", "ModifyListener(unknown listener)",
         ListenerArn=http_arn[:-4] + "0000", SslPolicy=TLS13)

    out("-- tags")
    arns = [lb_arn, tg_arn, https_arn, http_arn]
    call(elb, "describe_tags", "DescribeTags([lb, tg, https, http])",
         lambda r: [(d["ResourceArn"].split(":")[-1][:30], {t["Key"]: t["Value"] for t in d["Tags"]})
                    for d in r["TagDescriptions"]], ResourceArns=arns)
    call(elb, "describe_tags", "DescribeTags(21 ARNs)",
         lambda r: len(r["TagDescriptions"]), ResourceArns=(arns * 6)[:21])
    call(elb, "describe_tags", "DescribeTags(unknown LB ARN)",
         ResourceArns=[lb_arn[:-4] + "0000"])
    call(elb, "describe_tags", "DescribeTags(unknown TG ARN)",
         ResourceArns=[tg_arn[:-4] + "0000"])
    call(elb, "add_tags", "AddTags(lb, 9 more tags: 11 in all)",
         ResourceArns=[lb_arn], Tags=tags(**{f"k{i}": str(i) for i in range(9)}))
    call(elb, "add_tags", "AddTags(tg, 2 tags: 4 in all)",
         ResourceArns=[tg_arn], Tags=tags(a="1", b="2"))
    call(elb, "remove_tags", "RemoveTags(tg, [a, b, never-set])",
         ResourceArns=[tg_arn], TagKeys=["a", "b", "never-set"])
    call(elb, "add_tags", "AddTags(unknown LB ARN)",
         ResourceArns=[lb_arn[:-4] + "0000"], Tags=tags(a="1"))

    out("-- deletes")
    call(elb, "delete_target_group", "DeleteTargetGroup(in use by https listener)",
         TargetGroupArn=tg_arn)
    call(cl["acm"], "delete_certificate", "ACM DeleteCertificate(imported2, used before, now not)",
         CertificateArn=state["imported2"])
    call(cl["acm"], "delete_certificate", "ACM DeleteCertificate(imported, in use by listener)",
         CertificateArn=state["imported"])
    call(elb, "describe_listeners", "DescribeListeners(https) after the certificate is gone",
         lambda r: [x.get("Certificates") for x in r["Listeners"]], ListenerArns=[https_arn])
    call(elb, "delete_listener", "DeleteListener(http)", ListenerArn=http_arn)
    call(elb, "delete_listener", "DeleteListener(http) again", ListenerArn=http_arn)
    call(elb, "describe_listeners", "DescribeListeners(LoadBalancerArn) after",
         lambda r: [x["Port"] for x in r["Listeners"]], LoadBalancerArn=lb_arn)
    call(elb, "describe_tags", "DescribeTags(deleted http listener)",
         ResourceArns=[http_arn])


def probe_elbv2_teardown(cl, region, state):
    elb = cl["elbv2"]
    section(f"ELBv2 {region}: teardown")
    lb_arn, tg_arn = state["lb_arn"], state["tg_arn"]
    call(elb, "delete_load_balancer", "DeleteLoadBalancer(with the https listener)",
         LoadBalancerArn=lb_arn)
    call(elb, "describe_load_balancers", "DescribeLoadBalancers(LoadBalancerArns=[arn]) after",
         lambda r: [x["State"] for x in r["LoadBalancers"]], LoadBalancerArns=[lb_arn])
    call(elb, "describe_load_balancers", "DescribeLoadBalancers(Names=[edge-alb]) after",
         lambda r: [x["LoadBalancerArn"][-16:] for x in r["LoadBalancers"]], Names=["edge-alb"])
    call(elb, "describe_listeners", "DescribeListeners(LoadBalancerArn) after",
         LoadBalancerArn=lb_arn)
    call(elb, "describe_tags", "DescribeTags(deleted LB)", ResourceArns=[lb_arn])
    call(elb, "describe_target_groups", "DescribeTargetGroups(tg).LoadBalancerArns after",
         lambda r: [t.get("LoadBalancerArns") for t in r["TargetGroups"]],
         TargetGroupArns=[tg_arn])
    call(elb, "delete_load_balancer", "DeleteLoadBalancer(again)", LoadBalancerArn=lb_arn)
    call(elb, "delete_target_group", "DeleteTargetGroup(tg, LB gone)", TargetGroupArn=tg_arn)
    call(elb, "delete_target_group", "DeleteTargetGroup(tg) again", TargetGroupArn=tg_arn)
    call(elb, "describe_target_groups", "DescribeTargetGroups(Names=[edge-nodes]) after",
         Names=["edge-nodes"])
    call(elb, "describe_tags", "DescribeTags(deleted TG)", ResourceArns=[tg_arn])
    if state.get("imported_alive"):
        call(cl["acm"], "describe_certificate", "ACM DescribeCertificate.InUseBy after the LB is gone",
             lambda r: r["Certificate"].get("InUseBy"), CertificateArn=state["imported_alive"])


# --- WAFv2 --------------------------------------------------------------------------------


def vis(metric):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric}


def managed(name, priority, **extra):
    return {"Name": f"AWS-{name}", "Priority": priority,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name, **extra}},
            "OverrideAction": {"None": {}}, "VisibilityConfig": vis(name)}


RULES = [
    {"Name": "rate-limit", "Priority": 0,
     "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP",
                                          "EvaluationWindowSec": 300}},
     "Action": {"Block": {}}, "VisibilityConfig": vis("rate-limit")},
    managed("AWSManagedRulesCommonRuleSet", 1,
            RuleActionOverrides=[{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]),
    managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
    managed("AWSManagedRulesSQLiRuleSet", 3),
]


def strip_nulls(value):
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def probe_wafv2(cl, region, state):
    waf = cl["wafv2"]
    section(f"WAFv2 {region} (Scope=REGIONAL)")
    name = "edge-acl"
    resp, _ = call(waf, "create_web_acl", "CreateWebACL(rate-based + 3 managed groups, tags)",
                   Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}},
                   Description="edge", VisibilityConfig=vis("edge-acl"), Rules=RULES,
                   Tags=STACK_TAGS)
    summary = resp["Summary"]
    acl_id, acl_arn, token0 = summary["Id"], summary["ARN"], summary["LockToken"]
    call(waf, "create_web_acl", "CreateWebACL(same name again)", Name=name, Scope="REGIONAL",
         DefaultAction={"Allow": {}}, VisibilityConfig=vis("edge-acl"), Rules=[])
    call(waf, "create_web_acl", "CreateWebACL(managed group with Action, not OverrideAction)",
         lambda r: r["Summary"]["Name"], Name="edge-bad-managed", Scope="REGIONAL",
         DefaultAction={"Allow": {}}, VisibilityConfig=vis("bad"),
         Rules=[{**managed("AWSManagedRulesSQLiRuleSet", 0), "Action": {"Block": {}}}])
    call(waf, "create_web_acl", "CreateWebACL(rate-based rule with OverrideAction)",
         lambda r: r["Summary"]["Name"], Name="edge-bad-rate", Scope="REGIONAL",
         DefaultAction={"Allow": {}}, VisibilityConfig=vis("bad"),
         Rules=[{**{k: v for k, v in RULES[0].items() if k != "Action"},
                 "OverrideAction": {"None": {}}}])
    call(waf, "create_web_acl", "CreateWebACL(unknown managed rule group name)",
         lambda r: r["Summary"]["Name"], Name="edge-bad-group", Scope="REGIONAL",
         DefaultAction={"Allow": {}}, VisibilityConfig=vis("bad"),
         Rules=[managed("AWSManagedRulesNoSuchRuleSet", 0)])
    call(waf, "create_web_acl", "CreateWebACL(two rules with priority 0)",
         lambda r: r["Summary"]["Name"], Name="edge-bad-prio", Scope="REGIONAL",
         DefaultAction={"Allow": {}}, VisibilityConfig=vis("bad"),
         Rules=[RULES[0], {**RULES[3], "Priority": 0}])
    call(waf, "check_capacity", "CheckCapacity(the 4 rules)", Scope="REGIONAL", Rules=RULES)
    call(waf, "describe_managed_rule_group", "DescribeManagedRuleGroup(AWS Common)",
         lambda r: {k: r.get(k) for k in ("Capacity", "LabelNamespace")},
         VendorName="AWS", Name="AWSManagedRulesCommonRuleSet", Scope="REGIONAL")

    call(waf, "list_web_acls", "ListWebACLs(Scope=REGIONAL)",
         lambda r: [(a["Name"], a["Id"] == acl_id) for a in r["WebACLs"]], Scope="REGIONAL")
    call(waf, "list_web_acls", "ListWebACLs(Scope=CLOUDFRONT)",
         lambda r: [a["Name"] for a in r["WebACLs"]], Scope="CLOUDFRONT")
    resp, _ = call(waf, "get_web_acl", "GetWebACL(Name, Scope, Id)",
                   lambda r: {"LockToken==create's": r["LockToken"] == token0,
                              "Capacity": r["WebACL"].get("Capacity"),
                              "LabelNamespace": r["WebACL"].get("LabelNamespace"),
                              "ManagedByFirewallManager":
                                  r["WebACL"].get("ManagedByFirewallManager", "<absent>"),
                              "keys": sorted(r["WebACL"])},
                   Name=name, Scope="REGIONAL", Id=acl_id)
    if resp:
        got = strip_nulls(resp["WebACL"]["Rules"])
        out(f"   Rules round-trip faithfully (nulls aside): {got == RULES}")
        if got != RULES:
            out(f"   sent {short(RULES, 2000)}")
            out(f"   got  {short(got, 2000)}")
        if resp["WebACL"].get("Capacity") != 1102:
            differs(f"Capacity {resp['WebACL'].get('Capacity')}; AWS computes the web ACL "
                    "capacity units: rate-based 2 + Common 700 + KnownBadInputs 200 + SQLi 200 = 1102")
    call(waf, "get_web_acl", "GetWebACL(ARN only)", lambda r: r["WebACL"]["Name"], ARN=acl_arn)
    call(waf, "get_web_acl", "GetWebACL(Scope=CLOUDFRONT, same Name/Id)",
         lambda r: r["WebACL"]["Name"], Name=name, Scope="CLOUDFRONT", Id=acl_id)
    call(waf, "get_web_acl", "GetWebACL(unknown Id)", Name=name, Scope="REGIONAL",
         Id="00000000-0000-0000-0000-000000000000")

    out("-- tags")
    call(waf, "list_tags_for_resource", "ListTagsForResource(acl)", ResourceARN=acl_arn)
    call(waf, "tag_resource", "TagResource(acl, extra=1)", ResourceARN=acl_arn, Tags=tags(extra="1"))
    call(waf, "untag_resource", "UntagResource(acl, [extra])", ResourceARN=acl_arn, TagKeys=["extra"])
    unknown_acl = acl_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    call(waf, "list_tags_for_resource", "ListTagsForResource(unknown ACL ARN)",
         ResourceARN=unknown_acl)
    call(waf, "tag_resource", "TagResource(unknown ACL ARN)", ResourceARN=unknown_acl,
         Tags=tags(a="1"))

    out("-- UpdateWebACL and LockToken")
    call(waf, "update_web_acl", "UpdateWebACL(stale/made-up LockToken)",
         Name=name, Scope="REGIONAL", Id=acl_id, DefaultAction={"Allow": {}},
         VisibilityConfig=vis("edge-acl"), Rules=RULES,
         LockToken="11111111-1111-1111-1111-111111111111")
    new_rules = [{**RULES[0], "Statement": {"RateBasedStatement": {
        "Limit": 1000, "AggregateKeyType": "IP", "EvaluationWindowSec": 300}}}] + RULES[1:3]
    resp, _ = call(waf, "update_web_acl", "UpdateWebACL(limit 1000, drop SQLi, no Description)",
                   Name=name, Scope="REGIONAL", Id=acl_id, DefaultAction={"Allow": {}},
                   VisibilityConfig=vis("edge-acl"), Rules=new_rules, LockToken=token0)
    token1 = resp["NextLockToken"] if resp else token0
    call(waf, "get_web_acl", "GetWebACL after update",
         lambda r: {"LockToken==NextLockToken": r["LockToken"] == token1,
                    "rules": [(x["Name"], x["Statement"].get("RateBasedStatement", {}).get("Limit"))
                              for x in r["WebACL"]["Rules"]],
                    "Description": r["WebACL"].get("Description")},
         Name=name, Scope="REGIONAL", Id=acl_id)
    out("   (AWS: UpdateWebACL replaces every mutable setting; a call without Description "
        "clears it)")
    call(waf, "update_web_acl", "UpdateWebACL(the create's token, now stale)",
         Name=name, Scope="REGIONAL", Id=acl_id, DefaultAction={"Allow": {}},
         VisibilityConfig=vis("edge-acl"), Rules=RULES, LockToken=token0)
    resp, _ = call(waf, "update_web_acl", "UpdateWebACL(Rules=[])",
                   Name=name, Scope="REGIONAL", Id=acl_id, DefaultAction={"Allow": {}},
                   VisibilityConfig=vis("edge-acl"), Rules=[], LockToken=token1)
    token2 = resp["NextLockToken"] if resp else token1
    resp, _ = call(waf, "get_web_acl", "GetWebACL after Rules=[]",
                   lambda r: [x["Name"] for x in r["WebACL"]["Rules"]],
                   Name=name, Scope="REGIONAL", Id=acl_id)
    if resp and resp["WebACL"]["Rules"]:
        differs("UpdateWebACL replaces the whole web ACL in AWS: Rules=[] leaves no rules")
    resp, _ = call(waf, "update_web_acl", "UpdateWebACL(the 4 rules back, Description)",
                   Name=name, Scope="REGIONAL", Id=acl_id, DefaultAction={"Allow": {}},
                   Description="edge", VisibilityConfig=vis("edge-acl"), Rules=RULES,
                   LockToken=token2)
    token3 = resp["NextLockToken"] if resp else token2
    call(waf, "update_web_acl", "UpdateWebACL(Scope=CLOUDFRONT, same Name/Id/token)",
         Name=name, Scope="CLOUDFRONT", Id=acl_id, DefaultAction={"Allow": {}},
         VisibilityConfig=vis("edge-acl"), Rules=RULES, LockToken=token3)
    resp, _ = call(waf, "get_web_acl", "GetWebACL (LockToken now)", lambda r: r["LockToken"] == token3,
                   Name=name, Scope="REGIONAL", Id=acl_id)
    token3 = resp["LockToken"] if resp else token3

    out("-- association with the ALB")
    lb_arn = state["lb_arn"]
    missing_lb = lb_arn[:-4] + "0000"
    call(waf, "associate_web_acl", "AssociateWebACL(ALB ARN that doesn't exist)",
         WebACLArn=acl_arn, ResourceArn=missing_lb)
    call(waf, "get_web_acl_for_resource", "GetWebACLForResource(that ARN)",
         lambda r: (r.get("WebACL") or {}).get("Name"), ResourceArn=missing_lb)
    call(waf, "disassociate_web_acl", "DisassociateWebACL(that ARN)", ResourceArn=missing_lb)
    call(waf, "get_web_acl_for_resource", "GetWebACLForResource(ALB, not associated)",
         ResourceArn=lb_arn)
    call(waf, "associate_web_acl", "AssociateWebACL(acl, ALB)", WebACLArn=acl_arn,
         ResourceArn=lb_arn)
    call(waf, "get_web_acl_for_resource", "GetWebACLForResource(ALB)",
         lambda r: (r.get("WebACL") or {}).get("Name"), ResourceArn=lb_arn)
    call(waf, "associate_web_acl", "AssociateWebACL(acl, ALB) again", WebACLArn=acl_arn,
         ResourceArn=lb_arn)
    call(waf, "list_resources_for_web_acl", "ListResourcesForWebACL(acl)",
         WebACLArn=acl_arn)
    resp, _ = call(waf, "create_web_acl", "CreateWebACL(second ACL, no rules)",
                   lambda r: r["Summary"]["Name"], Name="edge-acl-2", Scope="REGIONAL",
                   DefaultAction={"Block": {}}, VisibilityConfig=vis("edge-acl-2"))
    acl2 = resp["Summary"] if resp else None
    if acl2:
        call(waf, "associate_web_acl", "AssociateWebACL(second ACL, same ALB)",
             WebACLArn=acl2["ARN"], ResourceArn=lb_arn)
        call(waf, "get_web_acl_for_resource", "GetWebACLForResource(ALB) now",
             lambda r: (r.get("WebACL") or {}).get("Name"), ResourceArn=lb_arn)
    if state.get("other_region_lb"):
        call(waf, "associate_web_acl", "AssociateWebACL(acl, ALB of the other region)",
             WebACLArn=acl_arn, ResourceArn=state["other_region_lb"])
    if state.get("lb_defaults"):
        call(waf, "associate_web_acl", "AssociateWebACL(acl, second ALB)",
             WebACLArn=acl_arn, ResourceArn=state["lb_defaults"])
        call(cl["elbv2"], "delete_load_balancer", "ELBv2 DeleteLoadBalancer(second ALB, associated)",
             LoadBalancerArn=state["lb_defaults"])
        call(waf, "get_web_acl_for_resource", "GetWebACLForResource(deleted second ALB)",
             lambda r: (r.get("WebACL") or {}).get("Name"), ResourceArn=state["lb_defaults"])

    out("-- deletes")
    call(waf, "delete_web_acl", "DeleteWebACL(associated with the ALB)",
         Name=name, Scope="REGIONAL", Id=acl_id, LockToken=token3)
    resp, _ = call(waf, "get_web_acl", "GetWebACL (still there?)", lambda r: r["WebACL"]["Name"],
                   Name=name, Scope="REGIONAL", Id=acl_id)
    if resp is None:
        call(waf, "list_tags_for_resource", "ListTagsForResource(the deleted ACL)",
             ResourceARN=acl_arn)
        # moto deleted it: recreate so the rest of the sequence still runs
        resp, _ = call(waf, "create_web_acl", "CreateWebACL(recreate for the rest)",
                       lambda r: r["Summary"]["Name"], Name=name, Scope="REGIONAL",
                       DefaultAction={"Allow": {}}, VisibilityConfig=vis("edge-acl"), Rules=RULES,
                       Tags=tags(recreated="yes"))
        acl_id, acl_arn, token3 = (resp["Summary"]["Id"], resp["Summary"]["ARN"],
                                   resp["Summary"]["LockToken"])
        call(waf, "get_web_acl_for_resource", "GetWebACLForResource(ALB) after the delete",
             lambda r: (r.get("WebACL") or {}).get("Name"), ResourceArn=lb_arn)
    call(waf, "disassociate_web_acl", "DisassociateWebACL(ALB)", ResourceArn=lb_arn)
    call(waf, "get_web_acl_for_resource", "GetWebACLForResource(ALB) after",
         lambda r: (r.get("WebACL") or {}).get("Name"), ResourceArn=lb_arn)
    call(waf, "disassociate_web_acl", "DisassociateWebACL(ALB) again", ResourceArn=lb_arn)
    call(waf, "delete_web_acl", "DeleteWebACL(stale LockToken)", Name=name, Scope="REGIONAL",
         Id=acl_id, LockToken="11111111-1111-1111-1111-111111111111")
    resp, _ = call(waf, "get_web_acl", "GetWebACL (token)", lambda r: r["LockToken"],
                   Name=name, Scope="REGIONAL", Id=acl_id)
    call(waf, "delete_web_acl", "DeleteWebACL(current LockToken)", Name=name, Scope="REGIONAL",
         Id=acl_id, LockToken=resp["LockToken"] if resp else token3)
    call(waf, "get_web_acl", "GetWebACL after delete", Name=name, Scope="REGIONAL", Id=acl_id)
    call(waf, "list_web_acls", "ListWebACLs(REGIONAL) after delete",
         lambda r: [a["Name"] for a in r["WebACLs"]], Scope="REGIONAL")
    call(waf, "list_tags_for_resource", "ListTagsForResource(deleted ACL)", ResourceARN=acl_arn)
    call(waf, "delete_web_acl", "DeleteWebACL(again)", Name=name, Scope="REGIONAL",
         Id=acl_id, LockToken=token3)
    if acl2:
        call(waf, "disassociate_web_acl", "DisassociateWebACL(ALB, for the second ACL)",
             ResourceArn=lb_arn)
        resp, _ = call(waf, "get_web_acl", "GetWebACL(second)", lambda r: r["LockToken"],
                       Name="edge-acl-2", Scope="REGIONAL", Id=acl2["Id"])
        if resp:
            call(waf, "delete_web_acl", "DeleteWebACL(second)", Name="edge-acl-2",
                 Scope="REGIONAL", Id=acl2["Id"], LockToken=resp["LockToken"])


# --- ACM wait -----------------------------------------------------------------------------


def wait_issued(cl, region, state, seconds):
    acm = cl["acm"]
    section(f"ACM {region}: waiting for the requested certificate to be ISSUED (up to {seconds}s)")
    arn = state["requested"]
    describes = 0
    while True:
        r = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        describes += 1
        age = time.monotonic() - state["requested_at"]
        if r["Status"] != "PENDING_VALIDATION" or age > seconds:
            break
        time.sleep(5)
    out(f"DescribeCertificate(requested) after {age:.0f}s and {describes} describes -> "
        f"{short(cert_view({'Certificate': r}))}")
    if r["Status"] == "ISSUED":
        call(cl["elbv2"], "create_listener", "CreateListener(HTTPS 9443, the now-ISSUED certificate)",
             lambda x: listener_view(x["Listeners"][0]), LoadBalancerArn=state["lb_arn"],
             Protocol="HTTPS", Port=9443, SslPolicy=TLS13,
             Certificates=[{"CertificateArn": arn}],
             DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
                 "StatusCode": "404", "ContentType": "text/plain"}}])


# --- patch checks -------------------------------------------------------------------------

FAILED = []


def expect(ok, label, detail=None):
    """One checked expectation of the launcher's patches 65-85: `ok` or `!! FAIL`."""
    if ok:
        out(f"ok  {label}")
    else:
        FAILED.append(label)
        out(f"!! FAIL {label}" + (f": {short(detail, 600)}" if detail is not None else ""))


def error_code(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response.get("Error", {}).get("Code")
    return None


def acm_issue_hook(arn):
    request = urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"] + "/_provision/acm/issue?arn=" + arn, method="POST")
    with urllib.request.urlopen(request) as r:
        return json.load(r)["validated"]


def check_patches(cl, region, lifecycle):
    """Asserts the patched behaviour (docs/emulator-notes.md patches 65-85) in `region`.

    `lifecycle` is the emulator's PROVISION_EMULATOR_LIFECYCLE (0: off)."""
    ec2, elb, acm, waf, r53 = (cl[s] for s in ("ec2", "elbv2", "acm", "wafv2", "route53"))
    section(f"Patch checks {region} (lifecycle {lifecycle or 'off'})")
    vpc, subnets, sg, _ = network(ec2, region, 30 if region == "us-east-1" else 40)

    def lb_state(arn):
        return elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]

    # 65-67: DNS name, hosted zone, state, names
    a = elb.create_load_balancer(Name="chk-a", Subnets=subnets, SecurityGroups=[sg])["LoadBalancers"][0]
    b = elb.create_load_balancer(Name="chk-b", Subnets=subnets, SecurityGroups=[sg],
                                 Scheme="internal")["LoadBalancers"][0]
    expect(a["CanonicalHostedZoneId"] == ALB_ZONE.get(region, a["CanonicalHostedZoneId"]),
           "65 CanonicalHostedZoneId is the region's ALB zone", a["CanonicalHostedZoneId"])
    expect(re.fullmatch(rf"chk-a-\d{{10}}\.{region}\.elb\.amazonaws\.com", a["DNSName"]),
           "65 DNSName <name>-<10 digits>.<region>.elb.amazonaws.com", a["DNSName"])
    expect(b["DNSName"].startswith("internal-chk-b-"), "65 internal DNSName", b["DNSName"])
    expect(a["State"]["Code"] == "provisioning", "66 CreateLoadBalancer answers provisioning")
    if lifecycle:
        for _ in range(lifecycle + 1):
            lb_state(b["LoadBalancerArn"])
        states = [lb_state(a["LoadBalancerArn"]) for _ in range(lifecycle + 1)]
        expect(states == ["provisioning"] * lifecycle + ["active"],
               f"66 provisioning for {lifecycle} describes of it (others' don't count), then active",
               states)
    else:
        expect(lb_state(a["LoadBalancerArn"]) == "active", "66 active at its first describe")
    again = elb.create_load_balancer(Name="chk-a", Subnets=subnets, SecurityGroups=[sg])
    expect(again["LoadBalancers"][0]["LoadBalancerArn"] == a["LoadBalancerArn"],
           "67 same name, same settings: the existing load balancer")
    expect(error_code(elb.create_load_balancer, Name="chk-a", Subnets=subnets[:2])
           == "DuplicateLoadBalancerName", "67 same name, other settings: DuplicateLoadBalancerName")
    expect(error_code(elb.create_load_balancer, Name="internal-x", Subnets=subnets)
           == "ValidationError", "67 name starting with internal-: ValidationError")
    expect(error_code(elb.describe_load_balancers, Names=["chk-a", "chk-missing"])
           == "LoadBalancerNotFound", "68 DescribeLoadBalancers with one unknown name")
    lb_arn = a["LoadBalancerArn"]

    # 69-70: target groups
    tg_args = dict(Name="chk-tg", Protocol="HTTP", Port=8080, VpcId=vpc, HealthCheckPath="/h")
    tg = elb.create_target_group(**tg_args)["TargetGroups"][0]["TargetGroupArn"]
    expect(elb.create_target_group(**tg_args)["TargetGroups"][0]["TargetGroupArn"] == tg,
           "69 CreateTargetGroup again with the same settings: the existing group")
    expect(error_code(elb.create_target_group, **{**tg_args, "HealthCheckPath": "/other"})
           == "DuplicateTargetGroupName", "69 other settings: DuplicateTargetGroupName")
    expect(error_code(elb.modify_target_group, TargetGroupArn=tg, HealthCheckTimeoutSeconds=30)
           == "ValidationError", "69 ModifyTargetGroup timeout >= interval: ValidationError")
    expect(elb.describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"] == [],
           "70 DescribeTargetGroups(LoadBalancerArn) forwarding to none: []")

    # 71-72: listeners and actions (a certificate requested, then issued by the test hook)
    domain = f"chk.{region}.example.com"
    cert = acm.request_certificate(DomainName=domain, ValidationMethod="DNS",
                                   SubjectAlternativeNames=[domain, f"www.{domain}", f"*.{domain}"])["CertificateArn"]
    pem, key = self_signed(f"imp.{domain}")
    imported = acm.import_certificate(Certificate=pem, PrivateKey=key)["CertificateArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    https = dict(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, SslPolicy=TLS13,
                 DefaultActions=forward)
    expect(error_code(elb.create_listener, **https, Certificates=[{"CertificateArn": cert}])
           == "UnsupportedCertificate", "71 HTTPS with a PENDING_VALIDATION certificate")
    expect(error_code(elb.create_listener, **https) == "ValidationError",
           "71 HTTPS without a certificate")
    expect(error_code(elb.create_listener, **{**https, "SslPolicy": "ELBSecurityPolicy-Nope"},
                      Certificates=[{"CertificateArn": imported}]) == "SSLPolicyNotFound",
           "71 unknown SslPolicy")
    l443 = elb.create_listener(**https, Certificates=[{"CertificateArn": imported}])["Listeners"][0]
    expect(l443["DefaultActions"][0].get("ForwardConfig") == {
        "TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}],
        "TargetGroupStickinessConfig": {"Enabled": False}},
        "72 forward action described with ForwardConfig", l443["DefaultActions"])
    again = elb.create_listener(**https, Certificates=[{"CertificateArn": imported}])["Listeners"][0]
    expect(again["ListenerArn"] == l443["ListenerArn"], "71 same port, same settings: the existing listener")
    expect(error_code(elb.create_listener, **{**https, "SslPolicy": "ELBSecurityPolicy-2016-08"},
                      Certificates=[{"CertificateArn": imported}]) == "DuplicateListener",
           "71 same port, other settings: DuplicateListener")
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                        "StatusCode": "HTTP_301"}}]
    l80 = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                              DefaultActions=redirect)["Listeners"][0]
    expect("SslPolicy" not in l80, "71 no SslPolicy on an HTTP listener", l80.get("SslPolicy"))
    expect(l80["DefaultActions"][0]["RedirectConfig"] == {
        "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
        "Query": "#{query}", "StatusCode": "HTTP_301"}, "72 redirect defaults filled in",
        l80["DefaultActions"][0])
    expect(error_code(elb.modify_listener, ListenerArn=l80["ListenerArn"], Port=443)
           == "DuplicateListener", "71 ModifyListener to a used port: DuplicateListener")
    tgs = elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]
    expect(tgs.get("LoadBalancerArns") == [lb_arn], "70 LoadBalancerArns: the LB once",
           tgs.get("LoadBalancerArns"))

    # 75, 78: DescribeCertificate of a request; issuing
    def describe_cert(arn):
        return acm.describe_certificate(CertificateArn=arn)["Certificate"]

    c = describe_cert(cert)
    if lifecycle:
        seen = [c] + [describe_cert(cert) for _ in range(lifecycle)]
        expect([all("ResourceRecord" in o for o in x["DomainValidationOptions"]) for x in seen]
               == [False] * lifecycle + [True],
               f"75 no ResourceRecord for {lifecycle} describes, then every option has one")
        c = seen[-1]
    expect(c["SubjectAlternativeNames"] == [domain, f"www.{domain}", f"*.{domain}"]
           and [o["DomainName"] for o in c["DomainValidationOptions"]] == c["SubjectAlternativeNames"],
           "75 SANs and DomainValidationOptions in request order", c["SubjectAlternativeNames"])
    records = {o["DomainName"]: o["ResourceRecord"] for o in c["DomainValidationOptions"]}
    expect(records[domain] == records[f"*.{domain}"] and records[domain] != records[f"www.{domain}"],
           "75 one record per domain (a wildcard shares its base domain's)", records)
    expect("IssuedAt" not in c, "75 no IssuedAt while PENDING_VALIDATION")
    expect(error_code(acm.get_certificate, CertificateArn=cert) == "RequestInProgressException",
           "78 GetCertificate of a pending certificate: RequestInProgressException")
    # Validation records in a Route 53 public zone of the account issue it.
    zone = r53.create_hosted_zone(Name=f"{region}.example.com",
                                  CallerReference=str(random.random()))["HostedZone"]["Id"]
    changes = [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": rec["Name"], "Type": "CNAME", "TTL": 300,
        "ResourceRecords": [{"Value": rec["Value"]}]}}
        for rec in {r["Name"]: r for r in records.values()}.values()]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes[:1]})
    statuses = [describe_cert(cert)["Status"] for _ in range(lifecycle + 1)]
    expect(set(statuses) == {"PENDING_VALIDATION"}, "78 one record missing: still PENDING_VALIDATION",
           statuses)
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes[1:]})
    statuses = [describe_cert(cert)["Status"] for _ in range(lifecycle + 1)]
    expect(statuses == ["PENDING_VALIDATION"] * lifecycle + ["ISSUED"],
           f"78 every record in Route 53: ISSUED{f' after {lifecycle} describes' if lifecycle else ''}",
           statuses)
    c = describe_cert(cert)
    expect("IssuedAt" in c and {o["ValidationStatus"] for o in c["DomainValidationOptions"]} == {"SUCCESS"},
           "75/78 IssuedAt and ValidationStatus SUCCESS once ISSUED")
    other = acm.request_certificate(DomainName=f"hook.{domain}", ValidationMethod="DNS")["CertificateArn"]
    expect(acm_issue_hook(other) == [other], "78 POST /_provision/acm/issue?arn= validates it")
    statuses = [describe_cert(other)["Status"] for _ in range(lifecycle + 1)]
    expect(statuses[-1] == "ISSUED", "78 ... and it is ISSUED", statuses)

    # 76, 77: InUseBy and DeleteCertificate
    expect(describe_cert(imported)["InUseBy"] == [lb_arn], "76 InUseBy is the load balancer")
    elb.modify_listener(ListenerArn=l443["ListenerArn"], Certificates=[{"CertificateArn": cert}])
    expect(describe_cert(imported)["InUseBy"] == [] and describe_cert(cert)["InUseBy"] == [lb_arn],
           "76 InUseBy follows ModifyListener")
    expect(error_code(acm.delete_certificate, CertificateArn=cert) == "ResourceInUseException",
           "77 DeleteCertificate in use: ResourceInUseException")

    # 79-85: WAFv2
    acl = waf.create_web_acl(Name="chk-acl", Scope="REGIONAL", DefaultAction={"Allow": {}},
                             VisibilityConfig=vis("chk-acl"), Rules=RULES)["Summary"]
    acl2 = waf.create_web_acl(Name="chk-acl-2", Scope="REGIONAL", DefaultAction={"Allow": {}},
                              VisibilityConfig=vis("chk-acl-2"))["Summary"]
    expect(error_code(waf.create_web_acl, Name="chk-acl", Scope="REGIONAL",
                      DefaultAction={"Allow": {}}, VisibilityConfig=vis("x"))
           == "WAFDuplicateItemException", "79 duplicate name: WAFDuplicateItemException")
    got = waf.get_web_acl(ARN=acl["ARN"])
    expect(got["WebACL"]["Capacity"] == 1102, "80 Capacity 2 + 700 + 200 + 200",
           got["WebACL"]["Capacity"])
    expect(waf.check_capacity(Scope="REGIONAL", Rules=RULES)["Capacity"] == 1102,
           "85 CheckCapacity")
    token = waf.update_web_acl(Name="chk-acl", Scope="REGIONAL", Id=acl["Id"],
                               DefaultAction={"Allow": {}}, VisibilityConfig=vis("chk-acl"),
                               Rules=RULES[:1], LockToken=got["LockToken"])["NextLockToken"]
    got = waf.get_web_acl(ARN=acl["ARN"])["WebACL"]
    expect(len(got["Rules"]) == 1 and got["Capacity"] == 2 and not got.get("Description"),
           "81 UpdateWebACL replaces the whole ACL (and 80 recounts)", got.get("Capacity"))
    expect(error_code(waf.associate_web_acl, WebACLArn=acl["ARN"], ResourceArn=lb_arn[:-4] + "0000")
           == "WAFNonexistentItemException", "83 AssociateWebACL of an unknown ALB")
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=lb_arn)
    expect(waf.list_resources_for_web_acl(WebACLArn=acl["ARN"])["ResourceArns"] == [lb_arn],
           "85 ListResourcesForWebACL")
    expect(error_code(waf.delete_web_acl, Name="chk-acl", Scope="REGIONAL", Id=acl["Id"],
                      LockToken=token) == "WAFAssociatedItemException",
           "82 DeleteWebACL of an associated ACL: WAFAssociatedItemException")
    waf.associate_web_acl(WebACLArn=acl2["ARN"], ResourceArn=lb_arn)
    expect(waf.get_web_acl_for_resource(ResourceArn=lb_arn)["WebACL"]["Name"] == "chk-acl-2"
           and waf.list_resources_for_web_acl(WebACLArn=acl["ARN"])["ResourceArns"] == [],
           "83 a second ACL replaces the first")
    waf.delete_web_acl(Name="chk-acl", Scope="REGIONAL", Id=acl["Id"], LockToken=token)
    expect(error_code(waf.list_tags_for_resource, ResourceARN=acl["ARN"])
           == "WAFNonexistentItemException", "84 tags of a deleted ACL: WAFNonexistentItemException")

    # 73, 74: DeleteLoadBalancer
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb_arn, Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"}])
    expect(error_code(elb.delete_load_balancer, LoadBalancerArn=lb_arn) == "OperationNotPermitted",
           "73 deletion protection: OperationNotPermitted")
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb_arn, Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "false"}])
    elb.delete_load_balancer(LoadBalancerArn=lb_arn)
    expect(waf.get_web_acl_for_resource(ResourceArn=lb_arn).get("WebACL") is None,
           "73 the WAF association goes with the load balancer")
    expect(describe_cert(cert)["InUseBy"] == [], "76 InUseBy empty after DeleteLoadBalancer")
    tgs = elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]
    expect(not tgs.get("LoadBalancerArns"), "70 LoadBalancerArns empty after DeleteLoadBalancer")
    expect(error_code(elb.describe_tags, ResourceArns=[lb_arn]) == "LoadBalancerNotFound",
           "74 DescribeTags of a deleted load balancer: LoadBalancerNotFound")
    acm.delete_certificate(CertificateArn=cert)
    expect(error_code(acm.describe_certificate, CertificateArn=cert) == "ResourceNotFoundException",
           "77 DeleteCertificate once unused")
    elb.delete_load_balancer(LoadBalancerArn=b["LoadBalancerArn"])
    elb.delete_target_group(TargetGroupArn=tg)


# --- raw response checks ------------------------------------------------------------------


def walk(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")
    else:
        yield path, value


def model_check(shape, value, path, problems):
    """Required members missing or null, and keys the model doesn't know, below `value`."""
    if value is None:
        return
    if shape.type_name == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            if value.get(name) is None:
                problems.add(f"required {path}.{name} " + ("null" if name in value else "missing"))
        for key, member in value.items():
            if key not in shape.members:
                problems.add(f"unknown key {path}.{key}")
            else:
                model_check(shape.members[key], member, f"{path}.{key}", problems)
    elif shape.type_name == "list" and isinstance(value, list):
        for item in value:
            model_check(shape.member, item, f"{path}[]", problems)
    elif shape.type_name == "map" and isinstance(value, dict):
        for item in value.values():
            model_check(shape.value, item, f"{path}{{}}", problems)


def raw_report():
    section("Raw responses (what a strict client such as the Rust SDK sees)")
    xml_ts = re.compile(rb"<(\w*(?:Time|Date|At))>([^<]*)</\1>")
    reprs = re.compile(rb">(True|False|None)<")
    seen_ts, bad_ts, py_reprs, nulls, json_ts = {}, set(), set(), {}, {}
    errors, bad_roots, model_problems = {}, set(), set()
    for service, op, status, headers, body in raw:
        if service not in ("elbv2", "acm", "wafv2"):
            continue
        ctype = headers.get("content-type", headers.get("Content-Type", ""))
        if service == "elbv2":
            for tag, value in xml_ts.findall(body):
                seen_ts.setdefault((op, tag.decode()), value.decode())
                if not RFC3339.match(value.decode()):
                    bad_ts.add((op, tag.decode(), value.decode()))
            for m in reprs.findall(body):
                py_reprs.add((op, m.decode()))
            if status >= 400:
                errors.setdefault(("elbv2", status), (op, ctype, body[:400]))
            else:
                root = re.search(rb"<(\w+)[ >]", body.split(b"?>", 1)[-1])
                result = re.search(rb"<(\w+Result)[ />]", body)
                if not root or root.group(1).decode() != f"{op}Response" or (
                        result and result.group(1).decode() != f"{op}Result"):
                    bad_roots.add((op, root and root.group(1).decode(),
                                   result and result.group(1).decode()))
        else:
            if status >= 400:
                errors.setdefault((service, status), (op, ctype, headers.get("x-amzn-errortype"),
                                                      body[:300]))
                continue
            try:
                doc = json.loads(body or b"{}")
            except ValueError:
                errors.setdefault((service, "not json"), (op, ctype, body[:300]))
                continue
            model = MODELS[service].operation_model(op).output_shape
            if model is not None:
                problems = set()
                model_check(model, doc, op, problems)
                for problem in problems:
                    model_problems.add((service, problem))
            for path, value in walk(doc):
                if value is None:
                    nulls.setdefault(service, set()).add(op + re.sub(r"\[\d+\]", "[]", path))
                if re.search(r"(At|Before|After|Time)$", path) and not isinstance(value, (int, float)):
                    json_ts[(op, path)] = value
                elif re.search(r"(At|Before|After)$", path):
                    json_ts.setdefault((op, re.sub(r"\[\d+\]", "[]", path)), value)
    out("ELBv2 XML timestamps seen: " + short(sorted(seen_ts.items()), 2000))
    out("ELBv2 timestamps without Z/offset (the Rust SDK's DateTimeWithOffset refuses them): "
        + (short(sorted(bad_ts)) if bad_ts else "none"))
    out("ELBv2 Python reprs (>True<, >False<, >None<) in XML: "
        + (short(sorted(py_reprs)) if py_reprs else "none"))
    out("ELBv2 responses whose root is not <OpResponse> (or result not <OpResult>; the Rust "
        "SDK's awsQuery parser checks both): " + (short(sorted(bad_roots)) if bad_roots else "none"))
    out("JSON timestamps (ACM, WAFv2): " + short(sorted(json_ts.items()), 1500))
    out("JSON answers against botocore's model (required members missing/null, unknown keys): "
        + (short(sorted(model_problems), 2500) if model_problems else "none"))
    for service, paths in sorted(nulls.items()):
        out(f"{service} JSON nulls ({len(paths)} paths): {short(sorted(paths), 1500)}")
    for key, value in sorted(errors.items(), key=str):
        out(f"error shape {key}: {short([v.decode(errors='replace') if isinstance(v, bytes) else v for v in value], 900)}")


def recorder_report():
    section("Call recorder (/_provision/calls): actions recorded for these services")
    try:
        with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/_provision/calls") as r:
            calls = json.load(r)["calls"]
    except Exception as e:  # noqa: BLE001 (a report)
        out(f"-> {type(e).__name__}: {e}")
        return
    seen = {}
    for c in calls:
        if c["service"] in ("ec2",):
            continue
        seen.setdefault(c["service"], set()).add(c["action"])
    for service, actions in sorted(seen.items()):
        out(f"{service}: {sorted(actions)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", default=",".join(REGIONS))
    parser.add_argument("--acm-wait", type=int, default=0,
                        help="seconds to wait for ISSUED by the clock (0: don't wait)")
    parser.add_argument("--lifecycle", type=int, default=0,
                        help="the emulator's PROVISION_EMULATOR_LIFECYCLE, for the patch checks")
    parser.add_argument("--checks-only", action="store_true",
                        help="run only the patch checks (patches 65-85)")
    args = parser.parse_args()
    if "AWS_ENDPOINT_URL" not in os.environ:
        sys.exit("AWS_ENDPOINT_URL is not set: start the emulator and source its env")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    regions = args.regions.split(",")
    out(f"account {ACCOUNT}, endpoint {os.environ['AWS_ENDPOINT_URL']}, regions {regions}")

    made = {region: clients(region) for region in regions}
    states = {region: {} for region in regions}
    if args.checks_only:
        for region in regions:
            check_patches(made[region], region, args.lifecycle)
        out(f"\npatch checks: {len(FAILED)} failed {FAILED}")
        sys.exit(1 if FAILED else 0)
    for i, region in enumerate(regions):
        other = regions[i - 1] if len(regions) > 1 else None
        if other and "imported" in states[other]:
            states[region]["other_region_cert"] = states[other]["imported"]
        probe_acm(made[region], region, states[region])
        if other and "lb_arn" in states[other]:
            states[region]["other_region_lb"] = states[other]["lb_arn"]
        probe_elbv2(made[region], region, states[region])
        probe_wafv2(made[region], region, states[region])
    if args.acm_wait > 0:
        for region in regions:
            wait_issued(made[region], region, states[region], args.acm_wait)
    for region in regions:
        probe_elbv2_teardown(made[region], region, states[region])
    for region in regions:
        check_patches(made[region], region, args.lifecycle)
    raw_report()
    recorder_report()
    out(f"\npatch checks: {len(FAILED)} failed {FAILED}")


if __name__ == "__main__":
    main()

"""The project's local AWS emulator: moto's server plus our test additions.

Started by `scripts/emulator start` (see that script and DESIGN.md "The emulator");
run by hand with `.venv/bin/python scripts/emulator_launcher.py --port 5000`.

It builds the same WSGI app as `moto.server.main()` (DomainDispatcherApplication over
create_backend_app, served by werkzeug with MotoRequestHandler) and wraps it in one
addition, CallRecorder, below. moto itself is not reimplemented; model patches, if any,
go in the clearly marked section. docs/emulator-notes.md records the probed behaviour.
"""

import argparse
import io
import json
import os
import re
import signal
import sys
import threading
import types
from urllib.parse import parse_qs

from werkzeug.serving import run_simple

import moto  # noqa: F401  (the pinned moto; see scripts/requirements-emulator.txt)
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

# ---------------------------------------------------------------------------
# moto model patches
#
# Each one fixes a moto 5.2.5 EC2 gap that would make the engine act differently than
# on real AWS, and cites the AWS documentation it imitates. The engine code must stay
# right for real AWS; these only make the emulator agree with it. Found by the probe
# recorded in docs/emulator-notes.md. Re-check them when the moto pin changes.
# ---------------------------------------------------------------------------


def apply_patches() -> None:
    from moto.ec2.exceptions import InvalidNetworkAclIdError
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.models.network_acls import NetworkAclBackend
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.ec2.utils import generic_filter, is_tag_filter

    # 1. DescribeNatGateways ignores tag filters in moto (it only knows nat-gateway-id,
    # vpc-id, subnet-id and state), so `tag:provision:stack=X` returned every NAT in
    # the region and the engine would adopt other stacks' NATs. AWS supports
    # tag:<key>, tag-key (and tag-value) on this call:
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNatGateways.html
    describe_nat_gateways = NatGatewayBackend.describe_nat_gateways

    def describe_nat_gateways_with_tags(self, filters, nat_gateway_ids):
        found = describe_nat_gateways(self, filters, nat_gateway_ids)
        tag_filters = {k: v for k, v in (filters or {}).items() if is_tag_filter(k)}
        return generic_filter(tag_filters, found)

    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways_with_tags

    # 2. A rule that references a group (UserIdGroupPairs) keeps its Description in
    # source_group, but moto's SecurityGroupRule.description reads only ip_range, so
    # DescribeSecurityGroupRules (and the Authorize response) showed no Description and
    # the engine saw a perpetual description diff. AWS returns it:
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRule.html
    def rule_description(self):
        if "Description" in self.ip_range:  # CIDR rules; ModifySecurityGroupRules
            return self.ip_range["Description"]
        return self.source_group.get("Description")

    SecurityGroupRule.description = property(rule_description)

    # 3. moto's rule identity (SecurityGroupRule.__eq__) compares the whole source_group
    # dict, Description included. So for group-reference rules a re-authorize with
    # another description made a duplicate rule instead of InvalidPermission.Duplicate,
    # RevokeSecurityGroupIngress by IpPermissions without the same description failed
    # with InvalidPermission.NotFound, and UpdateSecurityGroupRuleDescriptionsIngress
    # silently changed nothing. In AWS a rule is identified by protocol, ports and
    # source; the description is not part of it:
    # https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html
    rule_eq = SecurityGroupRule.__eq__

    def rule_eq_ignoring_description(self, other):
        mine = self.source_group.get("Description")
        if isinstance(other, SecurityGroupRule) and other.source_group.get("Description") != mine:
            # Compare against a stand-in carrying our description (not copy.copy: moto
            # tracks every model instance it creates).
            group = {k: v for k, v in other.source_group.items() if k != "Description"}
            if mine is not None:
                group["Description"] = mine
            other = types.SimpleNamespace(**{**vars(other), "source_group": group})
        return rule_eq(self, other)

    SecurityGroupRule.__eq__ = rule_eq_ignoring_description

    # 4. DescribeNetworkAcls with an unknown id raised InvalidRouteTableID.NotFound.
    # AWS answers InvalidNetworkAclID.NotFound:
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
    describe_network_acls = NetworkAclBackend.describe_network_acls

    def describe_network_acls_checked(self, network_acl_ids=None, filters=None):
        missing = set(network_acl_ids or ()) - set(self.network_acls)
        if missing:
            raise InvalidNetworkAclIdError(sorted(missing)[0])
        return describe_network_acls(self, network_acl_ids, filters)

    NetworkAclBackend.describe_network_acls = describe_network_acls_checked

    # 5. DeleteNatGateway left the gateway's Elastic IP associated with the gateway's
    # network interface, so a new NAT gateway with the same allocation failed with
    # Resource.AlreadyAssociated. In AWS, deleting a NAT gateway disassociates its
    # Elastic IP (the address is kept, not released):
    # https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html
    delete_nat_gateway = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway_releasing_eip(self, nat_gateway_id):
        nat = delete_nat_gateway(self, nat_gateway_id)
        eni = getattr(nat, "_eni", None)
        for eip in list(getattr(self, "addresses", [])):
            if eni is not None and eip.eni is eni:
                eip.eni = None
                eip.instance = None
                eip.association_id = None
        return nat

    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway_releasing_eip


# ---------------------------------------------------------------------------
# Addition for tests: the call recorder
#
# Why: end-to-end tests assert which AWS API calls the engine made (e.g. "a no-op
# apply makes no mutating call", "the plan's order is the order of the calls").
# moto keeps no such log, so we record every AWS request at the WSGI layer.
#
#   GET  /_provision/calls        -> {"calls": [{"service", "region", "action"}, ...]}
#   POST /_provision/calls/reset  -> clears the log
#
# Requests under /moto-api/ and /_provision/ are not recorded.
# ---------------------------------------------------------------------------

# SigV4: "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, ..."
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


class CallRecorder:
    """WSGI middleware: records each AWS API request, then passes it on to moto."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.calls = []

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_provision/"):
            return self.control(environ, path, start_response)
        if not path.startswith("/moto-api"):
            call = self.describe(environ, path)
            with self.lock:
                self.calls.append(call)
        return self.app(environ, start_response)

    def describe(self, environ, path):
        m = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service, region = (m.group(2), m.group(1)) if m else (None, None)
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            # JSON protocols: "X-Amz-Target: Service_20xx.Action".
            action = target.rsplit(".", 1)[-1]
        else:
            # Query protocols (EC2, IAM, STS, RDS, ...): Action= in the form body.
            action = _first(parse_qs(environ.get("QUERY_STRING", "")).get("Action"))
            if action is None and environ.get("CONTENT_TYPE", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                body = _read_body(environ)
                action = _first(parse_qs(body.decode("utf-8", "replace")).get("Action"))
        if action is None:
            # REST protocols (S3, EKS, MSK, Route53, ...): the method and path.
            action = f"{environ.get('REQUEST_METHOD', '')} {path}"
        return {"service": service, "region": region, "action": action}

    def control(self, environ, path, start_response):
        method = environ.get("REQUEST_METHOD")
        if path == "/_provision/calls" and method == "GET":
            with self.lock:
                body = {"calls": list(self.calls)}
        elif path == "/_provision/calls/reset" and method == "POST":
            with self.lock:
                self.calls.clear()
            body = {"calls": []}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error":"unknown /_provision/ endpoint"}']
        data = json.dumps(body).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]


def _first(values):
    return values[0] if values else None


def _read_body(environ) -> bytes:
    """Read the request body and put it back into wsgi.input, so moto still sees it."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = environ["wsgi.input"].read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked: werkzeug ends the stream
        body = environ["wsgi.input"].read()
    else:
        return b""  # nothing to read; leave wsgi.input untouched
    environ["wsgi.input"] = io.BytesIO(body)
    return body


# ---------------------------------------------------------------------------
# Server: as moto.server.main() does, with the recorder around moto's app.
# ---------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    # moto uses MOTO_PORT when it builds URLs pointing back at itself (as main() does).
    os.environ.setdefault("MOTO_PORT", str(args.port))
    # AWS-managed IAM policies exist only with this set (scripts/emulator sets it too).
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

    apply_patches()

    # TERM (scripts/emulator stop) exits cleanly, as in moto.server.main().
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    moto_app = DomainDispatcherApplication(create_backend_app)
    moto_app.debug = True  # as moto.server.main()
    run_simple(
        args.host,
        args.port,
        CallRecorder(moto_app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()

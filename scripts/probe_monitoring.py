#!/usr/bin/env python3
"""Probe of the emulator's CloudWatch alarms and SNS: docs/emulator-notes.md, patches 58-64.

CloudWatch is called as the Rust SDK (aws-sdk-cloudwatch) calls it: Smithy RPC v2 CBOR,
raw HTTP built here (POST /service/GraniteServiceVersion20100801/operation/<Op>, CBOR
bodies, SigV4 for service `monitoring`), so this checks the launcher's CBOR front door
(patch 58) byte by byte: CBOR types (tag-1 timestamps, floats, integers), error maps and
the x-amzn-query-error header. Then a plain boto3 CloudWatch client (awsJson1_0), a raw
awsQuery call, EC2 DescribeVpcs, and SNS with boto3 (awsQuery, as aws-sdk-sns speaks it).
Prints one OK line per check; exits non-zero at the first failure. Each run uses a fresh
account (x-moto-account-id), so runs don't collide.

  eval "$(scripts/emulator start --pidfile /tmp/mon.pid --port 0)"
  .venv/bin/python scripts/probe_monitoring.py

The endpoint comes from AWS_ENDPOINT_URL.
"""

import datetime
import gzip
import json
import os
import random
import sys
import urllib.error
import urllib.parse
import urllib.request

import boto3
import cbor2
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "")
REGION = "eu-central-1"  # not the default region: proves the SigV4 scope picks the backend
ACCOUNT = str(random.randint(10**11, 10**12 - 1))
SERVICE = "GraniteServiceVersion20100801"


def ok(message):
    print(f"OK   {message}", flush=True)


def fail(message):
    print(f"FAIL {message}", flush=True)
    sys.exit(1)


def check(condition, message, detail=None):
    if not condition:
        fail(f"{message}" + (f": {detail!r}" if detail is not None else ""))
    ok(message)


class Timestamp(float):
    """A CBOR tag-1 value (epoch seconds), kept apart from plain floats."""


def decode(raw):
    # Tag 1 -> Timestamp; tag 0 (RFC 3339 text) would be wrong for the Rust SDK.
    return cbor2.loads(raw, semantic_decoders={
        1: lambda value, *_: Timestamp(value),
        0: lambda value, *_: ("tag 0", value),
    })


# ---------------------------------------------------------------------------
# CloudWatch over Smithy RPC v2 CBOR, as aws-sdk-cloudwatch sends it
# ---------------------------------------------------------------------------

sent_operations = []  # every CBOR call, for the call recorder check


def cbor_call(operation, params, gzip_body=False, body=None, sign=True):
    """One RPC v2 CBOR call. Returns (status, headers, raw body)."""
    data = cbor2.dumps(params) if body is None else body
    headers = {
        "Content-Type": "application/cbor",
        "Accept": "application/cbor",
        "smithy-protocol": "rpc-v2-cbor",
        "x-amzn-query-mode": "true",
        "x-moto-account-id": ACCOUNT,
    }
    if gzip_body:
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    url = f"{ENDPOINT}/service/{SERVICE}/operation/{operation}"
    request = AWSRequest(method="POST", url=url, data=data, headers=headers)
    if sign:
        SigV4Auth(Credentials("testing", "testing"), "monitoring", REGION).add_auth(request)
    prepared = urllib.request.Request(url, data=data, method="POST",
                                      headers=dict(request.headers.items()))
    sent_operations.append(operation)
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def cw(operation, params=None, **kwargs):
    """A call that must succeed: returns the decoded output (None without a body)."""
    status, headers, raw = cbor_call(operation, params or {}, **kwargs)
    if status != 200:
        fail(f"{operation}: HTTP {status} {headers.get('x-amzn-query-error')} "
             f"{decode(raw) if raw else raw!r}")
    if headers.get("smithy-protocol") != "rpc-v2-cbor":
        fail(f"{operation}: no smithy-protocol: rpc-v2-cbor header")
    if not raw:
        return None
    if headers.get("Content-Type") != "application/cbor":
        fail(f"{operation}: Content-Type {headers.get('Content-Type')!r}")
    return decode(raw)


def cw_error(operation, params, code, status, message):
    """A call that must fail with `code` (as the Rust SDK reads it) and HTTP `status`."""
    got_status, headers, raw = cbor_call(operation, params)
    body = decode(raw) if raw else {}
    query = headers.get("x-amzn-query-error") or ""
    type_name = str(body.get("__type", "")).rsplit("#", 1)[-1]
    got = (query.split(";")[0], got_status)
    check(got == (code, status) and query.endswith(";Sender") and type_name
          and headers.get("smithy-protocol") == "rpc-v2-cbor"
          and isinstance(body.get("message", body.get("Message")), str),
          f"{message} -> {code} ({status})", (got, query, body))
    return body


def arn(name):
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"


def probe_cloudwatch_cbor():
    calls_before = len(recorded_calls())
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    classic = {
        "AlarmName": "probe-cpu",
        "AlarmDescription": "CPU of db-1",
        "Namespace": "AWS/RDS",
        "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "db-1"}],
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [topic],
        "OKActions": [topic],
        "Tags": [{"Key": "provision:stack", "Value": "probe"}, {"Key": "team", "Value": "db"}],
    }
    status, headers, raw = cbor_call("PutMetricAlarm", classic)
    check(status == 200 and raw == b"" and headers.get("smithy-protocol") == "rpc-v2-cbor",
          "PutMetricAlarm (CBOR) answers 200, no body, smithy-protocol header",
          (status, raw, dict(headers)))

    out = cw("DescribeAlarms", {"AlarmNames": ["probe-cpu"]})
    check(set(out) >= {"MetricAlarms", "CompositeAlarms"} and len(out["MetricAlarms"]) == 1
          and out["CompositeAlarms"] == [], "DescribeAlarms by name: one metric alarm", out)
    alarm = out["MetricAlarms"][0]
    for key in ("AlarmName", "AlarmDescription", "Namespace", "MetricName", "Dimensions",
                "Statistic", "Period", "EvaluationPeriods", "DatapointsToAlarm",
                "ComparisonOperator", "TreatMissingData", "AlarmActions", "OKActions"):
        if alarm.get(key) != classic[key]:
            fail(f"DescribeAlarms {key}: {alarm.get(key)!r}, sent {classic[key]!r}")
    ok("DescribeAlarms echoes every field sent (name, description, metric, dimensions, "
       "statistic, period, evaluation, comparison, missing data, actions)")
    check(type(alarm["Threshold"]) is float and alarm["Threshold"] == 80.0,
          "Threshold is a CBOR float", alarm["Threshold"])
    check(all(type(alarm[k]) is int for k in ("Period", "EvaluationPeriods",
                                              "DatapointsToAlarm")),
          "Period, EvaluationPeriods, DatapointsToAlarm are CBOR integers")
    check(alarm["AlarmArn"] == arn("probe-cpu"), "AlarmArn arn:aws:cloudwatch:<region>:"
          "<account>:alarm:<name>", alarm["AlarmArn"])
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    stamps = ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp")
    check(all(isinstance(alarm[k], Timestamp) and abs(alarm[k] - now) < 300 for k in stamps),
          "timestamps are CBOR tag 1 (epoch seconds), current", [alarm[k] for k in stamps])
    check(alarm["StateValue"] == "INSUFFICIENT_DATA" and alarm["ActionsEnabled"] is True
          and alarm["StateReason"] == "Unchecked: Initial alarm creation",
          "a new alarm is INSUFFICIENT_DATA (patch 59), ActionsEnabled true",
          (alarm["StateValue"], alarm["ActionsEnabled"], alarm["StateReason"]))
    check("ExtendedStatistic" not in alarm and alarm.get("Metrics", []) == [],
          "no ExtendedStatistic; Metrics empty for a single-metric alarm", alarm.get("Metrics"))

    tags = cw("ListTagsForResource", {"ResourceARN": arn("probe-cpu")})["Tags"]
    check(sorted(tags, key=lambda t: t["Key"]) == classic["Tags"],
          "Tags given to PutMetricAlarm show in ListTagsForResource", tags)

    # The Metrics (metric math) form.
    metrics = [
        {"Id": "errors", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_Target_5XX_Count",
                       "Dimensions": [{"Name": "LoadBalancer", "Value": "app/web/1"}]},
            "Period": 60, "Stat": "Sum"}},
        {"Id": "requests", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount",
                       "Dimensions": [{"Name": "LoadBalancer", "Value": "app/web/1"}]},
            "Period": 60, "Stat": "Sum"}},
        {"Id": "rate", "Expression": "100 * errors / requests", "Label": "5xx rate",
         "ReturnData": True},
    ]
    cw("PutMetricAlarm", {
        "AlarmName": "probe-5xx", "EvaluationPeriods": 3, "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "missing",
        "Metrics": metrics, "AlarmActions": [topic],
        "Tags": [{"Key": "provision:stack", "Value": "probe"}]})
    out = cw("DescribeAlarms", {"AlarmNames": ["probe-5xx"], "AlarmTypes": ["MetricAlarm"]})
    math = out["MetricAlarms"][0]
    check(math["Metrics"] == metrics, "the Metrics form comes back as sent", math["Metrics"])
    check(all(k not in math for k in ("MetricName", "Namespace", "Statistic", "Period"))
          and math.get("Dimensions", []) == [],
          "the Metrics form has no MetricName/Namespace/Statistic/Period (Dimensions [])",
          {k: math.get(k) for k in ("MetricName", "Namespace", "Statistic", "Period",
                                    "Dimensions")})
    check(type(math["Metrics"][0]["MetricStat"]["Period"]) is int
          and math["Metrics"][0]["ReturnData"] is False,
          "MetricStat.Period is an integer, ReturnData a boolean")

    # Update: the configuration is replaced; state and tags stay (patches 59, 60).
    cw("SetAlarmState", {"AlarmName": "probe-cpu", "StateValue": "ALARM",
                         "StateReason": "probe"})
    before = cw("DescribeAlarms", {"AlarmNames": ["probe-cpu"]})["MetricAlarms"][0]
    update = dict(classic, Threshold=90.5, Tags=[{"Key": "other", "Value": "x"}])
    del update["AlarmDescription"]
    cw("PutMetricAlarm", update)
    after = cw("DescribeAlarms", {"AlarmNames": ["probe-cpu"]})["MetricAlarms"][0]
    check(after["Threshold"] == 90.5 and "AlarmDescription" not in after,
          "PutMetricAlarm of an existing name replaces the whole configuration",
          (after["Threshold"], after.get("AlarmDescription")))
    check(after["StateValue"] == "ALARM" and after["StateReason"] == "probe"
          and after["StateUpdatedTimestamp"] == before["StateUpdatedTimestamp"]
          and after["AlarmConfigurationUpdatedTimestamp"]
          >= before["AlarmConfigurationUpdatedTimestamp"],
          "... and leaves the state as it was (patch 59)",
          (after["StateValue"], after["StateReason"]))
    tags = cw("ListTagsForResource", {"ResourceARN": arn("probe-cpu")})["Tags"]
    check(sorted(tags, key=lambda t: t["Key"]) == classic["Tags"],
          "... and ignores its Tags (patch 60)", tags)

    # Tags.
    check(cw("TagResource", {"ResourceARN": arn("probe-cpu"),
                             "Tags": [{"Key": "team", "Value": "platform"}]}) == {},
          "TagResource answers an empty map")
    cw("UntagResource", {"ResourceARN": arn("probe-cpu"), "TagKeys": ["provision:stack"]})
    tags = cw("ListTagsForResource", {"ResourceARN": arn("probe-cpu")})["Tags"]
    check(tags == [{"Key": "team", "Value": "platform"}],
          "TagResource overwrites a value, UntagResource removes a key", tags)
    cw("UntagResource", {"ResourceARN": arn("probe-cpu"), "TagKeys": ["team"]})
    cw("UntagResource", {"ResourceARN": arn("probe-cpu"), "TagKeys": ["team"]})
    check(cw("ListTagsForResource", {"ResourceARN": arn("probe-cpu")})["Tags"] == [],
          "UntagResource of an alarm without tags succeeds (patch 61)")

    # DescribeAlarms filters and pages (patch 62).
    for name in ("probe-b", "probe-a", "other-x"):
        cw("PutMetricAlarm", {"AlarmName": name, "Namespace": "N", "MetricName": "M",
                              "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
                              "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"})
    names = [a["AlarmName"] for a in
             cw("DescribeAlarms", {"AlarmNamePrefix": "probe-"})["MetricAlarms"]]
    check(names == ["probe-5xx", "probe-a", "probe-b", "probe-cpu"],
          "AlarmNamePrefix matches the start of the name; name order", names)
    check(cw("DescribeAlarms", {"AlarmTypes": ["CompositeAlarm"]})["MetricAlarms"] == [],
          "AlarmTypes [CompositeAlarm] returns no metric alarms")
    both = cw("DescribeAlarms", {"AlarmNamePrefix": "probe-", "StateValue": "ALARM"})
    check([a["AlarmName"] for a in both["MetricAlarms"]] == ["probe-cpu"],
          "AlarmNamePrefix and StateValue combine")
    seen, token, pages = [], None, 0
    while True:
        page = cw("DescribeAlarms", dict({"MaxRecords": 2}, **(
            {"NextToken": token} if token else {})))
        seen += [a["AlarmName"] for a in page["MetricAlarms"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    check(seen == ["other-x", "probe-5xx", "probe-a", "probe-b", "probe-cpu"] and pages == 3,
          "MaxRecords 2 pages through all five with NextToken", (seen, pages))
    cw_error("DescribeAlarms", {"NextToken": "not-a-token"}, "InvalidNextToken", 400,
             "DescribeAlarms with a NextToken it didn't issue")
    cw_error("DescribeAlarms", {"AlarmNames": ["probe-a"], "AlarmNamePrefix": "probe-"},
             "InvalidParameterCombination", 400, "AlarmNames with AlarmNamePrefix")

    # DeleteAlarms, and the tags of what is gone (patch 61).
    check(cw("DeleteAlarms", {"AlarmNames": ["probe-cpu", "probe-never-was"]}) is None,
          "DeleteAlarms of a known and an unknown name answers 200 (no body)")
    check(cw("DeleteAlarms", {"AlarmNames": ["probe-never-was"]}) is None,
          "DeleteAlarms of only unknown names answers 200")
    check(cw("DescribeAlarms", {"AlarmNames": ["probe-cpu"]})["MetricAlarms"] == [],
          "a deleted alarm is gone from DescribeAlarms")
    body = cw_error("ListTagsForResource", {"ResourceARN": arn("probe-cpu")},
                    "ResourceNotFoundException", 404, "ListTagsForResource of a deleted alarm")
    check(body["__type"] == "com.amazonaws.cloudwatch#ResourceNotFoundException",
          "error __type is the shape id", body["__type"])
    cw_error("TagResource", {"ResourceARN": arn("probe-cpu"),
                             "Tags": [{"Key": "a", "Value": "b"}]},
             "ResourceNotFoundException", 404, "TagResource of a deleted alarm")
    cw_error("UntagResource", {"ResourceARN": arn("probe-cpu"), "TagKeys": ["a"]},
             "ResourceNotFoundException", 404, "UntagResource of a deleted alarm")
    cw("PutMetricAlarm", dict(classic, Tags=[]))
    check(cw("ListTagsForResource", {"ResourceARN": arn("probe-cpu")})["Tags"] == [],
          "an alarm re-created under a deleted one's name has none of its tags")
    cw("DeleteAlarms", {"AlarmNames": ["probe-cpu", "probe-5xx", "probe-a", "probe-b",
                                       "other-x"]})

    # Input timestamps (tag 1) and a gzip body (PutMetricData has request compression).
    t0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cw("PutMetricData", {"Namespace": "Probe", "MetricData": [{
        "MetricName": "Hits", "Value": 3.0, "Timestamp": cbor2.CBORTag(1, t0.timestamp() + 90)}]},
        gzip_body=True)
    ok("PutMetricData with a gzip body and a tag-1 Timestamp")
    data = cw("GetMetricData", {
        "MetricDataQueries": [{"Id": "h", "MetricStat": {
            "Metric": {"Namespace": "Probe", "MetricName": "Hits"}, "Period": 60,
            "Stat": "Sum"}}],
        "StartTime": cbor2.CBORTag(1, t0.timestamp()),
        "EndTime": cbor2.CBORTag(1, t0.timestamp() + 3600.0)})
    result = data["MetricDataResults"][0]
    check(result["Values"] == [3.0] and all(isinstance(t, Timestamp)
                                            for t in result["Timestamps"]),
          "GetMetricData reads tag-1 StartTime/EndTime; Timestamps come back as tag 1", result)

    # The front door's own errors.
    status, headers, raw = cbor_call("NoSuchOperation", {})
    check(status == 404 and decode(raw)["__type"].endswith("UnknownOperationException"),
          "an operation CloudWatch doesn't have -> 404 UnknownOperationException", status)
    status, headers, raw = cbor_call("DescribeAlarms", None, body=b"\xff\x00")
    check(status == 400 and decode(raw)["__type"].endswith("SerializationException"),
          "a body that isn't CBOR -> 400 SerializationException", status)

    status, headers, raw = cbor_call("DescribeAlarms", {}, sign=False)
    check(status == 403 and headers.get("x-amzn-query-error")
          == "MissingAuthenticationToken;Sender",
          "an unsigned call -> 403 MissingAuthenticationToken", status)

    # The call recorder names each CBOR call by its operation (the unsigned one has no
    # SigV4 scope, so no service or region).
    sent_operations.pop()
    mine = [c["action"] for c in recorded_calls()[calls_before:]
            if c["service"] == "monitoring" and c["region"] == REGION]
    check(mine == sent_operations, "the call recorder lists every CBOR call as its "
          "operation name, in order (service monitoring, the region)", mine[:5])


def recorded_calls():
    with urllib.request.urlopen(f"{ENDPOINT}/_provision/calls", timeout=30) as r:
        return json.load(r)["calls"]


# ---------------------------------------------------------------------------
# The other protocols still work
# ---------------------------------------------------------------------------


def client(service, region=REGION):
    c = boto3.client(service, region_name=region, endpoint_url=ENDPOINT,
                     aws_access_key_id="testing", aws_secret_access_key="testing",
                     config=Config(retries={"max_attempts": 1}))
    c.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", ACCOUNT))
    return c


def probe_other_protocols():
    cloudwatch = client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="probe-json", Namespace="N", MetricName="M", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=2, ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": "k", "Value": "v"}])
    alarms = cloudwatch.describe_alarms(AlarmNames=["probe-json"])["MetricAlarms"]
    check(len(alarms) == 1 and alarms[0]["StateValue"] == "INSUFFICIENT_DATA"
          and cloudwatch.list_tags_for_resource(ResourceARN=arn("probe-json"))["Tags"]
          == [{"Key": "k", "Value": "v"}],
          "boto3 CloudWatch (awsJson1_0) still works, with the same patches")
    try:
        cloudwatch.list_tags_for_resource(ResourceARN=arn("nope"))
        fail("boto3 ListTagsForResource of an unknown alarm succeeded")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ResourceNotFoundException",
              "boto3 ListTagsForResource of an unknown alarm -> ResourceNotFoundException")

    form = urllib.parse.urlencode({"Action": "DescribeAlarms", "Version": "2010-08-01",
                                   "AlarmNames.member.1": "probe-json"}).encode()
    request = AWSRequest(method="POST", url=f"{ENDPOINT}/", data=form, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "x-moto-account-id": ACCOUNT})
    SigV4Auth(Credentials("testing", "testing"), "monitoring", REGION).add_auth(request)
    with urllib.request.urlopen(urllib.request.Request(
            f"{ENDPOINT}/", data=form, method="POST", headers=dict(request.headers.items())),
            timeout=30) as r:
        xml = r.read().decode()
    check("<AlarmName>probe-json</AlarmName>" in xml, "CloudWatch awsQuery (form POST) works")
    cloudwatch.delete_alarms(AlarmNames=["probe-json"])

    vpcs = client("ec2").describe_vpcs()["Vpcs"]
    check(any(v.get("IsDefault") for v in vpcs), "EC2 DescribeVpcs still works", len(vpcs))


# ---------------------------------------------------------------------------
# SNS (awsQuery, as aws-sdk-sns speaks it)
# ---------------------------------------------------------------------------


def expect_sns_error(call, code, status, message):
    try:
        call()
    except ClientError as e:
        got = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        check(got == (code, status), f"{message} -> {code} ({status})",
              (got, e.response["Error"].get("Message")))
        return e.response["Error"].get("Message")
    fail(f"{message}: no error, expected {code}")


def confirm(endpoint):
    url = f"{ENDPOINT}/_provision/sns/confirm-subscriptions?" + urllib.parse.urlencode(
        {"endpoint": endpoint})
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=30) as r:
        return json.load(r)["confirmed"]


def probe_sns():
    sns = client("sns")
    tags = [{"Key": "provision:stack", "Value": "probe"}]
    topic = sns.create_topic(Name="probe-alerts", Tags=tags,
                             Attributes={"DisplayName": "Probe"})["TopicArn"]
    check(topic == f"arn:aws:sns:{REGION}:{ACCOUNT}:probe-alerts",
          "CreateTopic -> arn:aws:sns:<region>:<account>:<name>", topic)
    check(sns.create_topic(Name="probe-alerts", Tags=tags,
                           Attributes={"DisplayName": "Probe"})["TopicArn"] == topic
          and sns.create_topic(Name="probe-alerts")["TopicArn"] == topic,
          "CreateTopic again with the same (or no) tags and attributes -> the same ARN")
    expect_sns_error(lambda: sns.create_topic(Name="probe-alerts",
                                              Tags=[{"Key": "other", "Value": "x"}]),
                     "InvalidParameter", 400, "CreateTopic again with other tags (patch 63)")
    expect_sns_error(lambda: sns.create_topic(Name="probe-alerts",
                                              Attributes={"DisplayName": "Other"}),
                     "InvalidParameter", 400,
                     "CreateTopic again with other attributes (patch 63)")

    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    check(attributes["DisplayName"] == "Probe" and attributes["Owner"] == ACCOUNT
          and attributes["TopicArn"] == topic
          and json.loads(attributes["Policy"])["Statement"]
          and attributes["SubscriptionsPending"] == "0"
          and attributes["SubscriptionsConfirmed"] == "0",
          "GetTopicAttributes: DisplayName, Owner, TopicArn, default Policy, counts 0",
          attributes)
    check(topic in [t["TopicArn"] for t in sns.list_topics()["Topics"]], "ListTopics lists it")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "cloudwatch", "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish", "Resource": topic}]}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName",
                             AttributeValue="Probe 2")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                             AttributeValue=json.dumps(policy))
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    check(attributes["DisplayName"] == "Probe 2"
          and json.loads(attributes["Policy"]) == policy,
          "SetTopicAttributes DisplayName and Policy show in GetTopicAttributes")

    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "team", "Value": "ops"}])
    sns.untag_resource(ResourceArn=topic, TagKeys=["provision:stack"])
    check(sns.list_tags_for_resource(ResourceArn=topic)["Tags"]
          == [{"Key": "team", "Value": "ops"}], "TagResource / UntagResource on the topic")

    email = f"ops-{ACCOUNT}@example.com"
    sub = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=email,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    check(sub.startswith(topic + ":"), "Subscribe email with ReturnSubscriptionArn -> the "
          "subscription's ARN", sub)
    check(sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=email)["SubscriptionArn"]
          == "pending confirmation",
          "Subscribe again without ReturnSubscriptionArn -> \"pending confirmation\" (patch 64)")
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    check(listed == [{"SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT,
                      "Protocol": "email", "Endpoint": email, "TopicArn": topic}],
          "ListSubscriptionsByTopic: one entry, SubscriptionArn \"PendingConfirmation\"", listed)
    check([s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]
           if s["TopicArn"] == topic] == ["PendingConfirmation"],
          "ListSubscriptions shows it the same way")
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    check(attributes["PendingConfirmation"] == "true"
          and attributes["ConfirmationWasAuthenticated"] == "false"
          and attributes["Protocol"] == "email" and attributes["Endpoint"] == email,
          "GetSubscriptionAttributes: PendingConfirmation \"true\"", attributes)
    counts = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    check((counts["SubscriptionsPending"], counts["SubscriptionsConfirmed"]) == ("1", "0"),
          "GetTopicAttributes counts it as pending")
    message = expect_sns_error(lambda: sns.unsubscribe(SubscriptionArn=sub),
                               "InvalidParameter", 400, "Unsubscribe of a pending subscription")
    check("pending confirmation" in message, "... saying it is pending confirmation", message)
    expect_sns_error(lambda: sns.unsubscribe(SubscriptionArn="PendingConfirmation"),
                     "InvalidParameter", 400, "Unsubscribe(\"PendingConfirmation\")")

    auto = sns.subscribe(TopicArn=topic, Protocol="lambda",
                         Endpoint=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")
    check(auto["SubscriptionArn"].startswith(topic + ":"),
          "a lambda subscription needs no confirmation: its ARN at once")
    sns.unsubscribe(SubscriptionArn=auto["SubscriptionArn"])

    check(confirm(email) == [sub], "POST /_provision/sns/confirm-subscriptions?endpoint= "
          "confirms it")
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    counts = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    check([s["SubscriptionArn"] for s in listed] == [sub]
          and attributes["PendingConfirmation"] == "false"
          and (counts["SubscriptionsPending"], counts["SubscriptionsConfirmed"]) == ("0", "1"),
          "confirmed: listed by ARN, PendingConfirmation \"false\", counted confirmed")
    sns.unsubscribe(SubscriptionArn=sub)
    check(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == [],
          "Unsubscribe of a confirmed subscription removes it")

    pending = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=email,
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
    sns.delete_topic(TopicArn=topic)
    expect_sns_error(lambda: sns.get_topic_attributes(TopicArn=topic), "NotFound", 404,
                     "GetTopicAttributes of a deleted topic")
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn=pending),
                     "NotFound", 404, "DeleteTopic deletes its (pending) subscriptions")
    check(all(s["TopicArn"] != topic for s in sns.list_subscriptions()["Subscriptions"]),
          "... and ListSubscriptions no longer has them")
    expect_sns_error(lambda: sns.list_tags_for_resource(ResourceArn=topic),
                     "ResourceNotFound", 404, "ListTagsForResource of a deleted topic")
    expect_sns_error(lambda: sns.list_subscriptions_by_topic(TopicArn=topic),
                     "NotFound", 404, "ListSubscriptionsByTopic of a deleted topic")
    sns.delete_topic(TopicArn=topic)
    ok("DeleteTopic of a deleted topic succeeds")
    again = sns.create_topic(Name="probe-alerts", Tags=[{"Key": "x", "Value": "y"}])
    check(sns.list_tags_for_resource(ResourceArn=again["TopicArn"])["Tags"]
          == [{"Key": "x", "Value": "y"}], "a re-created topic has only its new tags")
    sns.delete_topic(TopicArn=again["TopicArn"])


def main():
    if not ENDPOINT:
        sys.exit("AWS_ENDPOINT_URL is not set (eval \"$(scripts/emulator start)\")")
    print(f"account {ACCOUNT}, region {REGION}, endpoint {ENDPOINT}", flush=True)
    probe_cloudwatch_cbor()
    probe_other_protocols()
    probe_sns()
    print("all checks passed", flush=True)


if __name__ == "__main__":
    main()

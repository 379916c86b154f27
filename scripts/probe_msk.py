#!/usr/bin/env python3
"""Probe of the emulator's MSK (kafka) behaviour: docs/emulator-notes.md, patches 42-50.

Runs every MSK call the engine makes against a running emulator and asserts what
docs/emulator-notes.md says about it. Prints one OK line per check; exits non-zero at the
first failure. Each run uses a fresh account (x-moto-account-id), so runs don't collide.

  eval "$(scripts/emulator start --pidfile /tmp/msk.pid --port 0)"
  .venv/bin/python scripts/probe_msk.py

  PROVISION_EMULATOR_LIFECYCLE=2 scripts/emulator start --pidfile /tmp/msk-life.pid --port 0
  .venv/bin/python scripts/probe_msk.py --lifecycle 2    # the server's N: checks transitions

The endpoint comes from AWS_ENDPOINT_URL.
"""

import argparse
import base64
import datetime
import os
import random
import re
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

SOURCE, TARGET = "us-east-1", "eu-west-1"  # the replicator lives in the target's region
REPLICATOR_POLICY = "arn:aws:iam::aws:policy/service-role/AWSMSKReplicatorExecutionRole"
# RFC 3339 with "Z" or an offset: what the Rust SDK's DateTimeWithOffset format accepts.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
RAW_TIMESTAMP = re.compile(rb'"creationTime"\s*:\s*"([^"]*)"')

LIFE = 0  # describes per transition (--lifecycle)
raw_timestamps = []  # every creationTime in every kafka response, as sent


def ok(message):
    print(f"OK   {message}", flush=True)


def fail(message):
    print(f"FAIL {message}", flush=True)
    sys.exit(1)


def check(condition, message, detail=None):
    if not condition:
        fail(f"{message}" + (f": {detail!r}" if detail is not None else ""))
    ok(message)


def expect_error(call, code, status, message):
    try:
        call()
    except ClientError as e:
        got = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
        check(got == (code, status), f"{message} -> {code} ({status})", got)
        return
    fail(f"{message}: no error, expected {code}")


def clients(account):
    config = Config(retries={"max_attempts": 1})

    def with_account(request, **_):
        request.headers["x-moto-account-id"] = account

    def keep_timestamps(http_response, **_):
        raw_timestamps.extend(RAW_TIMESTAMP.findall(http_response.content or b""))

    made = {}
    for service in ("kafka", "ec2", "kms", "iam"):
        for region in (SOURCE, TARGET):
            client = boto3.client(service, region_name=region, config=config,
                                  endpoint_url=os.environ["AWS_ENDPOINT_URL"])
            client.meta.events.register("before-sign", with_account)
            if service == "kafka":
                client.meta.events.register("after-call.kafka", keep_timestamps)
            made[service, region] = client
    return made


def transition(describe, state_of, during, end, what, seen=0):
    """Lifecycle off: `end` at once. On: `during` for LIFE describes (`seen` of them done
    already), then `end`."""
    for i in range(seen, LIFE):
        state = state_of(describe())
        check(state == during, f"{what}: describe {i + 1}/{LIFE} shows {during}", state)
    result = describe()
    check(state_of(result) == end, f"{what}: then {end}", state_of(result))
    return result


def gone(describe, state_of, during, what, code="NotFoundException"):
    for i in range(LIFE):
        state = state_of(describe())
        check(state == during, f"{what}: describe {i + 1}/{LIFE} shows {during}", state)
    expect_error(describe, code, 404, f"{what}: then gone")


def network(c, region):
    ec2 = c["ec2", region]
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24",
                                 AvailabilityZone=f"{region}{zone}")["Subnet"]["SubnetId"]
               for i, zone in enumerate("abc")]
    group = ec2.create_security_group(GroupName="msk", Description="msk",
                                      VpcId=vpc)["GroupId"]
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    check(vpc in vpcs, f"ec2 {region}: VPC {vpc} and 3 subnets made, describe_vpcs lists it")
    key = c["kms", region].create_key(Description="msk")["KeyMetadata"]["Arn"]
    return subnets, group, key


def new_cluster(kafka, name, subnets, group, key, configuration=None, brokers=3, **extra):
    args = dict(
        ClusterName=name, KafkaVersion="3.6.0", NumberOfBrokerNodes=brokers,
        BrokerNodeGroupInfo={"InstanceType": "kafka.m5.large", "ClientSubnets": subnets,
                             "SecurityGroups": [group],
                             "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}}},
        EncryptionInfo={"EncryptionAtRest": {"DataVolumeKMSKeyId": key},
                        "EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}},
        ClientAuthentication={"Sasl": {"Iam": {"Enabled": True}}},
        Tags={"provision:stack": "probe", "name": name}, **extra)
    if configuration:
        args["ConfigurationInfo"] = configuration
    return kafka.create_cluster(**args)


def probe_iam(c, account):
    iam = c["iam", SOURCE]
    role = iam.create_role(RoleName="msk-replicator", AssumeRolePolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":'
        '"kafka.amazonaws.com"},"Action":"sts:AssumeRole"}]}'))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="msk-replicator", PolicyArn=REPLICATOR_POLICY)
    attached = iam.list_attached_role_policies(RoleName="msk-replicator")
    check([p["PolicyArn"] for p in attached["AttachedPolicies"]] == [REPLICATOR_POLICY],
          "iam: AWSMSKReplicatorExecutionRole (AWS managed) attaches to a role")
    version = iam.get_policy(PolicyArn=REPLICATOR_POLICY)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=REPLICATOR_POLICY, VersionId=version)
    actions = {a for s in document["PolicyVersion"]["Document"]["Statement"]
               for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    check({"kafka-cluster:Connect", "kafka-cluster:WriteData"} <= actions,
          "iam: its document grants kafka-cluster:Connect and WriteData", sorted(actions))
    return role


def probe_configurations(kafka, account):
    props = b"auto.create.topics.enable=false\nmin.insync.replicas=2\n"
    created = kafka.create_configuration(Name="probe-config", KafkaVersions=["3.6.0"],
                                         ServerProperties=props, Description="first")
    arn = created["Arn"]
    check(re.fullmatch(rf"arn:aws:kafka:{SOURCE}:{account}:configuration/probe-config/[0-9a-f-]+",
                       arn), "CreateConfiguration: ARN configuration/<name>/<uuid>", arn)
    check((created["Name"], created["State"], created["LatestRevision"]["Revision"],
           created["LatestRevision"]["Description"]) == ("probe-config", "ACTIVE", 1, "first"),
          "CreateConfiguration: name, ACTIVE, latestRevision 1 with the description", created)
    check(isinstance(created["CreationTime"], datetime.datetime)
          and created["CreationTime"].tzinfo is not None, "CreateConfiguration: creationTime")
    expect_error(lambda: kafka.create_configuration(Name="probe-config", ServerProperties=props),
                 "ConflictException", 409, "CreateConfiguration of a taken name")
    expect_error(lambda: kafka.create_configuration(Name="bad_name", ServerProperties=props),
                 "BadRequestException", 400, "CreateConfiguration of a name with '_'")

    described = kafka.describe_configuration(Arn=arn)
    check((described["Arn"], described["Name"], described["Description"],
           described["KafkaVersions"], described["State"],
           described["LatestRevision"]["Revision"]) == (
        arn, "probe-config", "first", ["3.6.0"], "ACTIVE", 1),
        "DescribeConfiguration: arn, name, description, kafkaVersions, state, latestRevision")
    revision = kafka.describe_configuration_revision(Arn=arn, Revision=1)
    check((revision["Arn"], revision["Revision"], revision["Description"],
           revision["ServerProperties"]) == (arn, 1, "first", props),
          "DescribeConfigurationRevision 1: serverProperties as sent", revision)

    props2 = props + b"log.retention.hours=48\n"
    updated = kafka.update_configuration(Arn=arn, ServerProperties=props2, Description="second")
    check((updated["Arn"], updated["LatestRevision"]["Revision"],
           updated["LatestRevision"]["Description"]) == (arn, 2, "second"),
          "UpdateConfiguration: latestRevision 2 with its description", updated)
    described = kafka.describe_configuration(Arn=arn)
    check((described["Description"], described["LatestRevision"]["Revision"]) == ("first", 2),
          "DescribeConfiguration after update: description kept, latestRevision 2")
    check(kafka.describe_configuration_revision(Arn=arn, Revision=2)["ServerProperties"]
          == props2 and kafka.describe_configuration_revision(Arn=arn, Revision=1)[
              "ServerProperties"] == props, "DescribeConfigurationRevision 1 and 2 kept apart")
    expect_error(lambda: kafka.describe_configuration_revision(Arn=arn, Revision=3),
                 "NotFoundException", 404, "DescribeConfigurationRevision of a missing revision")
    missing = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000-1"
    expect_error(lambda: kafka.describe_configuration(Arn=missing), "NotFoundException", 404,
                 "DescribeConfiguration of an unknown ARN")

    second = kafka.create_configuration(Name="probe-config-2", KafkaVersions=["3.6.0", "3.7.x"],
                                        ServerProperties=props)["Arn"]
    listed = kafka.list_configurations()["Configurations"]
    check({c["Arn"] for c in listed} == {arn, second}
          and all({"Arn", "Name", "Description", "KafkaVersions", "LatestRevision", "State",
                   "CreationTime"} <= set(c) for c in listed),
          "ListConfigurations: both, in the Describe shape", listed)
    first_page = kafka.list_configurations(MaxResults=1)
    rest = kafka.list_configurations(MaxResults=1, NextToken=first_page["NextToken"])
    check(len(first_page["Configurations"]) == 1 and len(rest["Configurations"]) == 1
          and "NextToken" not in rest, "ListConfigurations: pages with maxResults/nextToken")
    return arn, second


def probe_clusters(kafka, account, subnets, group, key, config, config2):
    expect_error(lambda: new_cluster(kafka, "probe-bad", subnets, group, key, brokers=4),
                 "BadRequestException", 400, "CreateCluster: 4 brokers over 3 subnets")
    missing = config.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000-1"
    expect_error(lambda: new_cluster(kafka, "probe-bad", subnets, group, key,
                                     {"Arn": missing, "Revision": 1}),
                 "BadRequestException", 400, "CreateCluster: configurationInfo of no configuration")
    expect_error(lambda: new_cluster(kafka, "probe-bad", subnets, group, key,
                                     {"Arn": config, "Revision": 9}),
                 "BadRequestException", 400, "CreateCluster: configuration revision 9")

    created = new_cluster(kafka, "probe-source", subnets, group, key,
                          {"Arn": config, "Revision": 2})
    arn = created["ClusterArn"]
    check(re.fullmatch(rf"arn:aws:kafka:{SOURCE}:{account}:cluster/probe-source/[0-9a-f-]+", arn),
          "CreateCluster: ARN cluster/<name>/<uuid>", arn)
    check(created["State"] == ("CREATING" if LIFE else "ACTIVE"),
          "CreateCluster: answers " + ("CREATING" if LIFE else "ACTIVE"), created["State"])
    expect_error(lambda: new_cluster(kafka, "probe-source", subnets, group, key),
                 "ConflictException", 409, "CreateCluster of a taken name")
    describe = lambda: kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]  # noqa: E731
    if LIFE:
        info = describe()  # the first of the N describes while CREATING
        expect_error(lambda: kafka.update_broker_type(
            ClusterArn=arn, CurrentVersion=info["CurrentVersion"],
            TargetInstanceType="kafka.m5.xlarge"),
            "BadRequestException", 400, "UpdateBrokerType while CREATING")
        check(info["State"] == "CREATING" and info.get("ActiveOperationArn", "").startswith(
            f"arn:aws:kafka:{SOURCE}:{account}:cluster-operation/probe-source/"),
            f"new cluster: describe 1/{LIFE} shows CREATING, with activeOperationArn", info)
    info = transition(describe, lambda i: i["State"], "CREATING", "ACTIVE", "new cluster",
                      seen=1 if LIFE else 0)
    expected = {
        "ClusterArn": arn, "ClusterName": "probe-source", "NumberOfBrokerNodes": 3,
        "BrokerNodeGroupInfo": {"InstanceType": "kafka.m5.large", "ClientSubnets": subnets,
                                "SecurityGroups": [group],
                                "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}}},
        "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
        "EncryptionInfo": {"EncryptionAtRest": {"DataVolumeKMSKeyId": key},
                           "EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}},
        "CurrentBrokerSoftwareInfo": {"ConfigurationArn": config, "ConfigurationRevision": 2,
                                      "KafkaVersion": "3.6.0"},
        "Tags": {"provision:stack": "probe", "name": "probe-source"},
        "State": "ACTIVE",
    }
    check({k: info.get(k) for k in expected} == expected,
          "DescribeCluster: everything CreateCluster sent", info)
    check(isinstance(info["CurrentVersion"], str) and len(info["CurrentVersion"]) > 3
          and "StateInfo" not in info and "ActiveOperationArn" not in info
          and info["CreationTime"].tzinfo is not None,
          "DescribeCluster: opaque currentVersion, creationTime, no made-up stateInfo", info)
    listed = kafka.list_clusters(ClusterNameFilter="probe-sou")["ClusterInfoList"]
    check(len(listed) == 1 and {k: listed[0].get(k) for k in expected} == expected
          and listed[0]["CurrentVersion"] == info["CurrentVersion"],
          "ListClusters(clusterNameFilter): the whole ClusterInfo, tags included", listed)
    expect_error(lambda: kafka.describe_cluster(ClusterArn=arn[:-5] + "ffff"),
                 "NotFoundException", 404, "DescribeCluster of an unknown ARN")
    expect_error(lambda: kafka.delete_configuration(Arn=config), "BadRequestException", 400,
                 "DeleteConfiguration of a configuration a cluster uses")

    # Updates: each needs the current version and ACTIVE, applies, and changes the version.
    def update(name, call, check_applied, **kwargs):
        before = describe()
        expect_error(lambda: call(ClusterArn=arn, CurrentVersion="KWRONGVERSION", **kwargs),
                     "BadRequestException", 400, f"{name} with a wrong currentVersion")
        answer = call(ClusterArn=arn, CurrentVersion=before["CurrentVersion"], **kwargs)
        check(answer["ClusterArn"] == arn and answer["ClusterOperationArn"].startswith(
            f"arn:aws:kafka:{SOURCE}:{account}:cluster-operation/probe-source/"),
            f"{name}: answers clusterArn and clusterOperationArn", answer)
        if LIFE:
            during = describe()
            check(during["State"] == "UPDATING" and during["CurrentVersion"] == before[
                "CurrentVersion"] and not check_applied(during)
                and during["ActiveOperationArn"] == answer["ClusterOperationArn"],
                f"{name}: UPDATING, old values and version until done", during)
            expect_error(lambda: call(ClusterArn=arn, CurrentVersion=before["CurrentVersion"],
                                      **kwargs),
                         "BadRequestException", 400, f"{name} again while UPDATING")
            for i in range(LIFE - 1):
                check(describe()["State"] == "UPDATING", f"{name}: describe {i + 2}/{LIFE}")
        after = describe()
        check(after["State"] == "ACTIVE" and check_applied(after)
              and after["CurrentVersion"] != before["CurrentVersion"],
              f"{name}: applied, ACTIVE, new currentVersion", after)

    update("UpdateBrokerCount", kafka.update_broker_count,
           lambda i: i["NumberOfBrokerNodes"] == 6, TargetNumberOfBrokerNodes=6)
    current = describe()["CurrentVersion"]
    expect_error(lambda: kafka.update_broker_count(ClusterArn=arn, CurrentVersion=current,
                                                   TargetNumberOfBrokerNodes=7),
                 "BadRequestException", 400, "UpdateBrokerCount to 7 over 3 subnets")
    update("UpdateBrokerStorage", kafka.update_broker_storage,
           lambda i: i["BrokerNodeGroupInfo"]["StorageInfo"]["EbsStorageInfo"][
               "VolumeSize"] == 200,
           TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 200}])
    current = describe()["CurrentVersion"]
    expect_error(lambda: kafka.update_broker_storage(
        ClusterArn=arn, CurrentVersion=current,
        TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 150}]),
        "BadRequestException", 400, "UpdateBrokerStorage to less storage")
    update("UpdateBrokerType", kafka.update_broker_type,
           lambda i: i["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.m5.xlarge",
           TargetInstanceType="kafka.m5.xlarge")
    update("UpdateClusterConfiguration", kafka.update_cluster_configuration,
           lambda i: i["CurrentBrokerSoftwareInfo"].get("ConfigurationArn") == config2,
           ConfigurationInfo={"Arn": config2, "Revision": 1})
    current = describe()["CurrentVersion"]
    expect_error(lambda: kafka.update_cluster_kafka_version(
        ClusterArn=arn, CurrentVersion=current, TargetKafkaVersion="3.7.x",
        ConfigurationInfo={"Arn": config, "Revision": 2}),
        "BadRequestException", 400,
        "UpdateClusterKafkaVersion with a configuration that lacks the version")
    update("UpdateClusterKafkaVersion", kafka.update_cluster_kafka_version,
           lambda i: i["CurrentBrokerSoftwareInfo"] == {
               "KafkaVersion": "3.7.x", "ConfigurationArn": config2,
               "ConfigurationRevision": 1},
           TargetKafkaVersion="3.7.x")
    return arn


def replicator_request(name, source, target, source_subnets, target_subnets, target_group,
                       role):
    return dict(
        ReplicatorName=name, Description="probe replicator", ServiceExecutionRoleArn=role,
        KafkaClusters=[
            {"AmazonMskCluster": {"MskClusterArn": source},
             "VpcConfig": {"SubnetIds": source_subnets}},
            {"AmazonMskCluster": {"MskClusterArn": target},
             "VpcConfig": {"SubnetIds": target_subnets, "SecurityGroupIds": [target_group]}}],
        ReplicationInfoList=[{
            "SourceKafkaClusterArn": source, "TargetKafkaClusterArn": target,
            "TargetCompressionType": "LZ4",
            "TopicReplication": {
                "TopicsToReplicate": ["orders.*"], "TopicsToExclude": ["orders-internal"],
                "CopyTopicConfigurations": True, "CopyAccessControlListsForTopics": True,
                "DetectAndCopyNewTopics": True, "StartingPosition": {"Type": "EARLIEST"}},
            "ConsumerGroupReplication": {
                "ConsumerGroupsToReplicate": [".*"], "ConsumerGroupsToExclude": [],
                "SynchroniseConsumerGroupOffsets": True,
                "DetectAndCopyNewConsumerGroups": True}}],
        Tags={"provision:stack": "probe"})


def probe_replicator(c, account, source, target, source_net, target_net, role):
    kafka, kafka_source = c["kafka", TARGET], c["kafka", SOURCE]
    request = replicator_request("probe-replicator", source, target, source_net[0],
                                 target_net[0], target_net[1], role)
    expect_error(lambda: kafka_source.create_replicator(**request), "BadRequestException", 400,
                 "CreateReplicator outside the target cluster's region")
    missing = source.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000-1"
    expect_error(lambda: kafka.create_replicator(**replicator_request(
        "probe-replicator", missing, target, source_net[0], target_net[0], target_net[1], role)),
        "BadRequestException", 400, "CreateReplicator with a source cluster that doesn't exist")
    swapped = replicator_request("probe-replicator", source, target, source_net[0],
                                 target_net[0], target_net[1], role)
    swapped["ReplicationInfoList"][0]["SourceKafkaClusterArn"] = target
    expect_error(lambda: kafka.create_replicator(**swapped), "BadRequestException", 400,
                 "CreateReplicator whose replication info names the same cluster twice")

    created = kafka.create_replicator(**request)
    arn = created["ReplicatorArn"]
    check(re.fullmatch(rf"arn:aws:kafka:{TARGET}:{account}:replicator/probe-replicator/"
                       r"[0-9a-f-]+", arn), "CreateReplicator: ARN replicator/<name>/<uuid>", arn)
    check((created["ReplicatorName"], created["ReplicatorState"]) == (
        "probe-replicator", "CREATING" if LIFE else "RUNNING"),
        "CreateReplicator: answers " + ("CREATING" if LIFE else "RUNNING"), created)
    expect_error(lambda: kafka.create_replicator(**request), "ConflictException", 409,
                 "CreateReplicator of a taken name")
    describe = lambda: kafka.describe_replicator(ReplicatorArn=arn)  # noqa: E731
    if LIFE:
        listed = kafka.list_replicators()["Replicators"]  # counts as a describe
        check([r["ReplicatorState"] for r in listed] == ["CREATING"],
              "ListReplicators while CREATING (counted)")
        for i in range(LIFE - 1):
            check(describe()["ReplicatorState"] == "CREATING",
                  f"new replicator: describe {i + 2}/{LIFE} shows CREATING")
    info = describe()
    check(info["ReplicatorState"] == "RUNNING", "new replicator: then RUNNING", info)
    aliases = {k["AmazonMskCluster"]["MskClusterArn"]: k["KafkaClusterAlias"]
               for k in info["KafkaClusters"]}
    replication = info["ReplicationInfoList"][0]
    check((info["ReplicatorArn"], info["ReplicatorName"], info["ReplicatorDescription"],
           info["ServiceExecutionRoleArn"], info["IsReplicatorReference"], info["Tags"]) == (
        arn, "probe-replicator", "probe replicator", role, False, {"provision:stack": "probe"})
        and info["CreationTime"].tzinfo is not None and info["CurrentVersion"],
        "DescribeReplicator: arn, name, description, role, tags, creationTime, version", info)
    check(set(aliases) == {source, target} and [k["VpcConfig"] for k in info["KafkaClusters"]]
          == [request["KafkaClusters"][0]["VpcConfig"], request["KafkaClusters"][1]["VpcConfig"]]
          and (replication["SourceKafkaClusterAlias"], replication["TargetKafkaClusterAlias"])
          == (aliases[source], aliases[target]),
          "DescribeReplicator: kafkaClusters with aliases and vpcConfig; replication by alias",
          info)
    sent = request["ReplicationInfoList"][0]
    check((replication["TargetCompressionType"], replication["TopicReplication"],
           replication["ConsumerGroupReplication"]) == (
        "LZ4", sent["TopicReplication"], sent["ConsumerGroupReplication"]),
        "DescribeReplicator: compression, topic and consumer group replication as sent",
        replication)
    listed = kafka.list_replicators(ReplicatorNameFilter="probe-rep")["Replicators"]
    check(len(listed) == 1 and listed[0]["ReplicatorArn"] == arn
          and listed[0]["CurrentVersion"] == info["CurrentVersion"]
          and listed[0]["IsReplicatorReference"] is False
          and {k["KafkaClusterAlias"] for k in listed[0]["KafkaClustersSummary"]}
          == set(aliases.values())
          and listed[0]["ReplicationInfoSummaryList"] == [{
              "SourceKafkaClusterAlias": aliases[source],
              "TargetKafkaClusterAlias": aliases[target]}],
          "ListReplicators(replicatorNameFilter): the summary shape", listed)
    check(kafka.list_replicators(ReplicatorNameFilter="other")["Replicators"] == [],
          "ListReplicators: the name filter is a prefix")

    kafka.tag_resource(ResourceArn=arn, Tags={"extra": "1"})
    kafka.untag_resource(ResourceArn=arn, TagKeys=["provision:stack"])
    check(kafka.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"extra": "1"},
          "Tag/Untag/ListTagsForResource on a replicator ARN")
    expect_error(lambda: kafka.list_tags_for_resource(ResourceArn=arn + "x"),
                 "NotFoundException", 404, "ListTagsForResource of an unknown ARN")

    update = {
        "ReplicatorArn": arn, "SourceKafkaClusterArn": source, "TargetKafkaClusterArn": target,
        "TopicReplication": {
            "TopicsToReplicate": ["orders.*", "payments"], "TopicsToExclude": [],
            "CopyTopicConfigurations": False, "CopyAccessControlListsForTopics": True,
            "DetectAndCopyNewTopics": True}}
    expect_error(lambda: kafka.update_replication_info(CurrentVersion="K0", **update),
                 "BadRequestException", 400, "UpdateReplicationInfo with a wrong currentVersion")
    wrong = {**update, "SourceKafkaClusterArn": target, "TargetKafkaClusterArn": source}
    expect_error(lambda: kafka.update_replication_info(CurrentVersion=info["CurrentVersion"],
                                                       **wrong),
                 "BadRequestException", 400, "UpdateReplicationInfo of other clusters")
    answer = kafka.update_replication_info(CurrentVersion=info["CurrentVersion"], **update)
    check(answer == {**answer, "ReplicatorArn": arn,
                     "ReplicatorState": "UPDATING" if LIFE else "RUNNING"},
          "UpdateReplicationInfo: answers " + ("UPDATING" if LIFE else "RUNNING"), answer)
    if LIFE:
        during = describe()
        check(during["ReplicationInfoList"][0]["TopicReplication"] == sent["TopicReplication"]
              and during["CurrentVersion"] == info["CurrentVersion"],
              "UpdateReplicationInfo: old values and version while UPDATING", during)
        expect_error(lambda: kafka.update_replication_info(
            CurrentVersion=info["CurrentVersion"], **update),
            "BadRequestException", 400, "UpdateReplicationInfo again while UPDATING")
        for i in range(LIFE - 1):
            check(describe()["ReplicatorState"] == "UPDATING",
                  f"updated replicator: describe {i + 2}/{LIFE} shows UPDATING")
    after = describe()
    topics = after["ReplicationInfoList"][0]["TopicReplication"]
    check(after["ReplicatorState"] == "RUNNING" and after["CurrentVersion"] != info[
        "CurrentVersion"] and topics == {**update["TopicReplication"],
                                         "StartingPosition": {"Type": "EARLIEST"}}
          and after["ReplicationInfoList"][0]["ConsumerGroupReplication"] == sent[
              "ConsumerGroupReplication"],
          "UpdateReplicationInfo: replaced topicReplication (startingPosition kept),"
          " RUNNING, new currentVersion", after)

    expect_error(lambda: kafka.delete_replicator(ReplicatorArn=arn, CurrentVersion="K0"),
                 "BadRequestException", 400, "DeleteReplicator with a wrong currentVersion")
    deleted = kafka.delete_replicator(ReplicatorArn=arn, CurrentVersion=after["CurrentVersion"])
    check((deleted["ReplicatorArn"], deleted["ReplicatorState"]) == (arn, "DELETING"),
          "DeleteReplicator: answers DELETING", deleted)
    gone(describe, lambda r: r["ReplicatorState"], "DELETING", "deleted replicator")
    check(kafka.list_replicators()["Replicators"] == [], "ListReplicators: deleted one absent")
    expect_error(lambda: kafka.list_tags_for_resource(ResourceArn=arn), "NotFoundException",
                 404, "ListTagsForResource of a deleted replicator")


def probe_deletes(c, source, target, config, config2):
    kafka = c["kafka", SOURCE]
    expect_error(lambda: kafka.delete_cluster(ClusterArn=source, CurrentVersion="K0"),
                 "BadRequestException", 400, "DeleteCluster with a wrong currentVersion")
    version = kafka.describe_cluster(ClusterArn=source)["ClusterInfo"]["CurrentVersion"]
    deleted = kafka.delete_cluster(ClusterArn=source, CurrentVersion=version)
    check((deleted["ClusterArn"], deleted["State"]) == (source, "DELETING"),
          "DeleteCluster: answers DELETING", deleted)
    if LIFE:
        expect_error(lambda: kafka.delete_cluster(ClusterArn=source), "BadRequestException",
                     400, "DeleteCluster of a DELETING cluster")
        expect_error(lambda: kafka.delete_configuration(Arn=config2), "BadRequestException",
                     400, "DeleteConfiguration while its cluster is DELETING")
        listed = kafka.list_clusters()["ClusterInfoList"]  # counts as a describe
        check([i["State"] for i in listed] == ["DELETING"], "ListClusters shows DELETING")
        for i in range(LIFE - 1):
            check(kafka.describe_cluster(ClusterArn=source)["ClusterInfo"]["State"]
                  == "DELETING", f"deleted cluster: describe {i + 2}/{LIFE} shows DELETING")
    expect_error(lambda: kafka.describe_cluster(ClusterArn=source), "NotFoundException", 404,
                 "deleted cluster: then gone")
    check(kafka.list_clusters()["ClusterInfoList"] == [], "ListClusters: deleted one absent")
    expect_error(lambda: kafka.list_tags_for_resource(ResourceArn=source), "NotFoundException",
                 404, "ListTagsForResource of a deleted cluster")
    c["kafka", TARGET].delete_cluster(ClusterArn=target)

    for arn, what in ((config, "unused configuration"), (config2, "freed configuration")):
        deleted = kafka.delete_configuration(Arn=arn)
        check((deleted["Arn"], deleted["State"]) == (arn, "DELETING"),
              f"DeleteConfiguration of the {what}: answers DELETING", deleted)
        gone(lambda: kafka.describe_configuration(Arn=arn), lambda d: d["State"], "DELETING",
             f"deleted {what}")
    check(kafka.list_configurations()["Configurations"] == [],
          "ListConfigurations: deleted ones absent")


def main():
    global LIFE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycle", type=int, default=0, metavar="N",
                        help="the server's PROVISION_EMULATOR_LIFECYCLE (0: off)")
    LIFE = parser.parse_args().lifecycle
    account = str(random.randint(10**11, 10**12 - 1))
    print(f"probe_msk: account {account}, lifecycle {LIFE or 'off'},"
          f" endpoint {os.environ['AWS_ENDPOINT_URL']}")
    c = clients(account)
    source_net, target_net = network(c, SOURCE), network(c, TARGET)
    role = probe_iam(c, account)
    config, config2 = probe_configurations(c["kafka", SOURCE], account)
    source = probe_clusters(c["kafka", SOURCE], account, *source_net, config, config2)
    target_kafka = c["kafka", TARGET]
    target = new_cluster(target_kafka, "probe-target", *target_net)["ClusterArn"]
    transition(lambda: target_kafka.describe_cluster(ClusterArn=target)["ClusterInfo"],
               lambda i: i["State"], "CREATING", "ACTIVE", f"target cluster in {TARGET}")
    check("ConfigurationArn" not in target_kafka.describe_cluster(ClusterArn=target)[
        "ClusterInfo"]["CurrentBrokerSoftwareInfo"],
        "DescribeCluster without a configuration: only kafkaVersion in software info")
    probe_replicator(c, account, source, target, source_net, target_net, role)
    probe_deletes(c, source, target, config, config2)
    bad = [t for t in raw_timestamps if not RFC3339.fullmatch(t.decode())]
    check(raw_timestamps and not bad,
          f"every creationTime sent ({len(raw_timestamps)}) is RFC 3339 with Z or an offset",
          bad[:3])
    print("probe_msk: all checks passed")


if __name__ == "__main__":
    main()

//! Monitoring: an alert topic per region with the e-mail subscribed, and alarms for the
//! database and Redis that notify it; thresholds change in place.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;

async fn alarm_names(emu: &Emulator, region: &str) -> Vec<String> {
    let out = emu
        .cloudwatch(region)
        .await
        .describe_alarms()
        .alarm_name_prefix("pyairtable-dev")
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = out
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_string))
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_topics_subscriptions_and_alarms() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    let ids = p.ids("pyairtable-dev");
    for r in REGIONS {
        let topic = &ids[&format!("{r}/sns.topic/alerts")];
        assert!(topic.ends_with(":pyairtable-dev-alerts"), "{topic}");
        let subs = emu
            .sns(r)
            .await
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .send()
            .await
            .unwrap();
        let emails: Vec<(&str, &str)> = subs
            .subscriptions()
            .iter()
            .filter_map(|s| Some((s.protocol()?, s.endpoint()?)))
            .collect();
        assert_eq!(emails, [("email", "dev-alerts@example.com")], "{r}");

        let (db, lag_or_storage) = if r == "us-east-1" {
            ("pyairtable-dev", "pyairtable-dev-db-free-storage")
        } else {
            ("pyairtable-dev", "pyairtable-dev-db-replica-lag")
        };
        let mut expected = vec![
            "pyairtable-dev-db-cpu".to_string(),
            lag_or_storage.to_string(),
            "pyairtable-dev-redis-cpu".to_string(),
            "pyairtable-dev-redis-memory".to_string(),
        ];
        expected.sort();
        assert_eq!(alarm_names(&emu, r).await, expected, "{r}");

        let cw = emu.cloudwatch(r).await;
        let out = cw
            .describe_alarms()
            .alarm_names("pyairtable-dev-db-cpu")
            .alarm_names("pyairtable-dev-redis-cpu")
            .send()
            .await
            .unwrap();
        for a in out.metric_alarms() {
            assert_eq!(a.alarm_actions(), std::slice::from_ref(topic), "{r}");
            assert_eq!(a.ok_actions(), std::slice::from_ref(topic), "{r}");
        }
        let cpu = out
            .metric_alarms()
            .iter()
            .find(|a| a.alarm_name() == Some("pyairtable-dev-db-cpu"))
            .unwrap();
        assert_eq!(cpu.metric_name(), Some("CPUUtilization"));
        assert_eq!(cpu.threshold(), Some(80.0));
        assert_eq!(cpu.dimensions()[0].value(), Some(db), "{r}");
        // Redis: the highest of the group's two nodes (one shard, one replica).
        let redis = out
            .metric_alarms()
            .iter()
            .find(|a| a.alarm_name() == Some("pyairtable-dev-redis-cpu"))
            .unwrap();
        let nodes: Vec<&str> = redis
            .metrics()
            .iter()
            .filter_map(|q| q.metric_stat()?.metric()?.dimensions().first()?.value())
            .collect();
        assert_eq!(
            nodes,
            ["pyairtable-dev-0001-001", "pyairtable-dev-0001-002"]
        );
        let expr: Vec<&str> = redis
            .metrics()
            .iter()
            .filter_map(|q| q.expression())
            .collect();
        assert_eq!(expr, ["MAX([m1,m2])"]);
    }
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);

    // A threshold changes in place; a new address replaces the subscriptions.
    let dir = tempfile::tempdir().unwrap();
    let changed = edited_spec(
        dir.path(),
        DEV,
        &[
            ("rds_cpu_pct: 80", "rds_cpu_pct: 70"),
            ("dev-alerts@example.com", "platform@example.com"),
        ],
    );
    let changed = changed.to_str().unwrap();
    let diff = p.run(&["diff", changed, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    for line in [
        "~ us-east-1/cloudwatch.alarm/db-cpu will be updated in place",
        "-/+ us-east-1/sns.subscription/alert-email must be replaced",
    ] {
        assert!(diff.stdout.contains(line), "missing {line:?}: {diff:?}");
    }
    p.ok(&["up", changed, "--yes"]);
    let now = p.ids("pyairtable-dev");
    for r in REGIONS {
        let a = format!("{r}/cloudwatch.alarm/db-cpu");
        assert_eq!(now[&a], ids[&a]);
        let out = emu
            .cloudwatch(r)
            .await
            .describe_alarms()
            .alarm_names("pyairtable-dev-db-cpu")
            .send()
            .await
            .unwrap();
        assert_eq!(out.metric_alarms()[0].threshold(), Some(70.0), "{r}");
    }
    assert_eq!(p.run(&["diff", changed, "--detailed-exitcode"]).code, 0);

    p.ok(&["destroy", "--yes"]);
    for r in REGIONS {
        assert!(alarm_names(&emu, r).await.is_empty(), "{r}");
        let topics = emu.sns(r).await.list_topics().send().await.unwrap();
        assert!(topics.topics().is_empty(), "{r}");
    }
}

//! `hotline cases file` on the local SQLite store: a phone case goes
//! through the same validation, routing, deadlines and first mails as the
//! web form's, keeps its channel, and shows up under it in the statistics
//! and the CSV export. `hotline cases reroute` then hands a case its
//! department sent back to another department, whose mail with its own
//! signed links waits in the outbox; a case not sent back stays put.

use casestore::prelude::*;
use casestore::sqlite::SqliteStore;
use casework::channel::Channel;
use casework::lifecycle::{Actor, CaseState, Command as CaseCommand, apply};
use casework::rules::DepartmentId;
use chrono::{TimeDelta, Utc};
use std::path::Path;
use std::process::{Command, Output};

/// A project with the bundled rulebook and nothing else.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let content = dir.path().join("content");
    std::fs::create_dir_all(&content).expect("content/");
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/rules.toml");
    std::fs::copy(rules, content.join("rules.toml")).expect("the rulebook");
    dir
}

fn hotline(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .current_dir(root)
        .env_remove("HOTLINE_PUBLIC_BASE_URL")
        .output()
        .expect("hotline runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

#[test]
fn a_phone_case_is_filed_routed_mailed_and_counted_by_its_channel() {
    let dir = project();
    let root = dir.path();
    let out = hotline(
        root,
        &[
            "cases",
            "file",
            "--channel",
            "phone",
            "--type",
            "complaint",
            "--category",
            "water-supply",
            "--description",
            "来电反映：幸福小区 3 号楼连续两天停水，没有任何通知。",
            "--name",
            "王先生",
            "--phone",
            "13812345678",
            "--email",
            "caller@example.net",
        ],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let tracking = stdout.lines().next().expect("the tracking number").trim();
    assert!(stdout.contains("channel      phone"), "{stdout}");
    assert!(
        text(&out.stderr).contains("2 mail(s) queued"),
        "{}",
        text(&out.stderr)
    );

    let store = SqliteStore::open(root.join(".hotline/cases.sqlite")).expect("the store");
    let now = Utc::now();
    let cases = block_on(
        store.cases_received_between(now - TimeDelta::hours(1), now + TimeDelta::hours(1)),
    )
    .expect("cases");
    assert_eq!(cases.len(), 1);
    let record = &cases[0];
    let case = &record.case;
    assert_eq!(case.tracking.as_str(), tracking);
    assert_eq!(case.channel, Channel::Phone);
    assert_eq!(case.state, CaseState::Received);
    assert_eq!(case.events[0].actor, Actor::Office);
    // Routed and timed by the rulebook, as a web submission would be.
    assert_eq!(case.department.as_str(), "water");
    assert!(!case.deadlines.is_empty());
    assert!(case.can_follow_up);
    assert_eq!(record.submission.contact.name.as_deref(), Some("王先生"));

    // The department's mail (with its signed links) and the acknowledgment
    // wait in the outbox for the reminder pass.
    let pending =
        block_on(store.pending_notifications(now + TimeDelta::hours(1), 100)).expect("the outbox");
    let mut ids: Vec<&str> = pending.iter().map(|n| n.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [format!("{tracking}/ack"), format!("{tracking}/new-case")]
    );
    let department = pending
        .iter()
        .find(|n| n.id.ends_with("/new-case"))
        .expect("the department's mail");
    assert!(
        department
            .message
            .text
            .contains("来源渠道 / Channel：电话 / phone"),
        "{}",
        department.message.text
    );
    assert!(
        department.message.text.contains(&format!(
            "http://127.0.0.1:1111/api/cases/{tracking}/actions/accept"
        )),
        "{}",
        department.message.text
    );
    let ack = pending
        .iter()
        .find(|n| n.id.ends_with("/ack"))
        .expect("the acknowledgment");
    assert_eq!(ack.message.to, ["caller@example.net"]);
    // The links are signed with the project's key, which `serve` uses too.
    assert!(root.join(".hotline/action-secret").exists());

    // The statistics and the export count it as a phone case.
    let rules_path = Path::new(casework::rules::RULES_PATH);
    let rules_text = std::fs::read_to_string(root.join(rules_path)).expect("the rulebook");
    let (rules, _) = casework::rules::parse_rules(rules_path, &rules_text).expect("valid rules");
    let month = casework::stats::Month::of(rules.calendar.local(now).date_naive()).to_string();
    let stats = hotline(root, &["stats", "--month", &month]);
    assert!(stats.status.success(), "{}", text(&stats.stderr));
    assert!(
        text(&stats.stdout).contains("按渠道 By channel: 电话 phone 1"),
        "{}",
        text(&stats.stdout)
    );
    let export = hotline(root, &["cases", "export", "--month", &month]);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let csv = text(&export.stdout);
    assert!(csv.contains(",渠道 channel,"), "{csv}");
    assert!(csv.contains(&format!("{tracking},")), "{csv}");
    assert!(csv.contains(",电话,"), "{csv}");
}

#[test]
fn a_case_the_rules_refuse_is_not_filed() {
    let dir = project();
    let root = dir.path();
    let out = hotline(
        root,
        &[
            "cases",
            "file",
            "--channel",
            "letter",
            "--type",
            "complaint",
            "--category",
            "no-such-category",
            "--description",
            "short",
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--category"), "{stderr}");
    assert!(stderr.contains("--description"), "{stderr}");
    assert!(stderr.contains("nothing was filed"), "{stderr}");
    assert!(!root.join(".hotline/cases.sqlite").exists());

    let out = hotline(
        root,
        &[
            "cases",
            "file",
            "--channel",
            "fax",
            "--type",
            "complaint",
            "--category",
            "other",
            "--description",
            "A description long enough to pass.",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("walk-in"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_case_sent_back_goes_to_the_new_department_with_its_own_links() {
    let dir = project();
    let root = dir.path();
    let rules_path = root.join("content/rules.toml");
    let rules_text = std::fs::read_to_string(&rules_path).expect("the rulebook");
    let (rules, _) = casework::rules::parse_rules(&rules_path, &rules_text).expect("valid rules");

    let filed = hotline(
        root,
        &[
            "cases",
            "file",
            "--channel",
            "phone",
            "--type",
            "complaint",
            "--category",
            "water-supply",
            "--description",
            "来电反映：小区门口的消防栓一直漏水，路面已经结冰。",
            "--name",
            "李女士",
            "--phone",
            "13812345678",
        ],
    );
    assert!(filed.status.success(), "{}", text(&filed.stderr));
    let stdout = text(&filed.stdout);
    let tracking = stdout.lines().next().expect("the tracking number").trim();

    // Not sent back yet: the office cannot take it from its department.
    let early = hotline(
        root,
        &["cases", "reroute", tracking, "--to", "urban-management"],
    );
    assert!(!early.status.success());
    assert!(
        text(&early.stderr).contains("cannot re-route a case that is received"),
        "{}",
        text(&early.stderr)
    );
    let unknown = hotline(root, &["cases", "reroute", tracking, "--to", "parks"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no such department")
            && text(&unknown.stderr).contains("housing"),
        "{}",
        text(&unknown.stderr)
    );

    // The water department says it is not theirs.
    let store = SqliteStore::open(root.join(".hotline/cases.sqlite")).expect("the store");
    let number = casework::tracking::TrackingNumber::parse(tracking).expect("a number");
    let record = block_on(store.case(&number))
        .expect("readable")
        .expect("the case");
    let now = Utc::now();
    let sent_back = apply(
        &record.case,
        CaseCommand::SendBack {
            reason: "路边消防栓由城管部门维护，不属于供水管网".into(),
        },
        Actor::Department(DepartmentId::new("water")),
        now,
        &rules,
    )
    .expect("the department may send it back");
    block_on(store.update_case(&sent_back, record.version, None, Vec::new())).expect("stored");
    drop(store);

    let out = hotline(
        root,
        &["cases", "reroute", tracking, "--to", "urban-management"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!(
            "{tracking} re-routed from water to urban-management"
        )),
        "{}",
        text(&out.stdout)
    );

    let store = SqliteStore::open(root.join(".hotline/cases.sqlite")).expect("the store");
    let record = block_on(store.case(&number))
        .expect("readable")
        .expect("the case");
    assert_eq!(record.case.department.as_str(), "urban-management");
    assert_eq!(record.case.state, CaseState::Received);
    let pending =
        block_on(store.pending_notifications(now + TimeDelta::hours(1), 100)).expect("the outbox");
    let mail = pending
        .iter()
        .find(|n| n.id == format!("{tracking}/reroute-2"))
        .unwrap_or_else(|| {
            panic!(
                "no re-route mail among {:?}",
                pending.iter().map(|n| &n.id).collect::<Vec<_>>()
            )
        });
    assert_eq!(mail.message.to, ["urban@example.org"]);
    assert!(
        mail.message.text.contains(&format!(
            "http://127.0.0.1:1111/api/cases/{tracking}/actions/accept"
        )),
        "{}",
        mail.message.text
    );
}

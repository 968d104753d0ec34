//! `hotline cases reroute` on the local SQLite store: a case its
//! department sent back goes to another department, whose mail with its
//! own signed links waits in the outbox; a case not sent back stays put.

use casestore::Store;
use casestore::sqlite::SqliteStore;
use casework::lifecycle::{Actor, CaseState, Command as CaseCommand, apply};
use casework::rules::DepartmentId;
use chrono::{TimeDelta, Utc};
use std::path::Path;
use std::process::{Command, Output};

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
fn a_case_sent_back_goes_to_the_new_department_with_its_own_links() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    std::fs::create_dir_all(root.join("content")).expect("content/");
    let rules_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/rules.toml");
    std::fs::copy(&rules_path, root.join("content/rules.toml")).expect("the rulebook");
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

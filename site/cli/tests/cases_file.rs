//! `hotline cases file` on the local SQLite store: a phone case goes
//! through the same validation, routing, deadlines and first mails as the
//! web form's, keeps its channel, and shows up under it in the statistics
//! and the CSV export. `hotline cases reroute` then hands a case its
//! department sent back to another department, whose mail with its own
//! signed links goes at once; a case not sent back stays put. Both send
//! their mails at once, as intake does, rather than leaving them to the
//! next reminder pass.

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

/// The mail sent under notification `id`, from the project's outbox
/// folder: its `To:` header and its plain text.
fn sent_mail(root: &Path, id: &str) -> (String, String) {
    let path = root
        .join(".hotline/outbox")
        .join(format!("{}.eml", mail::eml::file_stem(id)));
    let raw = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no mail {id} in the outbox ({e})"));
    let to = mail::eml::read::header(&raw, "To").unwrap_or_default();
    let plain = mail::eml::read::parts(&raw)
        .into_iter()
        .find(|(kind, _)| kind.starts_with("text/plain"))
        .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    (to, plain)
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
    // The caller's text acknowledgment goes at once only inside the
    // rulebook's sending hours; outside them it waits for the morning.
    let rules_path = Path::new(casework::rules::RULES_PATH);
    let rules_text = std::fs::read_to_string(root.join(rules_path)).expect("the rulebook");
    let (rules, _) = casework::rules::parse_rules(rules_path, &rules_text).expect("valid rules");
    let texts_now = |at| usize::from(casework::texts::deferred_until(&rules, at).is_none());
    let texts_before = texts_now(Utc::now());
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
    // The caller is given the receipt code for their case page, once.
    let code = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("receipt code "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(casework::receipt::ReceiptCode::parse)
        .unwrap_or_else(|| panic!("no receipt code in {stdout}"));
    // The department's mail and the acknowledgment, and the text if its
    // hours were open (either count when they opened or closed meanwhile).
    let sent: Vec<String> = [texts_before, texts_now(Utc::now())]
        .iter()
        .map(|texts| format!("{} mail(s) sent", 2 + texts))
        .collect();
    assert!(
        sent.iter()
            .any(|line| text(&out.stderr).contains(line.as_str())),
        "expected {sent:?} in {}",
        text(&out.stderr)
    );

    let store = SqliteStore::open(root.join(".hotline/cases.sqlite")).expect("the store");
    let now = Utc::now();
    let cases = block_on(
        store.cases_received_between(now - TimeDelta::hours(1), now + TimeDelta::hours(1)),
    )
    .expect("cases");
    let kept = cases[0].case.receipt.as_deref().expect("a stored hash");
    assert!(code.matches(kept) && !kept.contains(code.as_str()));
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
    // went at once: nothing waits for the reminder pass, and the case's
    // "forward" deadline was met when the department's mail left.
    let pending =
        block_on(store.pending_notifications(now + TimeDelta::hours(1), 100)).expect("the outbox");
    assert!(
        pending.is_empty(),
        "{:?}",
        pending.iter().map(|n| &n.id).collect::<Vec<_>>()
    );
    let stored = block_on(store.case(&case.tracking))
        .expect("readable")
        .expect("the case");
    assert!(
        stored
            .case
            .deadline(casework::rules::DeadlineKind::Forward)
            .is_none_or(|d| d.met_at.is_some()),
        "{:?}",
        stored.case.deadlines
    );
    let (to, department) = sent_mail(root, &format!("{tracking}/new-case"));
    assert!(to.contains("water@example.org"), "{to}");
    assert!(
        department.contains("来源渠道 / Channel：电话 / phone"),
        "{department}"
    );
    assert!(
        department.contains(&format!(
            "http://127.0.0.1:1111/api/cases/{tracking}/actions/accept"
        )),
        "{department}"
    );
    let (to, _) = sent_mail(root, &format!("{tracking}/ack"));
    assert_eq!(to, "caller@example.net");
    // The links are signed with the project's key, which `serve` uses too.
    assert!(root.join(".hotline/action-secret").exists());

    // The statistics and the export count it as a phone case.
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
    // The new department's mail went at once.
    let stem = mail::eml::file_stem(&format!("{tracking}/reroute-"));
    let sent: Vec<String> = std::fs::read_dir(root.join(".hotline/outbox"))
        .expect("the outbox")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(&stem))
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let suffix = sent[0].trim_start_matches(&stem).trim_end_matches(".eml");
    let (to, mail) = sent_mail(root, &format!("{tracking}/reroute-{suffix}"));
    assert_eq!(to, "urban@example.org");
    assert!(
        mail.contains(&format!(
            "http://127.0.0.1:1111/api/cases/{tracking}/actions/accept"
        )),
        "{mail}"
    );
}

/// The office can reach the rulebook's every severity and reject an
/// invalid case from the command line; the rejection mails the
/// complainant the reason at once.
#[test]
fn the_office_raises_a_severity_and_rejects_an_invalid_case() {
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
            "pollution",
            "--description",
            "来电反映：夜间施工噪声扰民。",
            "--name",
            "李女士",
            "--email",
            "caller@example.net",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tracking = text(&out.stdout)
        .lines()
        .next()
        .expect("a number")
        .trim()
        .to_string();
    let number = casework::tracking::TrackingNumber::parse(&tracking).expect("valid");

    let unknown = hotline(
        root,
        &["cases", "raise", &tracking, "--severity", "extreme"],
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no such severity"),
        "{}",
        text(&unknown.stderr)
    );
    let raised = hotline(root, &["cases", "raise", &tracking, "--severity", "major"]);
    assert!(raised.status.success(), "{}", text(&raised.stderr));
    assert!(
        text(&raised.stdout).contains("severity major"),
        "{}",
        text(&raised.stdout)
    );
    // Raising to the same or a lower level is refused by the lifecycle.
    let again = hotline(root, &["cases", "raise", &tracking, "--severity", "minor"]);
    assert!(!again.status.success());

    let rejected = hotline(
        root,
        &[
            "cases",
            "reject",
            &tracking,
            "--reason",
            "所反映事项已由法院受理，不属于本热线受理范围。",
        ],
    );
    assert!(rejected.status.success(), "{}", text(&rejected.stderr));
    let store = SqliteStore::open(root.join(".hotline/cases.sqlite")).expect("the store");
    let record = block_on(store.case(&number))
        .expect("readable")
        .expect("the case");
    assert_eq!(record.case.state, CaseState::Rejected);
    assert_eq!(record.case.severity.as_str(), "major");
    let n = record.case.events.len();
    let (to, mail) = sent_mail(root, &format!("{tracking}/rejected/{n}"));
    assert_eq!(to, "caller@example.net");
    assert!(mail.contains("所反映事项已由法院受理"), "{mail}");
    assert!(mail.contains("未予受理"), "{mail}");
}

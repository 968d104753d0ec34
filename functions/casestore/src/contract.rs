//! The contract every [`Store`] adapter must keep, as runnable checks.
//!
//! Each property is a `pub async fn` that takes a fresh, empty store and
//! panics (like any test) when the store breaks the contract. Adapters run
//! them all with [`store_contract!`](crate::store_contract), one test per
//! property, so a failure names the property. Test data is built with
//! `casework` from the real `content/rules.toml`, so the suite also notices
//! when a case or submission stops round-tripping through a store.
//!
//! Over 600 lines on purpose: it is test code, one property per function,
//! and a property split from its neighbours would be harder to check
//! against the trait documentation it pins down.

use crate::{
    Created, Delivery, NewCase, Notification, NotificationStatus, OutgoingMessage, Store,
    StoreError,
};
use casework::Rulebook;
use casework::lifecycle::Case;
use casework::rules::{CaseTypeId, CategoryId};
use casework::submission::{RawSubmission, Submission, validate};
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::future::Future;
use std::sync::{Arc, OnceLock};

const RULES: &str = include_str!("../../../content/rules.toml");

/// Generates one `#[tokio::test]` per contract property; `$make` is a
/// closure returning a future of a fresh, empty store.
#[macro_export]
macro_rules! store_contract {
    ($make:expr) => {
        $crate::store_contract!(@tests $make;
            create_then_read, idempotent_create, concurrent_creates_with_one_key,
            creates_without_a_key_are_not_deduplicated, update_is_conditional_on_version,
            duplicate_notification_writes_nothing, pending_notifications_by_time,
            claims_and_deliveries, concurrent_claims_one_winner, due_cases_only_due,
            count_request_per_key_and_window, cases_received_between_bounds,
            queued_notifications_once, jobs_run_once, replay_keys_bind_content_and_expire,
            conversation_and_receipt_hash_kept, clock_pause_moves_the_deadline_across_a_holiday,
            text_notifications_kept_and_sent_once, desk_actions_kept_in_order,
            merged_pair_round_trips);
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = ($make)().await;
                $crate::contract::$name(store).await;
            }
        )*
    };
}

/// Runs every property, each on a fresh store from `make`.
pub async fn run_all<S, F, Fut>(make: F)
where
    S: Store + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    create_then_read(make().await).await;
    idempotent_create(make().await).await;
    concurrent_creates_with_one_key(make().await).await;
    creates_without_a_key_are_not_deduplicated(make().await).await;
    update_is_conditional_on_version(make().await).await;
    duplicate_notification_writes_nothing(make().await).await;
    pending_notifications_by_time(make().await).await;
    claims_and_deliveries(make().await).await;
    concurrent_claims_one_winner(make().await).await;
    due_cases_only_due(make().await).await;
    count_request_per_key_and_window(make().await).await;
    cases_received_between_bounds(make().await).await;
    queued_notifications_once(make().await).await;
    jobs_run_once(make().await).await;
    replay_keys_bind_content_and_expire(make().await).await;
    conversation_and_receipt_hash_kept(make().await).await;
    clock_pause_moves_the_deadline_across_a_holiday(make().await).await;
    text_notifications_kept_and_sent_once(make().await).await;
    desk_actions_kept_in_order(make().await).await;
    merged_pair_round_trips(make().await).await;
}

// ── test data ───────────────────────────────────────────────────────────

/// The real rulebook, parsed once.
pub fn rules() -> &'static Rulebook {
    static RULEBOOK: OnceLock<Rulebook> = OnceLock::new();
    RULEBOOK.get_or_init(|| {
        match Rulebook::parse(std::path::Path::new("content/rules.toml"), RULES) {
            Ok((rules, _warnings)) => rules,
            Err(errors) => panic!("content/rules.toml does not parse: {errors:?}"),
        }
    })
}

/// A fixed moment, a working day in the rulebook's calendar.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).unwrap()
}

pub fn hours(h: i64) -> DateTime<Utc> {
    t0() + Duration::hours(h)
}

/// A valid complaint, with the given idempotency key.
pub fn submission(key: Option<&str>) -> Submission {
    let raw = RawSubmission {
        case_type: Some("complaint".into()),
        category: Some("housing-property".into()),
        name: Some("张三".into()),
        phone: Some("13800138000".into()),
        email: Some("resident@example.org".into()),
        subject: Some("某小区物业".into()),
        location: Some("某区某路1号".into()),
        occurred_on: Some("2026-03-01".into()),
        description: Some("楼道的灯坏了两个月，多次报修仍没有人来修理。".into()),
        desired_outcome: Some("尽快修好".into()),
        language: Some("zh".into()),
        idempotency_key: key.map(str::to_string),
        ..RawSubmission::default()
    };
    let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    validate(&raw, rules(), today).expect("the test submission is valid")
}

/// A fresh tracking number (random, so tests never collide).
pub fn tracking() -> TrackingNumber {
    TrackingNumber::generate("SL", t0().date_naive(), &mut rand::rng())
}

/// A pending notification for `tracking`, due at `at`.
pub fn notification(tracking: &TrackingNumber, kind: &str, at: DateTime<Utc>) -> Notification {
    Notification {
        id: format!("{tracking}/{kind}"),
        tracking: tracking.clone(),
        message: OutgoingMessage {
            to: vec!["housing@example.org".into()],
            subject: format!("{tracking} {kind}"),
            text: "text".into(),
            html: "<p>html</p>".into(),
            medium: casework::outgoing::Medium::Mail,
            attachments: vec![],
        },
        status: NotificationStatus::Pending,
        attempts: 0,
        next_attempt_at: at,
        last_error: None,
    }
}

/// A new complaint received at `received_at`, with one notification due then.
pub fn new_case(key: Option<&str>, received_at: DateTime<Utc>) -> NewCase {
    let tracking = tracking();
    let case = Case::open(
        tracking.clone(),
        CaseTypeId::new("complaint"),
        CategoryId::new("housing-property"),
        rules(),
        received_at,
        true,
    )
    .expect("the test case opens");
    NewCase {
        notifications: vec![notification(&tracking, "new-case", received_at)],
        case,
        submission: submission(key),
        next_due: None,
    }
}

fn far_future() -> DateTime<Utc> {
    hours(24 * 365 * 50)
}

async fn pending_ids<S: Store>(store: &S, now: DateTime<Utc>) -> Vec<String> {
    store
        .pending_notifications(now, 1000)
        .await
        .expect("pending_notifications")
        .into_iter()
        .map(|n| n.id)
        .collect()
}

// ── properties ──────────────────────────────────────────────────────────

/// What is created reads back equal, at version 1; an unknown number reads
/// as absent; a taken tracking number is refused.
pub async fn create_then_read<S: Store>(store: S) {
    let new = new_case(Some("key-create-read-1"), t0());
    let tracking = new.case.tracking.clone();
    let created = store.create_case(new.clone()).await.expect("create");
    assert_eq!(created, Created::New(tracking.clone()));
    let record = store.case(&tracking).await.expect("read").expect("stored");
    assert_eq!(record.case, new.case);
    assert_eq!(record.submission, new.submission);
    assert_eq!(record.version, 1);
    assert_eq!(
        store
            .pending_notifications(t0(), 10)
            .await
            .expect("pending"),
        new.notifications
    );
    assert!(store.case(&self::tracking()).await.expect("read").is_none());

    let mut again = new_case(Some("key-create-read-2"), t0());
    again.case.tracking = tracking.clone();
    again.notifications = vec![notification(&tracking, "other", t0())];
    match store.create_case(again).await {
        Err(StoreError::TrackingTaken(t)) => assert_eq!(t, tracking),
        other => panic!("a taken tracking number must be refused, got {other:?}"),
    }
    assert_eq!(pending_ids(&store, far_future()).await.len(), 1);
}

/// The same key twice: one case, the first number, one set of notifications.
pub async fn idempotent_create<S: Store>(store: S) {
    let first = new_case(Some("key-idempotent"), t0());
    let second = new_case(Some("key-idempotent"), hours(1));
    let t1 = first.case.tracking.clone();
    let t2 = second.case.tracking.clone();
    assert_eq!(
        store.create_case(first).await.expect("first"),
        Created::New(t1.clone())
    );
    let replay = store.create_case(second).await.expect("second");
    assert_eq!(replay, Created::Replayed(t1.clone()));
    assert_eq!(replay.tracking(), &t1);
    assert!(store.case(&t2).await.expect("read").is_none());
    assert_eq!(
        pending_ids(&store, far_future()).await,
        vec![format!("{t1}/new-case")]
    );
    assert_eq!(
        store
            .cases_received_between(t0(), far_future())
            .await
            .expect("list")
            .len(),
        1
    );
}

/// A key replays only the same content, and only for
/// `IDEMPOTENCY_TTL`: the same key with another description is a new
/// case (never the first one's number), and the same submission a day
/// later is a new case too.
pub async fn replay_keys_bind_content_and_expire<S: Store>(store: S) {
    let first = new_case(Some("key-bound-1"), t0());
    let t1 = first.case.tracking.clone();
    assert_eq!(
        store.create_case(first).await.expect("first"),
        Created::New(t1.clone())
    );
    let mut other = new_case(Some("key-bound-1"), hours(1));
    other.submission.description = "另一件事：路灯坏了两个星期。".into();
    let t2 = other.case.tracking.clone();
    assert_eq!(
        store.create_case(other).await.expect("other content"),
        Created::New(t2)
    );
    let within = new_case(Some("key-bound-1"), hours(23));
    assert_eq!(
        store.create_case(within).await.expect("within a day"),
        Created::Replayed(t1)
    );
    let later = new_case(Some("key-bound-1"), hours(25));
    let t3 = later.case.tracking.clone();
    assert_eq!(
        store.create_case(later).await.expect("a day later"),
        Created::New(t3)
    );
}

/// Two writers racing with one key: exactly one case, both get its number.
pub async fn concurrent_creates_with_one_key<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    for round in 0..5 {
        let key = format!("key-race-{round}");
        let a = new_case(Some(&key), t0());
        let b = new_case(Some(&key), t0());
        let (ta, tb) = (a.case.tracking.clone(), b.case.tracking.clone());
        let (sa, sb) = (store.clone(), store.clone());
        let ja = tokio::spawn(async move { sa.create_case(a).await });
        let jb = tokio::spawn(async move { sb.create_case(b).await });
        let ra = ja.await.expect("task a").expect("create a");
        let rb = jb.await.expect("task b").expect("create b");
        let winner = match (&ra, &rb) {
            (Created::New(w), Created::Replayed(r)) | (Created::Replayed(r), Created::New(w)) => {
                assert_eq!(w, r, "the loser must get the winner's number");
                w.clone()
            }
            _ => panic!("exactly one create must win: {ra:?} {rb:?}"),
        };
        let loser = if winner == ta { &tb } else { &ta };
        assert!(store.case(&winner).await.expect("read").is_some());
        assert!(store.case(loser).await.expect("read").is_none());
        assert!(
            !pending_ids(&*store, far_future())
                .await
                .contains(&format!("{loser}/new-case"))
        );
    }
    assert_eq!(
        store
            .cases_received_between(t0(), far_future())
            .await
            .expect("list")
            .len(),
        5
    );
}

/// Without a key every submission is its own case.
pub async fn creates_without_a_key_are_not_deduplicated<S: Store>(store: S) {
    let a = new_case(None, t0());
    let b = new_case(None, t0());
    assert!(matches!(store.create_case(a).await, Ok(Created::New(_))));
    assert!(matches!(store.create_case(b).await, Ok(Created::New(_))));
    assert_eq!(
        store
            .cases_received_between(t0(), far_future())
            .await
            .expect("list")
            .len(),
        2
    );
}

/// Updates go through only on the current version, and bump it.
pub async fn update_is_conditional_on_version<S: Store>(store: S) {
    let new = new_case(Some("key-update"), t0());
    let tracking = new.case.tracking.clone();
    store.create_case(new.clone()).await.expect("create");

    let mut changed = new.case.clone();
    changed.public_reply = Some("已安排维修".into());
    let queued = notification(&tracking, "reply", hours(1));
    let v2 = store
        .update_case(&changed, 1, Some(hours(5)), vec![queued.clone()])
        .await
        .expect("update at version 1");
    assert_eq!(v2, 2);
    let record = store.case(&tracking).await.expect("read").expect("stored");
    assert_eq!(record.version, 2);
    assert_eq!(record.case, changed);
    assert_eq!(
        record.submission, new.submission,
        "an update keeps the submission"
    );
    assert!(pending_ids(&store, hours(1)).await.contains(&queued.id));

    let mut stale = changed.clone();
    stale.outcome = Some("stale".into());
    let lost = notification(&tracking, "lost", hours(1));
    assert!(matches!(
        store.update_case(&stale, 1, None, vec![lost.clone()]).await,
        Err(StoreError::Conflict)
    ));
    let record = store.case(&tracking).await.expect("read").expect("stored");
    assert_eq!((record.version, record.case), (2, changed.clone()));
    assert!(!pending_ids(&store, far_future()).await.contains(&lost.id));

    assert_eq!(
        store
            .update_case(&changed, 2, None, vec![])
            .await
            .expect("v2"),
        3
    );

    let mut unknown = changed.clone();
    unknown.tracking = self::tracking();
    match store.update_case(&unknown, 1, None, vec![]).await {
        Err(StoreError::NotFound(t)) => assert_eq!(t, unknown.tracking),
        other => panic!("updating an unknown case must be NotFound, got {other:?}"),
    }
}

/// The complainant's side of a case: the receipt code's hash, and the
/// conversation (a question from the department, the complainant's
/// answer) with the mails it queued, read back exactly as written.
pub async fn conversation_and_receipt_hash_kept<S: Store>(store: S) {
    use casework::lifecycle::{Actor, Command, apply};
    use casework::rules::DepartmentId;
    let mut new = new_case(Some("key-conversation"), t0());
    new.case.receipt = Some(
        casework::receipt::ReceiptCode::parse("K7QM-3XPA-9D2F-HT6W")
            .expect("a code")
            .hash([9u8; 16]),
    );
    let tracking = new.case.tracking.clone();
    store.create_case(new.clone()).await.expect("create");
    let record = store.case(&tracking).await.expect("read").expect("stored");
    assert_eq!(record.case.receipt, new.case.receipt);

    let department = Actor::Department(DepartmentId::new(new.case.department.as_str()));
    let asked = apply(
        &record.case,
        Command::Ask {
            question: "请问是哪个单元？".into(),
        },
        department,
        hours(1),
        rules(),
    )
    .expect("staff may ask");
    let question = notification(&tracking, "question/2", hours(1));
    store
        .update_case(&asked, 1, None, vec![question.clone()])
        .await
        .expect("update");
    let answered = apply(
        &asked,
        Command::ComplainantMessage {
            text: "3 号楼 2 单元。".into(),
        },
        Actor::Complainant,
        hours(2),
        rules(),
    )
    .expect("the complainant may answer");
    let answer = notification(&tracking, "complainant-wrote/3", hours(2));
    store
        .update_case(&answered, 2, None, vec![answer.clone()])
        .await
        .expect("update");
    let record = store.case(&tracking).await.expect("read").expect("stored");
    assert_eq!(record.version, 3);
    assert_eq!(record.case, answered);
    let notes: Vec<_> = record
        .case
        .events
        .iter()
        .filter_map(|e| e.note.clone())
        .collect();
    assert!(notes.contains(&"请问是哪个单元？".to_string()), "{notes:?}");
    assert!(notes.contains(&"3 号楼 2 单元。".to_string()), "{notes:?}");
    let pending = pending_ids(&store, far_future()).await;
    assert!(
        pending.contains(&question.id) && pending.contains(&answer.id),
        "{pending:?}"
    );
}

/// The office's desk: a case sent back, handed back with a note, sent back
/// again and re-routed, then its department's request to extend approved;
/// each step stored with its mail, the trail and the deadlines read back
/// as written.
pub async fn desk_actions_kept_in_order<S: Store>(store: S) {
    use casework::lifecycle::{ActionKind, Actor, Command, apply};
    use casework::rules::{DeadlineKind, DepartmentId};
    let new = new_case(Some("key-desk"), t0());
    let tracking = new.case.tracking.clone();
    store.create_case(new.clone()).await.expect("create");
    let housing = Actor::Department(DepartmentId::new("housing"));
    let steps: Vec<(Command, Actor, &str)> = vec![
        (
            Command::SendBack {
                reason: "不属于本单位".into(),
            },
            housing.clone(),
            "sent-back",
        ),
        (
            Command::HandBack {
                note: "小区公共设施属住建局职责".into(),
            },
            Actor::Office,
            "handed-back",
        ),
        (
            Command::SendBack {
                reason: "仍不属于本单位".into(),
            },
            housing.clone(),
            "sent-back-2",
        ),
        (
            Command::Reroute {
                department: DepartmentId::new("urban-management"),
            },
            Actor::Office,
            "reroute",
        ),
        (
            Command::Accept,
            Actor::Department(DepartmentId::new("urban-management")),
            "accepted",
        ),
    ];
    let mut case = new.case.clone();
    let mut version = 1;
    for (i, (command, actor, kind)) in steps.into_iter().enumerate() {
        let at = hours(i as i64 + 1);
        case = apply(&case, command, actor, at, rules()).expect("allowed");
        let next_due = casework::due::next_due(&case, rules());
        version = store
            .update_case(
                &case,
                version,
                next_due,
                vec![notification(&tracking, kind, at)],
            )
            .await
            .expect("update");
    }
    // The department asks; the approver (the rulebook's) grants it.
    let due = case
        .deadline(DeadlineKind::Complete)
        .expect("a completion deadline")
        .due_at;
    let urban = Actor::Department(DepartmentId::new("urban-management"));
    let asked = casework::lifecycle::extension_command(
        rules(),
        &case,
        &urban,
        "等待审批".into(),
        due + Duration::days(3),
    );
    case = apply(&case, asked, urban, hours(7), rules()).expect("asked");
    version = store
        .update_case(
            &case,
            version,
            None,
            vec![notification(&tracking, "extension-request", hours(7))],
        )
        .await
        .expect("update");
    let approver = casework::lifecycle::extension_approver(rules(), &case)
        .expect("the sample names an approver")
        .clone();
    case = apply(
        &case,
        Command::DecideExtension {
            approve: true,
            note: String::new(),
        },
        Actor::Department(approver),
        hours(8),
        rules(),
    )
    .expect("approved");
    version = store
        .update_case(
            &case,
            version,
            None,
            vec![notification(&tracking, "extension-decided", hours(8))],
        )
        .await
        .expect("update");
    let record = store.case(&tracking).await.expect("read").expect("stored");
    assert_eq!(record.version, version);
    assert_eq!(record.case, case);
    assert_eq!(record.case.department.as_str(), "urban-management");
    assert_eq!(
        record
            .case
            .deadline(DeadlineKind::Complete)
            .map(|d| d.due_at),
        Some(due + Duration::days(3))
    );
    let trail: Vec<ActionKind> = record.case.events.iter().map(|e| e.action).collect();
    assert_eq!(
        trail[1..],
        [
            ActionKind::SendBack,
            ActionKind::HandBack,
            ActionKind::SendBack,
            ActionKind::Reroute,
            ActionKind::Accept,
            ActionKind::RequestExtension,
            ActionKind::ApproveExtension,
        ]
    );
    assert_eq!(
        record.case.events[2].note.as_deref(),
        Some("小区公共设施属住建局职责")
    );
    let pending = pending_ids(&store, far_future()).await;
    for kind in ["sent-back", "handed-back", "reroute", "extension-decided"] {
        assert!(
            pending.contains(&format!("{tracking}/{kind}")),
            "{kind}: {pending:?}"
        );
    }
}

/// A question stops a complaint's completion clock (the rulebook's
/// `answer_wait`): the wait is kept, the case is due when the wait runs
/// out, and the answer moves the deadline by exactly the working days
/// waited, across the 2026 Mid-Autumn holiday.
pub async fn clock_pause_moves_the_deadline_across_a_holiday<S: Store>(store: S) {
    use casework::due::{next_due, unanswered_close};
    use casework::lifecycle::{Actor, Command, apply};
    use casework::rules::{DeadlineKind, DepartmentId};
    // Beijing time is UTC+8: 10:00 there is 02:00Z.
    let beijing = |d: u32, m: u32, h: u32| Utc.with_ymd_and_hms(2026, m, d, h - 8, 0, 0).unwrap();
    let complete_due = |case: &Case| case.deadline(DeadlineKind::Complete).unwrap().due_at;
    // Received Monday 21 September; 15 working days skip the Mid-Autumn
    // Friday (25 September) and National Day (1 to 7 October) and count
    // the make-up Saturday 10 October: due Monday 19 October, 18:00.
    let mut new = new_case(Some("key-pause"), beijing(21, 9, 10));
    new.case = Case::open(
        new.case.tracking.clone(),
        CaseTypeId::new("complaint"),
        CategoryId::new("housing-property"),
        rules(),
        beijing(21, 9, 10),
        true,
    )
    .expect("opens");
    assert_eq!(complete_due(&new.case), beijing(19, 10, 18));
    let tracking = new.case.tracking.clone();
    store.create_case(new.clone()).await.expect("create");
    let department = Actor::Department(DepartmentId::new(new.case.department.as_str()));
    let mut case = new.case.clone();
    let mut version = 1;
    let mut step = async |case: &mut Case, command, actor, at| {
        *case = apply(case, command, actor, at, rules()).expect("allowed");
        version = store
            .update_case(case, version, next_due(case, rules()), vec![])
            .await
            .expect("update");
    };
    step(
        &mut case,
        Command::Accept,
        department.clone(),
        beijing(21, 9, 11),
    )
    .await;
    // Asked on Thursday 24 September, 15:00.
    let question = Command::Ask {
        question: "请问是哪个单元？".into(),
    };
    step(&mut case, question, department.clone(), beijing(24, 9, 15)).await;
    assert_eq!(case.waiting_since(), Some(beijing(24, 9, 15)));
    // Unanswered, it closes 10 working days on (the make-up Saturday
    // counts): Thursday 15 October, 18:00.
    let close_at = unanswered_close(&case, rules()).expect("waits");
    assert_eq!(close_at, beijing(15, 10, 18));
    assert_eq!(next_due(&case, rules()), Some(close_at));
    let due = |at| store.due_cases(at, 10);
    let ids = |records: Vec<crate::CaseRecord>| {
        records
            .into_iter()
            .map(|r| r.case.tracking)
            .collect::<Vec<_>>()
    };
    assert!(!ids(due(close_at - Duration::seconds(1)).await.expect("due")).contains(&tracking));
    assert!(ids(due(close_at).await.expect("due")).contains(&tracking));
    // Answered on Monday 28 September: one working day waited (the
    // holiday Friday and the weekend are not), so due a day later.
    let answer = Command::ComplainantMessage {
        text: "3 号楼 2 单元。".into(),
    };
    step(&mut case, answer, Actor::Complainant, beijing(28, 9, 10)).await;
    assert_eq!(case.waiting_since(), None);
    assert_eq!(case.waits.len(), 1);
    assert_eq!(case.waits[0].working_days, 1);
    assert_eq!(complete_due(&case), beijing(20, 10, 18));
    let record = store.case(&tracking).await.expect("read").expect("stored");
    assert_eq!(record.case, case);
    assert_eq!(record.version, 4);
}

/// Queueing a notification id twice is a conflict, and writes nothing.
pub async fn duplicate_notification_writes_nothing<S: Store>(store: S) {
    let new = new_case(Some("key-duplicate"), t0());
    let tracking = new.case.tracking.clone();
    store.create_case(new.clone()).await.expect("create");
    let mut changed = new.case.clone();
    changed.outcome = Some("x".into());
    let again = notification(&tracking, "new-case", hours(3));
    assert!(matches!(
        store
            .update_case(&changed, 1, Some(hours(1)), vec![again])
            .await,
        Err(StoreError::Conflict)
    ));
    let record = store.case(&tracking).await.expect("read").expect("stored");
    assert_eq!((record.version, record.case), (1, new.case));
    let pending = store
        .pending_notifications(far_future(), 10)
        .await
        .expect("pending");
    assert_eq!(pending, new.notifications, "the first one is untouched");
    assert!(
        store
            .due_cases(far_future(), 10)
            .await
            .expect("due")
            .is_empty()
    );
}

/// Pending notifications come earliest first, only when due, at most `limit`.
pub async fn pending_notifications_by_time<S: Store>(store: S) {
    let mut new = new_case(Some("key-pending"), t0());
    let t = new.case.tracking.clone();
    new.notifications = vec![
        notification(&t, "c", hours(3)),
        notification(&t, "a", hours(1)),
        notification(&t, "b", hours(2)),
    ];
    store.create_case(new).await.expect("create");
    assert!(pending_ids(&store, t0()).await.is_empty());
    assert_eq!(
        pending_ids(&store, hours(2)).await,
        vec![format!("{t}/a"), format!("{t}/b")]
    );
    let all = store
        .pending_notifications(far_future(), 10)
        .await
        .expect("all");
    let ids: Vec<_> = all.iter().map(|n| n.id.clone()).collect();
    assert_eq!(
        ids,
        vec![format!("{t}/a"), format!("{t}/b"), format!("{t}/c")]
    );
    let first = store
        .pending_notifications(far_future(), 1)
        .await
        .expect("one");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, format!("{t}/a"));
}

/// Claim, lease, send, fail, retry and give up.
pub async fn claims_and_deliveries<S: Store>(store: S) {
    let mut new = new_case(Some("key-claims"), t0());
    let t = new.case.tracking.clone();
    new.notifications = vec![
        notification(&t, "sent", t0()),
        notification(&t, "retried", t0()),
        notification(&t, "given-up", t0()),
    ];
    store.create_case(new).await.expect("create");
    let (sent, retried, given_up) = (
        format!("{t}/sent"),
        format!("{t}/retried"),
        format!("{t}/given-up"),
    );

    // A claim holds until the lease ends, then the notification is due again.
    assert!(
        store
            .claim_notification(&sent, t0(), hours(1))
            .await
            .expect("claim")
    );
    assert!(
        !store
            .claim_notification(&sent, t0(), hours(1))
            .await
            .expect("second claim")
    );
    assert!(!pending_ids(&store, t0()).await.contains(&sent));
    assert!(pending_ids(&store, hours(1)).await.contains(&sent));
    assert!(
        store
            .claim_notification(&sent, hours(1), hours(2))
            .await
            .expect("after lease")
    );

    store
        .record_delivery(&sent, Delivery::Sent { at: hours(1) })
        .await
        .expect("sent");
    assert!(!pending_ids(&store, far_future()).await.contains(&sent));
    assert!(
        !store
            .claim_notification(&sent, far_future(), far_future())
            .await
            .expect("claim sent")
    );
    assert!(matches!(
        store
            .record_delivery(&sent, Delivery::Sent { at: hours(2) })
            .await,
        Err(StoreError::Conflict)
    ));

    // A failure counts an attempt and makes it due again at retry_at.
    assert!(
        store
            .claim_notification(&retried, t0(), hours(1))
            .await
            .expect("claim")
    );
    let failed = |n: u32, retry_at| Delivery::Failed {
        at: t0(),
        error: format!("mail server said no ({n})"),
        retry_at,
        give_up: false,
    };
    store
        .record_delivery(&retried, failed(1, hours(4)))
        .await
        .expect("failed");
    assert!(!pending_ids(&store, hours(3)).await.contains(&retried));
    let pending = store
        .pending_notifications(hours(4), 10)
        .await
        .expect("pending");
    let n = pending
        .iter()
        .find(|n| n.id == retried)
        .expect("pending again at retry_at");
    assert_eq!((n.attempts, n.status), (1, NotificationStatus::Pending));
    assert_eq!(n.next_attempt_at, hours(4));
    assert_eq!(n.last_error.as_deref(), Some("mail server said no (1)"));
    assert!(
        store
            .claim_notification(&retried, hours(4), hours(5))
            .await
            .expect("claim")
    );
    store
        .record_delivery(&retried, failed(2, hours(6)))
        .await
        .expect("failed");
    let pending = store
        .pending_notifications(hours(6), 10)
        .await
        .expect("pending");
    let n = pending.iter().find(|n| n.id == retried).expect("pending");
    assert_eq!(n.attempts, 2);

    // Giving up takes it out of the outbox for good.
    assert!(
        store
            .claim_notification(&given_up, t0(), hours(1))
            .await
            .expect("claim")
    );
    store
        .record_delivery(
            &given_up,
            Delivery::Failed {
                at: t0(),
                error: "bounced".into(),
                retry_at: hours(1),
                give_up: true,
            },
        )
        .await
        .expect("give up");
    assert!(!pending_ids(&store, far_future()).await.contains(&given_up));
    assert!(
        !store
            .claim_notification(&given_up, far_future(), far_future())
            .await
            .expect("claim")
    );

    assert!(matches!(
        store
            .record_delivery("no-such-id", Delivery::Sent { at: t0() })
            .await,
        Err(StoreError::Conflict)
    ));
    assert!(
        !store
            .claim_notification("no-such-id", t0(), hours(1))
            .await
            .expect("claim unknown")
    );
}

/// Two senders claiming at the same moment: exactly one wins.
pub async fn concurrent_claims_one_winner<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    let mut new = new_case(Some("key-claim-race"), t0());
    let t = new.case.tracking.clone();
    new.notifications = (0..5)
        .map(|i| notification(&t, &format!("n{i}"), t0()))
        .collect();
    store.create_case(new).await.expect("create");
    for i in 0..5 {
        let id = format!("{t}/n{i}");
        let (sa, sb, ida, idb) = (store.clone(), store.clone(), id.clone(), id.clone());
        let ja = tokio::spawn(async move { sa.claim_notification(&ida, t0(), hours(1)).await });
        let jb = tokio::spawn(async move { sb.claim_notification(&idb, t0(), hours(1)).await });
        let a = ja.await.expect("task a").expect("claim a");
        let b = jb.await.expect("task b").expect("claim b");
        assert!(a ^ b, "exactly one of two claimers must win ({a}, {b})");
    }
}

/// Only cases due by `now`, earliest first, at most `limit`; never one
/// without a due time.
pub async fn due_cases_only_due<S: Store>(store: S) {
    let mut ids = Vec::new();
    for (i, due) in [Some(hours(3)), Some(hours(1)), None, Some(hours(2))]
        .into_iter()
        .enumerate()
    {
        let mut new = new_case(Some(&format!("key-due-{i}")), t0());
        new.next_due = due;
        ids.push(new.case.tracking.clone());
        store.create_case(new).await.expect("create");
    }
    let due = |now, limit| {
        let store = &store;
        async move {
            store
                .due_cases(now, limit)
                .await
                .expect("due_cases")
                .into_iter()
                .map(|r| r.case.tracking)
                .collect::<Vec<_>>()
        }
    };
    assert!(due(t0(), 10).await.is_empty());
    assert_eq!(
        due(hours(2), 10).await,
        vec![ids[1].clone(), ids[3].clone()]
    );
    assert_eq!(due(hours(2), 1).await, vec![ids[1].clone()]);
    assert_eq!(
        due(far_future(), 10).await,
        vec![ids[1].clone(), ids[3].clone(), ids[0].clone()]
    );

    // Moving the due time moves the case in and out of the index.
    let record = store.case(&ids[1]).await.expect("read").expect("stored");
    store
        .update_case(&record.case, 1, None, vec![])
        .await
        .expect("clear");
    assert_eq!(
        due(far_future(), 10).await,
        vec![ids[3].clone(), ids[0].clone()]
    );
    let record = store.case(&ids[2]).await.expect("read").expect("stored");
    store
        .update_case(&record.case, 1, Some(t0()), vec![])
        .await
        .expect("set");
    assert_eq!(
        due(hours(2), 10).await,
        vec![ids[2].clone(), ids[3].clone()]
    );
    let records = store.due_cases(t0(), 10).await.expect("due");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].version, 2);
}

/// Counts are per key and per window, including the current request.
pub async fn count_request_per_key_and_window<S: Store>(store: S) {
    let (w1, w2) = (t0(), hours(1));
    for expected in 1..=3 {
        assert_eq!(
            store
                .count_request("hash-a", w1, hours(2))
                .await
                .expect("count"),
            expected
        );
    }
    assert_eq!(
        store
            .count_request("hash-b", w1, hours(2))
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        store
            .count_request("hash-a", w2, hours(3))
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        store
            .count_request("hash-a", w1, hours(2))
            .await
            .expect("count"),
        4
    );
}

/// `[from, to)`: the start is included, the end is not.
pub async fn cases_received_between_bounds<S: Store>(store: S) {
    let mut ids = Vec::new();
    for h in [2, 0, 1] {
        let new = new_case(Some(&format!("key-between-{h}")), hours(h));
        ids.push((h, new.case.tracking.clone()));
        store.create_case(new).await.expect("create");
    }
    ids.sort();
    let between = |from, to| {
        let store = &store;
        async move {
            store
                .cases_received_between(from, to)
                .await
                .expect("between")
                .into_iter()
                .map(|r| r.case.tracking)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        between(t0(), hours(2)).await,
        vec![ids[0].1.clone(), ids[1].1.clone()]
    );
    assert_eq!(
        between(hours(1), hours(1)).await,
        Vec::<TrackingNumber>::new()
    );
    assert_eq!(between(hours(2), hours(3)).await, vec![ids[2].1.clone()]);
    assert_eq!(
        between(hours(-5), hours(-1)).await,
        Vec::<TrackingNumber>::new()
    );
}

/// Notifications queued on their own: all or nothing, each id once.
pub async fn queued_notifications_once<S: Store>(store: S) {
    let new = new_case(Some("key-queue"), t0());
    let t = new.case.tracking.clone();
    store.create_case(new).await.expect("create");
    let a = notification(&t, "summary-a", hours(1));
    let b = notification(&t, "summary-b", hours(1));
    store
        .queue_notifications(vec![a.clone()])
        .await
        .expect("queue one");
    assert!(matches!(
        store.queue_notifications(vec![b.clone(), a.clone()]).await,
        Err(StoreError::Conflict)
    ));
    let ids = pending_ids(&store, hours(1)).await;
    assert!(ids.contains(&a.id));
    assert!(!ids.contains(&b.id), "a conflicting batch writes nothing");
    store.queue_notifications(vec![]).await.expect("nothing");
    store.queue_notifications(vec![b.clone()]).await.expect("b");
    assert!(pending_ids(&store, hours(1)).await.contains(&b.id));
}

/// A text message queued with its case reads back as a text (medium, the
/// one number, no HTML), beside the case's mail; a claim until the sending
/// hours open keeps it pending and not due, with no attempt counted; it is
/// claimed by one sender, recorded sent once, and a mail stored before
/// texts existed (no medium) reads as mail.
pub async fn text_notifications_kept_and_sent_once<S: Store + 'static>(store: S) {
    use casework::outgoing::Medium;
    let mut new = new_case(Some("key-text"), t0());
    let t = new.case.tracking.clone();
    let mut text = notification(&t, "text-ack", t0());
    text.message = OutgoingMessage {
        to: vec!["+8613800138000".into()],
        subject: format!("[{t}] 短信 / text: acknowledgment"),
        text: format!("【示例市12345】您的诉求已收到，编号{t}。"),
        html: String::new(),
        attachments: vec![],
        medium: Medium::Text,
    };
    new.notifications.push(text.clone());
    store.create_case(new).await.expect("create");
    let pending = store
        .pending_notifications(t0(), 10)
        .await
        .expect("pending");
    let read = pending
        .iter()
        .find(|n| n.id == text.id)
        .expect("the text is pending with its case");
    assert_eq!(read, &text, "a text reads back as it was queued");
    let mail = pending
        .iter()
        .find(|n| n.id != text.id)
        .expect("the case's mail");
    assert_eq!(mail.message.medium, Medium::Mail);

    // Deferred to the morning: pending, not due before then, no attempt.
    let morning = hours(10);
    assert!(
        store
            .claim_notification(&text.id, t0(), morning)
            .await
            .expect("defer")
    );
    assert!(!pending_ids(&store, hours(9)).await.contains(&text.id));
    let due = store.pending_notifications(morning, 10).await.expect("due");
    let deferred = due.iter().find(|n| n.id == text.id).expect("due again");
    assert_eq!(deferred.attempts, 0);
    assert_eq!(deferred.message.medium, Medium::Text);

    // Two senders in the morning: one wins, and it is recorded sent once.
    let store = Arc::new(store);
    let (a, b, ida, idb) = (
        store.clone(),
        store.clone(),
        text.id.clone(),
        text.id.clone(),
    );
    let first = tokio::spawn(async move { a.claim_notification(&ida, hours(10), hours(11)).await });
    let second =
        tokio::spawn(async move { b.claim_notification(&idb, hours(10), hours(11)).await });
    let second = second.await.expect("task b").expect("claim b");
    let first = first.await.expect("task a").expect("claim a");
    assert!(first ^ second, "exactly one sender holds the text");
    store
        .record_delivery(&text.id, Delivery::Sent { at: hours(10) })
        .await
        .expect("sent");
    assert!(matches!(
        store
            .record_delivery(&text.id, Delivery::Sent { at: hours(10) })
            .await,
        Err(StoreError::Conflict)
    ));
    assert!(
        !pending_ids(store.as_ref(), far_future())
            .await
            .contains(&text.id)
    );

    // A mail stored before texts existed has no medium: it reads as mail.
    let old: OutgoingMessage =
        serde_json::from_str(r#"{"to":["a@example.org"],"subject":"s","text":"t","html":"h"}"#)
            .expect("an old stored mail");
    assert_eq!(old.medium, Medium::Mail);
}

/// A job is claimed by one at a time, again after a lease runs out, and
/// never once done.
pub async fn jobs_run_once<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    let (sa, sb) = (store.clone(), store.clone());
    let ja = tokio::spawn(async move { sa.claim_job("stats/2026-09", t0(), hours(1)).await });
    let jb = tokio::spawn(async move { sb.claim_job("stats/2026-09", t0(), hours(1)).await });
    let a = ja.await.expect("task a").expect("claim a");
    let b = jb.await.expect("task b").expect("claim b");
    assert!(a ^ b, "exactly one of two claimers must win ({a}, {b})");
    assert!(
        !store
            .claim_job("stats/2026-09", hours(0), hours(2))
            .await
            .expect("held")
    );
    assert!(
        store
            .claim_job("stats/2026-08", t0(), hours(1))
            .await
            .expect("another key")
    );
    // The first claimer died: after its lease the job is free again.
    assert!(
        store
            .claim_job("stats/2026-09", hours(1), hours(2))
            .await
            .expect("after lease")
    );
    store
        .finish_job("stats/2026-09", hours(1))
        .await
        .expect("finish");
    assert!(
        !store
            .claim_job("stats/2026-09", hours(100), hours(101))
            .await
            .expect("done")
    );
}

/// A merged pair (并单) is stored and read back as it was: the merged
/// case pointing at its survivor and out of the due list (no deadlines of
/// its own), the survivor listing it; unmerged, both come back apart and
/// the merged case is due again.
pub async fn merged_pair_round_trips<S: Store>(store: S) {
    use casework::lifecycle::{Actor, merge, unmerge};
    let first = new_case(Some("key-merge-1"), t0());
    let mut second = new_case(Some("key-merge-2"), hours(1));
    while second.case.tracking == first.case.tracking {
        second = new_case(Some("key-merge-2"), hours(1));
    }
    let (a, b) = (first.case.tracking.clone(), second.case.tracking.clone());
    store.create_case(first.clone()).await.expect("create");
    store.create_case(second.clone()).await.expect("create");
    let (merged, survivor) =
        merge(&second.case, &first.case, Actor::Office, hours(2), rules()).expect("mergeable");
    assert_eq!(casework::due::next_due(&merged, rules()), None);
    store
        .update_case(&merged, 1, None, Vec::new())
        .await
        .expect("the merged case first");
    let survivor_due = casework::due::next_due(&survivor, rules());
    store
        .update_case(&survivor, 1, survivor_due, Vec::new())
        .await
        .expect("then the survivor");
    let got_b = store.case(&b).await.expect("read").expect("stored");
    let got_a = store.case(&a).await.expect("read").expect("stored");
    assert_eq!(got_b.case, merged);
    assert_eq!(got_b.case.merged_into.as_ref(), Some(&a));
    assert_eq!(got_a.case, survivor);
    assert_eq!(got_a.case.merged, vec![b.clone()]);
    let due: Vec<TrackingNumber> = store
        .due_cases(far_future(), 10)
        .await
        .expect("due")
        .into_iter()
        .map(|r| r.case.tracking)
        .collect();
    assert!(due.contains(&a) && !due.contains(&b), "{due:?}");

    let (alone, released) =
        unmerge(&merged, &survivor, Actor::Office, hours(3), rules()).expect("unmergeable");
    let alone_due = casework::due::next_due(&alone, rules());
    assert!(alone_due.is_some());
    store
        .update_case(&alone, 2, alone_due, Vec::new())
        .await
        .expect("update");
    store
        .update_case(&released, 2, survivor_due, Vec::new())
        .await
        .expect("update");
    let got_b = store.case(&b).await.expect("read").expect("stored");
    let got_a = store.case(&a).await.expect("read").expect("stored");
    assert_eq!((got_b.case.merged_into, got_b.version), (None, 3));
    assert!(got_a.case.merged.is_empty());
    assert_eq!(got_b.case.deadlines, second.case.deadlines);
    let due = store.due_cases(far_future(), 10).await.expect("due");
    assert!(due.iter().any(|r| r.case.tracking == b));
}

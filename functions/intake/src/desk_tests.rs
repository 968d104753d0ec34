//! The office's desk from its mail: a case sent back is re-routed or
//! handed back with one signed link, and a request to extend is approved
//! or refused by the rulebook's approver; over the memory store and the
//! fake mailer, like `tests`.

use super::*;
use casework::messages::Message;
use casework::rules::DeadlineKind;

/// Every link in `text` that starts with `marker`, whole.
fn links_in(text: &str, marker: &str) -> Vec<String> {
    text.match_indices(marker)
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '<' && *c != '>')
                .collect()
        })
        .collect()
}

const BASE: &str = "https://api.example.org/v1";

/// The path of a link in a mail, on the test API.
fn path_of(url: &str) -> String {
    url.strip_prefix(BASE)
        .expect("on the API")
        .replace("&amp;", "&")
}

/// A case the water department sent back; the office's mail about it.
async fn sent_back(api: &TestApi) -> (String, Message) {
    let tracking = submitted(api).await;
    let r = act(
        api,
        &link(&tracking, "water", Action::SendBack),
        &tracking,
        &format!("reason={}", enc("管道属于小区物业，应由住建局处理")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let mail = api
        .mailer()
        .sent()
        .into_iter()
        .find(|(id, _)| id.contains("/sent-back/"))
        .expect("the office's mail")
        .1;
    (tracking, mail)
}

#[tokio::test]
async fn the_office_reroutes_a_sent_back_case_with_one_link_from_its_mail() {
    let api = api();
    let (tracking, mail) = sent_back(&api).await;
    assert_eq!(mail.to, vec!["cases@example.org".to_string()]);
    let marker = format!("{BASE}/cases/{tracking}/actions/reroute?token=");
    let reroutes = links_in(&mail.text, &marker);
    let rules = rules();
    let to: Vec<String> = reroutes
        .iter()
        .map(|l| l.rsplit("to=").next().unwrap_or_default().to_string())
        .collect();
    // Every department but the office and the one that sent it back.
    assert!(!to.is_empty());
    assert!(
        !to.iter()
            .any(|d| d == "water" || *d == rules.office.department.as_str()),
        "{to:?}"
    );
    assert_eq!(to.len(), rules.departments.len() - 2, "{to:?}");
    assert!(
        mail.text.contains("住建局处理"),
        "the reason is in the mail"
    );
    assert_eq!(
        links_in(
            &mail.text,
            &format!("{BASE}/cases/{tracking}/actions/hand-back?token=")
        )
        .len(),
        1
    );

    // Opening the housing link shows the page with housing chosen and the
    // reason; it changes nothing.
    let housing = reroutes
        .iter()
        .find(|l| l.ends_with("to=housing"))
        .expect("a link for housing");
    let path = path_of(housing);
    let before = version(&api, &tracking).await;
    let page = text(&call(&api, get(&path)).await);
    assert!(page.contains("value=\"housing\" checked"), "{page}");
    assert!(page.contains("住建局处理"), "{page}");
    assert_eq!(version(&api, &tracking).await, before);

    // No department chosen: the form again, nothing changed.
    let r = act(&api, &path, &tracking, "department=").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    assert_eq!(state(&api, &tracking).await, CaseState::SentBack);

    let r = act(&api, &path, &tracking, "department=housing").await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let case = stored_case(&api, &tracking).await;
    assert_eq!(case.state, CaseState::Received);
    assert_eq!(case.department.as_str(), "housing");
    // Then the new department's mail left (a forward).
    let trail: Vec<String> = case.events[case.events.len() - 2..]
        .iter()
        .map(|e| format!("{}/{}", e.action, e.actor))
        .collect();
    assert_eq!(
        trail,
        ["re-route/the complaint office", "forward/the system"]
    );

    // The new department has the case's mail with links signed for it.
    let sent = api.mailer().sent();
    let (_, new_mail) = sent
        .iter()
        .rev()
        .find(|(_, m)| m.to == vec!["housing@example.org".to_string()])
        .expect("housing's mail");
    let accept = links_in(
        &new_mail.text,
        &format!("{BASE}/cases/{tracking}/actions/accept?token="),
    );
    let r = call(&api, get(&path_of(&accept[0]))).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));

    // The old department's links refuse, in the page's language.
    let mut old = get(&link(&tracking, "water", Action::Accept));
    old.headers_mut()
        .insert("accept-language", "en".parse().unwrap());
    let r = call(&api, old).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", text(&r));
    assert!(text(&r).contains("no longer handles"), "{}", text(&r));

    // The same re-route link again: the case is no longer sent back.
    let r = act(&api, &path, &tracking, "department=transport").await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "{}", text(&r));
    assert_eq!(
        stored_case(&api, &tracking).await.department.as_str(),
        "housing"
    );
}

#[tokio::test]
async fn only_the_office_can_follow_a_reroute_link() {
    let api = api();
    let (tracking, _) = sent_back(&api).await;
    // Signed for the water department: a genuine token, the wrong holder.
    let r = act(
        &api,
        &link(&tracking, "water", Action::Reroute),
        &tracking,
        "department=housing",
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", text(&r));
    assert_eq!(state(&api, &tracking).await, CaseState::SentBack);
}

#[tokio::test]
async fn the_office_hands_a_case_back_with_a_note_the_department_reads() {
    let api = api();
    let (tracking, mail) = sent_back(&api).await;
    let url = &links_in(
        &mail.text,
        &format!("{BASE}/cases/{tracking}/actions/hand-back?token="),
    )[0];
    let path = path_of(url);
    let r = act(&api, &path, &tracking, "note=").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    assert!(text(&r).contains("href=\"#note\""), "{}", text(&r));
    let note = "供水管网在小区红线外，属水务局维护范围。";
    let r = act(&api, &path, &tracking, &format!("note={}", enc(note))).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let case = stored_case(&api, &tracking).await;
    assert_eq!(
        (case.state, case.department.as_str()),
        (CaseState::Received, "water")
    );
    let sent = api.mailer().sent();
    let (id, back) = sent.last().expect("a mail");
    assert!(id.contains("/handed-back/"), "{id}");
    assert_eq!(
        back.to,
        vec![
            "water@example.org".to_string(),
            "water-duty@example.org".to_string()
        ]
    );
    assert!(back.text.contains(note), "{}", back.text);
    // With the department's links again, signed for it.
    assert!(
        back.text
            .contains(&format!("{BASE}/cases/{tracking}/actions/accept?token="))
    );
}

/// An accepted case whose department asked to extend to 2026-12-11; the
/// approver's mail.
async fn extension_asked(api: &TestApi) -> (String, Message) {
    let tracking = submitted(api).await;
    let r = act(
        api,
        &link(&tracking, "water", Action::Accept),
        &tracking,
        "",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let r = act(
        api,
        &link(&tracking, "water", Action::Extend),
        &tracking,
        &format!("reason={}&new_due=2026-12-11", enc("等待零件")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let mail = api
        .mailer()
        .sent()
        .into_iter()
        .find(|(id, _)| id.contains("/extension-request/"))
        .expect("the approver's mail")
        .1;
    (tracking, mail)
}

#[tokio::test]
async fn the_approver_refuses_from_its_mail_and_the_deadline_stands() {
    let api = api();
    let (tracking, mail) = extension_asked(&api).await;
    let marker = format!("{BASE}/cases/{tracking}/actions/decide-extension?token=");
    let links = links_in(&mail.text, &marker);
    let refuse = links
        .iter()
        .find(|l| l.ends_with("decision=refuse"))
        .expect("refuse");
    let path = path_of(refuse);
    let page = text(&call(&api, get(&path)).await);
    assert!(page.contains("value=\"refuse\" checked"), "{page}");
    assert!(
        page.contains("等待零件") && page.contains("2026-12-11"),
        "{page}"
    );
    let due = stored_case(&api, &tracking)
        .await
        .deadline(DeadlineKind::Complete)
        .unwrap()
        .due_at;
    // Refusing needs a note.
    let r = act(&api, &path, &tracking, "decision=refuse&note=").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    let r = act(
        &api,
        &path,
        &tracking,
        &format!("decision=refuse&note={}", enc("零件可在本地采购")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let case = stored_case(&api, &tracking).await;
    assert!(case.extension_request.is_none() && case.extension.is_none());
    assert_eq!(case.deadline(DeadlineKind::Complete).unwrap().due_at, due);
    let sent = api.mailer().sent();
    let (_, decided) = sent
        .iter()
        .find(|(id, _)| id.contains("/extension-decided/"))
        .expect("to the department");
    assert!(decided.text.contains("零件可在本地采购"));
    assert!(
        !sent
            .iter()
            .any(|(id, m)| id.contains("/extension/") && m.to == vec![EMAIL.to_string()])
    );
    // Decided: the link has nothing left to decide.
    let r = act(&api, &path, &tracking, "decision=approve").await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "{}", text(&r));
}

#[tokio::test]
async fn the_approver_approves_from_its_mail_and_the_complainant_hears_the_new_date() {
    let api = api();
    let (tracking, mail) = extension_asked(&api).await;
    let marker = format!("{BASE}/cases/{tracking}/actions/decide-extension?token=");
    let approve = links_in(&mail.text, &marker)
        .into_iter()
        .find(|l| l.ends_with("decision=approve"))
        .expect("approve");
    // The handling department cannot decide its own request.
    let own = act(
        &api,
        &link(&tracking, "water", Action::DecideExtension),
        &tracking,
        "decision=approve",
    )
    .await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN, "{}", text(&own));
    let r = act(&api, &path_of(&approve), &tracking, "decision=approve").await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let case = stored_case(&api, &tracking).await;
    assert!(case.extension.is_some());
    let rules = rules();
    let due = case.deadline(DeadlineKind::Complete).unwrap().due_at;
    assert_eq!(
        rules.calendar.local(due).date_naive().to_string(),
        "2026-12-11"
    );
    let sent = api.mailer().sent();
    let (_, told) = sent
        .iter()
        .find(|(id, m)| id.contains("/extension/") && m.to == vec![EMAIL.to_string()])
        .expect("the complainant is told");
    assert!(told.text.contains("2026-12-11"), "{}", told.text);
}

#[tokio::test]
async fn the_office_merges_a_repeat_from_the_duplicate_mails_link() {
    let api = api();
    let first = submitted(&api).await;
    let second = submitted(&api).await;
    assert_ne!(first, second);
    let sent = api.mailer().sent();
    let (_, note) = sent
        .iter()
        .find(|(id, _)| id.starts_with(&format!("{second}/")) && id.contains("possible-duplicate"))
        .expect("the office is told of the repeat");
    assert_eq!(note.to, vec!["cases@example.org".to_string()]);
    let marker = format!("{BASE}/cases/{second}/actions/merge?token=");
    let links = links_in(&note.text, &marker);
    assert_eq!(links.len(), 1, "{}", note.text);
    assert!(links[0].ends_with(&format!("into={first}")), "{}", links[0]);
    let path = path_of(&links[0]);

    // Opening it changes nothing and shows the number to merge into.
    let before = version(&api, &second).await;
    let page = text(&call(&api, get(&path)).await);
    assert!(page.contains(&format!("value=\"{first}\"")), "{page}");
    assert_eq!(version(&api, &second).await, before);

    // A number that is no case: the form again.
    let r = act(&api, &path, &second, "into=SL-0000-AAA-AAA-AAA").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&r));
    let r = act(&api, &path, &second, &format!("into={first}")).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let merged = stored_case(&api, &second).await;
    assert_eq!(
        merged.merged_into.as_ref().map(|t| t.to_string()),
        Some(first.clone())
    );
    let survivor = stored_case(&api, &first).await;
    assert!(survivor.merged.iter().any(|t| t.to_string() == second));
    // Sent again (a double click), it finishes nothing new and changes nothing.
    let merged_version = version(&api, &second).await;
    let r = act(&api, &path, &second, &format!("into={first}")).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert_eq!(version(&api, &second).await, merged_version);
    // A department's token for the same link is refused.
    let r = act(
        &api,
        &link(&second, "water", Action::Merge),
        &second,
        &format!("into={first}"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", text(&r));
}

//! The complainant's case page end to end over the memory store: the
//! receipt code opens it and nothing else does, guessing meets the limits,
//! and a question from the department and the reporter's answer make the
//! round trip without the reporter's identity.

use crate::tests::support::*;
use bytes::Bytes;
use casestore::prelude::*;
use casework::action_token::{self, Action, ActionToken, Holder};
use casework::rules::DepartmentId;
use casework::tracking::TrackingNumber;
use http::{Request, StatusCode};

fn form_post(uri: &str, body: impl Into<String>) -> Request<Bytes> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(body.into()))
        .expect("request")
}

/// Files a case as JSON and gives its number and receipt code.
async fn filed(api: &TestApi, body: &serde_json::Value) -> (String, String) {
    let r = call(api, post_json(body)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let j = json(&r);
    (
        j["tracking"].as_str().expect("tracking").to_string(),
        j["receipt_code"]
            .as_str()
            .expect("receipt code")
            .to_string(),
    )
}

/// An anonymous report with no contact at all, and with a name typed in
/// the description's neighbour field, to see that nothing names them.
fn anonymous_report() -> serde_json::Value {
    serde_json::json!({
        "case_type": "report",
        "category": "water-supply",
        "anonymous": true,
        "description": DESCRIPTION,
        "language": "zh",
    })
}

async fn open(api: &TestApi, tracking: &str, code: &str) -> http::Response<Bytes> {
    call(
        api,
        form_post(
            "/case",
            format!("tracking={}&code={}&lang=en", enc(tracking), enc(code)),
        ),
    )
    .await
}

fn department_link(tracking: &str, action: Action) -> String {
    let t = TrackingNumber::parse(tracking).expect("tracking");
    let token = ActionToken::sign(
        &config(100).action_secret,
        &t,
        &Holder::Department(DepartmentId::new("water")),
        action,
        now() + chrono::TimeDelta::days(30),
    );
    action_token::action_url("", &t, action, &token)
}

async fn version(api: &TestApi, tracking: &str) -> u64 {
    let t = TrackingNumber::parse(tracking).expect("tracking");
    api.store()
        .case(&t)
        .await
        .expect("store")
        .expect("case")
        .version
}

async fn department_does(api: &TestApi, tracking: &str, action: Action, fields: &str) {
    let v = version(api, tracking).await;
    let r = call(
        api,
        form_post(
            &department_link(tracking, action),
            format!("version={v}&lang=zh&{fields}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{action}: {}", text(&r));
}

#[tokio::test]
async fn the_receipt_code_opens_the_page_and_the_question_and_answer_go_round_without_identity() {
    let api = api();
    let (tracking, code) = filed(&api, &anonymous_report()).await;
    assert_eq!(code.len(), 19, "{code}");

    let r = open(&api, &tracking, &code).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    assert_eq!(header(&r, "cache-control"), "no-store");
    let page = text(&r);
    assert!(page.contains(&tracking));
    assert!(page.contains("We received your case"), "{page}");
    // The code is checked once; the page's form carries a token instead.
    assert!(!page.contains(&code), "the code is not echoed");
    assert!(page.contains("name=\"token\""));

    // The department asks through its mail link.
    let mail = &api.mailer().sent()[0].1;
    assert!(
        mail.text
            .contains(&format!("/cases/{tracking}/actions/ask?token=")),
        "{}",
        mail.text
    );
    department_does(
        &api,
        &tracking,
        Action::Ask,
        &format!("text={}", enc("请问是哪个单元门口？")),
    )
    .await;
    let page = text(&open(&api, &tracking, &code).await);
    assert!(page.contains("请问是哪个单元门口？"), "{page}");
    assert!(page.contains("Waiting for your answer"), "{page}");

    // The reporter answers on the page.
    let token = between(&page, "name=\"token\" value=\"", "\"");
    let sent_before = api.mailer().sent().len();
    let r = call(
        &api,
        form_post(
            "/case/reply",
            format!(
                "tracking={tracking}&token={token}&lang=en&text={}",
                enc("3号楼2单元门口，晚上十点以后最明显。")
            ),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
    let page = text(&r);
    assert!(page.contains("Sent to the department."), "{page}");
    assert!(!page.contains("Waiting for your answer"), "{page}");
    let sent = api.mailer().sent();
    let (id, mail) = &sent[sent_before];
    assert!(id.contains("/complainant-wrote/"), "{id}");
    assert!(mail.text.contains("3号楼2单元门口"));
    assert!(
        mail.text.contains("/actions/reply?token="),
        "the usual links"
    );
    for m in &sent {
        assert!(
            !m.1.text.contains(&code) && !m.1.html.contains(&code),
            "no mail holds the code"
        );
    }

    // The department replies and closes; the reporter reads it and is
    // offered the survey, though they left no address for one.
    department_does(&api, &tracking, Action::Accept, "").await;
    department_does(
        &api,
        &tracking,
        Action::Reply,
        &format!("text={}", enc("已更换水管。")),
    )
    .await;
    department_does(
        &api,
        &tracking,
        Action::Close,
        &format!("outcome={}", enc("已解决。")),
    )
    .await;
    let page = text(&open(&api, &tracking, &code).await);
    assert!(
        page.contains("已更换水管。") && page.contains("已解决。"),
        "{page}"
    );
    assert!(
        !page.contains("name=\"text\""),
        "a closed case takes no more messages"
    );
    let survey = between(&page, "href=\"https://api.example.org/v1", "\"").replace("&amp;", "&");
    assert!(survey.contains("/survey?token="), "{page}");
    let r = call(&api, get(&survey)).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
}

#[tokio::test]
async fn a_wrong_code_another_cases_code_and_an_unknown_number_get_one_answer() {
    let api = api();
    let (a, code_a) = filed(&api, &anonymous_report()).await;
    let (b, code_b) = filed(&api, &json_submission(None)).await;
    let unknown = TrackingNumber::generate("SL", now().date_naive(), &mut rand::rng()).to_string();
    let mut wrong = code_a.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });

    let answers = [
        open(&api, &a, &wrong).await,
        open(&api, &a, &code_b).await,
        open(&api, &unknown, &code_a).await,
        open(&api, &a, "not a code").await,
    ];
    let typed = [&a, &a, &unknown, &a];
    let first = text(&answers[0]).replace(a.as_str(), "NUMBER");
    for (r, t) in answers.iter().zip(typed) {
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{}", text(r));
        assert_eq!(
            text(r).replace(t.as_str(), "NUMBER"),
            first,
            "the same page for every refusal"
        );
    }
    assert!(first.contains("The tracking number or the receipt code is not right"));
    // And the right ones still work.
    assert_eq!(open(&api, &a, &code_a).await.status(), StatusCode::OK);
    assert_eq!(open(&api, &b, &code_b).await.status(), StatusCode::OK);
    // A token for the page is not a token for another case or action.
    let t = TrackingNumber::parse(&b).unwrap();
    let forged = ActionToken::sign(
        &config(100).action_secret,
        &t,
        &Holder::Department(DepartmentId::new("water")),
        Action::CasePage,
        now() + chrono::TimeDelta::hours(1),
    );
    let r = call(
        &api,
        form_post(
            "/case/reply",
            format!("tracking={b}&token={forged}&text=hello"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = call(
        &api,
        form_post(
            "/case/reply",
            format!("tracking={a}&token=v1.1.c.AAAA&text=hello"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_thousand_guesses_meet_the_limit_per_number_and_per_client() {
    let api = api();
    let (tracking, code) = filed(&api, &anonymous_report()).await;
    let mut refused = 0;
    let mut limited = 0;
    for i in 0..1000u32 {
        let guess = format!("{:016}", i);
        let r = open(&api, &tracking, &guess).await;
        match r.status() {
            StatusCode::NOT_FOUND => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("guess {i} answered {other}"),
        }
    }
    assert_eq!(refused, crate::case_page::RECEIPT_TRIES_PER_CASE);
    assert_eq!(limited, 1000 - refused);
    // While the number is limited, even its right code is not checked.
    assert_eq!(
        open(&api, &tracking, &code).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Another client, spread over many numbers, meets its own limit.
    let api = api_with(config(100));
    let mut answered = 0;
    for _ in 0..100 {
        let n = TrackingNumber::generate("SL", now().date_naive(), &mut rand::rng()).to_string();
        if open(&api, &n, "0000-0000-0000-0000").await.status() == StatusCode::NOT_FOUND {
            answered += 1;
        }
    }
    assert_eq!(answered, crate::case_page::RECEIPT_TRIES_PER_CLIENT);
}

#[tokio::test]
async fn the_entry_form_works_without_script_and_keeps_nothing_secret() {
    let api = api();
    let r = call(&api, get("/case?lang=en")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = text(&r);
    assert!(
        page.contains("method=\"post\"") && page.contains("name=\"code\""),
        "{page}"
    );
    assert!(!page.contains("<script"));
    assert!(page.contains("A lost code cannot be recovered online."));
}

//! Regression tests for the hardening of issue 13: what an outside attack
//! found, each checked so it cannot come back.

use crate::tests::support::*;

use bytes::Bytes;
use casestore::prelude::*;
use casework::action_token::{self, Action, ActionToken, Holder};
use casework::rules::DepartmentId;
use casework::tracking::TrackingNumber;
use http::{Request, StatusCode};
use std::net::IpAddr;

async fn submitted(api: &TestApi) -> String {
    let r = call(api, post_json(&json_submission(None))).await;
    json(&r)["tracking"].as_str().expect("tracking").to_string()
}

fn signed(tracking: &TrackingNumber, holder: &Holder, action: Action) -> String {
    let token = ActionToken::sign(
        &config(100).action_secret,
        tracking,
        holder,
        action,
        now() + chrono::TimeDelta::days(30),
    );
    action_token::action_url("", tracking, action, &token)
}

fn form_post(uri: &str, body: &str) -> Request<Bytes> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(body.to_string()))
        .expect("request")
}

async fn from(api: &TestApi, req: Request<Bytes>, ip: &str) -> http::Response<Bytes> {
    api.handle(req, Some(ip.parse::<IpAddr>().expect("ip")), now())
        .await
}

// ------------------------------------------------ 1. rate limits

#[tokio::test]
async fn addresses_of_one_ipv6_slash_64_share_one_limit() {
    let api = api_with(config(2));
    for ip in ["2001:db8:5:6::1", "2001:db8:5:6::2"] {
        let r = from(&api, post_json(&json_submission(None)), ip).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    }
    // A third address of the same /64 is the same client.
    let r = from(
        &api,
        post_json(&json_submission(None)),
        "2001:db8:5:6:ffff::9",
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another /64 is another client.
    let r = from(&api, post_json(&json_submission(None)), "2001:db8:5:7::1").await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_prefix_counted_as_one_client_is_configurable() {
    let mut config = config(1);
    config.ipv6_prefix = 48;
    let api = api_with(config);
    let r = from(&api, post_json(&json_submission(None)), "2001:db8:5:6::1").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = from(&api, post_json(&json_submission(None)), "2001:db8:5:7::1").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_signed_links_pages_are_rate_limited_on_their_own_counter() {
    let mut config = config(100);
    config.link_rate_limit.per_window = 3;
    let api = api_with(config);
    let tracking = submitted(&api).await;
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let accept = signed(
        &t,
        &Holder::Department(DepartmentId::new("water")),
        Action::Accept,
    );
    let survey = signed(&t, &Holder::Complainant, Action::Survey);
    let forged = format!("/cases/{tracking}/actions/close?token=v1.1.d-water.AAAA");
    for path in [&accept, &survey, &forged] {
        let r = call(&api, get(path)).await;
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
    }
    for req in [get(&accept), form_post(&survey, "version=1")] {
        let r = call(&api, req).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(header(&r, "content-type").starts_with("text/html"));
        assert!(!header(&r, "retry-after").is_empty());
    }
    // Submissions and lookups count apart.
    let r = call(&api, get(&format!("/cases/{tracking}"))).await;
    assert_eq!(r.status(), StatusCode::OK);
}

// ------------------------------------------------ 3. no existence oracle

#[tokio::test]
async fn a_forged_link_gets_one_answer_whether_or_not_its_case_exists() {
    let api = api();
    let tracking = submitted(&api).await;
    let unknown = TrackingNumber::generate("SL", now().date_naive(), &mut rand::rng());
    let forged = |t: &str, action: &str| {
        format!(
            "/cases/{t}/actions/{action}?token=v1.9999999999.d-water.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&lang=en"
        )
    };
    let forged_survey = |t: &str| format!("/cases/{t}/survey?token=v1.9999999999.c.AAAA&lang=en");
    // A number that fails its check character, too: no hint that it is wrong.
    let mut bad_check: Vec<char> = tracking.chars().collect();
    let last = bad_check.len() - 1;
    bad_check[last] = if bad_check[last] == 'A' { 'B' } else { 'A' };
    let bad_check: String = bad_check.into_iter().collect();
    for (known, others) in [
        (
            forged(&tracking, "accept"),
            vec![
                forged(unknown.as_str(), "accept"),
                forged(&bad_check, "accept"),
            ],
        ),
        (
            forged_survey(&tracking),
            vec![forged_survey(unknown.as_str()), forged_survey(&bad_check)],
        ),
    ] {
        for post in [false, true] {
            let req = |p: &str| {
                if post {
                    form_post(p, "version=1")
                } else {
                    get(p)
                }
            };
            let a = call(&api, req(&known)).await;
            assert_eq!(a.status(), StatusCode::FORBIDDEN, "{}", text(&a));
            for other in &others {
                let b = call(&api, req(other)).await;
                assert_eq!(b.status(), a.status(), "{other}");
                assert_eq!(text(&b), text(&a), "{other}");
            }
        }
    }
    // A genuine link still opens its case.
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let r = call(
        &api,
        get(&signed(
            &t,
            &Holder::Department(DepartmentId::new("water")),
            Action::Accept,
        )),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
}

// ------------------------------------------------ 5. security headers

#[tokio::test]
async fn every_answer_carries_the_one_set_of_security_headers() {
    let api = api_with(config(1));
    let tracking = submitted(&api).await;
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/cases")
        .header("origin", SITE)
        .body(Bytes::new())
        .expect("request");
    let requests = vec![
        post_json(&json_submission(None)), // 429 by now
        get(&format!("/cases/{tracking}?format=html")),
        get("/cases/SL-0000-0000"),
        get("/nowhere"),
        preflight,
        get(&signed(
            &t,
            &Holder::Department(DepartmentId::new("water")),
            Action::Accept,
        )),
        get(&format!("/cases/{tracking}/survey?token=forged")),
    ];
    for req in requests {
        let what = format!("{} {}", req.method(), req.uri());
        let r = call(&api, req).await;
        for (name, value) in crate::headers::security_headers(true) {
            assert_eq!(header(&r, name.as_str()), value, "{what} ({})", r.status());
        }
    }
}

// ------------------------------------------------ 8. smaller ones

#[tokio::test]
async fn head_is_answered_like_get_without_a_body() {
    let api = api();
    let tracking = submitted(&api).await;
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    let accept = signed(
        &t,
        &Holder::Department(DepartmentId::new("water")),
        Action::Accept,
    );
    for uri in [
        format!("/cases/{tracking}"),
        format!("/cases?tracking={tracking}"),
        accept,
    ] {
        let head = Request::builder()
            .method("HEAD")
            .uri(&uri)
            .body(Bytes::new())
            .expect("request");
        let r = call(&api, head).await;
        let g = call(&api, get(&uri)).await;
        assert_eq!(r.status(), g.status(), "{uri}");
        assert_ne!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        assert!(r.body().is_empty(), "{uri}");
        assert_eq!(header(&r, "content-type"), header(&g, "content-type"));
    }
}

#[tokio::test]
async fn a_link_form_posted_from_another_site_is_refused_and_changes_nothing() {
    let api = api();
    let tracking = submitted(&api).await;
    let t = TrackingNumber::parse(&tracking).expect("tracking");
    // The version the case has now (stored, then marked forwarded).
    let version = api
        .store()
        .case(&t)
        .await
        .expect("store")
        .expect("case")
        .version;
    let accept = signed(
        &t,
        &Holder::Department(DepartmentId::new("water")),
        Action::Accept,
    );
    let survey = signed(&t, &Holder::Complainant, Action::Survey);
    for path in [&accept, &survey] {
        let mut req = form_post(path, &format!("version={version}&rating=satisfied"));
        req.headers_mut()
            .insert("origin", "https://evil.example".parse().expect("value"));
        let r = call(&api, req).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(header(&r, "content-type").starts_with("text/html"));
    }
    let record = api.store().case(&t).await.expect("store").expect("case");
    assert_eq!(record.version, version);
    // From the API's own page it goes through.
    let mut req = form_post(&accept, &format!("version={version}"));
    req.headers_mut()
        .insert("origin", "https://api.example.org".parse().expect("value"));
    let r = call(&api, req).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
}

// ------------------------------------------------ 6. reports not singled out

#[tokio::test]
async fn a_reports_public_status_reads_like_any_other_case_and_times_are_to_the_minute() {
    let api = api();
    let odd = now() + chrono::TimeDelta::milliseconds(17_345);
    let file = |case_type: &str| {
        let mut sub = json_submission(None);
        sub["case_type"] = case_type.into();
        post_json(&sub)
    };
    let ip: IpAddr = IP.parse().expect("ip");
    let mut statuses = Vec::new();
    for case_type in ["report", "complaint", "praise"] {
        let r = api.handle(file(case_type), Some(ip), odd).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
        let tracking = json(&r)["tracking"].as_str().expect("tracking").to_string();
        let status = json(&call(&api, get(&format!("/cases/{tracking}"))).await);
        for d in status["deadlines"].as_array().expect("deadlines") {
            let due = d["due_at"].as_str().expect("due_at");
            let due: chrono::DateTime<chrono::Utc> = due.parse().expect("a time");
            assert_eq!(due.timestamp() % 60, 0, "{case_type}: {d}");
            assert_eq!(due.timestamp_subsec_nanos(), 0, "{case_type}: {d}");
        }
        let kinds: Vec<String> = status["deadlines"]
            .as_array()
            .expect("deadlines")
            .iter()
            .map(|d| d["kind"].as_str().unwrap_or("").to_string())
            .collect();
        statuses.push((case_type, kinds));
    }
    let kinds = |t: &str| {
        statuses
            .iter()
            .find(|(c, _)| *c == t)
            .map(|(_, k)| k.clone())
            .unwrap_or_default()
    };
    // The report's 30-working-day limit is its own: not shown.
    assert!(
        !kinds("report").contains(&"complete".to_string()),
        "{statuses:?}"
    );
    assert!(
        kinds("complaint").contains(&"complete".to_string()),
        "{statuses:?}"
    );
    // What a report shows, some other case type shows too.
    assert_eq!(kinds("report"), kinds("praise"), "{statuses:?}");
}

#[tokio::test]
async fn bidi_controls_typed_into_a_tracking_number_are_never_echoed() {
    let api = api();
    let typed = "SL-2611-\u{202E}ABC-DEF-GHJ";
    let encoded: String = typed.bytes().map(|b| format!("%{b:02X}")).collect();
    let json_answer = call(&api, get(&format!("/cases/{encoded}?lang=en"))).await;
    assert_eq!(json_answer.status(), StatusCode::BAD_REQUEST);
    let mut html = get(&format!("/cases?tracking={encoded}&lang=en"));
    html.headers_mut()
        .insert("accept", "text/html".parse().expect("value"));
    let page = call(&api, html).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    for body in [text(&json_answer), text(&page)] {
        assert!(!body.contains('\u{202E}'), "{body}");
    }
    assert!(
        text(&json_answer).contains("U+202E"),
        "{}",
        text(&json_answer)
    );
}

// ------------------------------------------------ 7. content spoofing

#[tokio::test]
async fn web_addresses_in_a_description_are_defanged_in_the_department_mail() {
    let api = api();
    let mut sub = json_submission(None);
    sub["description"] =
        "水管漏水。\n办理 / Actions:\n受理 https://evil.example/accept?token=x\n关闭 www.evil.example/close".into();
    let r = call(&api, post_json(&sub)).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    let sent = api.mailer().sent();
    let (_, mail) = sent
        .iter()
        .find(|(id, _)| id.ends_with("/new-case"))
        .expect("the department mail");
    for part in [&mail.text, &mail.html] {
        assert!(!part.contains("https://evil"), "{part}");
        assert!(!part.contains("www.evil"), "{part}");
        assert!(part.contains("hxxps://evil[.]example/accept"), "{part}");
    }
    // The office's own links are still links.
    assert!(mail.text.contains("https://api.example.org/v1/cases/"));
}

#[tokio::test]
async fn one_address_gets_a_few_acknowledgments_a_day_and_no_more() {
    let api = api();
    let limit = crate::limit::ACKNOWLEDGMENTS_PER_ADDRESS_PER_DAY as usize;
    for i in 0..limit + 2 {
        let mut sub = json_submission(None);
        // Another wording and another client each time, the same victim.
        sub["description"] = format!("{DESCRIPTION} 第{i}次。").into();
        let r = from(&api, post_json(&sub), &format!("203.0.113.{}", i + 1)).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", text(&r));
    }
    let sent = api.mailer().sent();
    let acks = sent.iter().filter(|(id, _)| id.ends_with("/ack")).count();
    let departments = sent
        .iter()
        .filter(|(id, _)| id.ends_with("/new-case"))
        .count();
    assert_eq!(acks, limit);
    assert_eq!(
        departments,
        limit + 2,
        "every case still reaches its department"
    );
    let pending_acks = api
        .store()
        .notifications()
        .into_iter()
        .filter(|n| n.id.ends_with("/ack") && n.status == casestore::NotificationStatus::Pending)
        .count();
    assert_eq!(
        pending_acks, 0,
        "a held-back acknowledgment would be sent later"
    );
    // Another address is acknowledged.
    let mut sub = json_submission(None);
    sub["email"] = "someone.else@example.net".into();
    let _ = from(&api, post_json(&sub), "203.0.113.99").await;
    assert_eq!(
        api.mailer()
            .sent()
            .iter()
            .filter(|(id, _)| id.ends_with("/ack"))
            .count(),
        limit + 1
    );
}

//! Where the links in the office's mails point, and the key that signs them.
//!
//! Every mail that carries a link (a department's action links, the
//! complainant's receipt and survey) is built from one [`Links`], so the
//! web intake, the CLI and the scheduler word their links the same way.
//! Nothing here checks a token: that is `casework::action_token` and the
//! HTTP layer that receives the click.

use casework::Lang;
use casework::action_token::{self, Action, ActionSecret, ActionToken, Holder};
use casework::lifecycle::{self, Case};
use casework::links::{ExtensionLinks, OfficeLinks};
use casework::messages::ActionLinks;
use casework::notices::SurveyLinks;
use casework::rules::DepartmentId;
use casework::rules::Rulebook;
use casework::tracking::TrackingNumber;
use chrono::{DateTime, Utc};

/// The API's and the site's public addresses, and the signing key.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    /// The API's public root, e.g. `https://12345.example.gov.cn/api`.
    pub public_base_url: &'a str,
    /// The site's human status page, e.g. `/status/` or an absolute
    /// address; a relative one means the API's own page in mail.
    pub status_page_url: &'a str,
    pub action_secret: &'a ActionSecret,
}

impl Links<'_> {
    /// The signed links for the department that handles `case` now, valid
    /// as long as the rulebook's limits for the case need
    /// (`action_token::department_link_expiry`).
    pub fn department_links(
        &self,
        rules: &Rulebook,
        case: &Case,
        now: DateTime<Utc>,
    ) -> ActionLinks {
        let mut links = action_token::department_links(
            self.action_secret,
            self.public_base_url,
            case,
            action_token::department_link_expiry(rules, case, now),
        );
        // No link to a form that could only say "already the highest".
        if rules.higher_severities(&case.severity).is_empty() {
            links.raise_severity = None;
        }
        links
    }

    /// The office's links on `case`, just sent back: re-route to each of
    /// [`reroute_choices`], or hand it back; valid as long as a
    /// department's would be.
    pub fn office_links(&self, rules: &Rulebook, case: &Case, now: DateTime<Utc>) -> OfficeLinks {
        action_token::office_links(
            self.action_secret,
            self.public_base_url,
            case,
            &rules.office.department,
            &reroute_choices(rules, case),
            action_token::department_link_expiry(rules, case, now),
        )
    }

    /// The office's link to merge `case` into the open case `into`.
    pub fn merge_link(
        &self,
        rules: &Rulebook,
        case: &Case,
        into: &TrackingNumber,
        now: DateTime<Utc>,
    ) -> String {
        action_token::merge_link(
            self.action_secret,
            self.public_base_url,
            case,
            &rules.office.department,
            into,
            action_token::department_link_expiry(rules, case, now),
        )
    }

    /// The approver's links on `case`'s pending request to extend; `None`
    /// where the rulebook names no approver.
    pub fn extension_links(
        &self,
        rules: &Rulebook,
        case: &Case,
        now: DateTime<Utc>,
    ) -> Option<ExtensionLinks> {
        let approver = lifecycle::extension_approver(rules, case)?;
        Some(action_token::extension_links(
            self.action_secret,
            self.public_base_url,
            case,
            approver,
            action_token::department_link_expiry(rules, case, now),
        ))
    }

    /// The complainant's case page (tracking number and receipt code), in
    /// `lang`: where a mail about a question or a reply sends them. The
    /// link holds neither the number nor the code; they type both.
    pub fn case_page_url(&self, lang: Lang) -> String {
        // Always explicit: the page's language is the mail's, whatever
        // language the browser asks for.
        let url = format!("{}/case", self.public_base_url.trim_end_matches('/'));
        with_query(&url, &format!("lang={lang}"))
    }

    /// The case page without a language: the shortest link a text can
    /// carry (the page answers in the browser's language).
    pub fn case_page_link(&self) -> String {
        format!("{}/case", self.public_base_url.trim_end_matches('/'))
    }

    /// The status page a person follows from a mail.
    pub fn people_status_url(&self, tracking: &TrackingNumber, lang: Lang) -> String {
        people_status_url(self.status_page_url, self.public_base_url, tracking, lang)
    }
}

/// The departments a case sent back may go to: every one but the office
/// itself and the one that sent it back, the category's own department
/// first when it is not the sender, then the rulebook's order.
pub fn reroute_choices(rules: &Rulebook, case: &Case) -> Vec<DepartmentId> {
    let routed = rules
        .category(case.category.as_str())
        .map(|c| c.department.clone());
    let others = rules.departments.iter().map(|d| d.id.clone());
    let mut out: Vec<DepartmentId> = Vec::new();
    for id in routed.into_iter().chain(others) {
        if id != rules.office.department && id != case.department && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The survey's signed links for `case`, valid for the rulebook's
/// `follow_up.open_for`; they point at the API root `public_base_url`.
pub fn survey_links(
    rules: &Rulebook,
    public_base_url: &str,
    secret: &ActionSecret,
    case: &Case,
    now: DateTime<Utc>,
) -> SurveyLinks {
    let expires_at = rules.calendar.deadline(now, rules.follow_up.open_for);
    let token = ActionToken::sign(
        secret,
        &case.tracking,
        &Holder::Complainant,
        Action::Survey,
        expires_at,
    );
    SurveyLinks {
        ratings: action_token::survey_links(secret, public_base_url, &case.tracking, expires_at),
        comment: action_token::action_url(public_base_url, &case.tracking, Action::Survey, &token),
        expires_at,
    }
}

/// The status page a person follows from a mail: the site's page in the
/// person's language when `status_page_url` is absolute (mail cannot
/// follow a relative one), else the API's own page under `public_base_url`.
pub fn people_status_url(
    status_page_url: &str,
    public_base_url: &str,
    tracking: &TrackingNumber,
    lang: Lang,
) -> String {
    if status_page_url.starts_with("https://") || status_page_url.starts_with("http://") {
        with_query(
            &in_language(status_page_url, lang),
            &format!("tracking={tracking}&lang={lang}"),
        )
    } else {
        format!(
            "{}/cases/{tracking}?format=html&lang={lang}",
            public_base_url.trim_end_matches('/')
        )
    }
}

/// A page of the site in `lang`: the site keeps Chinese pages at `/path/`
/// and English ones at `/en/path/`, so the English thank-you and status
/// pages are the configured (Chinese) address with `/en` put before the path.
pub fn in_language(url: &str, lang: Lang) -> String {
    if lang != Lang::En {
        return url.to_string();
    }
    let path_at = match url.find("://") {
        Some(scheme_end) => match url[scheme_end + 3..].find('/') {
            Some(i) => scheme_end + 3 + i,
            None => return format!("{url}/en/"),
        },
        None if url.starts_with('/') => 0,
        // Not a path on the site (say, a page name alone): left as given.
        None => return url.to_string(),
    };
    let path = &url[path_at..];
    if path == "/en" || path.starts_with("/en/") || path.starts_with("/en?") {
        return url.to_string();
    }
    format!("{}/en{}", &url[..path_at], path)
}

/// Appends a query string to a URL that may already have one.
pub fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_pages_are_the_chinese_address_under_en() {
        assert_eq!(in_language("/thanks/", Lang::En), "/en/thanks/");
        assert_eq!(in_language("/thanks/", Lang::Zh), "/thanks/");
        assert_eq!(
            in_language("https://12345.example.org/status/", Lang::En),
            "https://12345.example.org/en/status/"
        );
        assert_eq!(
            in_language("https://12345.example.org", Lang::En),
            "https://12345.example.org/en/"
        );
        assert_eq!(in_language("/en/thanks/", Lang::En), "/en/thanks/");
        assert_eq!(in_language("/entry/", Lang::En), "/en/entry/");
        assert_eq!(in_language("thanks.html", Lang::En), "thanks.html");
    }
}

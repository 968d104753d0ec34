//! The one document model for mail text, and the pieces every mail shares.
//!
//! A mail is built once as a [`Letter`]: a title or headings, paragraphs,
//! labelled facts, links and a numbered list. The letter renders itself to
//! both parts, plain text and HTML, so the two can never say different
//! things, every value passes through the one escaper ([`escape_html`]),
//! continuation lines of a value are indented the same way everywhere, and
//! the HTML carries the letter's language. Also here: the one footer, the
//! one wall-clock format ([`local_time`]) and the subject-line filter.
//!
//! What a mail says is not here: the wording lives in the strings table
//! ([`crate::wording`]) and each mail is put together in
//! [`crate::messages`], [`crate::notices`] or [`crate::stats`].

use crate::localized::{Lang, Localized};
use crate::rules::Rulebook;
use crate::wording::{say_both, say_with};
use chrono::{DateTime, Utc};

/// Escapes text for HTML element content and quoted attribute values:
/// `& < > " '` all become entities, so a value is safe in either place.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Defangs web addresses in visitor text, so that no mail client turns
/// them into links a department might follow (a description can carry a
/// fake "Actions" block of foreign URLs): the scheme becomes `hxxp(s)`
/// and the dots of anything that looks like a host name (`www.` or
/// `evil.example`, letters after the last dot) become `[.]`. The text is
/// still readable and can be copied back by hand by whoever needs it.
pub fn defang_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        out.push_str(&defang_token(token));
        token.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')' | '（' | '）' | '，' | '。')
        {
            flush(&mut token, &mut out);
            out.push(c);
        } else {
            token.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn defang_token(token: &str) -> String {
    let lower = token.to_ascii_lowercase();
    let mut rest = token;
    let mut out = String::new();
    for scheme in ["https://", "http://", "ftp://"] {
        if let Some(at) = lower.find(scheme) {
            out.push_str(&token[..at]);
            out.push_str(match scheme {
                "https://" => "hxxps://",
                "http://" => "hxxp://",
                _ => "fxp://",
            });
            rest = &token[at + scheme.len()..];
            break;
        }
    }
    // The host part ends at the first `/`, `?` or `#`; only it is defanged.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(end);
    let labels: Vec<&str> = host.split('.').collect();
    let looks_like_host = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
        && labels.iter().all(|l| {
            l.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '@' | ':' | '_'))
        });
    if looks_like_host || !out.is_empty() {
        out.push_str(&host.replace('.', "[.]"));
    } else {
        out.push_str(host);
    }
    out.push_str(path);
    out
}

/// Makes visitor text safe for a subject line: every control character
/// (CR and LF included) and line or paragraph separator becomes a space,
/// runs of spaces shrink to one, and the result is cut to `max_chars`
/// characters with an ellipsis.
pub fn subject_part(text: &str, max_chars: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max_chars {
        return joined;
    }
    let mut cut: String = joined.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A time on the office's wall clock, to the minute.
pub fn local_time(rules: &Rulebook, at: DateTime<Utc>) -> String {
    rules
        .calendar
        .local(at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Both languages, `first` first, separated by " / "; one when they are
/// the same or there is no translation.
pub fn both(text: &Localized, first: Lang) -> String {
    let second = first.other();
    let a = text.get(first);
    let b = text.get(second);
    if a == b || !text.has(second) || !text.has(first) {
        a.to_string()
    } else {
        format!("{a} / {b}")
    }
}

/// `中文 English` on one line, as the scheduler's staff mails title things;
/// one of them when the other is missing or the same.
pub fn side_by_side(text: &Localized) -> String {
    let (zh, en) = (text.get(Lang::Zh), text.get(Lang::En));
    if en.is_empty() || zh == en {
        zh.to_string()
    } else if zh.is_empty() {
        en.to_string()
    } else {
        format!("{zh} {en}")
    }
}

/// Who a mail is for, which decides its footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Departments and the office: bilingual, the letter's language first.
    Staff,
    /// The complainant: their language only.
    Complainant,
}

/// A rendered letter, not yet addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A mail as a list of blocks, rendered to text and HTML.
pub struct Letter {
    lang: Lang,
    colon: &'static str,
    blocks: Vec<Block>,
}

enum Block {
    /// The mail's title, once, at the top (`<h1>`).
    Title(String),
    /// A section heading (`<h2>`).
    Heading(String),
    Para(String),
    /// A label and a value; the value may span lines.
    Field(String, String),
    Link(String, String),
    /// Numbered entries, each with a title, text lines and an HTML fragment
    /// that its writer already escaped.
    Items(Vec<(String, String, String)>),
    Rule,
}

impl Letter {
    /// A letter in `lang` (or with `lang` first): labels end in that
    /// language's colon.
    pub fn new(lang: Lang) -> Letter {
        Letter {
            lang,
            colon: lang.pick("：", ": "),
            blocks: Vec::new(),
        }
    }

    /// A letter with Chinese and English side by side on each line: the
    /// labels hold both languages, so they end in a plain colon.
    pub fn side_by_side() -> Letter {
        Letter {
            colon: ": ",
            ..Letter::new(Lang::Zh)
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn title(&mut self, text: String) {
        self.blocks.push(Block::Title(text));
    }
    pub fn heading(&mut self, text: String) {
        self.blocks.push(Block::Heading(text));
    }
    pub fn para(&mut self, text: String) {
        self.blocks.push(Block::Para(text));
    }
    pub fn field(&mut self, label: String, value: String) {
        self.blocks.push(Block::Field(label, value));
    }
    pub fn link(&mut self, label: String, url: String) {
        self.blocks.push(Block::Link(label, url));
    }
    /// Entries whose `html` is already escaped by their writer.
    pub fn items(&mut self, entries: Vec<(String, String, String)>) {
        self.blocks.push(Block::Items(entries));
    }
    pub fn rule(&mut self) {
        self.blocks.push(Block::Rule);
    }

    /// The one footer: who sent the mail and that it is not to be answered;
    /// the complainant's also says how to ask a question.
    pub fn footer(&mut self, rules: &Rulebook, reader: Reader) {
        let office = &rules.office;
        let args = |lang: Lang| {
            vec![
                ("office", office.name.get(lang).to_string()),
                ("hotline", office.hotline.clone()),
            ]
        };
        let text = match reader {
            Reader::Staff => both(&say_both("mail.footer_staff", args), self.lang),
            Reader::Complainant => say_with("mail.footer_complainant", self.lang, &args(self.lang)),
        };
        self.rule();
        self.para(text);
    }

    /// The letter's subject and both parts; the whole subject passes the
    /// subject-line filter, not only the visitor's part: rulebook names are
    /// editors' text and could hold a stray line break. Addressing it is the
    /// caller's business ([`crate::messages::addressed`]).
    pub fn render(self, subject: &str) -> Rendered {
        let subject = subject_part(subject, 200);
        Rendered {
            text: self.text(),
            html: self.html(&subject),
            subject,
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Title(t) => {
                    out.push_str(t);
                    out.push_str("\n\n");
                }
                Block::Heading(t) => {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(t);
                    out.push('\n');
                }
                Block::Para(t) => {
                    out.push_str(t);
                    out.push_str("\n\n");
                }
                Block::Field(label, value) => {
                    let mut lines = value.lines();
                    out.push_str(label);
                    out.push_str(self.colon);
                    out.push_str(lines.next().unwrap_or(""));
                    out.push('\n');
                    // Continuation lines are indented so a description line
                    // can never pass for a field of its own.
                    for line in lines {
                        out.push_str("    ");
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                Block::Link(label, url) => {
                    out.push_str(label);
                    out.push_str(self.colon);
                    out.push_str(url);
                    out.push('\n');
                }
                Block::Items(entries) => {
                    for (i, (title, text, _)) in entries.iter().enumerate() {
                        out.push_str(&format!("{}. {title}\n{text}\n", i + 1));
                    }
                }
                Block::Rule => out.push_str("\n-- \n"),
            }
        }
        out
    }

    fn html(&self, title: &str) -> String {
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body style=\"font-family: sans-serif; line-height: 1.5\">\n",
            self.lang.html_tag(),
            escape_html(title)
        );
        for block in &self.blocks {
            match block {
                Block::Title(t) => out.push_str(&format!("<h1>{}</h1>\n", escape_html(t))),
                Block::Heading(t) => out.push_str(&format!("<h2>{}</h2>\n", escape_html(t))),
                Block::Para(t) => out.push_str(&format!("<p>{}</p>\n", escape_html(t))),
                Block::Field(label, value) => out.push_str(&format!(
                    "<p><strong>{}</strong>{}<span style=\"white-space: pre-wrap\">{}</span></p>\n",
                    escape_html(label),
                    self.colon,
                    escape_html(value)
                )),
                Block::Link(label, url) => out.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>\n",
                    escape_html(url),
                    escape_html(label)
                )),
                Block::Items(entries) => {
                    out.push_str("<ol>\n");
                    for (_, _, html) in entries {
                        out.push_str(&format!("<li>{html}</li>\n"));
                    }
                    out.push_str("</ol>\n");
                }
                Block::Rule => out.push_str("<hr>\n"),
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_in_visitor_text_are_defanged() {
        for (text, want) in [
            (
                "办理 / Actions: https://evil.example/accept?x=1 请点击",
                "办理 / Actions: hxxps://evil[.]example/accept?x=1 请点击",
            ),
            ("HTTP://Evil.Example", "hxxp://Evil[.]Example"),
            (
                "see www.evil.example/x now",
                "see www[.]evil[.]example/x now",
            ),
            (
                "mail me at a@b.example.org",
                "mail me at a@b[.]example[.]org",
            ),
            ("（evil.example）", "（evil[.]example）"),
            ("http://203.0.113.9/x", "hxxp://203[.]0[.]113[.]9/x"),
        ] {
            assert_eq!(defang_urls(text), want, "{text}");
        }
        // Ordinary text is left alone: numbers, sentences, Chinese.
        for text in [
            "水压3.5公斤",
            "v1.2 of the form",
            "It broke. Then",
            "小区的自来水发黄。",
            "e.g. this",
        ] {
            assert_eq!(defang_urls(text), text);
        }
    }

    #[test]
    fn the_escaper_escapes_quotes_too() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn continuation_lines_are_indented_and_the_html_has_the_language() {
        for (lang, colon, tag) in [(Lang::Zh, "：", "zh-Hans"), (Lang::En, ": ", "en")] {
            let mut letter = Letter::new(lang);
            letter.field("L".into(), "one\ntwo".into());
            let m = letter.render("S");
            assert_eq!(m.text, format!("L{colon}one\n    two\n"));
            assert!(m.html.contains(&format!("<html lang=\"{tag}\">")));
        }
        let mut letter = Letter::side_by_side();
        letter.field("标签 Label".into(), "a\nb".into());
        let m = letter.render("S");
        assert_eq!(m.text, "标签 Label: a\n    b\n");
        assert!(m.html.contains("<html lang=\"zh-Hans\">"));
    }

    #[test]
    fn both_languages_are_joined_one_way_each() {
        let text = Localized::new("中", "En");
        assert_eq!(both(&text, Lang::Zh), "中 / En");
        assert_eq!(both(&text, Lang::En), "En / 中");
        assert_eq!(both(&Localized::new("同", "同"), Lang::En), "同");
        assert_eq!(side_by_side(&text), "中 En");
    }
}

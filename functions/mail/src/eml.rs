//! One outgoing message as RFC 5322 bytes: what the outbox folder keeps and
//! what SMTP and SES (raw content) send.
//!
//! The shape is fixed: `multipart/alternative` (text, then HTML), wrapped in
//! `multipart/mixed` when there are attachments. Every body part is base64,
//! so no line of the message's own text can ever look like a boundary or a
//! header, and boundaries are constant (they cannot occur in base64). Header
//! values are stripped of control characters before use, and the subject is
//! RFC 2047-encoded whenever it is not plain short ASCII. Rendering is pure:
//! the date, when wanted, is handed in.
//!
//! [`read`] is the rough inverse, enough for tests and for showing the
//! outbox; it is not a general mail parser.

use casework::outgoing::Message;
use chrono::{DateTime, Utc};

const MIXED: &str = "=_hotline_mixed_0";
const ALTERNATIVE: &str = "=_hotline_alt_0";
/// Bytes of text per encoded word: 52 base64 characters, so a word with its
/// `=?UTF-8?B?`/`?=` wrapping is 64 long and `Subject: ` plus one word stays
/// within the 78-character line RFC 5322 asks for (RFC 2047 allows 75).
const ENCODED_WORD_BYTES: usize = 39;

/// The message as an `.eml` file, without a `Date` header (the receiving
/// server adds one).
pub fn render_eml(id: &str, from: &str, message: &Message) -> Vec<u8> {
    render_eml_at(id, from, message, None)
}

/// The message as an `.eml` file, dated `date` when given.
pub fn render_eml_at(
    id: &str,
    from: &str,
    message: &Message,
    date: Option<DateTime<Utc>>,
) -> Vec<u8> {
    let mut out = String::new();
    header(&mut out, "From", &mailbox(from));
    // An internationalized domain goes out as punycode; a local part that
    // is not ASCII cannot be, and the mailers refuse it before this.
    let to: Vec<String> = message
        .to
        .iter()
        .map(|a| header_safe(&crate::address::ascii(a).unwrap_or_else(|| a.clone())))
        .collect();
    header(&mut out, "To", &to.join(", "));
    header(
        &mut out,
        "Subject",
        &encode_text(&header_safe(&message.subject)),
    );
    if let Some(date) = date {
        header(&mut out, "Date", &date.to_rfc2822());
    }
    header(
        &mut out,
        "Message-ID",
        &format!("<{}@{}>", message_id_local(id), domain_of(from)),
    );
    // Asks receivers' auto-responders to stay quiet (RFC 3834).
    header(&mut out, "Auto-Submitted", "auto-generated");
    header(&mut out, "MIME-Version", "1.0");
    if message.attachments.is_empty() {
        alternative(&mut out, message);
    } else {
        header(
            &mut out,
            "Content-Type",
            &format!("multipart/mixed; boundary=\"{MIXED}\""),
        );
        out.push_str("\r\n");
        out.push_str(&format!("--{MIXED}\r\n"));
        alternative(&mut out, message);
        for attachment in &message.attachments {
            out.push_str(&format!("\r\n--{MIXED}\r\n"));
            let name = file_name_params(&attachment.file_name);
            header(
                &mut out,
                "Content-Type",
                &format!("{}; {}", content_type(&attachment.content_type), name.0),
            );
            header(
                &mut out,
                "Content-Disposition",
                &format!("attachment; {}", name.1),
            );
            header(&mut out, "Content-Transfer-Encoding", "base64");
            out.push_str("\r\n");
            out.push_str(&base64_lines(&attachment.content));
        }
        out.push_str(&format!("\r\n--{MIXED}--\r\n"));
    }
    out.into_bytes()
}

/// The file name an outbox uses for notification `id`: every byte outside
/// `[A-Za-z0-9-]` becomes `_XX` (hex), so the mapping is one-to-one and the
/// name can never climb out of the folder.
pub fn file_stem(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("_{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

fn alternative(out: &mut String, message: &Message) {
    header(
        out,
        "Content-Type",
        &format!("multipart/alternative; boundary=\"{ALTERNATIVE}\""),
    );
    out.push_str("\r\n");
    for (kind, body) in [("plain", &message.text), ("html", &message.html)] {
        out.push_str(&format!("--{ALTERNATIVE}\r\n"));
        header(out, "Content-Type", &format!("text/{kind}; charset=utf-8"));
        header(out, "Content-Transfer-Encoding", "base64");
        out.push_str("\r\n");
        out.push_str(&base64_lines(crlf(body).as_bytes()));
    }
    out.push_str(&format!("--{ALTERNATIVE}--\r\n"));
}

fn header(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    out.push_str(value);
    out.push_str("\r\n");
}

/// Control characters (CR and LF above all) out of a header value: they
/// would end the header and start another.
fn header_safe(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// `Name <addr>` or a bare address; a display name that is not plain ASCII
/// is encoded.
fn mailbox(from: &str) -> String {
    let from = header_safe(from);
    match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let name = from[..open].trim().trim_matches('"').trim();
            let addr = &from[open + 1..close];
            if name.is_empty() {
                format!("<{addr}>")
            } else {
                let plain = name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-' || c == '.');
                if plain {
                    format!("\"{name}\" <{addr}>")
                } else {
                    format!("{} <{addr}>", encoded_words(name))
                }
            }
        }
        _ => from,
    }
}

fn address_of(from: &str) -> &str {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from.trim(),
    }
}

/// The sender's bare address (for an SMTP envelope or SES).
pub fn sender_address(from: &str) -> String {
    header_safe(address_of(from))
}

fn domain_of(from: &str) -> String {
    let domain: String = address_of(from)
        .rsplit('@')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    if domain.is_empty() {
        "hotline.invalid".to_string()
    } else {
        domain
    }
}

/// The id as the left part of a Message-ID: dot-atom characters only.
fn message_id_local(id: &str) -> String {
    let local: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_/+=".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    let local = local.trim_matches('.').to_string();
    if local.is_empty() {
        "notification".to_string()
    } else {
        local
    }
}

/// Plain short printable ASCII stays as it is; anything else becomes
/// encoded words.
fn encode_text(text: &str) -> String {
    let plain = text.len() <= 70
        && text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && !text.contains("=?");
    if plain {
        text.to_string()
    } else {
        encoded_words(text)
    }
}

/// RFC 2047 `B` words, folded onto continuation lines, each word whole
/// characters so no word holds half of one.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > ENCODED_WORD_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// `(Content-Type parameter, Content-Disposition parameter)` for a file name.
fn file_name_params(name: &str) -> (String, String) {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .collect();
    let clean = if clean.trim().is_empty() {
        "attachment".to_string()
    } else {
        clean.trim().to_string()
    };
    if clean.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        (format!("name=\"{clean}\""), format!("filename=\"{clean}\""))
    } else {
        // RFC 2231 for the disposition, which every current reader honours;
        // the encoded word in `name` is for older ones.
        let mut pct = String::new();
        for b in clean.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                pct.push(b as char);
            } else {
                pct.push_str(&format!("%{b:02X}"));
            }
        }
        (
            format!("name=\"{}\"", encoded_words(&clean).replace("\r\n ", "")),
            format!("filename*=UTF-8''{pct}"),
        )
    }
}

fn content_type(value: &str) -> String {
    let ok = value.split_once('/').is_some_and(|(a, b)| {
        let token = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
        };
        token(a) && token(b)
    });
    if ok {
        value.to_ascii_lowercase()
    } else {
        "application/octet-stream".to_string()
    }
}

/// Text with every line ending as CRLF, the canonical form of `text/*`.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            group.get(1).copied().unwrap_or(0),
            group.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in lines of 76 characters, each ending in CRLF.
fn base64_lines(bytes: &[u8]) -> String {
    let flat = base64(bytes);
    let mut out = String::with_capacity(flat.len() + flat.len() / 38 + 2);
    // The flat string is ASCII, so slicing by bytes is slicing by characters.
    let mut rest = flat.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(76));
        out.push_str(line);
        out.push_str("\r\n");
        rest = tail;
    }
    out
}

/// Reading back what [`render_eml`] wrote (and what a mail sink stored of
/// it): headers with encoded words decoded, and the decoded text parts.
pub mod read {
    /// The value of the first header `name` (case-insensitive) in the
    /// message's top-level header block, unfolded, encoded words decoded.
    pub fn header(raw: &str, name: &str) -> Option<String> {
        let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
        let head = head.split("\n\n").next().unwrap_or(head);
        header_in(head, name)
    }

    fn header_in(block: &str, name: &str) -> Option<String> {
        let mut value: Option<String> = None;
        for line in block.lines() {
            let line = line.trim_end_matches('\r');
            match &mut value {
                Some(v) if line.starts_with(' ') || line.starts_with('\t') => {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                Some(_) => break,
                None => {
                    if let Some((key, rest)) = line.split_once(':')
                        && key.eq_ignore_ascii_case(name)
                    {
                        value = Some(rest.trim().to_string());
                    }
                }
            }
        }
        value.map(|v| decode_words(&v))
    }

    /// Decodes `=?UTF-8?B?...?=` words; whitespace between two words goes.
    pub fn decode_words(value: &str) -> String {
        let mut out = String::new();
        let mut rest = value;
        let mut last_was_word = false;
        loop {
            let Some(start) = rest.find("=?") else {
                out.push_str(rest);
                break;
            };
            let between = &rest[..start];
            if !(last_was_word && between.trim().is_empty()) {
                out.push_str(between);
            }
            let word = &rest[start + 2..];
            let parts: Vec<&str> = word.splitn(3, '?').collect();
            let decoded = (parts.len() == 3 && parts[1].eq_ignore_ascii_case("B"))
                .then(|| parts[2].split_once("?="))
                .flatten()
                .and_then(|(data, after)| {
                    let bytes = decode_base64(data)?;
                    Some((String::from_utf8_lossy(&bytes).into_owned(), after))
                });
            match decoded {
                Some((text, after)) => {
                    out.push_str(&text);
                    rest = after;
                    last_was_word = true;
                }
                None => {
                    out.push_str("=?");
                    rest = word;
                    last_was_word = false;
                }
            }
        }
        out
    }

    /// Standard base64, ignoring whitespace; `None` on anything else.
    pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut acc: u32 = 0;
        let mut bits = 0;
        for c in text.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' | b' ' | b'\r' | b'\n' | b'\t' => continue,
                _ => return None,
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        Some(out)
    }

    /// Every base64 body part as `(content type, decoded bytes)`, in order.
    pub fn parts(raw: &str) -> Vec<(String, Vec<u8>)> {
        let normal = raw.replace("\r\n", "\n");
        let mut found = Vec::new();
        for section in normal.split("\n--") {
            let Some((head, body)) = section.split_once("\n\n") else {
                continue;
            };
            let Some(kind) = header_in(head, "Content-Type") else {
                continue;
            };
            let base64 = header_in(head, "Content-Transfer-Encoding")
                .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
            if kind.starts_with("multipart/") || !base64 {
                continue;
            }
            let data: String = body.lines().take_while(|l| !l.starts_with("--")).collect();
            if let Some(bytes) = decode_base64(&data) {
                found.push((kind, bytes));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use casework::outgoing::Attachment;

    fn message() -> Message {
        Message {
            to: vec!["a@example.org".into(), "b@example.org".into()],
            subject: "[SL-2611-K7Q-X9M-3DZ] 新案件 / New case · 投诉 · 电梯停运三天，无人维修，已经反映多次仍未解决".into(),
            text: "第一行\n第二行\n--=_hotline_alt_0\nFrom: x".into(),
            html: "<p>你好</p>".into(),
            medium: casework::outgoing::Medium::Mail,
            attachments: vec![],
        }
    }

    fn render(m: &Message) -> String {
        String::from_utf8(render_eml(
            "SL-2611/new-case/water",
            "热线中心 <noreply@example.org>",
            m,
        ))
        .expect("the rendering is ASCII")
    }

    #[test]
    fn headers_and_both_parts_read_back() {
        let m = message();
        let raw = render(&m);
        assert!(raw.is_ascii(), "every non-ASCII byte is encoded");
        assert_eq!(
            read::header(&raw, "Subject").as_deref(),
            Some(m.subject.as_str())
        );
        assert_eq!(
            read::header(&raw, "To").as_deref(),
            Some("a@example.org, b@example.org")
        );
        assert_eq!(
            read::header(&raw, "From").as_deref(),
            Some("热线中心 <noreply@example.org>")
        );
        assert_eq!(
            read::header(&raw, "Message-ID").as_deref(),
            Some("<SL-2611/new-case/water@example.org>")
        );
        assert!(raw.contains("Subject: =?UTF-8?B?"));
        for line in raw.split("\r\n") {
            assert!(line.len() <= 78, "line too long: {line}");
            assert!(!line.contains('\r') && !line.contains('\n'));
        }
        let parts = read::parts(&raw);
        assert_eq!(parts.len(), 2, "{raw}");
        assert_eq!(parts[0].0, "text/plain; charset=utf-8");
        assert_eq!(
            String::from_utf8(parts[0].1.clone()).unwrap(),
            "第一行\r\n第二行\r\n--=_hotline_alt_0\r\nFrom: x"
        );
        assert_eq!(parts[1].0, "text/html; charset=utf-8");
        assert_eq!(parts[1].1, "<p>你好</p>".as_bytes());
        // The body's look-alike boundary is inside base64: only ours are lines.
        assert_eq!(raw.matches("\r\n--=_hotline_alt_0\r\n").count(), 2);
    }

    #[test]
    fn an_internationalized_domain_goes_into_to_as_punycode() {
        let mut m = message();
        m.to = vec!["wang@例子.中国".into()];
        let raw = String::from_utf8(render_eml("x", "me@example.org", &m)).unwrap();
        let to = raw
            .split("\r\n")
            .find(|l| l.starts_with("To:"))
            .expect("a To header");
        assert_eq!(to, "To: wang@xn--fsqu00a.xn--fiqs8s");
    }

    #[test]
    fn no_header_injection_through_any_field() {
        let mut m = message();
        m.subject = "hello\r\nBcc: victim@example.org".into();
        m.to = vec!["a@example.org\r\nBcc: victim@example.org".into()];
        let raw = String::from_utf8(render_eml(
            "x\r\nBcc: y",
            "me@example.org\r\nBcc: victim@example.org",
            &m,
        ))
        .unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        for line in head.split("\r\n") {
            assert!(!line.starts_with("Bcc"), "injected header: {line}\n{raw}");
        }
        assert!(!raw.contains('\n') || raw.split('\n').all(|l| l.ends_with('\r') || l.is_empty()));
    }

    #[test]
    fn ascii_subject_stays_readable() {
        let mut m = message();
        m.subject = "[SL-1] New case".into();
        let raw = render(&m);
        assert!(raw.contains("\r\nSubject: [SL-1] New case\r\n"));
        m.subject = "=?UTF-8?B?Zm9v?= spoof".into();
        let raw = render(&m);
        assert_eq!(
            read::header(&raw, "Subject").as_deref(),
            Some("=?UTF-8?B?Zm9v?= spoof")
        );
    }

    #[test]
    fn attachments_make_it_mixed() {
        let mut m = message();
        m.attachments = vec![
            Attachment {
                file_name: "统计 2026-10.csv".into(),
                content_type: "text/csv".into(),
                content: b"a,b\n1,2\n".to_vec(),
            },
            Attachment {
                file_name: "../evil\".bin".into(),
                content_type: "bad type\r\nX: y".into(),
                content: vec![0, 255, 10, 13],
            },
        ];
        let raw = render(&m);
        assert!(raw.contains("Content-Type: multipart/mixed; boundary="));
        assert!(raw.contains("filename*=UTF-8''%E7%BB%9F%E8%AE%A1%202026-10.csv"));
        assert!(raw.contains("Content-Type: application/octet-stream; name=\"..evil.bin\""));
        assert!(!raw.contains("\r\nX: y"));
        let parts = read::parts(&raw);
        assert_eq!(parts.len(), 4, "{raw}");
        assert_eq!(parts[2].1, b"a,b\n1,2\n");
        assert_eq!(parts[3].1, vec![0, 255, 10, 13]);
        assert!(raw.ends_with("--=_hotline_mixed_0--\r\n"));
    }

    #[test]
    fn base64_round_trips() {
        for n in 0..50u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(read::decode_base64(&base64(&bytes)), Some(bytes));
        }
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
    }

    #[test]
    fn file_stems_are_safe_and_distinct() {
        assert_eq!(file_stem("SL-1/new-case/water"), "SL-1_2Fnew-case_2Fwater");
        assert_ne!(file_stem("a/b"), file_stem("a_2Fb"));
        assert_eq!(file_stem("../.."), "_2E_2E_2F_2E_2E");
        assert_eq!(file_stem(""), "_");
    }

    #[test]
    fn dated_when_asked() {
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 23, 2, 0, 0).unwrap();
        let raw = String::from_utf8(render_eml_at("x", "a@b.org", &message(), Some(at))).unwrap();
        assert!(raw.contains("\r\nDate: Mon, 23 Nov 2026 02:00:00 +0000\r\n"));
        assert!(!render(&message()).contains("\r\nDate:"));
    }
}

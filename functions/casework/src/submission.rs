//! What a visitor submits on the web form: cleaned, then checked field by
//! field against the rulebook.
//!
//! [`validate`] turns a [`RawSubmission`] (the form as sent, every field
//! optional text) into a typed [`Submission`], or into [`ValidationErrors`]
//! holding every problem at once together with the cleaned text, so the form
//! can be shown again with everything the visitor typed still in it.
//!
//! Cleaning, for every text field, in this order:
//! 1. control characters go (C0, DEL, C1); multi-line fields keep line
//!    breaks (`\r\n` and `\r` become `\n`); tabs, and line breaks in
//!    single-line fields, become spaces so words do not run together;
//! 2. bidirectional embedding, override and isolate controls go from every
//!    field, since they can make the text a department reads differ from
//!    the text it sees; so does a stray byte-order mark;
//! 3. Unicode NFC (after removal, so that removing a character cannot leave
//!    a sequence that is not NFC); then trimming; empty becomes absent.
//!
//! Lengths are counted in characters (Unicode scalar values), after
//! cleaning. This module does no I/O and knows nothing of how the form is
//! rendered or where the case is stored.
//!
//! Why this file is long: one cleaner and checker per form field, each with its zh/en messages; the field list is the form's, and they are easiest to review against it in one place.

use crate::localized::{Lang, Localized};
use crate::rules::{CaseType, CaseTypeId, CategoryId, Rulebook};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// The form as sent: nothing is trusted, nothing is required yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubmission {
    pub case_type: Option<String>,
    pub category: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub anonymous: Option<bool>,
    /// Who or what the case is about.
    pub subject: Option<String>,
    /// Where it happened.
    pub location: Option<String>,
    /// `YYYY-MM-DD`.
    pub occurred_on: Option<String>,
    /// `YYYY-MM-DD`: by when the complainant needs the case handled, where
    /// the rulebook lets them say (a severity with `own_deadline`).
    pub needed_by: Option<String>,
    pub description: Option<String>,
    /// What the complainant wants.
    pub desired_outcome: Option<String>,
    /// `zh` or `en`.
    pub language: Option<String>,
    pub idempotency_key: Option<String>,
    /// Hidden from people; only form-filling robots put anything here.
    pub website: Option<String>,
}

/// A checked submission, ready to become a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submission {
    pub case_type: CaseTypeId,
    pub category: CategoryId,
    pub contact: Contact,
    /// The visitor asked to stay anonymous and the case type allows it.
    pub anonymous: bool,
    pub subject: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    /// The complainant's own deadline (a local date): the case is to be
    /// completed by closing time that day, if that is earlier than the rule.
    pub needed_by: Option<NaiveDate>,
    pub description: String,
    pub desired_outcome: Option<String>,
    pub language: Lang,
    pub idempotency_key: Option<IdempotencyKey>,
}

/// How long a submission's idempotency key makes a second send a replay
/// of the first: a day. Long enough for every retry a person makes (a
/// double click, a timeout on a slow line, sending again the next morning
/// from the draft); short enough that the key stops linking a device's
/// draft to a tracking number soon after, and that the stores do not keep
/// keys for ever.
pub const IDEMPOTENCY_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(24);

impl Submission {
    /// What a replay is recognised by: the idempotency key bound to a hash
    /// of everything else submitted, so the same key with other content is
    /// another submission, never the earlier case's tracking number handed
    /// to whoever guessed or copied the key. Hex SHA-256 (64 characters);
    /// `None` without a key.
    pub fn replay_key(&self) -> Option<String> {
        use sha2::{Digest, Sha256};
        let key = self.idempotency_key.as_ref()?;
        let mut content = self.clone();
        content.idempotency_key = None;
        let mut hash = Sha256::new();
        hash.update(b"hotline-replay\n");
        hash.update(key.as_str().as_bytes());
        hash.update(b"\n");
        // Derived Debug names every field with its value, quoted and
        // escaped: two different submissions never print the same.
        hash.update(format!("{content:?}").as_bytes());
        Some(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// How to reach the complainant; kept even for anonymous reports when
/// given voluntarily.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<PhoneNumber>,
    pub email: Option<EmailAddress>,
}

/// The form fields, by the names the form uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    CaseType,
    Category,
    Name,
    Phone,
    Email,
    Anonymous,
    Subject,
    Location,
    OccurredOn,
    NeededBy,
    Description,
    DesiredOutcome,
    Language,
    IdempotencyKey,
    /// The files sent with it (photos, documents).
    Evidence,
    /// The submission as a whole, for errors that belong to no one field.
    Form,
}

impl Field {
    /// The form field's name, as in [`RawSubmission`].
    pub fn name(self) -> &'static str {
        match self {
            Field::CaseType => "case_type",
            Field::Category => "category",
            Field::Name => "name",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Anonymous => "anonymous",
            Field::Subject => "subject",
            Field::Location => "location",
            Field::OccurredOn => "occurred_on",
            Field::NeededBy => "needed_by",
            Field::Description => "description",
            Field::DesiredOutcome => "desired_outcome",
            Field::Language => "language",
            Field::IdempotencyKey => "idempotency_key",
            Field::Evidence => "evidence",
            Field::Form => "form",
        }
    }

    /// The field's label, for messages.
    fn label(self) -> Localized {
        match self {
            Field::CaseType => Localized::new("事项类型", "type of case"),
            Field::Category => Localized::new("事项分类", "category"),
            Field::Name => Localized::new("姓名", "name"),
            Field::Phone => Localized::new("联系电话", "phone number"),
            Field::Email => Localized::new("电子邮箱", "e-mail address"),
            Field::Anonymous => Localized::new("匿名", "anonymous"),
            Field::Subject => Localized::new("反映对象", "subject"),
            Field::Location => Localized::new("发生地点", "place"),
            Field::OccurredOn => Localized::new("发生日期", "date"),
            Field::NeededBy => Localized::new("希望办结日期", "date you need it by"),
            Field::Description => Localized::new("具体情况", "description"),
            Field::DesiredOutcome => Localized::new("您的诉求", "desired outcome"),
            Field::Language => Localized::new("语言", "language"),
            Field::IdempotencyKey => Localized::new("表单标识", "form key"),
            Field::Evidence => Localized::new("材料", "files"),
            Field::Form => Localized::new("表单", "form"),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is wrong with a field; stable names for scripts and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A required field is empty.
    Required,
    TooShort,
    TooLong,
    UnknownCaseType,
    UnknownCategory,
    /// Neither a phone number nor an e-mail address, where one is needed.
    ContactMissing,
    /// Anonymous was ticked for a type that does not allow it.
    AnonymousNotAllowed,
    InvalidPhone,
    InvalidEmail,
    InvalidDate,
    FutureDate,
    /// The date is more than two years ago.
    TooOld,
    /// A date the complainant needs the case by that is today or earlier.
    TooSoon,
    /// A date the complainant needs the case by that is after the case
    /// type's own completion limit.
    TooLate,
    /// A date the complainant needs the case by, where the rulebook's
    /// limits alone apply (the category's severity, or a type with no
    /// completion limit).
    NotOffered,
    InvalidIdempotencyKey,
    /// A file that is not a photo or document the office takes, or is
    /// damaged or too large (the message says which).
    FileRefused,
    /// More files than the rulebook's `[evidence] max_files`.
    TooManyFiles,
    /// The files together are larger than `[evidence] max_total_size`.
    FilesTooLarge,
    /// Files were sent where the rulebook takes none.
    FilesNotTaken,
    /// The files were fine but the form was not, and a page shown again
    /// cannot hold files: they must be chosen again.
    ChooseFilesAgain,
    /// The submission was refused as a whole (the honeypot was filled in).
    Rejected,
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: Field,
    pub code: ErrorCode,
    pub message: Localized,
}

/// Every problem found, and the cleaned form to show again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{} problem(s) in the submission", errors.len())]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
    /// What the visitor typed, cleaned; the honeypot is always left empty.
    /// Boxed: the form is large and errors travel through `Result`.
    pub cleaned: Box<RawSubmission>,
}

impl ValidationErrors {
    /// Whether `field` has an error with `code`.
    pub fn has(&self, field: Field, code: ErrorCode) -> bool {
        self.errors
            .iter()
            .any(|e| e.field == field && e.code == code)
    }

    /// The errors of one field, in the order they were found.
    pub fn for_field(&self, field: Field) -> impl Iterator<Item = &FieldError> {
        self.errors.iter().filter(move |e| e.field == field)
    }
}

/// The shortest description that can describe anything, in characters.
pub const DESCRIPTION_MIN_CHARS: usize = 10;

/// How far back an event may lie: the rulebook keeps cases two years, and
/// older events are for other procedures.
const MAX_AGE_MONTHS: u32 = 24;

/// Checks a submission. `today_local` is the office's local date.
pub fn validate(
    raw: &RawSubmission,
    rules: &Rulebook,
    today_local: NaiveDate,
) -> Result<Submission, ValidationErrors> {
    let cleaned = clean(raw);
    let mut errors = Vec::new();

    // A filled honeypot gets one generic error and nothing else, so a robot
    // learns nothing about which field gave it away.
    if raw.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        errors.push(FieldError {
            field: Field::Form,
            code: ErrorCode::Rejected,
            message: Localized::new(
                "很抱歉，您的提交未能受理。请稍后重试，或拨打服务热线反映。",
                "Sorry, we could not accept this submission. \
                 Please try again later, or call the hotline.",
            ),
        });
        return Err(ValidationErrors {
            errors,
            cleaned: Box::new(cleaned),
        });
    }

    let case_type = lookup_case_type(&cleaned, rules, &mut errors);
    let category = lookup_category(&cleaned, rules, &mut errors);

    let name = text_field(Field::Name, &cleaned.name, rules.form.name, &mut errors);
    let subject = text_field(
        Field::Subject,
        &cleaned.subject,
        rules.form.subject,
        &mut errors,
    );
    let location = text_field(
        Field::Location,
        &cleaned.location,
        rules.form.location,
        &mut errors,
    );
    let desired_outcome = text_field(
        Field::DesiredOutcome,
        &cleaned.desired_outcome,
        rules.form.desired_outcome,
        &mut errors,
    );
    let description = description(&cleaned.description, rules.form.description, &mut errors);

    let phone = checked(
        Field::Phone,
        &cleaned.phone,
        rules.form.phone,
        &mut errors,
        |text| PhoneNumber::parse(text).ok(),
        (ErrorCode::InvalidPhone, invalid_phone_message),
    );
    let email = checked(
        Field::Email,
        &cleaned.email,
        rules.form.email,
        &mut errors,
        |text| EmailAddress::parse(text).ok(),
        (ErrorCode::InvalidEmail, invalid_email_message),
    );

    let anonymous = contact_rules(case_type, &cleaned, &mut errors);

    let occurred_on = cleaned
        .occurred_on
        .as_deref()
        .and_then(|text| occurred_on(text, today_local, &mut errors));

    let needed_by = cleaned.needed_by.as_deref().and_then(|text| {
        needed_by(
            text,
            case_type,
            category.as_ref(),
            rules,
            today_local,
            &mut errors,
        )
    });

    let idempotency_key = match cleaned.idempotency_key.as_deref() {
        None => None,
        Some(text) => match IdempotencyKey::new(text) {
            Ok(key) => Some(key),
            Err(_) => {
                errors.push(FieldError {
                    field: Field::IdempotencyKey,
                    code: ErrorCode::InvalidIdempotencyKey,
                    message: Localized::new(
                        "表单信息有误，请再次提交。",
                        "Something went wrong with this form. Please send it again.",
                    ),
                });
                None
            }
        },
    };

    // An unknown language is not the visitor's fault: answer in Chinese.
    let language = cleaned
        .language
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or(Lang::Zh);

    match (case_type, category, description) {
        (Some(case_type), Some(category), Some(description)) if errors.is_empty() => {
            Ok(Submission {
                case_type: case_type.id.clone(),
                category,
                contact: Contact { name, phone, email },
                anonymous,
                subject,
                location,
                occurred_on,
                needed_by,
                description,
                desired_outcome,
                language,
                idempotency_key,
            })
        }
        _ => Err(ValidationErrors {
            errors,
            cleaned: Box::new(cleaned),
        }),
    }
}

// ---------------------------------------------------------------- cleaning

/// How a field's line breaks are treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    Single,
    Multi,
}

/// The cleaned form, field by field, as validation cleans it; the honeypot
/// is dropped so that a form shown again can be sent again.
pub fn clean(raw: &RawSubmission) -> RawSubmission {
    let single = |v: &Option<String>| v.as_deref().and_then(|t| clean_text(t, Lines::Single));
    let multi = |v: &Option<String>| v.as_deref().and_then(|t| clean_text(t, Lines::Multi));
    RawSubmission {
        case_type: single(&raw.case_type),
        category: single(&raw.category),
        name: single(&raw.name),
        phone: single(&raw.phone),
        email: single(&raw.email),
        anonymous: raw.anonymous,
        subject: single(&raw.subject),
        location: multi(&raw.location),
        occurred_on: single(&raw.occurred_on),
        needed_by: single(&raw.needed_by),
        description: multi(&raw.description),
        desired_outcome: multi(&raw.desired_outcome),
        language: single(&raw.language),
        idempotency_key: single(&raw.idempotency_key),
        website: None,
    }
}

/// Bidirectional embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing on their own: zero-width spaces, joiners
/// and marks, the word joiner and invisible operators, the soft hyphen, the
/// combining grapheme joiner, Hangul fillers. Variation selectors are not
/// among them: they end many an emoji.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FFA0}'
    )
}

/// Cleans one text field; `None` when nothing is left.
fn clean_text(text: &str, lines: Lines) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // \r\n is one line break, not two.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(line_break(lines));
            }
            // Unicode's own line and paragraph separators are line breaks too.
            '\n' | '\u{2028}' | '\u{2029}' => out.push(line_break(lines)),
            '\t' => out.push(' '),
            '\u{FEFF}' => {}
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    let normal: String = out.nfc().collect();
    // Invisible characters at either end go too, so a value of nothing but
    // zero-width spaces is empty rather than a name nobody can see.
    let trimmed = normal.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_string())
    }
}

fn line_break(lines: Lines) -> char {
    match lines {
        Lines::Single => ' ',
        Lines::Multi => '\n',
    }
}

// ---------------------------------------------------------------- fields

fn lookup_case_type<'r>(
    cleaned: &RawSubmission,
    rules: &'r Rulebook,
    errors: &mut Vec<FieldError>,
) -> Option<&'r CaseType> {
    let Some(id) = cleaned.case_type.as_deref() else {
        errors.push(required(Field::CaseType));
        return None;
    };
    let found = rules
        .case_type(id)
        .or_else(|| rules.case_type(&id.to_lowercase()));
    if found.is_none() {
        errors.push(FieldError {
            field: Field::CaseType,
            code: ErrorCode::UnknownCaseType,
            message: Localized::new(
                "请从列出的事项类型中选择一项。",
                "Please choose one of the listed types of case.",
            ),
        });
    }
    found
}

fn lookup_category(
    cleaned: &RawSubmission,
    rules: &Rulebook,
    errors: &mut Vec<FieldError>,
) -> Option<CategoryId> {
    let Some(id) = cleaned.category.as_deref() else {
        errors.push(required(Field::Category));
        return None;
    };
    let found = rules
        .category(id)
        .or_else(|| rules.category(&id.to_lowercase()));
    if found.is_none() {
        // The message does not echo the value or list internal ids.
        errors.push(FieldError {
            field: Field::Category,
            code: ErrorCode::UnknownCategory,
            message: Localized::new(
                "请从列出的分类中选择一项。",
                "Please choose one of the listed categories.",
            ),
        });
    }
    found.map(|c| c.id.clone())
}

/// An optional free-text field: only its length is checked.
fn text_field(
    field: Field,
    value: &Option<String>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let text = value.as_deref()?;
    let count = text.chars().count();
    if count > max {
        errors.push(too_long(field, max, count));
        return None;
    }
    Some(text.to_string())
}

fn description(value: &Option<String>, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    let Some(text) = value.as_deref() else {
        errors.push(required(Field::Description));
        return None;
    };
    let count = text.chars().count();
    if count < DESCRIPTION_MIN_CHARS {
        errors.push(FieldError {
            field: Field::Description,
            code: ErrorCode::TooShort,
            message: Localized::new(
                format!(
                    "请把情况写得具体一些（至少{DESCRIPTION_MIN_CHARS}个字，现在是{count}个字）。"
                ),
                format!(
                    "Please tell us a little more (at least {DESCRIPTION_MIN_CHARS} characters; \
                     you wrote {count})."
                ),
            ),
        });
        return None;
    }
    if count > max {
        errors.push(too_long(Field::Description, max, count));
        return None;
    }
    Some(text.to_string())
}

/// A field with a length limit and a format: one error at most, the length
/// first because a too-long value is usually pasted by mistake.
fn checked<T>(
    field: Field,
    value: &Option<String>,
    max: usize,
    errors: &mut Vec<FieldError>,
    parse: impl Fn(&str) -> Option<T>,
    (code, message): (ErrorCode, fn() -> Localized),
) -> Option<T> {
    let text = value.as_deref()?;
    let count = text.chars().count();
    if count > max {
        errors.push(too_long(field, max, count));
        return None;
    }
    let parsed = parse(text);
    if parsed.is_none() {
        errors.push(FieldError {
            field,
            code,
            message: message(),
        });
    }
    parsed
}

/// Applies the case type's contact and anonymity rules; returns whether the
/// submission is anonymous. Without a known type there is nothing to apply.
fn contact_rules(
    case_type: Option<&CaseType>,
    cleaned: &RawSubmission,
    errors: &mut Vec<FieldError>,
) -> bool {
    let Some(case_type) = case_type else {
        return false;
    };
    let wants_anonymous = cleaned.anonymous == Some(true);
    if wants_anonymous && !case_type.anonymous_allowed {
        errors.push(FieldError {
            field: Field::Anonymous,
            code: ErrorCode::AnonymousNotAllowed,
            message: Localized::new(
                format!(
                    "“{}”类事项不能匿名提交，请取消匿名并留下联系方式。",
                    case_type.name.get(Lang::Zh)
                ),
                format!(
                    "This type of case ({}) cannot be sent anonymously. Please untick \
                     \"anonymous\" and leave your contact details.",
                    case_type.name.get(Lang::En)
                ),
            ),
        });
    }
    let anonymous = wants_anonymous && case_type.anonymous_allowed;
    if case_type.contact_required && !anonymous {
        // What was typed counts here: a value that is too long or badly
        // formed already has its own, more precise error.
        if cleaned.name.is_none() {
            errors.push(required(Field::Name));
        }
        if cleaned.phone.is_none() && cleaned.email.is_none() {
            errors.push(FieldError {
                field: Field::Phone,
                code: ErrorCode::ContactMissing,
                message: Localized::new(
                    "请填写联系电话或电子邮箱，以便我们答复您。",
                    "Please give a phone number or an e-mail address so that we can reply to you.",
                ),
            });
        }
    }
    anonymous
}

fn occurred_on(text: &str, today: NaiveDate, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let mut push = |code, message| {
        errors.push(FieldError {
            field: Field::OccurredOn,
            code,
            message,
        })
    };
    let Some(date) = parse_date(text) else {
        push(
            ErrorCode::InvalidDate,
            Localized::new(
                "请按“年-月-日”填写日期，例如 2026-03-05。",
                "Please write the date as year-month-day, for example 2026-03-05.",
            ),
        );
        return None;
    };
    if date > today {
        push(
            ErrorCode::FutureDate,
            Localized::new(
                "发生日期不能晚于今天，请核对。",
                "The date cannot be after today. Please check it.",
            ),
        );
        return None;
    }
    let earliest = today.checked_sub_months(Months::new(MAX_AGE_MONTHS));
    if earliest.is_some_and(|earliest| date < earliest) {
        push(
            ErrorCode::TooOld,
            Localized::new(
                "网上只能反映两年内发生的事项；更早的事项请拨打服务热线咨询。",
                "Online we can only take up events of the last two years; \
                 for older ones, please call the hotline.",
            ),
        );
        return None;
    }
    Some(date)
}

/// The complainant's own deadline: a date after today, no later than the
/// case type's own completion limit counted from today, for a category
/// whose severity takes it. Unknown type or category: their own errors say
/// so, and the date is not checked further.
fn needed_by(
    text: &str,
    case_type: Option<&CaseType>,
    category: Option<&CategoryId>,
    rules: &Rulebook,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let mut push = |code, message| {
        errors.push(FieldError {
            field: Field::NeededBy,
            code,
            message,
        })
    };
    let Some(date) = parse_date(text) else {
        push(
            ErrorCode::InvalidDate,
            Localized::new(
                "请按“年-月-日”填写希望办结日期，例如 2026-03-05。",
                "Please write the date you need it by as year-month-day, for example 2026-03-05.",
            ),
        );
        return None;
    };
    let (case_type, category) = (case_type?, category?);
    let takes_own = rules
        .category(category.as_str())
        .and_then(|c| rules.severity(c.default_severity.as_str()))
        .is_some_and(|s| s.own_deadline);
    let latest = case_type
        .limits
        .complete
        .map(|limit| rules.calendar.last_day_of(today, limit));
    let Some(latest) = latest.filter(|_| takes_own) else {
        push(
            ErrorCode::NotOffered,
            Localized::new(
                "这一类诉求按规定时限办理，不能另定办结日期。请清空“希望办结日期”后再提交。",
                "Cases of this kind are handled within the published time limits;                  they cannot take a date of your own. Please clear \"date you need it by\" and send again.",
            ),
        );
        return None;
    };
    if date <= today {
        push(
            ErrorCode::TooSoon,
            Localized::new(
                "希望办结日期最早为明天，请核对。",
                "The date you need it by can be tomorrow at the earliest. Please check it.",
            ),
        );
        return None;
    }
    if date > latest {
        let shown = latest.format("%Y-%m-%d");
        push(
            ErrorCode::TooLate,
            Localized::new(
                format!("这一类诉求最迟在 {shown} 前办结，希望办结日期不能晚于这一天。"),
                format!(
                    "Cases of this type are completed by {shown} at the latest;                      the date you need it by cannot be later."
                ),
            ),
        );
        return None;
    }
    Some(date)
}

/// `YYYY-MM-DD`; `/` and `.` are accepted as separators and the month and
/// day may have one digit, as people write dates by hand. Full-width digits
/// are folded first.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let folded: String = text.nfkc().collect();
    let mut parts = folded.split(['-', '/', '.']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(y, 4..=4) || !digits(m, 1..=2) || !digits(d, 1..=2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

// ---------------------------------------------------------------- messages

fn required(field: Field) -> FieldError {
    let label = field.label();
    FieldError {
        field,
        code: ErrorCode::Required,
        message: Localized::new(
            format!("请填写{}。", label.get(Lang::Zh)),
            format!("Please fill in the {}.", label.get(Lang::En)),
        ),
    }
}

fn too_long(field: Field, max: usize, count: usize) -> FieldError {
    let label = field.label();
    FieldError {
        field,
        code: ErrorCode::TooLong,
        message: Localized::new(
            format!(
                "{}最多{max}个字，现在是{count}个字，请精简。",
                label.get(Lang::Zh)
            ),
            format!(
                "The {} can be at most {max} characters long; it has {count}. Please shorten it.",
                label.get(Lang::En)
            ),
        ),
    }
}

fn invalid_phone_message() -> Localized {
    Localized::new(
        "请填写正确的联系电话，例如 13812345678 或 010-12345678。",
        "Please give a valid phone number, for example 13812345678 or 010-12345678.",
    )
}

fn invalid_email_message() -> Localized {
    Localized::new(
        "请填写正确的电子邮箱，例如 name@example.com。",
        "Please give a valid e-mail address, for example name@example.com.",
    )
}

// ---------------------------------------------------------------- newtypes

/// Why a phone number, e-mail address or idempotency key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("not a phone number")]
    Phone,
    #[error("not an e-mail address")]
    Email,
    #[error("not an idempotency key (8 to 64 of A-Z, a-z, 0-9, _ and -)")]
    IdempotencyKey,
}

/// A phone number in normalised form: digits only for mainland numbers
/// (`+86` is dropped, a landline keeps its leading `0`), `+` and digits for
/// numbers abroad.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Reads a phone number as people write it: spaces, hyphens and
    /// parentheses anywhere; full-width digits; `00` for `+`.
    pub fn parse(text: &str) -> Result<PhoneNumber, FormatError> {
        let folded: String = text.nfkc().collect();
        let mut compact: String = folded
            .chars()
            .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '(' | ')')))
            .collect();
        if let Some(rest) = compact.strip_prefix("00") {
            compact = format!("+{rest}");
        }
        let (international, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if !(5..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FormatError::Phone);
        }
        let normal = if international {
            match digits.strip_prefix("86") {
                Some(national) if is_mobile(national) => national.to_string(),
                // Abroad a landline drops its trunk `0`; at home it needs it.
                Some(national) if is_landline(&format!("0{national}")) => format!("0{national}"),
                Some(_) => return Err(FormatError::Phone),
                None => format!("+{digits}"),
            }
        } else if is_mobile(digits) || is_landline(digits) || is_short(digits) {
            digits.to_string()
        } else {
            return Err(FormatError::Phone);
        };
        Ok(PhoneNumber(normal))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number in E.164 form (`+8613812345678`) when it is a mainland
    /// mobile, the only kind a text message is sent to; `None` for a
    /// landline, a service number or a number abroad.
    pub fn mainland_mobile(&self) -> Option<String> {
        is_mobile(&self.0).then(|| format!("+86{}", self.0))
    }
}

/// Mainland mobile: `1[3-9]` and nine more digits.
fn is_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// Mainland landline with area code: `0`, then 9 to 11 digits. An area
/// code never starts with 0 (that is the international prefix), and the only
/// one starting with 1 is Beijing's `10`, always followed by 8 digits.
fn is_landline(digits: &str) -> bool {
    let b = digits.as_bytes();
    (10..=12).contains(&b.len())
        && b[0] == b'0'
        && match b[1] {
            b'0' => false,
            b'1' => b[2] == b'0' && b.len() == 11,
            _ => true,
        }
}

/// Service numbers such as 12345 and local numbers without area code.
fn is_short(digits: &str) -> bool {
    (5..=8).contains(&digits.len()) && !digits.starts_with('0')
}

impl TryFrom<String> for PhoneNumber {
    type Error = FormatError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> String {
        value.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address: the local part as written, the domain lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

/// Longest address that fits in a mail path.
const EMAIL_MAX_CHARS: usize = 254;
const EMAIL_LOCAL_MAX_CHARS: usize = 64;
const DOMAIN_LABEL_MAX_CHARS: usize = 63;

impl EmailAddress {
    /// Checks the shape only; whether the mailbox exists is for the mailer.
    /// Full-width characters from Chinese input methods (`＠`) are folded.
    pub fn parse(text: &str) -> Result<EmailAddress, FormatError> {
        let folded: String = text.nfkc().collect();
        let folded = folded.trim();
        if folded.chars().count() > EMAIL_MAX_CHARS {
            return Err(FormatError::Email);
        }
        let mut parts = folded.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(FormatError::Email);
        };
        // Besides spaces and controls, characters that separate or quote
        // addresses in a mail header are refused, so that one field can
        // never name two recipients.
        let local_ok = (1..=EMAIL_LOCAL_MAX_CHARS).contains(&local.chars().count())
            && local.chars().all(|c| {
                !c.is_whitespace()
                    && !c.is_control()
                    && !matches!(
                        c,
                        ',' | ';' | '<' | '>' | '(' | ')' | '[' | ']' | '\\' | '"' | ':'
                    )
            });
        let domain = domain.to_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                (1..=DOMAIN_LABEL_MAX_CHARS).contains(&label.chars().count())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c == '-' || c.is_alphanumeric())
            });
        if !local_ok || !domain_ok {
            return Err(FormatError::Email);
        }
        Ok(EmailAddress(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = FormatError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> String {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key the form sends so that a submission sent twice (a double click, a
/// retry after a timeout) becomes one case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(text: &str) -> Result<IdempotencyKey, FormatError> {
        let ok = (8..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(IdempotencyKey(text.to_string()))
        } else {
            Err(FormatError::IdempotencyKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = FormatError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        IdempotencyKey::new(&value)
    }
}

impl From<IdempotencyKey> for String {
    fn from(value: IdempotencyKey) -> String {
        value.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
pub(crate) fn sample_rulebook() -> Rulebook {
    use crate::calendar::Calendar;
    use crate::rules::{
        Category, Department, DepartmentId, Extensions, FollowUp, FormLimits, Limits, Office,
        Reminders, Retention, SeverityId, SeverityLevel, Statistics, WhenUnsatisfied,
    };
    use crate::time_limit::TimeLimit;

    let case_type = |id: &str, zh: &str, en: &str, contact: bool, anonymous: bool| CaseType {
        id: CaseTypeId::new(id),
        name: Localized::new(zh, en),
        description: Localized::default(),
        limits: Limits {
            accept: Some(TimeLimit::working_days(1)),
            complete: Some(TimeLimit::working_days(15)),
            ..Limits::default()
        },
        contact_required: contact,
        anonymous_allowed: anonymous,
        identity_withheld: id == "report",
        max_extension: None,
        severity_shortens_completion: true,
        raise_unresolved: None,
        answer_wait: None,
    };
    let category = |id: &str, department: &str| Category {
        id: CategoryId::new(id),
        name: Localized::new(id, id),
        description: Localized::default(),
        department: DepartmentId::new(department),
        default_severity: SeverityId::new("minor"),
    };
    let department = |id: &str| Department {
        id: DepartmentId::new(id),
        name: Localized::new(id, id),
        inboxes: vec![format!("{id}@office.test")],
        escalation: Vec::new(),
        report_inboxes: Vec::new(),
    };
    Rulebook {
        office: Office {
            name: Localized::new("热线中心", "Hotline centre"),
            department: DepartmentId::new("office"),
            management: Vec::new(),
            tracking_prefix: "TS".to_string(),
            hotline: "12345".to_string(),
            reroute_within: TimeLimit::working_days(1),
        },
        calendar: Calendar::default(),
        case_types: vec![
            case_type("consultation", "咨询", "Consultation", false, true),
            case_type("complaint", "投诉", "Complaint", true, false),
            case_type("report", "举报", "Report", true, true),
            case_type("praise", "表扬", "Praise", false, false),
        ],
        severities: vec![SeverityLevel {
            id: SeverityId::new("minor"),
            name: Localized::new("轻微", "Minor"),
            description: Localized::default(),
            limits: Limits::default(),
            notify_supervisor: false,
            own_deadline: true,
            extension_approver: None,
        }],
        categories: vec![
            category("water-supply", "water"),
            category("roads", "office"),
        ],
        departments: vec![department("office"), department("water")],
        reminders: Reminders {
            before: TimeLimit::working_hours(4),
        },
        follow_up: FollowUp {
            after: TimeLimit::working_days(3),
            open_for: TimeLimit::calendar_days(30),
            when_unsatisfied: WhenUnsatisfied::Reopen,
            ..FollowUp::default()
        },
        extensions: Extensions {
            reason_required: true,
            ask_before_deadline: true,
            max: TimeLimit::working_days(15),
            approver: None,
        },
        retention: Retention { years: 2 },
        statistics: Statistics { working_day: 1 },
        duplicates: crate::rules::Duplicates::default(),
        form: FormLimits::default(),
        evidence: None,
        text_messages: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date")
    }

    fn s(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    /// A complaint that passes, to be spoiled one field at a time.
    fn good() -> RawSubmission {
        RawSubmission {
            case_type: s("complaint"),
            category: s("water-supply"),
            name: s("张三"),
            phone: s("138 1234 5678"),
            email: None,
            anonymous: None,
            subject: s("某小区物业"),
            location: s("人民路1号"),
            occurred_on: s("2026-11-02"),
            needed_by: None,
            description: s("小区停水三天，物业一直没有答复。"),
            desired_outcome: s("尽快恢复供水。"),
            language: s("zh"),
            idempotency_key: s("form-2026_abcdef"),
            website: None,
        }
    }

    fn check(raw: &RawSubmission) -> Result<Submission, ValidationErrors> {
        validate(raw, &sample_rulebook(), today())
    }

    fn errors_of(raw: &RawSubmission) -> ValidationErrors {
        match check(raw) {
            Ok(sub) => panic!("expected errors, got {sub:?}"),
            Err(e) => e,
        }
    }

    fn codes(e: &ValidationErrors) -> Vec<(Field, ErrorCode)> {
        e.errors.iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn the_replay_key_binds_the_idempotency_key_to_the_content() {
        let first = check(&good()).expect("valid");
        let key = first.replay_key().expect("a key was sent");
        assert_eq!(key.len(), 64);
        assert!(!key.contains("form-2026"));
        // The same submission again replays.
        assert_eq!(
            check(&good()).expect("valid").replay_key(),
            Some(key.clone())
        );
        // The same key with other content does not.
        let mut other = good();
        other.description = s("另一件事：路灯坏了两个星期。");
        assert_ne!(
            check(&other).expect("valid").replay_key(),
            Some(key.clone())
        );
        let mut other = good();
        other.phone = s("139 1234 5678");
        assert_ne!(
            check(&other).expect("valid").replay_key(),
            Some(key.clone())
        );
        // Another key with the same content is another submission too.
        let mut other = good();
        other.idempotency_key = s("form-2026_zzzzzz");
        assert_ne!(check(&other).expect("valid").replay_key(), Some(key));
        let mut none = good();
        none.idempotency_key = None;
        assert_eq!(check(&none).expect("valid").replay_key(), None);
    }

    #[test]
    fn a_good_complaint_is_accepted_and_typed() {
        let mut raw = good();
        raw.email = s("Zhang.San@Example.COM");
        raw.language = s("en");
        let sub = check(&raw).expect("valid");
        assert_eq!(sub.case_type.as_str(), "complaint");
        assert_eq!(sub.category.as_str(), "water-supply");
        assert_eq!(sub.contact.name.as_deref(), Some("张三"));
        assert_eq!(
            sub.contact.phone.as_ref().map(PhoneNumber::as_str),
            Some("13812345678")
        );
        assert_eq!(
            sub.contact.email.as_ref().map(EmailAddress::as_str),
            Some("Zhang.San@example.com")
        );
        assert!(!sub.anonymous);
        assert_eq!(sub.occurred_on, NaiveDate::from_ymd_opt(2026, 11, 2));
        assert_eq!(sub.language, Lang::En);
        assert_eq!(
            sub.idempotency_key.as_ref().map(IdempotencyKey::as_str),
            Some("form-2026_abcdef")
        );
        assert_eq!(sub.subject.as_deref(), Some("某小区物业"));
        assert_eq!(sub.desired_outcome.as_deref(), Some("尽快恢复供水。"));
    }

    #[test]
    fn every_error_code_is_reported_where_it_belongs() {
        type Spoil = Box<dyn Fn(&mut RawSubmission)>;
        let cases: Vec<(Spoil, Field, ErrorCode)> = vec![
            (
                Box::new(|r| r.case_type = None),
                Field::CaseType,
                ErrorCode::Required,
            ),
            (
                Box::new(|r| r.category = s("  ")),
                Field::Category,
                ErrorCode::Required,
            ),
            (
                Box::new(|r| r.description = None),
                Field::Description,
                ErrorCode::Required,
            ),
            (
                Box::new(|r| r.name = None),
                Field::Name,
                ErrorCode::Required,
            ),
            (
                Box::new(|r| r.description = s("太短了")),
                Field::Description,
                ErrorCode::TooShort,
            ),
            (
                Box::new(|r| r.subject = Some("物".repeat(101))),
                Field::Subject,
                ErrorCode::TooLong,
            ),
            (
                Box::new(|r| r.case_type = s("rumour")),
                Field::CaseType,
                ErrorCode::UnknownCaseType,
            ),
            (
                Box::new(|r| r.category = s("secret-dept")),
                Field::Category,
                ErrorCode::UnknownCategory,
            ),
            (
                Box::new(|r| r.phone = None),
                Field::Phone,
                ErrorCode::ContactMissing,
            ),
            (
                Box::new(|r| r.anonymous = Some(true)),
                Field::Anonymous,
                ErrorCode::AnonymousNotAllowed,
            ),
            (
                Box::new(|r| r.phone = s("12-34")),
                Field::Phone,
                ErrorCode::InvalidPhone,
            ),
            (
                Box::new(|r| r.email = s("zhang@localhost")),
                Field::Email,
                ErrorCode::InvalidEmail,
            ),
            (
                Box::new(|r| r.occurred_on = s("2026-02-30")),
                Field::OccurredOn,
                ErrorCode::InvalidDate,
            ),
            (
                Box::new(|r| r.occurred_on = s("2026-11-21")),
                Field::OccurredOn,
                ErrorCode::FutureDate,
            ),
            (
                Box::new(|r| r.occurred_on = s("2024-11-19")),
                Field::OccurredOn,
                ErrorCode::TooOld,
            ),
            (
                Box::new(|r| r.idempotency_key = s("short")),
                Field::IdempotencyKey,
                ErrorCode::InvalidIdempotencyKey,
            ),
            (
                Box::new(|r| r.website = s("http://spam.test")),
                Field::Form,
                ErrorCode::Rejected,
            ),
        ];
        for (spoil, field, code) in cases {
            let mut raw = good();
            spoil(&mut raw);
            let e = errors_of(&raw);
            assert_eq!(codes(&e), vec![(field, code)], "{field}");
            let message = &e.errors[0].message;
            assert!(!message.zh.is_empty() && message.has(Lang::En), "{field}");
            assert_ne!(message.get(Lang::Zh), message.get(Lang::En), "{field}");
        }
    }

    #[test]
    fn all_errors_come_together_and_nothing_typed_is_lost() {
        let raw = RawSubmission {
            case_type: s("complaint"),
            category: s("nowhere"),
            name: None,
            phone: s("call me"),
            email: s("not-an-address"),
            anonymous: Some(true),
            subject: s("桥"),
            location: s("河边\r\n东侧"),
            occurred_on: s("yesterday"),
            needed_by: s("2026-11-19"),
            description: s("坏了"),
            desired_outcome: Some("修".repeat(1001)),
            language: s("en"),
            idempotency_key: s("bad key!"),
            website: None,
        };
        let e = errors_of(&raw);
        assert_eq!(
            codes(&e),
            vec![
                (Field::Category, ErrorCode::UnknownCategory),
                (Field::DesiredOutcome, ErrorCode::TooLong),
                (Field::Description, ErrorCode::TooShort),
                (Field::Phone, ErrorCode::InvalidPhone),
                (Field::Email, ErrorCode::InvalidEmail),
                (Field::Anonymous, ErrorCode::AnonymousNotAllowed),
                (Field::Name, ErrorCode::Required),
                (Field::OccurredOn, ErrorCode::InvalidDate),
                (Field::IdempotencyKey, ErrorCode::InvalidIdempotencyKey),
            ]
        );
        assert!(e.has(Field::Name, ErrorCode::Required));
        assert_eq!(e.for_field(Field::Phone).count(), 1);
        // What was typed comes back, cleaned, for the form to show again.
        let kept = &e.cleaned;
        assert_eq!(kept.phone.as_deref(), Some("call me"));
        assert_eq!(kept.location.as_deref(), Some("河边\n东侧"));
        assert_eq!(kept.description.as_deref(), Some("坏了"));
        assert_eq!(
            kept.desired_outcome.as_ref().map(|t| t.chars().count()),
            Some(1001)
        );
        assert_eq!(kept.occurred_on.as_deref(), Some("yesterday"));
        assert_eq!(kept.needed_by.as_deref(), Some("2026-11-19"));
        assert_eq!(kept.anonymous, Some(true));
        assert_eq!(kept.language.as_deref(), Some("en"));
    }

    #[test]
    fn the_honeypot_gives_one_generic_error_and_keeps_the_text() {
        let mut raw = good();
        raw.website = s("http://spam.test");
        raw.description = s("短");
        let e = errors_of(&raw);
        assert_eq!(codes(&e), vec![(Field::Form, ErrorCode::Rejected)]);
        assert!(!e.errors[0].message.get(Lang::En).contains("website"));
        assert_eq!(e.cleaned.website, None);
        assert_eq!(e.cleaned.description.as_deref(), Some("短"));
        // Whitespace only is how browsers send an untouched field.
        raw.website = s("  ");
        raw.description = good().description;
        assert!(check(&raw).is_ok());
    }

    #[test]
    fn cleaning_normalises_and_strips_what_cannot_be_shown() {
        let mut raw = good();
        raw.name = s("  Rene\u{301}\u{7}e\u{202E}\u{2066}  ");
        raw.subject = s("第一行\n第二行\t尾\u{85}");
        raw.description = s("\u{FEFF}第一行\r\n第二行\r第三行\t结束\u{0}\u{7F}\u{9B}\u{202D}。");
        raw.location = s("路口\u{2069}\r\n北侧");
        raw.desired_outcome = s("\n\n  \t ");
        let sub = check(&raw).expect("valid");
        assert_eq!(sub.contact.name.as_deref(), Some("Renée"));
        assert_eq!(sub.subject.as_deref(), Some("第一行 第二行 尾"));
        assert_eq!(sub.description, "第一行\n第二行\n第三行 结束。");
        assert_eq!(sub.location.as_deref(), Some("路口\n北侧"));
        assert_eq!(sub.desired_outcome, None);
    }

    #[test]
    fn removing_a_control_cannot_leave_text_that_is_not_nfc() {
        // e, BEL, combining acute: the BEL kept them apart before cleaning.
        let cleaned = clean_text("Caf e\u{7}\u{301}", Lines::Single);
        assert_eq!(cleaned.as_deref(), Some("Caf \u{e9}"));
    }

    #[test]
    fn anonymous_reports_where_the_type_allows_it() {
        let mut raw = good();
        raw.case_type = s("report");
        raw.anonymous = Some(true);
        raw.name = None;
        raw.phone = None;
        let sub = check(&raw).expect("anonymous report");
        assert!(sub.anonymous);
        assert_eq!(sub.contact, Contact::default());

        // Contact given voluntarily is kept.
        raw.phone = s("+86 139-0000-1111");
        raw.name = s("李四");
        let sub = check(&raw).expect("anonymous report with contact");
        assert!(sub.anonymous);
        assert_eq!(sub.contact.name.as_deref(), Some("李四"));
        assert_eq!(
            sub.contact.phone.map(String::from).as_deref(),
            Some("13900001111")
        );

        // Not anonymous: the report type needs contact details.
        raw.anonymous = Some(false);
        raw.name = None;
        raw.phone = None;
        let e = errors_of(&raw);
        assert_eq!(
            codes(&e),
            vec![
                (Field::Name, ErrorCode::Required),
                (Field::Phone, ErrorCode::ContactMissing),
            ]
        );
    }

    #[test]
    fn anonymous_is_refused_where_the_type_does_not_allow_it() {
        let mut raw = good();
        raw.anonymous = Some(true);
        raw.name = None;
        raw.phone = None;
        let e = errors_of(&raw);
        assert_eq!(
            codes(&e),
            vec![
                (Field::Anonymous, ErrorCode::AnonymousNotAllowed),
                (Field::Name, ErrorCode::Required),
                (Field::Phone, ErrorCode::ContactMissing),
            ]
        );
        assert!(e.errors[0].message.get(Lang::Zh).contains("投诉"));
        // Praise needs no contact, but still cannot be anonymous.
        let mut praise = good();
        praise.case_type = s("praise");
        praise.anonymous = Some(true);
        assert_eq!(
            codes(&errors_of(&praise)),
            vec![(Field::Anonymous, ErrorCode::AnonymousNotAllowed)]
        );
        // A consultation needs no contact at all.
        let mut consultation = good();
        consultation.case_type = s("Consultation");
        consultation.name = None;
        consultation.phone = None;
        let sub = check(&consultation).expect("no contact needed");
        assert!(!sub.anonymous);
        assert_eq!(sub.case_type.as_str(), "consultation");
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        let mut raw = good();
        raw.name = Some("张".repeat(50));
        raw.subject = Some("😀".repeat(100));
        raw.description = Some("🚰".repeat(10));
        let sub = check(&raw).expect("at the limits");
        assert_eq!(sub.subject.map(|t| t.len()), Some(400));

        raw.name = Some("张".repeat(51));
        raw.subject = Some("😀".repeat(101));
        raw.description = Some("🚰".repeat(9));
        let e = errors_of(&raw);
        assert_eq!(
            codes(&e),
            vec![
                (Field::Name, ErrorCode::TooLong),
                (Field::Subject, ErrorCode::TooLong),
                (Field::Description, ErrorCode::TooShort),
            ]
        );
        assert!(e.errors[0].message.get(Lang::Zh).contains("51"));
        assert!(e.errors[2].message.get(Lang::En).contains("you wrote 9"));
    }

    #[test]
    fn phone_numbers_accepted_and_normalised() {
        for (typed, normal) in [
            ("13812345678", "13812345678"),
            ("138 1234 5678", "13812345678"),
            ("138-1234-5678", "13812345678"),
            ("+86 138 1234 5678", "13812345678"),
            ("0086 19912345678", "19912345678"),
            ("１３８１２３４５６７８", "13812345678"),
            ("(010) 1234 5678", "01012345678"),
            ("0755-1234567", "07551234567"),
            ("021-123456789", "021123456789"),
            ("+86 10 1234 5678", "01012345678"),
            ("12345", "12345"),
            ("95588", "95588"),
            ("6234 5678", "62345678"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+1 (202) 555-0142", "+12025550142"),
        ] {
            assert_eq!(
                PhoneNumber::parse(typed).map(String::from).as_deref(),
                Ok(normal),
                "{typed}"
            );
        }
    }

    #[test]
    fn only_mainland_mobiles_get_texts() {
        for (typed, mobile) in [
            ("138 1234 5678", Some("+8613812345678")),
            ("+86 199 0000 1111", Some("+8619900001111")),
            ("010-1234-5678", None),
            ("12345", None),
            ("+44 20 7946 0958", None),
            ("+1 (202) 555-0142", None),
        ] {
            let phone = PhoneNumber::parse(typed).expect(typed);
            assert_eq!(phone.mainland_mobile().as_deref(), mobile, "{typed}");
        }
    }

    #[test]
    fn phone_numbers_rejected() {
        for typed in [
            "",
            "1234",
            "12812345678",
            "1381234567",
            "138123456789",
            "010-1234",
            "0123456789012",
            "001",
            "+",
            "+86 12812345678",
            "+86 12345",
            "+1234567890123456",
            "138 1234 567x",
            "138.1234.5678",
            "+86+13812345678",
            "13812345678 ext 5",
            "012345",
            "123456789",
            "0128-1234-5678",
            "010-1234567",
        ] {
            assert_eq!(
                PhoneNumber::parse(typed),
                Err(FormatError::Phone),
                "{typed}"
            );
        }
    }

    #[test]
    fn email_addresses_accepted() {
        for (typed, normal) in [
            ("a@b.cn", "a@b.cn"),
            (
                "Zhang.San+hotline@Mail.Example.COM",
                "Zhang.San+hotline@mail.example.com",
            ),
            (
                "user_1@sub-domain.example.org",
                "user_1@sub-domain.example.org",
            ),
            ("张三@例子.中国", "张三@例子.中国"),
            ("li＠example．com", "li@example.com"),
            ("o'brien@ÉCOLE.fr", "o'brien@école.fr"),
        ] {
            assert_eq!(
                EmailAddress::parse(typed).map(String::from).as_deref(),
                Ok(normal),
                "{typed}"
            );
        }
        let longest = format!("{}@{}.cn", "a".repeat(64), "b".repeat(63));
        assert!(EmailAddress::parse(&longest).is_ok());
    }

    #[test]
    fn email_addresses_rejected() {
        let too_long = format!("a@{}.cn", vec!["b".repeat(60); 5].join("."));
        for typed in [
            "",
            "plainaddress",
            "@example.com",
            "a@@example.com",
            "a@b@example.com",
            "a@example",
            "a@.example.com",
            "a@example..com",
            "a@example.com.",
            "a@-example.com",
            "a@example-.com",
            "a@exa_mple.com",
            "a b@example.com",
            "a@exam ple.com",
            "a\u{7}@example.com",
            "a,b@example.com",
            "<a>@example.com",
            &format!("{}@example.com", "a".repeat(65)),
            &format!("a@{}.com", "b".repeat(64)),
            &too_long,
        ] {
            assert_eq!(
                EmailAddress::parse(typed),
                Err(FormatError::Email),
                "{typed}"
            );
        }
    }

    #[test]
    fn dates_are_checked_against_today() {
        let date = |text: &str| {
            let mut raw = good();
            raw.occurred_on = s(text);
            match check(&raw) {
                Ok(sub) => Ok(sub.occurred_on),
                Err(e) => Err(codes(&e)),
            }
        };
        let day = |y, m, d| Ok(NaiveDate::from_ymd_opt(y, m, d));
        assert_eq!(date("2026-11-20"), day(2026, 11, 20));
        assert_eq!(date("2024-11-20"), day(2024, 11, 20));
        assert_eq!(date("2026/3/5"), day(2026, 3, 5));
        assert_eq!(date("２０２６－０３－０５"), day(2026, 3, 5));
        let err = |code| Err(vec![(Field::OccurredOn, code)]);
        assert_eq!(date("2024-11-19"), err(ErrorCode::TooOld));
        assert_eq!(date("2026-11-21"), err(ErrorCode::FutureDate));
        assert_eq!(date("9999-12-31"), err(ErrorCode::FutureDate));
        for bad in [
            "2026-13-01",
            "26-03-05",
            "2026-3",
            "2026-03-05-01",
            "+2026-03-05",
            "2026-1-",
        ] {
            assert_eq!(date(bad), err(ErrorCode::InvalidDate), "{bad}");
        }
        let mut raw = good();
        raw.occurred_on = None;
        assert_eq!(check(&raw).map(|s| s.occurred_on), Ok(None));
    }

    /// Friday 20 November 2026; a complaint's 15 working days (no holidays
    /// in this calendar) run out on Friday 11 December.
    #[test]
    fn the_complainants_own_deadline_lies_between_tomorrow_and_the_types_limit() {
        let needed = |rules: &Rulebook, text: &str| {
            let mut raw = good();
            raw.needed_by = s(text);
            match validate(&raw, rules, today()) {
                Ok(sub) => Ok(sub.needed_by),
                Err(e) => {
                    assert_eq!(e.cleaned.needed_by.as_deref(), Some(text), "kept as typed");
                    Err(codes(&e))
                }
            }
        };
        let rules = sample_rulebook();
        let day = |y, m, d| Ok(NaiveDate::from_ymd_opt(y, m, d));
        assert_eq!(needed(&rules, "2026-11-21"), day(2026, 11, 21));
        assert_eq!(needed(&rules, "2026/12/11"), day(2026, 12, 11));
        let err = |code| Err(vec![(Field::NeededBy, code)]);
        assert_eq!(needed(&rules, "2026-12-12"), err(ErrorCode::TooLate));
        assert_eq!(needed(&rules, "2026-11-20"), err(ErrorCode::TooSoon));
        assert_eq!(needed(&rules, "2026-01-01"), err(ErrorCode::TooSoon));
        assert_eq!(needed(&rules, "next week"), err(ErrorCode::InvalidDate));
        let mut raw = good();
        raw.needed_by = None;
        assert_eq!(check(&raw).map(|s| s.needed_by), Ok(None));

        // The latest day is in the visitor's language, and is the type's.
        let mut raw = good();
        raw.needed_by = s("2027-01-04");
        let e = validate(&raw, &rules, today()).unwrap_err();
        assert!(e.errors[0].message.get(Lang::Zh).contains("2026-12-11"));
        assert!(e.errors[0].message.get(Lang::En).contains("by 2026-12-11"));

        // Where the category's severity does not take it, or the type has
        // no completion limit, the rulebook's limits alone apply.
        let mut fixed = sample_rulebook();
        fixed.severities[0].own_deadline = false;
        assert_eq!(needed(&fixed, "2026-11-24"), err(ErrorCode::NotOffered));
        let mut no_limit = sample_rulebook();
        for t in &mut no_limit.case_types {
            t.limits.complete = None;
        }
        assert_eq!(needed(&no_limit, "2026-11-24"), err(ErrorCode::NotOffered));
    }

    #[test]
    fn language_defaults_to_chinese() {
        for (typed, lang) in [
            (None, Lang::Zh),
            (s("en"), Lang::En),
            (s("zh-CN"), Lang::Zh),
            (s("fr"), Lang::Zh),
            (s(" en "), Lang::En),
        ] {
            let mut raw = good();
            raw.language = typed.clone();
            assert_eq!(check(&raw).map(|s| s.language), Ok(lang), "{typed:?}");
        }
    }

    #[test]
    fn idempotency_keys() {
        for good_key in ["abcd1234", "A-b_C-d_", &"k".repeat(64)] {
            assert!(IdempotencyKey::new(good_key).is_ok(), "{good_key}");
        }
        for bad_key in [
            "",
            "abc1234",
            &"k".repeat(65),
            "abcd 1234",
            "abcd1234é",
            "abcd/1234",
        ] {
            assert_eq!(
                IdempotencyKey::new(bad_key),
                Err(FormatError::IdempotencyKey),
                "{bad_key}"
            );
        }
    }

    #[test]
    fn field_names_are_the_form_field_names() {
        let full = RawSubmission {
            case_type: s("x"),
            category: s("x"),
            name: s("x"),
            phone: s("x"),
            email: s("x"),
            anonymous: Some(true),
            subject: s("x"),
            location: s("x"),
            occurred_on: s("x"),
            needed_by: s("x"),
            description: s("x"),
            desired_outcome: s("x"),
            language: s("x"),
            idempotency_key: s("x"),
            website: s("x"),
        };
        let text = toml::to_string(&full).expect("serialises");
        let fields = [
            Field::CaseType,
            Field::Category,
            Field::Name,
            Field::Phone,
            Field::Email,
            Field::Anonymous,
            Field::Subject,
            Field::Location,
            Field::OccurredOn,
            Field::NeededBy,
            Field::Description,
            Field::DesiredOutcome,
            Field::Language,
            Field::IdempotencyKey,
        ];
        for field in fields {
            assert!(
                text.contains(&format!("\n{} = ", field.name()))
                    || text.starts_with(&format!("{} = ", field.name())),
                "{field}"
            );
        }
        assert_eq!(toml::from_str::<RawSubmission>(&text), Ok(full));
    }

    #[test]
    fn unknown_form_fields_are_refused() {
        assert!(toml::from_str::<RawSubmission>("description = \"x\"\nfax = \"1\"").is_err());
        assert_eq!(
            toml::from_str::<RawSubmission>("description = \"x\""),
            Ok(RawSubmission {
                description: s("x"),
                ..RawSubmission::default()
            })
        );
    }

    /// Characters that exercise the cleaning: controls, line breaks, bidi
    /// controls, combining marks, wide and astral characters.
    fn nasty_text() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            any::<char>(),
            Just('\r'),
            Just('\n'),
            Just('\t'),
            Just('\u{0}'),
            Just('\u{85}'),
            Just('\u{7F}'),
            Just('\u{202E}'),
            Just('\u{2067}'),
            Just('\u{FEFF}'),
            Just('\u{301}'),
            Just('\u{308}'),
            Just('e'),
            Just('A'),
            Just('中'),
            Just('😀'),
            Just(' '),
            Just('@'),
            Just('.'),
            Just('1'),
        ];
        prop::collection::vec(c, 0..40).prop_map(|v| v.into_iter().collect())
    }

    fn maybe(text: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
        prop::option::of(text)
    }

    fn text_is_clean(text: &str, multi_line: bool) -> bool {
        unicode_normalization::is_nfc(text)
            && text == text.trim()
            && !text.is_empty()
            && text
                .chars()
                .all(|c| !(c.is_control() && !(multi_line && c == '\n')) && !is_bidi_control(c))
    }

    proptest! {
        #[test]
        fn validate_never_panics_and_keeps_accepted_text_clean(
            case_type in maybe(prop_oneof![Just("report".to_string()), Just("consultation".to_string()), nasty_text()]),
            category in maybe(prop_oneof![Just("roads".to_string()), nasty_text()]),
            name in maybe(nasty_text()),
            phone in maybe(prop_oneof![Just("13812345678".to_string()), nasty_text()]),
            email in maybe(prop_oneof![Just("a@b.cn".to_string()), nasty_text()]),
            anonymous in any::<Option<bool>>(),
            subject in maybe(nasty_text()),
            location in maybe(nasty_text()),
            occurred_on in maybe(prop_oneof![Just("2026-01-01".to_string()), nasty_text()]),
            description in maybe(nasty_text().prop_map(|t| format!("情况描述：{t}足够长了"))),
            desired_outcome in maybe(nasty_text()),
            language in maybe(nasty_text()),
            idempotency_key in maybe(nasty_text()),
            website in maybe(Just(String::new())),
        ) {
            let raw = RawSubmission {
                case_type, category, name, phone, email, anonymous, subject, location,
                occurred_on, description, desired_outcome, language, idempotency_key, website,
                needed_by: None,
            };
            match check(&raw) {
                Ok(sub) => {
                    prop_assert!(text_is_clean(&sub.description, true));
                    prop_assert!(sub.description.chars().count() >= DESCRIPTION_MIN_CHARS);
                    for t in [&sub.contact.name, &sub.subject].into_iter().flatten() {
                        prop_assert!(text_is_clean(t, false), "{t:?}");
                    }
                    for t in [&sub.location, &sub.desired_outcome].into_iter().flatten() {
                        prop_assert!(text_is_clean(t, true), "{t:?}");
                    }
                    if let Some(e) = &sub.contact.email {
                        prop_assert!(text_is_clean(e.as_str(), false));
                    }
                }
                Err(e) => {
                    prop_assert!(!e.errors.is_empty());
                    prop_assert_eq!(e.cleaned.website.clone(), None);
                }
            }
        }

        /// Every structural field valid, every free-text field arbitrary:
        /// the submission must pass, and its text must come out clean.
        #[test]
        fn arbitrary_free_text_is_accepted_clean(
            name in maybe(nasty_text()),
            subject in maybe(nasty_text()),
            location in maybe(nasty_text()),
            middle in nasty_text(),
            desired_outcome in maybe(nasty_text()),
            language in maybe(nasty_text()),
        ) {
            let raw = RawSubmission {
                case_type: s("consultation"),
                category: s("roads"),
                name,
                subject,
                location,
                description: Some(format!("情况描述如下：{middle}请尽快处理。")),
                desired_outcome,
                language,
                ..RawSubmission::default()
            };
            let sub = check(&raw);
            prop_assert!(sub.is_ok(), "{:?}", sub);
            let sub = sub.expect("checked above");
            prop_assert!(text_is_clean(&sub.description, true), "{:?}", sub.description);
            for t in [&sub.contact.name, &sub.subject].into_iter().flatten() {
                prop_assert!(text_is_clean(t, false), "{t:?}");
            }
            for t in [&sub.location, &sub.desired_outcome].into_iter().flatten() {
                prop_assert!(text_is_clean(t, true), "{t:?}");
            }
        }

        #[test]
        fn format_checks_never_panic(text in any::<String>()) {
            let _ = PhoneNumber::parse(&text);
            let _ = EmailAddress::parse(&text);
            let _ = IdempotencyKey::new(&text);
            let _ = parse_date(&text);
        }
    }
}

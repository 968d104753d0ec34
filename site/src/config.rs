//! `content/site.toml`: the site's title, description, base URL, the
//! addresses the form, the status lookup and the case page talk to, and
//! where the form's script sends evidence files. Unknown keys are errors.

use casework::diagnostic::{Severity, SourceFile};
use casework::{Diagnostic, Lang};
use serde::Serialize;
use std::path::Path;

/// Where the site configuration lives, relative to the project root.
pub const CONFIG_PATH: &str = "content/site.toml";

const KEYS: &[&str] = &[
    "title",
    "description",
    "base_url",
    "intake_url",
    "status_url",
    "case_page_url",
    "evidence_upload",
];

/// Text in both languages; English falls back to Chinese.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteConfig {
    pub title: Text,
    pub description: Text,
    /// Absolute address of the site, without a trailing slash.
    pub base_url: String,
    /// Where the complaint form posts.
    pub intake_url: String,
    /// Where the status lookup asks, as `{status_url}/{tracking}`.
    pub status_url: String,
    /// The complainant's case page (tracking number and receipt code).
    pub case_page_url: String,
    /// Where the form's script sends evidence files.
    pub evidence_upload: EvidenceUpload,
}

/// Where the form's script sends evidence files. The form page carries it
/// (`data-evidence-upload`); without JavaScript the form always posts
/// multipart to `intake_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceUpload {
    /// With the fields, as one multipart post to `intake_url` (`hotline serve`).
    #[default]
    Api,
    /// The fields as JSON, then each file straight to the evidence bucket
    /// with the upload grants intake answers with (production: a Lambda
    /// cannot take large bodies).
    Bucket,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: Text::default(),
            description: Text::default(),
            base_url: String::new(),
            intake_url: "/api/cases".into(),
            status_url: "/api/cases".into(),
            case_page_url: "/api/case".into(),
            evidence_upload: EvidenceUpload::Api,
        }
    }
}

/// Reads and checks `site.toml`, collecting every problem.
pub fn parse(path: &Path, text: &str) -> Result<SiteConfig, Vec<Diagnostic>> {
    let file = SourceFile::new(path, text);
    let table = match toml::de::DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            return Err(vec![file.diagnostic(
                Severity::Error,
                at,
                format!("not valid TOML: {}", e.message().trim()),
                None,
            )]);
        }
    };
    let mut errors = Vec::new();
    let mut config = SiteConfig::default();
    let mut seen = Vec::new();
    for (key, value) in table.get_ref() {
        let name = key.get_ref().as_ref();
        seen.push(name.to_string());
        let at = value.span().start;
        match name {
            "title" | "description" => match localized(&file, value, name) {
                Ok(t) if name == "title" => config.title = t,
                Ok(t) => config.description = t,
                Err(d) => errors.extend(d),
            },
            "base_url" | "intake_url" | "status_url" | "case_page_url" => {
                match value.get_ref().as_str() {
                    Some(s) => {
                        let s = s.trim_end_matches('/').to_string();
                        match name {
                            "base_url" => config.base_url = s,
                            "intake_url" => config.intake_url = s,
                            "status_url" => config.status_url = s,
                            _ => config.case_page_url = s,
                        }
                    }
                    None => errors.push(file.diagnostic(
                        Severity::Error,
                        at,
                        format!("`{name}` must be text"),
                        Some(format!("{name} = \"https://…\"")),
                    )),
                }
            }
            "evidence_upload" => match value.get_ref().as_str() {
                Some("api") => config.evidence_upload = EvidenceUpload::Api,
                Some("bucket") => config.evidence_upload = EvidenceUpload::Bucket,
                _ => errors.push(file.diagnostic(
                    Severity::Error,
                    at,
                    "`evidence_upload` must be \"api\" or \"bucket\"",
                    Some("evidence_upload = \"bucket\" where files go to the evidence bucket (production); \"api\" (the default) sends them with the form".into()),
                )),
            },
            _ => errors.push(file.diagnostic(
                Severity::Error,
                key.span().start,
                format!("unknown key `{name}` in the site configuration"),
                Some(format!("allowed keys: {}", KEYS.join(", "))),
            )),
        }
    }
    if !seen.iter().any(|k| k == "title") {
        errors.push(file.diagnostic(
            Severity::Error,
            0,
            "the site configuration has no `title`",
            Some("title = { zh = \"…\", en = \"…\" }".into()),
        ));
    }
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

fn localized(
    file: &SourceFile<'_>,
    value: &toml::Spanned<toml::de::DeValue<'_>>,
    name: &str,
) -> Result<Text, Vec<Diagnostic>> {
    let hint = Some(format!("{name} = {{ zh = \"…\", en = \"…\" }}"));
    let toml::de::DeValue::Table(t) = value.get_ref() else {
        return Err(vec![file.diagnostic(
            Severity::Error,
            value.span().start,
            format!("`{name}` must give the text in each language"),
            hint,
        )]);
    };
    let mut errors = Vec::new();
    let mut text = Text::default();
    for (k, v) in t {
        match (k.get_ref().as_ref(), v.get_ref().as_str()) {
            ("zh", Some(s)) => text.zh = s.to_string(),
            ("en", Some(s)) => text.en = s.to_string(),
            ("zh" | "en", None) => errors.push(file.diagnostic(
                Severity::Error,
                v.span().start,
                format!("`{name}.{}` must be text", k.get_ref()),
                None,
            )),
            (other, _) => errors.push(file.diagnostic(
                Severity::Error,
                k.span().start,
                format!("unknown language `{other}` in `{name}`"),
                Some("the languages are zh and en".into()),
            )),
        }
    }
    if text.zh.is_empty() {
        errors.push(file.diagnostic(
            Severity::Error,
            value.span().start,
            format!("`{name}` has no Chinese text (`zh`)"),
            hint,
        ));
    }
    if text.en.is_empty() {
        text.en = text.zh.clone();
    }
    if errors.is_empty() {
        Ok(text)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_config_and_defaults() {
        let c = parse(
            Path::new("site.toml"),
            "title = { zh = \"热线\", en = \"Hotline\" }\nbase_url = \"https://example.org/\"\n",
        )
        .unwrap();
        assert_eq!(c.title.get(Lang::En), "Hotline");
        assert_eq!(c.base_url, "https://example.org");
        assert_eq!(c.intake_url, "/api/cases");
        assert_eq!(c.evidence_upload, EvidenceUpload::Api);
    }

    #[test]
    fn evidence_upload_is_api_or_bucket() {
        let with = |v: &str| {
            parse(
                Path::new("site.toml"),
                &format!("title = {{ zh = \"热线\" }}\nevidence_upload = {v}\n"),
            )
        };
        assert_eq!(
            with("\"bucket\"").unwrap().evidence_upload,
            EvidenceUpload::Bucket
        );
        assert_eq!(
            with("\"api\"").unwrap().evidence_upload,
            EvidenceUpload::Api
        );
        for wrong in ["\"s3\"", "true"] {
            let errors = with(wrong).unwrap_err();
            assert_eq!(errors.len(), 1, "{wrong}");
            assert!(errors[0].message.contains("evidence_upload"), "{wrong}");
        }
    }

    #[test]
    fn every_mistake_is_reported() {
        let errors = parse(
            Path::new("site.toml"),
            "title = \"x\"\nbase = \"y\"\ndescription = { zh = \"d\", fr = \"e\" }\n",
        )
        .unwrap_err();
        let at: Vec<_> = errors.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(at, [(1, 9), (2, 1), (3, 27)]);
    }
}

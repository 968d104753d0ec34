//! PDFs: checked for well-formedness, kept byte for byte.
//!
//! Well-formed means here: the file ends with `startxref`, an offset and
//! `%%EOF` (anything but white space after that is refused, so a PDF with a
//! ZIP appended is not stored); the offset points at a cross-reference table
//! or stream; lopdf parses the whole document strictly (no repair of broken
//! cross-references); every cross-reference entry points at the object it
//! names; there is a catalog and at least one page.
//!
//! Refused on purpose, although well-formed:
//! - Encrypted PDFs, also those that open without a password (permissions
//!   locks): their streams cannot be checked here, and the department may not
//!   be able to open or print them. Printing to a new PDF removes the lock.
//! - JavaScript (`/JS`, `/S /JavaScript`, a `/JavaScript` name tree) and launch
//!   actions (`/S /Launch`): evidence never needs them. Viewers are also kept
//!   from them by serving PDFs as downloads with a CSP, but not every viewer a
//!   department uses honours that.
//!
//! Accepted: an `/OpenAction` that only goes to a page (most office programs
//! write one), links, forms, embedded files (electronic invoices carry their
//! XML that way).
//!
//! Not here: reading or returning the document information dictionary or XMP
//! (nothing of them leaves this module), rendering, text extraction.

use lopdf::{Document, LoadOptions, Object};

use crate::{Checked, Deadline, Kind, Refusal};

/// The most one object or cross-reference stream may inflate to while the
/// document is parsed. Real ones are a few hundred kilobytes; the cap keeps a
/// small file from inflating to gigabytes.
const MAX_INFLATED_STREAM: usize = 32 << 20;

pub(crate) fn check(bytes: &[u8], deadline: &Deadline) -> Result<Checked, Refusal> {
    let xref_at = startxref(bytes)?;
    if !points_at_xref(bytes, xref_at) {
        return Err(Refusal::damaged(
            "the PDF's startxref does not point at a cross-reference",
        ));
    }
    let options = LoadOptions {
        strict: true,
        max_decompressed_size: Some(MAX_INFLATED_STREAM),
        ..LoadOptions::default()
    };
    let document = match Document::load_mem_with_options(bytes, options) {
        Ok(document) => document,
        // A password-locked file does not parse without its password.
        Err(_) if contains(bytes, b"/Encrypt") => return Err(Refusal::Encrypted),
        Err(error) => return Err(Refusal::damaged(format!("the PDF does not parse: {error}"))),
    };
    deadline.check()?;
    if document.was_encrypted() || document.trailer.has(b"Encrypt") {
        return Err(Refusal::Encrypted);
    }
    if document.xref_recovery.is_some() {
        return Err(Refusal::damaged(
            "the PDF's cross-reference had to be repaired",
        ));
    }
    entries_point_at_objects(bytes, &document)?;
    if document.catalog().is_err() {
        return Err(Refusal::damaged("the PDF has no catalog"));
    }
    if document.get_pages().is_empty() {
        return Err(Refusal::damaged("the PDF has no pages"));
    }
    if let Some(what) = active_content(&document) {
        return Err(Refusal::ActiveContent { what });
    }
    deadline.check()?;
    Ok(Checked {
        kind: Kind::Pdf,
        bytes: bytes.to_vec(),
        image: None,
    })
}

/// `bytes` (a PDF that passed [`check`]) without its document information
/// (the trailer's `/Info`: author, title, producer …) and the catalog's XMP
/// `/Metadata`, written out anew. For a reporter whose identity is withheld:
/// an author field can name them.
pub(crate) fn without_document_info(bytes: &[u8]) -> Result<Vec<u8>, Refusal> {
    let options = LoadOptions {
        strict: true,
        max_decompressed_size: Some(MAX_INFLATED_STREAM),
        ..LoadOptions::default()
    };
    let mut document = Document::load_mem_with_options(bytes, options)
        .map_err(|e| Refusal::damaged(format!("the PDF does not parse: {e}")))?;
    if let Some(Object::Reference(id)) = document.trailer.remove(b"Info") {
        document.objects.remove(&id);
    }
    let metadata = document
        .catalog_mut()
        .map_err(|_| Refusal::damaged("the PDF has no catalog"))?
        .remove(b"Metadata");
    if let Some(Object::Reference(id)) = metadata {
        document.objects.remove(&id);
    }
    let mut out = Vec::new();
    document
        .save_to(&mut out)
        .map_err(|e| Refusal::damaged(format!("the PDF could not be written again: {e}")))?;
    Ok(out)
}

fn is_pdf_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The offset after the last `startxref`, which must be followed by `%%EOF`
/// and nothing but white space.
fn startxref(bytes: &[u8]) -> Result<usize, Refusal> {
    let eof = rfind(bytes, b"%%EOF")
        .ok_or_else(|| Refusal::damaged("the PDF has no end (%%EOF): it is cut"))?;
    if !bytes[eof + 5..].iter().all(|&b| is_pdf_space(b)) {
        return Err(Refusal::damaged("the PDF has data after its end (%%EOF)"));
    }
    let keyword = rfind(&bytes[..eof], b"startxref")
        .ok_or_else(|| Refusal::damaged("the PDF has no startxref"))?;
    let between = &bytes[keyword + b"startxref".len()..eof];
    let text = std::str::from_utf8(between)
        .ok()
        .map(|t| t.trim_matches(|c: char| c.is_ascii() && is_pdf_space(c as u8)))
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| Refusal::damaged("the PDF's startxref is not a number"))?;
    text.parse::<usize>()
        .ok()
        .filter(|&offset| offset < bytes.len())
        .ok_or_else(|| Refusal::damaged("the PDF's startxref points outside the file"))
}

/// Whether `at` starts a cross-reference table (`xref`) or an indirect object
/// (a cross-reference stream, `N G obj`).
fn points_at_xref(bytes: &[u8], at: usize) -> bool {
    let rest = &bytes[at..];
    rest.starts_with(b"xref") || object_header(rest).is_some()
}

/// Parses `N G obj` at the start of `bytes`.
fn object_header(bytes: &[u8]) -> Option<(u32, u16)> {
    let head = &bytes[..bytes.len().min(32)];
    let mut words = head.split(|&b| is_pdf_space(b)).filter(|w| !w.is_empty());
    let number = std::str::from_utf8(words.next()?).ok()?.parse().ok()?;
    let generation = std::str::from_utf8(words.next()?).ok()?.parse().ok()?;
    // `obj` may be followed directly by `<<` on the same word.
    words
        .next()?
        .starts_with(b"obj")
        .then_some((number, generation))
}

/// Every object the cross-reference places at an offset must begin there.
fn entries_point_at_objects(bytes: &[u8], document: &Document) -> Result<(), Refusal> {
    for (&id, entry) in &document.reference_table.entries {
        if let lopdf::xref::XrefEntry::Normal { offset, generation } = *entry {
            let found = bytes
                .get(offset as usize..)
                .and_then(object_header)
                .filter(|&header| header == (id, generation));
            if found.is_none() {
                return Err(Refusal::damaged(format!(
                    "the PDF's cross-reference places object {id} where it is not"
                )));
            }
        }
    }
    Ok(())
}

/// The first JavaScript or launch action found in any object, nested
/// dictionaries and arrays included. Iterative, so a deeply nested object
/// cannot overflow the stack.
fn active_content(document: &Document) -> Option<&'static str> {
    let mut pending: Vec<&Object> = document.objects.values().collect();
    while let Some(object) = pending.pop() {
        let dictionary = match object {
            Object::Dictionary(dictionary) => dictionary,
            Object::Stream(stream) => &stream.dict,
            Object::Array(items) => {
                pending.extend(items);
                continue;
            }
            _ => continue,
        };
        if dictionary.has(b"JS") || dictionary.has(b"JavaScript") {
            return Some("JavaScript");
        }
        match dictionary.get(b"S").and_then(Object::as_name) {
            Ok(b"JavaScript") => return Some("JavaScript"),
            Ok(b"Launch") => return Some("an action that launches a program"),
            _ => {}
        }
        pending.extend(dictionary.iter().map(|(_, value)| value));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_headers() {
        assert_eq!(object_header(b"12 0 obj\n<<>>"), Some((12, 0)));
        assert_eq!(object_header(b"3 1 obj<<>>"), Some((3, 1)));
        assert_eq!(object_header(b"3 1 ob"), None);
        assert_eq!(object_header(b"xref\n0 1"), None);
    }

    #[test]
    fn startxref_needs_a_number_and_the_end() {
        assert_eq!(startxref(b"%PDF-1.4\nstartxref\n3\n%%EOF\n"), Ok(3));
        assert!(startxref(b"%PDF-1.4\nstartxref\n3\n").is_err());
        assert!(startxref(b"%PDF-1.4\nstartxref\nx\n%%EOF").is_err());
        assert!(startxref(b"%PDF-1.4\nstartxref\n999\n%%EOF").is_err());
        assert!(startxref(b"%PDF-1.4\nstartxref\n3\n%%EOFPK\x03\x04").is_err());
    }
}

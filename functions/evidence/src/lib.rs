//! Checking a file a visitor sent with a case ("evidence").
//!
//! [`check`] takes the bytes that arrived and the [`Limits`] the caller read
//! from the rulebook, and either returns the copy to store ([`Checked`]) or
//! says why the file is refused ([`Refusal`], with a stable [`Refusal::code`]).
//!
//! What it does, in order:
//! 1. Size: more than `max_bytes` is refused before anything is parsed.
//! 2. Type: decided from the first bytes only ([`sniff`]); a file's name and
//!    its Content-Type are never looked at (they are not even passed in).
//! 3. Images (JPEG, PNG): the dimensions are read from the header and checked
//!    against `max_side` and `max_pixels` before any pixel is allocated
//!    (decompression bombs); the image is decoded under an allocation cap,
//!    turned upright from its EXIF orientation, and re-encoded in the same
//!    format. The new file carries only pixels: EXIF (GPS, camera, maker
//!    notes), XMP, IPTC, ICC profiles, comments, PNG text chunks and anything
//!    appended after the image (a ZIP in a polyglot) are gone. A thumbnail is
//!    made from the same pixels.
//! 4. PDFs: the structure is checked (header, `startxref`, `%%EOF`, every
//!    cross-reference entry, a strict parse of every object); encrypted files
//!    and files with JavaScript or launch actions are refused. An accepted PDF
//!    is kept byte for byte; nothing of its document information (author,
//!    title, producer) is read out or returned.
//!
//! What it is not: no I/O, no storage, no wording for visitors (the caller
//! maps [`Refusal::code`] to the messages), no rule values of its own. The
//! only thing read from outside the arguments is the monotonic clock, for the
//! time budget.

mod image_check;
mod pdf_check;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// JPEG quality of the stored copy and of the thumbnails. 85 keeps photos of
/// receipts and street scenes legible at about a third of the size of a
/// phone's original; it is a property of the re-encoder, not a rule.
pub const JPEG_QUALITY: u8 = 85;

/// The file types a visitor may send. Deliberately few:
/// - JPEG: what cameras and phones produce (iPhones hand their HEIC photos
///   to a web form as JPEG unless the form asks for HEIC).
/// - PNG: screenshots, scans of forms.
/// - PDF: documents, letters, receipts.
///
/// Not accepted: WebP (the `image` crate only encodes it losslessly, so a
/// re-encoded photo would grow several times), GIF (animation, and nobody
/// sends evidence as GIF), HEIC/AVIF (no well-kept pure-Rust decoder), TIFF,
/// SVG (a script container), office documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Jpeg,
    Png,
    Pdf,
}

impl Kind {
    /// Every kind this crate can check, for a caller that lists them.
    pub const ALL: [Kind; 3] = [Kind::Jpeg, Kind::Png, Kind::Pdf];

    /// The name the rulebook uses for the kind.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
            Kind::Pdf => "pdf",
        }
    }

    /// The kind a rulebook name stands for (see [`Kind::code`]).
    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// The Content-Type the stored copy is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Pdf => "application/pdf",
        }
    }

    /// The file name extension of the stored copy, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Pdf => "pdf",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Kind::Jpeg | Kind::Png)
    }
}

/// What a file may be. The caller fills it from the rulebook; nothing here
/// has a default, so a limit cannot be forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Largest image accepted, in pixels (width × height).
    pub max_pixels: u64,
    /// Longest side of an image accepted, in pixels.
    pub max_side: u32,
    /// How long the whole check of one file may take (decoding, re-encoding
    /// and the thumbnail; for a PDF, parsing). Past it the file is refused as
    /// [`Refusal::TooSlow`]. Images are stopped at the codecs' next read or
    /// write after it passes; a PDF's parse is not interrupted, only judged
    /// when it ends (the size limit bounds it).
    pub time_budget: Duration,
    /// Longest side of the thumbnail of an image; 0 makes none.
    pub thumbnail_side: u32,
    /// The kinds accepted; any other is [`Refusal::WrongType`].
    pub kinds: BTreeSet<Kind>,
}

/// A file that passed: what to store and what to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub kind: Kind,
    /// The copy to store: the re-encoded image, or the PDF as it arrived.
    pub bytes: Vec<u8>,
    /// For images: the upright dimensions and the thumbnail.
    pub image: Option<Picture>,
}

impl Checked {
    pub fn content_type(&self) -> &'static str {
        self.kind.content_type()
    }

    pub fn extension(&self) -> &'static str {
        self.kind.extension()
    }

    /// The thumbnail, in the same format as the image ([`Checked::content_type`]).
    pub fn thumbnail(&self) -> Option<&[u8]> {
        self.image
            .as_ref()?
            .thumbnail
            .as_ref()
            .map(|t| t.bytes.as_slice())
    }

    /// (width, height) of an image, after orientation.
    pub fn dimensions(&self) -> Option<(u32, u32)> {
        self.image.as_ref().map(|p| (p.width, p.height))
    }
}

/// What an accepted image is, after its EXIF orientation was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    /// None when [`Limits::thumbnail_side`] is 0.
    pub thumbnail: Option<Thumbnail>,
}

/// A small copy of an image, in the image's own format, that fits in a
/// square of [`Limits::thumbnail_side`] (a smaller image is not enlarged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Why a file is refused. The texts are for logs and editors (they never
/// contain the file's content); visitors see the message that the caller
/// finds for [`Refusal::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the file has {size} bytes, more than the {max} allowed")]
    TooLarge { size: u64, max: u64 },
    /// Not a JPEG, PNG or PDF by its bytes, or a kind the rulebook does not allow.
    #[error("the file is not of an accepted type ({found})")]
    WrongType { found: &'static str },
    /// It starts like an accepted type but is truncated, corrupt or malformed.
    #[error("the file is damaged: {reason}")]
    Damaged { reason: String },
    #[error("the image is {width}×{height} pixels, more than allowed")]
    TooManyPixels { width: u32, height: u32 },
    #[error("checking the file took longer than the {budget:?} allowed")]
    TooSlow { budget: Duration },
    /// A PDF locked with a password or a permissions lock.
    #[error("the PDF is encrypted")]
    Encrypted,
    /// A PDF with JavaScript or an action that launches a program.
    #[error("the PDF contains {what}")]
    ActiveContent { what: &'static str },
}

impl Refusal {
    /// A stable identifier for the kind of refusal: the key of the visitor's
    /// message, and what logs and statistics count.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooLarge { .. } => "too_large",
            Refusal::WrongType { .. } => "wrong_type",
            Refusal::Damaged { .. } => "damaged",
            Refusal::TooManyPixels { .. } => "too_many_pixels",
            Refusal::TooSlow { .. } => "too_slow",
            Refusal::Encrypted => "encrypted",
            Refusal::ActiveContent { .. } => "active_content",
        }
    }

    /// Every code [`Refusal::code`] can return, so the caller can check at
    /// start-up that each has a message.
    pub const CODES: [&'static str; 7] = [
        "too_large",
        "wrong_type",
        "damaged",
        "too_many_pixels",
        "too_slow",
        "encrypted",
        "active_content",
    ];

    pub(crate) fn damaged(reason: impl Into<String>) -> Refusal {
        Refusal::Damaged {
            reason: reason.into(),
        }
    }
}

/// A checked PDF without its document information and XMP metadata, for
/// cases whose sender's identity is withheld (an author field can name
/// them). The result is a new file, not the one that arrived; it checks
/// again as a PDF.
pub fn pdf_without_document_info(bytes: &[u8]) -> Result<Vec<u8>, Refusal> {
    pdf_check::without_document_info(bytes)
}

/// What the first bytes of a file say it is.
///
/// Only accepted kinds are recognised; a few common others are named so a
/// refusal can say what arrived (in logs, not to visitors).
pub fn sniff(bytes: &[u8]) -> Result<Kind, &'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Ok(Kind::Jpeg),
        b if b.starts_with(PNG) => Ok(Kind::Png),
        b if b.starts_with(b"%PDF-") => Ok(Kind::Pdf),
        [] => Err("empty"),
        b if b.starts_with(b"\x7fELF") => Err("executable (ELF)"),
        b if b.starts_with(b"MZ") => Err("executable (Windows)"),
        b if b.starts_with(b"PK\x03\x04") => Err("ZIP archive"),
        b if b.starts_with(b"GIF8") => Err("GIF"),
        b if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" => Err("WebP"),
        b if b.len() >= 12 && &b[4..8] == b"ftyp" => Err("HEIC, AVIF or video"),
        _ => Err("unknown"),
    }
}

/// Checks a file that arrived. See the module documentation for what is
/// checked and in which order.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<Checked, Refusal> {
    let started = Instant::now();
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(Refusal::TooLarge {
            size,
            max: limits.max_bytes,
        });
    }
    let kind = sniff(bytes).map_err(|found| Refusal::WrongType { found })?;
    if !limits.kinds.contains(&kind) {
        return Err(Refusal::WrongType {
            found: "a type the rules do not accept",
        });
    }
    let deadline = Deadline {
        started,
        budget: limits.time_budget,
    };
    match kind {
        Kind::Jpeg | Kind::Png => image_check::check(bytes, kind, limits, &deadline),
        Kind::Pdf => pdf_check::check(bytes, &deadline),
    }
}

/// The time budget of one check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    started: Instant,
    budget: Duration,
}

impl Deadline {
    pub(crate) fn passed(&self) -> bool {
        self.started.elapsed() > self.budget
    }

    pub(crate) fn check(&self) -> Result<(), Refusal> {
        if self.passed() {
            Err(Refusal::TooSlow {
                budget: self.budget,
            })
        } else {
            Ok(())
        }
    }
}

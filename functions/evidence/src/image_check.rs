//! Images: header first, then decode, orient, re-encode, thumbnail.
//!
//! The re-encoded file is written from decoded pixels only, so no byte of the
//! original's metadata or of anything appended to it can reach the stored
//! copy. What is dropped on purpose: EXIF (with GPS, camera serial numbers
//! and maker notes), XMP, IPTC, JPEG comments, PNG text and time chunks, and
//! ICC colour profiles. Without its ICC profile a wide-gamut photo (Display
//! P3) is shown as sRGB, slightly less saturated; that is accepted because a
//! profile is free-form data that can carry anything.
//!
//! Not here: resizing the stored copy (it keeps its dimensions), colour
//! management, animation (neither accepted format has any).

use std::io::{self, BufRead, Cursor, Read, Seek, SeekFrom, Write};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ColorType, DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

use crate::{Checked, Deadline, JPEG_QUALITY, Kind, Limits, Picture, Refusal, Thumbnail};

/// The most bytes a decoded pixel takes in the formats accepted (16-bit
/// RGBA PNG), for the decoder's allocation cap.
const MAX_BYTES_PER_PIXEL: u64 = 8;
/// Room above the pixels for the decoders' own tables and buffers.
const DECODER_SLACK_BYTES: u64 = 16 << 20;

pub(crate) fn check(
    bytes: &[u8],
    kind: Kind,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Checked, Refusal> {
    let format = match kind {
        Kind::Jpeg => {
            // The JPEG decoder fills in what is missing of a cut file with
            // grey; a file that does not reach its end marker is refused here.
            jpeg_reaches_end(bytes)?;
            ImageFormat::Jpeg
        }
        Kind::Png => ImageFormat::Png,
        Kind::Pdf => unreachable!("PDFs are checked by pdf_check"),
    };

    let source = DeadlineReader {
        inner: Cursor::new(bytes),
        deadline: *deadline,
    };
    let mut reader = ImageReader::with_format(source, format);
    let mut decoder_limits = image::Limits::default();
    // The dimensions are checked below with the rulebook's numbers; the cap
    // on allocation is the second line, for anything a header understates.
    decoder_limits.max_alloc = Some(
        limits
            .max_pixels
            .saturating_mul(MAX_BYTES_PER_PIXEL)
            .saturating_add(DECODER_SLACK_BYTES),
    );
    reader.limits(decoder_limits);
    // Reads the header only: no pixel is allocated yet.
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| refusal(e, deadline, None))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(Refusal::damaged("the image has no pixels"));
    }
    if width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(Refusal::TooManyPixels { width, height });
    }
    // A broken EXIF block is no reason to refuse a photo: it is dropped anyway.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder)
        .map_err(|e| refusal(e, deadline, Some((width, height))))?;
    deadline.check()?;
    picture.apply_orientation(orientation);

    let stored = encode(&picture, kind, deadline)?;
    deadline.check()?;
    let thumbnail = if limits.thumbnail_side == 0 {
        None
    } else {
        let side = limits.thumbnail_side;
        let small = if picture.width() <= side && picture.height() <= side {
            picture.clone()
        } else {
            picture.thumbnail(side, side)
        };
        let bytes = encode(&small, kind, deadline)?;
        deadline.check()?;
        Some(Thumbnail {
            bytes,
            width: small.width(),
            height: small.height(),
        })
    };
    Ok(Checked {
        kind,
        bytes: stored,
        image: Some(Picture {
            width: picture.width(),
            height: picture.height(),
            thumbnail,
        }),
    })
}

fn encode(picture: &DynamicImage, kind: Kind, deadline: &Deadline) -> Result<Vec<u8>, Refusal> {
    let mut out = DeadlineWriter {
        inner: Vec::new(),
        deadline: *deadline,
    };
    let written = match kind {
        Kind::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            match picture.color() {
                ColorType::L8 | ColorType::Rgb8 => picture.write_with_encoder(encoder),
                // JPEG has no alpha and the encoder takes 8-bit grey or RGB only.
                _ => DynamicImage::ImageRgb8(picture.to_rgb8()).write_with_encoder(encoder),
            }
        }
        Kind::Png => picture.write_with_encoder(PngEncoder::new_with_quality(
            &mut out,
            CompressionType::Default,
            FilterType::Adaptive,
        )),
        Kind::Pdf => unreachable!("PDFs are not re-encoded"),
    };
    match written {
        Ok(()) => Ok(out.inner),
        Err(e) => Err(refusal(e, deadline, None)),
    }
}

/// An image error as a refusal: the deadline first (the reader and writer
/// below stop with an I/O error when it passes), then the allocation cap.
fn refusal(error: ImageError, deadline: &Deadline, dimensions: Option<(u32, u32)>) -> Refusal {
    if deadline.passed() {
        return Refusal::TooSlow {
            budget: deadline.budget,
        };
    }
    match (error, dimensions) {
        (ImageError::Limits(_), Some((width, height))) => Refusal::TooManyPixels { width, height },
        (error, _) => Refusal::damaged(error.to_string()),
    }
}

/// Walks a JPEG's segments to its end-of-image marker. Only the structure is
/// looked at (markers and lengths, and the entropy-coded data skipped to the
/// next marker); the decoder checks the content.
fn jpeg_reaches_end(bytes: &[u8]) -> Result<(), Refusal> {
    let cut = || Refusal::damaged("the JPEG ends before its end marker");
    let mut at = 2; // after the start-of-image marker
    let mut scanned = false;
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return Err(match bytes.get(at) {
                None => cut(),
                Some(_) => Refusal::damaged("the JPEG has data where a segment should start"),
            });
        }
        // Any number of 0xFF may pad before a marker.
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or_else(cut)?;
        at += 1;
        match marker {
            0xD9 if scanned => return Ok(()),
            0xD9 => return Err(Refusal::damaged("the JPEG has no image data")),
            0xD8 => return Err(Refusal::damaged("the JPEG starts twice")),
            0x01 | 0xD0..=0xD7 => continue, // markers without a length
            _ => {}
        }
        let length = match bytes.get(at..at + 2) {
            Some(&[high, low]) => usize::from(u16::from_be_bytes([high, low])),
            _ => return Err(cut()),
        };
        if length < 2 {
            return Err(Refusal::damaged(
                "the JPEG has a segment of impossible length",
            ));
        }
        at += length;
        if at > bytes.len() {
            return Err(cut());
        }
        if marker == 0xDA {
            scanned = true;
            // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte),
            // a restart marker, or another 0xFF (padding) until a real marker.
            loop {
                let next = memchr_ff(&bytes[at..]).ok_or_else(cut)?;
                at += next;
                match bytes.get(at + 1) {
                    None => return Err(cut()),
                    Some(0x00 | 0xD0..=0xD7 | 0xFF) => at += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

fn memchr_ff(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0xFF)
}

/// The file's bytes, read until the deadline passes.
struct DeadlineReader<'a> {
    inner: Cursor<&'a [u8]>,
    deadline: Deadline,
}

fn out_of_time() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "time budget spent")
}

impl Read for DeadlineReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.deadline.passed() {
            return Err(out_of_time());
        }
        self.inner.read(buf)
    }
}

impl BufRead for DeadlineReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.deadline.passed() {
            return Err(out_of_time());
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount)
    }
}

impl Seek for DeadlineReader<'_> {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        self.inner.seek(position)
    }
}

/// The re-encoded file, written until the deadline passes: the encoder stops
/// at its next write instead of finishing a file that will be refused.
struct DeadlineWriter {
    inner: Vec<u8>,
    deadline: Deadline,
}

impl Write for DeadlineWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.deadline.passed() {
            return Err(out_of_time());
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

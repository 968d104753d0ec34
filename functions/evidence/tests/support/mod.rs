//! Files for the tests, made here so that none has to be committed: images
//! encoded with `image`, EXIF blocks and PNG headers written by hand, small
//! PDFs with computed cross-reference offsets.
#![allow(dead_code)] // each test file uses a part

use std::collections::BTreeSet;
use std::time::Duration;

use evidence::{Kind, Limits};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

pub fn limits() -> Limits {
    Limits {
        max_bytes: 10 << 20,
        max_pixels: 40_000_000,
        max_side: 10_000,
        time_budget: Duration::from_secs(20),
        thumbnail_side: 16,
        kinds: BTreeSet::from(Kind::ALL),
    }
}

/// Left half red, right half blue, so a rotation shows.
pub fn two_colour(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    }))
}

pub fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, format)
        .expect("encode a test image");
    out.into_inner()
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(&two_colour(width, height), ImageFormat::Jpeg)
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(&two_colour(width, height), ImageFormat::Png)
}

/// Latitude seconds of the test position, 27.12″, as a TIFF rational
/// (2712/100, little-endian): if these bytes survive, so did the GPS block.
pub const GPS_SECONDS: [u8; 8] = [0x98, 0x0A, 0, 0, 0x64, 0, 0, 0];

/// An APP1 Exif segment: IFD0 with Orientation and a GPS IFD pointer, and a
/// GPS IFD with latitude and longitude (39°54′27.12″N 116°23′45.67″E).
pub fn exif_segment(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    let u16le = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let u32le = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    tiff.extend_from_slice(b"II*\0");
    u32le(&mut tiff, 8);
    // IFD0 at 8: two entries (2 + 2×12 + 4 = 30 bytes), so the GPS IFD is at 38.
    u16le(&mut tiff, 2);
    u16le(&mut tiff, 0x0112);
    u16le(&mut tiff, 3);
    u32le(&mut tiff, 1);
    u16le(&mut tiff, orientation);
    u16le(&mut tiff, 0);
    u16le(&mut tiff, 0x8825);
    u16le(&mut tiff, 4);
    u32le(&mut tiff, 1);
    u32le(&mut tiff, 38);
    u32le(&mut tiff, 0);
    // GPS IFD at 38: four entries (2 + 4×12 + 4 = 54 bytes), values from 92.
    assert_eq!(tiff.len(), 38);
    u16le(&mut tiff, 4);
    for (tag, kind, count, value) in [
        (1u16, 2u16, 2u32, u32::from_le_bytes(*b"N\0\0\0")),
        (2, 5, 3, 92),
        (3, 2, 2, u32::from_le_bytes(*b"E\0\0\0")),
        (4, 5, 3, 116),
    ] {
        u16le(&mut tiff, tag);
        u16le(&mut tiff, kind);
        u32le(&mut tiff, count);
        u32le(&mut tiff, value);
    }
    u32le(&mut tiff, 0);
    assert_eq!(tiff.len(), 92);
    for (numerator, denominator) in [
        (39, 1),
        (54, 1),
        (2712, 100),
        (116, 1),
        (23, 1),
        (4567, 100),
    ] {
        u32le(&mut tiff, numerator);
        u32le(&mut tiff, denominator);
    }
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

/// A JPEG with the Exif segment right after its start marker, as cameras write it.
pub fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let plain = jpeg(width, height);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&exif_segment(orientation));
    out.extend_from_slice(&plain[2..]);
    out
}

/// The markers of a JPEG's segments up to its first scan.
pub fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    }
    markers
}

/// The chunk types of a PNG.
pub fn png_chunks(bytes: &[u8]) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        at += 12 + length;
    }
    chunks
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut typed = kind.to_vec();
    typed.extend_from_slice(data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
}

/// A PNG whose header says width × height of grey, with a token IDAT (an
/// empty zlib stream): what a decompression bomb's header looks like,
/// without its megabytes of compressed zeros.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey, deflate, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A real JPEG whose frame header is rewritten to say width × height.
pub fn jpeg_header_says(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg(16, 16);
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

/// A PDF of the given objects (bodies, numbered from 1; object 1 must be the
/// catalog) with a correct cross-reference table and trailer.
pub fn pdf(objects: &[&str]) -> Vec<u8> {
    pdf_with_trailer(objects, "")
}

pub fn pdf_with_trailer(objects: &[&str], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (index, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", index + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra}>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

pub const CATALOG: &str = "<< /Type /Catalog /Pages 2 0 R >>";
pub const PAGES: &str = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
pub const PAGE: &str = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>";
pub const CONTENT: &str = "<< /Length 33 >>\nstream\nBT /F1 12 Tf 20 100 Td (hi) Tj ET\nendstream";

/// A one-page PDF with a document information dictionary (object 5).
pub fn small_pdf() -> Vec<u8> {
    pdf_with_trailer(
        &[
            CATALOG,
            PAGES,
            PAGE,
            CONTENT,
            "<< /Author (Example Author) /Title (receipt) >>",
        ],
        "/Info 5 0 R ",
    )
}

//! Writes the files of `tests/corpus/` (run from the crate's folder:
//! `cargo run -p evidence --example make_corpus`). The files are committed;
//! this program says how each was made, so any can be made again.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fs;
use std::path::Path;

fn main() -> std::io::Result<()> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let write = |name: &str, bytes: &[u8]| fs::write(folder.join(name), bytes);

    write(
        "photo-gps-orientation-6.jpg",
        &support::jpeg_with_exif(32, 16, 6),
    )?;
    let mut polyglot = support::jpeg(24, 24);
    polyglot.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0payload.exe");
    polyglot.extend_from_slice(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    write("polyglot-jpeg-zip.jpg", &polyglot)?;
    let whole = support::jpeg(24, 24);
    write("truncated.jpg", &whole[..whole.len() / 2])?;
    write(
        "bomb-60000x60000.jpg",
        &support::jpeg_header_says(60_000, 60_000),
    )?;
    write(
        "bomb-20000x20000.png",
        &support::png_header_only(20_000, 20_000),
    )?;
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.resize(64, 0);
    write("executable-named.jpg", &elf)?;
    write(
        "html-sent-as.png",
        b"<!doctype html><title>x</title><script>alert(document.cookie)</script>\n",
    )?;
    write(
        "script.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>\n",
    )?;
    write(
        "animation.webp",
        b"RIFF\x1a\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0\0\0\0\0\0\0",
    )?;

    let pdf = support::small_pdf();
    write("small.pdf", &pdf)?;
    write("truncated.pdf", &pdf[..pdf.len() - 30])?;
    let text = String::from_utf8_lossy(&pdf).into_owned();
    let at = text.rfind("startxref\n").unwrap() + "startxref\n".len();
    let mut broken = pdf[..at].to_vec();
    broken.extend_from_slice(b"17\n%%EOF\n");
    write("broken-xref.pdf", &broken)?;
    let mut pdf_zip = pdf.clone();
    pdf_zip.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0payload.exe");
    write("polyglot-pdf-zip.pdf", &pdf_zip)?;
    let catalog =
        "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>";
    write(
        "javascript.pdf",
        &support::pdf(&[catalog, support::PAGES, support::PAGE, support::CONTENT]),
    )?;
    let encrypt = format!(
        "<< /Filter /Standard /V 1 /R 2 /O <{}> /U <{}> /P -4 >>",
        "3a".repeat(32),
        "5c".repeat(32)
    );
    let locked = support::pdf_with_trailer(
        &[
            support::CATALOG,
            support::PAGES,
            support::PAGE,
            support::CONTENT,
            &encrypt,
        ],
        &format!("/Encrypt 5 0 R /ID [<{0}> <{0}>] ", "01".repeat(16)),
    );
    write("encrypted.pdf", &locked)?;
    write("empty.jpg", b"")?;
    Ok(())
}

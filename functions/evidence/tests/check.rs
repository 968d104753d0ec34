//! What `check` accepts and refuses, one file at a time.

mod support;

use std::time::{Duration, Instant};

use evidence::{Kind, Refusal, check, sniff};
use support::*;

fn refusal_code(bytes: &[u8]) -> &'static str {
    match check(bytes, &limits()) {
        Ok(checked) => panic!("accepted as {:?}", checked.kind),
        Err(refusal) => refusal.code(),
    }
}

#[test]
fn a_photo_with_gps_and_orientation_is_stored_upright_without_metadata() {
    let original = jpeg_with_exif(64, 32, 6);
    // The test file itself carries what must go.
    assert!(jpeg_markers(&original).contains(&0xE1));
    assert!(contains(&original, &GPS_SECONDS));

    let checked = check(&original, &limits()).expect("a photo is accepted");
    assert_eq!(checked.kind, Kind::Jpeg);
    assert_eq!(checked.content_type(), "image/jpeg");
    assert_eq!(checked.extension(), "jpg");
    // Orientation 6 turns a wide photo into a tall one.
    assert_eq!(checked.dimensions(), Some((32, 64)));
    assert!(
        !jpeg_markers(&checked.bytes).contains(&0xE1),
        "no APP1 segment"
    );
    assert!(!contains(&checked.bytes, b"Exif"));
    assert!(!contains(&checked.bytes, &GPS_SECONDS));

    // Turned clockwise: the left (red) half is now on top.
    let stored = image::load_from_memory(&checked.bytes).unwrap().to_rgb8();
    assert_eq!(stored.dimensions(), (32, 64));
    let top = stored.get_pixel(16, 8);
    let bottom = stored.get_pixel(16, 56);
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );

    let thumbnail = checked.image.as_ref().unwrap().thumbnail.as_ref().unwrap();
    assert_eq!((thumbnail.width, thumbnail.height), (8, 16));
    let small = image::load_from_memory(&thumbnail.bytes).unwrap();
    assert_eq!((small.width(), small.height()), (8, 16));
    assert!(!contains(&thumbnail.bytes, b"Exif"));
}

#[test]
fn orientation_1_keeps_the_dimensions() {
    let checked = check(&jpeg_with_exif(64, 32, 1), &limits()).unwrap();
    assert_eq!(checked.dimensions(), Some((64, 32)));
}

#[test]
fn a_png_stays_a_png_with_only_pixel_chunks() {
    let mut original = png(40, 20);
    // A text chunk before IEND, as editors write them.
    let iend = original.len() - 12;
    let mut text = Vec::new();
    png_chunk(&mut text, b"tEXt", b"Author\0Example");
    original.splice(iend..iend, text);
    assert!(png_chunks(&original).contains(&"tEXt".to_string()));

    let checked = check(&original, &limits()).expect("a PNG is accepted");
    assert_eq!(checked.kind, Kind::Png);
    assert_eq!(checked.content_type(), "image/png");
    assert_eq!(checked.dimensions(), Some((40, 20)));
    let chunks = png_chunks(&checked.bytes);
    assert!(
        chunks
            .iter()
            .all(|c| c == "IHDR" || c == "IDAT" || c == "IEND"),
        "{chunks:?}"
    );
    assert!(!contains(&checked.bytes, b"Example"));
    let thumbnail = checked.thumbnail().unwrap();
    assert!(thumbnail.starts_with(b"\x89PNG"));
}

#[test]
fn an_executable_named_jpg_is_the_wrong_type() {
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.resize(256, 0);
    assert_eq!(sniff(&elf), Err("executable (ELF)"));
    assert_eq!(refusal_code(&elf), "wrong_type");
}

#[test]
fn html_is_the_wrong_type() {
    assert_eq!(
        refusal_code(b"<!doctype html><html><script>alert(1)</script></html>"),
        "wrong_type"
    );
    // Even if it starts with a JPEG's first byte.
    assert_eq!(refusal_code(b"\xFF<html>"), "wrong_type");
}

#[test]
fn an_empty_file_is_the_wrong_type() {
    assert_eq!(refusal_code(b""), "wrong_type");
}

#[test]
fn a_kind_the_rules_do_not_list_is_the_wrong_type() {
    let mut only_pdf = limits();
    only_pdf.kinds = [Kind::Pdf].into();
    let refused = check(&png(4, 4), &only_pdf).unwrap_err();
    assert_eq!(refused.code(), "wrong_type");
}

#[test]
fn a_truncated_jpeg_is_damaged() {
    let whole = jpeg(64, 64);
    for cut in [
        whole.len() - 2,
        whole.len() * 2 / 3,
        whole.len() / 2,
        200,
        20,
        3,
    ] {
        assert_eq!(refusal_code(&whole[..cut]), "damaged", "cut at {cut}");
    }
}

#[test]
fn a_truncated_png_is_damaged() {
    let whole = encode(
        &image::DynamicImage::new_rgb8(64, 64),
        image::ImageFormat::Png,
    );
    for cut in [whole.len() * 2 / 3, whole.len() / 2, 40, 9] {
        assert_eq!(refusal_code(&whole[..cut]), "damaged", "cut at {cut}");
    }
}

#[test]
fn a_png_bomb_is_refused_from_its_header_fast() {
    let bomb = png_header_only(20_000, 20_000);
    assert!(bomb.len() < 100);
    let started = Instant::now();
    let refused = check(&bomb, &limits()).unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        refused,
        Refusal::TooManyPixels {
            width: 20_000,
            height: 20_000
        }
    );
    assert_eq!(refused.code(), "too_many_pixels");
    // Allocating and filling 400 million pixels takes seconds; reading a
    // header, microseconds. (tests/allocation.rs measures the memory.)
    assert!(took < Duration::from_millis(200), "took {took:?}");
}

#[test]
fn a_jpeg_bomb_is_refused_from_its_header() {
    assert_eq!(
        refusal_code(&jpeg_header_says(60_000, 60_000)),
        "too_many_pixels"
    );
}

#[test]
fn one_long_side_is_too_many_pixels_even_if_the_area_fits() {
    let mut tight = limits();
    tight.max_side = 100;
    assert_eq!(
        check(&png_header_only(101, 2), &tight).unwrap_err(),
        Refusal::TooManyPixels {
            width: 101,
            height: 2
        }
    );
    let mut small_area = limits();
    small_area.max_pixels = 99;
    assert_eq!(
        check(&png(10, 10), &small_area).unwrap_err().code(),
        "too_many_pixels"
    );
    small_area.max_pixels = 100;
    assert!(check(&png(10, 10), &small_area).is_ok());
}

#[test]
fn over_size_is_too_large_whatever_the_content() {
    let photo = jpeg(64, 64);
    let mut tight = limits();
    tight.max_bytes = photo.len() as u64 - 1;
    assert_eq!(
        check(&photo, &tight).unwrap_err(),
        Refusal::TooLarge {
            size: photo.len() as u64,
            max: photo.len() as u64 - 1
        }
    );
    assert_eq!(
        check(&vec![0u8; 2000], &tight).unwrap_err().code(),
        "too_large"
    );
    tight.max_bytes = photo.len() as u64;
    assert!(check(&photo, &tight).is_ok());
}

#[test]
fn a_jpeg_zip_polyglot_is_stored_without_its_zip() {
    let mut polyglot = jpeg(48, 48);
    polyglot.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0payload.exe");
    polyglot.extend_from_slice(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    let checked = check(&polyglot, &limits()).expect("the JPEG part is a photo");
    assert!(!contains(&checked.bytes, b"PK\x03\x04"));
    assert!(!contains(&checked.bytes, b"payload"));
    assert_eq!(checked.dimensions(), Some((48, 48)));
}

#[test]
fn a_png_with_an_appended_zip_is_stored_without_it() {
    let mut polyglot = png(8, 8);
    polyglot.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0payload.exe");
    let checked = check(&polyglot, &limits()).expect("the PNG part is an image");
    assert!(!contains(&checked.bytes, b"PK\x03\x04"));
}

#[test]
fn no_time_budget_is_too_slow() {
    let mut hurried = limits();
    hurried.time_budget = Duration::ZERO;
    let refused = check(&jpeg(64, 64), &hurried).unwrap_err();
    assert_eq!(refused.code(), "too_slow");
    assert_eq!(
        check(&small_pdf(), &hurried).unwrap_err().code(),
        "too_slow"
    );
}

#[test]
fn no_thumbnail_side_makes_no_thumbnail() {
    let mut none = limits();
    none.thumbnail_side = 0;
    let checked = check(&jpeg(20, 10), &none).unwrap();
    assert!(checked.image.as_ref().unwrap().thumbnail.is_none());
    assert!(checked.thumbnail().is_none());
}

#[test]
fn a_small_image_is_not_enlarged_for_its_thumbnail() {
    let checked = check(&png(6, 3), &limits()).unwrap();
    let thumbnail = checked.image.unwrap().thumbnail.unwrap();
    assert_eq!((thumbnail.width, thumbnail.height), (6, 3));
}

#[test]
fn a_grey_jpeg_stays_grey() {
    let grey = encode(
        &image::DynamicImage::new_luma8(10, 10),
        image::ImageFormat::Jpeg,
    );
    let checked = check(&grey, &limits()).unwrap();
    let stored = image::load_from_memory(&checked.bytes).unwrap();
    assert_eq!(stored.color(), image::ColorType::L8);
}

#[test]
fn a_valid_pdf_is_kept_byte_for_byte() {
    let original = small_pdf();
    let checked = check(&original, &limits()).expect("a small PDF is accepted");
    assert_eq!(checked.kind, Kind::Pdf);
    assert_eq!(checked.bytes, original);
    assert_eq!(checked.content_type(), "application/pdf");
    assert_eq!(checked.extension(), "pdf");
    assert!(checked.image.is_none());
    assert!(checked.thumbnail().is_none());
}

#[test]
fn a_withheld_senders_pdf_loses_its_document_information_and_still_checks() {
    let original = small_pdf();
    assert!(contains(&original, b"Example Author"));
    let stripped = evidence::pdf_without_document_info(&original).expect("written again");
    assert!(
        !contains(&stripped, b"Example Author"),
        "the author survived"
    );
    assert!(
        !contains(&stripped, b"/Info"),
        "the trailer still points at an Info"
    );
    let again = check(&stripped, &limits()).expect("the stripped PDF checks again");
    assert_eq!(again.kind, Kind::Pdf);
    // The page is still there.
    assert!(contains(&stripped, b"(hi) Tj"));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_pdf_that_opens_at_its_first_page_is_accepted() {
    let catalog = "<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>";
    assert!(check(&pdf(&[catalog, PAGES, PAGE, CONTENT]), &limits()).is_ok());
}

#[test]
fn a_truncated_pdf_is_damaged() {
    let whole = small_pdf();
    for cut in [whole.len() - 3, whole.len() - 20, whole.len() / 2, 10] {
        assert_eq!(refusal_code(&whole[..cut]), "damaged", "cut at {cut}");
    }
}

#[test]
fn a_pdf_whose_startxref_points_elsewhere_is_damaged() {
    let whole = small_pdf();
    let text = String::from_utf8_lossy(&whole).into_owned();
    let at = text.rfind("startxref\n").unwrap() + "startxref\n".len();
    let end = at + text[at..].find('\n').unwrap();
    let offset: usize = text[at..end].parse().unwrap();
    for wrong in [offset - 7, offset + 3, 0] {
        let mut broken = whole[..at].to_vec();
        broken.extend_from_slice(format!("{wrong}\n%%EOF\n").as_bytes());
        assert_eq!(refusal_code(&broken), "damaged", "startxref {wrong}");
    }
}

#[test]
fn a_pdf_whose_xref_entry_points_elsewhere_is_damaged() {
    let whole = small_pdf();
    let text = String::from_utf8_lossy(&whole).into_owned();
    // The entry of object 3: shift its offset by one.
    let entries = text.find("0000000000 65535 f \n").unwrap() + 20;
    let third = entries + 2 * 20;
    let offset: usize = text[third..third + 10].parse().unwrap();
    let mut broken = whole.clone();
    broken[third..third + 10].copy_from_slice(format!("{:010}", offset + 1).as_bytes());
    assert_eq!(refusal_code(&broken), "damaged");
}

#[test]
fn a_pdf_with_a_zip_after_its_end_is_damaged() {
    let mut polyglot = small_pdf();
    polyglot.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0payload.exe");
    assert_eq!(refusal_code(&polyglot), "damaged");
}

#[test]
fn a_pdf_without_pages_is_damaged() {
    let catalog = "<< /Type /Catalog /Pages 2 0 R >>";
    let pages = "<< /Type /Pages /Kids [] /Count 0 >>";
    assert_eq!(refusal_code(&pdf(&[catalog, pages])), "damaged");
}

#[test]
fn a_pdf_with_javascript_is_refused() {
    let catalog =
        "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>";
    assert_eq!(
        check(&pdf(&[catalog, PAGES, PAGE, CONTENT]), &limits()).unwrap_err(),
        Refusal::ActiveContent { what: "JavaScript" }
    );
    // In a page's additional actions, as an indirect object.
    let page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /AA << /O 5 0 R >> >>";
    let action = "<< /S /JavaScript /JS 6 0 R >>";
    let script = "<< /Length 10 >>\nstream\napp.beep()\nendstream";
    assert_eq!(
        refusal_code(&pdf(&[CATALOG, PAGES, page, CONTENT, action, script])),
        "active_content"
    );
}

#[test]
fn a_pdf_with_a_launch_action_is_refused() {
    let catalog = "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (cmd.exe) >> >>";
    assert_eq!(
        refusal_code(&pdf(&[catalog, PAGES, PAGE, CONTENT])),
        "active_content"
    );
}

#[test]
fn an_encrypted_pdf_is_refused() {
    let encrypt = format!(
        "<< /Filter /Standard /V 1 /R 2 /O <{}> /U <{}> /P -4 >>",
        "3a".repeat(32),
        "5c".repeat(32)
    );
    let locked = pdf_with_trailer(
        &[CATALOG, PAGES, PAGE, CONTENT, &encrypt],
        &format!("/Encrypt 5 0 R /ID [<{0}> <{0}>] ", "01".repeat(16)),
    );
    assert_eq!(check(&locked, &limits()).unwrap_err(), Refusal::Encrypted);
}

#[test]
fn not_a_pdf_after_its_header_is_damaged() {
    assert_eq!(refusal_code(b"%PDF-1.7\n<html>not a pdf</html>"), "damaged");
}

#[test]
fn every_refusal_code_is_listed() {
    let samples = [
        Refusal::TooLarge { size: 2, max: 1 },
        Refusal::WrongType { found: "unknown" },
        Refusal::Damaged {
            reason: String::new(),
        },
        Refusal::TooManyPixels {
            width: 1,
            height: 1,
        },
        Refusal::TooSlow {
            budget: Duration::ZERO,
        },
        Refusal::Encrypted,
        Refusal::ActiveContent { what: "JavaScript" },
    ];
    let codes: Vec<_> = samples.iter().map(Refusal::code).collect();
    assert_eq!(codes, Refusal::CODES);
}

#[test]
fn kinds_read_from_the_rulebook_names() {
    for kind in Kind::ALL {
        assert_eq!(Kind::from_code(kind.code()), Some(kind));
    }
    assert_eq!(Kind::from_code("gif"), None);
}

#[test]
fn a_photo_with_a_broken_exif_block_is_accepted_without_it() {
    let plain = jpeg(30, 20);
    let mut broken = plain[..2].to_vec();
    broken.extend_from_slice(b"\xFF\xE1\x00\x10Exif\0\0MM\0*\xFF\xFF\xFF\xFF");
    broken.extend_from_slice(&plain[2..]);
    let checked = check(&broken, &limits()).expect("the pixels are fine");
    assert_eq!(checked.dimensions(), Some((30, 20)));
    assert!(!contains(&checked.bytes, b"Exif"));
}

#[test]
fn a_jpeg_with_data_between_segments_is_damaged() {
    let plain = jpeg(30, 20);
    // After the first segment (APP0), before the next marker.
    assert_eq!(plain[2..4], [0xFF, 0xE0]);
    let end = 4 + usize::from(u16::from_be_bytes([plain[4], plain[5]]));
    let mut odd = plain[..end].to_vec();
    odd.extend_from_slice(b"junk");
    odd.extend_from_slice(&plain[end..]);
    assert_eq!(refusal_code(&odd), "damaged");
}

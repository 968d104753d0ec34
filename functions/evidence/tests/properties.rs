//! Properties of `check` over generated input: it never panics, it accepts
//! every valid image it is given, and what it stores checks again as the
//! same kind and size (storing a stored copy changes nothing that matters).

mod support;

use evidence::{Kind, check};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use proptest::prelude::*;

fn picture(width: u32, height: u32, seed: u32, alpha: bool) -> DynamicImage {
    let value = move |x: u32, y: u32, c: u32| {
        (x.wrapping_mul(31) ^ y.wrapping_mul(17) ^ seed.wrapping_mul(c + 7)) as u8
    };
    if alpha {
        DynamicImage::ImageRgba8(RgbaImage::from_fn(width, height, |x, y| {
            Rgba([
                value(x, y, 0),
                value(x, y, 1),
                value(x, y, 2),
                value(x, y, 3),
            ])
        }))
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
            Rgb([value(x, y, 0), value(x, y, 1), value(x, y, 2)])
        }))
    }
}

/// A valid image as a file: (bytes, kind, width, height).
fn valid_image() -> impl Strategy<Value = (Vec<u8>, Kind, u32, u32)> {
    (
        1u32..48,
        1u32..48,
        any::<u32>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(width, height, seed, is_png, alpha)| {
            let (format, kind) = if is_png {
                (ImageFormat::Png, Kind::Png)
            } else {
                (ImageFormat::Jpeg, Kind::Jpeg)
            };
            let picture = picture(width, height, seed, alpha && is_png);
            (support::encode(&picture, format), kind, width, height)
        })
}

fn rechecks_the_same(bytes: &[u8]) {
    let limits = support::limits();
    if let Ok(first) = check(bytes, &limits) {
        let second = check(&first.bytes, &limits).expect("a stored copy is accepted again");
        assert_eq!(second.kind, first.kind);
        assert_eq!(second.dimensions(), first.dimensions());
        if first.kind == Kind::Pdf {
            assert_eq!(second.bytes, first.bytes);
        }
    }
}

proptest! {
    #[test]
    fn any_bytes_give_an_answer(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        rechecks_the_same(&bytes);
    }

    #[test]
    fn any_bytes_after_a_known_header_give_an_answer(
        header in prop::sample::select(vec![
            &b"\xFF\xD8\xFF"[..],
            &b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"[..],
            &b"\x89PNG\r\n\x1a\n"[..],
            &b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"[..],
            &b"%PDF-1.4\n"[..],
        ]),
        rest in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(&rest);
        rechecks_the_same(&bytes);
    }

    #[test]
    fn a_valid_image_is_accepted_and_its_copy_rechecks((bytes, kind, width, height) in valid_image()) {
        let limits = support::limits();
        let checked = check(&bytes, &limits).expect("a valid image is accepted");
        prop_assert_eq!(checked.kind, kind);
        prop_assert_eq!(checked.dimensions(), Some((width, height)));
        let again = check(&checked.bytes, &limits).expect("its copy is accepted");
        prop_assert_eq!(again.kind, kind);
        prop_assert_eq!(again.dimensions(), Some((width, height)));
    }

    #[test]
    fn a_damaged_image_never_panics_and_any_copy_rechecks(
        (bytes, _, _, _) in valid_image(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        keep in any::<prop::sample::Index>(),
    ) {
        let mut bytes = bytes;
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        let keep = keep.index(bytes.len()) + 1;
        bytes.truncate(keep);
        rechecks_the_same(&bytes);
    }

    #[test]
    fn a_damaged_pdf_never_panics_and_any_copy_rechecks(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        keep in any::<prop::sample::Index>(),
    ) {
        let mut bytes = support::small_pdf();
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        let keep = keep.index(bytes.len()) + 1;
        bytes.truncate(keep.max(bytes.len() - 8));
        rechecks_the_same(&bytes);
    }
}

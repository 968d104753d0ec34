//! A decompression bomb is refused without allocating its pixels: the peak
//! of live heap memory while `check` runs is measured with a counting
//! allocator (this file is its own test binary, so the allocator counts only
//! this test).

mod support;

#[path = "support/counting.rs"]
mod counting;
use counting::{Counting, peak_of};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn bombs_are_refused_without_allocating_their_pixels() {
    let limits = support::limits();
    let png_bomb = support::png_header_only(20_000, 20_000);
    let jpeg_bomb = support::jpeg_header_says(60_000, 60_000);
    let photo = support::jpeg(1000, 1000);

    let (_, png_peak) = peak_of(|| {
        assert_eq!(
            evidence::check(&png_bomb, &limits).unwrap_err().code(),
            "too_many_pixels"
        );
    });
    let (_, jpeg_peak) = peak_of(|| {
        assert_eq!(
            evidence::check(&jpeg_bomb, &limits).unwrap_err().code(),
            "too_many_pixels"
        );
    });
    // The measurement itself is checked: a real decode of a million pixels
    // (3 MB of RGB) shows up.
    let (_, photo_peak) = peak_of(|| {
        evidence::check(&photo, &limits).unwrap();
    });
    // 20,000 × 20,000 grey would be 400 MB; the header costs kilobytes.
    assert!(png_peak < 1 << 20, "PNG bomb peak {png_peak} bytes");
    assert!(jpeg_peak < 1 << 20, "JPEG bomb peak {jpeg_peak} bytes");
    assert!(photo_peak > 3_000_000, "photo peak {photo_peak} bytes");
}

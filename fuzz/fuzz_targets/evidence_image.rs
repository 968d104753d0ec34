//! The image check: any bytes give a stored copy or a refusal, never a panic;
//! a stored copy checks again as the same kind and size and carries no EXIF.
//! The first byte picks a header to put in front (0: none, 1: JPEG, 2: PNG),
//! so the fuzzer spends its time past the type check.
#![no_main]

use std::collections::BTreeSet;
use std::time::Duration;

use evidence::{Kind, Limits, check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = match selector % 3 {
        1 => b"\xFF\xD8\xFF".to_vec(),
        2 => b"\x89PNG\r\n\x1a\n".to_vec(),
        _ => Vec::new(),
    };
    bytes.extend_from_slice(rest);
    // Small limits keep each run quick; the code paths are the same.
    let limits = Limits {
        max_bytes: 1 << 20,
        max_pixels: 1 << 20,
        max_side: 4096,
        time_budget: Duration::from_secs(10),
        thumbnail_side: 32,
        kinds: BTreeSet::from([Kind::Jpeg, Kind::Png]),
    };
    if let Ok(first) = check(&bytes, &limits) {
        assert!(first.kind.is_image());
        assert!(!first.bytes.windows(6).any(|w| w == b"Exif\0\0"));
        let second = check(&first.bytes, &limits).expect("a stored copy checks again");
        assert_eq!(second.kind, first.kind);
        assert_eq!(second.dimensions(), first.dimensions());
    }
});

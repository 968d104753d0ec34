//! The PDF check: any bytes give an accepted PDF or a refusal, never a
//! panic; an accepted PDF is stored byte for byte. `%PDF-1.7` is put in
//! front of input that does not start with a PDF header, so the fuzzer
//! spends its time in the parser.
#![no_main]

use std::collections::BTreeSet;
use std::time::Duration;

use evidence::{Kind, Limits, check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = if data.starts_with(b"%PDF-") {
        data.to_vec()
    } else {
        [b"%PDF-1.7\n".as_slice(), data].concat()
    };
    let limits = Limits {
        max_bytes: 1 << 20,
        max_pixels: 1 << 20,
        max_side: 4096,
        time_budget: Duration::from_secs(10),
        thumbnail_side: 32,
        kinds: BTreeSet::from([Kind::Pdf]),
    };
    if let Ok(checked) = check(&bytes, &limits) {
        assert_eq!(checked.kind, Kind::Pdf);
        assert_eq!(checked.bytes, bytes);
    }
});

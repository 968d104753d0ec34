//! Re-encoding a 12-megapixel photo: time per image and peak memory.
//!
//! `cargo bench -p evidence --bench reencode` (release profile). The photo
//! is made at start: 4000 × 3000 with gradients and noise, encoded at JPEG
//! quality 92 as a phone would, so it compresses like a photo (a little
//! worse: noise is costlier than a street scene). It is checked upright and
//! with EXIF Orientation 6 (the pixels turned too); `check` runs RUNS times
//! each and the median time is printed.
//!
//! Memory, two ways: the peak of live heap bytes during one `check`, counted
//! by the global allocator below (what the check itself needs, without the
//! input), and the process's peak resident size (VmHWM from the kernel),
//! which includes making the input and the allocator's retained pages. A
//! Lambda's memory must hold the second with margin.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use evidence::{Kind, Limits, check};

#[path = "../tests/support/mod.rs"]
mod support;
use image::{DynamicImage, Rgb, RgbImage};

const RUNS: usize = 7;

#[path = "../tests/support/counting.rs"]
mod counting;
use counting::{Counting, peak_of};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn photo(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 24) as i32 - 12
    };
    let picture = RgbImage::from_fn(width, height, |x, y| {
        let (x, y) = (x as i32, y as i32);
        let channel = |base: i32, n: i32| (base + n).clamp(0, 255) as u8;
        Rgb([
            channel(x * 255 / width as i32, noise()),
            channel(y * 255 / height as i32, noise()),
            channel(((x / 40 + y / 40) % 2) * 120 + 60, noise()),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
    DynamicImage::ImageRgb8(picture)
        .write_with_encoder(encoder)
        .expect("encode the photo");
    out.into_inner()
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn measure(name: &str, input: &[u8], limits: &Limits, upright: (u32, u32)) {
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    let mut stored = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let (checked, peak) = peak_of(|| check(input, limits).expect("the photo is accepted"));
        times.push(started.elapsed());
        peaks.push(peak);
        stored = checked.bytes.len();
        assert_eq!(checked.dimensions(), Some(upright));
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("{name}:");
    println!(
        "  input {:.1} MiB, stored copy {:.1} MiB",
        mib(input.len()),
        mib(stored)
    );
    println!(
        "  check (decode, orient, re-encode, thumbnail): median {:.0} ms of {RUNS} (min {:.0}, max {:.0})",
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1])
    );
    println!(
        "  peak heap during one check (counting allocator): {:.0} MiB",
        mib(*peaks.iter().max().unwrap())
    );
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

fn main() {
    let (width, height) = (4000, 3000);
    let upright = photo(width, height);
    // The same photo as a phone held upright writes it: sideways pixels and
    // Orientation 6, so the check also turns 12 million pixels.
    let mut sideways = upright[..2].to_vec();
    sideways.extend_from_slice(&support::exif_segment(6));
    sideways.extend_from_slice(&upright[2..]);
    let limits = Limits {
        max_bytes: 64 << 20,
        max_pixels: 40_000_000,
        max_side: 10_000,
        time_budget: Duration::from_secs(60),
        thumbnail_side: 320,
        kinds: BTreeSet::from(Kind::ALL),
    };
    println!(
        "{width}×{height} JPEG made at quality 92, stored at quality {}",
        evidence::JPEG_QUALITY
    );
    measure("upright", &upright, &limits, (width, height));
    measure("orientation 6", &sideways, &limits, (height, width));
    match vm_hwm_kib() {
        Some(kib) => println!(
            "process peak resident (VmHWM): {:.0} MiB",
            kib as f64 / 1024.0
        ),
        None => println!("process peak resident (VmHWM): not available on this system"),
    }
}

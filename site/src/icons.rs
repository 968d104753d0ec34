//! The site's icons, made at build time from one source image: the theme's
//! `static/icon.png` (square, at least 512 px; an editor replaces it with
//! `content/_theme/static/icon.png`). From it come `favicon.ico` (16, 32
//! and 48 px), `apple-touch-icon.png` (180 px, on white, as iOS shows no
//! transparency), the web manifest's 192 and 512 px icons, and
//! `site.webmanifest`, named after the site and coloured with the style
//! sheet's `--accent`.
//!
//! Not here: the `<link>` elements (base.html and shell.html) or the
//! content security policy's `manifest-src`.

use crate::config::SiteConfig;
use casework::Lang;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, RgbaImage};
use std::io::Cursor;

/// The source image, under `static/`.
pub const SOURCE: &str = "icon.png";

/// The smallest side the source may have: the manifest's largest icon.
pub const MIN_SIDE: u32 = 512;

/// Why the source image cannot make the icons.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IconError {
    #[error("static/{SOURCE} is missing")]
    Missing,
    #[error("static/{SOURCE} is not a PNG image the build can read ({0})")]
    Unreadable(String),
    #[error(
        "static/{SOURCE} is {width}×{height} px: it must be square and at least {MIN_SIDE}×{MIN_SIDE}"
    )]
    WrongSize { width: u32, height: u32 },
}

/// Every icon file, as (path in the site, bytes).
pub fn icon_set(
    static_files: &[(String, Vec<u8>)],
    config: &SiteConfig,
    short_name: &str,
) -> Result<Vec<(String, Vec<u8>)>, IconError> {
    let source = static_files
        .iter()
        .find(|(name, _)| name == SOURCE)
        .map(|(_, bytes)| bytes)
        .ok_or(IconError::Missing)?;
    let image = image::load_from_memory_with_format(source, ImageFormat::Png)
        .map_err(|e| IconError::Unreadable(e.to_string()))?;
    let (width, height) = (image.width(), image.height());
    if width != height || width < MIN_SIDE {
        return Err(IconError::WrongSize { width, height });
    }
    let accent = static_files
        .iter()
        .find(|(name, _)| name == "style.css")
        .and_then(|(_, css)| accent_of(&String::from_utf8_lossy(css)))
        .unwrap_or_else(|| "#ffffff".to_string());
    let sized = |side: u32| image.resize_exact(side, side, FilterType::Lanczos3);
    let mut out = vec![
        ("favicon.ico".to_string(), ico(&[16, 32, 48].map(sized))),
        (
            "apple-touch-icon.png".to_string(),
            png(&DynamicImage::ImageRgba8(on_white(&sized(180).to_rgba8()))),
        ),
        ("static/icon-192.png".to_string(), png(&sized(192))),
        ("static/icon-512.png".to_string(), png(&sized(512))),
    ];
    out.push((
        "site.webmanifest".to_string(),
        manifest(config, short_name, &accent).into_bytes(),
    ));
    Ok(out)
}

/// The value of `--accent:` in the style sheet, if it is a colour.
fn accent_of(css: &str) -> Option<String> {
    let at = css.find("--accent:")? + "--accent:".len();
    let value: String = css[at..]
        .chars()
        .take_while(|c| *c != ';' && *c != '}')
        .collect();
    let value = value.trim();
    (value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| value.to_string())
}

fn manifest(config: &SiteConfig, short_name: &str, accent: &str) -> String {
    let icon = |side: u32| {
        serde_json::json!({
            "src": format!("/static/icon-{side}.png"),
            "sizes": format!("{side}x{side}"),
            "type": "image/png",
        })
    };
    let doc = serde_json::json!({
        "name": config.title.get(Lang::Zh),
        "short_name": short_name,
        "description": config.description.get(Lang::Zh),
        "lang": Lang::Zh.html_tag(),
        "start_url": "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": accent,
        "icons": [icon(192), icon(512)],
    });
    format!("{doc:#}\n")
}

fn png(image: &DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    // Writing a decoded image to memory cannot fail.
    let _ = image.write_to(&mut out, ImageFormat::Png);
    out.into_inner()
}

fn ico(sizes: &[DynamicImage]) -> Vec<u8> {
    let frames: Vec<image::codecs::ico::IcoFrame<'static>> = sizes
        .iter()
        .filter_map(|i| {
            let rgba = i.to_rgba8();
            image::codecs::ico::IcoFrame::as_png(
                rgba.as_raw(),
                rgba.width(),
                rgba.height(),
                image::ExtendedColorType::Rgba8,
            )
            .ok()
        })
        .collect();
    let mut out = Vec::new();
    let _ = image::codecs::ico::IcoEncoder::new(&mut out).encode_images(&frames);
    out
}

/// `image` laid on white: what the home screen shows, with no see-through corners.
fn on_white(image: &RgbaImage) -> RgbaImage {
    let mut out = image.clone();
    for p in out.pixels_mut() {
        let a = u16::from(p[3]);
        for c in 0..3 {
            p[c] = ((u16::from(p[c]) * a + 255 * (255 - a)) / 255) as u8;
        }
        p[3] = 255;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SiteConfig {
        let mut c = SiteConfig::default();
        c.title.zh = "示例热线".into();
        c
    }

    #[test]
    fn the_theme_icon_makes_every_size_and_a_manifest() {
        let files = crate::theme::static_files(&[]);
        let set = icon_set(&files, &config(), "12345").expect("the theme's icon");
        let get = |name: &str| &set.iter().find(|(n, _)| n == name).expect(name).1;
        let ico = image::load_from_memory_with_format(get("favicon.ico"), ImageFormat::Ico)
            .expect("an ICO");
        assert_eq!(ico.width(), 48, "the largest frame");
        for (name, side) in [
            ("apple-touch-icon.png", 180),
            ("static/icon-192.png", 192),
            ("static/icon-512.png", 512),
        ] {
            let png = image::load_from_memory_with_format(get(name), ImageFormat::Png).expect(name);
            assert_eq!((png.width(), png.height()), (side, side), "{name}");
        }
        let apple = image::load_from_memory(get("apple-touch-icon.png"))
            .unwrap()
            .to_rgba8();
        assert!(apple.pixels().all(|p| p[3] == 255), "no see-through pixel");
        let manifest: serde_json::Value =
            serde_json::from_slice(get("site.webmanifest")).expect("JSON");
        assert_eq!(manifest["name"], "示例热线");
        assert_eq!(manifest["short_name"], "12345");
        assert_eq!(manifest["icons"][1]["sizes"], "512x512");
        let css = files.iter().find(|(n, _)| n == "style.css").unwrap();
        let accent = accent_of(&String::from_utf8_lossy(&css.1)).expect("an accent");
        assert_eq!(manifest["theme_color"], accent.as_str());
    }

    #[test]
    fn a_source_that_is_not_square_or_too_small_is_refused() {
        let mut small = Cursor::new(Vec::new());
        DynamicImage::new_rgba8(512, 256)
            .write_to(&mut small, ImageFormat::Png)
            .unwrap();
        let files = vec![(SOURCE.to_string(), small.into_inner())];
        assert_eq!(
            icon_set(&files, &config(), "x"),
            Err(IconError::WrongSize {
                width: 512,
                height: 256
            })
        );
        let files = vec![(SOURCE.to_string(), b"GIF89a".to_vec())];
        assert!(matches!(
            icon_set(&files, &config(), "x"),
            Err(IconError::Unreadable(_))
        ));
        assert_eq!(icon_set(&[], &config(), "x"), Err(IconError::Missing));
    }
}

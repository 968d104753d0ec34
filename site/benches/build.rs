//! Site-build benchmark: `hotline build` against Hugo on the same corpus.
//!
//! Run with `cargo bench -p hotline-site --bench build` (sizes can be given
//! after `--`, e.g. `-- 1000`). The `hotline` binary is another package's
//! (`site/cli/`): the benchmark first builds it with the same cargo and
//! profile, into the same target folder, and runs that. For each size it generates a Chinese corpus
//! in a temporary folder (four sections, pages of 600–1500 characters with
//! headings, lists, a table, internal links with anchors and an outside
//! link), writes it once as a hotline project and once as a Hugo site with
//! two languages and minimal templates doing similar work (title, content,
//! a nav of the sections, alternates, section listings, a home feed and a
//! sitemap), then runs each tool three times as a child process.
//!
//! Both tools write every page twice: hotline renders the English site from
//! the Chinese text (no translations), Hugo gets the same files under its
//! second language. Internal links are checked by both (`@/…` in hotline,
//! `relref` in Hugo).
//!
//! hotline runs with an empty PATH, so its optional search step (an
//! external Pagefind run) is skipped: Hugo's build does no such indexing.
//!
//! Printed per tool: best wall time of three, Markdown pages per second, and
//! the peak resident memory of the child (from `wait4`). The machine is
//! noisy, so the verdict is the ratio hotline/Hugo measured in the same run,
//! not a fixed time. This is not a test and asserts nothing about speed.
//!
//! CPU time (user + system, from the same `wait4`) is printed beside wall
//! time: on a busy machine it moves much less. With `BENCH_OUT=DIR` both
//! tools write their output under `DIR` (e.g. a tmpfs), which takes the
//! disk out of the comparison; some file systems make creating many files
//! right after deleting many very slow, and the benchmark deletes each
//! output before the next run.
//!
//! With `BENCH_KEEP=DIR`, each corpus is also copied to `DIR/<pages>/`,
//! for profiling one tool by hand.
//!
//! Without `--bench` (e.g. `cargo test --benches`) it only checks, on a
//! small corpus, that the hotline build succeeds, and does not need Hugo.
//!
//! Why this file is long: the benchmark writes the same corpus for two tools (a hotline project and a Hugo site with its templates) and measures both; the corpus writer and the runner are read together.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const DEFAULT_SIZES: [usize; 2] = [1_000, 10_000];
const HUGO_INSTALL: &str = "apt-get install -y hugo";

/// Folder name and title of each section.
const SECTIONS: [(&str, &str); 4] = [
    ("guides", "办事指南"),
    ("answers", "常见问答"),
    ("cases", "典型案例"),
    ("reports", "工作通报"),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if !benching {
        smoke();
        return;
    }
    if sizes.is_empty() {
        sizes = DEFAULT_SIZES.to_vec();
    }
    let hugo_version = match Command::new("hugo").arg("version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => {
            eprintln!("error: Hugo is missing; the benchmark compares against it.");
            eprintln!("Fix: {HUGO_INSTALL}");
            std::process::exit(1);
        }
    };
    let hotline = hotline_binary();
    let hotline = hotline.as_path();
    println!(
        "hotline: {} (release, run as a child process)",
        hotline.display()
    );
    println!("         without the Pagefind search step (kept off its PATH)");
    println!("Hugo:    {hugo_version}");
    println!("best of {RUNS} runs; pages = Markdown pages, each written in 2 languages\n");

    let mut rows = Vec::new();
    for &n in &sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let corpus = Corpus::write(dir.path(), n);
        if let Some(keep) = std::env::var_os("BENCH_KEEP") {
            // For profiling by hand: keep a copy of the corpus.
            let keep = PathBuf::from(keep).join(n.to_string());
            copy_dir(dir.path(), &keep);
            println!("corpus kept in {}", keep.display());
        }
        let out_dir = match std::env::var_os("BENCH_OUT") {
            Some(root) => tempfile::tempdir_in(root).expect("a folder under BENCH_OUT"),
            None => tempfile::tempdir_in(dir.path()).expect("an output folder"),
        };
        let out_h = out_dir.path().join("out-hotline");
        let out_g = out_dir.path().join("out-hugo");

        let h = measure(&out_h, || {
            let mut c = Command::new(hotline);
            // No search index: it is an external Pagefind run that Hugo's
            // build has no counterpart for; an empty PATH keeps it out.
            c.env("PATH", dir.path().join("no-tools"))
                .current_dir(&corpus.hotline)
                .arg("build")
                .arg("--output")
                .arg(&out_h);
            c
        });
        let html_h = count_html(&out_h);
        let g = measure(&out_g, || {
            let mut c = Command::new("hugo");
            c.arg("--source")
                .arg(&corpus.hugo)
                .arg("--destination")
                .arg(&out_g);
            c
        });
        let html_g = count_html(&out_g);
        println!(
            "{n} pages: {} of Markdown; hotline wrote {html_h} HTML pages, Hugo {html_g}",
            megabytes(corpus.bytes)
        );
        rows.push((n, h, g));
    }

    println!();
    println!("| Pages  | Tool    | Wall (best of 3) | CPU (best of 3) | Pages/s | Peak memory |");
    println!("|-------:|---------|-----------------:|----------------:|--------:|------------:|");
    for (n, h, g) in &rows {
        for (name, m) in [("hotline", h), ("Hugo", g)] {
            println!(
                "| {n:>6} | {name:<7} | {:>14.3} s | {:>13.3} s | {:>7.0} | {:>11} |",
                m.wall.as_secs_f64(),
                m.cpu.as_secs_f64(),
                *n as f64 / m.wall.as_secs_f64(),
                megabytes(m.max_rss_kb)
            );
        }
        println!(
            "| {n:>6} | ratio   | {:>15.2}× | {:>14.2}× | {:>7} | {:>10.2}× |",
            h.wall.as_secs_f64() / g.wall.as_secs_f64(),
            h.cpu.as_secs_f64() / g.cpu.as_secs_f64(),
            "",
            h.max_rss_kb as f64 / g.max_rss_kb as f64
        );
    }
    if let Some((n, h, g)) = rows.iter().find(|r| r.0 == 10_000) {
        let ratio = h.wall.as_secs_f64() / g.wall.as_secs_f64();
        println!("\ntargets at {n} pages:");
        verdict("wall time ≤ 1 s", h.wall.as_secs_f64() <= 1.0);
        verdict("wall time ≤ 0.3× Hugo", ratio <= 0.3);
        verdict("peak memory ≤ 200 MB", h.max_rss_kb <= 200 * 1024);
    }
}

fn verdict(what: &str, met: bool) {
    println!("  {what}: {}", if met { "met" } else { "MISSED" });
}

/// The `hotline` binary, built first for this benchmark's profile. Cargo
/// gives a benchmark only its own package's binaries, and the command
/// lives in the `hotline` package, so it is built here: the benchmark's
/// executable sits in `<target>/<profile>/deps/`, and `--release` (what
/// `cargo bench` builds with) or the dev profile puts the binary in
/// `<target>/<profile>/`.
fn hotline_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the benchmark runs from <target>/<profile>/deps");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut build = Command::new(cargo);
    build.args(["build", "--locked", "-p", "hotline", "--bin", "hotline"]);
    if release {
        build.arg("--release");
    }
    if let Some(target) = profile_dir.parent() {
        build.arg("--target-dir").arg(target);
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the hotline binary failed");
    profile_dir.join(format!("hotline{}", std::env::consts::EXE_SUFFIX))
}

/// Without `--bench`: a small corpus must build, and nothing else is timed.
fn smoke() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let corpus = Corpus::write(dir.path(), 40);
    let out = dir.path().join("out");
    let m = run(Command::new(hotline_binary())
        .current_dir(&corpus.hotline)
        .arg("build")
        .arg("--output")
        .arg(&out));
    assert_eq!(count_html(&out), 2 * (40 + 1 + SECTIONS.len()));
    println!(
        "smoke run: 40 pages built in {:.3} s; run with `cargo bench` to compare with Hugo",
        m.wall.as_secs_f64()
    );
}

#[derive(Debug, Clone, Copy)]
struct Measure {
    wall: Duration,
    /// User plus system time of the child.
    cpu: Duration,
    max_rss_kb: u64,
}

/// Best wall time of [`RUNS`], and the highest peak memory seen.
fn measure(out: &Path, command: impl Fn() -> Command) -> Measure {
    let mut best: Option<Measure> = None;
    for _ in 0..RUNS {
        if out.exists() {
            fs::remove_dir_all(out).expect("removing the previous output");
        }
        let m = run(&mut command());
        best = Some(match best {
            None => m,
            Some(b) => Measure {
                wall: b.wall.min(m.wall),
                cpu: b.cpu.min(m.cpu),
                max_rss_kb: b.max_rss_kb.max(m.max_rss_kb),
            },
        });
    }
    best.expect("at least one run")
}

/// Runs a child to completion; its output goes to a log shown if it fails.
fn run(command: &mut Command) -> Measure {
    let log = tempfile::NamedTempFile::new().expect("a log file");
    let start = Instant::now();
    // Reaped below by `wait4`, which also gives its peak memory.
    #[allow(clippy::zombie_processes)]
    let child = command
        .stdin(Stdio::null())
        .stdout(log.reopen().expect("the log"))
        .stderr(log.reopen().expect("the log"))
        .spawn()
        .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
    let mut status = 0;
    // SAFETY: `rusage` is plain data, valid when zeroed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // `wait4` reaps this child and reports its own peak memory, unlike
    // RUSAGE_CHILDREN, which keeps the maximum over every child so far.
    // SAFETY: the pointers are valid for the call; the pid is our child,
    // which `Child` never waits for after this.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let text = fs::read_to_string(log.path()).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("{command:?} failed ({status}):\n{}", tail.join("\n"));
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Measure {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        // Linux reports ru_maxrss in kilobytes.
        max_rss_kb: usage.ru_maxrss as u64,
    }
}

fn megabytes(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("creating a copy");
    for entry in fs::read_dir(from).expect("reading the corpus") {
        let entry = entry.expect("a corpus entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copying the corpus");
        }
    }
}

fn count_html(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("reading the output") {
            let entry = entry.expect("an output entry");
            if entry.file_type().expect("a file type").is_dir() {
                stack.push(entry.path());
            } else if entry.file_name() == "index.html" {
                n += 1;
            }
        }
    }
    n
}

/// The generated corpus, written as a hotline project and as a Hugo site.
struct Corpus {
    hotline: PathBuf,
    hugo: PathBuf,
    /// Size of the Markdown, in kilobytes.
    bytes: u64,
}

impl Corpus {
    fn write(dir: &Path, pages: usize) -> Corpus {
        let hotline = dir.join("hotline");
        let hugo = dir.join("hugo");
        let content = hotline.join("content");
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/rules.toml");
        fs::create_dir_all(&content).expect("creating the corpus");
        fs::copy(&rules, content.join("rules.toml")).expect("copying content/rules.toml");
        put(
            &content.join("site.toml"),
            "title = { zh = \"示例市政务服务便民热线\", en = \"Example City Hotline\" }\n\
             base_url = \"https://hotline.example.org\"\n",
        );
        write_hugo_skeleton(&hugo);

        let mut files = vec![("_index.md".to_string(), home())];
        for (i, (dir, title)) in SECTIONS.iter().enumerate() {
            files.push((format!("{dir}/_index.md"), section(i, dir, title)));
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for i in 0..pages {
            files.push((page_path(i), page(i, pages, &mut rng)));
        }
        let mut bytes = 0;
        for (path, text) in &files {
            bytes += text.len() as u64;
            put(&content.join(path), text);
            let converted = to_hugo_links(text);
            for lang in ["zh", "en"] {
                put(&hugo.join("content").join(lang).join(path), &converted);
            }
        }
        Corpus {
            hotline,
            hugo,
            bytes: bytes / 1024,
        }
    }
}

fn put(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("creating a corpus folder");
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

fn page_path(i: usize) -> String {
    format!("{}/p{i:05}.md", SECTIONS[i % SECTIONS.len()].0)
}

/// `](@/path.md#id)` → `]({{< relref "/path.md#id" >}})`: Hugo's checked link.
fn to_hugo_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text;
    while let Some(at) = rest.find("](@/") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let end = after.find(')').expect("a closing parenthesis");
        write!(out, "]({{{{< relref \"/{}\" >}}}})", &after[..end]).expect("writing to a string");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A small deterministic generator, so every run sees the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WHO: &[&str] = &[
    "市民",
    "来电群众",
    "承办单位",
    "街道办事处",
    "物业服务企业",
    "区住房和城乡建设局",
    "市场监督管理部门",
    "热线工作人员",
    "社区居委会",
    "交通运输部门",
];
const DOES: &[&str] = &[
    "反映",
    "咨询",
    "投诉",
    "核实",
    "协调处理",
    "书面答复",
    "现场查看",
    "跟踪督办",
    "依法处理",
    "及时回访",
];
const WHAT: &[&str] = &[
    "小区电梯长期停运的问题",
    "夜间施工噪声扰民的情况",
    "公交线路调整后换乘不便的问题",
    "老旧小区加装电梯的办理流程",
    "医保异地就医备案的有关规定",
    "占道经营影响通行的情况",
    "供暖温度不达标的问题",
    "预付卡商家停业后退费难的问题",
    "路灯损坏无人维修的情况",
    "农民工工资拖欠的诉求",
];
const TAIL: &[&str] = &[
    "，并在规定时限内告知办理结果",
    "，办理情况通过短信告知来电人",
    "，必要时会同有关部门联合处置",
    "，对不满意的答复可以申请复查",
    "，全过程留痕、可追溯",
    "",
];
const STEPS: &[&str] = &[
    "拨打 12345 或在网上提交诉求，取得受理编号",
    "中心在一个工作日内登记并转交承办单位",
    "承办单位核实情况，依法依规提出处理意见",
    "中心审核办理结果，不合格的退回重办",
    "工作人员回访来电人，了解是否满意",
    "对逾期未办结的事项，中心发出督办通知",
];
/// The limits table as editors write it: references to the rulebook,
/// which `hotline check` requires (Hugo shows them as written).
const TYPES: &[(&str, &str, &str)] = &[
    (
        "{{ case_types.consultation.name }}",
        "{{ case_types.consultation.accept }}",
        "{{ case_types.consultation.complete }}",
    ),
    (
        "{{ case_types.complaint.name }}",
        "{{ case_types.complaint.accept }}",
        "{{ case_types.complaint.complete }}",
    ),
    (
        "{{ case_types.report.name }}",
        "{{ case_types.report.accept }}",
        "{{ case_types.report.complete }}",
    ),
    (
        "{{ case_types.suggestion.name }}",
        "{{ case_types.suggestion.accept }}",
        "{{ case_types.suggestion.reply }}",
    ),
];

fn sentence(rng: &mut Rng) -> String {
    format!(
        "{}{}{}{}。",
        rng.pick(WHO),
        rng.pick(DOES),
        rng.pick(WHAT),
        rng.pick(TAIL)
    )
}

fn paragraph(rng: &mut Rng, sentences: usize) -> String {
    (0..sentences).map(|_| sentence(rng)).collect()
}

fn home() -> String {
    let mut s = String::from(
        "+++\ntitle = \"示例市政务服务便民热线\"\n\
         description = \"咨询、投诉、举报、建议：一个号码，统一受理。\"\n+++\n\n\
         欢迎来到示例市政务服务便民热线。\n\n## 栏目\n\n",
    );
    for (dir, title) in SECTIONS {
        writeln!(s, "- [{title}](@/{dir}/_index.md)").expect("writing to a string");
    }
    s
}

fn section(i: usize, dir: &str, title: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\ndescription = \"{title}栏目的全部内容。\"\nweight = {}\n+++\n\n\
         本栏目收录{title}，按发布顺序排列。返回[首页](@/_index.md)。栏目地址：{dir}。\n",
        (i + 1) * 10
    )
}

/// One page of 600–1500 characters of body.
fn page(i: usize, pages: usize, rng: &mut Rng) -> String {
    let target = 600 + rng.below(901);
    let (dir, section_title) = SECTIONS[i % SECTIONS.len()];
    let title = format!("{}{}（第 {} 号）", rng.pick(WHO), rng.pick(DOES), i + 1);
    let mut body = String::new();
    writeln!(body, "{}\n", paragraph(rng, 2)).expect("writing to a string");
    writeln!(body, "## 适用范围\n\n{}\n", paragraph(rng, 2)).expect("writing to a string");
    body.push_str("## 办理流程\n\n");
    for (n, step) in STEPS.iter().enumerate() {
        writeln!(body, "{}. {step}；", n + 1).expect("writing to a string");
    }
    body.push_str("\n## 办理时限\n\n| 类型 | 受理 | 答复或办结 |\n| --- | --- | --- |\n");
    for (kind, accept, close) in TYPES {
        writeln!(body, "| {kind} | {accept} | {close} |").expect("writing to a string");
    }
    body.push_str("\n## 补充说明\n\n");
    // Room for the links section, about 80 characters.
    while body.chars().count() + 80 < target {
        let sentences = 1 + rng.below(3);
        writeln!(body, "{}\n", paragraph(rng, sentences)).expect("writing to a string");
    }
    let other = (i * 7 + 3) % pages;
    writeln!(
        body,
        "## 相关链接\n\n- [第 {} 号的办理流程](@/{}#办理流程)\n- [{section_title}](@/{dir}/_index.md)\n- [在线留言](https://hotline.example.org/form/)",
        other + 1,
        page_path(other)
    )
    .expect("writing to a string");
    format!(
        "+++\ntitle = \"{title}\"\ndescription = \"{}\"\nweight = {}\ndate = 2025-{:02}-{:02}\n+++\n\n{body}",
        rng.pick(WHAT),
        i + 1,
        1 + i % 12,
        1 + i % 28
    )
}

/// Hugo's configuration and templates: the same pages in two languages.
fn write_hugo_skeleton(root: &Path) {
    put(
        &root.join("hugo.toml"),
        r#"baseURL = "https://hotline.example.org/"
defaultContentLanguage = "zh"
disableKinds = ["taxonomy", "term"]
enableRobotsTXT = true
buildFuture = true

[outputs]
home = ["HTML", "RSS"]
section = ["HTML"]
page = ["HTML"]

[languages.zh]
contentDir = "content/zh"
languageName = "中文"
title = "示例市政务服务便民热线"
weight = 1

[languages.en]
contentDir = "content/en"
languageName = "English"
title = "Example City Hotline"
weight = 2
"#,
    );
    let layouts = root.join("layouts/_default");
    put(
        &layouts.join("baseof.html"),
        r#"<!doctype html>
<html lang="{{ .Site.Language.Lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ block "title" . }}{{ .Title }} · {{ .Site.Title }}{{ end }}</title>
{{ with .Description }}<meta name="description" content="{{ . }}">{{ end }}
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">
{{ end }}<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header class="site-header">
  <a class="brand" href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a>
  {{ range .Translations }}<a class="lang-switch" href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Language.LanguageName }}</a>{{ end }}
  <nav><ul>
  {{ $here := .RelPermalink }}{{ range .Site.Sections }}<li><a href="{{ .RelPermalink }}"{{ if eq .RelPermalink $here }} aria-current="page"{{ end }}>{{ .Title }}</a></li>
  {{ end }}</ul></nav>
</header>
<main id="main">
{{ block "main" . }}{{ end }}
</main>
<footer class="site-footer"><p>12345</p></footer>
</body>
</html>
"#,
    );
    put(
        &layouts.join("single.html"),
        r#"{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
<p class="meta"><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2006-01-02" }}</time></p>
<div class="prose">
{{ .Content }}
</div>
</article>{{ end }}
"#,
    );
    put(
        &layouts.join("list.html"),
        r#"{{ define "main" }}<h1>{{ .Title }}</h1>
<div class="prose">
{{ .Content }}
</div>
{{ with .Pages }}<ul class="cards">
{{ range . }}<li>
  <h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
  {{ with .Description }}<p>{{ . }}</p>{{ end }}
  <p class="meta"><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2006-01-02" }}</time></p>
</li>
{{ end }}</ul>{{ end }}{{ end }}
"#,
    );
    put(
        &layouts.join("index.html"),
        r#"{{ define "title" }}{{ .Site.Title }}{{ end }}{{ define "main" }}<h1>{{ .Site.Title }}</h1>
<section><div class="prose">
{{ .Content }}
</div></section>{{ end }}
"#,
    );
}

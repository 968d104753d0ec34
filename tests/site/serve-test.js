#!/usr/bin/env node
// Browser tests against `hotline serve` on the sample site: a visitor files
// complaints with and without JavaScript and looks them up both ways; the
// outbox holds each case's mail; nothing typed is lost when the API is down;
// the department accepts, replies and closes through the signed links in its
// mail and the visitor sees the reply; a photo with GPS and a PDF are filed
// with and without JavaScript, the stored photo is read back with Pillow, and
// an executable named .jpg is refused with nothing typed lost; a complaint
// with only a mobile number gets its text messages in the local text outbox,
// each once; every page, and the API's own pages, pass axe (WCAG 2 A and AA)
// on a desktop and a phone.
//
// Why this file is long: each check drives one real journey end to end
// (browser, server, outbox, store), and they share one server start-up and
// its helpers; split, each part would start the server again.
//
// Usage: node tests/site/serve-test.js [BINARY]
//   BINARY: the `hotline` binary (default: $HOTLINE_BIN, else target/debug/hotline),
//   built with `cargo build --locked -p hotline`.
//   $HOTLINE_TEST_PYTHON: a Python with Pillow (default: python3).
// The server runs in a temporary copy of content/, so its cases and mail
// (.hotline/ there) never touch the project's own. Screenshots of failing steps
// go to tests/output/.
"use strict";

const { spawn, spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");

const ROOT = path.join(__dirname, "..", "..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const OUTPUT = path.join(ROOT, "tests", "output");
const STARTUP_MS = 60000;
// Pillow reads the stored evidence: a reader independent of the office's own decoder.
const PYTHON = process.env.HOTLINE_TEST_PYTHON || "python3";
const CORPUS = path.join(ROOT, "functions", "evidence", "tests", "corpus");
const GPS_PHOTO = path.join(CORPUS, "photo-gps-orientation-6.jpg");
const SMALL_PDF = path.join(CORPUS, "small.pdf");
const EXECUTABLE = path.join(CORPUS, "executable-named.jpg");
const VIEWPORTS = [
  { name: "desktop", options: { viewport: { width: 1280, height: 800 } } },
  { name: "phone", options: { viewport: { width: 375, height: 667 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
];

function fatal(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

const binary = path.resolve(process.argv[2] || process.env.HOTLINE_BIN || path.join(ROOT, "target", "debug", "hotline"));
if (!fs.existsSync(binary)) {
  fatal(`no hotline binary at ${path.relative(process.cwd(), binary)}. Fix: cargo build --locked -p hotline, then give its path`);
}
let playwright;
let axePath;
try {
  playwright = require("playwright-core");
  axePath = require.resolve("axe-core/axe.min.js");
} catch (e) {
  fatal("playwright-core or axe-core is missing. Fix: (cd tests/site && npm ci)");
}
if (!fs.existsSync(CHROMIUM)) {
  fatal(`no browser at ${CHROMIUM}. Fix: apt-get install -y chromium (after apt-get update if it is not found)`);
}

{
  const pil = spawnSync(PYTHON, ["-c", "import PIL"], { encoding: "utf8" });
  if (pil.status !== 0) {
    fatal(`Pillow is missing for ${PYTHON} (it checks the stored evidence). Fix: ${PYTHON} -m pip install Pillow` +
      `${pil.error ? ` (${pil.error.message})` : ""}`);
  }
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  const start = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok   - ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    return true;
  } catch (e) {
    failed += 1;
    console.log(`FAIL - ${name}\n       ${String(e && e.message || e).split("\n").join("\n       ")}`);
    return false;
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The API answers once a case is stored and its mail is written right
// after by a worker: read the outbox until `enough` holds (or 5 s pass).
async function mailsWhen(outbox, enough) {
  let all = [];
  for (let i = 0; i < 50; i++) {
    all = mails(outbox);
    if (enough(all)) break;
    await sleep(100);
  }
  return all;
}

async function shot(page, name) {
  fs.mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, `serve-${name}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => {});
  return path.relative(process.cwd(), file);
}
// Runs a step on a page; on failure the page is photographed and the error says where.
async function onPage(page, name, fn) {
  try {
    await fn();
  } catch (e) {
    throw new Error(`${e && e.message || e}\nscreenshot: ${await shot(page, name)}`);
  }
}

// ── the server ───────────────────────────────────────────────────────────

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

class Server {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotline-serve-test-"));
    fs.cpSync(path.join(ROOT, "content"), path.join(this.dir, "content"), { recursive: true });
    // Texts wait for the rulebook's sending hours; the copy sends them at
    // (almost) any hour, so the text checks do not depend on when they run.
    const rules = path.join(this.dir, "content", "rules.toml");
    const text = fs.readFileSync(rules, "utf8");
    const opened = text.replace(/^send_from = ".*"$/m, 'send_from = "00:00"').replace(/^send_until = ".*"$/m, 'send_until = "23:59"');
    if (opened === text) fatal("content/rules.toml has no [text_messages] hours to open");
    fs.writeFileSync(rules, opened);
    this.log = "";
    this.child = null;
    this.exited = null;
  }

  get outbox() {
    return path.join(this.dir, ".hotline", "outbox");
  }

  get texts() {
    return path.join(this.dir, ".hotline", "texts");
  }

  async start() {
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.child = spawn(binary, ["serve", "--port", String(this.port), "--bind", "127.0.0.1"], {
      cwd: this.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk) => { this.log += chunk; };
    this.child.stdout.on("data", keep);
    this.child.stderr.on("data", keep);
    this.child.on("exit", (code, signal) => { this.exited = signal || `exit ${code}`; });
    this.child.on("error", (e) => { this.exited = `could not start: ${e.message}`; });
    const deadline = Date.now() + STARTUP_MS;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`hotline serve stopped (${this.exited}); its output:\n${this.log}`);
      try {
        const res = await fetch(`${this.base}/`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) return;
      } catch (e) { /* not listening yet */ }
      await sleep(200);
    }
    throw new Error(`hotline serve did not answer within ${STARTUP_MS / 1000} s; its output:\n${this.log}`);
  }

  // Stops the server: Ctrl+C first (it shuts down gracefully), then SIGKILL.
  async stop() {
    if (!this.child || this.exited) return;
    const gone = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGINT");
    if (await Promise.race([gone.then(() => true), sleep(5000).then(() => false)])) return;
    this.child.kill("SIGKILL");
    await Promise.race([gone, sleep(5000)]);
  }

  killNow() {
    if (this.child && !this.exited) this.child.kill("SIGKILL");
  }

  removeData() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ── texts in the text outbox ─────────────────────────────────────────────

// The text files of case `tracking`: { name, to, body } by outbox id order.
function textsOf(dir, tracking) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.startsWith(`${tracking}_2F`) && f.endsWith(".txt")).sort().map((name) => {
    const [head, ...rest] = fs.readFileSync(path.join(dir, name), "utf8").split("\n\n");
    return { name, to: head.replace(/^To: /, ""), body: rest.join("\n\n").trim() };
  });
}

async function textsWhen(dir, tracking, enough) {
  let all = [];
  for (let i = 0; i < 50; i++) {
    all = textsOf(dir, tracking);
    if (enough(all)) return all;
    await sleep(100);
  }
  return all;
}

// ── mail in the outbox ───────────────────────────────────────────────────

function decodeWords(text) {
  // RFC 2047: adjacent encoded words are joined without the space between them.
  return text.replace(/\?=\s+=\?/g, "?==?").replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset, enc, data) => {
    const bytes = enc.toUpperCase() === "B"
      ? Buffer.from(data, "base64")
      : Buffer.from(data.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), "latin1");
    return bytes.toString(/^utf-?8$/i.test(charset) ? "utf8" : "latin1");
  });
}

function decodeQuotedPrintable(text) {
  const soft = text.replace(/=\r?\n/g, "");
  const bytes = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

// A message as { headers: {name: decoded value}, text: every decoded part }.
function parseMail(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? "" : raw.slice(split).replace(/^\r?\n\r?\n/, "");
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  const type = headers["content-type"] || "text/plain";
  const boundary = type.match(/boundary="?([^";]+)"?/i);
  let text;
  if (/^multipart\//i.test(type) && boundary) {
    const parts = body.split(`--${boundary[1]}`).slice(1).filter((p) => !p.startsWith("--"));
    text = parts.map((p) => parseMail(p.replace(/^\r?\n/, "")).text).join("\n");
  } else {
    const encoding = (headers["content-transfer-encoding"] || "").toLowerCase();
    if (encoding === "base64") text = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    else if (encoding === "quoted-printable") text = decodeQuotedPrintable(body);
    else text = body;
  }
  return { headers, text };
}

function mails(outbox) {
  if (!fs.existsSync(outbox)) return [];
  return fs.readdirSync(outbox).filter((f) => f.endsWith(".eml")).sort().map((f) => {
    const mail = parseMail(fs.readFileSync(path.join(outbox, f), "utf8"));
    return { file: f, ...mail, all: `${Object.values(mail.headers).join("\n")}\n${mail.text}` };
  });
}

// ── the visitor ──────────────────────────────────────────────────────────

// The Chinese sample rules: complaints about property management go to the
// housing bureau, whose inbox is this.
const HOUSING_INBOX = "housing@example.org";
// Reports go to the department's integrity inbox, not its everyday one.
const INTEGRITY_INBOX = "housing-integrity@example.org";

function daysAgo(n) {
  // The office's calendar (UTC+8), as the server checks dates by it.
  const d = new Date(Date.now() + 8 * 3600 * 1000 - n * 86400 * 1000);
  return d.toISOString().slice(0, 10);
}

function complaint(lang, who) {
  const zh = lang === "zh";
  return {
    case_type: "complaint",
    category: "housing-property",
    name: zh ? `${who}女士` : `Ms ${who}`,
    phone: "13800138000",
    email: `${who.toLowerCase()}@example.net`,
    subject: zh ? "小区电梯长期停用" : "The lift has been out of service for weeks",
    location: zh ? "示例市幸福路 12 号 3 栋" : "Block 3, 12 Happiness Road",
    occurred_on: daysAgo(3),
    // Housing is minor in the sample rulebook: it takes a date of one's own,
    // a week ahead being within a complaint's completion limit.
    needed_by: daysAgo(-7),
    description: zh
      ? `3 栋电梯已停用三周，物业一直说在等配件，老人上下楼很困难。（${who}）`
      : `The lift in block 3 has not worked for three weeks; the manager keeps saying a part is on order. (${who})`,
    desired_outcome: zh ? "请督促物业在一周内修好电梯。" : "Have the lift repaired within a week.",
  };
}

const TEXT_FIELDS = ["name", "phone", "email", "subject", "location", "occurred_on", "needed_by", "description", "desired_outcome"];

async function fillForm(page, data) {
  await page.check(`#type-${data.case_type}`);
  await page.selectOption("#category", data.category);
  for (const f of TEXT_FIELDS) await page.fill(`#${f}`, data[f]);
}

// Every field as the page holds it now.
async function formValues(page) {
  return page.evaluate((fields) => {
    const form = document.getElementById("complaint-form");
    const out = {};
    const checked = form.querySelector("input[name=case_type]:checked");
    out.case_type = checked ? checked.value : "";
    out.category = form.elements.category.value;
    for (const f of fields) out[f] = form.elements[f].value;
    return out;
  }, TEXT_FIELDS);
}

function sameValues(got, want) {
  const diff = Object.keys(want).filter((k) => got[k] !== want[k]);
  return diff.map((k) => `${k}: typed ${JSON.stringify(want[k])}, now ${JSON.stringify(got[k])}`);
}

const TRACKING = /^[A-Z0-9]+(-[A-Z0-9]+)+$/;

// Submits the form with JavaScript on and returns the tracking number the thank-you page shows.
async function submitWithScript(page, thanksPath) {
  await Promise.all([
    page.waitForURL((url) => url.pathname === thanksPath && url.searchParams.has("tracking"), { timeout: 20000 }),
    page.click("#complaint-form button[type=submit]"),
  ]);
  const fromUrl = new URL(page.url()).searchParams.get("tracking");
  const shown = page.locator("[data-tracking-number]");
  await shown.waitFor({ state: "visible", timeout: 5000 });
  const number = (await shown.textContent()).trim();
  assert(TRACKING.test(number), `the thank-you page shows ${JSON.stringify(number)}, not a tracking number`);
  assert(number === fromUrl, `the page shows ${number} but the address says ${fromUrl}`);
  const code = page.locator("[data-receipt-code]");
  await code.waitFor({ state: "visible", timeout: 5000 });
  const shownCode = (await code.textContent()).trim();
  assert(RECEIPT.test(shownCode), `the thank-you page shows ${JSON.stringify(shownCode)}, not a receipt code`);
  assert(!page.url().includes(shownCode), `the address holds the code: ${page.url()}`);
  page.lastReceiptCode = shownCode;
  return number;
}

async function lookUpWithScript(page, base, statusPath, tracking) {
  await page.goto(`${base}${statusPath}`);
  await page.fill("#tracking", tracking.toLowerCase());
  await page.click("#status-form button[type=submit]");
  await page.locator("#status-result dl").waitFor({ timeout: 10000 });
  const shown = await page.textContent("#status-result");
  assert(shown.includes(tracking), `the result does not name ${tracking}: ${shown}`);
  // Facts under their names in the page's language, not the API's JSON.
  assert(!/received_on|due_at|"kind"|\{|\[/.test(shown), `the result shows raw JSON: ${shown}`);
  const label = statusPath.startsWith("/en/") ? "Time limits" : "办理时限";
  assert(shown.includes(label), `the result has no "${label}": ${shown}`);
  return shown;
}

// ── evidence ─────────────────────────────────────────────────────────────

// The links to a case's files in the department's mail (text and HTML parts
// name the same links: each is kept once).
function evidenceLinks(mail, tracking) {
  const found = mail.text.match(new RegExp(`https?://[^\\s"<>]+/cases/${tracking}/evidence/\\d+\\?[^\\s"<>]+`, "g")) || [];
  return [...new Set(found.map((l) => l.replace(/&amp;/g, "&")))];
}

async function departmentMail(outbox, tracking) {
  const isIt = (m) => m.all.includes(tracking) && (m.headers.to || "").includes(HOUSING_INBOX);
  const mail = (await mailsWhen(outbox, (all) => all.some(isIt))).find(isIt);
  assert(mail, `no department mail for ${tracking}`);
  return mail;
}

const departmentMailCount = (outbox) => mails(outbox).filter((m) => (m.headers.to || "").includes(HOUSING_INBOX)).length;

// Every file kept under .hotline/evidence, as { path, bytes }.
function storedEvidence(dir) {
  const root = path.join(dir, ".hotline", "evidence");
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true })
    .map((f) => path.join(root, f))
    .filter((f) => fs.statSync(f).isFile())
    .map((f) => ({ path: f, rel: path.relative(root, f), bytes: fs.readFileSync(f) }));
}

// Pillow opens the original and the stored copy: the copy must decode, carry
// no EXIF (no GPS, no orientation) and look like the original turned upright.
const PILLOW_CHECK = `
import json, sys
from PIL import Image, ImageChops, ImageOps, ImageStat
orig = Image.open(sys.argv[1])
oexif = orig.getexif()
upright = ImageOps.exif_transpose(orig).convert("RGB")
stored = Image.open(sys.argv[2])
fmt = stored.format
stored.load()
exif = stored.getexif()
out = {
  "format": fmt,
  "original_size": list(orig.size),
  "original_orientation": oexif.get(274),
  "original_gps": 34853 in oexif,
  "upright_size": list(upright.size),
  "size": list(stored.size),
  "exif_tags": sorted(exif.keys()),
  "gps": 34853 in exif or bool(exif.get_ifd(34853)),
  "orientation": exif.get(274),
  "metadata": sorted(k for k in stored.info if k.lower() in ("exif", "xmp", "xml:com.adobe.xmp", "comment", "photoshop")),
  "difference": None,
}
if stored.size == upright.size:
  out["difference"] = sum(ImageStat.Stat(ImageChops.difference(upright, stored.convert("RGB"))).mean) / 3
print(json.dumps(out))
`;

function pillowCheck(original, stored) {
  const run = spawnSync(PYTHON, ["-c", PILLOW_CHECK, original, stored], { encoding: "utf8" });
  assert(run.status === 0, `Pillow could not read the stored copy ${stored}:\n${run.stderr || run.error}`);
  const r = JSON.parse(run.stdout);
  // The corpus file must still be what this test is about.
  assert(r.original_gps && r.original_orientation === 6, `the original photo has no GPS or orientation 6 any more: ${run.stdout}`);
  assert(r.format === "JPEG", `the stored copy is ${r.format}, not JPEG`);
  assert(r.exif_tags.length === 0 && !r.gps && !r.orientation, `the stored copy keeps EXIF tags ${JSON.stringify(r.exif_tags)} (GPS: ${r.gps}, orientation: ${r.orientation})`);
  assert(r.metadata.length === 0, `the stored copy keeps metadata: ${r.metadata.join(", ")}`);
  assert(r.size.join("x") === r.upright_size.join("x"),
    `the stored copy is ${r.size.join("×")}, the original is ${r.original_size.join("×")} and ${r.upright_size.join("×")} upright`);
  // Mean difference per channel (0-255): a re-encode moves little, a wrong turn or another picture a lot.
  assert(r.difference !== null && r.difference < 12, `the stored copy does not look like the original upright: mean difference ${r.difference}`);
  return r;
}

// Checks the copy a link returns and the one kept in the folder: the same
// bytes, named by their SHA-256, and clean by Pillow.
function checkStoredPhoto(serverDir, bytes) {
  assert(!bytes.includes(Buffer.from("Exif\0\0")), "the served JPEG still has an EXIF block");
  const sha = crypto.createHash("sha256").update(bytes).digest("hex");
  const kept = storedEvidence(serverDir).find((f) => f.bytes.equals(bytes));
  assert(kept, `no file under .hotline/evidence holds the served JPEG (${storedEvidence(serverDir).map((f) => f.rel).join(", ") || "none"})`);
  assert(kept.rel === path.join(sha.slice(0, 2), sha), `the stored file is ${kept.rel}, not ${sha.slice(0, 2)}/${sha}`);
  return pillowCheck(GPS_PHOTO, kept.path);
}

async function fetchStatus(base, tracking) {
  const res = await fetch(`${base}/api/cases/${tracking}`, { headers: { Accept: "application/json" } });
  assert(res.status === 200, `the status of ${tracking} answered ${res.status}`);
  const raw = await res.text();
  return { raw, body: JSON.parse(raw) };
}

// Posts a form without scripts and returns the response the page landed on.
async function postWithoutScript(page, button) {
  const [landed] = await Promise.all([
    page.waitForNavigation({ timeout: 20000 }),
    page.click(button),
  ]);
  return landed;
}

const RECEIPT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

// A form posted without JavaScript is answered by the receipt page itself (200, no redirect):
// the tracking number and the receipt code, which no address holds.
async function receiptAfterPost(page, landed) {
  assert(landed.request().method() === "POST", `the form did not post; landed on ${page.url()} (${landed.status()})`);
  assert(landed.request().redirectedFrom() === null, "the post was redirected: the receipt page must be the post's own answer");
  assert(landed.status() === 200, `the post answered ${landed.status()}, not 200`);
  const tracking = ((await page.textContent("[data-tracking-number]")) || "").trim();
  const code = ((await page.textContent("[data-receipt-code]")) || "").trim();
  assert(TRACKING.test(tracking), `the receipt page shows ${JSON.stringify(tracking)}, not a tracking number`);
  assert(RECEIPT.test(code), `the receipt page shows ${JSON.stringify(code)}, not a receipt code`);
  assert(!page.url().includes(code) && !page.url().includes(code.replace(/-/g, "")), `the address holds the code: ${page.url()}`);
  const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => a.href));
  assert(hrefs.every((h) => !h.includes(code.replace(/-/g, "")) && !h.includes(code)), "a link on the receipt page holds the code");
  return { tracking, code };
}

async function trackingAfterRedirect(page, landed) {
  return (await receiptAfterPost(page, landed)).tracking;
}

async function main() {
  const server = new Server();
  const stopNow = () => { server.killNow(); process.exit(130); };
  process.on("SIGINT", stopNow);
  process.on("SIGTERM", stopNow);
  process.on("exit", () => server.killNow());

  const started = Date.now();
  // Screenshots of an earlier run's failures would mislead.
  for (const f of fs.existsSync(OUTPUT) ? fs.readdirSync(OUTPUT) : []) {
    if (/^serve-.*\.png$/.test(f)) fs.rmSync(path.join(OUTPUT, f));
  }
  let browser;
  try {
    const up = await check("hotline serve starts in a copy of content/ and answers", async () => {
      await server.start();
      console.log(`       ${server.base}, data in ${server.dir}/.hotline`);
    });
    if (!up) return;
    const base = server.base;

    browser = await playwright.chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const cases = []; // { tracking, email, how }

    // With JavaScript, in English.
    const js = await browser.newContext();
    const page = await js.newPage();
    const scriptErrors = [];
    page.on("pageerror", (e) => scriptErrors.push(e.message));
    await check("with JavaScript: an English visitor files a complaint and sees the tracking number", async () => {
      await onPage(page, "submit-js", async () => {
        const data = complaint("en", "Lee");
        await page.goto(`${base}/en/form/`);
        await fillForm(page, data);
        const tracking = await submitWithScript(page, "/en/thanks/");
        assert(scriptErrors.length === 0, `script errors: ${scriptErrors.join("; ")}`);
        cases.push({ tracking, email: data.email, how: "JS, en", statusPath: "/en/status/" });
        console.log(`       ${tracking}`);
      });
    });

    await check("the thank-you page shows only a tracking number whose check character holds", async () => {
      await onPage(page, "thanks-spoof", async () => {
        const real = cases[0].tracking;
        const last = real.slice(-1) === "A" ? "B" : "A";
        for (const fake of ["Call +1-800-SCAM now", real.slice(0, -1) + last, `${real}<b>`]) {
          await page.goto(`${base}/en/thanks/?tracking=${encodeURIComponent(fake)}`);
          const shown = await page.locator("[data-tracking]").isVisible();
          const main = await page.textContent("main");
          assert(!shown && !main.includes(fake), `the thank-you page shows ${JSON.stringify(fake)} as a tracking number`);
        }
        await page.goto(`${base}/en/thanks/?tracking=${encodeURIComponent(real)}`);
        assert(await page.locator("[data-tracking]").isVisible(), `the real number ${real} is not shown`);
        assert((await page.textContent("[data-tracking-number]")).trim() === real, "the real number is not the one shown");
      });
    });

    // Without JavaScript, in Chinese: the plain form posts and the API answers with the receipt page.
    const noJsContext = await browser.newContext({ javaScriptEnabled: false });
    const noJs = await noJsContext.newPage();
    await check("without JavaScript: a Chinese visitor's form posts and the answer shows the tracking number and the receipt code, in no address", async () => {
      await onPage(noJs, "submit-nojs", async () => {
        const data = complaint("zh", "Wang");
        await noJs.goto(`${base}/form/`);
        await fillForm(noJs, data);
        const landed = await postWithoutScript(noJs, "#complaint-form button[type=submit]");
        const { tracking } = await receiptAfterPost(noJs, landed);
        const main = await noJs.textContent("main");
        assert(main.includes("只在这里显示一次"), "the page does not say the code is shown once");
        const next = await noJs.getAttribute("a[href*='/thanks/']", "href");
        assert(next && next.includes(`tracking=${tracking}`), `no link to the thank-you page's next steps: ${next}`);
        cases.push({ tracking, email: data.email, how: "no JS, zh", statusPath: "/status/" });
        console.log(`       ${tracking}`);
      });
    });

    for (const c of [...cases]) {
      await check(`with JavaScript: ${c.statusPath} finds ${c.tracking} (${c.how}), received`, async () => {
        await onPage(page, `status-js-${c.tracking}`, async () => {
          const shown = await lookUpWithScript(page, base, c.statusPath, c.tracking);
          const want = c.statusPath.startsWith("/en/") ? "Received, waiting for the department" : "已收到，待部门受理";
          assert(shown.includes(want), `the stage is not "${want}" (received, in the page's language): ${shown}`);
        });
      });
    }

    await check(`the outbox holds the department's mail and the acknowledgment of each case (${cases.length} cases)`, async () => {
      assert(cases.length === 2, `only ${cases.length} of 2 cases were filed`);
      const all = await mailsWhen(server.outbox, (all) => cases.every((c) => all.filter((m) => m.all.includes(c.tracking)).length >= 2));
      for (const c of cases) {
        const its = all.filter((m) => m.all.includes(c.tracking));
        const toDept = its.filter((m) => (m.headers.to || "").includes(HOUSING_INBOX));
        const toVisitor = its.filter((m) => (m.headers.to || "").includes(c.email));
        assert(toDept.length === 1, `${c.tracking}: ${toDept.length} mails to ${HOUSING_INBOX}, want 1 (files: ${its.map((m) => m.file).join(", ") || "none"})`);
        assert(toVisitor.length === 1, `${c.tracking}: ${toVisitor.length} acknowledgments to ${c.email}, want 1`);
        assert(toDept[0].text.includes(c.email.split("@")[0]), `${c.tracking}: the department's mail does not carry the visitor's contact`);
        assert(toVisitor[0].headers.subject.includes(c.tracking), `${c.tracking}: the acknowledgment's subject is ${toVisitor[0].headers.subject}`);
        console.log(`       ${c.tracking}: ${its.length} mails (department ${toDept[0].headers.to}, acknowledgment ${toVisitor[0].headers.to})`);
      }
    });

    // The API down: nothing typed is lost, the visitor is told what to do.
    const down = await browser.newContext();
    const dpage = await down.newPage();
    const typed = complaint("zh", "Zhao");
    const casesBefore = new Set(mails(server.outbox).map((m) => m.headers.subject));
    const failures = [
      ["the network fails", (route) => route.abort("connectionrefused")],
      ["the API answers 503 with Retry-After", (route) => route.fulfill({
        status: 503,
        headers: { "Retry-After": "5", "Content-Type": "application/json" },
        body: JSON.stringify({ errors: [{ field: "form", code: "unavailable", message: "系统暂时无法保存，您填写的内容都还在，请稍后再次提交。" }] }),
      })],
      // The case is stored but the answer never arrives: the retry must not file it twice.
      ["the answer is lost after the API stored the case", async (route) => {
        await route.fetch();
        await route.abort("connectionreset");
      }],
      ["a gateway answers 502 with an HTML page", (route) => route.fulfill({
        status: 502, headers: { "Content-Type": "text/html" }, body: "<html><body>Bad Gateway</body></html>",
      })],
    ];
    let first = true;
    for (const [what, handler] of failures) {
      await check(`with JavaScript, when ${what}: every field keeps what was typed and a message says what to do`, async () => {
        await onPage(dpage, `api-down-${failures.findIndex((f) => f[0] === what)}`, async () => {
          await dpage.route("**/api/cases", handler);
          try {
            if (first) {
              await dpage.goto(`${base}/form/`);
              await fillForm(dpage, typed);
              first = false;
            }
            await dpage.click("#complaint-form button[type=submit]");
            const status = dpage.locator("#complaint-form .form-status.error");
            await status.waitFor({ state: "visible", timeout: 10000 });
            const message = (await status.textContent()).trim();
            assert(/稍后|再试|再次提交|热线/.test(message), `the message does not say what to do: ${JSON.stringify(message)}`);
            assert(!/检查标出的内容/.test(message) || (await dpage.locator("[aria-invalid=true]").count()) > 0,
              `the message asks to check marked fields, but none is marked: ${JSON.stringify(message)}`);
            const lost = sameValues(await formValues(dpage), typed);
            assert(lost.length === 0, `fields changed:\n${lost.join("\n")}`);
            assert(await dpage.isEnabled("#complaint-form button[type=submit]"), "the submit button stays disabled");
            assert(dpage.url().endsWith("/form/"), `the page moved to ${dpage.url()}`);
            console.log(`       says: ${message}`);
          } finally {
            await dpage.unroute("**/api/cases", handler);
          }
        });
      });
    }

    await check("the unsent draft survives a reload, with a note that it was restored", async () => {
      await onPage(dpage, "draft-reload", async () => {
        await dpage.reload();
        const lost = sameValues(await formValues(dpage), typed);
        assert(lost.length === 0, `after a reload:\n${lost.join("\n")}`);
        const note = dpage.locator("#complaint-form .form-status");
        assert(await note.isVisible(), "no note says the draft was restored");
        // The idempotency key is never kept in localStorage (a shared computer): only the tab's sessionStorage has it.
        const kept = await dpage.evaluate(() => {
          const key = document.querySelector("#complaint-form [name=idempotency_key]").value;
          const local = Object.keys(localStorage).map((k) => localStorage.getItem(k)).join("\n");
          return { key, inLocal: key !== "" && local.includes(key), inSession: Object.keys(sessionStorage).some((k) => sessionStorage.getItem(k) === key) };
        });
        assert(kept.key && !kept.inLocal, `the idempotency key is in localStorage: ${JSON.stringify(kept)}`);
        assert(kept.inSession, `the idempotency key is not kept for a retry in this tab: ${JSON.stringify(kept)}`);
        console.log(`       says: ${(await note.textContent()).trim()}`);
      });
    });

    await check("with the API back, the same submit succeeds once, and the draft is gone", async () => {
      await onPage(dpage, "api-back", async () => {
        const tracking = await submitWithScript(dpage, "/thanks/");
        cases.push({ tracking, email: typed.email, how: "JS after failures, zh" });
        const draft = await dpage.evaluate(() => localStorage.getItem("hotline-draft-zh"));
        assert(draft === null, `the draft is still stored: ${draft}`);
        const isNew = (m) => !casesBefore.has(m.headers.subject) && (m.headers.to || "").includes(HOUSING_INBOX);
        const newCases = (await mailsWhen(server.outbox, (all) => all.some(isNew))).filter(isNew);
        assert(newCases.length === 1, `${newCases.length} new cases reached the department, want 1`);
        assert(newCases[0].all.includes(tracking), `the new case is not ${tracking}`);
        await dpage.goto(`${base}/form/`);
        const fresh = await formValues(dpage);
        assert(fresh.description === "" && fresh.name === "", "the form is filled again after a successful submit");
        console.log(`       ${tracking}`);
      });
    });

    // Without JavaScript the status form GETs /api/cases?tracking= and the API answers with a page.
    for (const c of cases.slice(0, 2)) {
      await check(`without JavaScript: ${c.statusPath} finds ${c.tracking} (${c.how})`, async () => {
        await onPage(noJs, `status-nojs-${c.tracking}`, async () => {
          await noJs.goto(`${base}${c.statusPath}`);
          await noJs.fill("#tracking", c.tracking.toLowerCase());
          const [landed] = await Promise.all([
            noJs.waitForNavigation({ timeout: 10000 }),
            noJs.click("#status-form button[type=submit]"),
          ]);
          assert(landed.status() === 200, `the lookup answered ${landed.status()} at ${noJs.url()}`);
          const shown = await noJs.textContent("body");
          assert(shown.includes(c.tracking), `the page does not name ${c.tracking}`);
          const want = c.statusPath.startsWith("/en/") ? "Received, waiting for the department" : "已收到，待部门受理";
          assert(shown.includes(want), `the page does not give the stage as "${want}" (received, in the page's language)`);
          assert(!shown.includes(c.email), "the public status page shows the visitor's e-mail");
        });
      });
    }

    // The department acts through the signed links of its mail; the visitor sees the reply.
    const handled = cases[0];
    const reply = "The lift was repaired on Friday and inspected by the safety office; it is back in service.";
    const links = {};
    await check("the department's mail carries signed accept, reply and close links", async () => {
      assert(handled, "no case was filed");
      const mail = mails(server.outbox).find((m) => m.all.includes(handled.tracking) && (m.headers.to || "").includes(HOUSING_INBOX));
      assert(mail, `no department mail for ${handled.tracking}`);
      for (const action of ["accept", "reply", "close"]) {
        const m = mail.text.match(new RegExp(`https?://[^\\s"<>]+/cases/${handled.tracking}/actions/${action}\\?[^\\s"<>]+`));
        assert(m, `no ${action} link in the mail`);
        links[action] = m[0].replace(/&amp;/g, "&");
      }
      assert(links.accept.startsWith(`${base}/api/`), `the links lead to ${links.accept}, not to this server`);
    });
    const act = async (action, field, text, stage) => {
      await check(`the department opens the ${action} link from the mail and submits its form: the case is ${stage}`, async () => {
        await onPage(page, `action-${action}`, async () => {
          assert(links[action], "no link");
          const shown = await page.goto(links[action]);
          assert(shown.status() === 200, `the ${action} link answered ${shown.status()}`);
          if (field) await page.fill(`form[method=post] [name=${field}]`, text);
          const [done] = await Promise.all([
            page.waitForNavigation({ timeout: 10000 }),
            page.click("form[method=post] button[type=submit]"),
          ]);
          assert(done.status() === 200, `the ${action} answered ${done.status()}: ${(await page.textContent("body")).slice(0, 300)}`);
          const res = await fetch(`${base}/api/cases/${handled.tracking}`, { headers: { Accept: "application/json" } });
          const body = await res.json();
          assert(body.stage && body.stage.code === stage, `the case is ${JSON.stringify(body.stage)}, not ${stage}`);
        });
      });
    };
    await act("accept", null, null, "accepted");
    await act("reply", "text", reply, "replied");
    await act("close", "outcome", "Repaired; the lift is in service again.", "closed");
    await check("the visitor's status page shows the reply, and the reply reached the visitor by mail", async () => {
      await onPage(page, "status-reply", async () => {
        const shown = await lookUpWithScript(page, base, handled.statusPath, handled.tracking);
        assert(shown.includes(reply), `the reply is not shown: ${shown}`);
        assert(shown.includes("Closed"), `the case is not shown as closed: ${shown}`);
        const isToVisitor = (m) => m.all.includes(handled.tracking) && (m.headers.to || "").includes(handled.email);
        const toVisitor = (await mailsWhen(server.outbox, (all) => all.some((m) => isToVisitor(m) && m.text.includes(reply)))).filter(isToVisitor);
        assert(toVisitor.some((m) => m.text.includes(reply)), `none of the ${toVisitor.length} mails to the visitor carries the reply`);
      });
    });

    // Evidence: a photo with GPS and a PDF, with and without JavaScript; a
    // file that is not what its name says is refused with nothing lost.
    const evPage = await (await browser.newContext()).newPage();
    const evErrors = [];
    evPage.on("pageerror", (e) => evErrors.push(e.message));
    const listed = async (p) => (await p.locator(".evidence-list li").allTextContents()).map((t) => t.trim());
    let withFiles = null;
    await check("with JavaScript: the visitor attaches a photo and a PDF, sees both, removes one, adds it back and files the complaint", async () => {
      await onPage(evPage, "evidence-js", async () => {
        await evPage.goto(`${base}/en/form/`);
        const data = complaint("en", "Chen");
        await fillForm(evPage, data);
        await evPage.setInputFiles("#evidence", [GPS_PHOTO, SMALL_PDF]);
        const sizes = { [path.basename(GPS_PHOTO)]: fs.statSync(GPS_PHOTO).size, [path.basename(SMALL_PDF)]: fs.statSync(SMALL_PDF).size };
        let shown = await listed(evPage);
        assert(shown.length === 2, `the list shows ${JSON.stringify(shown)}, want both files`);
        for (const [name, bytes] of Object.entries(sizes)) {
          assert(shown.some((t) => t.startsWith(`${name} (${bytes} bytes)`)), `no list entry gives ${name} with its size ${bytes} bytes: ${JSON.stringify(shown)}`);
        }
        await evPage.click(`.evidence-list button[aria-label="Remove ${path.basename(SMALL_PDF)}"]`);
        shown = await listed(evPage);
        const chosen = () => evPage.evaluate(() => Array.from(document.getElementById("evidence").files).map((f) => f.name));
        assert(shown.length === 1 && shown[0].startsWith(path.basename(GPS_PHOTO)), `after removing the PDF the list shows ${JSON.stringify(shown)}`);
        assert(JSON.stringify(await chosen()) === JSON.stringify([path.basename(GPS_PHOTO)]), `after removing the PDF the field holds ${JSON.stringify(await chosen())}`);
        await evPage.setInputFiles("#evidence", [SMALL_PDF]);
        shown = await listed(evPage);
        assert(shown.length === 2, `after adding the PDF back the list shows ${JSON.stringify(shown)}`);
        assert((await chosen()).length === 2, `after adding the PDF back the field holds ${JSON.stringify(await chosen())}`);
        const [posted] = await Promise.all([
          evPage.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/api/cases", { timeout: 20000 }),
          evPage.waitForURL((url) => url.pathname === "/en/thanks/", { timeout: 20000 }).catch(() => {}),
          evPage.click("#complaint-form button[type=submit]"),
        ]);
        assert(/^multipart\/form-data/.test(posted.headers()["content-type"] || ""), `the form was sent as ${posted.headers()["content-type"]}, not multipart`);
        assert(new URL(evPage.url()).pathname === "/en/thanks/", `the page went to ${evPage.url()}, not the thank-you page`);
        const shownNumber = evPage.locator("[data-tracking-number]");
        await shownNumber.waitFor({ state: "visible", timeout: 5000 });
        const tracking = (await shownNumber.textContent()).trim();
        assert(TRACKING.test(tracking), `the thank-you page shows ${JSON.stringify(tracking)}, not a tracking number`);
        assert(evErrors.length === 0, `script errors: ${evErrors.join("; ")}`);
        withFiles = { tracking, email: data.email };
        console.log(`       ${tracking}`);
      });
    });

    const photoLinks = [];
    await check("the department's mail links both files; the photo is served as a sandboxed JPEG, the PDF only as a download, byte for byte", async () => {
      assert(withFiles, "no case with files was filed");
      const links = evidenceLinks(await departmentMail(server.outbox, withFiles.tracking), withFiles.tracking);
      assert(links.length === 2, `the department's mail has ${links.length} evidence links, want 2: ${links.join(" ")}`);
      const seen = {};
      for (const link of links) {
        assert(link.startsWith(`${base}/api/cases/${withFiles.tracking}/evidence/`), `the link leads to ${link}`);
        const res = await fetch(link);
        const bytes = Buffer.from(await res.arrayBuffer());
        const h = (n) => res.headers.get(n) || "";
        assert(res.status === 200, `${link} answered ${res.status}`);
        assert(/\bsandbox\b/.test(h("content-security-policy")), `${link}: the Content-Security-Policy is ${JSON.stringify(h("content-security-policy"))}, without sandbox`);
        assert(h("x-content-type-options") === "nosniff", `${link}: X-Content-Type-Options is ${JSON.stringify(h("x-content-type-options"))}`);
        seen[h("content-type")] = { link, bytes, disposition: h("content-disposition") };
      }
      const jpeg = seen["image/jpeg"];
      const pdf = seen["application/pdf"];
      assert(jpeg && pdf, `the links serve ${JSON.stringify(Object.keys(seen))}, want image/jpeg and application/pdf`);
      assert(/^attachment\b/.test(pdf.disposition), `the PDF is served with Content-Disposition ${JSON.stringify(pdf.disposition)}, not attachment`);
      assert(pdf.bytes.equals(fs.readFileSync(SMALL_PDF)), "the PDF served is not the one sent, byte for byte");
      assert(!jpeg.bytes.equals(fs.readFileSync(GPS_PHOTO)), "the photo is served as sent, not re-encoded");
      photoLinks.push(jpeg.link);
      // Only the signed link opens the file.
      const unsigned = jpeg.link.replace(/\?.*$/, "");
      const forged = jpeg.link.replace(/(token=)([^&])/, (_, k, c) => k + (c === "A" ? "B" : "A"));
      for (const [what, url] of [["without its token", unsigned], ["with a changed token", forged]]) {
        const res = await fetch(url);
        assert(res.status >= 400 && res.status < 500, `the photo's link ${what} answered ${res.status}`);
        assert(!(res.headers.get("content-type") || "").startsWith("image/"), `the photo's link ${what} still serves the photo`);
      }
    });

    await check("Pillow reads the stored photo: it decodes, has no EXIF, GPS or orientation tag, and is the original turned upright", async () => {
      assert(photoLinks.length, "no photo link to read");
      const r = checkStoredPhoto(server.dir, Buffer.from(await (await fetch(photoLinks[0])).arrayBuffer()));
      console.log(`       original ${r.original_size.join("×")} with orientation ${r.original_orientation} and GPS; stored ${r.size.join("×")}, EXIF tags ${r.exif_tags.length}, mean difference ${r.difference.toFixed(1)}`);
    });

    await check("the public status says the case has 2 files and shows none of them", async () => {
      assert(withFiles, "no case with files was filed");
      const { raw, body } = await fetchStatus(base, withFiles.tracking);
      assert(body.files === 2, `the status gives files: ${JSON.stringify(body.files)}, want 2`);
      for (const secret of ["/evidence/", "token", path.basename(GPS_PHOTO), path.basename(SMALL_PDF)]) {
        assert(!raw.includes(secret), `the public status contains ${JSON.stringify(secret)}: ${raw}`);
      }
      const html = await (await fetch(`${base}/api/cases/${withFiles.tracking}?format=html&lang=en`)).text();
      assert(!html.includes("/evidence/") && !html.includes(path.basename(GPS_PHOTO)), "the public status page links or names a file");
    });

    const evNoJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await check("without JavaScript: the same photo posts with the form, answered by the receipt page; the case has 1 clean file", async () => {
      await onPage(evNoJs, "evidence-nojs", async () => {
        await evNoJs.goto(`${base}/form/`);
        assert(await evNoJs.getAttribute("#complaint-form", "enctype") === "multipart/form-data", "the plain form does not post multipart/form-data");
        await fillForm(evNoJs, complaint("zh", "Liu"));
        await evNoJs.setInputFiles("#evidence", [GPS_PHOTO]);
        const landed = await postWithoutScript(evNoJs, "#complaint-form button[type=submit]");
        const tracking = await trackingAfterRedirect(evNoJs, landed);
        const { body } = await fetchStatus(base, tracking);
        assert(body.files === 1, `the status gives files: ${JSON.stringify(body.files)}, want 1`);
        const links = evidenceLinks(await departmentMail(server.outbox, tracking), tracking);
        assert(links.length === 1, `the department's mail has ${links.length} evidence links, want 1`);
        const res = await fetch(links[0]);
        assert(res.status === 200 && res.headers.get("content-type") === "image/jpeg", `the link answered ${res.status} ${res.headers.get("content-type")}`);
        checkStoredPhoto(server.dir, Buffer.from(await res.arrayBuffer()));
        console.log(`       ${tracking}`);
      });
    });

    // An ELF executable named .jpg: the page's own check goes by the name, the office by the bytes.
    const refusedPage = await (await browser.newContext()).newPage();
    await check("with JavaScript: an executable named .jpg is refused by the office with 422, the error in Chinese at the file field, nothing typed lost, no case, no file kept", async () => {
      await onPage(refusedPage, "evidence-refused-js", async () => {
        const mailsBefore = departmentMailCount(server.outbox);
        const filesBefore = storedEvidence(server.dir).length;
        await refusedPage.goto(`${base}/form/`);
        const typed = complaint("zh", "Sun");
        await fillForm(refusedPage, typed);
        await refusedPage.setInputFiles("#evidence", [EXECUTABLE]);
        const name = path.basename(EXECUTABLE);
        const answered = refusedPage.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/cases", { timeout: 20000 });
        await refusedPage.click("#complaint-form button[type=submit]");
        const res = await answered.catch(() => null);
        const early = await refusedPage.locator("#evidence-error").textContent().catch(() => "");
        assert(res, `the form sent nothing to the office (the page says ${JSON.stringify(early)})`);
        assert(res.status() === 422, `the office answered ${res.status()}, not 422`);
        const answer = await res.json();
        assert((answer.errors || []).some((e) => e.field === "evidence"), `the answer has no error on the evidence field: ${JSON.stringify(answer)}`);
        const error = refusedPage.locator("#evidence-error");
        await error.waitFor({ state: "visible", timeout: 5000 });
        const message = (await error.textContent()).trim();
        assert(message.includes(name) && /[\u4e00-\u9fff]/.test(message), `the error at the file field does not name ${name} in Chinese: ${JSON.stringify(message)}`);
        assert(await refusedPage.getAttribute("#evidence", "aria-invalid") === "true", "the file field is not marked invalid");
        assert(((await refusedPage.getAttribute("#evidence", "aria-describedby")) || "").split(" ").includes("evidence-error"), "the file field is not described by its error");
        const lost = sameValues(await formValues(refusedPage), typed);
        assert(lost.length === 0, `fields changed:\n${lost.join("\n")}`);
        assert(new URL(refusedPage.url()).pathname === "/form/", `the page moved to ${refusedPage.url()}`);
        const chosen = await refusedPage.evaluate(() => document.getElementById("evidence").files.length);
        assert(chosen === 1, `the field holds ${chosen} files after the refusal, want the 1 chosen`);
        await sleep(1000);
        assert(departmentMailCount(server.outbox) === mailsBefore, "a case was filed with the refused file");
        assert(storedEvidence(server.dir).length === filesBefore, "the refused file was kept under .hotline/evidence");
        console.log(`       says: ${message}`);
      });
    });

    const refusedNoJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    const typedNoJs = complaint("en", "Park");
    await check("without JavaScript: the same file gets a 422 page in English with the error, every typed field kept, a field to choose files again, no case", async () => {
      await onPage(refusedNoJs, "evidence-refused-nojs", async () => {
        const mailsBefore = departmentMailCount(server.outbox);
        const filesBefore = storedEvidence(server.dir).length;
        await refusedNoJs.goto(`${base}/en/form/`);
        await fillForm(refusedNoJs, typedNoJs);
        await refusedNoJs.setInputFiles("#evidence", [EXECUTABLE]);
        const landed = await postWithoutScript(refusedNoJs, "#complaint-form button[type=submit]");
        assert(landed.status() === 422, `the post answered ${landed.status()} at ${refusedNoJs.url()}, not 422`);
        const main = await refusedNoJs.textContent("main");
        const name = path.basename(EXECUTABLE);
        assert(main.includes(name), `the page does not name ${name}: ${main.slice(0, 400)}`);
        assert(((await refusedNoJs.getAttribute("html", "lang")) || "").startsWith("en"), "the page shown again is not in English");
        const said = (await refusedNoJs.locator("main li, main p").filter({ hasText: name }).allTextContents()).map((t) => t.trim());
        assert(said.length > 0 && said.every((t) => !/[\u4e00-\u9fff]/.test(t)), `the error is not in English: ${JSON.stringify(said)}`);
        console.log(`       says: ${said[said.length - 1]}`);
        for (const f of TEXT_FIELDS) {
          const field = refusedNoJs.locator(`form[method=post] [name=${f}]`);
          assert(await field.count() === 1, `the page has no ${f} field`);
          const value = await field.inputValue();
          assert(value === typedNoJs[f], `${f}: typed ${JSON.stringify(typedNoJs[f])}, now ${JSON.stringify(value)}`);
        }
        const form = refusedNoJs.locator("form[method=post]").filter({ has: refusedNoJs.locator("[name=description]") });
        assert(await form.getAttribute("enctype") === "multipart/form-data", "the form shown again cannot send files (not multipart/form-data)");
        assert(await form.locator("input[type=file][name=evidence]").count() === 1, "the form shown again has no field to choose the files again");
        await sleep(1000);
        assert(departmentMailCount(server.outbox) === mailsBefore, "a case was filed with the refused file");
        assert(storedEvidence(server.dir).length === filesBefore, "the refused file was kept under .hotline/evidence");
      });
    });

    await check("without JavaScript: on the page shown again the visitor chooses the photo instead and files the case with 1 file", async () => {
      await onPage(refusedNoJs, "evidence-nojs-again", async () => {
        assert(new URL(refusedNoJs.url()).pathname.startsWith("/api/"), `not on the page shown again: ${refusedNoJs.url()}`);
        await refusedNoJs.setInputFiles("form[method=post] input[type=file][name=evidence]", [GPS_PHOTO]);
        const landed = await postWithoutScript(refusedNoJs, "form[method=post] button[type=submit]");
        const tracking = await trackingAfterRedirect(refusedNoJs, landed);
        const { body } = await fetchStatus(base, tracking);
        assert(body.files === 1, `the status gives files: ${JSON.stringify(body.files)}, want 1`);
        const mail = await departmentMail(server.outbox, tracking);
        assert(mail.text.includes(typedNoJs.description), "the department's mail does not carry the description typed before the refusal");
        console.log(`       ${tracking}`);
      });
    });

    // The office's desk: what the queue pages below are checked with.
    const desk = {};
    // An anonymous whistle-blower with no contact at all follows the case with the receipt code alone.
    const wb = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    const whistle = {};
    const linkIn = (mail, tracking, action) => {
      const m = mail.text.match(new RegExp(`https?://[^\\s"<>]+/cases/${tracking}/actions/${action}\\?[^\\s"<>]+`));
      assert(m, `no ${action} link in the department's mail`);
      return m[0].replace(/&amp;/g, "&");
    };
    const departmentActs = async (url, field, text) => {
      const shown = await wb.goto(url);
      assert(shown.status() === 200, `${url} answered ${shown.status()}`);
      if (field) await wb.fill(`form[method=post] [name=${field}]`, text);
      const done = await postWithoutScript(wb, "form[method=post] button[type=submit]");
      assert(done.status() === 200, `the department's form answered ${done.status()}: ${(await wb.textContent("main")).slice(0, 200)}`);
    };
    const openCasePage = async () => {
      await wb.goto(`${base}/api/case?lang=zh`);
      await wb.fill("#tracking", whistle.tracking.toLowerCase());
      await wb.fill("#code", whistle.code.toLowerCase().replace(/-/g, " "));
      const landed = await postWithoutScript(wb, "form[method=post] button[type=submit]");
      assert(landed.status() === 200, `the case page answered ${landed.status()}`);
      return wb.textContent("main");
    };
    await check("without JavaScript: an anonymous report with no contact is filed and its receipt code opens the case page", async () => {
      await onPage(wb, "whistle-file", async () => {
        await wb.goto(`${base}/form/`);
        await wb.check("#type-report");
        await wb.selectOption("#category", "housing-property");
        await wb.check("#anonymous");
        await wb.fill("#description", "物业管理处长期把公共维修基金挪作他用，账目从不公示，业主多次询问均被搪塞。");
        const landed = await postWithoutScript(wb, "#complaint-form button[type=submit]");
        Object.assign(whistle, await receiptAfterPost(wb, landed));
        const main = await openCasePage();
        assert(main.includes(whistle.tracking) && main.includes("我们收到了您的诉求"), `the case page does not show the case: ${main.slice(0, 300)}`);
        assert(!main.includes(whistle.code), "the case page echoes the receipt code");
        console.log(`       ${whistle.tracking}`);
      });
    });
    await check("a wrong receipt code and another case's number are refused with one answer", async () => {
      const other = cases[0] && cases[0].tracking;
      assert(other, "no other case to try");
      const post = async (tracking, code) => {
        const res = await fetch(`${base}/api/case`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `tracking=${tracking}&code=${encodeURIComponent(code)}&lang=en` });
        return { status: res.status, body: (await res.text()).replaceAll(tracking, "N") };
      };
      const wrong = whistle.code.slice(0, -1) + (whistle.code.endsWith("0") ? "1" : "0");
      const a = await post(whistle.tracking, wrong);
      const b = await post(other, whistle.code);
      assert(a.status === 404 && b.status === 404, `answered ${a.status} and ${b.status}, not 404`);
      assert(a.body === b.body, "a wrong code and another case's number are answered differently");
    });
    await check("the department asks through its mail link; the reporter answers on the case page; the department's mail has no identity", async () => {
      await onPage(wb, "whistle-ask", async () => {
        const isIt = (m) => m.all.includes(whistle.tracking) && (m.headers.to || "").includes(INTEGRITY_INBOX);
        const mail = (await mailsWhen(server.outbox, (all) => all.some(isIt))).find(isIt);
        assert(mail, `no mail to ${INTEGRITY_INBOX} for ${whistle.tracking}`);
        for (const action of ["ask", "accept", "reply", "close"]) whistle[action] = linkIn(mail, whistle.tracking, action);
        await departmentActs(whistle.ask, "text", "请问挪用的是哪一年的维修基金？有没有收据或公告照片？");
        let main = await openCasePage();
        assert(main.includes("请问挪用的是哪一年的维修基金") && main.includes("待您回答"), `the question is not on the case page: ${main.slice(0, 400)}`);
        const answer = "2025 年的维修基金，公告栏照片可以补充。";
        await wb.fill("form[method=post] [name=text]", answer);
        const sent = await postWithoutScript(wb, "form[method=post] button[type=submit]");
        assert(sent.status() === 200, `the answer was answered ${sent.status()}`);
        main = await wb.textContent("main");
        assert(main.includes("已转交承办部门"), "the page does not say the answer went to the department");
        const isAnswer = (m) => m.text.includes(answer) && (m.headers.to || "").includes(INTEGRITY_INBOX);
        const got = (await mailsWhen(server.outbox, (all) => all.some(isAnswer))).filter(isAnswer);
        assert(got.length === 1, `${got.length} mails carry the answer to the department, want 1`);
        assert(!got[0].all.includes(whistle.code) && !got[0].all.includes(whistle.code.replace(/-/g, "")), "the department's mail holds the receipt code");
        assert(/\/actions\/reply\?token=/.test(got[0].text), "the department's mail lacks its usual links");
        assert(mails(server.outbox).every((m) => !m.all.includes(whistle.code)), "some mail holds the receipt code");
      });
    });
    await check("the department replies and closes; the reporter reads the result on the case page and rates it", async () => {
      await onPage(wb, "whistle-close", async () => {
        await departmentActs(whistle.accept);
        await departmentActs(whistle.reply, "text", "经核查，已责令物业公示近三年维修基金账目。");
        await departmentActs(whistle.close, "outcome", "已责令整改并公示账目。");
        const main = await openCasePage();
        assert(main.includes("已责令物业公示近三年维修基金账目") && main.includes("已责令整改并公示账目"), `the result is not on the case page: ${main.slice(0, 500)}`);
        const survey = await wb.getAttribute("a[href*='/survey?token=']", "href");
        assert(survey, "the closed case's page offers no survey");
        await wb.goto(survey);
        await wb.check("form[method=post] input[name=rating][value=satisfied]");
        const rated = await postWithoutScript(wb, "form[method=post] button[type=submit]");
        assert(rated.status() === 200, `the survey answered ${rated.status()}`);
        const after = await openCasePage();
        assert(after.includes("您评价了办理结果"), "the rating is not on the case page");
        assert(!(await wb.$("a[href*='/survey?token=']")), "the survey is still offered after rating");
      });
    });
    await check("a complaint with only a mobile number gets its text messages in the local text outbox, each once", async () => {
      // The copy's hours end at 23:59 (Asia/Shanghai): past that, wait for midnight.
      const shanghai = new Date(Date.now() + 8 * 3600 * 1000);
      if (shanghai.getUTCHours() === 23 && shanghai.getUTCMinutes() === 59) await sleep(61000);
      const phone = "139 0013 9000";
      const res = await fetch(`${base}/api/cases`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          case_type: "complaint", category: "housing-property", name: "赵六", phone, language: "zh",
          description: "单元门的门禁坏了一个月，陌生人随便进出，物业一直说在等配件。",
          idempotency_key: `texts-${crypto.randomUUID()}`,
        }),
      });
      assert(res.status === 201, `filing answered ${res.status}`);
      const { tracking, receipt_code: code } = await res.json();
      assert(tracking && code, "no tracking number or receipt code in the answer");
      const isAck = (t) => t.name === `${tracking}_2Ftext-ack.txt`;
      let texts = await textsWhen(server.texts, tracking, (all) => all.some(isAck));
      assert(texts.length === 1 && isAck(texts[0]), `texts after filing: ${texts.map((t) => t.name).join(", ") || "none"}`);
      const ack = texts[0];
      assert(ack.to === "+8613900139000", `the text goes to ${ack.to}`);
      assert(ack.body.startsWith("【示例市12345】") && ack.body.includes(tracking), `the receipt text: ${ack.body}`);
      assert(!ack.body.includes(code) && !ack.body.includes(code.replace(/-/g, "")), "the text holds the receipt code");
      assert(!mails(server.outbox).some((m) => (m.headers.to || "").includes("139")), "a mail went to the phone number");

      const isIt = (m) => m.all.includes(tracking) && (m.headers.to || "").includes(HOUSING_INBOX);
      const mail = (await mailsWhen(server.outbox, (all) => all.some(isIt))).find(isIt);
      assert(mail, `no department mail for ${tracking}`);
      await departmentActs(linkIn(mail, tracking, "ask"), "text", "请问是几号楼几单元？");
      const isAsked = (t) => t.name.startsWith(`${tracking}_2Ftext-asked_2F`);
      texts = await textsWhen(server.texts, tracking, (all) => all.some(isAsked));
      const asked = texts.filter(isAsked);
      assert(asked.length === 1, `${asked.length} question texts, want 1`);
      assert(asked[0].body.includes(tracking) && !asked[0].body.includes("几号楼"), `the question text: ${asked[0].body}`);
      // The reminder loop's outbox pass and the mail worker must not send them again.
      await sleep(1500);
      const names = textsOf(server.texts, tracking).map((t) => t.name);
      assert(names.length === 2, `texts of ${tracking}: ${names.join(", ")}`);
      console.log(`       ${tracking}: ${names.join(", ")}`);
    });
    await check("the water department sends a case back; the office re-routes it from its mail; housing accepts and replies; the complainant gets one reply; water's old link refuses in English", async () => {
      const visitor = `desk-${crypto.randomUUID().slice(0, 8)}@example.net`;
      const res = await fetch(`${base}/api/cases`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          case_type: "complaint", category: "water-supply", name: "孙七", email: visitor, language: "zh",
          description: "小区二次供水水箱的盖子坏了，水箱里有落叶，物业说不归他们管。",
          idempotency_key: `desk-${crypto.randomUUID()}`,
        }),
      });
      assert(res.status === 201, `filing answered ${res.status}`);
      const { tracking } = await res.json();
      const to = (m, inbox) => m.all.includes(tracking) && (m.headers.to || "").includes(inbox);
      const water = (await mailsWhen(server.outbox, (all) => all.some((m) => to(m, "water@example.org")))).find((m) => to(m, "water@example.org"));
      assert(water, `no mail to the water department for ${tracking}`);
      const waterAccept = linkIn(water, tracking, "accept");
      await departmentActs(linkIn(water, tracking, "send-back"), "reason", "二次供水设施属于小区物业管理，应由住建部门处理。");
      const isOffice = (m) => to(m, "cases@example.org") && m.text.includes("/actions/reroute?");
      const office = (await mailsWhen(server.outbox, (all) => all.some(isOffice))).find(isOffice);
      assert(office, "no mail to the office with re-route links");
      const reroute = (office.text.match(new RegExp(`https?://[^\\s"<>]+/cases/${tracking}/actions/reroute\\?[^\\s"<>]+`, "g")) || [])
        .map((l) => l.replace(/&amp;/g, "&"))
        .find((l) => l.endsWith("to=housing"));
      assert(reroute, "no re-route link to housing in the office's mail");
      await onPage(wb, "desk-reroute", async () => {
        const shown = await wb.goto(reroute);
        assert(shown.status() === 200, `the re-route link answered ${shown.status()}`);
        assert(await wb.isChecked("input[name=department][value=housing]"), "housing is not chosen on the page");
        const done = await postWithoutScript(wb, "form[method=post] button[type=submit]");
        assert(done.status() === 200, `re-routing answered ${done.status()}: ${(await wb.textContent("main")).slice(0, 200)}`);
      });
      const housing = (await mailsWhen(server.outbox, (all) => all.some((m) => to(m, HOUSING_INBOX)))).find((m) => to(m, HOUSING_INBOX));
      assert(housing, "no mail to housing after the re-route");
      const reply = "已通知物业更换水箱盖并清洗水箱，三天内完成。";
      await departmentActs(linkIn(housing, tracking, "accept"));
      await departmentActs(linkIn(housing, tracking, "reply"), "text", reply);
      const replies = (await mailsWhen(server.outbox, (all) => all.some((m) => to(m, visitor) && m.text.includes(reply))))
        .filter((m) => to(m, visitor) && m.text.includes(reply));
      assert(replies.length === 1, `${replies.length} reply mails to the complainant, want 1`);
      const refused = await fetch(waterAccept, { headers: { "Accept-Language": "en" } });
      const body = await refused.text();
      assert(refused.status === 403 && body.includes("no longer handles"), `water's old link answered ${refused.status}: ${body.slice(0, 300)}`);
      console.log(`       ${tracking}: water → sent back → housing → replied`);
      desk.tracking = tracking;
    });
    await check("hotline cases queue prints housing's signed queue page: it lists the re-routed case without script, and its token does not open the office's page", async () => {
      assert(desk.tracking, "no re-routed case");
      for (const department of ["housing", "hotline-centre"]) {
        const run = spawnSync(binary, ["cases", "queue", "--department", department], { cwd: server.dir, encoding: "utf8" });
        assert(run.status === 0, `hotline cases queue --department ${department} failed: ${run.stderr}`);
        desk[department] = run.stdout.trim();
        assert(desk[department].startsWith(`${base}/api/queue/${department}?token=`), `the queue link is ${desk[department]}`);
      }
      await onPage(wb, "desk-queue", async () => {
        const shown = await wb.goto(desk.housing);
        assert(shown.status() === 200, `housing's queue answered ${shown.status()}`);
        const main = await wb.textContent("main");
        assert(main.includes(desk.tracking), `housing's queue does not list ${desk.tracking}`);
      });
      // The department's token on the office's address is not the office's.
      const forged = desk.housing.replace("/queue/housing?", "/queue/hotline-centre?");
      const res = await fetch(forged);
      assert(res.status === 403, `housing's token on the office's queue answered ${res.status}`);
    });
    await check("with JavaScript: the thank-you page shows the receipt code, and it opens the case page", async () => {
      await onPage(page, "receipt-js", async () => {
        await page.goto(`${base}/en/form/`);
        await fillForm(page, complaint("en", "Zhou"));
        const tracking = await submitWithScript(page, "/en/thanks/");
        const code = page.lastReceiptCode;
        await page.click("[data-receipt] a");
        await page.fill("#tracking", tracking);
        await page.fill("#code", code);
        const [landed] = await Promise.all([page.waitForNavigation({ timeout: 10000 }), page.click("form[method=post] button[type=submit]")]);
        assert(landed.status() === 200, `the case page answered ${landed.status()}`);
        assert((await page.textContent("main")).includes("We received your case"), "the English case page does not show the case");
      });
    });

    // axe on every page of the sitemap, the 404 page, and the form showing its errors.
    const sitemap = await (await fetch(`${base}/sitemap.xml`)).text();
    const paths = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]).pathname);
    paths.push("/no-such-page/");
    let runs = 0;
    let violations = 0;
    for (const vp of VIEWPORTS) {
      await check(`axe (wcag2a, wcag2aa) on ${paths.length} pages, the form with errors, thank-you and status with a case, the API's pages, ${vp.name} ${vp.options.viewport.width}×${vp.options.viewport.height}`, async () => {
        assert(paths.length > 40, `the sitemap lists only ${paths.length - 1} pages`);
        assert(paths.includes("/en/form/") && paths.includes("/status/"), "the sitemap misses the form or the status page");
        // axe is injected as an inline script, which the pages' own
        // Content-Security-Policy (rightly) refuses: the test's context alone bypasses it.
        const context = await browser.newContext({ ...vp.options, bypassCSP: true });
        const p = await context.newPage();
        const found = [];
        const audit = async (label) => {
          await p.addScriptTag({ path: axePath });
          const result = await p.evaluate(() => axe.run(document, { runOnly: ["wcag2a", "wcag2aa"] }));
          runs += 1;
          if (result.violations.length) {
            violations += result.violations.length;
            const file = await shot(p, `axe-${vp.name}-${label.replace(/[^a-z0-9]+/gi, "_")}`);
            for (const v of result.violations) {
              found.push(`${label}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
            }
            found.push(`  screenshot: ${file}`);
          }
        };
        for (const p0 of paths) {
          await p.goto(`${base}${p0}`);
          await audit(p0);
        }
        for (const formPath of ["/form/", "/en/form/"]) {
          await p.goto(`${base}${formPath}`);
          await p.click("#complaint-form button[type=submit]");
          await p.locator(".error-text").first().waitFor({ timeout: 5000 });
          await audit(`${formPath} with errors`);
        }
        assert(cases.length > 1, "too few cases were filed to check the pages that show one");
        const tracking = cases[0].tracking;
        // The API's own pages, in the site's shell: the no-JS status page, a
        // lookup that finds nothing, a department's action form, and the page
        // refusing an action that is not possible yet (cases[1] is untouched).
        const other = mails(server.outbox).find((m) => m.all.includes(cases[1].tracking) && (m.headers.to || "").includes(HOUSING_INBOX));
        const linkOf = (action) => {
          const m = other && other.text.match(new RegExp(`https?://[^\\s"<>]+/cases/${cases[1].tracking}/actions/${action}\\?[^\\s"<>]+`));
          assert(m, `no ${action} link in the department's mail for ${cases[1].tracking}`);
          return m[0].replace(/&amp;/g, "&");
        };
        for (const [url, label] of [
          [`${base}/api/cases/${tracking}?format=html&lang=zh`, "API status page zh"],
          [`${base}/api/cases/${tracking}?format=html&lang=en`, "API status page en"],
          [`${base}/api/cases?tracking=SL-0000-AAA-AAA-AAA&lang=en`, "API lookup, nothing found"],
          [linkOf("accept"), "API accept form"],
          [linkOf("reply"), "API reply refused before accepting"],
          ...(desk.housing ? [[desk.housing, "API queue page, a department"], [desk["hotline-centre"], "API queue page, the office"]] : []),
        ]) {
          await p.goto(url);
          await audit(label);
        }
        for (const lang of ["", "/en"]) {
          await p.goto(`${base}${lang}/thanks/?tracking=${tracking}`);
          await p.locator("[data-tracking-number]").waitFor({ state: "visible", timeout: 5000 });
          await audit(`${lang}/thanks/ with a number`);
          await lookUpWithScript(p, base, `${lang}/status/`, tracking);
          await audit(`${lang}/status/ with a result`);
        }
        await context.close();
        assert(found.length === 0, found.join("\n"));
      });
    }
    console.log(`       axe: ${paths.length} pages + 13 page states × ${VIEWPORTS.length} viewports = ${runs} checks, ${violations} violations`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.stop();
    if (failed) {
      console.log(`server output:\n${server.log.split("\n").slice(-30).join("\n")}`);
      console.log(`kept for a look: ${server.dir}`);
    } else {
      server.removeData();
    }
  }
  console.log(`\nserve: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(() => process.exit(failed ? 1 : 0), (e) => {
  console.error(e);
  process.exit(1);
});

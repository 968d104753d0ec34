#!/usr/bin/env node
// Browser test of the production upload path: the site built with
// `evidence_upload = "bucket"`, where the form's script files the case as
// JSON without its files and then sends each file straight to the evidence
// bucket with an upload grant from the answer. `hotline serve` files the
// case for real; playwright's page.route adds two grants to its answer and
// stands in for S3 (each POST's multipart body recorded, 204 or 403
// answered), and gives the form page the production CSP, which names the
// bucket's origin as the only other place to connect to.
//
// Checks: the JSON post carries no file; each file went to its own grant
// with every grant field and its type's fields in order, the file last and
// byte for byte (a photo with GPS is not touched here: the bucket's
// processor strips it); a refusing bucket (403) shows the error in the
// page's language with everything typed kept, and sending again retries
// the file on the same case; a file whose bytes are not JPEG, PNG or PDF is
// refused before anything is sent.
//
// Usage: node tests/site/upload-test.js [BINARY]
//   BINARY: the `hotline` binary (default: $HOTLINE_BIN, else target/debug/hotline).
// The server runs in a temporary copy of content/; screenshots of failing
// steps go to tests/output/.
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");

const ROOT = path.join(__dirname, "..", "..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const OUTPUT = path.join(ROOT, "tests", "output");
const STARTUP_MS = 60000;
const CORPUS = path.join(ROOT, "functions", "evidence", "tests", "corpus");
// The stand-in bucket: the address intake's grants give in production.
const BUCKET = "https://hotline-test-evidence.s3.ap-southeast-1.amazonaws.com";

function fatal(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

const binary = path.resolve(process.argv[2] || process.env.HOTLINE_BIN || path.join(ROOT, "target", "debug", "hotline"));
if (!fs.existsSync(binary)) fatal(`no hotline binary at ${binary}. Fix: cargo build --workspace --locked, then give its path`);
let playwright;
try {
  playwright = require("playwright-core");
} catch (e) {
  fatal("playwright-core is missing. Fix: (cd tests/site && npm ci)");
}
if (!fs.existsSync(CHROMIUM)) fatal(`no browser at ${CHROMIUM}. Fix: apt-get install -y chromium`);

// Files as in-memory payloads: Chromium shows a route the bytes of those,
// not of files read from disk.
function file(name, corpusFile, mimeType) {
  return { name, mimeType, buffer: fs.readFileSync(path.join(CORPUS, corpusFile)) };
}
const GPS_PHOTO = file("street-light.jpg", "photo-gps-orientation-6.jpg", "image/jpeg");
const PDF = file("receipt.pdf", "small.pdf", "application/pdf");
const EXECUTABLE = file("photo.jpg", "executable-named.jpg", "image/jpeg");

let passed = 0;
let failed = 0;
async function check(name, fn) {
  const start = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok   - ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL - ${name}\n       ${String(e && e.message || e).split("\n").join("\n       ")}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function onPage(page, name, fn) {
  try {
    await fn();
  } catch (e) {
    fs.mkdirSync(OUTPUT, { recursive: true });
    const shot = path.join(OUTPUT, `upload-${name}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    throw new Error(`${e && e.message || e}\nscreenshot: ${path.relative(process.cwd(), shot)}`);
  }
}

// ── the server, in a copy of content/ set for the bucket ────────────────

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
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotline-upload-test-"));
    fs.cpSync(path.join(ROOT, "content"), path.join(this.dir, "content"), { recursive: true });
    const site = path.join(this.dir, "content", "site.toml");
    const text = fs.readFileSync(site, "utf8");
    const set = text.replace(/^evidence_upload = .*$/m, 'evidence_upload = "bucket"');
    if (!/^evidence_upload = "bucket"$/m.test(set)) fatal("content/site.toml has no evidence_upload line to set");
    fs.writeFileSync(site, set);
    this.log = "";
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

  async stop() {
    if (!this.child || this.exited) return;
    const gone = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGINT");
    if (await Promise.race([gone.then(() => true), sleep(5000).then(() => false)])) return;
    this.child.kill("SIGKILL");
  }
}

// ── the stand-ins ────────────────────────────────────────────────────────

// Two grants as intake makes them: shared fields, then per type its
// Content-Type, policy and signature (made-up values, told apart by grant).
function grants(tracking) {
  return [1, 2].map((n) => {
    const types = {};
    for (const t of ["image/jpeg", "image/png", "application/pdf"]) {
      types[t] = { "Content-Type": t, policy: `policy-${n}-${t}`, "x-amz-signature": `signature-${n}-${t}` };
    }
    const key = `quarantine/${tracking}/${String(n).repeat(32)}/file`;
    return {
      url: `${BUCKET}/`,
      key,
      expires_at: new Date(Date.now() + 15 * 60000).toISOString(),
      fields: {
        key,
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "AKIDEXAMPLE/20261207/ap-southeast-1/s3/aws4_request",
        "x-amz-date": "20261207T000000Z",
        "x-amz-security-token": `token-${n}`,
      },
      types,
    };
  });
}

// A multipart body as its parts, in order: { name, filename, data (Buffer) }.
function multipart(contentType, body) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType || "");
  assert(m, `not multipart: ${contentType}`);
  const boundary = Buffer.from(`--${m[1] || m[2]}`);
  const parts = [];
  let at = body.indexOf(boundary);
  while (at >= 0) {
    const start = at + boundary.length;
    if (body.slice(start, start + 2).toString() === "--") break;
    const next = body.indexOf(boundary, start);
    assert(next > 0, "an unterminated multipart body");
    const part = body.slice(start + 2, next - 2); // after CRLF, before CRLF
    const split = part.indexOf("\r\n\r\n");
    const head = part.slice(0, split).toString("utf8");
    const name = /name="([^"]*)"/.exec(head);
    const filename = /filename="([^"]*)"/.exec(head);
    parts.push({ name: name && name[1], filename: filename && filename[1], data: part.slice(split + 4) });
    at = next;
  }
  return parts;
}

// Routes a page's traffic: the form pages get the production CSP, the
// API's answer to a filed case gains the grants, S3 is `bucket`.
async function standIns(page, base, bucket) {
  const seen = { json: [], s3: [], grants: null, bars: [] };
  await page.route((url) => url.origin === base && /\/form\/$/.test(url.pathname), async (route) => {
    const res = await route.fetch();
    const headers = res.headers();
    const csp = headers["content-security-policy"] || "";
    assert(csp.includes("connect-src 'self';"), `serve's CSP has changed: ${csp}`);
    headers["content-security-policy"] = csp.replace("connect-src 'self'", `connect-src 'self' ${BUCKET}`);
    await route.fulfill({ response: res, headers });
  });
  await page.route(`${base}/api/cases`, async (route) => {
    const req = route.request();
    seen.json.push({ type: req.headers()["content-type"], body: req.postDataBuffer() });
    const res = await route.fetch();
    const body = await res.json();
    if (res.ok()) {
      seen.grants = grants(body.tracking);
      body.uploads = seen.grants;
    }
    await route.fulfill({ response: res, json: body });
  });
  await page.route(`${BUCKET}/**`, async (route) => {
    const req = route.request();
    seen.s3.push({ method: req.method(), type: req.headers()["content-type"], body: req.postDataBuffer() });
    // Each file has its own progress bar, named, while it is sent.
    seen.bars.push(await page.evaluate(() => Array.from(document.querySelectorAll("progress[aria-label]"))
      .filter((p) => !p.hidden).map((p) => p.getAttribute("aria-label"))));
    await route.fulfill({ status: bucket.status, headers: { "access-control-allow-origin": base }, body: "" });
  });
  return seen;
}

const TYPED = {
  en: {
    subject: "Street light out for a week",
    location: "Corner of Happiness Road and Park Lane",
    description: "The street light at the corner has been dark for a week; the pavement is unsafe at night.",
  },
  zh: {
    subject: "路灯损坏一周",
    location: "示例市幸福路与公园路交叉口",
    description: "路口的路灯已经一周不亮，晚上行人很不安全，请尽快修复。",
  },
};

async function fill(page, lang) {
  await page.check("#type-complaint");
  await page.selectOption("#category", "housing-property");
  await page.fill("#name", lang === "zh" ? "王女士" : "Ms Wang");
  await page.fill("#phone", "13800138000");
  for (const [k, v] of Object.entries(TYPED[lang])) await page.fill(`#${k}`, v);
}

async function typedStill(page, lang) {
  for (const [k, v] of Object.entries(TYPED[lang])) {
    const now = await page.inputValue(`#${k}`);
    assert(now === v, `${k} was ${JSON.stringify(v)}, is now ${JSON.stringify(now)}`);
  }
}

// The files each S3 post carried, checked against the grant it used.
function checkPost(post, grant, upload) {
  assert(post.method === "POST", `S3 got a ${post.method}`);
  assert(post.body && post.body.length, "the S3 post has no body");
  const parts = multipart(post.type, post.body);
  const type = upload.mimeType;
  const want = [...Object.entries(grant.fields), ...Object.entries(grant.types[type])];
  const names = parts.map((p) => p.name);
  const wantNames = [...want.map(([k]) => k), "file"];
  assert(JSON.stringify(names) === JSON.stringify(wantNames),
    `the parts were ${JSON.stringify(names)}, want ${JSON.stringify(wantNames)} (the grant's fields, its type's, the file last)`);
  for (const [i, [k, v]] of want.entries()) {
    assert(parts[i].data.toString("utf8") === v, `field ${k} was ${JSON.stringify(parts[i].data.toString())}, want ${JSON.stringify(v)}`);
  }
  const sent = parts[parts.length - 1];
  assert(sent.data.equals(upload.buffer), `${upload.name}: ${sent.data.length} bytes went, not its own ${upload.buffer.length}`);
  assert(sent.filename !== upload.name, "the file's own name went to the bucket");
}

async function main() {
  const server = new Server();
  process.on("exit", () => { if (server.child && !server.exited) server.child.kill("SIGKILL"); });
  const started = Date.now();
  let browser;
  try {
    await server.start();
    const base = server.base;
    console.log(`hotline serve at ${base}, content/site.toml set to evidence_upload = "bucket"`);
    browser = await playwright.chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });

    await check("the form page tells the script to send files to the bucket", async () => {
      const html = await (await fetch(`${base}/en/form/`)).text();
      assert(/<form[^>]*data-evidence-upload="bucket"/.test(html), "no data-evidence-upload=\"bucket\" on the form");
    });

    await check("with a GPS photo and a PDF: the case goes as JSON, each file to its grant, the file last and unchanged", async () => {
      const page = await (await browser.newContext()).newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const seen = await standIns(page, base, { status: 204 });
      await onPage(page, "bucket-ok", async () => {
        await page.goto(`${base}/en/form/`);
        await fill(page, "en");
        await page.setInputFiles("#evidence", [GPS_PHOTO, PDF]);
        await Promise.all([
          page.waitForURL((u) => u.pathname === "/en/thanks/" && u.searchParams.has("tracking"), { timeout: 20000 }),
          page.click("#complaint-form button[type=submit]"),
        ]);
        assert(errors.length === 0, `script errors: ${errors.join("; ")}`);
        assert(seen.json.length === 1, `${seen.json.length} posts to the API`);
        const json = seen.json[0];
        assert(/^application\/json/.test(json.type), `the case went as ${json.type}`);
        const fields = JSON.parse(json.body.toString("utf8"));
        assert(!("evidence" in fields), "the JSON names the files");
        assert(json.body.indexOf(GPS_PHOTO.buffer.slice(0, 64)) < 0 && json.body.length < 4000, "the JSON carries file bytes");
        assert(fields.subject === TYPED.en.subject, "the JSON lacks the typed subject");
        const posts = seen.s3.filter((p) => p.method === "POST");
        assert(posts.length === 2, `${posts.length} posts to the bucket, want 2`);
        checkPost(posts[0], seen.grants[0], GPS_PHOTO);
        checkPost(posts[1], seen.grants[1], PDF);
        const bars = seen.bars.filter((b) => b.length);
        assert(bars.length === 2 && bars[0].includes(`Upload progress ${GPS_PHOTO.name}`) && bars[1].includes(`Upload progress ${PDF.name}`),
          `progress bars while sending: ${JSON.stringify(seen.bars)}`);
        const code = page.locator("[data-receipt-code]");
        await code.waitFor({ state: "visible", timeout: 5000 });
        const tracking = new URL(page.url()).searchParams.get("tracking");
        assert((await page.textContent("[data-tracking-number]")).trim() === tracking, "the thank-you page does not show the tracking number");
        console.log(`       ${tracking}: ${posts.map((p) => `${p.body.length} bytes`).join(", ")} to the bucket`);
      });
      await page.context().close();
    });

    await check("a bucket that refuses (403): the error in Chinese, everything typed kept; sending again retries on the same case", async () => {
      const page = await (await browser.newContext()).newPage();
      const bucket = { status: 403 };
      const seen = await standIns(page, base, bucket);
      await onPage(page, "bucket-403", async () => {
        await page.goto(`${base}/form/`);
        await fill(page, "zh");
        await page.setInputFiles("#evidence", [GPS_PHOTO]);
        await page.click("#complaint-form button[type=submit]");
        const box = page.locator(".form-status.error");
        await box.waitFor({ state: "visible", timeout: 20000 });
        const message = (await box.textContent()).trim();
        const tracking = seen.grants && seen.grants[0].key.split("/")[1];
        assert(tracking && message.includes(tracking), `the error does not give the case's number: ${message}`);
        assert(message.includes("未能上传") && message.includes(GPS_PHOTO.name), `not the Chinese error naming the file: ${message}`);
        assert(await box.locator(`a[href*="${tracking}"]`).count() === 1, "no link to the thank-you page");
        assert(new URL(page.url()).pathname === "/form/", `the page left the form: ${page.url()}`);
        await typedStill(page, "zh");
        const files = await page.evaluate(() => Array.from(document.getElementById("evidence").files).map((f) => f.name));
        assert(JSON.stringify(files) === JSON.stringify([GPS_PHOTO.name]), `the file chooser holds ${JSON.stringify(files)}`);
        const status = await fetch(`${base}/api/cases/${tracking}`, { headers: { Accept: "application/json" } });
        assert(status.status === 200, `the case was not filed: ${status.status}`);

        bucket.status = 204;
        await Promise.all([
          page.waitForURL((u) => u.pathname === "/thanks/", { timeout: 20000 }),
          page.click("#complaint-form button[type=submit]"),
        ]);
        assert(new URL(page.url()).searchParams.get("tracking") === tracking, `sending again filed another case: ${page.url()}`);
        assert(seen.json.length === 2 && seen.grants[0].key.includes(tracking), "the retry did not replay the case");
        const posts = seen.s3.filter((p) => p.method === "POST");
        assert(posts.length === 2, `${posts.length} posts to the bucket, want 2`);
        checkPost(posts[1], seen.grants[0], GPS_PHOTO);
      });
      await page.context().close();
    });

    await check("a file whose bytes are not JPEG, PNG or PDF is refused before anything is sent", async () => {
      const page = await (await browser.newContext()).newPage();
      const seen = await standIns(page, base, { status: 204 });
      await onPage(page, "bucket-refused", async () => {
        await page.goto(`${base}/en/form/`);
        await fill(page, "en");
        await page.setInputFiles("#evidence", [PDF, EXECUTABLE]);
        await page.click("#complaint-form button[type=submit]");
        const error = page.locator("#evidence-error");
        await error.waitFor({ state: "visible", timeout: 5000 });
        const text = (await error.textContent()).trim();
        assert(text === `“${EXECUTABLE.name}” is not a kind of file we take.`, `the error was ${JSON.stringify(text)}`);
        assert(await page.getAttribute("#evidence", "aria-invalid") === "true", "the file field is not marked invalid");
        await sleep(500);
        assert(seen.json.length === 0 && seen.s3.length === 0, `sent anyway: ${seen.json.length} to the API, ${seen.s3.length} to the bucket`);
        await typedStill(page, "en");
      });
      await page.context().close();
    });
  } catch (e) {
    failed += 1;
    console.log(`FAIL - ${e && e.message || e}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.stop();
    if (failed) console.log(`server output:\n${server.log.split("\n").slice(-30).join("\n")}\nkept for a look: ${server.dir}`);
    else fs.rmSync(server.dir, { recursive: true, force: true });
  }
  console.log(`\nupload: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(() => process.exit(failed ? 1 : 0), (e) => {
  console.error(e);
  process.exit(1);
});

#!/usr/bin/env node
// Browser tests against `hotline serve` on the sample site: a visitor files
// complaints with and without JavaScript and looks them up both ways; the
// outbox holds each case's mail; nothing typed is lost when the API is down;
// the department accepts, replies and closes through the signed links in its
// mail and the visitor sees the reply; every page, and the API's own pages,
// pass axe (WCAG 2 A and AA) on a desktop and a phone.
//
// Usage: node tests/site/serve-test.js [BINARY]
//   BINARY: the `hotline` binary (default: $HOTLINE_BIN, else target/debug/hotline),
//   built with `cargo build --locked -p hotline`.
// The server runs in a temporary copy of content/, so its cases and mail
// (.hotline/ there) never touch the project's own. Screenshots of failing steps
// go to tests/output/.
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
    this.log = "";
    this.child = null;
    this.exited = null;
  }

  get outbox() {
    return path.join(this.dir, ".hotline", "outbox");
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

    // Without JavaScript, in Chinese: the plain form posts and the API answers 303.
    const noJsContext = await browser.newContext({ javaScriptEnabled: false });
    const noJs = await noJsContext.newPage();
    await check("without JavaScript: a Chinese visitor's form posts, 303 to the thank-you page with the tracking number", async () => {
      await onPage(noJs, "submit-nojs", async () => {
        const data = complaint("zh", "Wang");
        await noJs.goto(`${base}/form/`);
        await fillForm(noJs, data);
        const [landed] = await Promise.all([
          noJs.waitForNavigation({ timeout: 20000 }),
          noJs.click("#complaint-form button[type=submit]"),
        ]);
        const post = landed.request().redirectedFrom();
        assert(post && post.method() === "POST", `the form did not post and redirect; landed on ${noJs.url()} (${landed.status()})`);
        const postStatus = (await post.response()).status();
        assert(postStatus === 303, `the post answered ${postStatus}, not 303`);
        const url = new URL(noJs.url());
        assert(url.pathname === "/thanks/", `303 led to ${url.pathname}, not /thanks/`);
        assert(landed.status() === 200, `the thank-you page answered ${landed.status()}`);
        const tracking = url.searchParams.get("tracking") || "";
        assert(TRACKING.test(tracking), `no tracking number in ${noJs.url()}`);
        // Without scripts the page cannot print the number: it points to the address bar.
        const main = await noJs.textContent("main");
        assert(main.includes("tracking="), "the page does not say where the tracking number is");
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
    console.log(`       axe: ${paths.length} pages + 11 page states × ${VIEWPORTS.length} viewports = ${runs} checks, ${violations} violations`);
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

#!/usr/bin/env node
// Checks a built site in a real browser: Chinese search through the Pagefind
// index, the search page without JavaScript, and the weight of every page.
//
// Usage: node tests/site/site-test.js DIR   (DIR: output of `hotline build`)
// tests/run builds the sample site and calls this; it installs what it needs.
"use strict";

const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");

const MAX_ASSET_BYTES = 30 * 1024;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const OUTPUT = path.join(__dirname, "..", "output");

function fatal(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

const dir = process.argv[2];
if (!dir || !fs.existsSync(path.join(dir, "index.html"))) {
  fatal("give the folder of a built site: node tests/site/site-test.js DIR (make it with `hotline build --output DIR`)");
}
let playwright;
try {
  playwright = require("playwright-core");
} catch (e) {
  fatal("playwright-core is missing. Fix: npm install --prefix tests/site");
}
if (!fs.existsSync(CHROMIUM)) {
  fatal(`no browser at ${CHROMIUM}. Fix: apt-get install -y chromium (after apt-get update if it is not found)`);
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL - ${name}\n       ${String(e && e.message || e).split("\n").join("\n       ")}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function htmlFiles(root) {
  const out = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".html")) out.push(full);
    }
  };
  walk(root);
  return out.sort();
}

// Local stylesheets and scripts a page links to; the Pagefind bundle that the
// search page fetches on demand is not part of a page's weight.
function assetsOf(html) {
  const urls = [];
  for (const tag of html.match(/<(link|script)\b[^>]*>/g) || []) {
    const isStyle = /^<link/.test(tag) && /\brel="stylesheet"/.test(tag);
    const attr = isStyle ? /\bhref="([^"]+)"/ : /^<script/.test(tag) ? /\bsrc="([^"]+)"/ : null;
    const m = attr && tag.match(attr);
    if (m && m[1].startsWith("/") && !m[1].startsWith("//") && !m[1].startsWith("/pagefind/")) urls.push(m[1]);
  }
  return urls;
}

const TYPES = {
  ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
  ".json": "application/json", ".wasm": "application/wasm", ".xml": "application/xml",
};
function serve(root) {
  const server = http.createServer((req, res) => {
    let file = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (file.endsWith("/")) file += "index.html";
    const full = path.join(root, path.normalize(file));
    if (!full.startsWith(path.resolve(root)) || !fs.existsSync(full) || fs.statSync(full).isDirectory()) {
      res.writeHead(404, { "content-type": TYPES[".html"] });
      res.end(fs.existsSync(path.join(root, "404.html")) ? fs.readFileSync(path.join(root, "404.html")) : "not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(full)] || "application/octet-stream" });
    res.end(fs.readFileSync(full));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function resultLinks(page) {
  await page.waitForSelector("#search-results ol.results li a, #search-results p", { timeout: 15000 });
  await page.waitForFunction(() => {
    const box = document.getElementById("search-results");
    return box.textContent !== box.getAttribute("data-searching");
  }, null, { timeout: 15000 });
  return page.$$eval("#search-results ol.results li a", (as) => as.map((a) => new URL(a.href).pathname));
}

async function main() {
  const root = path.resolve(dir);
  const pages = htmlFiles(root);

  await check(`every page's own CSS+JS is at most ${MAX_ASSET_BYTES / 1024} KB (${pages.length} pages)`, () => {
    const heavy = [];
    let largest = 0;
    for (const file of pages) {
      const html = fs.readFileSync(file, "utf8");
      let total = 0;
      for (const url of assetsOf(html)) {
        const asset = path.join(root, url.split(/[?#]/)[0]);
        assert(fs.existsSync(asset), `${path.relative(root, file)} links to ${url}, which was not built`);
        total += fs.statSync(asset).size;
      }
      largest = Math.max(largest, total);
      if (total > MAX_ASSET_BYTES) heavy.push(`${path.relative(root, file)}: ${total} bytes`);
    }
    assert(heavy.length === 0, `too heavy:\n${heavy.join("\n")}`);
    console.log(`       heaviest page: ${largest} bytes of CSS+JS`);
  });

  await check("the search code loads on the search pages only", () => {
    for (const file of pages) {
      const rel = path.relative(root, file).split(path.sep).join("/");
      const onSearch = rel === "search/index.html" || rel === "en/search/index.html";
      const loads = assetsOf(fs.readFileSync(file, "utf8")).includes("/static/search.js");
      assert(loads === onSearch, `${rel} ${loads ? "loads" : "does not load"} /static/search.js`);
    }
  });

  await check("the build wrote a Pagefind index in both languages", () => {
    const entry = path.join(root, "pagefind", "pagefind-entry.json");
    assert(fs.existsSync(entry), "no pagefind/pagefind-entry.json: the build found no Pagefind. Fix: pip install 'pagefind[extended]'");
    const langs = Object.keys(JSON.parse(fs.readFileSync(entry, "utf8")).languages || {});
    assert(langs.includes("en") && langs.some((l) => l.startsWith("zh")), `languages indexed: ${langs.join(", ")}`);
  });

  const server = await serve(root);
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  fs.mkdirSync(OUTPUT, { recursive: true });
  const shot = async (page, name) => {
    const file = path.join(OUTPUT, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    return path.relative(process.cwd(), file);
  };
  const withShot = async (page, name, e) => {
    throw new Error(`${e && e.message || e}\nscreenshot: ${await shot(page, name)}`);
  };
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));

    await check("Chinese search page: 投诉时限 finds the time-limit page", async () => {
      try {
        await page.goto(`${base}/search/`);
        await page.fill("#search-q", "投诉时限");
        await page.press("#search-q", "Enter");
        const links = await resultLinks(page);
        assert(links.includes("/policies/time-limits/"), `results: ${JSON.stringify(links)}`);
        assert(links.every((l) => !l.startsWith("/en/")), `English pages in Chinese results: ${JSON.stringify(links)}`);
        assert(errors.length === 0, `script errors: ${errors.join("; ")}`);
      } catch (e) {
        await withShot(page, "search-zh-failure", e);
      }
    });

    await check("the header search box on the home page leads to results", async () => {
      try {
        await page.goto(`${base}/`);
        await page.fill("#site-search-q", "投诉时限");
        await page.press("#site-search-q", "Enter");
        await page.waitForURL(/\/search\/\?q=/);
        const links = await resultLinks(page);
        assert(links.includes("/policies/time-limits/"), `results: ${JSON.stringify(links)}`);
      } catch (e) {
        await withShot(page, "search-header-failure", e);
      }
    });

    await check("English search page: 'time limits' finds the English time-limit page", async () => {
      try {
        await page.goto(`${base}/en/search/?q=${encodeURIComponent("time limits")}`);
        const links = await resultLinks(page);
        assert(links.includes("/en/policies/time-limits/"), `results: ${JSON.stringify(links)}`);
      } catch (e) {
        await withShot(page, "search-en-failure", e);
      }
    });

    // `hotline serve` has no search pages (serve-test.js checks the others), so axe runs on them here.
    await check("axe (wcag2a, wcag2aa): the search pages with results, desktop and phone, 0 violations", async () => {
      const found = [];
      for (const viewport of [{ width: 1280, height: 800 }, { width: 375, height: 667 }]) {
        const p = await context.newPage();
        await p.setViewportSize(viewport);
        for (const [url, q] of [["/search/", "投诉时限"], ["/en/search/", "time limits"]]) {
          await p.goto(`${base}${url}?q=${encodeURIComponent(q)}`);
          await resultLinks(p);
          await p.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
          const result = await p.evaluate(() => axe.run(document, { runOnly: ["wcag2a", "wcag2aa"] }));
          for (const v of result.violations) {
            found.push(`${url} at ${viewport.width} px: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
          }
          if (result.violations.length) found.push(`  screenshot: ${await shot(p, `search-axe-${viewport.width}${url.replace(/\//g, "_")}`)}`);
        }
        await p.close();
      }
      assert(found.length === 0, found.join("\n"));
    });

    await check("a nonsense query says nothing matched", async () => {
      await page.goto(`${base}/search/?q=zzqqxxnothing`);
      await resultLinks(page);
      const text = await page.textContent("#search-results");
      assert(text.includes("没有找到"), `says: ${text}`);
    });

    const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await check("without JavaScript the search page explains and lists every page", async () => {
      try {
        await noJs.goto(`${base}/search/?q=${encodeURIComponent("投诉时限")}`);
        const text = await noJs.textContent("main");
        assert(text.includes("JavaScript"), "no word on JavaScript");
        const links = await noJs.$$eval(".all-pages a", (as) => as.map((a) => new URL(a.href).pathname));
        for (const want of ["/policies/time-limits/", "/form/", "/status/"]) {
          assert(links.includes(want), `${want} is not listed: ${JSON.stringify(links)}`);
        }
      } catch (e) {
        await withShot(noJs, "search-nojs-failure", e);
      }
    });
  } finally {
    await browser.close();
    server.close();
  }
  console.log(`\nsite: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

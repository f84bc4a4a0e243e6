// The event page, the actor and resource pages, export and the theme, in headless Chromium, for the
// seeds/003 "Troubleshooting with Logs" stories: find what changed in a resource, audit one user's
// actions, trace who accessed and exported a resource. Events are ingested through the public API;
// screenshots go to tests/artifacts/ (detail-*.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root, startServer, ingest, loadDemo, launchBrowser } from "./server.mjs";

const artifacts = join(root, "tests", "artifacts");
const xss = "<img src=x onerror=alert(1)>";
const code = "import os\nkey = os.environ['API_KEY']\npassword = \"hunter2-secret\"\nprint(len(key))";
let server;
let browser;
let context;
let page;
const consoleErrors = [];
const dialogs = [];

const minutesAgo = (n) => new Date(Date.now() - n * 60_000).toISOString();
const orders = { type: "database", id: "orders_tbl", name: "orders table" };
const alice = { type: "user", id: "u_alice", name: "Alice Audit", email: "alice@detail.test", roles: ["admin"] };
const bob = { type: "user", id: "u_bob", name: "Bob Builder", email: "bob@detail.test" };
const mallory = { type: "user", id: "u_mallory", name: "Mallory Leak", email: "mallory@detail.test" };
const ctx = {
  ip: "198.51.100.23",
  user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  session_id: "sess-42",
  request_id: "req-4242",
};

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer("detail");
  loadDemo(server, 120);
  await ingest(server, [
    {
      action: "database.update", occurred_at: minutesAgo(50), outcome: "success", actor: bob,
      targets: [orders], context: ctx, description: "Changed the orders table's settings",
      changes: {
        before: { status: "draft", settings: { visibility: "private", retention_days: 30 } },
        after: { status: "published", settings: { visibility: "shared", retention_days: 30 } },
      },
    },
    { action: "database.read", occurred_at: minutesAgo(40), outcome: "success", actor: mallory, targets: [orders], context: ctx },
    {
      action: "database.export", occurred_at: minutesAgo(30), outcome: "success", actor: mallory, targets: [orders],
      context: ctx, metadata: { rows: 1000, format: "csv" },
    },
    {
      action: "database.update", occurred_at: minutesAgo(20), outcome: "success", actor: alice, targets: [orders],
      participants: [{ ...bob, roles: ["reviewer"] }],
      changes: { before: { owner: "bob", db_password: "old-secret-1" }, after: { owner: "alice", db_password: "new-secret-2" } },
    },
    {
      action: "code.evaluate", occurred_at: minutesAgo(15), outcome: "failure", actor: alice,
      targets: [{ type: "notebook", id: "nb_1", name: "Q2 Analysis" }], context: ctx,
      error: { code: "E_RUNTIME", message: "KeyError: 'API_KEY'" },
      description: "Ran the cell with password=hunter2-secret",
      payload: { code, session_mode: "attached" },
    },
    { action: "report.view", occurred_at: minutesAgo(10), outcome: "success", actor: alice, targets: [{ type: "report", id: "r9" }] },
    { action: "report.view", occurred_at: minutesAgo(9), outcome: "success", actor: alice, targets: [{ type: "report", id: "r9" }] },
    {
      action: "app.rename", occurred_at: minutesAgo(5), outcome: "success",
      actor: { type: "user", id: "u_xss", name: xss, email: "xss@detail.test" },
      targets: [{ type: "app", id: "a_xss", name: xss }], description: xss,
      changes: { before: { title: xss }, after: { title: "safe" } },
    },
  ]);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseUrl });
  page = await context.newPage();
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
  page.on("pageerror", (err) => consoleErrors.push(String(err)));
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto(`${server.baseUrl}/`);
  await page.getByTestId("key-input").fill(server.keys.read);
  await page.getByTestId("key-submit").click();
  await page.getByTestId("event-row").first().waitFor();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Splits CSV text into records of cells (RFC 4180 quoting).
function csvRecords(text) {
  const records = [];
  let record = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { record.push(cell); cell = ""; }
    else if (c === "\n") { record.push(cell); records.push(record); record = []; cell = ""; }
    else if (c !== "\r") cell += c;
  }
  if (cell || record.length) { record.push(cell); records.push(record); }
  return records;
}

// Moves inside the app the way a link click does, so the read key (sessionStorage) stays.
async function open(path) {
  await page.evaluate((p) => {
    history.pushState(null, "", p);
    dispatchEvent(new PopStateEvent("popstate"));
  }, path);
}

test("find what changed in a resource: its history, who made each change, the changed fields", async () => {
  await open("/resources/database/orders_tbl");
  await page.getByTestId("history-entry").nth(3).waitFor();
  assert.equal(await page.getByTestId("resource-name").innerText(), "orders table");
  assert.equal(await page.title(), "database orders_tbl · History · Evident", "the page names itself");
  const entries = page.getByTestId("history-entry");
  assert.equal(await entries.count(), 4);
  // Oldest first, each with who did it.
  const actions = await entries.getByTestId("entry-action").allInnerTexts();
  assert.deepEqual(actions, ["database.update", "database.read", "database.export", "database.update"]);
  const actors = await entries.getByTestId("entry-actor").allInnerTexts();
  assert.deepEqual(actors, ["Bob Builder", "Mallory Leak", "Mallory Leak", "Alice Audit"]);
  // The first change: status and settings.visibility changed, retention did not.
  const first = entries.nth(0);
  const changed = await first.locator(".ev-diff__row--changed th code").allInnerTexts();
  assert.deepEqual(changed, ["settings.visibility", "status"]);
  const unchanged = await first.locator(".ev-diff__row:not(.ev-diff__row--changed) th code").allInnerTexts();
  assert.deepEqual(unchanged, ["settings.retention_days"]);
  assert.match(await first.getByTestId("diff-summary").innerText(), /2 of 3 fields changed/);
  const row = await first.locator(".ev-diff__row--changed", { hasText: "status" }).innerText();
  assert.ok(row.includes('"draft"') && row.includes('"published"'), row);
  await page.screenshot({ path: join(artifacts, "detail-resource.png"), fullPage: true });
});

test("trace who accessed and exported a resource", async () => {
  const who = page.getByTestId("toucher");
  assert.equal(await who.count(), 3);
  const mallory = await who.filter({ hasText: "Mallory Leak" }).innerText();
  assert.ok(mallory.includes("database.read, database.export") && /\b2\b/.test(mallory), mallory);
  // From the history to the export event itself, then to the person.
  await page.getByTestId("history-entry").nth(2).getByTestId("entry-time").click();
  await page.getByTestId("section-who").waitFor();
  assert.equal(await page.getByTestId("detail-action").innerText(), "database.export");
  await page.getByTestId("detail-actor").click();
  await page.getByTestId("history-entry").nth(1).waitFor();
  assert.equal(await page.getByTestId("actor-name").innerText(), "Mallory Leak");
  assert.match(page.url(), /\/actors\/u_mallory$/);
});

test("audit one user's actions: the actor page shows only theirs and their top actions", async () => {
  await open("/actors/u_alice");
  await page.getByTestId("history-entry").nth(3).waitFor();
  assert.equal(await page.getByTestId("actor-name").innerText(), "Alice Audit");
  const entries = page.getByTestId("history-entry");
  assert.equal(await entries.count(), 4);
  // Newest first, all hers (the page shows no actor per entry: it is the page's).
  const actions = await entries.getByTestId("entry-action").allInnerTexts();
  // Local times, each with its instant in UTC as the tooltip.
  assert.match(await entries.first().getByTestId("entry-time").getAttribute("title"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(actions, ["report.view", "report.view", "code.evaluate", "database.update"]);
  const top = await page.getByTestId("top-action").allInnerTexts();
  assert.equal(top.length, 3);
  assert.match(top[0], /report\.view\s+2/);
  assert.ok(top.some((t) => /code\.evaluate\s+1/.test(t)), top.join("\n"));
  // The search link opens the list on her events, where a date range narrows them.
  const href = await page.getByTestId("actor-search").getAttribute("href");
  assert.equal(href, "/?range=all&q=actor:u_alice");
  await page.screenshot({ path: join(artifacts, "detail-actor.png"), fullPage: true });
});

test("an event with code shows it monospaced and multi-line, copyable, with redacted values marked", async () => {
  await page.getByTestId("history-entry").filter({ hasText: "code.evaluate" }).getByTestId("entry-time").click();
  const block = page.getByTestId("event-code");
  await block.waitFor();
  const shown = await block.innerText();
  assert.ok(shown.split("\n").length >= 4, shown);
  assert.ok(shown.startsWith("import os\nkey = os.environ['API_KEY']"), shown);
  assert.ok(!shown.includes("hunter2-secret"), "the secret was redacted before storage");
  const font = await block.evaluate((el) => getComputedStyle(el).fontFamily);
  assert.match(font, /mono/i);
  assert.equal(await block.evaluate((el) => getComputedStyle(el).whiteSpace), "pre");
  assert.ok(await block.getByTestId("redacted").count() >= 1, "the placeholder is marked");
  // In the headline's description too.
  assert.equal(await page.locator(".ev-detail__description").getByTestId("redacted").count(), 1);
  assert.ok(!(await page.locator(".ev-detail__description").innerText()).includes("hunter2"));
  await page.getByTestId("copy-code").click();
  await page.getByTestId("copy-code").filter({ hasText: "Copied" }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, shown);
  // Where there is no clipboard (a page not served securely), the button says so.
  await page.evaluate(() => Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true }));
  await page.getByTestId("copy-code").click();
  await page.getByTestId("copy-code").filter({ hasText: "Copy failed" }).waitFor();
  // The box scrolls inside, so it takes the keyboard's focus.
  assert.equal(await block.getAttribute("tabindex"), "0");
  // Where and how, and the error.
  const detail = await page.getByTestId("event-detail").innerText();
  // Its time to the millisecond, in the browser's zone, which it names.
  assert.match(detail, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC[+-]\d\d:\d\d/);
  for (const want of ["198.51.100.23", "Chrome 126", "Mac OS X", "sess-42", "req-4242", "KeyError: 'API_KEY'", "E_RUNTIME"]) {
    assert.ok(detail.includes(want), `detail lacks ${want}`);
  }
  // Targets link to their history.
  const target = page.getByTestId("targets").getByRole("link");
  assert.equal(await target.getAttribute("href"), "/resources/notebook/nb_1");
  await page.screenshot({ path: join(artifacts, "detail-code.png"), fullPage: true });
});

test("a changed secret shows as changed and redacted; participants show their roles", async () => {
  await open("/resources/database/orders_tbl");
  await page.getByTestId("history-entry").nth(3).getByTestId("entry-time").click();
  await page.getByTestId("diff").waitFor();
  const secret = page.locator(".ev-diff__row", { hasText: "db_password" });
  assert.match(await secret.getAttribute("class"), /ev-diff__row--changed/);
  assert.equal(await secret.getByTestId("redacted-field").count(), 1);
  assert.ok((await secret.innerText()).includes("[REDACTED]"));
  assert.ok(!(await page.getByTestId("event-detail").innerText()).includes("new-secret-2"));
  const who = await page.getByTestId("section-who").innerText();
  assert.ok(who.includes("Bob Builder") && who.includes("reviewer") && who.includes("admin"), who);
});

test("verify re-checks the event's chain links and says they hold", async () => {
  // This event and the next: its own link, and the next event's link to it (an event rewritten
  // with its hash recomputed still links to the one before it; only the next one's link shows it).
  const id = new URL(page.url()).pathname.split("/").pop();
  const event = await (await fetch(`${server.baseUrl}/api/v1/events/${id}`,
    { headers: { authorization: `Bearer ${server.keys.read}` } })).json();
  assert.ok(Number.isInteger(event.seq), JSON.stringify(event));
  const asked = page.waitForRequest((r) => r.url().includes("/api/v1/verify"));
  await page.getByTestId("verify").click();
  assert.equal(new URL((await asked).url()).search, `?from_seq=${event.seq}&to_seq=${event.seq + 1}`);
  const result = page.getByTestId("verify-result");
  await result.waitFor();
  assert.equal(await result.getAttribute("data-ok"), "true");
  assert.match(await result.innerText(),
    new RegExp(`Verified: #${event.seq} recomputes to its hash, links to the event before it, and (the event after it links to it|it is the chain's recorded head)`));
  await page.getByTestId("section-record").screenshot({ path: join(artifacts, "detail-verify.png") });
});

test("export downloads a CSV whose row count matches the list", async () => {
  // The actor page's list is exactly `actor:u_alice`; its export must hold the same events.
  await open("/actors/u_alice");
  await page.getByTestId("history-entry").nth(3).waitFor();
  const listed = await page.getByTestId("history-entry").count();
  assert.equal(listed, 4);
  const download = page.waitForEvent("download");
  await page.getByTestId("export-csv").click();
  const file = await download;
  await page.getByTestId("export-done").waitFor();
  assert.match(file.suggestedFilename(), /^evident-events-.*\.csv$/);
  const csv = readFileSync(await file.path(), "utf8");
  assert.ok(csv.startsWith("timestamp,user,action,resource,status,ip_address"), csv.slice(0, 80));
  assert.equal(await page.getByTestId("export-done").getAttribute("data-rows"), String(listed));
  assert.match(await page.getByTestId("export-status").innerText(), /Exported 4 rows · evident-events-.*\.csv/);
  // The file holds the four events: records, not lines (code and JSON cells span lines).
  const records = csvRecords(csv);
  assert.equal(records.length - 1, listed);
  assert.ok(records.slice(1).every((r) => r[1] === "alice@detail.test"), JSON.stringify(records.slice(1)));
  // JSON too: one array of the stored events.
  const json = page.waitForEvent("download");
  await page.getByTestId("export-json").click();
  const events = JSON.parse(readFileSync(await (await json).path(), "utf8"));
  assert.equal(events.length, listed);
  await page.getByTestId("export").screenshot({ path: join(artifacts, "detail-export.png") });
});

test("an actor named like HTML renders as text on every page", async () => {
  for (const path of ["/actors/u_xss", "/resources/app/a_xss"]) {
    await open(path);
    await page.getByTestId("history-entry").first().waitFor();
    const html = await page.locator("main").innerHTML();
    assert.ok(!html.includes("<img"), `${path} made an element`);
    assert.ok((await page.locator("main").innerText()).includes(xss), path);
  }
  await page.getByTestId("history-entry").first().getByTestId("entry-time").click();
  await page.getByTestId("section-who").waitFor();
  assert.equal(await page.getByTestId("detail-actor").innerText(), xss);
  assert.equal(await page.locator("main img").count(), 0);
  assert.ok((await page.getByTestId("diff").innerText()).includes(xss));
  // `q` for the search-language filters, `actor` for the older ones: each ignores the other.
  await open("/?q=actor:u_xss&actor=u_xss&range=all");
  await page.getByTestId("event-row").filter({ hasText: xss }).first().waitFor();
  assert.equal(await page.locator("main img").count(), 0);
  assert.deepEqual(dialogs, []);
});

test("the theme toggle switches to dark and is remembered", async () => {
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await bg();
  await page.getByTestId("theme-toggle").click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  assert.notEqual(await bg(), light);
  await page.reload();
  await page.getByTestId("event-row").first().waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  assert.equal(await page.getByTestId("theme-toggle").getAttribute("aria-pressed"), "true");
  await open("/resources/database/orders_tbl");
  await page.getByTestId("history-entry").nth(3).waitFor();
  await page.screenshot({ path: join(artifacts, "detail-dark.png"), fullPage: true });
});

test("a narrow screen (360 px) lays pages out without sideways scrolling", async () => {
  await page.setViewportSize({ width: 360, height: 780 });
  for (const [path, ready, shot] of [
    ["/resources/database/orders_tbl", "history-entry", "detail-narrow-resource.png"],
    ["/actors/u_alice", "history-entry", "detail-narrow-actor.png"],
  ]) {
    await open(path);
    await page.getByTestId(ready).first().waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `${path} is ${wide}px wide`);
    await page.screenshot({ path: join(artifacts, shot), fullPage: true });
  }
  await page.getByTestId("history-entry").filter({ hasText: "code.evaluate" }).getByTestId("entry-time").click();
  await page.getByTestId("event-code").waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 360, `the event page is ${wide}px wide`);
  await page.screenshot({ path: join(artifacts, "detail-narrow-event.png"), fullPage: true });
  await page.getByTestId("theme-toggle").click();
  await page.screenshot({ path: join(artifacts, "detail-narrow-event-light.png"), fullPage: true });
});

test("Back to a history page shows what it had loaded, where it was left", async () => {
  const many = { type: "user", id: "u_many", name: "Many Events" };
  await ingest(server, Array.from({ length: 60 }, (_, i) => ({
    action: "doc.view", occurred_at: minutesAgo(200 + i), outcome: "success", actor: many,
  })));
  await open("/actors/u_many");
  const entries = page.getByTestId("history-entry");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-entry"]').length === 50, null, { timeout: 15_000 });
  await page.getByTestId("load-more").click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-entry"]').length === 60, null, { timeout: 15_000 });
  const last = entries.last().getByTestId("entry-time");
  await last.scrollIntoViewIfNeeded();
  const left = await page.evaluate(() => scrollY);
  assert.ok(left > 0, "the page scrolled down to its last entry");
  await last.click();
  await page.getByTestId("event-detail").waitFor();
  await page.goBack();
  await page.getByTestId("actor-page").waitFor();
  // All 60 at once, without asking again, scrolled back to where the page was left.
  assert.equal(await entries.count(), 60);
  await page.waitForFunction((y) => Math.abs(scrollY - y) < 2, left, { timeout: 5_000 });
  // A link to the same page is a fresh visit: its first page, at the top.
  await page.getByTestId("entry-time").last().click();
  await page.getByTestId("event-detail").waitFor();
  await page.getByTestId("detail-actor").click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-entry"]').length === 50, null, { timeout: 15_000 });
});

test("no console errors", () => {
  assert.deepEqual(consoleErrors, []);
});

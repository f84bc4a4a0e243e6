// The walking skeleton in a real browser: headless Chromium signs in with the read key, sees ingested
// events, filters the table by actor and sees it change, opens an event's detail page with its code,
// moves around with links and the back and forward buttons, and fails on any console error.
// Screenshots go to tests/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { root, startServer, ingest, loadDemo, launchBrowser } from "./server.mjs";

const artifacts = join(root, "tests", "artifacts");
let server;
let browser;
let page;
const consoleErrors = [];

const marker = "walking-skeleton@example.com";
const code = "query = from u in User, select: u.name\nRepo.all(query)";

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer("dashboard");
  loadDemo(server, 300);
  const now = Date.now();
  await ingest(server, [0, 1, 2].map((i) => ({
    action: i === 2 ? "code.evaluate" : "report.export",
    occurred_at: new Date(now - (i + 1) * 60_000).toISOString(),
    outcome: i === 1 ? "failure" : "success",
    actor: { id: "wsk", name: "Skeleton Tester", email: marker },
    targets: [{ type: "report", id: "q2", name: "Q2 Sales Report" }],
    scope: { environment: "production", workspace: "analytics" },
    context: { ip: "203.0.113.7", user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0" },
    payload: i === 2 ? { code, session_mode: "default" } : { rows: 10 },
  })));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
  page.on("pageerror", (err) => consoleErrors.push(String(err)));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the dashboard asks for the read key and shows events", async () => {
  await page.goto(`${server.baseUrl}/`);
  await page.getByTestId("key-input").fill(server.keys.read);
  await page.getByTestId("key-submit").click();
  await page.getByTestId("event-row").first().waitFor();
  const rows = await page.getByTestId("event-row").count();
  assert.ok(rows >= 20, `expected a page of events, saw ${rows}`);
  await page.screenshot({ path: join(artifacts, "events.png"), fullPage: false });
});

test("a filter changes the table and the URL", async () => {
  const before = await page.getByTestId("event-row").count();
  // The actor filter is a term of the search query (the user picker writes the same term).
  await page.getByTestId("query-input").fill(`actor:${marker}`);
  await page.getByTestId("query-input").press("Enter");
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid="event-row"]').length === 3,
    null,
    { timeout: 10_000 },
  );
  const texts = await page.getByTestId("event-row").allInnerTexts();
  assert.ok(texts.every((t) => t.includes("Skeleton Tester")), texts.join("\n"));
  assert.ok(before > 3);
  assert.match(page.url(), /q=actor:walking-skeleton@example\.com/);
  // Newest first: event 0 happened a minute ago, the code evaluation three minutes ago.
  assert.ok(texts[0].includes("report.export") && texts[2].includes("code.evaluate"), texts.join("\n"));
  await page.screenshot({ path: join(artifacts, "events-filtered.png") });

  // The URL alone reproduces the view (a new tab has its own session, so it asks for the key first).
  const again = await browser.newPage();
  again.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
  await again.goto(page.url());
  await again.getByTestId("key-input").fill(server.keys.read);
  await again.getByTestId("key-submit").click();
  await again.waitForFunction(
    () => document.querySelectorAll('[data-testid="event-row"]').length === 3,
    null,
    { timeout: 10_000 },
  );
  await again.close();
});

test("an event's detail page shows who, what and the executed code", async () => {
  await page.getByTestId("event-row").filter({ hasText: "code.evaluate" }).first().click();
  // The detail frame shows "Loading event…" first; the code block appears only once the event has.
  await page.getByTestId("event-code").waitFor();
  const detail = await page.getByTestId("event-detail").innerText();
  for (const want of ["Skeleton Tester", marker, "code.evaluate", "Q2 Sales Report", "203.0.113.7", "production"]) {
    assert.ok(detail.includes(want), `detail lacks ${want}:\n${detail}`);
  }
  const shown = await page.getByTestId("event-code").innerText();
  assert.equal(shown.trim(), code);
  assert.match(page.url(), /\/events\/[0-9a-f-]{36}$/);
  await page.screenshot({ path: join(artifacts, "event-detail.png"), fullPage: true });
});

test("links and the back and forward buttons move inside the app without reloading it", async () => {
  const rows = (n) => page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="event-row"]').length === n,
    n,
    { timeout: 10_000 },
  );
  // A page load would forget this.
  await page.evaluate(() => { window.evidentLoaded = "once"; });
  await page.getByTestId("back-link").click();
  await rows(3);
  assert.match(page.url(), /\/\?range=30d&q=actor:walking-skeleton/);
  await page.goBack();
  await page.getByTestId("event-code").waitFor();
  assert.match(page.url(), /\/events\/[0-9a-f-]{36}$/);
  await page.goForward();
  await rows(3);
  await page.getByTestId("brand").click();
  await page.waitForURL(`${server.baseUrl}/`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="event-row"]').length > 3);
  assert.equal(await page.evaluate(() => window.evidentLoaded), "once");

  await page.goto(`${server.baseUrl}/no/such/page`);
  await page.getByTestId("not-found").waitFor();
  await page.getByTestId("not-found").getByRole("link").click();
  await page.getByTestId("event-row").first().waitFor();
});

test("no console errors", () => {
  assert.deepEqual(consoleErrors, []);
});

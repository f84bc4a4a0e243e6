// People and keys in headless Chromium (SPEC 6): an owner joins through an invite link and lands in the
// dashboard signed in; on People & keys they invite a member (the link shown once) and create and
// revoke an API key (the secret shown once); they sign out. The member joins through their link, sees
// only their own events, is refused People & keys with the server's reason, and signs out; a wrong
// password is refused on the sign-in page, the right one signs back in. Names are shown as text.
// Screenshots go to tests/artifacts/ (access-*.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { root, startServer, ingest, launchBrowser } from "./server.mjs";

const artifacts = join(root, "tests", "artifacts");
const ADMIN_KEY = "evd_browser_admin_access";
const PASSWORD = "correct horse battery staple";
const xss = "<img src=x onerror=alert(1)>";
const owner = "olive.owner@access.test";
const member = "mo.member@access.test";
let server;
let browser;
let page;
const consoleErrors = [];
const dialogs = [];
let memberLink;

const minutesAgo = (n) => new Date(Date.now() - n * 60_000).toISOString();

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer("access", { vars: { ADMIN_KEY } });
  await ingest(server, [
    ...[1, 2, 3].map((i) => ({
      action: "report.view", occurred_at: minutesAgo(10 * i), outcome: "success",
      actor: { id: "u_mo", name: "Mo Member", email: member }, targets: [{ type: "report", id: `r${i}` }],
    })),
    ...[4, 5, 6, 7].map((i) => ({
      action: "report.delete", occurred_at: minutesAgo(10 * i), outcome: "success",
      actor: { id: "u_someone", name: "Someone Else", email: "someone@access.test" },
    })),
  ]);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.accept();
  });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function inviteWithAdminKey(email, role) {
  const res = await fetch(`${server.baseUrl}/api/v1/invites`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ email, role }),
  });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  return body.path;
}

async function rows() {
  await page.waitForSelector("[data-testid=event-row]");
  return page.locator("[data-testid=event-row]").count();
}

test("an owner joins through the invite link and lands in the dashboard signed in", async () => {
  const path = await inviteWithAdminKey(owner, "owner");
  await page.goto(`${server.baseUrl}${path}`);
  await page.fill("[data-testid=name]", "Olive Owner");
  await page.fill("[data-testid=password]", PASSWORD);
  await page.click("[data-testid=join]");
  await page.waitForSelector("[data-testid=signed-in-as]");
  assert.equal(new URL(page.url()).pathname, "/");
  assert.match(await page.textContent("[data-testid=signed-in-as]"), /Olive Owner · owner/);
  assert.equal(await page.locator("[data-testid=key-prompt]").count(), 0, "no read key asked for");
  assert.ok((await rows()) >= 7);
});

test("the owner invites a member and creates and revokes a key on People & keys", async () => {
  await page.click("[data-testid=access-link]");
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(new URL(page.url()).pathname, "/access");
  const people = await page.locator("[data-testid=person-email]").allTextContents();
  assert.ok(people.includes(owner), people.join());

  await page.fill("[data-testid=invite-email]", member);
  await page.selectOption("[data-testid=invite-role]", "member");
  await page.click("[data-testid=invite-submit]");
  await page.waitForSelector("[data-testid=invite-link]:not([hidden])");
  memberLink = await page.textContent("[data-testid=invite-link-text]");
  assert.match(memberLink, new RegExp(`^${server.baseUrl}/invite#[0-9a-f]{64}$`));
  await page.waitForSelector("[data-testid=invite-status]");
  const invites = await page.locator("[data-testid=invite]").allTextContents();
  assert.ok(invites.some((t) => t.includes(member) && t.includes("pending")), invites.join("\n"));

  await page.fill("[data-testid=key-name]", "CI deploys");
  await page.selectOption("[data-testid=key-scope]", "ingest");
  await page.click("[data-testid=key-submit]");
  await page.waitForSelector("[data-testid=key-secret]:not([hidden])");
  const secret = await page.textContent("[data-testid=key-secret-text]");
  assert.match(secret, /^evd_sk_[0-9A-Za-z]{38}$/);
  await page.waitForSelector("[data-testid=key-status]");
  // The new key works, and its secret is nowhere in the list.
  const sent = await fetch(`${server.baseUrl}/api/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "deploy.finish", actor: { id: "ci" } }),
  });
  assert.equal(sent.status, 201);
  assert.ok(!(await page.textContent("[data-testid=keys]")).includes(secret));
  await page.screenshot({ path: join(artifacts, "access-owner.png"), fullPage: true });

  await page.click("[data-testid=key-revoke]");
  await page.waitForFunction(() =>
    [...document.querySelectorAll("[data-testid=key-status]")].some((c) => c.textContent.startsWith("revoked")));
  assert.ok(dialogs.some((d) => d.includes("Revoke CI deploys")), dialogs.join());
  const refused = await fetch(`${server.baseUrl}/api/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ action: "deploy.finish", actor: { id: "ci" } }),
  });
  assert.equal(refused.status, 401);

  await page.click("[data-testid=sign-out]");
  await page.waitForURL("**/sign-in");
  await page.waitForSelector("body[data-ready=true]");
});

test("the member joins, sees only their own events and is refused People & keys", async () => {
  await page.goto(memberLink);
  await page.fill("[data-testid=name]", xss);
  await page.fill("[data-testid=password]", PASSWORD);
  await page.click("[data-testid=join]");
  await page.waitForSelector("[data-testid=signed-in-as]");
  assert.equal(await page.textContent("[data-testid=signed-in-as]"), `${xss} · member`);
  assert.equal(await page.locator("[data-testid=access-link]").count(), 0);
  // Their three events, and the log's record of their joining (they are its actor): nobody else's.
  await rows();
  const shown = await page.locator("[data-testid=event-row]").allTextContents();
  assert.equal(shown.filter((t) => t.includes("report.view")).length, 3, shown.join("\n"));
  assert.ok(shown.every((t) => !t.includes("Someone Else") && !t.includes("report.delete")), shown.join("\n"));

  await page.goto(`${server.baseUrl}/access`);
  await page.waitForSelector("[data-testid=page-error]:not([hidden])");
  assert.equal(
    await page.textContent("[data-testid=page-error]"),
    "your role is member, which may not read people and keys",
  );
  assert.ok(await page.locator("#access").isHidden());
  await page.screenshot({ path: join(artifacts, "access-member-refused.png"), fullPage: true });

  await page.click("[data-testid=sign-out]");
  await page.waitForURL("**/sign-in");
});

test("the sign-in page refuses a wrong password and signs in with the right one", async () => {
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("[data-testid=email]", owner);
  await page.fill("[data-testid=password]", "not the password");
  await page.click("[data-testid=sign-in]");
  await page.waitForSelector("[data-testid=form-error]:not([hidden])");
  assert.equal(await page.textContent("[data-testid=form-error]"), "the e-mail or the password is not right");
  await page.screenshot({ path: join(artifacts, "access-sign-in.png"), fullPage: true });
  await page.fill("[data-testid=password]", PASSWORD);
  await page.click("[data-testid=sign-in]");
  await page.waitForSelector("[data-testid=signed-in-as]");
  assert.match(await page.textContent("[data-testid=signed-in-as]"), /Olive Owner/);

  // The member's name is shown as text on People & keys: no element made of it.
  await page.goto(`${server.baseUrl}/access`);
  await page.waitForSelector("body[data-ready=true]");
  const names = await page.locator("[data-testid=person-name]").allTextContents();
  assert.ok(names.includes(xss), names.join());
  assert.equal(await page.locator("[data-testid=people] img").count(), 0);
});

test("no console errors and no script ran from a name", () => {
  // Expected: the wrong password's 401 and the member's refused 403; nothing else.
  const unexpected = consoleErrors.filter((e) => !/status of (401|403)/.test(e));
  assert.equal(consoleErrors.length, 2, consoleErrors.join("\n"));
  assert.deepEqual(unexpected, []);
  assert.ok(dialogs.every((d) => !d.includes("1") || d.includes("Revoke")), dialogs.join());
});

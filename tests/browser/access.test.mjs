// People and keys in headless Chromium (SPEC 6): an owner joins through an invite link and lands in the
// dashboard signed in; on People & keys they invite a member (the link shown once) and create and
// revoke an API key (the secret shown once); they sign out. The member joins through their link, sees
// only their own events, is refused People & keys with the server's reason, and signs out; a wrong
// password is refused on the sign-in page, the right one signs back in, and the owner changes the
// member's role and removes them. Names are shown as text, and each error the API names by a field
// is shown next to that field. Screenshots go to tests/artifacts/ (access-*.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { root, startServer, ingest, launchBrowser } from "./server.mjs";

const artifacts = join(root, "tests", "artifacts");
const PASSWORD = "correct horse battery staple";
const xss = "<img src=x onerror=alert(1)>";
const owner = "olive.owner@access.test";
const member = "mo.member@access.test";
const invitee = "ivy.invitee@access.test";
let server;
let browser;
let page;
const consoleErrors = [];
const dialogs = [];
let memberLink;

const minutesAgo = (n) => new Date(Date.now() - n * 60_000).toISOString();

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer("access");
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
  await server?.stop();
});

async function inviteWithAdminKey(email, role) {
  const res = await fetch(`${server.baseUrl}/api/v1/invites`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.keys.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ email, role }),
  });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  return body.path;
}

/** The text next to a field, once shown, and whether its input is marked invalid. */
async function fieldError(testid) {
  await page.waitForSelector(`[data-testid=${testid}-error]:not([hidden])`);
  const invalid = await page.getAttribute(`[data-testid=${testid}]`, "aria-invalid");
  return { text: await page.textContent(`[data-testid=${testid}-error]`), invalid: invalid === "true" };
}

async function rows() {
  await page.waitForSelector("[data-testid=event-row]");
  return page.locator("[data-testid=event-row]").count();
}

test("an owner joins through the invite link and lands in the dashboard signed in", async () => {
  const path = await inviteWithAdminKey(owner, "owner");
  await page.goto(`${server.baseUrl}${path}`);
  await page.fill("[data-testid=name]", "Olive Owner");
  // Too short a password: the API's reason next to the password field, which gets the focus.
  await page.fill("[data-testid=password]", "short");
  await page.click("[data-testid=join]");
  const short = await fieldError("password");
  assert.match(short.text, /password/);
  assert.ok(short.invalid);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "password");
  assert.ok((await page.textContent("[data-testid=form-error]")).length > 0);
  await page.screenshot({ path: join(artifacts, "access-invite-error.png"), fullPage: true });
  await page.fill("[data-testid=password]", PASSWORD);
  await page.click("[data-testid=join]");
  await page.waitForSelector("[data-testid=signed-in-as]");
  assert.equal(new URL(page.url()).pathname, "/");
  assert.match(await page.textContent("[data-testid=signed-in-as]"), /Olive Owner · owner/);
  assert.equal(await page.locator("[data-testid=key-prompt]").count(), 0, "no read key asked for");
  assert.ok((await rows()) >= 7);
  await page.screenshot({ path: join(artifacts, "access-dashboard-owner.png") });
});

test("the owner invites a member and creates and revokes a key on People & keys", async () => {
  await page.click("[data-testid=access-link]");
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(new URL(page.url()).pathname, "/access");
  const people = await page.locator("[data-testid=person-email]").allTextContents();
  assert.ok(people.includes(owner), people.join());

  // Every role may be granted by an owner.
  const grantable = await page.locator("[data-testid=invite-role] option").allTextContents();
  assert.deepEqual(grantable, ["owner", "admin", "auditor", "member"]);

  await page.fill("[data-testid=invite-email]", "not an address");
  await page.click("[data-testid=invite-submit]");
  assert.match((await fieldError("invite-email")).text, /e-mail address/);
  assert.ok(await page.locator("[data-testid=invite-link]").isHidden());

  await page.fill("[data-testid=invite-email]", member);
  await page.selectOption("[data-testid=invite-role]", "member");
  await page.click("[data-testid=invite-submit]");
  await page.waitForSelector("[data-testid=invite-link]:not([hidden])");
  memberLink = await page.textContent("[data-testid=invite-link-text]");
  assert.match(memberLink, new RegExp(`^${server.baseUrl}/invite#[0-9a-f]{64}$`));
  await page.waitForFunction((email) =>
    [...document.querySelectorAll("[data-testid=invite-row-email]")].some((c) => c.textContent === email), member);
  assert.ok(await page.locator("[data-testid=invite-email-error]").isHidden(), "the error is cleared");
  assert.equal(await page.getAttribute("[data-testid=invite-email]", "aria-invalid"), null);
  const invites = await page.locator("[data-testid=invite]").allTextContents();
  assert.ok(invites.some((t) => t.includes(member) && t.includes("pending")), invites.join("\n"));

  // A second invite, revoked: its row goes and its link is refused.
  await page.fill("[data-testid=invite-email]", invitee);
  await page.selectOption("[data-testid=invite-role]", "auditor");
  await page.click("[data-testid=invite-submit]");
  await page.waitForFunction(([email, before]) =>
    document.querySelector("[data-testid=invite-link-text]").textContent !== before &&
    [...document.querySelectorAll("[data-testid=invite-row-email]")].some((c) => c.textContent === email),
  [invitee, memberLink]);
  const ivyLink = await page.textContent("[data-testid=invite-link-text]");
  assert.match(await page.textContent("#invite-link-email"), /ivy/);
  await page.locator("[data-testid=invite]", { hasText: invitee }).locator("[data-testid=invite-revoke]").click();
  await page.waitForFunction((email) =>
    ![...document.querySelectorAll("[data-testid=invite-row-email]")].some((c) => c.textContent === email), invitee);

  // A blank name: the API's reason next to the name field.
  await page.click("[data-testid=key-submit]");
  assert.match((await fieldError("key-name")).text, /name/);
  await page.screenshot({ path: join(artifacts, "access-key-error.png"), fullPage: true });

  await page.fill("[data-testid=key-name]", "CI deploys");
  await page.selectOption("[data-testid=key-scope]", "ingest");
  await page.click("[data-testid=key-submit]");
  await page.waitForSelector("[data-testid=key-secret]:not([hidden])");
  const secret = await page.textContent("[data-testid=key-secret-text]");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "key-secret", "the secret has the focus");
  assert.equal(await page.getAttribute("[data-testid=key-revoke]", "aria-label"), "Revoke the key CI deploys");
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
  await page.evaluate(() => scrollTo(0, 0)); // the focused secret scrolled; the sticky header would float
  await page.screenshot({ path: join(artifacts, "access-owner.png"), fullPage: true });

  // Shown once: a reload shows neither the link nor the secret, only the rows.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await page.waitForSelector("[data-testid=key-status]");
  assert.ok(await page.locator("[data-testid=invite-link]").isHidden());
  assert.ok(await page.locator("[data-testid=key-secret]").isHidden());
  const html = await page.content();
  assert.ok(!html.includes(secret) && !html.includes(memberLink.split("#")[1]), "no secret or token after a reload");
  assert.match(await page.textContent("[data-testid=key-last-used]"), /UTC/, "its use is shown");

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

  // The revoked invite's link is refused with the server's reason.
  await page.goto(ivyLink);
  await page.fill("[data-testid=name]", "Ivy");
  await page.fill("[data-testid=password]", PASSWORD);
  await page.click("[data-testid=join]");
  await page.waitForSelector("[data-testid=form-error]:not([hidden])");
  assert.equal(await page.textContent("[data-testid=form-error]"), "this invite link is not valid; ask for a new one");
});

test("the member joins, sees only their own events and is refused People & keys", async () => {
  // From the revoked invite's page: only the fragment changes, and the page uses the new token.
  await page.goto(memberLink);
  await page.waitForSelector("[data-testid=form-error]", { state: "hidden" });
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
  // The tenant's saved searches are not theirs to see: the control is not shown.
  assert.ok(await page.getByTestId("saved-searches").isHidden());

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
  // A `next` that is not a path of ours is ignored: signing in goes to the dashboard, here.
  await page.goto(`${server.baseUrl}/sign-in?next=${encodeURIComponent("/\\evil.example/")}`);
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
  assert.equal(page.url(), `${server.baseUrl}/`);
  assert.match(await page.textContent("[data-testid=signed-in-as]"), /Olive Owner/);
  assert.ok((await rows()) >= 7, "the owner sees everyone's events");

  // The session ends behind the dashboard's back: its next request's 401 goes to sign-in. The
  // view's own later requests (its counts, 200 ms after the rows, and the saved searches) are let
  // finish first, or one of them would be that request, before the click below.
  await page.waitForLoadState("networkidle");
  await page.evaluate(async () => {
    const session = await (await fetch("/api/v1/session")).json();
    await fetch("/api/v1/session", { method: "DELETE", headers: { "x-csrf-token": session.csrf_token } });
  });
  await page.getByTestId("range-7d").click();
  await page.waitForURL((url) => url.pathname === "/sign-in");
  assert.equal(new URL(page.url()).searchParams.get("next"), "/?range=7d");
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("[data-testid=email]", owner);
  await page.fill("[data-testid=password]", PASSWORD);
  await page.click("[data-testid=sign-in]");
  await page.waitForSelector("[data-testid=signed-in-as]");
  assert.equal(new URL(page.url()).search, "?range=7d", "back where the session ended");
  // Signed in, the sign-in page goes straight to `next`, but never to another host: `/.//host`
  // resolves to a path of ours starting `//`, which would.
  for (const next of ["/.//evil.example/", "/..//evil.example/"]) {
    await page.goto(`${server.baseUrl}/sign-in?next=${encodeURIComponent(next)}`);
    await page.waitForURL((url) => url.pathname === "/" && url.search === "");
    assert.equal(new URL(page.url()).host, new URL(server.baseUrl).host, next);
  }

  // The member's name is shown as text on People & keys: no element made of it.
  await page.goto(`${server.baseUrl}/access`);
  await page.waitForSelector("body[data-ready=true]");
  const names = await page.locator("[data-testid=person-name]").allTextContents();
  assert.ok(names.includes(xss), names.join());
  assert.equal(await page.locator("[data-testid=people] img").count(), 0);

  // The owner makes the member an auditor (kept after a reload), then removes them.
  const mo = () => page.locator("[data-testid=person]", { hasText: member });
  // Choosing a role sends nothing (arrow keys step through them); Save does.
  const sent = [];
  const onPatch = (r) => { if (r.method() === "PATCH") sent.push(r.url()); };
  page.on("request", onPatch);
  assert.equal(await mo().getByTestId("person-role-save").isDisabled(), true);
  await mo().locator("[data-testid=person-role]").selectOption("admin");
  await mo().locator("[data-testid=person-role]").selectOption("auditor");
  await page.waitForTimeout(300);
  assert.deepEqual(sent, []);
  page.off("request", onPatch);
  const patched = page.waitForResponse((r) => r.request().method() === "PATCH");
  await mo().getByTestId("person-role-save").click();
  assert.equal((await patched).status(), 200);
  assert.equal(await mo().getByTestId("person-role-save").isDisabled(), true);
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await mo().locator("[data-testid=person-role]").inputValue(), "auditor");

  // As an auditor, they see People & keys but nothing to change it with.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const auditor = await context.newPage();
  await auditor.goto(`${server.baseUrl}/sign-in?next=/access`);
  await auditor.waitForSelector("body[data-ready=true]");
  await auditor.fill("[data-testid=email]", member);
  await auditor.fill("[data-testid=password]", PASSWORD);
  await auditor.click("[data-testid=sign-in]");
  await auditor.waitForURL((url) => url.pathname === "/access");
  await auditor.waitForSelector("body[data-ready=true]");
  assert.equal(
    await auditor.textContent("[data-testid=read-only]"),
    "Your role is auditor: you may see people, invites and keys, not change them.",
  );
  assert.ok(await auditor.locator("[data-testid=invite-form]").isHidden());
  assert.ok(await auditor.locator("[data-testid=key-form]").isHidden());
  assert.equal(await auditor.locator("#access select:visible, #access button:visible").count(), 0, "no control to change anything");
  assert.deepEqual(await auditor.locator("[data-testid=key-row-name]").allTextContents(), ["CI deploys"]);
  await auditor.screenshot({ path: join(artifacts, "access-auditor.png"), fullPage: true });
  await context.close();
  await mo().locator("[data-testid=person-remove]").click();
  await page.waitForFunction((email) =>
    ![...document.querySelectorAll("[data-testid=person-email]")].some((c) => c.textContent === email), member);
  assert.ok(dialogs.some((d) => d.startsWith(`Remove ${member}?`)), dialogs.join());
  assert.ok(await page.locator("[data-testid=people-error]").isHidden());

  // The session ends elsewhere: the page's next call goes to sign-in, which comes back here.
  await page.evaluate(async () => {
    const session = await (await fetch("/api/v1/session")).json();
    await fetch("/api/v1/session", { method: "DELETE", headers: { "x-csrf-token": session.csrf_token } });
  });
  await page.fill("[data-testid=key-name]", "After the session ended");
  await page.click("[data-testid=key-submit]");
  await page.waitForURL(/\/sign-in\?next=\/access$/);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("[data-testid=email]", owner);
  await page.fill("[data-testid=password]", PASSWORD);
  await page.click("[data-testid=sign-in]");
  await page.waitForURL((url) => url.pathname === "/access");
  await page.waitForSelector("body[data-ready=true]");
  const keys = await page.locator("[data-testid=key-row-name]").allTextContents();
  assert.deepEqual(keys, ["CI deploys"], "nothing was created without a session");

  // A narrow screen: the tables scroll inside their cards, the page does not scroll sideways.
  await page.setViewportSize({ width: 360, height: 800 });
  await page.screenshot({ path: join(artifacts, "access-narrow.png"), fullPage: true });
  const wide = await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 361).map((e) => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`).slice(0, 12).join("\n"));
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), `no sideways scroll at 360 px: ${wide}`);
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.click("[data-testid=sign-out]");
  await page.waitForURL("**/sign-in");

  // The theme chosen in the dashboard applies here too, before the styles (theme.js).
  await page.evaluate(() => localStorage.setItem("evident.theme", "dark"));
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.screenshot({ path: join(artifacts, "access-sign-in-dark.png") });
  await page.evaluate(() => localStorage.removeItem("evident.theme"));
});

test("the plain pages are served at their paths under the dashboard's CSP, with no inline script", async () => {
  for (const path of ["/sign-in", "/invite", "/access"]) {
    const res = await fetch(`${server.baseUrl}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type"), /^text\/html/, path);
    assert.match(res.headers.get("content-security-policy"), /script-src 'self' 'wasm-unsafe-eval' 'sha256-/, path);
    assert.equal(res.headers.get("x-frame-options"), "DENY", path);
    const html = await res.text();
    assert.match(html, new RegExp(`data-page="${path.slice(1)}"`), path);
    const inline = [...html.matchAll(/<script\b([^>]*)>/g)].filter((m) => !/\bsrc=/.test(m[1]));
    assert.deepEqual(inline, [], `${path} has no inline script`);
    assert.doesNotMatch(html, /\son[a-z]+=/, `${path} has no inline handler`);
  }
});

test("no console errors and no script ran from a name", () => {
  // Expected: the three refused forms' 422s, the revoked invite's 404, the member's refused 403, the
  // wrong password's 401, and the 401s of the dashboard and of People & keys after their sessions
  // ended (the dashboard's requests in flight may each see one); nothing else.
  const unexpected = consoleErrors.filter((e) => !/status of (401|403|404|422)/.test(e));
  assert.deepEqual(unexpected, []);
  assert.equal(consoleErrors.filter((e) => /status of 422/.test(e)).length, 3, consoleErrors.join("\n"));
  assert.equal(consoleErrors.filter((e) => /status of (403|404)/.test(e)).length, 2, consoleErrors.join("\n"));
  assert.ok(dialogs.every((d) => !d.includes("1") || d.includes("Revoke")), dialogs.join());
});

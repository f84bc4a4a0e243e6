// Sign-in through Cloudflare Access (worker/src/access.rs) against a real `wrangler dev`: the worker
// verifies the token Access adds to each request itself. The team's keys are generated here (RSA,
// as Access signs) and given to the worker as ACCESS_JWKS, so no request leaves 127.0.0.1. A token
// passes only with the team's key, issuer, audience and a time inside its validity, and only for an
// e-mail that is a person of a tenant; then that person's role applies, and a request that changes
// something needs our own Origin. Password sign-in is off while Access is configured.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, createSign } from "node:crypto";
import { startServer } from "../browser/server.mjs";

const TEAM = "https://evident-test.cloudflareaccess.com";
const AUD = "evident-test-audience";
const KID = "evident-test-key";
const ADMIN_KEY = "evd_api_admin_access";

const team = generateKeyPairSync("rsa", { modulusLength: 2048 });
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwks = { keys: [{ ...team.publicKey.export({ format: "jwk" }), kid: KID, alg: "RS256", use: "sig" }] };

let server;

const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

function token({ key = team.privateKey, header = {}, claims = {} } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: "RS256", kid: KID, typ: "JWT", ...header });
  const body = b64({ aud: [AUD], email: "ada.auditor@example.com", exp: now + 600, iat: now, nbf: now - 5, iss: TEAM,
                     sub: "0b1e4c5e", type: "app", ...claims });
  const signer = createSign("RSA-SHA256");
  signer.update(`${head}.${body}`);
  return `${head}.${body}.${signer.sign(key).toString("base64url")}`;
}

async function call(method, path, { jwt, headers = {}, body } = {}) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { ...(jwt ? { "cf-access-jwt-assertion": jwt } : {}), ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, setCookie: res.headers.get("set-cookie") };
}

async function join(email, role) {
  const invite = await call("POST", "/api/v1/invites", { headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: { email, role } });
  assert.equal(invite.status, 201, invite.text);
  const accepted = await call("POST", "/api/v1/invites/accept", { body: { token: invite.json.token, name: email.split("@")[0], password: "correct horse battery staple" } });
  assert.equal(accepted.status, 201, accepted.text);
  // Behind Access, joining starts no session of our own: they sign in through Access.
  assert.equal(accepted.setCookie, null, `no session cookie: ${accepted.setCookie}`);
}

before(async () => {
  server = await startServer("access", {
    vars: { ADMIN_KEY, ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD, ACCESS_JWKS: JSON.stringify(jwks) },
  });
  await join("ada.auditor@example.com", "auditor");
  await join("alan.admin@example.com", "admin");
});

after(async () => { await server?.stop(); });

test("a valid Access token signs its person in, with their role", async () => {
  const session = await call("GET", "/api/v1/session", { jwt: token() });
  assert.equal(session.status, 200, session.text);
  assert.equal(session.json.sign_in, "access");
  assert.equal(session.json.person.email, "ada.auditor@example.com");
  assert.equal(session.json.person.role, "auditor");
  assert.equal(session.json.expires_at, null);
  const events = await call("GET", "/api/v1/events?limit=1", { jwt: token() });
  assert.equal(events.status, 200, events.text);
  const change = await call("PUT", "/api/v1/settings/redaction", { jwt: token(), headers: { origin: server.baseUrl }, body: {} });
  assert.equal(change.status, 403, change.text);
  assert.match(change.json.error.message, /your role is auditor/);
});

test("tokens that are forged, expired, early, for another audience or issuer are refused", async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    [token({ key: stranger.privateKey }), /signature does not verify/],
    [token({ claims: { exp: now - 120 } }), /expired/],
    [token({ claims: { nbf: now + 600 } }), /not valid yet/],
    [token({ claims: { aud: ["another-app"] } }), /another application/],
    [token({ claims: { iss: "https://evil.cloudflareaccess.com" } }), /issued by/],
    [token({ header: { kid: "unknown" } }), /not the team's/],
    [token({ header: { alg: "none" } }), /not RS256/],
    [token().split(".").slice(0, 2).join(".") + ".", /signature does not verify|base64url/],
    ["not-a-jwt", /three dot-separated parts/],
  ];
  for (const [jwt, why] of cases) {
    const answer = await call("GET", "/api/v1/events?limit=1", { jwt });
    assert.equal(answer.status, 401, `${why}: ${answer.text}`);
    assert.match(answer.json.error.message, why);
  }
});

test("an e-mail that is no one's here is refused, and password sign-in is off", async () => {
  const nobody = await call("GET", "/api/v1/events?limit=1", { jwt: token({ claims: { email: "eve@example.com" } }) });
  assert.equal(nobody.status, 403, nobody.text);
  assert.match(nobody.json.error.message, /no access to Evident/);
  const password = await call("POST", "/api/v1/session", { body: { email: "ada.auditor@example.com", password: "correct horse battery staple" } });
  assert.equal(password.status, 403, password.text);
  assert.match(password.json.error.message, /Cloudflare Access/);
  // Without an Access token, a session cookie is no credential here (one made before Access was
  // switched on, or planted): the worker answers as to anyone who did not come through Access.
  const cookie = await call("GET", "/api/v1/events?limit=1", { headers: { cookie: "__Host-evident_session=" + "a".repeat(43) } });
  assert.equal(cookie.status, 401, cookie.text);
  assert.match(cookie.json.error.message, /Cloudflare Access/);
});

test("a change through Access needs our own Origin", async () => {
  const jwt = token({ claims: { email: "alan.admin@example.com" } });
  const body = { name: "access-created", scope: "read" };
  const without = await call("POST", "/api/v1/keys", { jwt, body });
  assert.equal(without.status, 403, without.text);
  const foreign = await call("POST", "/api/v1/keys", { jwt, body, headers: { origin: "https://evil.example" } });
  assert.equal(foreign.status, 403, foreign.text);
  const created = await call("POST", "/api/v1/keys", { jwt, body, headers: { origin: server.baseUrl } });
  assert.equal(created.status, 201, created.text);
});

// The sign-in, invite and people-and-keys pages (app/static/*.html): plain pages with this one module,
// outside the wasm dashboard, so its download stays within budget for the pages people use all day.
// Every text from the API is set with textContent, never as HTML. The server decides who may do what
// (worker/src/auth.rs); these pages only hide what the signed-in person's powers do not allow and show
// the server's own message when it refuses.

const ROLES = ["owner", "admin", "auditor", "member"];

const $ = (id) => document.getElementById(id);

function show(id, text) {
  const el = $(id);
  el.textContent = text;
  el.hidden = false;
}

function hide(id) {
  $(id).hidden = true;
}

/** Calls the API: { status, json }. Changes carry the session's CSRF token. */
async function api(method, path, { body, csrf } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (csrf) headers["x-csrf-token"] = csrf;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    return { status: 0, json: { error: { message: `Could not reach the server: ${e.message}` } } };
  }
  // On People & keys, a 401 means the session ended (signed out elsewhere, expired, removed):
  // sign in again and come back. (On /sign-in it is a wrong password.)
  if (res.status === 401 && document.body.dataset.page === "access") {
    location.assign("/sign-in?next=/access");
  }
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  return { status: res.status, json };
}

/** The API's message for a failed call, with each field it names. */
function problem({ status, json }) {
  const error = json?.error;
  if (!error) return `The server answered with status ${status}`;
  const fields = (error.errors ?? []).map((e) => e.message).filter((m) => m && !error.message.includes(m));
  return [error.message, ...fields].join("; ");
}

/** Clears what `showProblem` showed for `form`. */
function clearProblem(form, alertId) {
  hide(alertId);
  for (const input of form.elements) {
    const note = input.id && $(`${input.id}-error`);
    if (!note) continue;
    input.removeAttribute("aria-invalid");
    note.textContent = "";
    note.hidden = true;
  }
}

/**
 * Shows a failed call's answer: the API's message in the form's alert (`role=alert`, so it is read
 * out), and each error it names by a field (`/password`) next to that field, which is marked invalid
 * and described by it. Focus goes to the first such field. Returns whether a field was named.
 */
function showProblem(form, alertId, answer) {
  clearProblem(form, alertId);
  show(alertId, problem(answer));
  let first = null;
  for (const error of answer.json?.error?.errors ?? []) {
    const input = form.elements.namedItem(String(error.path ?? "").replace(/^\//, ""));
    const note = input?.id && $(`${input.id}-error`);
    if (!note) continue;
    note.textContent = note.hidden ? error.message : `${note.textContent}; ${error.message}`;
    note.hidden = false;
    input.setAttribute("aria-invalid", "true");
    first ??= input;
  }
  first?.focus();
  return first !== null;
}

function when(text) {
  return text ? `${text.slice(0, 16).replace("T", " ")} UTC` : "never";
}

function cell(row, text, testid) {
  const td = document.createElement("td");
  td.textContent = text;
  if (testid) td.dataset.testid = testid;
  row.append(td);
  return td;
}

/** A row saying that `rows` (a <tbody>) has none. */
function emptyRow(rows, text) {
  const row = document.createElement("tr");
  const td = cell(row, text);
  td.colSpan = rows.parentElement.tHead.rows[0].cells.length;
  td.className = "ev-pages__empty";
  rows.append(row);
}

/** A row's button: `text` to see, `label` (naming the row) for screen readers. */
function button(text, label, testid, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "ev-button ev-button--ghost";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.dataset.testid = testid;
  b.addEventListener("click", onClick);
  return b;
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Select and copy";
  }
}

// ---- /sign-in ----

/**
 * Where to go after signing in: `next` if it is a path of this origin, else the dashboard. Resolved
 * as the browser would, so `//host`, `/\host` and `https://host` cannot send anyone elsewhere, and
 * neither can `/.//host`: it resolves to this origin, but to a path starting `//`, which the
 * browser would read as another host once written back on its own.
 */
function returnTo(next) {
  if (!next) return "/";
  try {
    const url = new URL(next, location.origin);
    if (url.origin !== location.origin || url.pathname.startsWith("//")) return "/";
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return "/";
  }
}

async function signInPage() {
  const target = returnTo(new URLSearchParams(location.search).get("next"));
  const current = await api("GET", "/api/v1/session");
  if (current.status === 200) {
    location.replace(target);
    return;
  }
  $("sign-in-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblem(e.target, "form-error");
    const form = new FormData(e.target);
    const answer = await api("POST", "/api/v1/session", {
      body: { email: form.get("email"), password: form.get("password") },
    });
    if (answer.status === 200) {
      location.assign(target);
    } else if (!showProblem(e.target, "form-error", answer)) {
      e.target.elements.password.select();
    }
  });
}

// ---- /invite#<token> ----

function invitePage() {
  // Read when used: opening another invite link from this page changes only the fragment.
  const token = () => location.hash.slice(1);
  const noToken = () => {
    clearProblem($("invite-form"), "form-error");
    if (!token()) show("form-error", "This link holds no invite: ask for a new one.");
  };
  noToken();
  window.addEventListener("hashchange", noToken);
  $("invite-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblem(e.target, "form-error");
    const form = new FormData(e.target);
    const answer = await api("POST", "/api/v1/invites/accept", {
      body: { token: token(), name: form.get("name"), password: form.get("password") },
    });
    if (answer.status === 201) {
      history.replaceState(null, "", "/invite");
      location.assign("/");
    } else {
      showProblem(e.target, "form-error", answer);
    }
  });
}

// ---- /access ----

async function accessPage() {
  const session = await api("GET", "/api/v1/session");
  if (session.status === 204 || session.status === 401) {
    location.replace("/sign-in?next=/access");
    return;
  }
  if (session.status !== 200) {
    show("page-error", problem(session));
    return;
  }
  const me = session.json;
  const may = (power) => me.powers.includes(power);
  $("signed-in-as").textContent = `${me.person.name} · ${me.person.role}`;
  if (me.sign_in === "password") {
    const out = $("sign-out");
    out.hidden = false;
    out.addEventListener("click", async () => {
      await api("DELETE", "/api/v1/session", { csrf: me.csrf_token });
      location.assign("/sign-in");
    });
  }
  const csrf = me.csrf_token;
  const grantable = ROLES.filter((r) => r !== "owner" || may("manage owners"));

  const people = await api("GET", "/api/v1/people");
  if (people.status !== 200) {
    show("page-error", problem(people));
    return;
  }
  $("access").hidden = false;
  if (!may("manage people")) $("invite-form").hidden = true;
  if (!may("manage API keys")) $("key-form").hidden = true;
  if (!may("manage people") || !may("manage API keys")) {
    show("read-only", `Your role is ${me.person.role}: you may see people, invites and keys, not change them.`);
  }
  for (const role of grantable) {
    const option = document.createElement("option");
    option.value = role;
    option.textContent = role;
    option.defaultSelected = role === "member";
    option.selected = role === "member";
    $("invite-role").append(option);
  }

  function renderPeople(list) {
    const rows = $("people-rows");
    rows.replaceChildren();
    for (const person of list) {
      const row = document.createElement("tr");
      row.dataset.testid = "person";
      cell(row, person.name, "person-name");
      cell(row, person.email, "person-email");
      const roleCell = cell(row, "");
      const editable = may("manage people") && (person.role !== "owner" || may("manage owners"));
      if (editable) {
        const select = document.createElement("select");
        select.className = "ev-input";
        select.setAttribute("aria-label", `Role of ${person.email}`);
        select.dataset.testid = "person-role";
        for (const role of grantable.includes(person.role) ? grantable : [person.role, ...grantable]) {
          const option = document.createElement("option");
          option.value = role;
          option.textContent = role;
          option.selected = role === person.role;
          select.append(option);
        }
        // A role changes only on Save: a closed select's arrow keys fire `change` at each step,
        // and each step would be a role change (making an admin an auditor ends the keys and
        // invites they made).
        const save = button("Save", `Save the role of ${person.email}`, "person-role-save", async () => {
          const hands = (role) => role === "owner" || role === "admin";
          if (hands(person.role) && !hands(select.value)
            && !confirm(`Make ${person.email} ${select.value}? The API keys and invites they made stop working.`)) {
            return;
          }
          hide("people-error");
          save.disabled = true;
          const answer = await api("PATCH", `/api/v1/people/${encodeURIComponent(person.id)}`, {
            body: { role: select.value },
            csrf,
          });
          if (answer.status !== 200) {
            show("people-error", problem(answer));
            select.value = person.role;
          } else {
            person.role = answer.json.role;
          }
        });
        save.disabled = true;
        select.addEventListener("change", () => {
          save.disabled = select.value === person.role;
        });
        roleCell.append(select, save);
      } else {
        roleCell.textContent = person.role;
        roleCell.dataset.testid = "person-role";
      }
      cell(row, when(person.created_at));
      const actions = cell(row, "");
      if (editable && person.id !== me.person.id) {
        actions.append(
          button("Remove", `Remove ${person.email}`, "person-remove", async () => {
            if (!confirm(`Remove ${person.email}? Their sessions end at once, and the API keys and invites they made stop working.`)) return;
            hide("people-error");
            const answer = await api("DELETE", `/api/v1/people/${encodeURIComponent(person.id)}`, { csrf });
            if (answer.status === 200) loadPeople();
            else show("people-error", problem(answer));
          }),
        );
      }
      rows.append(row);
    }
  }

  async function loadPeople() {
    const answer = await api("GET", "/api/v1/people");
    if (answer.status === 200) renderPeople(answer.json.people);
    else show("people-error", problem(answer));
  }

  async function loadInvites() {
    const answer = await api("GET", "/api/v1/invites");
    const rows = $("invite-rows");
    rows.replaceChildren();
    if (answer.status !== 200) {
      show("invite-error", problem(answer));
      return;
    }
    const now = new Date().toISOString();
    if (answer.json.invites.length === 0) emptyRow(rows, "No invites.");
    for (const invite of answer.json.invites) {
      const row = document.createElement("tr");
      row.dataset.testid = "invite";
      cell(row, invite.email, "invite-row-email");
      cell(row, invite.role);
      const status = invite.used_at ? "accepted" : invite.expires_at < now ? "expired" : "pending";
      cell(row, status, "invite-status");
      cell(row, when(invite.expires_at));
      const actions = cell(row, "");
      if (status === "pending" && may("manage people") && (invite.role !== "owner" || may("manage owners"))) {
        actions.append(
          button("Revoke", `Revoke the invite for ${invite.email}`, "invite-revoke", async () => {
            const res = await api("DELETE", `/api/v1/invites/${encodeURIComponent(invite.id)}`, { csrf });
            if (res.status === 200) loadInvites();
            else show("invite-error", problem(res));
          }),
        );
      }
      rows.append(row);
    }
  }

  async function loadKeys() {
    const answer = await api("GET", "/api/v1/keys");
    const rows = $("key-rows");
    rows.replaceChildren();
    if (answer.status !== 200) {
      show("key-error", problem(answer));
      return;
    }
    if (answer.json.keys.length === 0) emptyRow(rows, "No API keys yet.");
    for (const key of answer.json.keys) {
      const row = document.createElement("tr");
      row.dataset.testid = "key";
      cell(row, key.name, "key-row-name");
      cell(row, key.scope);
      cell(row, key.environment ?? "all");
      cell(row, `${key.prefix}…`);
      cell(row, when(key.last_used_at), "key-last-used");
      cell(row, key.revoked_at ? `revoked ${when(key.revoked_at)}` : "active", "key-status");
      const actions = cell(row, "");
      if (!key.revoked_at && may("manage API keys")) {
        actions.append(
          button("Revoke", `Revoke the key ${key.name}`, "key-revoke", async () => {
            if (!confirm(`Revoke ${key.name}? Its next request is refused.`)) return;
            const res = await api("DELETE", `/api/v1/keys/${encodeURIComponent(key.id)}`, { csrf });
            if (res.status === 200) loadKeys();
            else show("key-error", problem(res));
          }),
        );
      }
      rows.append(row);
    }
  }

  $("invite-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblem(e.target, "invite-error");
    hide("invite-link");
    const form = new FormData(e.target);
    const answer = await api("POST", "/api/v1/invites", {
      body: { email: form.get("email"), role: form.get("role") },
      csrf,
    });
    if (answer.status !== 201) {
      showProblem(e.target, "invite-error", answer);
      return;
    }
    const link = `${location.origin}${answer.json.path}`;
    $("invite-link-email").textContent = answer.json.email;
    $("invite-link-text").textContent = link;
    $("invite-link").hidden = false;
    $("invite-link").focus();
    e.target.reset();
    loadInvites();
  });
  $("invite-link-copy").addEventListener("click", (e) => copy($("invite-link-text").textContent, e.target));

  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblem(e.target, "key-error");
    hide("key-secret");
    const form = new FormData(e.target);
    const environment = String(form.get("environment") ?? "").trim();
    const answer = await api("POST", "/api/v1/keys", {
      body: { name: form.get("name"), scope: form.get("scope"), ...(environment ? { environment } : {}) },
      csrf,
    });
    if (answer.status !== 201) {
      showProblem(e.target, "key-error", answer);
      return;
    }
    $("key-secret-name").textContent = answer.json.name;
    $("key-secret-text").textContent = answer.json.secret;
    $("key-secret").hidden = false;
    $("key-secret").focus();
    e.target.reset();
    loadKeys();
  });
  $("key-secret-copy").addEventListener("click", (e) => copy($("key-secret-text").textContent, e.target));

  renderPeople(people.json.people);
  await Promise.all([loadInvites(), loadKeys()]);
  document.body.dataset.ready = "true";
}

const page = document.body.dataset.page;
const run = { "sign-in": signInPage, invite: invitePage, access: accessPage }[page];
Promise.resolve(run?.()).finally(() => {
  if (page !== "access") document.body.dataset.ready = "true";
});

// Starts a real `wrangler dev` with a fresh local D1 state for browser tests, the way the Rust harness
// (tests/src/server.rs) does: free ports, migrations applied, its own keys, process group killed on stop,
// and its state directory removed then (each run left one behind, and the disk filled up).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

// `vars` adds worker variables (e.g. the Cloudflare Access settings of tests/api/access.test.mjs).
// The configured admin key (which may invite the first owner) is `keys.admin`, `vars.ADMIN_KEY` if given.
export async function startServer(name, { vars = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `evident-browser-${name}-`));
  const state = join(dir, "state");
  execFileSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
    cwd: root,
    stdio: "ignore",
  });
  const port = await freePort();
  const keys = {
    ingest: `evd_browser_ingest_${name}`,
    read: `evd_browser_read_${name}`,
    admin: vars.ADMIN_KEY ?? `evd_browser_admin_${name}`,
  };
  const logPath = join(dir, "wrangler.log");
  const log = openSync(logPath, "w");
  const child = spawn(
    "wrangler",
    [
      "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()),
      "--show-interactive-dev-session=false", "--persist-to", state,
      "--var", `INGEST_KEY:${keys.ingest}`, "--var", `READ_KEY:${keys.read}`, "--var", `ADMIN_KEY:${keys.admin}`,
      ...Object.entries(vars).filter(([k]) => k !== "ADMIN_KEY").flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    { cwd: root, detached: true, stdio: ["ignore", log, log] },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${readFileSync(logPath, "utf8")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    keys,
    log: () => readFileSync(logPath, "utf8"),
    // Ends the process group, waits for it (up to 10 s), then removes the state directory.
    async stop() {
      const exited = new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", resolve);
      });
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      // workerd, the group's last process, may close its files just after wrangler exits.
      await new Promise((r) => setTimeout(r, 300));
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

// Sends events through the public ingest API and fails on anything but a full acceptance.
export async function ingest(server, events) {
  const res = await fetch(`${server.baseUrl}/api/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.keys.ingest}`, "content-type": "application/json" },
    body: JSON.stringify(events),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// Loads deterministic demo data with the project's own generator (built by scripts/test.sh).
export function loadDemo(server, events) {
  const target = process.env.CARGO_TARGET_DIR;
  execFileSync(join(target, "release", "evident-demo"), [
    "--url", server.baseUrl, "--key", server.keys.ingest, "--events", String(events), "--seed", "7",
  ], { stdio: "ignore" });
}

// Headless Chromium from the system, with the flags that keep it off the network.
export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
      "--disable-background-networking", "--disable-component-update",
    ],
  });
}

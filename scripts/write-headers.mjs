// Writes dist/_headers: the security headers Cloudflare's static assets (and `wrangler dev`) send with
// every dashboard file, including index.html for deep links, and a year's caching for the files named
// by their content. The Content-Security-Policy allows only
// this origin, plus the one inline module script Trunk writes to start the wasm app, by its SHA-256
// hash, so it has to be computed from the built index.html after every build.
//
// Why each directive:
//   script-src 'self' 'wasm-unsafe-eval' 'sha256-…'  the app's JS, its wasm, Trunk's loader; nothing else
//   style-src 'self' 'unsafe-inline'   the CSS files, and style attributes the views set (bar widths)
//   img-src 'self' data:               the inline SVG icon
//   connect-src 'self'                 the API is same-origin
//   frame-ancestors 'none'             never framed (clickjacking), like X-Frame-Options: DENY
//   base-uri 'none', form-action 'self', object-src 'none'
//
// Usage: node scripts/write-headers.mjs [dist]
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dist = process.argv[2] ?? "dist";
const html = readFileSync(join(dist, "index.html"), "utf8");
const hashes = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
  .map((m) => m[1])
  .filter((body) => body.trim() !== "")
  .map((body) => `'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`);
if (hashes.length === 0) {
  console.error(`write-headers: no inline script in ${dist}/index.html; is this a Trunk build?`);
  process.exit(1);
}

const csp = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(" ")}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const headers = `# Written by scripts/write-headers.mjs after each dashboard build; do not edit.
/*
  Content-Security-Policy: ${csp}
  X-Content-Type-Options: nosniff
  X-Frame-Options: DENY
  Strict-Transport-Security: max-age=31536000
  Referrer-Policy: no-referrer
  Cross-Origin-Opener-Policy: same-origin
  Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=(), usb=()
`;
// Files whose names Trunk derived from their content (`name-<hash>.ext`, the hash a 64-bit number in
// hex without leading zeros, so up to 16 digits: `evident-app-e84a8687a5e65a5.js` has 15) never change
// under their name, so browsers may keep them without asking again (a repeat visit then reads the wasm
// from its cache); index.html and the plain pages (no hash in their names) keep the default:
// revalidated on every load.
const immutable = readdirSync(dist)
  .filter((name) => /-[0-9a-f]{1,16}(_bg)?\.(js|wasm|css)$/.test(name))
  .sort()
  .map((name) => `/${name}\n  Cache-Control: public, max-age=31536000, immutable\n`)
  .join("");
writeFileSync(join(dist, "_headers"), headers + immutable);

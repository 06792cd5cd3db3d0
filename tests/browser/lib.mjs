// Helpers for the browser tests: TAP output, a shomei server on a free loopback port
// (fresh data directory made with `shomei init`, stopped by PID), Debian's chromium
// driven by playwright-core, and test CSRs made with openssl.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const outDir = path.join(top, 'tests/browser/out');
const bin = process.env.SHOMEI_BIN || path.join(top, 'build/asan/shomei');

export class Tap {
  constructor() {
    this.n = 0;
    this.failed = 0;
  }
  ok(cond, name, detail) {
    this.n++;
    if (cond) {
      console.log(`ok ${this.n} - ${name}`);
    } else {
      this.failed++;
      console.log(`not ok ${this.n} - ${name}`);
      if (detail !== undefined) console.log(`# ${String(detail).split('\n').join('\n# ')}`);
    }
    return cond;
  }
  equal(got, want, name) {
    return this.ok(got === want, name, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  done() {
    console.log(`1..${this.n}`);
    process.exitCode = this.failed ? 1 : 0;
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs `shomei init` into a fresh directory and `shomei serve` on a free port.
// Returns {url, dir, pid, log(), stop()}; stop() ends the server by its PID.
export async function startServer(settings = ['server.secure_cookies=false']) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shomei-browser-'));
  const dir = path.join(tmp, 'data');
  const env = { ...process.env, SHOMEI_CA_PASSPHRASE: process.env.SHOMEI_CA_PASSPHRASE || 'browser-test' };
  const sets = settings.flatMap((s) => ['--set', s]);
  execFileSync(bin, ['init', '--dir', dir, ...sets], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await freePort();
  const child = spawn(bin, ['serve', '--dir', dir, '--port', String(port)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 100 && !up && exited === null; i++) {
    try {
      up = (await fetch(`${url}/healthz`)).ok;
    } catch {
      await sleep(100);
    }
  }
  const stop = async () => {
    if (exited === null) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {}
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      if (exited === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {}
      }
    }
    rmSync(tmp, { recursive: true, force: true });
    return exited;
  };
  if (!up) {
    await stop();
    throw new Error(`server did not start:\n${output}`);
  }
  return { url, dir, pid: child.pid, log: () => output, stop };
}

// The set-up tools of a test on server (from startServer): run(args, input) runs the shomei
// CLI with the CA passphrase and returns its output; sql(q) the rows of q from the
// server's SQLite database, trimmed.
export function serverTools(server) {
  const env = { ...process.env, SHOMEI_CA_PASSPHRASE: process.env.SHOMEI_CA_PASSPHRASE || 'browser-test' };
  const run = (args, input) => execFileSync(bin, args, { env, input, stdio: ['pipe', 'pipe', 'pipe'] });
  const db = path.join(server.dir, 'shomei.db');
  // the server writes too (its jobs, at start above all): wait for its lock, do not fail
  const sql = (q) => execFileSync('sqlite3', ['-batch', '-cmd', '.timeout 10000', db, q],
    { encoding: 'utf8' }).trim();
  return { env, run, sql };
}

// The serial of a PEM certificate as shomei shows it (lower-case hex, no leading zeros).
export function serialOf(pem) {
  return execFileSync('openssl', ['x509', '-noout', '-serial'], { input: pem })
    .toString().split('=')[1].trim().toLowerCase().replace(/^0+/, '');
}

// A page in a new context of browser in locale (with viewport); console errors other than
// those matching allowed (the refusals a test causes on purpose; null: none) and page errors
// go into problems. page.context() is the context, to close.
export async function newPage(browser, locale, problems, allowed,
  viewport = { width: 1240, height: 900 }) {
  const context = await browser.newContext({ locale, viewport });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && !(allowed && allowed.test(m.text())) &&
    problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  return page;
}

// Logs who in with password pw at url (query: e.g. '?lang=en') and waits for the dashboard.
export async function login(page, url, who, pw, query = '') {
  await page.goto(`${url}/login${query}`);
  await page.fill('#login_id', who);
  await page.fill('#password', pw);
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL('**/dashboard');
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// Makes a CSR with openssl req; returns {pem, der, derPath, pemPath}.
export function makeCsr(dir, name, { bits = 2048, subj, san } = {}) {
  mkdirSync(dir, { recursive: true });
  const pemPath = path.join(dir, `${name}.csr`);
  const derPath = path.join(dir, `${name}.der`);
  const args = ['req', '-new', '-utf8', '-newkey', `rsa:${bits}`, '-nodes', '-keyout',
    path.join(dir, `${name}.key`), '-subj', subj, '-out', pemPath];
  if (san) args.push('-addext', `subjectAltName=${san}`);
  execFileSync('openssl', args, { stdio: 'ignore' });
  execFileSync('openssl', ['req', '-in', pemPath, '-outform', 'DER', '-out', derPath]);
  return { pem: readFileSync(pemPath, 'utf8'), pemPath, derPath };
}

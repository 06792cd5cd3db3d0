// Real peers for the browser tests, on loopback only, each started as a child process and
// stopped by its PID: an authoritative DNS server (knotd run as the current user with a
// temporary config, storage and zone files, the layout of tests/it/knot.sh), a static web
// server (python3 -m http.server) and the SMTP sink of tests/it/smtp_sink.py.
// Every started process is remembered; stopPeers() ends those still running (also called
// on exit and on SIGINT/SIGTERM, so a failing test leaves nothing behind).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tap, freePort, top } from './lib.mjs';

const PY = '/usr/bin/python3'; // Debian's interpreter: it has aiosmtpd
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const running = new Map(); // pid -> {name, child, exited}

function start(name, cmd, args, logFile) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const rec = { name, child, exited: null, output: '' };
  const keep = (d) => {
    rec.output += d;
    if (rec.output.length > 65536) rec.output = rec.output.slice(-32768);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', (code, signal) => {
    rec.exited = { code, signal };
    running.delete(child.pid);
    if (logFile) writeFileSync(logFile, rec.output);
  });
  child.on('error', (err) => {
    rec.exited = { error: String(err) };
  });
  if (child.pid !== undefined) running.set(child.pid, rec);
  return rec;
}

async function stopOne(rec) {
  if (rec.exited !== null || rec.child.pid === undefined) return rec.exited;
  try {
    process.kill(rec.child.pid, 'SIGTERM');
  } catch {}
  for (let i = 0; i < 50 && rec.exited === null; i++) await sleep(100);
  if (rec.exited === null) {
    try {
      process.kill(rec.child.pid, 'SIGKILL');
    } catch {}
    for (let i = 0; i < 20 && rec.exited === null; i++) await sleep(100);
  }
  return rec.exited;
}

// Stops every peer still running, by PID.
export async function stopPeers() {
  await Promise.all([...running.values()].map(stopOne));
}

// Other children (the shomei server) to end by PID should the process exit early.
const others = new Set();
export function killOnExit(pid) {
  others.add(pid);
}
export function forget(pid) {
  others.delete(pid);
}

function killAllSync() {
  for (const pid of [...running.keys(), ...others]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAllSync();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function waitFor(what, rec, cond) {
  for (let i = 0; i < 100; i++) {
    if (rec.exited !== null) break;
    if (await cond()) return;
    await sleep(100);
  }
  await stopOne(rec);
  throw new Error(`${what} did not start:\n${rec.output}`);
}

function dig(port, name, type) {
  try {
    return execFileSync('kdig', ['-p', String(port), '@127.0.0.1', '+short', '+timeout=1',
      '+retry=0', name, type], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function zoneText(zone, records) {
  return [`$ORIGIN ${zone}.`, '$TTL 60',
    `@ SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`, `@ NS ns.${zone}.`,
    'ns A 127.0.0.1', ...records, ''].join('\n');
}

// knotd on 127.0.0.1:free port serving unsigned zones. zones: {"co.jp": ["www A 127.0.0.1",
// '@ CAA 0 issue "shomei.example"'], ...}; probe: [name, type] answered once it is up.
// Returns {port, addr ("127.0.0.1@PORT" for dns.resolver), pid, dig(name, type), stop()}.
export async function startKnot(dir, zones, probe) {
  const zdir = path.join(dir, 'zones');
  for (const d of [zdir, path.join(dir, 'db'), path.join(dir, 'run')]) {
    mkdirSync(d, { recursive: true });
  }
  for (const [zone, records] of Object.entries(zones)) {
    writeFileSync(path.join(zdir, `${zone}.zone`), zoneText(zone, records));
  }
  const port = await freePort();
  const conf = path.join(dir, 'knot.conf');
  writeFileSync(conf, `server:
    rundir: "${path.join(dir, 'run')}"
    listen: 127.0.0.1@${port}
database:
    storage: "${path.join(dir, 'db')}"
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: "${zdir}"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
${Object.keys(zones).map((z) => `  - domain: ${z}.`).join('\n')}
`);
  const rec = start('knotd', 'knotd', ['-c', conf], path.join(dir, 'knotd.log'));
  await waitFor('knotd', rec, async () => dig(port, probe[0], probe[1]) !== '');
  return { port, addr: `127.0.0.1@${port}`, pid: rec.child.pid,
    dig: (name, type) => dig(port, name, type), stop: () => stopOne(rec) };
}

// python3 -m http.server on 127.0.0.1:free port serving root.
// Returns {port, pid, log(), stop()}.
export async function startHttp(root) {
  mkdirSync(root, { recursive: true });
  const port = await freePort();
  const rec = start('http.server', PY, ['-m', 'http.server', String(port), '--bind', '127.0.0.1',
    '--directory', root]);
  await waitFor('http.server', rec, () => accepts(port));
  return { port, pid: rec.child.pid, log: () => rec.output, stop: () => stopOne(rec) };
}

// The SMTP sink (tests/it/smtp_sink.py) writing caught mail into dir.
// Returns {port, pid, mails(), stop()}; mails() lists {to: [...], subject, body} of every
// message caught so far (decoded by Python's email package).
export async function startSmtpSink(dir) {
  mkdirSync(dir, { recursive: true });
  const rec = start('smtp_sink', PY, [path.join(top, 'tests/it/smtp_sink.py'), '--dir', dir]);
  let port = 0;
  await waitFor('smtp sink', rec, async () => {
    const m = /READY port=(\d+)/.exec(rec.output);
    if (m) port = Number(m[1]);
    return port > 0;
  });
  const mails = () => {
    const names = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
    if (names.length === 0) return [];
    const out = execFileSync(PY, ['-c', `
import email, email.policy, json, sys
res = []
for f in sys.argv[1:]:
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    b = m.get_body(("plain", "html"))
    res.append({"subject": str(m["subject"] or ""), "body": b.get_content() if b else ""})
print(json.dumps(res))
`, ...names.map((f) => path.join(dir, f))], { encoding: 'utf8' });
    return JSON.parse(out).map((m, i) => ({ ...m,
      to: JSON.parse(readFileSync(path.join(dir, names[i].replace(/\.eml$/, '.json')),
        'utf8')).rcpt_tos }));
  };
  return { port, pid: rec.child.pid, mails, stop: () => stopOne(rec) };
}

// Run by itself (tests/run.sh runs every .mjs here) it proves the peers: each starts,
// answers on loopback, and is gone after stopPeers().
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t = new Tap();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shomei-peers-'));
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    const knot = await startKnot(path.join(tmp, 'knot'), { test: [],
      'peer.test': ['web A 127.0.0.1', '@ CAA 0 issue "shomei.example"'] },
    ['peer.test', 'CAA']);
    t.equal(knot.dig('web.peer.test', 'A'), '127.0.0.1', 'knotd answers A from its zone');
    t.ok(knot.dig('peer.test', 'CAA').includes('shomei.example'), 'knotd answers CAA');
    const web = await startHttp(path.join(tmp, 'www'));
    writeFileSync(path.join(tmp, 'www', 'v.txt'), 'value\n');
    const got = await (await fetch(`http://127.0.0.1:${web.port}/v.txt`)).text();
    t.equal(got, 'value\n', 'http.server serves the file');
    const sink = await startSmtpSink(path.join(tmp, 'sink'));
    execFileSync(PY, ['-c', `
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "a@peer.test"
m["To"] = "b@peer.test"
m["Subject"] = "証明書発行のお知らせ"
m.set_content("本文")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.send_message(m)
`, String(sink.port)]);
    let mails = [];
    for (let i = 0; i < 50 && mails.length === 0; i++) {
      mails = sink.mails();
      if (mails.length === 0) await sleep(100);
    }
    t.ok(mails.length === 1 && mails[0].subject === '証明書発行のお知らせ' &&
      mails[0].to.includes('b@peer.test'), 'the SMTP sink catches the mail (subject decoded)',
    JSON.stringify(mails));
    const pids = [knot.pid, web.pid, sink.pid];
    await stopPeers();
    t.ok(pids.every((p) => !alive(p)), 'every peer is stopped by its PID', pids.join(' '));
  } catch (e) {
    t.ok(false, 'the peers run', e.stack || String(e));
  } finally {
    await stopPeers();
    rmSync(tmp, { recursive: true, force: true });
    t.done();
  }
}

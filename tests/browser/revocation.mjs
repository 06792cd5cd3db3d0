// Revocation in a real browser (issue 9 item 8; R-REV-1, R-REV-3). In Japanese: the
// customer asks for the revocation of a DV certificate (revoked at once) and of two OV
// certificates (one keyCompromise), which wait for the phone confirmation; the officer
// finds the queue through the navigation, sees the BR 4.9.1.1 deadlines counted down
// (keyCompromise, 24 hours, first; 5 days for the other), is refused a call dated in the
// future, records the call and the certificate is revoked. In English: the customer
// colleague of the customer schedules a revocation for a later date and withdraws it. Certificates are issued with
// `shomei issue` and given to the customer's organization with sqlite3.
// Screenshots: tests/browser/out/revocation-*.png. No console errors (CSP) allowed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, login as logIn, newPage, outDir, serialOf, serverTools, startServer, Tap } from './lib.mjs';

const t = new Tap();
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(path.join(os.tmpdir(), 'shomei-revocation-'));
const PW = 'Revoke-horse-77';
let server;
let browser;
// The calendar day in Japan time, days from now (the form's dates are Japan-time days).
const jstDay = (days) => new Date(Date.now() + 9 * 3600e3 + days * 86400e3).toISOString()
  .slice(0, 10);
try {
  server = await startServer(['server.secure_cookies=false', 'ca.test_ca=true']);
  const { run, sql } = serverTools(server);
  const addUser = (...a) => run(['user', 'add', '--dir', server.dir, ...a, '--password-stdin'],
    `${PW}\n`);
  addUser('--login', 'kaisha', '--role', 'customer', '--email', 'ssl@alpha-shop.example.jp',
    '--name', '山田 花子', '--org-name', 'アルファ商店株式会社');
  // An English-speaking colleague in the same organization (the account language decides).
  addUser('--login', 'john', '--role', 'customer', '--email', 'john@alpha-shop.example.jp',
    '--name', 'John Smith', '--org-name', 'tmp', '--locale', 'en');
  addUser('--login', 'vetter', '--role', 'officer', '--email', 'v@ca.example.jp', '--name',
    '審査 一郎');
  const csr = path.join(work, 'c.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', path.join(work, 'k.pem'), '-out', csr, '-subj', '/CN=www.alpha-shop.co.jp'],
  { stdio: 'ignore' });
  const issue = (...a) => serialOf(run(['issue', '--dir', server.dir, '--csr', csr, ...a]));
  const ov = ['--level', 'ov', '--org', 'Alpha Shop KK', '--locality', 'Chiyoda', '--state',
    'Tokyo', '--country', 'JP'];
  const dv = issue('--name', 'www.alpha-shop.co.jp', '--level', 'dv');
  const ov1 = issue('--name', 'shop.alpha-shop.co.jp', ...ov);
  const ov2 = issue('--name', 'api.alpha-shop.co.jp', ...ov);
  const later = issue('--name', 'blog.alpha-shop.co.jp', '--level', 'dv');
  const org = sql("SELECT org_id FROM users WHERE login_id = 'kaisha'");
  sql(`UPDATE certificates SET org_id = ${org}; UPDATE users SET org_id = ${org} WHERE login_id = 'john'`);
  const state = (s) => sql(`SELECT state FROM certificates WHERE serial = '${s}'`);

  browser = await launchBrowser();
  const problems = [];
  // Refused forms answer 400 by design.
  const open = (locale) => newPage(browser, locale, problems, /status of 400/);
  const login = (page, who) => logIn(page, server.url, who, PW);
  const shot = (page, name) =>
    page.screenshot({ path: path.join(outDir, `revocation-${name}.png`), fullPage: true });
  const ask = async (page, serial, reason, date) => {
    await page.goto(`${server.url}/certificates/${serial}`);
    await page.selectOption('#rev-reason', reason);
    await page.fill('#rev-date', date);
    await Promise.all([page.waitForNavigation(), page.click('#revoke-form button[type=submit]')]);
  };

  // ---- the customer, in Japanese (R-REV-1) ----
  const cust = await open('ja-JP');
  await login(cust, 'kaisha');
  t.ok(!(await cust.isVisible('a[href="/officer/revocations"]')),
    'R-ACT-1 a customer has no link to the revocation queue');
  await cust.goto(`${server.url}/certificates/${ov1}`);
  const reasons = await cust.$$eval('#rev-reason option', (os) => os.map((o) => o.value));
  t.equal(reasons.join(' '),
    'unspecified keyCompromise affiliationChanged superseded cessationOfOperation',
    'R-REV-1 the subscriber reasons of BR 7.2.2, no reason first, no privilegeWithdrawn');
  t.equal(await cust.getAttribute('#rev-date', 'value'), jstDay(0),
    'R-REV-1 the date starts at today (Japan time)');
  t.equal(await cust.getAttribute('#rev-date', 'max'), jstDay(60),
    'R-REV-1 ... and goes up to 60 days ahead');
  await cust.selectOption('#rev-reason', 'superseded');
  await shot(cust, 'form-ja');
  await ask(cust, dv, 'superseded', jstDay(0));
  t.ok(/revoke=now/.test(cust.url()) && (await cust.isVisible('#revoke-done')),
    'R-REV-1 a DV certificate is revoked at once, with a banner');
  t.ok((await cust.textContent('#revoke-done')).includes('失効しました'),
    'R-REV-1 ... in Japanese');
  t.ok(!(await cust.isVisible('#revoke-form')), 'R-REV-1 ... and no second request form');
  t.equal(state(dv), 'revoked', 'R-REV-1 the DV certificate is revoked');
  await shot(cust, 'done-ja');
  await ask(cust, ov1, 'superseded', jstDay(0));
  t.ok(/revoke=pending/.test(cust.url()) && (await cust.isVisible('#revoke-pending')),
    'R-REV-1 an OV request waits for the phone confirmation');
  t.ok((await cust.textContent('#revoke-panel')).includes('お電話で確認'),
    'R-REV-1 ... and says so');
  t.equal(state(ov1), 'issued', 'R-REV-1 ... the certificate is not revoked yet');
  await shot(cust, 'pending-ja');
  await ask(cust, ov2, 'keyCompromise', jstDay(0));
  t.ok(await cust.isVisible('#revoke-pending'), 'R-REV-1 a keyCompromise OV request waits too');

  // ---- the officer, in Japanese (R-REV-3, R-REV-1) ----
  const off = await open('ja-JP');
  await login(off, 'vetter');
  const nav = off.locator('nav a[href="/officer/revocations"]');
  t.ok(await nav.isVisible(), 'R-REV-3 the officer has the revocation queue in the navigation');
  t.equal((await nav.textContent()).trim(), '失効申請', 'R-REV-3 ... named in Japanese');
  await Promise.all([off.waitForNavigation(), nav.click()]);
  t.ok(off.url().endsWith('/officer/revocations'), 'R-REV-3 the link opens the queue');
  const rows = await off.$$eval('section.revreq', (ss) =>
    ss.map((s) => ({ serial: s.dataset.serial, id: s.dataset.id, left: Number(s.dataset.left),
      text: s.querySelector('.countdown').textContent })));
  t.equal(rows.map((r) => r.serial).join(','), `${ov2},${ov1}`,
    'R-REV-3 the keyCompromise request (24 hours) comes first');
  t.ok(rows.length === 2 && rows[0].left > 23 * 3600 && rows[0].left <= 24 * 3600 &&
    rows[1].left > 119 * 3600 && rows[1].left <= 120 * 3600,
  'R-REV-3 BR 4.9.1.1 deadlines: 24 hours for keyCompromise, 5 days otherwise',
  JSON.stringify(rows));
  t.ok(/^残り (23|24) 時間 \d{2} 分$/.test(rows[0].text.trim()) &&
    /^残り (119|120) 時間 \d{2} 分$/.test(rows[1].text.trim()),
  'R-REV-3 ... counted down in hours and minutes', rows.map((r) => r.text).join(' / '));
  await shot(off, 'queue-ja');
  const req = rows[1].id;
  await off.fill(`#c-${req}`, '山田 花子 様(登録番号 03-1234-5678)');
  await off.fill(`#t-${req}`, '2999-01-01T10:00');
  await Promise.all([off.waitForNavigation(), off.click(`section[data-id="${req}"] .revq-confirm button`)]);
  t.ok((await off.textContent('main')).includes('電話確認の日時'),
    'R-REV-1 a call dated in the future is refused with its message');
  t.equal(state(ov1), 'issued', 'R-REV-1 ... and nothing changed');
  await shot(off, 'confirm-error-ja');
  await off.goto(`${server.url}/officer/revocations`);
  await off.fill(`#c-${req}`, '山田 花子 様(登録番号 03-1234-5678)');
  await off.fill(`#n-${req}`, '登録の代表番号に発信し、ご本人から失効の意思を確認。');
  await Promise.all([off.waitForNavigation(), off.click(`section[data-id="${req}"] .revq-confirm button`)]);
  t.ok(await off.isVisible('#revq-done'), 'R-REV-1 the call is recorded (banner)');
  t.equal(state(ov1), 'revoked', 'R-REV-1 ... and the certificate is revoked');
  t.equal(await off.locator('section.revreq').count(), 1, 'R-REV-3 one request left in the queue');
  await shot(off, 'confirmed-ja');
  await off.goto(`${server.url}/officer/revocations?lang=en`);
  t.equal((await off.textContent('nav a[href="/officer/revocations"]')).trim(), 'Revocations',
    'R-REV-3 the link in English');
  await shot(off, 'queue-en');

  // ---- the customer once more, in English: a later date, then withdrawn ----
  const en = await open('en-US');
  await login(en, 'john');
  await en.goto(`${server.url}/certificates/${later}`);
  await shot(en, 'form-en');
  await ask(en, later, 'cessationOfOperation', jstDay(10));
  t.ok(await en.isVisible('#revoke-scheduled'), 'R-REV-1 a later date schedules the revocation');
  t.ok((await en.textContent('#revoke-scheduled')).includes(`Revocation scheduled for: ${jstDay(10)}`),
    'R-REV-1 ... shown in English with its date', await en.textContent('#revoke-scheduled'));
  t.equal(state(later), 'revocation_scheduled', 'R-REV-1 ... the certificate is scheduled');
  await shot(en, 'scheduled-en');
  await Promise.all([en.waitForNavigation(), en.click('#revoke-withdraw button')]);
  t.equal(state(later), 'issued', 'R-REV-1 the scheduled revocation is withdrawn');
  t.ok(await en.isVisible('#revoke-form'), 'R-REV-1 ... and the form is offered again');
  await shot(en, 'withdrawn-en');
  t.ok(problems.length === 0, 'no console errors', problems.join('\n'));
} catch (e) {
  t.ok(false, 'browser run', e.stack || String(e));
} finally {
  if (browser) await browser.close();
  if (server) {
    const log = server.log();
    t.ok(!/AddressSanitizer|runtime error/.test(log), 'no sanitizer reports from the server',
      log.slice(-2000));
    await server.stop();
  }
  rmSync(work, { recursive: true, force: true });
  t.done();
}

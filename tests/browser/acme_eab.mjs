// Issue 10 item 4 (R-ACME-1) in a real browser: a customer opens the ACME credentials page
// from the account page, creates EAB credentials for its organization (key ID and HMAC key
// shown once), the scripted ACME client (tests/it/acme_client.py register) registers an
// account with them, and the list then shows them used with the account's URL; a second
// set is revoked with its button. Screenshots: tests/browser/out/acme-eab-*.png. No console
// errors (CSP) allowed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Tap, launchBrowser, outDir, startServer, top } from './lib.mjs';

const t = new Tap();
const bin = process.env.SHOMEI_BIN || path.join(top, 'build/asan/shomei');
const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
mkdirSync(outDir, { recursive: true });
let server;
let browser;
try {
  server = await startServer();
  const env = { ...process.env, SHOMEI_CA_PASSPHRASE: process.env.SHOMEI_CA_PASSPHRASE || 'browser-test' };
  execFileSync(bin, ['user', 'add', '--dir', server.dir, '--login', 'acme-cust', '--role', 'customer',
    '--email', 'ops@acme.example.jp', '--name', '運用担当', '--org-name', '株式会社エーシーエムイー',
    '--password-stdin'], { env, input: 'Acme-horse-99\n', stdio: ['pipe', 'ignore', 'pipe'] });
  browser = await launchBrowser();
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  const shot = (name) => page.screenshot({ path: path.join(outDir, `acme-eab-${name}.png`), fullPage: true });

  await page.goto(`${server.url}/login`);
  await page.fill('#login_id', 'acme-cust');
  await page.fill('#password', 'Acme-horse-99');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL('**/dashboard');
  await page.goto(`${server.url}/account`);
  await page.click('#acme-link');
  await page.waitForURL('**/account/acme');
  t.ok((await page.textContent('h1')).includes('ACME 認証情報'), 'the account page links the ACME credentials page (ja)');
  t.ok((await page.textContent('#org_id')).includes('株式会社エーシーエムイー'), 'the picker offers the organization');
  await shot('empty');
  await page.click('#eab-create');
  await page.waitForLoadState();
  const kid = (await page.textContent('#new-kid')).trim();
  const key = (await page.textContent('#new-hmac')).trim();
  t.ok(/^[A-Za-z0-9_-]{22}$/.test(kid), 'issue 10 item 4: the key ID is shown', kid);
  t.ok(/^[A-Za-z0-9_-]{43}$/.test(key), 'issue 10 item 4: the HMAC key is shown once', key);
  await shot('created');
  t.ok((await page.textContent(`tr[data-kid="${kid}"] .eab-status`)).includes('未使用'), 'the list shows them unused');

  // the ACME client registers with them (plain HTTP to this server, as behind a proxy)
  const reg = spawnSync(py, [path.join(top, 'tests/it/acme_client.py'), 'register', server.url, '-', kid, key],
    { env: { ...process.env, ACME_CONNECT: server.url }, encoding: 'utf8' });
  t.ok(reg.status === 0 && /^201 .*\/acme\/acct\/\d+$/m.test(reg.stdout),
    'issue 10 item 4: an ACME client registers with the credentials of the page', reg.stdout + reg.stderr);
  await page.goto(`${server.url}/account/acme`);
  const row = `tr[data-kid="${kid}"]`;
  t.ok((await page.textContent(`${row} .eab-status`)).includes('使用済み'), 'the list shows them used');
  t.ok(/\/acme\/acct\/\d+$/.test((await page.textContent(`${row} .eab-account`)).trim()),
    'the list shows the account bound');
  t.ok(!(await page.content()).includes(key), 'the HMAC key is not shown again');
  t.equal(await page.locator(`${row} form`).count(), 0, 'used credentials cannot be revoked');

  // a second set, revoked with its button
  await page.click('#eab-create');
  await page.waitForLoadState();
  const kid2 = (await page.textContent('#new-kid')).trim();
  await page.click(`tr[data-kid="${kid2}"] form button`);
  await page.waitForURL('**/account/acme?revoked=1');
  t.ok((await page.textContent('#flash')).includes('無効化しました'), 'the revocation is confirmed');
  t.ok((await page.textContent(`tr[data-kid="${kid2}"] .eab-status`)).includes('無効化済み'), 'the list shows them revoked');
  await shot('revoked');
  await page.goto(`${server.url}/account/acme?lang=en`);
  t.ok((await page.textContent('h1')).includes('ACME credentials'), 'the page in English');
  t.ok((await page.textContent(`tr[data-kid="${kid}"] .eab-status`)).includes('Used'), 'statuses in English');
  await shot('en');
  t.ok(problems.length === 0, 'no console errors (CSP, scripts)', problems.join('\n'));
} catch (err) {
  t.ok(false, 'ACME credentials in a browser', err.stack);
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  t.done();
}

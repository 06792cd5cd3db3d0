// R-ACT-2, R-ACT-3 in a real browser: registration with the messages beside each field
// (Japanese), a valid registration landing on the dashboard, the account page and the API
// key page in English after switching the profile language, logout, and the login page
// with an announcement an admin posted. Screenshots: tests/browser/out/account-*.png.
// No console errors (CSP) allowed.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Tap, launchBrowser, outDir, startServer, top } from './lib.mjs';

const t = new Tap();
const bin = process.env.SHOMEI_BIN || path.join(top, 'build/asan/shomei');
mkdirSync(outDir, { recursive: true });
let server;
let browser;
try {
  server = await startServer();
  const env = { ...process.env, SHOMEI_CA_PASSPHRASE: process.env.SHOMEI_CA_PASSPHRASE || 'browser-test' };
  execFileSync(bin, ['user', 'add', '--dir', server.dir, '--login', 'boss', '--role', 'admin',
    '--email', 'boss@example.jp', '--name', '管理者', '--password-stdin'],
  { env, input: 'Admin-horse-99\n', stdio: ['pipe', 'ignore', 'pipe'] });
  browser = await launchBrowser();
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  // Form errors answer 422 by design; the browser logs that status, which is no problem.
  page.on('console', (m) => m.type() === 'error' && !/status of 422/.test(m.text()) &&
    problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  const shot = (name) => page.screenshot({ path: path.join(outDir, `account-${name}.png`), fullPage: true });

  // An admin posts an announcement.
  await page.goto(`${server.url}/login`);
  await page.fill('#login_id', 'boss');
  await page.fill('#password', 'Admin-horse-99');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL('**/dashboard');
  await page.goto(`${server.url}/admin/announcements`);
  await page.fill('#title_ja', '年末年始の営業について');
  await page.fill('#title_en', 'Year-end holidays');
  await page.fill('#body_ja', '12月29日から1月3日まで審査業務を休止します。\nお申し込みは受け付けます。');
  await page.fill('#body_en', 'Vetting pauses from 29 December to 3 January.');
  await page.click('form[action="/admin/announcements"] button[type=submit]');
  await page.waitForURL('**/admin/announcements?posted=1');
  await shot('admin-announcements-ja');
  await page.click('.useracct form button');
  await page.waitForURL('**/login?bye=1');
  t.ok((await page.textContent('.ann-title')) === '年末年始の営業について',
    'R-ACT-3 the login page shows the announcement');
  await shot('login-ja');

  // Registration with errors: each message beside its field, values kept.
  await page.goto(`${server.url}/register`);
  await page.fill('#login_id', 'x');
  await page.fill('#email', 'not-an-address');
  await page.fill('#password', 'short');
  await page.click('form[action="/register"] button[type=submit]');
  await page.waitForLoadState();
  for (const f of ['login_id', 'email', 'display_name', 'password']) {
    t.ok(await page.isVisible(`#${f} ~ .field-error[data-field="${f}"]`),
      `R-ACT-2 the ${f} message is shown beside the field`);
  }
  t.equal(await page.inputValue('#email'), 'not-an-address', 'entered values are kept');
  t.equal(await page.inputValue('#password'), '', 'passwords are not sent back');
  await shot('register-errors-ja');

  // A valid registration in English.
  await page.fill('#login_id', 'hanako');
  await page.fill('#email', 'hanako@example.jp');
  await page.fill('#display_name', 'Hanako Yamada');
  await page.selectOption('#locale', 'en');
  await page.fill('#password', 'first-horse-1');
  await page.fill('#password_confirm', 'first-horse-1');
  await page.click('form[action="/register"] button[type=submit]');
  await page.waitForURL('**/dashboard');
  t.equal(await page.getAttribute('html', 'lang'), 'en', 'the account language (en) wins over the browser (ja)');
  t.ok((await page.textContent('#welcome')).includes('Hanako Yamada'), 'the dashboard greets the user');
  await page.goto(`${server.url}/account`);
  await shot('account-en');
  await page.fill('#pw_current', 'wrong-horse-1');
  await page.fill('#password', 'second-horse-2');
  await page.fill('#password_confirm', 'second-horse-2');
  await page.click('form[action="/account/password"] button[type=submit]');
  await page.waitForLoadState();
  t.ok((await page.textContent('#pw_current-err')).includes('current password is wrong'),
    'R-ACT-2 a wrong current password is reported beside its field');
  await page.goto(`${server.url}/account/keys`);
  await page.fill('#label', 'deploy script');
  await page.click('form[action="/account/keys"] button[type=submit]');
  await page.waitForLoadState();
  t.ok(/^sk_[A-Za-z0-9_-]{43}$/.test(await page.textContent('#new-key')), 'the new API key is shown once');
  await shot('keys-en');
  t.ok(problems.length === 0, 'no console errors (CSP, scripts)', problems.join('\n'));
} catch (err) {
  t.ok(false, 'account pages in a browser', err.stack);
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  t.done();
}

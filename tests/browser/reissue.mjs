// Issue 9 item 3 (R-RI-1, R-RI-2, R-RI-4, R-RI-6, R-RI-7): the reissue flow in a real
// browser, in Japanese: the certificate page's reissue button and history, the form with the
// SureBoard reasons and the revocation date of the original, a refusal without consent
// that keeps what was typed, the confirmation page with the fee, the done page, and the
// original then shown as scheduled for revocation with the reissue in its history. The
// certificate is issued with `shomei issue` (test CA) and given an order and a subscription
// of the user's organization with sqlite3 (there is no CLI flag for that).
// Screenshots: tests/browser/out/reissue-*.png.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, outDir, serialOf, serverTools, startServer, Tap } from './lib.mjs';

const t = new Tap();
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(path.join(os.tmpdir(), 'shomei-reissue-'));
let server;
let browser;
try {
  server = await startServer(['server.secure_cookies=false', 'ca.test_ca=true']);
  const { run, sql } = serverTools(server);
  run(['user', 'add', '--dir', server.dir, '--login', 'taro', '--role', 'customer', '--email',
    'taro@ri-shop.example.jp', '--name', '鈴木太郎', '--org-name', 'リイシュー商事株式会社',
    '--password-stdin'], 'Reissue-horse-77\n');
  const csr = path.join(work, 'c.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', path.join(work, 'k.pem'), '-out', csr, '-subj', '/CN=www.ri-shop.co.jp'],
  { stdio: 'ignore' });
  const pem = run(['issue', '--dir', server.dir, '--csr', csr, '--name', 'www.ri-shop.co.jp',
    '--level', 'dv', '--days', '90']);
  const serial = serialOf(pem);
  const org = sql("SELECT org_id FROM users WHERE login_id = 'taro'");
  const now = Math.floor(Date.now() / 1000);
  const q = (s) => s.replace(/'/g, "''");
  const appl = JSON.stringify({ org: { name_ja: 'リイシュー商事株式会社', name_en: 'Reissue Shoji KK' } });
  sql(`BEGIN;
INSERT INTO products (code, name_ja, name_en, level, term_months, list_price, created_at)
  VALUES ('dv-1y', 'DV 証明書 1年', 'DV certificate, 1 year', 'dv', 12, 15000, ${now});
INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, cn, names, root_option,
  applicant, notify_email1, csr_pem, created_at, updated_at, idem_key)
  VALUES ('R20261201-00042', 'new', 'issued', (SELECT id FROM products WHERE code = 'dv-1y'),
  ${org}, 1, 'www.ri-shop.co.jp', '["www.ri-shop.co.jp"]', 'a', '${q(appl)}',
  'taro@ri-shop.example.jp', '${q(readFileSync(csr, 'utf8'))}', ${now}, ${now}, 'browser-ri');
UPDATE certificates SET org_id = ${org},
  order_id = (SELECT id FROM orders WHERE receipt_no = 'R20261201-00042') WHERE serial = '${serial}';
INSERT INTO subscriptions (org_id, product_id, first_order_id, starts_at, ends_at, created_at, updated_at)
  VALUES (${org}, (SELECT id FROM products WHERE code = 'dv-1y'),
  (SELECT id FROM orders WHERE receipt_no = 'R20261201-00042'), ${now}, ${now + 365 * 86400}, ${now}, ${now});
INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at)
  VALUES ((SELECT MAX(id) FROM subscriptions), (SELECT id FROM orders WHERE receipt_no = 'R20261201-00042'),
  (SELECT id FROM certificates WHERE serial = '${serial}'), 'first', ${now});
COMMIT;`);

  browser = await launchBrowser();
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  const shot = (name) => page.screenshot({ path: path.join(outDir, `reissue-${name}-ja.png`), fullPage: true });
  await page.goto(`${server.url}/login?lang=ja`);
  await page.fill('#login_id', 'taro');
  await page.fill('#password', 'Reissue-horse-77');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL('**/dashboard');

  await page.goto(`${server.url}/certificates/${serial}`);
  t.ok(await page.isVisible('#reissue-panel'), 'R-RI-7 the certificate page has a reissue section');
  t.ok(await page.isVisible('#ri-history'), '  with the history of the subscription');
  await page.click('#reissue-link');
  await page.waitForURL(`**/certificates/${serial}/reissue`);
  t.equal(await page.textContent('h1'), '再発行申請', 'the reissue form is in Japanese');
  const reasons = await page.$$eval('#ri-reasons input[name=reason]', (v) => v.map((x) => x.value));
  t.equal(reasons.join(' '), 'site_closed domain_released org_changed replacement key_compromise key_lost other',
    'R-RI-1 the SureBoard reasons, in order');
  t.ok((await page.textContent('#ri-reasons')).includes('鍵の不一致、削除、破損'), '  with their Japanese labels');
  const min = await page.getAttribute('#ri-date', 'min');
  const max = await page.getAttribute('#ri-date', 'max');
  t.equal(Math.round((Date.parse(max) - Date.parse(min)) / 86400000), 60,
    'R-RI-2 the revocation date is limited to today .. +60 days');
  await page.check('input[name=reason][value=key_lost]');
  const when = new Date(Date.parse(min) + 10 * 86400000).toISOString().slice(0, 10);
  await page.fill('#ri-date', when);
  await page.fill('#ri-names', 'www.ri-shop.co.jp\nri-shop.co.jp');
  await shot('form');
  await page.click('#ri-next'); // no consent yet
  await page.waitForSelector('#ri-error');
  t.ok((await page.textContent('#ri-error')).includes('同意が必要'), 'R-RI-4 without consent: refused, saying why');
  t.ok(await page.isChecked('input[name=reason][value=key_lost]'), '  and what was chosen is kept');
  t.equal(await page.inputValue('#ri-date'), when, '  with the date');
  await shot('no-consent');
  await page.check('#ri-consent');
  await page.click('#ri-next');
  await page.waitForSelector('#ri-confirm');
  t.ok((await page.textContent('#ri-c-fee')).includes('無料'), 'R-RI-6 the confirmation shows the fee: free');
  t.ok((await page.textContent('#ri-c-date')).includes(when), '  the revocation date of the original');
  t.ok((await page.textContent('#ri-confirm')).includes('ri-shop.co.jp'), '  and the names');
  await shot('confirm');
  await page.click('#ri-submit');
  await page.waitForSelector('#ri-done');
  t.ok((await page.textContent('#ri-receipt')).startsWith('R'), 'the done page shows the receipt number');
  await shot('done');
  await page.goto(`${server.url}/certificates/${serial}`);
  const row = await page.textContent(`#ri-history tr[data-serial="${serial}"]`);
  t.ok(row.includes('失効予定') && row.includes(when), 'R-RI-2 R-RI-7 the original is scheduled for revocation on its date');
  t.ok(!(await page.isVisible('#reissue-link')), '  and cannot be reissued again');
  const waiting = await page.textContent('#ri-history tr[data-state="pending"]');
  t.ok(waiting.includes('再発行手続き中'), 'R-RI-7 the reissue waiting for DCV is listed as 再発行手続き中');
  t.ok(await page.isVisible('#ri-history tr[data-state="pending"] a.ri-pending-order'), '  with a link to its order');
  await shot('history');
  // the refusal without consent answers 422 on purpose; anything else is a problem
  const others = problems.filter((m) => !m.includes('status of 422'));
  t.equal(others.length, 0, `no other console errors (${others.join('; ')})`);
  await context.close();
} catch (e) {
  t.ok(false, `reissue flow: ${e.message}`);
  if (server) console.log(server.log().split('\n').filter((l) => /level=(error|warn)/.test(l)).slice(0, 20).map((l) => `# ${l}`).join('\n'));
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  rmSync(work, { recursive: true, force: true });
}
t.done();

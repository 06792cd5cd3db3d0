// R-MNG-1 (list), R-MNG-2 (detail), R-DL-1 (downloads, re-download by mail) in a real
// browser, in Japanese and English: the list with its columns and status badges, the detail
// page with every download button (one download is taken and checked with openssl), the
// re-download mail confirmation. Certificates are issued with `shomei issue` and given to
// the user's organization (one with an order and product) with sqlite3: there is no CLI
// flag to issue for an organization. Screenshots: tests/browser/out/certs-*.png.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, outDir, serialOf, serverTools, startServer, Tap } from './lib.mjs';

const t = new Tap();
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(path.join(os.tmpdir(), 'shomei-certs-'));
let server;
let browser;
try {
  server = await startServer(['server.secure_cookies=false', 'ca.test_ca=true']); // shomei issue needs a test CA
  const { run, sql } = serverTools(server);
  run(['user', 'add', '--dir', server.dir, '--login', 'hanako', '--role', 'customer', '--email',
    'hanako@alpha-shop.example.jp', '--name', '山田花子', '--org-name', 'アルファ商店株式会社',
    '--password-stdin'], 'Cert-horse-77\n');
  // An English-speaking colleague in the same organization (the account language decides).
  run(['user', 'add', '--dir', server.dir, '--login', 'john', '--role', 'customer', '--email',
    'john@alpha-shop.example.jp', '--name', 'John Smith', '--org-name', 'tmp', '--locale', 'en',
    '--password-stdin'], 'Cert-horse-77\n');
  const csr = path.join(work, 'c.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', path.join(work, 'k.pem'), '-out', csr, '-subj', '/CN=www.alpha-shop.co.jp'],
  { stdio: 'ignore' });
  const issue = (...a) => serialOf(run(['issue', '--dir', server.dir, '--csr', csr, ...a]));
  const s1 = issue('--name', 'www.alpha-shop.co.jp', '--level', 'dv', '--days', '45');
  const s2 = issue('--name', 'shop.alpha-shop.co.jp', '--name', 'api.alpha-shop.co.jp', '--level',
    'ov', '--root', 'b', '--org', 'Alpha Shop KK', '--locality', 'Chiyoda', '--state', 'Tokyo',
    '--country', 'JP');
  const s3 = issue('--name', 'old.alpha-shop.co.jp', '--level', 'dv', '--days', '20');
  const org = sql("SELECT org_id FROM users WHERE login_id = 'hanako'");
  const now = Math.floor(Date.now() / 1000);
  const appl = JSON.stringify({ org: { name_ja: 'アルファ商店株式会社', name_en: 'Alpha Shop KK',
    tdb_code: '123456789' }, responsible: { dept: '情報システム部' } }).replace(/'/g, "''");
  sql(`BEGIN;
INSERT INTO products (code, name_ja, name_en, level, term_months, list_price, created_at)
  VALUES ('ov-1y', 'OV 1年', 'OV 1 year', 'ov', 12, 60000, ${now});
INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, cn, names, root_option,
  applicant, notify_email1, server_software, created_at, updated_at, idem_key)
  VALUES ('R20261129-00007', 'new', 'issued', (SELECT id FROM products WHERE code = 'ov-1y'),
  ${org}, 1, 'shop.alpha-shop.co.jp', '["shop.alpha-shop.co.jp","api.alpha-shop.co.jp"]', 'b',
  '${appl}', 'hanako@alpha-shop.example.jp', 'Apache', ${now}, ${now}, 'browser-1');
UPDATE certificates SET org_id = ${org};
UPDATE users SET org_id = ${org} WHERE login_id = 'john';
UPDATE certificates SET order_id = (SELECT id FROM orders WHERE receipt_no = 'R20261129-00007')
  WHERE serial = '${s2}';
UPDATE certificates SET state = 'revoked', revoked_at = ${now} WHERE serial = '${s3}';
COMMIT;`);

  browser = await launchBrowser();
  for (const lang of ['ja', 'en']) {
    const context = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US',
      viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    const shot = (name) => page.screenshot({ path: path.join(outDir, `certs-${name}-${lang}.png`),
      fullPage: true });
    await page.goto(`${server.url}/login?lang=${lang}`);
    await page.fill('#login_id', lang === 'ja' ? 'hanako' : 'john');
    await page.fill('#password', 'Cert-horse-77');
    await page.click('form[action="/login"] button[type=submit]');
    await page.waitForURL('**/dashboard');

    await page.goto(`${server.url}/certificates`);
    t.equal(await page.getAttribute('html', 'lang'), lang, `(${lang}) the page is in ${lang}`);
    const rows = await page.$$eval('tr.cert', (trs) => trs.map((tr) => tr.dataset.serial));
    t.equal(rows.join(' '), [s3, s1, s2].join(' '), `R-MNG-1 (${lang}) three certificates by expiry`);
    t.ok((await page.textContent(`tr[data-serial="${s2}"]`)).includes('R20261129-00007'),
      `R-MNG-1 (${lang}) the receipt number is in the row`);
    t.ok(await page.isVisible(`tr[data-serial="${s3}"] .status-revoked`),
      `R-MNG-1 (${lang}) the revoked certificate is marked`);
    await shot('list');
    await page.fill('#q', 'R20261129-00007');
    await page.click('form.cert-search button[type=submit]');
    await page.waitForLoadState();
    t.equal((await page.$$('tr.cert')).length, 1, `R-MNG-1 (${lang}) search by receipt number`);
    await shot('search');

    await page.click(`tr[data-serial="${s2}"] td.cn a`);
    await page.waitForURL(`**/certificates/${s2}`);
    t.equal(await page.$$eval('#downloads a', (as) => as.length), 6,
      `R-DL-1 (${lang}) six download buttons`);
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.click('#downloads a[data-format="fullchain"]')]);
    const file = path.join(work, `fullchain-${lang}.pem`);
    await dl.saveAs(file);
    t.ok(dl.suggestedFilename() === `shop.alpha-shop.co.jp-${s2}.fullchain.pem`,
      `R-DL-1 (${lang}) the download is named <cn>-<serial>`, dl.suggestedFilename());
    const rootB = path.join(work, 'root-b.pem');
    const chain = run(['ca', 'chain', '--dir', server.dir, '--level', 'ov', '--root', 'b']).toString();
    const certs = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g);
    execFileSync('sh', ['-c', `cat > ${rootB}`], { input: certs[certs.length - 1] });
    let verified = true;
    try {
      execFileSync('openssl', ['verify', '-CAfile', rootB, '-untrusted', file, file], { stdio: 'ignore' });
    } catch {
      verified = false;
    }
    t.ok(verified, `R-DL-1 (${lang}) the downloaded full chain verifies with openssl`);
    await shot('detail');
    await page.selectOption('#mail-format', 'p7b');
    await page.click('#mail-form button[type=submit]');
    await page.waitForURL('**mailed=p7b');
    t.ok(await page.isVisible('#mailed'), `R-DL-1 (${lang}) the re-download mail is confirmed`);
    await shot('mailed');
    await page.goto(`${server.url}/certificates/${s3}`);
    t.ok(!(await page.isVisible('#downloads')), `R-MNG-2 (${lang}) a revoked certificate offers no download`);
    await shot('revoked');
    t.ok(problems.length === 0, `(${lang}) no console errors (CSP, scripts)`, problems.join('\n'));
    await context.close();
  }
  t.equal(sql("SELECT COUNT(*) FROM outbox WHERE tmpl = 'cert_redownload'"), '2',
    'R-DL-1 two re-download mails queued');
  readFileSync(path.join(outDir, 'certs-list-ja.png'));
} catch (err) {
  t.ok(false, 'certificate pages in a browser', err.stack);
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  rmSync(work, { recursive: true, force: true });
  t.done();
}

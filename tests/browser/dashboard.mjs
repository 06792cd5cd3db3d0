// issue 12 items 1 and 2 (R-MNG-1, R-MNG-3) in a real browser, in Japanese and English: the
// dashboard with its expiry chart (inline SVG, 12 bars, no script) and the table beside it,
// the renewable count and the waiting orders; the reseller's customers; the certificate list
// with filters (a month bar leads to the list filtered to that month), the column choice,
// paging to the last page, and the CSV download of the selected rows. Data: the seed of
// tests/it/mng_data.py through sqlite3. Screenshots: tests/browser/out/dashboard-*.png.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tap, launchBrowser, outDir, startServer, top } from './lib.mjs';

const t = new Tap();
const bin = process.env.SHOMEI_BIN || path.join(top, 'build/asan/shomei');
mkdirSync(outDir, { recursive: true });
let server;
let browser;
try {
  server = await startServer(['server.secure_cookies=false', 'ca.test_ca=true']);
  const env = { ...process.env, SHOMEI_CA_PASSPHRASE: process.env.SHOMEI_CA_PASSPHRASE || 'browser-test' };
  const run = (args, input) => execFileSync(bin, args, { env, input, stdio: ['pipe', 'pipe', 'pipe'] });
  const db = path.join(server.dir, 'shomei.db');
  const sql = (q) => execFileSync('sqlite3', ['-batch', '-cmd', '.timeout 10000', db],
    { input: q, encoding: 'utf8' }).trim();
  const pw = 'Dash-horse-77\n';
  const add = (...a) => run(['user', 'add', '--dir', server.dir, '--password-stdin', ...a], pw);
  add('--login', 'hanako', '--role', 'customer', '--email', 'hanako@alpha.example.jp', '--name',
    '山田花子', '--org-name', 'アルファ商店株式会社');
  add('--login', 'john', '--role', 'customer', '--email', 'john@alpha.example.jp', '--name',
    'John Smith', '--org-name', 'tmp', '--locale', 'en');
  add('--login', 'bobby', '--role', 'customer', '--email', 'bob@b.example.jp', '--name', 'Bob',
    '--org-name', 'Bobsecret');
  add('--login', 'resel', '--role', 'reseller', '--email', 'r@resel.example.jp', '--name',
    '販売店', '--org-name', 'リセール株式会社');
  add('--login', 'cust-one', '--role', 'customer', '--email', 'm1@m1.example.jp', '--name', 'M1',
    '--org-name', '顧客一', '--reseller', 'resel');
  add('--login', 'cust-two', '--role', 'customer', '--email', 'm2@m2.example.jp', '--name', 'M2',
    '--org-name', '顧客二', '--reseller', 'resel');
  const org = (l) => sql(`SELECT org_id FROM users WHERE login_id = '${l}'`);
  const now = Math.floor(Date.now() / 1000);
  sql(`INSERT INTO products (code, name_ja, name_en, level, term_months, list_price, created_at)
  VALUES ('ov-1y', 'OV 1年', 'OV 1 year', 'ov', 12, 60000, ${now}),
  ('dv-1y', 'DV 1年', 'DV 1 year', 'dv', 12, 20000, ${now});
UPDATE users SET org_id = ${org('hanako')} WHERE login_id = 'john';`);
  const seed = execFileSync('/usr/bin/python3', [path.join(top, 'tests/it/mng_data.py'), 'seed',
    String(now), org('hanako'), org('bobby'), org('cust-one'), org('cust-two'),
    sql("SELECT id FROM users WHERE login_id = 'hanako'")], { encoding: 'utf8' });
  sql(seed);

  browser = await launchBrowser();
  for (const lang of ['ja', 'en']) {
    const context = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US',
      viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    const shot = (name) => page.screenshot({ path: path.join(outDir, `dashboard-${name}-${lang}.png`),
      fullPage: true });
    const login = async (who) => {
      await page.goto(`${server.url}/login?lang=${lang}`);
      await page.fill('#login_id', who);
      await page.fill('#password', 'Dash-horse-77');
      await page.click('form[action="/login"] button[type=submit]');
      await page.waitForURL('**/dashboard');
    };
    await login(lang === 'ja' ? 'hanako' : 'john');
    t.equal(await page.getAttribute('html', 'lang'), lang, `(${lang}) the dashboard is in ${lang}`);
    t.equal((await page.$$('#expiry-chart g.bar rect')).length, 12,
      `R-MNG-1 (${lang}) the chart has 12 bars`);
    const table = await page.$$eval('#expiry-table tbody td.num', (tds) => tds.map((d) => d.textContent));
    const labels = await page.$$eval('#expiry-chart text.count', (ts) => ts.map((d) => d.textContent));
    t.equal(labels.join(','), table.join(','), `R-MNG-1 (${lang}) chart and table show the same counts`);
    t.ok(Number(await page.textContent('#renewable')) > 0, `R-MNG-1 (${lang}) renewable count shown`);
    t.equal((await page.$$('#waiting-orders li')).length, 3, `R-MNG-1 (${lang}) three waiting orders`);
    t.ok(!(await page.content()).toLowerCase().includes('bobsecret'), `R-ACT-1 (${lang}) nothing of B`);
    await shot('customer');
    // the busiest month's bar leads to the list filtered to that month
    const counts = table.map(Number);
    const i = counts.indexOf(Math.max(...counts));
    await page.click(`#expiry-chart g.bar:nth-of-type(${i + 1}) a`);
    await page.waitForURL('**/certificates?**');
    t.equal((await page.$$('tr.cert')).length, counts[i],
      `R-MNG-1 (${lang}) the month's bar opens the list of that month's certificates`);
    await shot('list-month');
    await page.goto(`${server.url}/certificates`);
    t.equal((await page.$$('tr.cert')).length, 50, `R-MNG-1 (${lang}) the list shows 50 per page`);
    await page.selectOption('#f-state', 'revoked');
    await page.click('#cert-filter button[type=submit]');
    await page.waitForLoadState();
    t.equal((await page.$$('tr.cert')).length, 7, `R-MNG-1 (${lang}) the state filter`);
    await page.goto(`${server.url}/certificates`);
    await page.click('#last');
    await page.waitForLoadState();
    t.equal((await page.$$('tr.cert')).length, 50, `R-MNG-1 (${lang}) the last page`);
    // column choice
    await page.click('#cert-columns summary');
    for (const c of ['dept', 'start']) await page.uncheck(`#cert-columns input[value="${c}"]`);
    await page.check('#cert-columns input[value="level"]');
    await page.click('#save-columns');
    await page.waitForURL('**saved=1');
    const heads = await page.$$eval('#cert-table thead th', (ths) => ths.length);
    t.equal(heads, 1 + 8, `R-MNG-1 (${lang}) the chosen columns are shown`);
    await shot('list');
    // CSV of two selected rows
    const boxes = await page.$$('tr.cert input[name=id]');
    await boxes[0].check();
    await boxes[1].check();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#csv-selected')]);
    const csv = readFileSync(await dl.path());
    t.ok(csv[0] === 0xef && csv[1] === 0xbb && csv[2] === 0xbf, `R-MNG-3 (${lang}) CSV starts with a BOM`);
    t.equal(csv.toString('utf8').trimEnd().split('\r\n').length, 3,
      `R-MNG-3 (${lang}) the header and the two selected rows`);
    t.equal(dl.suggestedFilename(), 'certificates.csv', `R-MNG-3 (${lang}) named certificates.csv`);
    await context.close();
    t.ok(problems.length === 0, `(${lang}) no console errors (CSP, scripts)`, problems.join('\n'));

    const rc = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US',
      viewport: { width: 1280, height: 900 } });
    const rp = await rc.newPage();
    await rp.goto(`${server.url}/login?lang=${lang}`);
    await rp.fill('#login_id', 'resel');
    await rp.fill('#password', 'Dash-horse-77');
    await rp.click('form[action="/login"] button[type=submit]');
    await rp.waitForURL('**/dashboard');
    await rp.goto(`${server.url}/dashboard?lang=${lang}`);
    t.equal((await rp.$$('#customers-table tbody tr')).length, 2,
      `R-MNG-1 (${lang}) the reseller sees its two customers`);
    await rp.screenshot({ path: path.join(outDir, `dashboard-reseller-${lang}.png`), fullPage: true });
    await rc.close();
  }
} catch (err) {
  t.ok(false, 'dashboard and list in a browser', err.stack);
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  t.done();
}

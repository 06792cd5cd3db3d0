// R-APP-2 in a real browser: the application wizard step by step in Japanese (product,
// term, applicant data with the messages beside the fields R-APP-4, billing, CSR, DCV per
// domain with the CSR subject beside the application's R-CSR-2, confirmation with the
// agreement tick, done page with the receipt number), the order page with its ETA, and
// one run in English (DV). Screenshots: tests/browser/out/portal-*.png.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Tap, launchBrowser, makeCsr, outDir, startServer, top } from './lib.mjs';

const t = new Tap();
const bin = process.env.SHOMEI_BIN || path.join(top, 'build/asan/shomei');
mkdirSync(outDir, { recursive: true });
let server;
let browser;

// The test data directory has no catalog: two products go in with SQL.
function seedProducts(dir) {
  execFileSync('sqlite3', ['-batch', '-cmd', '.timeout 10000', path.join(dir, 'shomei.db'),
    `INSERT INTO products (code, name_ja, name_en, level, term_months, list_price,
       review_days_min, review_days_max, root_options, created_at)
     VALUES ('dv-1y', 'DV 1年', 'DV 1 year', 'dv', 12, 9800, 0, 1, 'a,b', 0),
            ('ov-1y', 'OV 1年', 'OV 1 year', 'ov', 12, 48000, 1, 5, 'a,b', 0),
            ('ov-2y', 'OV 2年', 'OV 2 years', 'ov', 24, 90000, 1, 5, 'a,b', 0)`]);
}

function addUser(dir, login, locale) {
  const env = { ...process.env,
    SHOMEI_CA_PASSPHRASE: process.env.SHOMEI_CA_PASSPHRASE || 'browser-test' };
  execFileSync(bin, ['user', 'add', '--dir', dir, '--login', login, '--role', 'customer',
    '--email', `${login}@example.jp`, '--name', login, '--org-name', `${login} org`,
    '--locale', locale, '--password-stdin'],
  { env, input: 'Portal-horse-99\n', stdio: ['pipe', 'ignore', 'pipe'] });
}

try {
  server = await startServer(['server.secure_cookies=false', 'portal.maintenance=none']);
  seedProducts(server.dir);
  addUser(server.dir, 'hanako', 'ja');
  addUser(server.dir, 'john', 'en');
  const csr = makeCsr(path.join(outDir, 'tmp'), 'portal',
    { subj: '/CN=www.browser-test.co.jp/O=CSR Org Name/C=JP' });
  browser = await launchBrowser();

  const run = async (login, lang, product) => {
    const context = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US',
      viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) &&
      problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    const shot = (name) => page.screenshot({ path: path.join(outDir, `portal-${lang}-${name}.png`),
      fullPage: true });
    const next = async () => {
      await page.click('button[name=go][value=next]');
      await page.waitForLoadState();
    };
    const cur = async () => Number((await page.textContent('.pf-steps li.cur .pf-n')).trim());

    await page.goto(`${server.url}/login`);
    await page.fill('#login_id', login);
    await page.fill('#password', 'Portal-horse-99');
    await page.click('form[action="/login"] button[type=submit]');
    await page.waitForURL('**/dashboard');
    await page.goto(`${server.url}/apply`);
    t.equal(await page.getAttribute('html', 'lang'), lang, `${lang}: the wizard in ${lang}`);
    await shot('1-product');
    await page.check(`input[name=product][value=${product}]`);
    await next();
    t.equal(await cur(), 2, `${lang}: step 2 (term)`);
    await shot('2-term');
    await next();
    t.equal(await cur(), 3, `${lang}: step 3 (applicant)`);
    if (product === 'ov-1y') {
      await next(); // empty: every message beside its field
      t.ok(await page.isVisible('.field-error[data-field="org.name_ja"]'),
        `${lang}: R-APP-4 the organization name message beside the field`);
      await shot('3-applicant-errors');
      const fill = {
        '#f-cn': 'www.browser-test.co.jp', '#f-org-name_ja': '株式会社ブラウザ試験',
        '#f-org-name_en': 'Browser Test K.K.', '#f-org-reg_no': '010001123456',
        '#f-org-rep_name': '山田 一郎', '#f-org-postal': '100-0001', '#f-org-city': '千代田区',
        '#f-org-street': '千代田1-1', '#f-org-building': 'なし', '#f-org-phone': '03-1234-5678',
        '#f-subject_l': 'Chiyoda-ku', '#f-subject_st': 'Tokyo', '#f-resp-name': '山田 太郎',
        '#f-resp-name_kana': 'やまだ たろう', '#f-resp-dept': '情報システム部',
        '#f-resp-title': '部長', '#f-resp-phone': '03-1234-5679', '#f-org-birth_date': '',
      };
      for (const [sel, v] of Object.entries(fill)) await page.fill(sel, v);
      await page.selectOption('#f-org-entity_type', '株式会社');
      await page.selectOption('#f-org-category', 'private');
      await page.selectOption('#f-org-pref', '東京都');
    } else {
      await page.fill('#f-cn', 'www.browser-test.co.jp');
    }
    await shot('3-applicant');
    await next();
    t.equal(await cur(), 4, `${lang}: step 4 (billing)`);
    const contact = {
      '#f-contact-org': '株式会社ブラウザ試験', '#f-contact-name': '佐藤 花子',
      '#f-contact-name_kana': 'さとう はなこ', '#f-contact-postal': '100-0001',
      '#f-contact-city': '千代田区', '#f-contact-street': '千代田1-1',
      '#f-contact-phone': '03-1234-5670', '#f-contact-email': 'sato@browser-test.co.jp',
      '#f-notify_email1': 'cert@browser-test.co.jp',
    };
    for (const [sel, v] of Object.entries(contact)) await page.fill(sel, v);
    await page.selectOption('#f-contact-pref', '東京都');
    await page.check('#f-billing_same');
    await shot('4-billing');
    await next();
    t.equal(await cur(), 5, `${lang}: step 5 (CSR)`);
    await page.fill('#f-csr', csr.pem);
    await shot('5-csr');
    await next();
    t.equal(await cur(), 6, `${lang}: step 6 (DCV per domain)`);
    t.ok(await page.isVisible('.pf-cmp'),
      `${lang}: R-CSR-2 the CSR subject beside the application's`);
    t.equal(await page.locator('.pf-dcv select').count(), 2, `${lang}: one method per domain`);
    await page.selectOption('select[name="dcv:browser-test.co.jp"]', 'http');
    await shot('6-dcv');
    await next();
    t.equal(await cur(), 7, `${lang}: step 7 (confirmation)`);
    await page.click('button[name=go][value=submit]'); // no tick
    await page.waitForLoadState();
    t.ok(await page.isVisible('.field-error[data-field="agree"]'),
      `${lang}: the agreement is required`);
    await page.check('#f-agree');
    await shot('7-confirm');
    await page.click('button[name=go][value=submit]');
    await page.waitForURL('**/apply/done/*');
    const orderId = page.url().split('/').pop();
    const receipt = (await page.textContent('#receipt-no')).trim();
    t.ok(/^R\d{8}-\d{5}$/.test(receipt), `${lang}: the done page shows the receipt number`,
      receipt);
    t.ok(await page.isVisible('#apply-another'), `${lang}: "apply for another product"`);
    await shot('8-done');
    await page.click('a[href^="/orders/"]');
    await page.waitForLoadState();
    t.ok((await page.textContent('#receipt-no')).includes(receipt), `${lang}: the order page`);
    await shot('9-order');
    await page.goto(`${server.url}/orders`);
    await shot('10-orders');
    await page.goto(`${server.url}/orders/${orderId}/edit`);
    t.equal(await page.inputValue('#f-cn'), 'www.browser-test.co.jp',
      `${lang}: R-APP-1 the re-application page is filled from the order`);
    await shot('11-reapply');
    t.equal(problems.length, 0, `${lang}: no console errors`);
    await context.close();
  };
  await run('hanako', 'ja', 'ov-1y');
  await run('john', 'en', 'dv-1y');
} catch (e) {
  t.ok(false, 'the portal pages run', e.stack || e);
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  t.done();
}

// R-PRD-1, R-PAY-1, R-VAL-4, R-VAL-6, R-VAL-7, R-CAL-1 in a real browser: an admin
// creates an OV product on the product pages (a bad value first: the message beside the
// field), a customer applies through the JSON API, the officer opens the queue (oldest
// first, completion date), the order page, confirms the payment, records a phone
// verification (the missing number source refused beside its field first) and puts the
// order on hold with a document request. Screenshots in ja and en:
// tests/browser/out/officer-*.png. No console errors (CSP) allowed.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, login as logIn, makeCsr, newPage, outDir, startServer, Tap, top } from './lib.mjs';

const t = new Tap();
const bin = process.env.SHOMEI_BIN || path.join(top, 'build/asan/shomei');
mkdirSync(outDir, { recursive: true });
const PW = 'Officer-horse-77';
let server;
let browser;
try {
  server = await startServer();
  const env = { ...process.env,
    SHOMEI_CA_PASSPHRASE: process.env.SHOMEI_CA_PASSPHRASE || 'browser-test' };
  const addUser = (...args) => execFileSync(bin, ['user', 'add', '--dir', server.dir, ...args,
    '--password-stdin'], { env, input: `${PW}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  addUser('--login', 'boss', '--role', 'admin', '--email', 'boss@ca.example', '--name', '管理 太郎');
  addUser('--login', 'vetter', '--role', 'officer', '--email', 'v@ca.example', '--name', '審査 一郎');
  addUser('--login', 'kaisha', '--role', 'customer', '--email', 'ssl@shomei-vet.com', '--name',
    '山田 太郎', '--org-name', '株式会社ショウメイ検証');
  browser = await launchBrowser();
  const problems = [];
  // Form errors answer 422 / 409 and the customer's try of an officer page 404 by design.
  const open = (locale) => newPage(browser, locale, problems, /status of 4(22|09|04)/);
  const login = (page, who) => logIn(page, server.url, who, PW);
  const shot = (page, name) =>
    page.screenshot({ path: path.join(outDir, `officer-${name}.png`), fullPage: true });

  // ---- the admin creates the product (R-PRD-1) ----
  const admin = await open('ja-JP');
  await login(admin, 'boss');
  await admin.goto(`${server.url}/admin/products/new`);
  await admin.fill('#p-code', 'OV 1Y');
  await admin.fill('#p-name-ja', 'OV 証明書 1年');
  await admin.fill('#p-name-en', 'OV certificate 1 year');
  await admin.check('input[name=level][value=ov]');
  await admin.fill('#p-term', '12');
  await admin.fill('#p-sans-inc', '1');
  await admin.fill('#p-sans-max', '1');
  await admin.fill('#p-price', '68000');
  await admin.fill('#p-extra', '0');
  await admin.check('input[name=reissue_mode][value=free]');
  await admin.fill('#p-rmin', '1');
  await admin.fill('#p-rmax', '5');
  await admin.click('#product-form button[type=submit]');
  await admin.waitForLoadState();
  t.ok(await admin.isVisible('.field-error[data-field="code"]'),
    'R-PRD-1 a bad code gets its message beside the field');
  await shot(admin, 'product-error-ja');
  await admin.fill('#p-code', 'ov-1y');
  await admin.click('#product-form button[type=submit]');
  await admin.waitForURL(/\/admin\/products\/\d+\?saved=1/);
  t.ok(await admin.isVisible('#saved'), 'R-PRD-1 the product is saved');
  await shot(admin, 'product-form-ja');
  await admin.goto(`${server.url}/admin/products`);
  t.ok(await admin.isVisible('tr[data-code="ov-1y"]'), 'R-PRD-1 the product is listed');
  await shot(admin, 'products-ja');
  // issue 8 item 9: the headers wrap between words only (no one-character-per-line columns), the
  // reissue rule is in words
  const hs = await admin.$$eval('#products thead th', (ths) =>
    ths.map((th) => th.getBoundingClientRect().height));
  t.ok(Math.max(...hs) < 2.6 * Math.min(...hs),
    'issue 8 item 9: product table headers wrap at most once (never a character per line)',
    `heights ${hs.join(', ')}`);
  t.ok(!(await admin.textContent('#products')).includes('after:'),
    'issue 8 item 9: no raw reissue rule in the product table');
  await admin.goto(`${server.url}/admin/products?lang=en`);
  await shot(admin, 'products-en');

  // ---- the customer applies through the API ----
  const cust = await open('ja-JP');
  await login(cust, 'kaisha');
  await cust.goto(`${server.url}/account/keys`);
  await cust.fill('#label', 'script');
  await cust.click('form[action="/account/keys"] button[type=submit]');
  const key = (await cust.textContent('#new-key')).trim();
  const tmp = path.join(top, 'build', 'browser-officer');
  const apply = async (cn, ou) => {
    const csr = makeCsr(tmp, cn, { subj: `/C=JP/O=Shomei Vet K.K./OU=${ou}/CN=${cn}` });
    const body = {
      product: 'ov-1y', csr: csr.pem, cn, dcv_method: 'http', root: 'a',
      subject_l: 'Chiyoda-ku', subject_st: 'Tokyo', notify_emails: ['ssl@shomei-vet.com'],
      org: { name_ja: '株式会社ショウメイ検証', name_en: 'Shomei Vet K.K.', building: 'なし',
        reg_no: '000012050002', rep_name: '代表 太郎', entity_type: '株式会社',
        tdb_code: '123456789', category: 'private', postal: '100-0001', pref: '東京都',
        city: '千代田区', street: '千代田1-1', phone: '03-1234-5678' },
      resp: { name: '責任 花子', name_kana: 'せきにん はなこ', dept: '情報システム部',
        title: '部長', phone: '03-1234-5679' },
      contact: { org: '株式会社ショウメイ検証', dept: '情報システム部', name: '山田 太郎',
        name_kana: 'やまだ たろう', postal: '100-0001', pref: '東京都', city: '千代田区',
        street: '千代田1-1', phone: '03-1234-5678', email: 'ssl@shomei-vet.com' },
      billing_same: true,
    };
    const res = await fetch(`${server.url}/api/v1/orders`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    });
    const j = await res.json();
    t.equal(res.status, 201, `an order for ${cn} is applied for`);
    return j;
  };
  const o1 = await apply('www.shomei-vet.com', 'Web Team');
  const o2 = await apply('shop.shomei-vet.com', 'Shop');

  // ---- the officer (R-VAL-7, R-CAL-1, R-PAY-1, R-VAL-4, R-VAL-6) ----
  const off = await open('ja-JP');
  await login(off, 'vetter');
  await off.goto(`${server.url}/officer`);
  const ids = await off.$$eval('#queue tr.order', (rows) => rows.map((r) => r.dataset.id));
  t.equal(ids.join(','), `${o1.id},${o2.id}`, 'R-VAL-7 the queue is sorted oldest first');
  const eta = await off.textContent(`#queue tr[data-id="${o1.id}"] td:nth-child(7)`);
  t.ok(/\d{4}-\d{2}-\d{2}/.test(eta), 'R-CAL-1 the queue shows the completion date', eta);
  await shot(off, 'queue-ja');
  await off.goto(`${server.url}/officer?lang=en`);
  await shot(off, 'queue-en');
  await off.goto(`${server.url}/officer/orders/${o1.id}?lang=ja`);
  t.ok((await off.textContent('#receipt-no')) === o1.receipt_no,
    'the order page shows the receipt number');
  await shot(off, 'order-unpaid-ja');
  await off.click('#f-pay button[type=submit]');
  await off.waitForURL('**?done=paid');
  t.ok((await off.textContent('#order-state')).includes('審査中'), 'R-PAY-1 the order is in vetting');
  // phone verification without the number's source: refused beside the field
  await off.selectOption('#c-kind', 'phone');
  await off.check('input[name=result][value=ok]');
  await off.fill('#c-source', 'NTT 番号案内');
  await off.fill('#c-phone', '03-1234-5679');
  await off.fill('#c-callee', '責任 花子');
  await off.fill('#c-at', '2026-11-30T10:15');
  await off.click('#f-check button[type=submit]');
  await off.waitForLoadState();
  t.ok(await off.isVisible('.field-error[data-field="phone_source"]'),
    'R-VAL-4 a phone check without the number source: message beside the field');
  await shot(off, 'order-check-error-ja');
  await off.fill('#c-psrc', 'タウンページ（第三者の番号案内）');
  await off.click('#f-check button[type=submit]');
  await off.waitForURL('**?done=checked');
  t.ok((await off.textContent('#checks')).includes('タウンページ'),
    'R-VAL-4 the phone verification is recorded with its number source');
  await shot(off, 'order-vetting-ja');
  await off.goto(`${server.url}/officer/orders/${o1.id}?lang=en`);
  await shot(off, 'order-vetting-en');
  await off.goto(`${server.url}/officer/orders/${o1.id}?lang=ja`);
  await off.check('input[name=doc_phone_bill]');
  await off.fill('#hold-note', '最新の電話料金請求書のコピーをアップロードしてください。');
  await off.click('#f-hold button[type=submit]');
  await off.waitForURL('**?done=held');
  t.ok((await off.textContent('#order-state')).includes('保留'), 'R-VAL-6 the order is on hold');
  t.ok(await off.isVisible('#mails tr[data-tmpl="order_hold"]') &&
    (await off.textContent('#mails')).includes('審査保留・書類提出のお願い'),
    'R-VAL-6 the customer is mailed the request (listed with the order, named in words)');
  await shot(off, 'order-hold-ja');
  await off.goto(`${server.url}/officer?state=on_hold`);
  t.ok(await off.isVisible(`#queue tr[data-id="${o1.id}"]`), 'the on-hold filter shows the order');

  // the customer gets 404 on the officer pages
  const r404 = await cust.goto(`${server.url}/officer/orders/${o1.id}`);
  t.equal(r404.status(), 404, 'R-ACT-1 a customer gets 404 on the officer order page');
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
  t.done();
}

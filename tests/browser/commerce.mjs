// Issue 12 items 3-5 (R-QUO-1, R-CRT-1, R-PRD-2, R-PAY-1) in a real browser, in Japanese
// and English: the quote page (a refusal for 0 SANs beside the field, nothing kept but what
// was typed), the quote PDF made from it (rendered to PNG with pdftoppm and shown in the
// browser), adding to the cart from the quote page, the cart with its completion states,
// the renewable count and the refusal to order an incomplete cart, and the admin's price
// page. Screenshots: tests/browser/out/commerce-*-{ja,en}.png.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, login, newPage, outDir, serverTools, startServer, Tap } from './lib.mjs';

const t = new Tap();
const wide = { width: 1280, height: 900 }; // the pages' viewport
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(path.join(os.tmpdir(), 'shomei-commerce-'));
let server;
let browser;
try {
  server = await startServer(['server.secure_cookies=false', 'portal.maintenance=none']);
  const { run, sql } = serverTools(server);
  run(['user', 'add', '--dir', server.dir, '--login', 'hanako', '--role', 'customer', '--email',
    'hanako@shop.example.jp', '--name', '山田花子', '--org-name', '見積商事株式会社',
    '--password-stdin'], 'Commerce-horse-77\n');
  run(['user', 'add', '--dir', server.dir, '--login', 'boss', '--role', 'admin', '--email',
    'boss@ca.example.jp', '--name', '管理太郎', '--password-stdin'], 'Commerce-horse-77\n');
  const now = Math.floor(Date.now() / 1000);
  sql(`INSERT INTO products (code, name_ja, name_en, level, term_months, multi_domain, sans_included,
    sans_max, list_price, extra_san_price, review_days_max, root_options, created_at) VALUES
    ('ov-1y', 'OV 証明書 1年', 'OV certificate, 1 year', 'ov', 12, 0, 1, 1, 60000, 0, 5, 'a,b', ${now}),
    ('ov-multi-1y', 'OV マルチドメイン証明書 1年', 'OV multi-domain certificate, 1 year', 'ov', 12, 1, 5,
     100, 120000, 12000, 5, 'a,b', ${now});`);

  browser = await launchBrowser();
  for (const lang of ['ja', 'en']) {
    // the user's own language wins over the cookie; each run is in the user's language
    sql(`UPDATE users SET locale = '${lang}' WHERE login_id IN ('hanako', 'boss')`);
    const problems = [];
    const page = await newPage(browser, lang === 'ja' ? 'ja-JP' : 'en-US', problems, null, wide);
    const context = page.context();
    const shot = (name) => page.screenshot({ path: path.join(outDir, `commerce-${name}-${lang}.png`), fullPage: true });
    await login(page, server.url, 'hanako', 'Commerce-horse-77', `?lang=${lang}`);

    // ---- the quote page ----
    await page.goto(`${server.url}/quote?lang=${lang}`);
    t.equal(await page.textContent('h1'), lang === 'ja' ? '見積書の作成' : 'Make a quote',
      `R-QUO-1 the quote page (${lang})`);
    t.ok(await page.isVisible('nav a[href="/cart"]'), `  the navigation links the cart (${lang})`);
    await page.selectOption('#q-product', 'ov-multi-1y');
    await page.fill('#q-sans', '0');
    await page.fill('#q-domain', 'www.mitsumori.co.jp');
    await page.click('#quote-pdf');
    await page.waitForSelector('p.field-error[data-field="sans"]');
    t.ok((await page.textContent('p.field-error[data-field="sans"]'))
      .includes(lang === 'ja' ? 'ドメイン数は1以上' : 'number of names'),
    `  0 SANs: refused beside the field (${lang})`);
    t.equal(await page.inputValue('#q-domain'), 'www.mitsumori.co.jp', `  what was typed is kept (${lang})`);
    await shot('quote-error');
    await page.fill('#q-sans', '8');
    await page.fill('#q-recipient', '取引先株式会社');
    await shot('quote');
    // the PDF: the same form posted with the page's session and token
    const csrf = await page.getAttribute('#quote-form input[name=csrf]', 'value');
    const res = await context.request.post(`${server.url}/quote`, {
      form: { csrf, product: 'ov-multi-1y', sans: '8', domain: 'www.mitsumori.co.jp', recipient: '取引先株式会社' },
    });
    t.equal(res.headers()['content-type'], 'application/pdf', `  the quote PDF (${lang})`);
    const pdf = path.join(work, `quote-${lang}.pdf`);
    writeFileSync(pdf, await res.body());
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).replace(/ +/g, ' ');
    t.ok(text.includes('御 見 積 書') && text.includes('取引先株式会社 御中'),
      `  pdftotext: 御見積書 to 取引先株式会社 御中 (${lang})`);
    t.ok(text.includes('合計（税込） ¥171,600'), `  the total: 156,000 + 10 % = 171,600 (${lang})`);
    execFileSync('pdftoppm', ['-png', '-r', '70', '-singlefile', pdf, path.join(work, `quote-${lang}`)]);
    await page.goto(`file://${path.join(work, `quote-${lang}.png`)}`);
    await shot('quote-pdf');

    // ---- the cart ----
    await page.goto(`${server.url}/quote`);
    await page.selectOption('#q-product', 'ov-1y');
    await page.fill('#q-sans', '1');
    await page.fill('#q-domain', `a-${lang}.mitsumori.co.jp`);
    await page.click('#quote-cart');
    await page.waitForURL('**/cart?done=added');
    t.ok(await page.isVisible('#cart-done'), `R-CRT-1 added to the cart from the quote page (${lang})`);
    await page.selectOption('#a-product', 'ov-multi-1y');
    await page.fill('#a-sans', '6');
    await page.fill('#a-domain', `b-${lang}.mitsumori.co.jp`);
    await page.click('#cart-add');
    await page.waitForURL('**/cart?done=added');
    t.equal(await page.locator('#cart-items tr[data-complete="0"]').count(), 2,
      `  two items, both not registered (${lang})`);
    t.equal(await page.getAttribute('#cart-renewable strong', 'data-count'), '0', `  the renewable count is shown (${lang})`);
    await shot('cart');
    await page.click('#cart-checkout');
    await page.waitForSelector('#cart-error');
    t.ok((await page.textContent('#cart-error')).includes(lang === 'ja' ? '登録してください' : 'register the application'),
      `  ordering an incomplete cart is refused, saying why (${lang})`);
    await shot('cart-incomplete');
    // empty the cart for the next language
    for (let i = 0; i < 2; i++) {
      await page.goto(`${server.url}/cart`);
      await page.click('#cart-items tbody tr:first-child button');
      await page.waitForURL('**/cart');
    }
    const others = problems.filter((m) => !/status of 4(09|22)/.test(m));
    t.equal(others.length, 0, `no other console errors (${lang}: ${others.join('; ')})`);
    await context.close();
  }

  // ---- the admin's price page (one login, both languages) ----
  {
    const page = await newPage(browser, 'ja-JP', [], null, wide);
    const context = page.context();
    await login(page, server.url, 'boss', 'Commerce-horse-77', '?lang=ja');
    for (const lang of ['ja', 'en']) {
      sql(`UPDATE users SET locale = '${lang}' WHERE login_id = 'boss'`);
      await page.goto(`${server.url}/admin/prices?lang=${lang}`);
      const org = await page.$eval('#g-org', (s) => [...s.options].find((o) => o.text.includes('見積商事')).value);
      await page.selectOption('#g-org', org);
      await page.selectOption('#g-product', { label: 'ov-multi-1y' });
      await page.fill('#g-price', '-100');
      await page.click('#agreement-save');
      await page.waitForSelector('p.field-error[data-field="price"]');
      t.ok((await page.textContent('p.field-error[data-field="price"]'))
        .includes(lang === 'ja' ? '0〜999,999,999円' : '0 to 999,999,999'),
      `R-PRD-2 a negative agreement price is refused beside the field (${lang})`);
      await page.screenshot({ path: path.join(outDir, `commerce-prices-${lang}.png`), fullPage: true });
    }
    await context.close();
  }
} catch (e) {
  t.ok(false, 'the commerce pages run without an exception', e.stack || String(e));
  if (server) console.log(`# server log:\n# ${server.log().split('\n').slice(-30).join('\n# ')}`);
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  rmSync(work, { recursive: true, force: true });
}
t.done();

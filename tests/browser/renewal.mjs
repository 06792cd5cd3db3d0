// Issue 9 items 2, 7 and 8: the renewal flow in a real browser, in Japanese and in
// English (R-APP-1 renewal, R-REN-2, R-REN-3, R-MNG-5). A certificate in a subscription
// whose renewal window is open (ends in 30 days) shows "更新申込" / "Apply for renewal"; it
// opens the wizard prefilled from the previous order (product, CN, contact, notification
// address, CSR, the DCV method of each name); changing the CN is refused with a message and a
// link to a new application (which opens the wizard as a replacement, R-REN-3); the
// unchanged renewal is submitted and becomes a renewal order of that certificate. The
// notification addresses are changed on their own page (R-MNG-5). The certificate is
// issued with `shomei issue`; its order and subscription go in with sqlite3 (there is no
// CLI for them). Screenshots: tests/browser/out/renewal-*.png.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, makeCsr, outDir, serialOf, serverTools, startServer, Tap } from './lib.mjs';

const t = new Tap();
mkdirSync(outDir, { recursive: true });
let server;
let browser;

try {
  server = await startServer(['server.secure_cookies=false', 'ca.test_ca=true',
    'portal.maintenance=none']);
  const { run, sql } = serverTools(server);
  const now = Math.floor(Date.now() / 1000);
  sql(`INSERT INTO products (code, name_ja, name_en, level, term_months, list_price,
       review_days_min, review_days_max, root_options, created_at)
     VALUES ('dv-1y', 'DV 1年', 'DV 1 year', 'dv', 12, 9800, 0, 1, 'a,b', 0)`);

  // One customer per language, each with a certificate of a subscription ending in 30 days.
  const setup = (login, lang, domain) => {
    run(['user', 'add', '--dir', server.dir, '--login', login, '--role', 'customer', '--email',
      `${login}@${domain}`, '--name', login, '--org-name', `${login} org`, '--locale', lang,
      '--password-stdin'], 'Renew-horse-77\n');
    const cn = `www.${domain}`;
    const csr = makeCsr(path.join(outDir, 'tmp'), `renewal-${lang}`, { subj: `/CN=${cn}` });
    const serial = serialOf(run(['issue', '--dir', server.dir, '--csr', csr.pemPath, '--name', cn,
      '--name', domain, '--level', 'dv', '--days', '60']));
    const org = sql(`SELECT org_id FROM users WHERE login_id = '${login}'`);
    const contact = JSON.stringify({ org: 'リニュー商事株式会社', dept: '情報システム部',
      name: '更新 太郎', name_kana: 'こうしん たろう', postal: '100-0001', pref: '東京都',
      city: '千代田区', street: '千代田1-1', phone: '03-1111-2222', email: `ops@${domain}` });
    const q = (s) => s.replace(/'/g, "''");
    sql(`BEGIN;
INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, csr_pem, cn, names,
  root_option, applicant, contact, billing, notify_email1, amount, created_at, updated_at,
  idem_key)
  VALUES ('R20251201-0000${lang === 'ja' ? 1 : 2}', 'new', 'issued',
  (SELECT id FROM products WHERE code = 'dv-1y'), ${org},
  (SELECT id FROM users WHERE login_id = '${login}'), '${q(csr.pem)}', '${cn}',
  '["${cn}","${domain}"]', 'a', '{}', '${q(contact)}', '${q(contact)}', 'cert@${domain}', 9800,
  ${now - 335 * 86400}, ${now - 335 * 86400}, 'renewal-${lang}');
INSERT INTO order_domains (order_id, name, dcv_method, state, validated_at)
  VALUES ((SELECT MAX(id) FROM orders), '${cn}', 'dns', 'validated', ${now - 335 * 86400}),
         ((SELECT MAX(id) FROM orders), '${domain}', 'http', 'validated', ${now - 335 * 86400});
UPDATE certificates SET org_id = ${org}, order_id = (SELECT MAX(id) FROM orders)
  WHERE serial = '${serial}';
INSERT INTO subscriptions (org_id, product_id, first_order_id, starts_at, ends_at, state,
  created_at, updated_at)
  VALUES (${org}, (SELECT id FROM products WHERE code = 'dv-1y'), (SELECT MAX(id) FROM orders),
  ${now - 335 * 86400}, ${now + 30 * 86400}, 'active', ${now}, ${now});
INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at)
  VALUES ((SELECT MAX(id) FROM subscriptions), (SELECT MAX(id) FROM orders),
  (SELECT id FROM certificates WHERE serial = '${serial}'), 'first', ${now});
COMMIT;`);
    return { serial, cn, domain, certId: sql(`SELECT id FROM certificates WHERE serial = '${serial}'`),
      orderId: sql(`SELECT order_id FROM certificates WHERE serial = '${serial}'`) };
  };
  const users = [
    { login: 'hanako', lang: 'ja', ...setup('hanako', 'ja', 'renew-ja.co.jp') },
    { login: 'john', lang: 'en', ...setup('john', 'en', 'renew-en.co.jp') },
  ];

  browser = await launchBrowser();
  for (const u of users) {
    const { lang } = u;
    const context = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US',
      viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) &&
      problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    const shot = (name) => page.screenshot({ path: path.join(outDir, `renewal-${lang}-${name}.png`),
      fullPage: true });
    const next = async () => {
      await page.click('button[name=go][value=next]');
      await page.waitForLoadState();
    };
    const cur = async () => Number((await page.textContent('.pf-steps li.cur .pf-n')).trim());

    await page.goto(`${server.url}/login`);
    await page.fill('#login_id', u.login);
    await page.fill('#password', 'Renew-horse-77');
    await page.click('form[action="/login"] button[type=submit]');
    await page.waitForURL('**/dashboard');

    // the certificate page: the subscription in its renewal window
    await page.goto(`${server.url}/certificates/${u.serial}`);
    t.equal(await page.getAttribute('html', 'lang'), lang, `${lang}: the page is in ${lang}`);
    t.ok(await page.isVisible('#renew-link'), `R-REN-2 (${lang}) the renewal window is open`);
    t.equal((await page.textContent('#renew-link')).trim(),
      lang === 'ja' ? '更新申込' : 'Apply for renewal', `R-REN-2 (${lang}) the button's label`);
    await shot('1-certificate');

    // R-MNG-5: the notification addresses on their own page
    await page.click('#notify-link');
    await page.waitForURL(`**/orders/${u.orderId}/notify`);
    t.equal(await page.inputValue('#f-notify_email1'), `cert@${u.domain}`,
      `R-MNG-5 (${lang}) the current address`);
    await page.fill('#f-notify_email2', 'not-an-address');
    await page.click('#notify-form button[type=submit]');
    await page.waitForLoadState();
    t.ok(await page.isVisible('.field-error[data-field="notify_email2"]'),
      `R-MNG-5 (${lang}) a bad address: the message beside its field`);
    await shot('2-notify-error');
    await page.fill('#f-notify_email1', `renew@${u.domain}`);
    await page.fill('#f-notify_email2', `sec@${u.domain}`);
    await page.click('#notify-form button[type=submit]');
    await page.waitForURL('**/notify?done=1');
    t.ok(await page.isVisible('#notify-done'), `R-MNG-5 (${lang}) the change is confirmed`);
    await shot('3-notify-done');
    t.equal(sql(`SELECT notify_email1 || ' ' || notify_email2 FROM orders WHERE id = ${u.orderId}`),
      `renew@${u.domain} sec@${u.domain}`, `R-MNG-5 (${lang}) stored`);
    t.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'order.notify_changed' AND object = 'order:' || (SELECT receipt_no FROM orders WHERE id = ${u.orderId})`),
      '1', `R-MNG-5 (${lang}) audited`);

    // the renewal: the wizard prefilled from the previous order
    await page.goto(`${server.url}/certificates/${u.serial}`);
    t.ok((await page.textContent('#sub-notify-list')).includes(`renew@${u.domain}`),
      `R-MNG-5 (${lang}) the certificate page shows where the reminders go`);
    await page.click('#renew-link');
    await page.waitForURL('**/apply?renew=*');
    t.equal(await cur(), 2, `R-APP-1 (${lang}) the renewal opens at the term step`);
    t.ok(await page.isVisible('#renewal-banner'), `R-APP-1 (${lang}) it says it is a renewal`);
    t.ok(await page.isChecked('input[name=product][value=dv-1y]'),
      `R-APP-1 (${lang}) the product of the previous order`);
    await shot('4-renewal-term');
    await next();
    t.equal(await cur(), 3, `(${lang}) step 3`);
    t.equal(await page.inputValue('#f-cn'), u.cn, `R-APP-1 (${lang}) the CN prefilled`);
    await shot('5-renewal-applicant');
    // R-REN-3: another CN is refused with a way to a new application
    await page.fill('#f-cn', `shop.${u.domain}`);
    await next();
    t.equal(await cur(), 3, `R-REN-3 (${lang}) a changed CN stays on its step`);
    const banner = (await page.textContent('#banner')).trim();
    t.ok(banner.includes(lang === 'ja' ? '新規申請' : 'new application'),
      `R-REN-3 (${lang}) the message points to a new application`, banner);
    t.ok(await page.isVisible('#new-app-link'), `R-REN-3 (${lang}) with a link to it`);
    await shot('6-renewal-forbidden');
    if (lang === 'ja') {
      await page.click('#new-app-link');
      await page.waitForURL('**/apply?replace=*');
      t.ok(await page.isVisible('#replace-banner'),
        'R-REN-3 (ja) the new application replaces the subscription, days carried over');
      await shot('7-replacement');
      await page.goto(`${server.url}/apply?renew=${u.serial}`);
      await next();
    }
    await page.fill('#f-cn', u.cn);
    await next();
    t.equal(await cur(), 4, `(${lang}) step 4`);
    t.equal(await page.inputValue('#f-contact-email'), `ops@${u.domain}`,
      `R-APP-1 (${lang}) the contact prefilled`);
    t.equal(await page.inputValue('#f-notify_email1'), `renew@${u.domain}`,
      `R-APP-1 R-MNG-5 (${lang}) the notification address as changed`);
    await shot('8-renewal-billing');
    await next();
    t.equal(await cur(), 5, `(${lang}) step 5`);
    t.ok((await page.inputValue('#f-csr')).includes('BEGIN CERTIFICATE REQUEST'),
      `R-APP-1 (${lang}) the previous CSR prefilled`);
    await next();
    t.equal(await cur(), 6, `(${lang}) step 6`);
    t.equal(await page.inputValue(`select[name="dcv:${u.domain}"]`), 'http',
      `R-APP-1 (${lang}) the DCV method of each name as before`);
    await shot('9-renewal-dcv');
    await next();
    t.equal(await cur(), 7, `(${lang}) step 7`);
    await page.check('#f-agree');
    await shot('10-renewal-confirm');
    await page.click('button[name=go][value=submit]');
    await page.waitForURL('**/apply/done/*');
    const id = page.url().split('/').pop();
    await shot('11-renewal-done');
    t.equal(sql(`SELECT kind || ' ' || predecessor_cert_id || ' ' || cn FROM orders WHERE id = ${id}`),
      `renewal ${u.certId} ${u.cn}`, `R-APP-1 R-REN-2 (${lang}) a renewal order of the certificate`);
    t.equal(sql(`SELECT renewal_order_id FROM subscriptions WHERE first_order_id = ${u.orderId}`),
      id, `R-REN-5 (${lang}) the subscription's renewal in progress`);
    await page.goto(`${server.url}/apply?renew=${u.serial}`);
    await page.waitForURL(`**/orders/${id}`);
    t.ok(true, `R-REN-2 (${lang}) asking again shows the renewal under way`);
    await shot('12-renewal-order');
    await page.goto(`${server.url}/certificates/${u.serial}`);
    t.equal(await page.getAttribute('#renewal-order-link', 'href'), `/orders/${id}`,
      `R-REN-5 (${lang}) the certificate page shows the renewal in progress, with its order`);
    await shot('13-certificate-renewing');
    t.equal(problems.length, 0, `(${lang}) no console errors`, problems.join('\n'));
    await context.close();
  }
  readFileSync(path.join(outDir, 'renewal-ja-4-renewal-term.png'));
} catch (e) {
  t.ok(false, 'the renewal pages run', `${e.stack || e}\n${server ? server.log().slice(-3000) : ''}`);
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  t.done();
}

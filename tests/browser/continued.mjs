// Issue 9 items 1 and 8 (R-REN-6): the continued certificate (継続発行) in a real browser,
// in Japanese. A 1-year product is a subscription longer than the validity cap; its
// certificate ends in 20 days, inside the 30-day window before its end, while the
// subscription runs 185 more days. The certificate page shows the subscription (term,
// state), its certificates and what comes next (the next certificate, free, and the date
// the renewal opens); the customer takes the next certificate with the same CSR, which
// becomes a 継続発行 order of the subscription with nothing to pay; once that order is
// issued, both certificates are in the history and the new one's page says that the next
// one comes later. The first certificate is issued with `shomei issue`, its order and
// subscription go in with sqlite3 (there is no CLI for them); so does the issuance of the
// continued order (the vetting job would need DNS peers for CAA: it/subscription.sh proves
// that part end to end). Screenshots: tests/browser/out/continued-*.png.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, makeCsr, outDir, serialOf, serverTools, startServer, Tap } from './lib.mjs';

const t = new Tap();
mkdirSync(outDir, { recursive: true });
let server;
let browser;

try {
  server = await startServer(['server.secure_cookies=false', 'ca.test_ca=true',
    'portal.maintenance=none', 'jobs.vetting_seconds=3600']);
  const { run, sql } = serverTools(server);
  const q = (s) => s.replace(/'/g, "''");
  const now = Math.floor(Date.now() / 1000);
  const DAY = 86400;
  sql(`INSERT INTO products (code, name_ja, name_en, level, term_months, list_price,
       review_days_min, review_days_max, root_options, created_at)
     VALUES ('dv-1y', 'DV 1年', 'DV 1 year', 'dv', 12, 9800, 0, 1, 'a,b', 0)`);

  const login = 'keizoku';
  const domain = 'keizoku.co.jp';
  const cn = `www.${domain}`;
  run(['user', 'add', '--dir', server.dir, '--login', login, '--role', 'customer', '--email',
    `${login}@${domain}`, '--name', '継続 花子', '--org-name', '継続商事株式会社', '--locale', 'ja',
    '--password-stdin'], 'Tsuzuku-horse-77\n');
  const csr = makeCsr(path.join(outDir, 'tmp'), 'continued', { subj: `/CN=${cn}` });
  const serial1 = serialOf(run(['issue', '--dir', server.dir, '--csr', csr.pemPath, '--name', cn,
    '--name', domain, '--level', 'dv', '--days', '20']));
  const org = sql(`SELECT org_id FROM users WHERE login_id = '${login}'`);
  const contact = JSON.stringify({ org: '継続商事株式会社', dept: '情報システム部',
    name: '継続 花子', name_kana: 'けいぞく はなこ', postal: '100-0001', pref: '東京都',
    city: '千代田区', street: '千代田1-1', phone: '03-1111-2222', email: `ops@${domain}` });
  const start = now - 180 * DAY;
  sql(`BEGIN;
INSERT INTO orders (receipt_no, kind, state, product_id, org_id, created_by, csr_pem, cn, names,
  root_option, applicant, contact, billing, notify_email1, amount, created_at, updated_at,
  idem_key)
  VALUES ('R20260601-00001', 'new', 'issued', (SELECT id FROM products WHERE code = 'dv-1y'),
  ${org}, (SELECT id FROM users WHERE login_id = '${login}'), '${q(csr.pem)}', '${cn}',
  '["${cn}","${domain}"]', 'a', '{}', '${q(contact)}', '${q(contact)}', 'cert@${domain}', 9800,
  ${start}, ${start}, 'continued-ja');
INSERT INTO order_domains (order_id, name, dcv_method, state, validated_at)
  VALUES ((SELECT MAX(id) FROM orders), '${cn}', 'dns', 'validated', ${now - DAY}),
         ((SELECT MAX(id) FROM orders), '${domain}', 'http', 'validated', ${now - DAY});
UPDATE certificates SET org_id = ${org}, order_id = (SELECT MAX(id) FROM orders)
  WHERE serial = '${serial1}';
INSERT INTO subscriptions (org_id, product_id, first_order_id, starts_at, ends_at, state,
  created_at, updated_at)
  VALUES (${org}, (SELECT id FROM products WHERE code = 'dv-1y'), (SELECT MAX(id) FROM orders),
  ${start}, ${now + 185 * DAY}, 'active', ${start}, ${start});
INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at)
  VALUES ((SELECT MAX(id) FROM subscriptions), (SELECT MAX(id) FROM orders),
  (SELECT id FROM certificates WHERE serial = '${serial1}'), 'first', ${start});
COMMIT;`);

  browser = await launchBrowser();
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  const shot = (name) => page.screenshot({ path: path.join(outDir, `continued-${name}.png`),
    fullPage: true });

  await page.goto(`${server.url}/login`);
  await page.fill('#login_id', login);
  await page.fill('#password', 'Tsuzuku-horse-77');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL('**/dashboard');

  // the certificate page: the subscription, its certificates, what comes next
  await page.goto(`${server.url}/certificates/${serial1}`);
  t.equal(await page.getAttribute('html', 'lang'), 'ja', 'the page is in Japanese');
  t.ok(await page.isVisible('#subscription'), 'R-REN-6 the certificate page shows its subscription');
  t.equal((await page.textContent('#sub-state')).trim(), '契約中', '  active');
  t.equal(await page.$$eval('#sub-certs tbody tr', (v) => v.length), 1, '  with its one certificate');
  t.ok((await page.textContent(`#sub-certs tr[data-serial="${serial1}"]`)).includes('新規発行'),
    '  issued as the first of the subscription');
  t.ok((await page.textContent('#sub-next-continue')).includes('継続発行'),
    'R-REN-6 what comes next: the next certificate, free');
  const todayJst = new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
  t.ok((await page.textContent('#sub-next-continue')).includes(todayJst),
    '  from today (the window is open), not a date already past');
  t.ok(await page.isVisible('#sub-next-renew'), '  and the date the renewal opens');
  t.ok(await page.isVisible('#continue-form'), 'R-REN-6 the window is open: the next certificate can be taken');
  await shot('1-certificate');

  // take the next certificate with the same CSR (the box left empty)
  await page.click('#continue-form button[type=submit]');
  await page.waitForURL('**/orders/*');
  const oid = page.url().split('/').pop();
  t.equal(sql(`SELECT amount || ' ' || pay_method FROM orders WHERE id = ${oid}`), '0 subscription',
    'R-REN-6 a continued order of the subscription, nothing to pay');
  t.equal(sql(`SELECT reason FROM subscription_certs WHERE order_id = ${oid}`), 'continued',
    '  recorded in the subscription');
  await shot('2-order');
  await page.goto(`${server.url}/certificates/${serial1}`);
  t.ok(!(await page.isVisible('#continue-form')), '  while it is under way it cannot be asked twice');
  await shot('3-certificate-pending');

  // the continued order is issued (what the issuer job does once CAA passes; here there is
  // no DNS to ask, so the order waits approved and is issued by hand)
  t.ok(['vetting', 'approved'].includes(sql(`SELECT state FROM orders WHERE id = ${oid}`)),
    '  DCV reused: the order is vetted without a new payment');
  const serial2 = serialOf(run(['issue', '--dir', server.dir, '--csr', csr.pemPath, '--name', cn,
    '--name', domain, '--level', 'dv', '--days', '100']));
  sql(`BEGIN;
UPDATE certificates SET org_id = ${org}, order_id = ${oid} WHERE serial = '${serial2}';
UPDATE orders SET state = 'issued' WHERE id = ${oid};
UPDATE subscription_certs SET cert_id = (SELECT id FROM certificates WHERE serial = '${serial2}')
  WHERE order_id = ${oid};
COMMIT;`);
  await page.goto(`${server.url}/certificates/${serial2}`);
  t.equal(await page.$$eval('#sub-certs tbody tr', (v) => v.length), 2,
    'R-REN-6 the history shows both certificates of the subscription');
  t.ok((await page.textContent(`#sub-certs tr[data-serial="${serial2}"]`)).includes('継続発行'),
    '  the new one as 継続発行');
  t.ok((await page.textContent(`#sub-certs tr[data-serial="${serial2}"]`)).includes('この証明書'),
    '  marked as this certificate');
  t.ok(await page.isVisible('#sub-next-continue'), '  and the next one after it is announced');
  t.ok(!(await page.isVisible('#continue-form')), '  but not before its window');
  await shot('4-next-certificate');
  t.equal(problems.length, 0, 'no console errors', problems.join('\n'));
  await context.close();
} catch (e) {
  t.ok(false, 'the continued certificate pages run', `${e.stack || e}\n${server ? server.log().slice(-3000) : ''}`);
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  t.done();
}

// Issue 12 items 1 and 6 in a real browser, in Japanese and English, with screenshots
// (tests/browser/out/groups-*.png): the organization's administrator creates a group with
// its application template, opens it, adds a member and saves a new name; a certificate
// moves into the group from its page and the list filters by the group; the dashboard
// shows the unfinished cart items with the link that registers each application (R-CRT-1).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, login, newPage, outDir, serialOf, serverTools, startServer, Tap } from './lib.mjs';

const t = new Tap();
const wide = { width: 1280, height: 900 }; // the pages' viewport
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(path.join(os.tmpdir(), 'shomei-groups-'));
let server;
let browser;
try {
  server = await startServer(['server.secure_cookies=false', 'ca.test_ca=true',
    'testing.not_for_production=true', 'portal.maintenance=none']);
  const { run, sql } = serverTools(server);
  run(['user', 'add', '--dir', server.dir, '--login', 'kanri', '--role', 'customer', '--email',
    'kanri@group-shop.example.jp', '--name', '管理 一郎', '--org-name', 'グループ商事株式会社',
    '--password-stdin'], 'Group-horse-77\n');
  run(['user', 'add', '--dir', server.dir, '--login', 'member', '--role', 'customer', '--email',
    'member@group-shop.example.jp', '--name', '部員 二郎', '--org-name', 'tmp',
    '--password-stdin'], 'Group-horse-77\n');
  const org = sql("SELECT org_id FROM users WHERE login_id = 'kanri'");
  sql(`UPDATE users SET org_id = ${org} WHERE login_id = 'member'`);
  const member = sql("SELECT id FROM users WHERE login_id = 'member'");
  const now = Math.floor(Date.now() / 1000);
  sql(`INSERT INTO products (code, name_ja, name_en, level, term_months, multi_domain, sans_included,
    sans_max, list_price, extra_san_price, review_days_max, root_options, created_at) VALUES
    ('dv-1y', 'DV 証明書 1年', 'DV certificate, 1 year', 'dv', 12, 0, 1, 1, 20000, 0, 5, 'a,b', ${now});`);
  const serials = [];
  for (const cn of ['www.group-shop.co.jp', 'shop.group-shop.co.jp']) {
    const csr = path.join(work, `${cn}.csr`);
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
      '-nodes', '-keyout', path.join(work, `${cn}.key`), '-out', csr, '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    const pem = run(['issue', '--dir', server.dir, '--csr', csr, '--name', cn, '--level', 'dv']).toString();
    const s = serialOf(pem);
    sql(`UPDATE certificates SET org_id = ${org} WHERE serial = '${s}'`);
    serials.push(s);
  }

  browser = await launchBrowser();
  for (const lang of ['ja', 'en']) {
    sql(`UPDATE users SET locale = '${lang}' WHERE login_id = 'kanri'`);
    const problems = [];
    const page = await newPage(browser, lang === 'ja' ? 'ja-JP' : 'en-US', problems, null, wide);
    const context = page.context();
    const shot = (name) => page.screenshot({ path: path.join(outDir, `groups-${name}-${lang}.png`), fullPage: true });
    await login(page, server.url, 'kanri', 'Group-horse-77', `?lang=${lang}`);

    // issue 12 item 6: create a group with its template, then manage it on its page
    const name = lang === 'ja' ? '営業部' : 'Sales';
    await page.goto(`${server.url}/groups`);
    await page.fill('#f-name', name);
    await page.fill('#f-org', 'グループ商事株式会社');
    await page.fill('#f-cname', lang === 'ja' ? '山田 花子' : 'Hanako Yamada');
    await page.fill('#f-cmail', 'yamada@group-shop.example.jp');
    await page.fill('#f-notify', 'sales@group-shop.example.jp');
    await page.click('#group-form button[type=submit]');
    await page.waitForURL('**/groups');
    const gid = sql(`SELECT id FROM user_groups WHERE name = '${name}'`);
    t.ok(gid !== '', `issue 12 item 6 (${lang}) the administrator creates a group on the page`);
    await page.click(`tr[data-group="${gid}"] a[href="/groups/${gid}"]`);
    await page.waitForSelector('#group-edit');
    t.equal(await page.inputValue('#f-cmail'), 'yamada@group-shop.example.jp', `issue 12 item 6 (${lang}) its page shows the template`);
    await page.selectOption('#f-user', member);
    await page.click('#member-add button[type=submit]');
    await page.waitForSelector(`tr[data-member="${member}"]`);
    t.ok(true, `issue 12 item 6 (${lang}) a member is added`);
    await page.fill('#f-name', `${name} 1`);
    await page.click('#group-edit button[type=submit]');
    await page.waitForSelector('#group-name');
    t.equal((await page.textContent('#group-name')).trim(), `${name} 1`, `issue 12 item 6 (${lang}) the group is renamed`);
    await shot('group');
    await page.goto(`${server.url}/groups`);
    await shot('list');

    // a certificate moves into the group from its page; the list filters by group
    const serial = serials[lang === 'ja' ? 0 : 1];
    await page.goto(`${server.url}/certificates/${serial}`);
    await page.selectOption('#f-group', gid);
    await page.click('#cert-group-form button[type=submit]');
    await page.waitForURL(`**/certificates/${serial}?moved=1`);
    t.equal((await page.textContent('#cert-group-name')).trim(), `${name} 1`, `issue 12 item 6 (${lang}) the certificate moved from its page`);
    await shot('cert');
    await page.goto(`${server.url}/certificates`);
    await page.selectOption('select#f-group', gid);
    await page.click('#cert-filter button[type=submit]');
    await page.waitForURL(`**/certificates?**group=${gid}**`);
    const shown = await page.$$eval('tr.cert', (v) => v.map((x) => x.dataset.serial));
    t.equal(shown.join(' '), serial, `issue 12 item 6 (${lang}) the list filtered by the group shows its certificate only`);

    // issue 12 item 1 R-CRT-1: unfinished cart items on the dashboard
    await page.goto(`${server.url}/cart`);
    await page.selectOption('#a-product', 'dv-1y');
    await page.fill('#cart-add-form input[name=domain]', `cart-${lang}.group-shop.co.jp`);
    await page.click('#cart-add-form button[type=submit]');
    await page.waitForURL('**/cart?done=added');
    await page.goto(`${server.url}/dashboard`);
    const items = await page.$$eval('#cart-unfinished li', (v) => v.map((x) => x.textContent));
    t.ok(items.some((x) => x.includes(`cart-${lang}.group-shop.co.jp`)), `issue 12 item 1 (${lang}) the dashboard lists the unfinished cart item`);
    await page.locator('#dash-cart').scrollIntoViewIfNeeded();
    await shot('dashboard-cart');
    await page.click('#cart-unfinished li:last-child a');
    await page.waitForURL('**/apply?product=*&cart=*');
    t.ok(true, `issue 12 item 1 (${lang}) its link opens the application wizard for the item`);
    t.equal(problems.length, 0, `(${lang}) no console errors (${problems.join('; ')})`);
    await context.close();
  }
} catch (e) {
  t.ok(false, `groups pages: ${e.message}`);
  if (server) console.log(server.log().split('\n').filter((l) => /level=(error|warn)/.test(l)).slice(0, 20).map((l) => `# ${l}`).join('\n'));
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  rmSync(work, { recursive: true, force: true });
}
t.done();

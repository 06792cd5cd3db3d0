// Issue 12 items 6-8 in a real browser, in Japanese and English, with screenshots
// (tests/browser/out/org-*.png): the install check page (R-DL-2) against a TLS server on
// loopback (openssl s_server; loopback allowed by [dcv] allow_loopback under
// not_for_production) serving a chain without its intermediate and then a correct one;
// the site seal's snippet page and its public verification page (R-MNG-4); the
// organization's registration information with the confirm step before a vetted field
// changes (登録情報の変更). The certificate is issued with `shomei issue` (test CA) and put
// into a subscription of the user's organization with sqlite3.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  freePort, launchBrowser, login, newPage, outDir, serialOf, serverTools, startServer, Tap,
} from './lib.mjs';

const t = new Tap();
const wide = { width: 1280, height: 900 }; // the pages' viewport
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(path.join(os.tmpdir(), 'shomei-org-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server;
let browser;
const tls = [];
async function sServer(certs) { // openssl s_server on a free loopback port serving certs
  const port = await freePort();
  const leaf = path.join(work, `leaf-${port}.pem`);
  const chain = path.join(work, `chain-${port}.pem`);
  writeFileSync(leaf, certs[0]);
  writeFileSync(chain, certs.slice(1).join(''));
  const extra = certs.length > 1 ? ['-cert_chain', chain] : [];
  const p = spawn('openssl', ['s_server', '-quiet', '-accept', `127.0.0.1:${port}`, '-cert', leaf,
    ...extra, '-key', path.join(work, 'k.pem'), '-www'], { stdio: 'ignore' });
  tls.push(p);
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: 'ignore' });
      break;
    } catch { await sleep(100); }
  }
  return port;
}
try {
  server = await startServer(['server.secure_cookies=false', 'ca.test_ca=true',
    'testing.not_for_production=true', 'dcv.allow_loopback=true']);
  const { run, sql } = serverTools(server);
  run(['user', 'add', '--dir', server.dir, '--login', 'hanako', '--role', 'customer', '--email',
    'hanako@org-shop.example.jp', '--name', '山田花子', '--org-name', 'オルグ商事株式会社',
    '--password-stdin'], 'Org-horse-77\n');
  const csr = path.join(work, 'c.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', path.join(work, 'k.pem'), '-out', csr, '-subj', '/CN=www.org-shop.co.jp'],
  { stdio: 'ignore' });
  const pem = run(['issue', '--dir', server.dir, '--csr', csr, '--name', 'www.org-shop.co.jp',
    '--level', 'ov', '--org', 'Org Shoji KK', '--locality', 'Chiyoda', '--state', 'Tokyo',
    '--country', 'JP', '--days', '90']).toString();
  const inter = run(['ca', 'chain', '--dir', server.dir, '--level', 'ov', '--root', 'a']).toString()
    .split(/(?=-----BEGIN)/).filter((s) => s.startsWith('-----BEGIN'))[0].replace(/(-----END CERTIFICATE-----)[\s\S]*/, '$1\n');
  const serial = serialOf(pem);
  const org = sql("SELECT org_id FROM users WHERE login_id = 'hanako'");
  const now = Math.floor(Date.now() / 1000);
  sql(`BEGIN;
UPDATE certificates SET org_id = ${org} WHERE serial = '${serial}';
INSERT INTO subscriptions (id, org_id, product_id, first_order_id, starts_at, ends_at, created_at, updated_at)
  VALUES (77, ${org}, 1, 7701, ${now}, ${now + 365 * 86400}, ${now}, ${now});
INSERT INTO subscription_certs (subscription_id, order_id, cert_id, reason, created_at)
  VALUES (77, 7701, (SELECT id FROM certificates WHERE serial = '${serial}'), 'first', ${now});
COMMIT;`);
  const missing = await sServer([pem]);
  const good = await sServer([pem, inter]);

  browser = await launchBrowser();
  for (const lang of ['ja', 'en']) {
    sql(`UPDATE users SET locale = '${lang}' WHERE login_id = 'hanako'`); /* pages follow the user's locale */
    const problems = [];
    const page = await newPage(browser, lang === 'ja' ? 'ja-JP' : 'en-US', problems, null, wide);
    const context = page.context();
    const shot = (name) => page.screenshot({ path: path.join(outDir, `org-${name}-${lang}.png`), fullPage: true });
    await login(page, server.url, 'hanako', 'Org-horse-77', `?lang=${lang}`);

    // R-DL-2: the install check
    await page.goto(`${server.url}/tools/check`);
    await page.fill('#f-url', `https://127.0.0.1:${lang === 'ja' ? missing : good}`);
    await page.fill('#f-servername', 'www.org-shop.co.jp');
    await page.click('#check-form button[type=submit]');
    await page.waitForSelector('#check-result');
    const codes = await page.$$eval('#check-findings li', (v) => v.map((x) => x.dataset.code));
    if (lang === 'ja') {
      t.equal(codes.join(' '), 'chain.missing_intermediate', `R-DL-2 (${lang}) the page finds the missing intermediate`);
      t.ok((await page.textContent('#check-findings')).includes('中間証明書が設定されていません'), '  and says so in Japanese');
    } else {
      t.equal(codes.join(' '), 'ok', `R-DL-2 (${lang}) the page finds a correct installation`);
      t.ok((await page.textContent('#check-result')).includes('installed correctly'), '  and says so in English');
    }
    await shot('check');

    // R-MNG-4: the snippet page and the public verification page
    await page.goto(`${server.url}/certificates/${serial}`);
    await page.click('#seal-link');
    await page.waitForURL(`**/certificates/${serial}/seal`);
    t.equal(await page.locator('.seal-variant').count(), 4, `R-MNG-4 (${lang}) four snippets: ja/en, light/dark`);
    const imgs = await page.$$eval('.seal-preview img', (v) => v.map((i) => i.naturalWidth));
    t.ok(imgs.length === 4 && imgs.every((w) => w === 200), `R-MNG-4 (${lang}) every seal image loads (200 px wide)`);
    await shot('seal-snippet');
    await page.click('#seal-verify-link');
    await page.waitForSelector('#seal-verify');
    t.equal(await page.getAttribute('#seal-verify', 'data-state'), 'valid', `R-MNG-4 (${lang}) the verification page says valid`);
    t.equal(await page.textContent('#seal-org'), 'Org Shoji KK', '  with the verified organization');
    await shot('seal-verify');

    // 登録情報の変更: a vetted field asks for confirmation first
    await page.goto(`${server.url}/organization`);
    t.ok(await page.isVisible('#orginfo-vetted-hint'), `issue 12 item 6 (${lang}) the form says which fields are vetted`);
    const addr = lang === 'ja' ? '東京都千代田区丸の内1-1-1' : '1-1-1 Marunouchi, Chiyoda-ku, Tokyo';
    await page.fill('#f-address', addr);
    await page.fill('#f-postal', '100-0005');
    await page.fill('#f-contact_name', lang === 'ja' ? '山田 花子' : 'Hanako Yamada');
    await page.click('#orginfo-form button[type=submit]');
    await page.waitForSelector('#orginfo-confirm');
    t.ok(await page.isVisible('#f-address.changed-field'), `issue 12 item 6 (${lang}) the confirm step marks the changed vetted field`);
    await shot('orginfo-confirm');
    await page.click('#orginfo-form button[type=submit]');
    await page.waitForSelector('#orginfo-done');
    t.equal(sql(`SELECT address FROM organizations WHERE id = ${org}`), addr, `issue 12 item 6 (${lang}) saved after confirmation`);
    await shot('orginfo-done');
    t.equal(problems.length, 0, `(${lang}) no console errors (${problems.join('; ')})`);
    await context.close();
  }
} catch (e) {
  t.ok(false, `org pages: ${e.message}`);
  if (server) console.log(server.log().split('\n').filter((l) => /level=(error|warn)/.test(l)).slice(0, 20).map((l) => `# ${l}`).join('\n'));
} finally {
  if (browser) await browser.close();
  for (const p of tls) p.kill();
  if (server) await server.stop();
  rmSync(work, { recursive: true, force: true });
}
t.done();

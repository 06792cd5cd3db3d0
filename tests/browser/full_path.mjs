// The whole new-certificate path in a real browser, against a real `shomei serve` and real
// peers on loopback (knotd authoritative DNS, python3 http.server for the validation file,
// the aiosmtpd sink for mail):
//   R-ACT-2 a new customer registers, logs out and logs in;
//   R-APP-2 R-APP-3 applies for an OV certificate in the wizard with an openssl P-256 CSR,
//     the web-page method for every domain, sees the done page with the receipt number;
//   R-PAY-1 an officer (own browser context) confirms the payment;
//   R-VAL-1 the order page shows the file's URL and content; the test serves the file, the
//     name resolves through knot, the customer presses "check now" and the server validates;
//   R-VAL-4 the officer records every required check, the phone verification with who,
//     when, the number and its third-party source, and approves; the certificate is issued;
//   R-ISS-5 one issuance notice reaches the notification address;
//   R-MNG-2 R-DL-1 the customer opens the list and the detail page, downloads the full chain
//     and openssl verifies it against the OV root "a".
// Screenshots of every page in ja and the customer's pages again in en:
// tests/browser/out/full-*.png.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tap, launchBrowser, outDir, startServer, top } from './lib.mjs';
import { forget, killOnExit, startHttp, startKnot, startSmtpSink, stopPeers } from './peers.mjs';

const t = new Tap();
const bin = process.env.SHOMEI_BIN || path.join(top, 'build/asan/shomei');
const env = { ...process.env,
  SHOMEI_CA_PASSPHRASE: process.env.SHOMEI_CA_PASSPHRASE || 'browser-test' };
const DOMAIN = 'zenpath-test.co.jp';
const CN = `www.${DOMAIN}`;
const NOTIFY = `cert@${DOMAIN}`;
const CUST = { login: 'zenpath-c', pw: 'Zenpath-horse-42-staple', email: `ops@${DOMAIN}` };
const OFFICER = { login: 'vetter', pw: 'Officer-horse-77-staple' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
mkdirSync(outDir, { recursive: true });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'shomei-fullpath-'));
const t0 = Date.now();

let server;
let browser;
const problems = [];
// Should the run end early (a signal), the temporary directories go too.
process.on('exit', () => {
  rmSync(tmp, { recursive: true, force: true });
  if (server) rmSync(path.dirname(server.dir), { recursive: true, force: true });
});

// Tokyo wall-clock time minutes ago, as a datetime-local value (YYYY-MM-DDTHH:MM).
function tokyoLocal(minutesAgo) {
  const d = new Date(Date.now() - minutesAgo * 60000 + 9 * 3600000);
  return d.toISOString().slice(0, 16);
}

async function newPage(locale) {
  const context = await browser.newContext({ locale, acceptDownloads: true,
    viewport: { width: 1180, height: 900 } });
  const page = await context.newPage();
  // Form errors answer 4xx by design; anything else on the console is a fault.
  page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) &&
    problems.push(`${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e}`));
  return page;
}

let shotNo = 0;
const shot = (page, lang, name) => page.screenshot({ fullPage: true,
  path: path.join(outDir, `full-${lang}-${String(++shotNo).padStart(2, '0')}-${name}.png`) });

async function login(page, who, pw) {
  await page.fill('#login_id', who);
  await page.fill('#password', pw);
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL('**/dashboard');
}

// Reloads url until cond(page) holds (at most ms); true when it did.
async function reloadUntil(page, url, cond, ms) {
  const end = Date.now() + ms;
  for (;;) {
    await page.goto(url);
    if (await cond(page)) return true;
    if (Date.now() > end) return false;
    await sleep(500);
  }
}

// Walks the wizard (R-APP-2) to the confirmation page with the agreement ticked.
async function wizard(page, lang, csrPem) {
  const cur = async () => Number((await page.textContent('.pf-steps li.cur .pf-n')).trim());
  const next = async () => {
    await page.click('button[name=go][value=next]');
    await page.waitForLoadState();
  };
  await page.goto(`${server.url}/apply`);
  await shot(page, lang, 'apply-1-product');
  await page.check('input[name=product][value=ov-1y]');
  await next();
  t.equal(await cur(), 2, `${lang}: R-APP-2 step 2 (term and root)`);
  await shot(page, lang, 'apply-2-term');
  await next();
  t.equal(await cur(), 3, `${lang}: R-APP-2 step 3 (applicant)`);
  const applicant = {
    '#f-cn': CN, '#f-org-name_ja': '株式会社全経路試験', '#f-org-name_en': 'Zenpath Test K.K.',
    '#f-org-reg_no': '010001765432', '#f-org-rep_name': '全経 一郎', '#f-org-postal': '100-0001',
    '#f-org-city': '千代田区', '#f-org-street': '千代田1-1', '#f-org-building': 'なし',
    '#f-org-phone': '03-1234-5678', '#f-subject_l': 'Chiyoda-ku', '#f-subject_st': 'Tokyo',
    '#f-resp-name': '全経 花子', '#f-resp-name_kana': 'ぜんけい はなこ',
    '#f-resp-dept': '情報システム部', '#f-resp-title': '部長', '#f-resp-phone': '03-1234-5679',
  };
  for (const [sel, v] of Object.entries(applicant)) await page.fill(sel, v);
  await page.selectOption('#f-org-entity_type', '株式会社');
  await page.selectOption('#f-org-category', 'private');
  await page.selectOption('#f-org-pref', '東京都');
  await shot(page, lang, 'apply-3-applicant');
  await next();
  t.equal(await cur(), 4, `${lang}: R-APP-3 the applicant data pass; step 4 (contact, billing)`);
  const contact = {
    '#f-contact-org': '株式会社全経路試験', '#f-contact-name': '全経 太郎',
    '#f-contact-name_kana': 'ぜんけい たろう', '#f-contact-postal': '100-0001',
    '#f-contact-city': '千代田区', '#f-contact-street': '千代田1-1',
    '#f-contact-phone': '03-1234-5670', '#f-contact-email': CUST.email,
    '#f-notify_email1': NOTIFY,
  };
  for (const [sel, v] of Object.entries(contact)) await page.fill(sel, v);
  await page.selectOption('#f-contact-pref', '東京都');
  await page.check('#f-billing_same');
  await shot(page, lang, 'apply-4-billing');
  await next();
  t.equal(await cur(), 5, `${lang}: R-APP-2 step 5 (CSR)`);
  await page.fill('#f-csr', csrPem);
  await shot(page, lang, 'apply-5-csr');
  await next();
  t.equal(await cur(), 6, `${lang}: R-APP-3 the P-256 CSR is accepted; step 6 (DCV per domain)`);
  const selects = page.locator('.pf-dcv select');
  const nsel = await selects.count();
  t.equal(nsel, 2, `${lang}: R-APP-2 one method per domain (the name and its apex)`);
  for (let i = 0; i < nsel; i++) await selects.nth(i).selectOption('http');
  await shot(page, lang, 'apply-6-dcv');
  await next();
  t.equal(await cur(), 7, `${lang}: R-APP-2 step 7 (confirmation)`);
  await page.check('#f-agree');
  await shot(page, lang, 'apply-7-confirm');
}

try {
  // ---- peers: DNS, web server, SMTP sink ----
  const knot = await startKnot(path.join(tmp, 'knot'), {
    jp: [],
    'co.jp': [],
    [DOMAIN]: ['@ A 127.0.0.1', 'www A 127.0.0.1', '@ CAA 0 issue "shomei.example"'],
  }, [DOMAIN, 'CAA']);
  t.equal(knot.dig(CN, 'A'), '127.0.0.1', `knot answers: ${CN} is 127.0.0.1`);
  const webRoot = path.join(tmp, 'www');
  const web = await startHttp(webRoot);
  const sink = await startSmtpSink(path.join(tmp, 'sink'));
  // Own trust anchors replace the IANA root (a test relaxation): one for a zone never
  // asked, so knot's unsigned zones are insecure rather than unverifiable.
  const anchors = path.join(tmp, 'anchors');
  writeFileSync(anchors, `unused.test. DS 4711 13 2 ${'00'.repeat(32)}\n`);

  server = await startServer(['server.secure_cookies=false', 'portal.maintenance=none',
    `dns.resolver=${knot.addr}`, `dns.trust_anchor_file=${anchors}`,
    'testing.not_for_production=true', 'dcv.allow_loopback=true', `dcv.http_port=${web.port}`,
    'mail.enabled=true', `mail.url=smtp://127.0.0.1:${sink.port}`, 'mail.poll_seconds=1',
    'jobs.vetting_seconds=1']);
  killOnExit(server.pid);
  execFileSync('sqlite3', ['-batch', '-cmd', '.timeout 10000', path.join(server.dir, 'shomei.db'),
    `INSERT INTO products (code, name_ja, name_en, level, term_months, list_price,
       review_days_min, review_days_max, root_options, created_at)
     VALUES ('ov-1y', 'OV 証明書 1年', 'OV certificate, 1 year', 'ov', 12, 60000, 1, 5,
       'a,b', 0)`]);
  execFileSync(bin, ['user', 'add', '--dir', server.dir, '--login', OFFICER.login, '--role',
    'officer', '--email', 'vetter@ca.example', '--name', '審査 一郎', '--password-stdin'],
  { env, input: `${OFFICER.pw}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  browser = await launchBrowser();

  // ---- R-ACT-2: register, log out, log in ----
  const cust = await newPage('ja-JP');
  await cust.goto(`${server.url}/register`);
  t.equal(await cust.getAttribute('html', 'lang'), 'ja', 'the pages are in Japanese by default');
  await shot(cust, 'ja', 'register');
  await cust.fill('#login_id', CUST.login);
  await cust.fill('#email', CUST.email);
  await cust.fill('#display_name', '全経 太郎');
  await cust.fill('#org_name', '株式会社全経路試験');
  await cust.selectOption('#locale', 'ja');
  await cust.fill('#password', CUST.pw);
  await cust.fill('#password_confirm', CUST.pw);
  await cust.click('form[action="/register"] button[type=submit]');
  await cust.waitForURL('**/dashboard');
  t.ok(true, 'R-ACT-2 a new customer registers a customer ID (signed in at once)');
  await shot(cust, 'ja', 'dashboard-registered');
  await cust.click('form[action="/logout"] button[type=submit]');
  await cust.waitForURL('**/login**');
  await shot(cust, 'ja', 'login');
  await login(cust, CUST.login, CUST.pw);
  t.ok(true, 'R-ACT-2 the new customer logs in with ID and password');
  await shot(cust, 'ja', 'dashboard');

  // ---- R-APP-2, R-APP-3: the wizard, OV, CSR by openssl (P-256) ----
  const csrPath = path.join(tmp, 'p256.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', path.join(tmp, 'p256.key'), '-subj',
    `/C=JP/ST=Tokyo/L=Chiyoda-ku/O=Zenpath Test K.K./CN=${CN}`, '-out', csrPath],
  { stdio: 'ignore' });
  const csrPem = readFileSync(csrPath, 'utf8');
  await wizard(cust, 'ja', csrPem);
  await cust.click('button[name=go][value=submit]');
  await cust.waitForURL('**/apply/done/*');
  const receipt = (await cust.textContent('#receipt-no')).trim();
  t.ok(/^R\d{8}-\d{5}$/.test(receipt), 'R-APP-2 the done page shows the receipt number', receipt);
  await shot(cust, 'ja', 'apply-8-done');
  await cust.click('.pf-done a[href^="/orders/"]');
  await cust.waitForURL(/\/orders\/\d+$/);
  const orderUrl = cust.url();
  const orderId = /\/orders\/(\d+)$/.exec(orderUrl)[1];
  t.equal(await cust.getAttribute('#order-state', 'data-state'), 'awaiting_payment',
    'R-PAY-1 the new order waits for payment');
  await shot(cust, 'ja', 'order-unpaid');

  // ---- R-PAY-1: the officer confirms the payment ----
  const off = await newPage('ja-JP');
  await off.goto(`${server.url}/login`);
  await login(off, OFFICER.login, OFFICER.pw);
  await off.goto(`${server.url}/officer`);
  t.ok(await off.isVisible(`#queue tr[data-id="${orderId}"]`), 'the order is in the queue');
  await shot(off, 'ja', 'officer-queue');
  await off.click(`#queue tr[data-id="${orderId}"] a[href="/officer/orders/${orderId}"]`);
  await off.waitForURL(`**/officer/orders/${orderId}`);
  t.equal((await off.textContent('#receipt-no')).trim(), receipt,
    'the officer opens the order (same receipt number)');
  await shot(off, 'ja', 'officer-order-unpaid');
  await off.click('#f-pay button[type=submit]');
  await off.waitForURL('**?done=paid');
  t.ok((await off.textContent('#order-state')).includes('審査中'),
    'R-PAY-1 the payment is confirmed; the order is in vetting');
  await shot(off, 'ja', 'officer-order-paid');

  // ---- R-VAL-1: the customer reads the instructions and puts the file up ----
  await cust.goto(orderUrl);
  const doms = await cust.$$eval('.pf-domain', (els) => els.map((el) => {
    const cell = (label) => {
      for (const tr of el.querySelectorAll('table.fields tr')) {
        if (tr.querySelector('th').textContent.trim() === label) {
          return tr.querySelector('td').textContent.trim();
        }
      }
      return '';
    };
    return { name: el.dataset.domain, url: cell('URL'), value: el.querySelectorAll(
      'table.fields td')[1]?.textContent.trim() || '' };
  }));
  t.equal(doms.map((d) => d.name).sort().join(' '), [DOMAIN, CN].sort().join(' '),
    'R-VAL-1 the order page lists both domains');
  for (const d of doms) {
    const re = new RegExp(`^http://${d.name.replace(/\./g, '\\.')}(:\\d+)?` +
      '/\\.well-known/pki-validation/[A-Za-z0-9._-]+$');
    t.ok(re.test(d.url), `R-VAL-1 the file URL for ${d.name} under /.well-known/pki-validation/`,
      d.url);
    t.ok(/^[A-Za-z0-9_-]{32}$/.test(d.value),
      `R-VAL-1 the file content for ${d.name} is a random value`, d.value);
  }
  await shot(cust, 'ja', 'order-dcv-instructions');
  // Both names are served by the same web server; each name has its own file name.
  mkdirSync(path.join(webRoot, '.well-known/pki-validation'), { recursive: true });
  for (const d of doms) {
    const file = new URL(d.url).pathname;
    writeFileSync(path.join(webRoot, file), `${d.value}\n`);
    const got = await (await fetch(`http://127.0.0.1:${web.port}${file}`)).text();
    t.equal(got.trim(), d.value, `the validation file of ${d.name} is served`);
  }
  await cust.click('#check-now');
  await cust.waitForURL(/\/orders\/\d+\?/);
  const validated = await reloadUntil(cust, orderUrl, async (p) =>
    (await p.locator('.pf-domain').count()) > 0 &&
    (await p.locator('.pf-domain form.pf-method').count()) === 0, 20000);
  t.ok(validated, 'R-VAL-1 the server fetched the files: every domain validated',
    await cust.textContent('#dcv-h ~ .pf-domain').catch(() => ''));
  await shot(cust, 'ja', 'order-validated');

  // ---- R-VAL-4: the checks, the phone verification, approval ----
  await off.goto(`${server.url}/officer/orders/${orderId}`);
  const missing = await off.$$eval('#missing .flag[data-kind]', (els) =>
    els.map((e) => e.dataset.kind));
  t.ok(missing.includes('phone') && missing.includes('registry'),
    'R-VAL-4 the page lists the checks still missing', missing.join(','));
  await shot(off, 'ja', 'officer-order-validated');
  const sources = {
    registry: '登記情報提供サービス（会社法人等番号 010001765432）',
    tdb: '帝国データバンク企業情報',
    name_match: '登記簿の英文表記と申請書を照合',
    domain_owner: 'WHOIS（JPRS）の登録者名',
    phone: 'タウンページで調べた代表番号に電話',
  };
  const calledAt = tokyoLocal(10);
  for (const kind of missing) {
    await off.selectOption('#c-kind', kind);
    await off.check('input[name=result][value=ok]');
    await off.fill('#c-source', sources[kind] || '確認資料');
    if (kind === 'phone') {
      await off.fill('#c-phone', '03-1234-5678');
      await off.fill('#c-psrc', 'タウンページ（第三者の番号案内）');
      await off.fill('#c-callee', '全経 花子（情報システム部 部長）');
      await off.fill('#c-at', calledAt);
      await off.fill('#c-note', '在籍と申請の意思を確認しました。');
    }
    await off.click('#f-check button[type=submit]');
    await off.waitForURL('**?done=checked');
  }
  t.ok(await off.isVisible('#missing-none'), 'R-VAL-4 every required check is recorded');
  const checks = await off.textContent('#checks');
  t.ok(checks.includes('タウンページ（第三者の番号案内）') && checks.includes('03-1234-5678') &&
    checks.includes('全経 花子') && checks.includes(calledAt.replace('T', ' ')) &&
    checks.includes(OFFICER.login), 'R-VAL-4 the phone verification shows who called whom, ' +
    'when, the number and its third-party source', checks);
  await shot(off, 'ja', 'officer-order-checked');
  await off.click('#f-approve button[type=submit]');
  await off.waitForURL(/\?done=issuing/);
  // issue 8 item 5: approve answers at once; the order.issue job issues (bounded wait)
  let st = await off.textContent('#order-state');
  for (let i = 0; i < 60 && !st.includes('発行済み'); i++) {
    await off.waitForTimeout(500);
    await off.reload();
    st = await off.textContent('#order-state');
  }
  t.ok(st.includes('発行済み'), 'R-ISS-5 approved, then issued by the issuance job', st);
  await shot(off, 'ja', 'officer-order-issued');

  // ---- R-MNG-2, R-DL-1: the customer's certificate ----
  await cust.goto(orderUrl);
  t.equal(await cust.getAttribute('#order-state', 'data-state'), 'issued',
    'the customer sees the order issued');
  await shot(cust, 'ja', 'order-issued');
  await cust.goto(`${server.url}/certificates`);
  const row = cust.locator('#cert-table tr.cert', { hasText: CN });
  t.equal(await row.count(), 1, 'R-MNG-1 the certificate is listed');
  const serial = await row.getAttribute('data-serial');
  await shot(cust, 'ja', 'certificates');
  await row.locator('td.cn a').click();
  await cust.waitForURL(`**/certificates/${serial}`);
  t.equal((await cust.textContent('#cert-cn')).trim(), CN, 'R-MNG-2 the detail page names the CN');
  const fields = await cust.textContent('#cert-fields');
  t.ok(fields.includes(receipt) && fields.includes('Zenpath Test K.K.'),
    'R-MNG-2 the detail page shows the receipt number and the vetted organization', fields);
  await shot(cust, 'ja', 'certificate-detail');
  const [dl] = await Promise.all([cust.waitForEvent('download'),
    cust.click('#downloads a[data-format="fullchain"]')]);
  const chainPath = path.join(tmp, 'fullchain.pem');
  await dl.saveAs(chainPath);
  t.ok(dl.suggestedFilename().length > 0, 'R-DL-1 the full chain is downloaded',
    dl.suggestedFilename());
  const chainOut = execFileSync(bin, ['ca', 'chain', '--dir', server.dir, '--level', 'ov',
    '--root', 'a'], { env, encoding: 'utf8' });
  const pems = chainOut.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  const rootPath = path.join(tmp, 'root.pem');
  writeFileSync(rootPath, `${pems[pems.length - 1]}\n`);
  let verify = '';
  try {
    verify = execFileSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver',
      '-CAfile', rootPath, '-untrusted', chainPath, chainPath], { encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    verify = `${e.stdout}${e.stderr}`;
  }
  t.ok(/: OK\s*$/.test(verify), 'R-DL-1 openssl verifies the downloaded full chain (OV root a)',
    verify);
  const subject = execFileSync('openssl', ['x509', '-in', chainPath, '-noout', '-subject'],
    { encoding: 'utf8' });
  t.ok(subject.includes('Zenpath Test K.K.') && subject.includes(CN),
    'the subject carries the vetted organization', subject);

  // ---- R-ISS-5: the issuance notice, once ----
  const notices = () => sink.mails().filter((m) => m.to.includes(NOTIFY) &&
    m.subject.includes('証明書発行のお知らせ'));
  for (let i = 0; i < 40 && notices().length === 0; i++) await sleep(250);
  await sleep(2500); // a second copy would come within the next polls
  const got = notices();
  t.equal(got.length, 1, `R-ISS-5 one issuance notice reached ${NOTIFY}`);
  t.ok(got.length > 0 && got[0].body.includes(CN), 'R-ISS-5 the notice names the CN',
    got[0]?.body);

  // ---- the customer's pages again in English (the account's locale set to en) ----
  const en = await newPage('en-US');
  await en.goto(`${server.url}/register?lang=en`);
  t.equal(await en.getAttribute('html', 'lang'), 'en', 'en: the pages switch to English');
  await shot(en, 'en', 'register');
  await en.goto(`${server.url}/login?lang=en`);
  await shot(en, 'en', 'login');
  await login(en, CUST.login, CUST.pw);
  await en.goto(`${server.url}/account?lang=en`);
  await en.selectOption('form[action="/account/profile"] #locale', 'en');
  await en.click('form[action="/account/profile"] button[type=submit]');
  await en.waitForLoadState();
  await en.goto(`${server.url}/dashboard`);
  t.equal(await en.getAttribute('html', 'lang'), 'en', 'en: the account speaks English now');
  await shot(en, 'en', 'dashboard');
  await wizard(en, 'en', csrPem);
  await en.goto(orderUrl);
  t.equal(await en.getAttribute('html', 'lang'), 'en', 'en: the order page in English');
  await shot(en, 'en', 'order-issued');
  await en.goto(`${server.url}/orders`);
  await shot(en, 'en', 'orders');
  await en.goto(`${server.url}/certificates`);
  await shot(en, 'en', 'certificates');
  await en.goto(`${server.url}/certificates/${serial}`);
  t.equal((await en.textContent('#cert-cn')).trim(), CN, 'en: the detail page');
  await shot(en, 'en', 'certificate-detail');
  t.ok(problems.length === 0, 'no console errors on any page', problems.join('\n'));
} catch (e) {
  t.ok(false, 'the full path runs', e.stack || String(e));
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) {
    const log = server.log();
    t.ok(!/AddressSanitizer|runtime error|LeakSanitizer/.test(log),
      'no sanitizer reports from the server', log.slice(-3000));
    await server.stop();
    forget(server.pid);
  }
  await stopPeers();
  rmSync(tmp, { recursive: true, force: true });
  const secs = (Date.now() - t0) / 1000;
  t.ok(secs < 150, `the whole path within about two minutes (${secs.toFixed(1)} s)`);
  t.done();
}

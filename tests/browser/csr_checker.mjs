// R-CSR-3 (R-CSR-1): the CSR checker page in a real browser. A good CSR (Japanese subject)
// and a bad one (RSA 1024) are pasted in Japanese and in English (switched with the
// header's language link), a DER file is uploaded; the results are asserted and the pages
// saved as tests/browser/out/csr-ja.png and csr-en.png. No console errors (CSP) allowed.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tap, launchBrowser, makeCsr, outDir, startServer } from './lib.mjs';

const t = new Tap();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'shomei-csr-'));
mkdirSync(outDir, { recursive: true });
let server;
let browser;
try {
  const good = makeCsr(tmp, 'good', {
    subj: '/C=JP/ST=東京都/L=千代田区/O=テスト株式会社/OU=情報システム部/CN=www.example.co.jp',
    san: 'DNS:www.example.co.jp,DNS:example.co.jp',
  });
  const bad = makeCsr(tmp, 'bad', { bits: 1024, subj: '/CN=weak.example.co.jp' });
  server = await startServer();
  browser = await launchBrowser();
  const context = await browser.newContext({
    locale: 'ja-JP',
    viewport: { width: 1100, height: 900 },
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));

  // Home page in Japanese, link to the checker.
  await page.goto(`${server.url}/`);
  t.equal(await page.getAttribute('html', 'lang'), 'ja', 'home page is Japanese for a ja-JP browser');
  await page.screenshot({ path: path.join(outDir, 'home-ja.png'), fullPage: true });
  await page.click('.cards a[href="/tools/csr"]');
  await page.waitForURL('**/tools/csr');
  t.equal(await page.textContent('h1'), 'CSRの内容確認', 'the home page links to the CSR checker');

  // The stylesheet loaded and the Japanese font stack resolves to an installed CJK font.
  const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  t.ok(font.includes('Noto Sans CJK JP'), 'body font stack names Noto Sans CJK JP', font);
  const cjk = await page.evaluate(() => {
    const c = document.createElement('canvas').getContext('2d');
    const w = (f) => ((c.font = f), c.measureText('Shomei 証明書 portal').width);
    return w('20px "Noto Sans CJK JP", monospace') !== w('20px monospace');
  });
  t.ok(cjk, 'Noto Sans CJK JP is installed and used (no tofu boxes)');

  // ja: good CSR pasted.
  await page.fill('#csr', good.pem);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  t.ok(await page.isVisible('.banner-ok'), 'ja: good CSR shows the OK banner');
  t.equal((await page.textContent('.banner-ok')).trim(), 'OKこのCSRは申請に使用できます。', 'ja: OK text in Japanese');
  t.equal(await page.textContent('td.cn'), 'www.example.co.jp', 'ja: parsed CN shown');
  t.ok((await page.textContent('td.subject')).includes('O=テスト株式会社'), 'ja: subject in UTF-8');
  t.ok((await page.textContent('td.key')).includes('RSA 2048'), 'ja: key type and size');
  t.equal(await page.locator('.san').count(), 2, 'ja: both SANs listed');
  t.ok(await page.isVisible('li[data-code="csr.subject.ou_dropped"]'), 'ja: OU is noted as dropped');
  await page.screenshot({ path: path.join(outDir, 'csr-ja.png'), fullPage: true });

  // ja: bad CSR.
  await page.fill('#csr', bad.pem);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  t.ok(await page.isVisible('.banner-error'), 'ja: RSA 1024 shows the NG banner');
  const item = page.locator('li[data-code="csr.key.rsa_too_small"]');
  t.equal(await item.count(), 1, 'ja: problem csr.key.rsa_too_small listed');
  const msgJa = await item.locator('.problem-msg').textContent();
  t.ok(/[\u3040-\u30ff\u4e00-\u9fff]/.test(msgJa), 'ja: problem message in Japanese', msgJa);
  await page.screenshot({ path: path.join(outDir, 'csr-ja-ng.png'), fullPage: true });

  // ja: DER file upload.
  await page.fill('#csr', '');
  await page.setInputFiles('#file', good.derPath);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  t.equal(await page.textContent('td.cn'), 'www.example.co.jp', 'ja: uploaded DER file is checked');

  // Switch to English with the header link; the choice sticks (cookie).
  await Promise.all([page.waitForNavigation(), page.click('.lang-switch a[hreflang="en"]')]);
  t.equal(await page.getAttribute('html', 'lang'), 'en', 'language switch to English');
  t.equal(await page.textContent('h1'), 'CSR checker', 'en: heading in English');
  await page.fill('#csr', good.pem);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  t.equal(await page.getAttribute('html', 'lang'), 'en', 'en: result page stays English');
  t.ok((await page.textContent('.banner-ok')).includes('This CSR can be used'), 'en: good CSR shows the OK banner');
  t.equal(await page.textContent('td.cn'), 'www.example.co.jp', 'en: parsed CN shown');
  await page.fill('#csr', bad.pem);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  t.ok(await page.isVisible('.banner-error'), 'en: RSA 1024 shows the NG banner');
  const msgEn = await page.locator('li[data-code="csr.key.rsa_too_small"] .problem-msg').textContent();
  t.ok(/^[\x20-\x7e]+$/.test(msgEn) && msgEn !== msgJa, 'en: problem message in English', msgEn);
  t.equal(await page.textContent('td.cn'), 'weak.example.co.jp', 'en: parsed CN of the bad CSR');
  await page.screenshot({ path: path.join(outDir, 'csr-en.png'), fullPage: true });

  t.ok(problems.length === 0, 'no console errors or CSP violations', problems.join('\n'));

  // The error page in the chosen language.
  const resp = await page.goto(`${server.url}/no/such/page`);
  t.equal(resp.status(), 404, 'unknown page answers 404 with the error page');
  t.ok((await page.textContent('.banner-error')).includes('was not found'), 'en: 404 message in English');
  await page.screenshot({ path: path.join(outDir, 'error-en.png') });

  await context.close();
} catch (e) {
  t.ok(false, 'browser test ran to the end', e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close();
  if (server) {
    const exit = await server.stop();
    t.ok(exit && exit.code === 0, 'server stopped cleanly by PID', JSON.stringify(exit) + '\n' + server.log().slice(-2000));
  }
  rmSync(tmp, { recursive: true, force: true });
  t.done();
}

// Information governance in headless Chromium: signs in through the local OpenID Provider's login
// page as the sample governance officer, looks a person up on the audit trail (first with a typing
// mistake, to see the error summary), downloads the CSV, exports the person and downloads the
// archive by the page's link. axe-core checks each page against WCAG 2.2 A and AA. Prints one JSON
// object, with the CSV's text and the archive in base64; the Go test judges them.
//
//   node audit.mjs <site URL> <email address>
// CFP_SCREENSHOTS=<dir> keeps a picture of every page checked.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const [site, email] = process.argv.slice(2);
if (!site || !email) {
  console.error('usage: node audit.mjs <site URL> <email address>');
  process.exit(2);
}
const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const out = { pages: [], pageErrors: [] };
const shots = process.env.CFP_SCREENSHOTS;

async function check(page, response) {
  if (shots) {
    const name = new URL(page.url()).pathname.replace(/^\/+|\/+$/g, '').replace(/[^a-z0-9]+/gi, '-') || 'root';
    await page.screenshot({ path: join(shots, `audit-${out.pages.length}-${name}.png`), fullPage: true });
  }
  await page.evaluate(axe.source);
  const r = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return { passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })) };
  }, wcag);
  out.pages.push({
    path: new URL(page.url()).pathname, status: response ? response.status() : 0,
    h1: (await page.locator('h1').first().textContent())?.trim(),
    errors: await page.locator('.govuk-error-summary a').allTextContents(),
    rulesPassed: r.passes, violations: r.violations,
  });
}

const profile = mkdtempSync(join(tmpdir(), 'cfp-chromium-'));
try {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, chromiumSandbox: false, acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  await page.goto(site + '/staff/audit'); // to sign-in, then to the provider's login page
  await page.fill('input[name=login]', 'governance');
  await page.fill('input[name=password]', 'any password');
  let last;
  page.on('response', (r) => { if (r.request().isNavigationRequest() && r.url().startsWith(site)) last = r; });
  await Promise.all([page.waitForURL((u) => u.toString().startsWith(site + '/staff/audit')), page.click('button[type=submit]')]);
  await page.waitForLoadState('load');
  await check(page, last);

  const ask = async (typed) => {
    await page.fill('#email', typed);
    const [resp] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Show events' }).click()]);
    await check(page, resp);
  };
  await ask(email.replace('@', ' at '));
  await ask(email);

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as CSV' }).click()]);
  out.csvName = csv.suggestedFilename();
  out.csv = readFileSync(await csv.path(), 'utf8');

  const [made] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Export everything about this person' }).click()]);
  await check(page, made);
  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the export (zip)' }).click()]);
  out.zipName = zip.suggestedFilename();
  out.zip = readFileSync(await zip.path()).toString('base64');
  await context.close();
} catch (e) {
  out.error = String(e);
} finally {
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));

// Support helps a person, in headless Chromium, signed in through the local OpenID Provider's login
// page as the sample support member: finds them by a surname prefix, opens their page, clears the
// suppression of their address and sends them a new invitation, each confirmed by a banner; and
// the search's error state. axe-core checks each page against WCAG 2.2 A and AA. Prints one JSON
// object; the Go test judges it.
//
//   node person.mjs <site URL> <surname prefix> <email>
// CFP_SCREENSHOTS=<dir> keeps a picture of every page checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const [site, prefix, email] = process.argv.slice(2);
if (!site || !prefix || !email) {
  console.error('usage: node person.mjs <site URL> <surname prefix> <email>');
  process.exit(2);
}
const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const out = { pages: [], pageErrors: [] };
const shots = process.env.CFP_SCREENSHOTS;

async function check(page, step, response) {
  if (shots) {
    await page.screenshot({ path: join(shots, `person-${out.pages.length}-${step}.png`), fullPage: true });
  }
  await page.evaluate(axe.source);
  const r = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return { passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })) };
  }, wcag);
  const banner = page.locator('.govuk-notification-banner');
  const summary = page.locator('.govuk-error-summary');
  out.pages.push({
    step, path: new URL(page.url()).pathname, status: response ? response.status() : 0,
    h1: (await page.locator('h1').first().textContent())?.trim(),
    banner: (await banner.count()) ? (await banner.textContent()).replace(/\s+/g, ' ').trim() : '',
    errorSummary: (await summary.count()) ? (await summary.textContent()).replace(/\s+/g, ' ').trim() : '',
    links: await page.locator('main a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
    rulesPassed: r.passes, violations: r.violations,
  });
}

async function submit(page, button) {
  const [resp] = await Promise.all([page.waitForNavigation(), button.click()]);
  return resp;
}

const profile = mkdtempSync(join(tmpdir(), 'cfp-chromium-'));
try {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, chromiumSandbox: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  console.error('person.mjs: support signs in');
  await page.goto(site + '/staff/people'); // to sign-in, the provider's login page, and back
  await page.fill('input[name=login]', 'support');
  await page.fill('input[name=password]', 'any password');
  let last;
  page.on('response', (r) => { if (r.request().isNavigationRequest() && r.url().startsWith(site)) last = r; });
  await Promise.all([page.waitForURL((u) => u.toString().startsWith(site + '/staff/people')), page.click('button[type=submit]')]);
  await page.waitForLoadState('load');
  await check(page, 'search', last);

  await page.fill('input[name=q]', 'smi#th');
  await check(page, 'search-error', await submit(page, page.getByRole('button', { name: 'Search' })));

  await page.fill('input[name=q]', prefix);
  await check(page, 'found', await submit(page, page.getByRole('button', { name: 'Search' })));

  await check(page, 'person', await submit(page, page.locator(`main a[href="/staff/people/${email}"]`)));

  await check(page, 'cleared', await submit(page, page.getByRole('button', { name: 'Clear the suppression' })));

  await check(page, 'reissued', await submit(page, page.getByRole('button', { name: /^Send a new invitation/ })));
  await context.close();
} catch (e) {
  out.error = String(e);
} finally {
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));

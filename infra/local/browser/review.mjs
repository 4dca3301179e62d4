// Opens the link of a "ready for review" email in headless Chromium as a reviewer would, with the
// page's own security headers in force: the staff workspace sends the browser to sign in at the local
// OpenID Provider (as the sample reviewer) and back to the request; there it records a telephone
// security check, submits an approval without a client reference (the error state), then approves. axe-core checks the review page, the error state and
// the confirmation against WCAG 2.2 A and AA. Prints one JSON object; the Go test judges it.
//
//   node review.mjs <request's workspace URL> [client reference]
// CFP_SCREENSHOTS=<dir> keeps a picture of every page checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const [url, clientReference = '1234567'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node review.mjs <review URL> [client reference]');
  process.exit(2);
}

const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const profile = mkdtempSync(join(tmpdir(), 'cfp-chromium-'));
const out = { pages: [], steps: {}, cspViolations: [], pageErrors: [] };

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  chromiumSandbox: false,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) out.cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));

  // check runs axe on the page as it is and records what a person would see.
  const check = async (name, response) => {
    if (process.env.CFP_SCREENSHOTS) {
      await page.screenshot({ path: join(process.env.CFP_SCREENSHOTS, `review-${out.pages.length}-${name}.png`), fullPage: true });
    }
    // Evaluated through the DevTools protocol, which the page's CSP does not govern; the page itself
    // can run no script.
    await page.evaluate(axe.source);
    const result = await page.evaluate(async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return {
        passes: r.passes.length,
        violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })),
      };
    }, wcag);
    out.pages.push({
      name,
      status: response ? response.status() : 0,
      title: await page.title(),
      h1: (await page.locator('h1').first().textContent())?.trim(),
      status_tag: (await page.locator('#status').count()) ? (await page.locator('#status').textContent()).trim() : '',
      styled: await page.evaluate(() => getComputedStyle(document.querySelector('.govuk-service-navigation')).backgroundColor),
      rulesPassed: result.passes, // axe ran: a page with nothing checked would pass vacuously
      violations: result.violations,
    });
  };

  // submit clicks a form's button and returns the answer the browser finally showed.
  const submit = async (button) => {
    const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button }).click()]);
    return response;
  };

  // The link needs a staff session: sign-in, the provider's login page, and back to the request.
  const site = new URL(url).origin;
  let last;
  page.on('response', (r) => { if (r.request().isNavigationRequest() && r.url().startsWith(site)) last = r; });
  await page.goto(url);
  await page.fill('input[name=login]', 'reviewer');
  await page.fill('input[name=password]', 'any password');
  await Promise.all([page.waitForURL((u) => u.toString() === url), page.click('button[type=submit]')]);
  await page.waitForLoadState('load');
  await check('review', last);

  await page.getByLabel('What did the security check find?').fill('Phoned the requester on 01632 960001; identity confirmed.');
  await submit('Record security check');
  out.steps.securityCheck = {
    banner: (await page.locator('.govuk-notification-banner').count()) ? (await page.locator('.govuk-notification-banner').textContent()).replace(/\s+/g, ' ').trim() : '',
    inHistory: await page.getByRole('cell', { name: /Security check: Phoned the requester/ }).count() > 0,
  };

  await page.getByLabel('Approve').check();
  const error = await submit('Save decision');
  await check('error', error);
  out.steps.error = {
    summary: (await page.locator('.govuk-error-summary').count()) ? (await page.locator('.govuk-error-summary').textContent()).replace(/\s+/g, ' ').trim() : '',
  };

  await page.getByLabel('Approve').check();
  await page.getByLabel('Client reference', { exact: true }).fill(clientReference);
  await page.getByLabel('Client reference again', { exact: true }).fill(clientReference);
  await check('confirmation', await submit('Save decision'));
  out.steps.approve = {
    banner: (await page.locator('.govuk-notification-banner').count()) ? (await page.locator('.govuk-notification-banner').textContent()).replace(/\s+/g, ' ').trim() : '',
    outcome: (await page.locator('#outcome').count()) ? (await page.locator('#outcome').textContent()).replace(/\s+/g, ' ').trim() : '',
    url: page.url(),
  };
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(out.error ? 1 : 0);

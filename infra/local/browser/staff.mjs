// Signs in to the staff workspace in headless Chromium through the local OpenID Provider's login
// page: first as the sample reviewer, who must see the queue, a request, the look-up (through the
// navigation) and its error state, a client's page (when a client reference is given) and, after
// signing out, the signed-out page; then the same reviewer with JavaScript off (queue, request,
// client page); then the administrator's queue (their navigation); then as the sample person
// with no role, who must see "no access" only. axe-core checks each staff page against WCAG 2.2 A
// and AA. Prints one JSON object; the Go test judges it.
//
//   node staff.mjs <site URL> [client reference]
// CFP_SCREENSHOTS=<dir> keeps a picture of every page checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const [site, clientRef] = process.argv.slice(2);
if (!site) {
  console.error('usage: node staff.mjs <site URL>');
  process.exit(2);
}
const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const out = { pages: [], pageErrors: [], cspViolations: [] };
const shots = process.env.CFP_SCREENSHOTS;

async function check(page, who, response) {
  if (shots) {
    const name = new URL(page.url()).pathname.replace(/^\/+|\/+$/g, '').replace(/[^a-z0-9]+/gi, '-') || 'root';
    await page.screenshot({ path: join(shots, `staff-${who}-${out.pages.length}-${name}.png`), fullPage: true });
  }
  // With JavaScript off nothing can be evaluated in the page (axe included): such a page is judged
  // by what it shows; axe checks the same pages with JavaScript on.
  const nojs = who.endsWith('-nojs');
  const r = nojs ? { passes: -1, violations: [] } : await (async () => {
    await page.evaluate(axe.source);
    return page.evaluate(async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return { passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })) };
    }, wcag);
  })();
  const texts = async (sel) => { const out = []; for (const l of await page.locator(sel).all()) out.push((await l.textContent()).trim()); return out; };
  out.pages.push({
    who, path: new URL(page.url()).pathname, status: response ? response.status() : 0,
    h1: (await page.locator('h1').first().textContent())?.trim(),
    nav: await texts('.govuk-service-navigation__list a'),
    styled: nojs ? '' : await page.evaluate(() => getComputedStyle(document.querySelector('.govuk-service-navigation')).backgroundColor),
    jsEnabled: nojs ? false : await page.evaluate(() => document.body.classList.contains('govuk-frontend-supported')),
    rulesPassed: r.passes, violations: r.violations,
  });
}

const profiles = [];
try {
  for (const who of ['reviewer', 'reviewer-nojs', 'admin', 'norole']) {
    const profile = mkdtempSync(join(tmpdir(), 'cfp-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
      javaScriptEnabled: who !== 'reviewer-nojs',
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, chromiumSandbox: false,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(30000);
    page.on('pageerror', (e) => out.pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) out.cspViolations.push(m.text());
    });
    console.error(`staff.mjs: ${who} signs in`);
    await page.goto(site + '/staff'); // to sign-in, then to the provider's login page
    await page.fill('input[name=login]', who.replace('-nojs', ''));
    await page.fill('input[name=password]', 'any password');
    let last;
    page.on('response', (r) => { if (r.request().isNavigationRequest() && r.url().startsWith(site)) last = r; });
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(site + '/staff') && !u.pathname.endsWith('/callback')), page.click('button[type=submit]')]);
    await page.waitForLoadState('load');
    await check(page, who, last);
    const row = page.locator('main table a').first();
    if (who.startsWith('reviewer') && await row.count()) {
      const [resp] = await Promise.all([page.waitForNavigation(), row.click()]);
      await check(page, who, resp);
    }
    if (who === 'reviewer-nojs' && clientRef) await check(page, who, await page.goto(site + '/staff/clients/' + clientRef));
    if (who === 'reviewer') {
      const [findPage] = await Promise.all([page.waitForNavigation(), page.locator('.govuk-service-navigation__list a', { hasText: 'Find' }).click()]);
      await check(page, who, findPage);
      await page.fill('input[name=reference]', 'not a reference');
      const [found] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Find' }).click()]);
      await check(page, who, found);
      if (clientRef) await check(page, who, await page.goto(site + '/staff/clients/' + clientRef));
      const [out] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign out' }).click()]);
      await check(page, who, out);
    }
    await context.close();
  }
} catch (e) {
  out.error = String(e);
} finally {
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
}
console.log(JSON.stringify(out));

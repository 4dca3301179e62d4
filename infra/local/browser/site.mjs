// Opens the site's pages that need no data (the start page and the four footer pages) in headless
// Chromium, with JavaScript on and then off, with the pages' own security headers in force. axe-core
// checks each against WCAG 2.2 A and AA (run through the DevTools protocol, so it works with the
// page's JavaScript off too). Prints one JSON object; the Go test judges it.
//
//   node site.mjs <site URL> [screenshot.png]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const [site, screenshot] = process.argv.slice(2);
if (!site) {
  console.error('usage: node site.mjs <site URL> [screenshot.png]');
  process.exit(2);
}

const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const paths = ['/', '/accessibility', '/privacy', '/cookies', '/contact'];
const out = { pages: [], cspViolations: [], pageErrors: [] };

// A persistent context per run, as review.mjs launches Chromium (a fresh profile each time).
const launch = (javaScript, profile) => chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  chromiumSandbox: false,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const profiles = [];
try {
  for (const javaScript of [true, false]) {
    const profile = mkdtempSync(join(tmpdir(), 'cfp-chromium-'));
    profiles.push(profile);
    const context = await launch(javaScript, profile);
    const page = context.pages()[0] ?? await context.newPage();
    if (!javaScript) {
      // JavaScript off as the page sees it: its scripts never arrive, so none runs, while axe can
      // still be run through the DevTools protocol (Chromium's own switch would stop that too).
      await page.route('**/*', async (route) => {
        const request = route.request();
        if (request.resourceType() === 'script') return route.abort();
        if (request.resourceType() !== 'document') return route.continue();
        const response = await route.fetch();
        const body = (await response.text()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
        return route.fulfill({ response, body });
      });
    }
    page.setDefaultTimeout(30000);
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) out.cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => out.pageErrors.push(String(e)));
    for (const path of paths) {
      console.error(`site.mjs: ${path} with JavaScript ${javaScript ? 'on' : 'off'}`);
      const response = await page.goto(site + path);
      // With JavaScript on, wait for govuk-frontend to have initialised its components.
      if (javaScript) await page.waitForFunction(() => document.body.classList.contains('js-enabled'));
      await page.evaluate(axe.source);
      const result = await page.evaluate(async (tags) => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
        return {
          passes: r.passes.length,
          violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })),
        };
      }, wcag);
      out.pages.push({
        path,
        javaScript,
        jsEnabledClass: await page.evaluate(() => document.body.classList.contains('js-enabled')),
        status: response ? response.status() : 0,
        title: await page.title(),
        h1: (await page.locator('h1').first().textContent())?.trim(),
        // The council's stylesheet applied: the header has its brand colour, not the browser's white.
        styled: await page.evaluate(() => getComputedStyle(document.querySelector('.govuk-generic-header')).backgroundColor),
        start: (await page.locator('a.govuk-button--start').count()) ? await page.locator('a.govuk-button--start').getAttribute('href') : '',
        rulesPassed: result.passes,
        violations: result.violations,
      });
      if (screenshot && javaScript && path === '/') await page.screenshot({ path: screenshot, fullPage: true });
    }
    await context.close();
  }
} catch (e) {
  out.error = String(e);
} finally {
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
}
console.log(JSON.stringify(out));

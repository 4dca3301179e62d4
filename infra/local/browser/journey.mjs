// Walks the request journey in headless Chromium through the running local stack, with JavaScript
// on and then off: the start page, each question (with one mistake), two evidence files uploaded
// through their presigned POST forms straight to S3, "check your answers", the confirmation, the
// confirmation email's link to the status page (read from the local mailbox), "I lost my link", and
// withdrawing the request from its status page.
// axe-core checks every page against WCAG 2.2 A and AA. Prints one JSON object; the Go test judges it.
//
//   node journey.mjs <site URL> <mailbox URL> <email prefix> <file 1> <file 2> [screenshot dir]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const [site, mailbox, prefix, file1, file2, shots] = process.argv.slice(2);
if (!file2) {
  console.error('usage: node journey.mjs <site URL> <mailbox URL> <email prefix> <file 1> <file 2> [screenshot dir]');
  process.exit(2);
}

const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const out = { runs: [], cspViolations: [], pageErrors: [] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// mail waits for an email to `to` whose subject contains `subject`, and returns it.
async function mail(to, subject) {
  for (let i = 0; i < 150; i++) {
    const store = await (await fetch(mailbox + '/store')).json();
    const m = (store.emails || []).find((e) => (e.destination?.to || []).some((a) => a.toLowerCase() === to) && e.subject.includes(subject));
    if (m) return m;
    await sleep(400);
  }
  throw new Error(`no email "${subject}" to ${to}`);
}

const launch = (profile) => chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  chromiumSandbox: false,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const profiles = [];
const contexts = [];
try {
  for (const javaScript of [true, false]) {
    const run = { javaScript, pages: [], steps: {} };
    out.runs.push(run);
    const email = `${prefix}.${javaScript ? 'js' : 'nojs'}@example.com`;
    const profile = mkdtempSync(join(tmpdir(), 'cfp-chromium-'));
    profiles.push(profile);
    const context = await launch(profile);
    contexts.push(context);
    const page = context.pages()[0] ?? await context.newPage();
    if (!javaScript) {
      // As site.mjs: the page's scripts never arrive, while axe still runs through DevTools.
      await page.route('**/*', async (route) => {
        const request = route.request();
        if (request.resourceType() === 'script') return route.abort();
        if (request.resourceType() !== 'document' || !request.url().startsWith(site)) return route.continue();
        // The browser follows redirects itself, so the page keeps its own address (a form posts to it).
        const response = await route.fetch({ maxRedirects: 0 });
        if (response.status() >= 300 && response.status() < 400) return route.fulfill({ response });
        const body = (await response.text()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
        return route.fulfill({ response, body });
      });
    }
    page.setDefaultTimeout(30000);
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) out.cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => out.pageErrors.push(String(e)));
    let last = null;
    page.on('response', (r) => { if (r.request().isNavigationRequest() && r.url().startsWith(site)) last = r; });

    // check runs axe on the page as it is and records it under name.
    const check = async (name) => {
      if (javaScript) await page.waitForFunction(() => document.body.classList.contains('js-enabled'));
      await page.evaluate(axe.source);
      const result = await page.evaluate(async (tags) => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
        return { passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })) };
      }, wcag);
      run.pages.push({
        name,
        path: new URL(page.url()).pathname,
        status: last ? last.status() : 0,
        title: await page.title(),
        h1: (await page.locator('h1').first().textContent())?.trim(),
        summary: (await page.locator('.govuk-error-summary').count()) ? (await page.locator('.govuk-error-summary').textContent()).replace(/\s+/g, ' ').trim() : '',
        rulesPassed: result.passes,
        violations: result.violations,
      });
      if (shots) await page.screenshot({ path: join(shots, `${javaScript ? 'js' : 'nojs'}-${name}.png`), fullPage: true });
    };
    const submit = (text) => Promise.all([page.waitForNavigation(), page.getByRole('button', { name: text, exact: true }).click()]);

    console.error(`journey.mjs: JavaScript ${javaScript ? 'on' : 'off'}`);
    await page.goto(site + '/');
    await check('start');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Start now' }).click()]);
    await check('relationship');
    await submit('Continue');
    await check('relationship-error');
    await page.getByLabel('Deputy for property and affairs').check();
    await submit('Continue');

    await check('your-details');
    await page.getByLabel('Full name').fill('Dee Puty');
    await page.getByLabel('Email address').fill('not an address');
    await submit('Continue');
    await check('your-details-error');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('UK telephone number (optional)').fill('01632 960001');
    await submit('Continue');

    await check('client');
    await page.getByLabel('Full name').fill('Cli Ent');
    await page.getByLabel('Day').fill('4');
    await page.getByLabel('Month').fill('3');
    await page.getByLabel('Year').fill(String(new Date().getFullYear() + 1));
    await page.getByLabel('Postcode').fill('SW1A 1AA');
    await submit('Continue');
    await check('client-error');
    await page.getByLabel('Year').fill('1941');
    await submit('Continue');

    await check('evidence');
    for (const file of [file1, file2]) {
      await page.locator('input[type=file]').setInputFiles(file);
      await submit('Upload file');
    }
    // Each file's checks show as they finish: "Check again" until both are accepted.
    for (let i = 0; i < 60 && await page.getByRole('button', { name: 'Check again', exact: true }).count(); i++) {
      await sleep(1000);
      await submit('Check again');
    }
    run.steps.files = (await page.locator('#files .govuk-tag').allTextContents()).map((s) => s.trim());
    await check('evidence-uploaded');

    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Continue', exact: true }).click()]);
    await check('check-answers');
    await submit('Accept and send');
    await check('confirmation');
    run.steps.reference = (await page.locator('.govuk-panel__body strong').textContent()).trim();

    const received = await mail(email, 'We have received your request');
    run.steps.receivedHasReference = received.body.text.includes(run.steps.reference);
    const link = received.body.text.match(/https?:\/\/\S+\/access-requests\/\S+\?token=\S+/)[0];
    await page.goto(link);
    await check('status');
    run.steps.statusText = (await page.locator('main').textContent()).replace(/\s+/g, ' ').trim();

    await page.goto(site + '/request/lost-link');
    await check('lost-link');
    await submit('Send me a new link');
    await check('lost-link-error');
    await page.getByLabel('Email address').fill(email.toUpperCase());
    await submit('Send me a new link');
    await check('lost-link-sent');
    const fresh = await mail(email, 'Your link to your request');
    const freshLink = fresh.body.text.match(/https?:\/\/\S+\/access-requests\/\S+\?token=\S+/)[0];
    run.steps.freshLinkDiffers = freshLink !== link;
    await page.goto(freshLink);
    await check('status-from-fresh-link');
    run.steps.freshStatusHasReference = (await page.locator('main').textContent()).includes(run.steps.reference);

    // Withdrawn from its status page: a confirmation page, then "Request withdrawn".
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Withdraw this request', exact: true }).click()]);
    await check('withdraw');
    await submit('Yes, withdraw this request');
    await check('withdrawn');
    await page.goto(freshLink);
    await check('status-withdrawn');
    run.steps.withdrawnText = (await page.locator('main').textContent()).replace(/\s+/g, ' ').trim();
    await context.close();
  }
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  for (const c of contexts) await c.close().catch(() => {});
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
process.exit(0);

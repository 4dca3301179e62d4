// Walks a person's pages in headless Chromium through the running local stack: the approval
// email's registration link, a mistake and then the name, "check your email", the verification
// link read from the mailbox and its confirm button, sign-in with the code read from the mailbox,
// the client list, one client's documents (a filter, a download), their own requests and one's
// status, a new request's details filled in from the session, and sign out. JavaScript on or
// off as asked (off as site.mjs does it: the page's scripts never arrive). axe-core checks every
// page against WCAG 2.2 A and AA. Prints one JSON object; the Go test judges it.
//
//   node account.mjs <site URL> <registration link> <email> <mailbox URL> <client ref> <js|nojs> [screenshot dir]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const [site, registerLink, email, mailboxURL, clientRef, js, shots] = process.argv.slice(2);
if (!js) {
  console.error('usage: node account.mjs <site URL> <registration link> <email> <mailbox URL> <client ref> <js|nojs> [screenshot dir]');
  process.exit(2);
}
const javaScript = js === 'js';
const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const out = { javaScript, pages: [], clients: [], documents: [], cspViolations: [], pageErrors: [] };

// mail waits for the newest email to the address whose subject contains subject, and returns its text.
async function mail(subject, after) {
  for (let i = 0; i < 120; i++) {
    const r = await fetch(mailboxURL.replace(/\/$/, '') + '/store');
    const { emails } = await r.json();
    const mine = emails.filter((m) => (m.destination.to || []).some((to) => to.includes(email)) && m.subject.includes(subject));
    if (mine.length > after) return mine[mine.length - 1].body.text;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`no email about "${subject}" to ${email}`);
}
async function count(subject) {
  const r = await fetch(mailboxURL.replace(/\/$/, '') + '/store');
  const { emails } = await r.json();
  return emails.filter((m) => (m.destination.to || []).some((to) => to.includes(email)) && m.subject.includes(subject)).length;
}

const profile = mkdtempSync(join(tmpdir(), 'cfp-chromium-'));
try {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  if (!javaScript) {
    await page.route('**/*', async (route) => {
      const request = route.request();
      if (request.resourceType() === 'script') return route.abort();
      if (request.resourceType() !== 'document' || !request.url().startsWith(site) || request.url().includes('/api/')) return route.continue();
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

  // check records the page the browser shows now, with axe's verdict.
  async function check(name, response) {
    console.error(`account.mjs: ${name} with JavaScript ${javaScript ? 'on' : 'off'}`);
    if (javaScript) await page.waitForFunction(() => document.body.classList.contains('js-enabled'));
    await page.evaluate(axe.source);
    const result = await page.evaluate(async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return {
        passes: r.passes.length,
        violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })),
      };
    }, wcag);
    const summary = page.locator('.govuk-error-summary');
    out.pages.push({
      name,
      path: new URL(page.url()).pathname,
      status: response ? response.status() : 0,
      title: await page.title(),
      h1: (await page.locator('h1').first().textContent())?.trim(),
      errorSummary: (await summary.count()) ? (await summary.textContent()).trim() : '',
      styled: await page.evaluate(() => getComputedStyle(document.querySelector('.govuk-generic-header')).backgroundColor),
      rulesPassed: result.passes,
      violations: result.violations,
    });
    if (shots) await page.screenshot({ path: join(shots, `${name}-${js}.png`), fullPage: true });
  }
  const click = async (locator) => {
    const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
    return response;
  };

  await check('register', await page.goto(registerLink));
  await check('register-error', await click(page.getByRole('button', { name: 'Continue' })));
  await page.getByLabel('Full name').fill('Dee Puty');
  const verifyBefore = await count('Confirm your email address');
  await check('check-email', await click(page.getByRole('button', { name: 'Continue' })));

  const verifyText = await mail('Confirm your email address', verifyBefore);
  const verifyLink = verifyText.match(/https?:\/\/\S+\/verify\?token=[A-Za-z0-9_%-]+/)[0];
  await check('verify', await page.goto(verifyLink));
  await check('signed-in-confirmed', await click(page.getByRole('button', { name: 'Confirm email address' })));

  await page.getByLabel('Sign in with your email address').fill('nonsense');
  await check('sign-in-error', await click(page.getByRole('button', { name: 'Continue' })));
  await page.getByLabel('Sign in with your email address').fill(email);
  const codesBefore = await count('Your sign-in code');
  await check('code', await click(page.getByRole('button', { name: 'Continue' })));
  const code = (await mail('Your sign-in code', codesBefore)).match(/\bis ([0-9]{6})\b/)[1];
  await page.getByLabel('Enter the code we emailed you').fill(code);
  await check('clients', await click(page.getByRole('button', { name: 'Sign in' })));
  out.clients = await page.locator('#clients > li > a').evaluateAll((as) => as.map((a) => ({ name: a.textContent.trim(), href: a.getAttribute('href') })));

  await check('documents', await click(page.locator(`a[href="/clients/${clientRef}"]`)));
  out.documents = await page.locator('#documents tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim().replace(/\s+/g, ' '))));
  if (shots) await page.screenshot({ path: join(shots, `document-list-${js}.png`), fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#documents tbody a').first().click()]);
  const saved = join(profile, 'download.pdf');
  await download.saveAs(saved);
  out.download = { name: download.suggestedFilename(), size: statSync(saved).size };

  await page.selectOption('#type', 'care_invoice');
  await check('documents-filtered', await click(page.getByRole('button', { name: 'Show' })));
  out.filtered = await page.locator('#documents tbody tr').evaluateAll((rows) => rows.map((r) => r.cells[1].textContent.trim()));

  // Their own requests, each one's status, and a new request with their details filled in.
  await page.goto(site + '/clients');
  await check('requests', await click(page.getByRole('link', { name: 'See your requests and where each one is' })));
  out.requests = await page.locator('#requests tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim().replace(/\s+/g, ' '))));
  await check('request-status', await click(page.locator('#requests tbody a').first()));
  out.requestStatus = (await page.locator('.govuk-summary-list').first().textContent()).trim().replace(/\s+/g, ' ');
  await click(page.locator('a.govuk-back-link'));
  await click(page.getByRole('button', { name: 'Request access for another client' }));
  await page.getByLabel('Deputy for property and affairs').check();
  await check('request-details', await click(page.getByRole('button', { name: 'Continue' })));
  out.prefilled = {
    name: await page.locator('#name').inputValue(),
    emailInputs: await page.locator('#email').count(),
    intro: (await page.locator('main p.govuk-body').first().textContent()).trim(),
  };
  await page.goto(site + '/clients');

  await check('signed-out', await click(page.getByRole('button', { name: 'Sign out' })));
  await page.goto(site + '/clients');
  out.afterSignOut = new URL(page.url()).pathname;
  await context.close();
} catch (e) {
  out.error = String(e.stack || e);
} finally {
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));

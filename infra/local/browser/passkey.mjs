// Passkeys in headless Chromium with its virtual authenticator (the DevTools WebAuthn domain):
// sign in with a code from the mailbox, open Passkeys, a blank name (the server's error summary),
// add a passkey, sign out, sign in with it, remove it, sign out, and see the removed passkey
// refused. axe-core checks the passkey pages against WCAG 2.2 A and AA. Prints one JSON object;
// the Go test judges it.
//
//   node passkey.mjs <site URL> <email> <mailbox URL> [screenshot dir]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const [site, email, mailboxURL, shots] = process.argv.slice(2);
const wcag = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const out = { pages: [], cspViolations: [], pageErrors: [] };

async function codes() {
  const r = await fetch(mailboxURL.replace(/\/$/, '') + '/store');
  const { emails } = await r.json();
  return emails.filter((m) => (m.destination.to || []).some((to) => to.includes(email)) && m.subject.includes('Your sign-in code'));
}
async function code(before) {
  for (let i = 0; i < 120; i++) {
    const mine = await codes();
    if (mine.length > before) return mine[mine.length - 1].body.text.match(/\bis ([0-9]{6})\b/)[1];
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error('no sign-in code');
}

const profile = mkdtempSync(join(tmpdir(), 'cfp-chromium-'));
try {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) out.cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });

  async function check(name, response) {
    console.error(`passkey.mjs: ${name}`);
    await page.waitForFunction(() => document.body.classList.contains('js-enabled'));
    await page.evaluate(axe.source);
    const result = await page.evaluate(async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return { passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })) };
    }, wcag);
    const summary = page.locator('.govuk-error-summary:not(.govuk-\\!-display-none)');
    out.pages.push({
      name,
      path: new URL(page.url()).pathname + new URL(page.url()).search,
      status: response ? response.status() : 0,
      title: await page.title(),
      errorSummary: (await summary.count()) ? (await summary.first().textContent()).trim().replace(/\s+/g, ' ') : '',
      rows: await page.locator('#passkeys tbody tr').count(),
      rulesPassed: result.passes,
      violations: result.violations,
    });
    if (shots) await page.screenshot({ path: join(shots, `passkey-${name}.png`), fullPage: true });
  }
  const click = async (locator) => {
    const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
    return response;
  };
  const signInWithCode = async () => {
    await page.goto(site + '/sign-in');
    await page.getByLabel('Sign in with your email address').fill(email);
    const before = (await codes()).length;
    await click(page.getByRole('button', { name: 'Continue' }));
    await page.getByLabel('Enter the code we emailed you').fill(await code(before));
    await click(page.getByRole('button', { name: 'Sign in' }));
  };

  await signInWithCode();
  await check('passkeys', await click(page.getByRole('link', { name: /Passkeys/ })));
  await check('passkeys-error', await click(page.getByRole('button', { name: 'Add a passkey' })));
  await page.getByLabel('Name this passkey').fill('Test phone');
  await check('passkey-added', await click(page.getByRole('button', { name: 'Add a passkey' })));
  out.credentials = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length;
  await page.goto(site + '/clients');
  await click(page.getByRole('button', { name: 'Sign out' }));
  await page.goto(site + '/clients');
  out.afterSignOut = new URL(page.url()).pathname;

  await check('sign-in', await page.goto(site + '/sign-in'));
  await click(page.getByRole('button', { name: 'Sign in with a passkey' }));
  out.afterPasskey = new URL(page.url()).pathname;

  await page.goto(site + '/account/passkeys');
  await check('passkey-removed', await click(page.getByRole('button', { name: 'Remove Test phone' })));
  await page.goto(site + '/clients');
  await click(page.getByRole('button', { name: 'Sign out' }));
  await page.goto(site + '/sign-in');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.locator('#passkey-problem:not(.govuk-\\!-display-none)').waitFor();
  await check('passkey-refused', null);
  out.afterRemoved = new URL(page.url()).pathname;
  await context.close();
} catch (e) {
  out.error = String(e.stack || e);
} finally {
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));

/**
 * The admin dashboard in a real browser: headless Chromium (the system /usr/bin/chromium, driven
 * by playwright-core; no browser is ever downloaded) logs in with the bearer token, loads `/`,
 * and must show the three SVG charts of the pool (shares, drain, top resolvers) with every member
 * labelled, re-render from `/report` when the polled data changes, run nothing the page's CSP
 * blocks, and fetch nothing from anywhere but Rondo itself. Saves a screenshot to
 * test/artifacts/dashboard.png (gitignored) for a human to look at.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryFrom, startAdminRig, type AdminRig } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'dashboard-test-token-0123456789';
const MEMBERS = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'];
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

describe.runIf(existsSync(CHROMIUM))('dashboard in headless Chromium', () => {
  let rig: AdminRig;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    rig = await startAdminRig({ token: TOKEN, pollIntervalMs: 300, reportCacheMs: 0 });
    // Three resolvers (three /24s), the first much busier.
    await queryFrom('127.0.1.1', rig.dnsPort, 'www.example.test.', 40, 5);
    await queryFrom('127.0.2.1', rig.dnsPort, 'www.example.test.', 12, 5);
    await queryFrom('127.0.3.1', rig.dnsPort, 'www.example.test.', 6, 5);
    profile = await mkdtemp(path.join(os.tmpdir(), 'rondo-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1100, height: 1400 },
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await rig?.stop();
  });

  it('renders the charts with every member, follows new data, and loads nothing from elsewhere', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('request', (req) => {
      if (!req.url().startsWith(rig.url)) foreign.push(req.url());
    });

    // Without the token: refused (asked outside the page, whose console would log the 401).
    const denied = await context.request.get(`${rig.url}/`);
    expect(denied.status()).toBe(401);

    // Log in once: the token becomes a cookie and leaves the address bar.
    const res = await page.goto(`${rig.url}/?token=${TOKEN}`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${rig.url}/`);

    const section = page.locator('section.rondo-pool[data-pool="www.example.test./A"]');
    await expect.poll(() => section.count()).toBe(1);
    for (const chart of ['shares', 'drain', 'resolvers']) {
      await expect.poll(() => section.locator(`svg.rondo-chart[data-chart="${chart}"]`).count(), { message: chart }).toBe(1);
    }
    const shareLabels = await section.locator('svg[data-chart="shares"] text.member-label').allTextContents();
    expect(shareLabels).toEqual(MEMBERS);
    const resolverLabels = await section.locator('svg[data-chart="resolvers"] text.member-label').allTextContents();
    expect(resolverLabels).toEqual(MEMBERS);
    // Bars were drawn (non-zero widths), not just the axes.
    const bars = await section.locator('svg[data-chart="shares"] rect').evaluateAll((els) => els.filter((e) => Number(e.getAttribute('width')) > 0).length);
    expect(bars).toBeGreaterThanOrEqual(MEMBERS.length * 2);
    const resolverText = await section.locator('svg[data-chart="resolvers"]').textContent();
    expect(resolverText).toContain('127.0.1.0/24');

    // New answers: the page re-renders from the polled /report without a reload.
    const heading = section.locator('h2 small');
    const before = await heading.textContent();
    expect(before).toContain('58 answers');
    await queryFrom('127.0.4.1', rig.dnsPort, 'www.example.test.', 10, 5);
    await expect.poll(() => heading.textContent(), { timeout: 10_000 }).toContain('68 answers');
    await expect.poll(() => section.locator('svg[data-chart="resolvers"]').textContent()).toContain('127.0.4.0/24');
    expect(await page.locator('#rondo-report').getAttribute('data-error')).toBeNull();

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });
});

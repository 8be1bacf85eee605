// What the browser tests share: signing in with a demo token, the accessibility check, the
// screenshots, and the check for horizontal scrolling.
import {readFileSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {expect} from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export function token(role) {
  return readFileSync(join(process.env.OG_TOKENS, role), 'utf8').trim();
}

export async function signIn(page, role) {
  await page.goto('/');
  await page.getByLabel('Din adgangsnøgle (token)').fill(token(role));
  await page.getByRole('button', {name: 'Log ind'}).click();
  await expect(page.getByRole('button', {name: 'Log af'})).toBeVisible();
}

// No WCAG 2.1 A or AA violation that axe can find on the page as it is now.
export async function expectAccessible(page, what) {
  const result = await new AxeBuilder({page})
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const found = result.violations.map(v =>
    `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
  expect(found, `accessibility of ${what}`).toEqual([]);
}

// Full-page screenshots at 1280 and 375 px wide in var/screenshots/NAME-WIDTH.png, and no
// horizontal scrolling at 375 and 320 px.
export async function screenshots(page, name) {
  const dir = process.env.OG_SCREENSHOTS || 'var/screenshots';
  mkdirSync(dir, {recursive: true});
  const size = page.viewportSize();
  for (const width of [1280, 375, 320]) {
    await page.setViewportSize({width, height: 900});
    await page.waitForTimeout(100);
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
    if (width !== 320) {
      await page.screenshot({path: join(dir, `${name}-${width}.png`), fullPage: true});
    }
  }
  await page.setViewportSize(size);
}

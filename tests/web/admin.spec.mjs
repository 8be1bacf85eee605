// Administration and Ledelse in a browser, against the demo municipality: the administrator
// reads a workflow's source and phase graph and retries a stuck case (e2e_test.sh makes one
// stuck the way the engine does); a manager reads the reports for a period and downloads one
// as CSV. Each page is checked with axe and photographed.
import {readFileSync} from 'node:fs';
import {test, expect} from '@playwright/test';
import {token, signIn, expectAccessible, screenshots} from './helpers.mjs';

test('administration: the administrator sees the workflows and opens one: its source and phase graph', async ({page, request}) => {
  await signIn(page, 'administrator');
  await page.getByRole('link', {name: 'Administration'}).click();
  await expect(page.getByRole('heading', {name: 'Administration', level: 1})).toBeVisible();
  const auth = {Authorization: `Bearer ${token('administrator')}`};
  const versions = (await (await request.get('/v1/workflows', {headers: auth})).json()).items;
  const workflows = page.getByRole('table', {name: /Udrullede forløb og versioner/});
  for (const w of versions) {
    const row = workflows.locator('tbody tr').filter({hasText: w.title});
    await expect(row).toContainText(w.name);
    await expect(row.locator('td[data-title="Sager i gang"]')).toHaveText(String(w.running_cases));
  }
  // sorted by running cases, most first (the first list's sort choice is the workflows')
  await page.getByLabel('Sortér efter').first().selectOption({label: 'Flest sager i gang'});
  const running = (await workflows.locator('td[data-title="Sager i gang"]').allTextContents()).map(Number);
  expect(running).toEqual([...versions.map(v => v.running_cases)].sort((a, b) => b - a));
  await expect(page.getByRole('status').filter({hasText: 'sorteret efter flest sager i gang'})).toBeVisible();
  await expect(page.getByRole('table', {name: /Standsede sager/})).toBeVisible();
  await expect(page.getByRole('table', {name: /Medarbejdere/})).toContainText('Hanne Kjær');
  await expect(page.getByRole('table', {name: /Afdelinger/})).toContainText('Voksenhandicap');
  await expectAccessible(page, 'Administration');
  await screenshots(page, 'administration');

  const w = versions.find(v => v.name === 'barn-til-voksen');
  await workflows.getByRole('link', {name: `${w.title}, version ${w.version}: kilde og faser`}).click();
  await expect(page.getByRole('heading', {name: `${w.title}, version ${w.version}`, level: 1})).toBeVisible();
  await expect(page).toHaveURL(/\/administration\/forloeb\/barn-til-voksen\/1$/);
  // the phase graph: a box per phase, titled, and an arrow per allowed next phase
  const full = await (await request.get('/v1/workflows/barn-til-voksen/1', {headers: auth})).json();
  const graph = page.getByRole('img', {name: /Fasegraf for/});
  await expect(graph.locator('.og-node')).toHaveCount(full.definition.phases.length);
  await expect(graph.locator('.og-edge')).toHaveCount(
    full.definition.phases.reduce((n, p) => n + p.next.length, 0));
  await expect(graph).toContainText('Dialogmøde');
  // the source, read-only, its keywords and comments marked
  const source = page.getByRole('region', {name: /Kildekoden til barn-til-voksen/});
  await expect(source).toContainText('barn-til-voksen, version 1');
  expect(await source.locator('.og-kw').filter({hasText: /^local$/}).count()).toBeGreaterThan(5);
  await expect(source.locator('.og-com').first()).toHaveText(/^-- barn-til-voksen/);
  expect((await source.textContent()).length).toBe(full.source.length);
  await expectAccessible(page, 'Forløb');
  await screenshots(page, 'forloeb');
});

test('administration: the administrator retries a stuck case and a parked delivery, and they leave their lists', async ({page}) => {
  await signIn(page, 'administrator');
  await page.goto('/administration');
  const stuck = page.getByRole('table', {name: /Standsede sager/});
  const row = stuck.locator('tbody tr').filter({hasText: 'attempt to compare nil with string'});
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('kui_indskrevet');
  const retry = row.getByRole('button', {name: /^Prøv sag \d+ igen$/});
  const label = await retry.getAttribute('aria-label');
  const id = label.match(/\d+/)[0];
  await retry.click();
  await expect(page.getByRole('status').filter({hasText: `Sag ${id} kører igen`})).toBeVisible();
  await expect(stuck.getByRole('button', {name: label})).toHaveCount(0);
  await expect(page.getByText('Ingen sager er standset')).toBeVisible();

  // the parked delivery e2e_test.sh left: sent again, it is no longer parked
  const parked = page.getByRole('table', {name: /Leverancer til andre systemer \(parkeret\)/});
  const delivery = parked.locator('tbody tr').filter({hasText: 'HTTP 503 from the receiver'});
  await expect(delivery).toContainText('Parkeret, 10 forsøg');
  const send = delivery.getByRole('button', {name: /^Send leverance \d+ igen$/});
  const sendLabel = await send.getAttribute('aria-label');
  await send.click();
  await expect(page.getByRole('status').filter({hasText: /^Leverance \d+ sendes igen/})).toBeVisible();
  await expect(page.getByRole('button', {name: sendLabel})).toHaveCount(0);
  await expect(page.getByText('Ingen leverancer er parkeret.')).toBeVisible();
});

test('ledelse: a manager chooses a period, sees the effect and deadline reports and downloads one as CSV', async ({page, request}) => {
  await signIn(page, 'manager');
  await expect(page.getByRole('heading', {name: 'Ledelse', level: 1})).toBeVisible();
  const form = page.getByRole('form', {name: 'Vælg periode og forløb'});
  const year = new Date().getFullYear();
  await form.getByLabel('Fra og med').fill(`${year - 1}-01-01`);
  await form.getByLabel('Til og med').fill(`${year}-12-31`);
  await form.getByLabel('Forløb').selectOption('barn-til-voksen');
  await form.getByRole('button', {name: 'Vis tallene'}).click();
  await expect(page.getByRole('status').filter({hasText: /Tal for 1\. januar/})).toContainText('Barn til voksen');
  const effect = page.getByRole('table', {name: 'Effekt pr. forløb, afdeling og redskab'});
  await expect(effect).toContainText('Støttebehov (FFB)');
  await expect(effect).not.toContainText('uddannelse-til-job');
  await expect(page.getByRole('img', {name: /^Effekt pr\. redskab/})).toBeVisible();
  const deadlines = page.getByRole('table', {name: 'Frister pr. forløb, afdeling og slags'});
  await expect(deadlines).toContainText('Børn og Familie');
  await expect(page.getByRole('table', {name: 'Frister pr. opgave'})).toContainText('Barnets Lov § 111');
  // small groups as the API suppressed them: a "skjult" cell for each null it sent
  const auth = {Authorization: `Bearer ${token('manager')}`};
  const api = await (await request.get(`/v1/reports/deadlines-met?from=${year - 1}-01-01&to=${year}-12-31&workflow=barn-til-voksen`,
    {headers: auth})).json();
  const nulls = [...api.rows, ...api.by_key].reduce((n, r) => n + r.suppressed.length, 0);
  expect(nulls, 'suppressed numbers in the demo data').toBeGreaterThan(0);
  const shown = page.getByRole('table', {name: /^Frister pr\./}).locator('td:not([data-title="Andel overholdt"]) .og-suppressed');
  await expect(shown).toHaveCount(nulls);
  await expect(page.locator('section', {has: page.getByRole('heading', {name: 'Frister overholdt'})}))
    .toContainText(`${api.suppressed} tal er skjult`);
  await expect(page.getByRole('table', {name: /Tid i fase/})).toBeVisible();
  // numbers only: no case or citizen to open
  await expect(page.locator('main a[href^="/sag/"]')).toHaveCount(0);
  await expectAccessible(page, 'Ledelse');
  await screenshots(page, 'ledelse-periode');

  const download = page.waitForEvent('download');
  await page.getByRole('button', {name: 'Hent effektrapporten som CSV'}).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`effekt-${year - 1}-01-01-${year}-12-31.csv`);
  const csv = readFileSync(await file.path(), 'utf8');
  expect(csv.split('\r\n')[0]).toBe('section,workflow,department,instrument,better,cases,improved,' +
    'unchanged,worse,share_improved,share_unchanged,share_worse,goals,opnaaet,delvist_opnaaet,' +
    'ikke_opnaaet,ikke_relevant,note');
  expect(csv).not.toContain('uddannelse-til-job');
  await expect(page.getByText(/Hentet som effekt-/)).toBeVisible();

  // a period that ends before it begins is refused before anything is fetched
  await form.getByLabel('Til og med').fill(`${year - 2}-12-31`);
  await form.getByRole('button', {name: 'Vis tallene'}).click();
  await expect(form.getByRole('alert')).toContainText('Perioden slutter, før den begynder');
});

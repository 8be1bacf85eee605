// Sagen's actions, the lead's choices in the department's inbox, and lists that filter and
// sort, against the demo municipality (tests/web/e2e_test.sh sets up a case whose tovholder is
// unavailable). Each test checks what the person sees; axe and screenshots as elsewhere.
import {test, expect} from '@playwright/test';
import {token, signIn, expectAccessible, screenshots} from './helpers.mjs';

async function api(request, role, path) {
  const r = await request.get(path, {headers: {Authorization: `Bearer ${token(role)}`}});
  expect(r.status(), path).toBe(200);
  return r.json();
}

// A case of the demo tovholder's with a goal measured on, and none of her own open tasks
// (handing it on leaves the other tests their tasks).
async function caseWithMeasures(request) {
  const me = await api(request, 'tovholder', '/v1/me');
  const queue = (await api(request, 'tovholder', '/v1/me/queue?limit=200')).items;
  const mine = new Set(queue.filter(t => t.assignee === me.staff).map(t => t.case.id));
  const cases = (await api(request, 'tovholder', '/v1/me/cases?limit=200')).items.reverse();
  for (const item of cases) {
    if (mine.has(item.id)) continue;
    const c = await api(request, 'tovholder', `/v1/cases/${item.id}`);
    const m = c.measures.find(x => x.goal && c.goals.some(g => g.key === x.goal));
    if (m) return {c, m};
  }
  throw new Error('no case of the tovholder with a measured goal');
}

test('sagen: the tovholder adds a note, records a measure and hands the tovholder role on', async ({page, request}) => {
  const {c, m} = await caseWithMeasures(request);
  const instruments = (await api(request, 'tovholder', '/v1/instruments')).items;
  const inst = instruments.find(i => i.name === m.instrument);
  const goal = c.goals.find(g => g.key === m.goal);
  await signIn(page, 'tovholder');
  await page.goto(`/sag/${c.id}`);
  await expect(page.getByRole('heading', {name: c.citizen.name, level: 1})).toBeVisible();

  // the goals in the young person's words, a chart per instrument with the values as a table
  const chart = page.getByRole('region', {name: `Mål: ${goal.text}`})
    .locator(`figure[data-instrument="${m.instrument}"]`);
  await expect(chart.locator('svg[role="img"]')).toHaveAttribute('aria-label', new RegExp(inst.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const before = await chart.locator('circle').count();
  expect(before).toBeGreaterThan(0);
  await expect(chart.getByRole('table')).toContainText(String(m.value));
  await expectAccessible(page, 'Sagen med mål');
  await screenshots(page, 'sagen-maal');

  // a note, seen in the history
  await page.getByText('Skriv et notat').click();
  await page.getByRole('button', {name: 'Gem notatet'}).click();
  await expect(page.getByRole('alert')).toContainText('Udfyld Notat');
  await page.getByLabel('Notat', {exact: true}).fill('Den unge ringede om praktikpladsen.');
  await page.getByRole('button', {name: 'Gem notatet'}).click();
  await expect(page.getByRole('status').filter({hasText: 'Notatet er gemt'})).toBeVisible();
  await expect(page.getByRole('table', {name: 'Hvad er sket, ældste først'}))
    .toContainText('Den unge ringede om praktikpladsen.');

  // a measure on the goal: the chart gains a point
  await page.getByText('Registrér en måling').click();
  await expect(page.getByLabel('Mål', {exact: true})).toBeVisible();
  await page.getByLabel('Mål', {exact: true}).selectOption(goal.key);
  await page.getByLabel('Instrument').selectOption(inst.name);
  const value = inst.values.words ? inst.values.words[0] : String(inst.values.min ?? 0);
  if (inst.values.words) await page.getByLabel('Værdi').selectOption(value);
  else await page.getByLabel('Værdi').fill(value);
  await page.getByLabel('Opfølgning').check();
  await expectAccessible(page, 'Registrér en måling');
  await page.getByRole('button', {name: 'Gem målingen'}).click();
  await expect(page.getByRole('status').filter({hasText: 'Målingen er registreret'})).toBeVisible({timeout: 15000});
  await expect(chart.locator('circle')).toHaveCount(before + 1);

  // the tovholder role to a colleague, with a reason
  await page.getByText('Giv tovholderrollen videre').click();
  const pick = page.getByLabel('Ny tovholder');
  await expect(pick.locator('option')).not.toHaveCount(1);
  await page.getByRole('button', {name: 'Giv rollen videre'}).click();
  await expect(page.getByRole('alert')).toContainText('Udfyld Ny tovholder');
  const colleague = (await pick.locator('option').nth(1).textContent()).trim();
  await pick.selectOption({index: 1});
  await page.getByRole('button', {name: 'Giv rollen videre'}).click();
  await expect(page.getByRole('alert')).toContainText('Udfyld Begrundelse');
  await page.getByLabel('Begrundelse').fill('Hanne går på orlov.');
  await screenshots(page, 'sagen-handlinger');
  await page.getByRole('button', {name: 'Giv rollen videre'}).click();
  await expect(page.getByRole('status').filter({hasText: 'Tovholderrollen er givet videre'}))
    .toContainText(`${colleague} er nu tovholder`);
  await expect(page.locator('.og-tovholder')).toContainText(colleague);
  await expect(page.getByRole('table', {name: 'Hvad er sket, ældste først'})).toContainText('Hanne går på orlov.');
});

test('afdelingens indbakke: the lead gives a task to a member and picks a tovholder where one is unavailable', async ({page}) => {
  await signIn(page, 'lead');
  await page.goto('/indbakke');
  const inbox = page.getByRole('table', {name: /Afdelingens opgaver og overdragelser/});
  await expect(inbox.getByRole('row').nth(1)).toBeVisible();

  // a task to a member of the department
  const give = inbox.getByRole('button', {name: /^Giv opgaven til en anden: /}).first();
  const label = (await give.getAttribute('aria-label')).replace(/^Giv opgaven til en anden: /, '');
  await give.click();
  const form = page.getByRole('form', {name: /^Giv opgaven til en anden: /});
  const member = form.getByLabel('Medarbejder');
  await expect(member.locator('option')).not.toHaveCount(1);
  const name = (await member.locator('option').nth(1).textContent()).trim();
  await member.selectOption({index: 1});
  await expectAccessible(page, 'Giv opgaven til en anden');
  await form.getByRole('button', {name: 'Giv opgaven'}).click();
  await expect(page.getByRole('status').filter({hasText: 'Opgaven er givet videre'})).toContainText(name);
  await expect(inbox.locator('tbody tr').filter({hasText: label.replace(/ \([^)]*\)$/, '')}).first()).toBeVisible();

  // the case whose tovholder is unavailable: only tasks, the unclaimed first
  await page.getByLabel('Slags').selectOption('task');
  const choose = inbox.getByRole('button', {name: /^Vælg ny tovholder: /});
  await expect(choose).toHaveCount(1);
  const citizen = (await choose.getAttribute('aria-label')).replace(/^Vælg ny tovholder: /, '');
  await choose.click();
  const tform = page.getByRole('form', {name: `Vælg ny tovholder: ${citizen}`});
  const pick = tform.getByLabel('Ny tovholder');
  await expect(pick.locator('option')).not.toHaveCount(1);
  const who = (await pick.locator('option').nth(1).textContent()).trim();
  await pick.selectOption({index: 1});
  await tform.getByLabel('Begrundelse').fill('Tovholderen er på barsel.');
  await expectAccessible(page, 'Vælg ny tovholder');
  await screenshots(page, 'vaelg-tovholder');
  await tform.getByRole('button', {name: 'Gør til tovholder'}).click();
  await expect(page.getByRole('status').filter({hasText: 'Ny tovholder er valgt'})).toContainText(`${who} er nu tovholder`);
  await expect(inbox.getByRole('button', {name: /^Vælg ny tovholder: /})).toHaveCount(0);
});

test('lists: the queue filtered by status and sorted by citizen shows what the filter says', async ({page}) => {
  await signIn(page, 'tovholder');
  const queue = page.getByRole('table', {name: 'Mine opgaver, de overskredne først'});
  await expect(queue.getByRole('row').nth(1)).toBeVisible();
  await page.getByRole('form', {name: /^Filtrér: Mine opgaver/}).getByLabel('Status').selectOption('claimed');
  await expect(page.getByText(/Viser \d+.*filtreret/).first()).toBeVisible();
  const statuses = await queue.locator('tbody tr td[data-title="Handling"]').allTextContents();
  expect(statuses.length).toBeGreaterThan(0);
  // claimed: each is someone's, none waits in a department
  for (const s of statuses) expect(s).not.toContain('Venter i');
  await page.getByLabel('Sortér efter').first().selectOption({label: 'Borger'});
  const names = await queue.locator('tbody tr td[data-title="Borger"]').allTextContents();
  expect(names).toEqual([...names].sort(new Intl.Collator('da').compare));
  await expectAccessible(page, 'Mine opgaver, filtreret');
  // the cases I hold: finding one citizen by name keeps only their rows
  const cases = page.getByRole('table', {name: /Sager, hvor jeg er tovholder/});
  const first = (await cases.locator('tbody tr td[data-title="Borger"]').first().textContent()).trim();
  await page.getByLabel('Find borger eller sag').fill(first.toUpperCase());
  const kept = await cases.locator('tbody tr td[data-title="Borger"]').allTextContents();
  expect(kept.length).toBeGreaterThan(0);
  for (const n of kept) expect(n.trim()).toBe(first);
  await expect(page.getByText(`der indeholder "${first.toLocaleLowerCase('da')}"`)).toBeVisible();
  await page.getByLabel('Find borger eller sag').fill('ingen borger hedder sådan');
  await expect(page.getByText('Ingen af de hentede rækker passer til søgningen.')).toBeVisible();
  // the department's inbox: only handovers
  await page.getByRole('button', {name: 'Log af'}).click();
  await signIn(page, 'worker');
  await page.goto('/indbakke');
  const inbox = page.getByRole('table', {name: /Afdelingens opgaver og overdragelser/});
  await expect(inbox.getByRole('row').nth(1)).toBeVisible();
  await page.getByLabel('Slags').selectOption('handover');
  await expect(page.getByText(/filtreret/).first()).toBeVisible();
  const kinds = await inbox.locator('tbody tr td[data-title="Hvad"] .og-kind').allTextContents();
  expect(kinds.length).toBeGreaterThan(0);
  for (const k of kinds) expect(k).toMatch(/^Overdragelse fra /);
});

// The web task list in a browser, against the demo municipality: what a tovholder, a
// department's caseworker and a manager see and do. Each test checks what the person sees,
// runs axe on the page, and takes its screenshots.
import {test, expect} from '@playwright/test';
import {token, signIn, expectAccessible, screenshots} from './helpers.mjs';

test('log ind: a wrong token is refused with a reason, the page is accessible', async ({page}) => {
  await page.goto('/opgaver');
  await expect(page.getByRole('heading', {name: 'Log ind'})).toBeVisible();
  await expectAccessible(page, 'Log ind');
  await screenshots(page, 'log-ind');
  await page.getByLabel('Din adgangsnøgle (token)').fill('og_forkert_noegle');
  await page.getByRole('button', {name: 'Log ind'}).click();
  await expect(page.getByRole('alert')).toContainText('Nøglen er ukendt');
  // the token is never in the address
  expect(page.url()).not.toContain('og_');
});

test('keyboard: the skip link comes first and leads to the content', async ({page}) => {
  await signIn(page, 'tovholder');
  await page.reload();
  await expect(page.getByRole('heading', {name: 'Mine opgaver', level: 1})).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', {name: 'Gå til sidens indhold'})).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main-content$/);
});

test('mine opgaver: the tovholder completes a task and sees it gone', async ({page}) => {
  await signIn(page, 'tovholder');
  await expect(page.getByRole('heading', {name: 'Mine opgaver', level: 1})).toBeVisible();
  await expect(page.getByText('Hanne Kjær, Tovholder')).toBeVisible();
  // the department's inbox is for its caseworkers and lead: not in a tovholder's menu
  await expect(page.getByRole('link', {name: 'Afdelingens indbakke'})).toHaveCount(0);
  const queue = page.getByRole('table', {name: 'Mine opgaver, de overskredne først'});
  await expect(queue.getByRole('row').nth(1)).toBeVisible();
  // overdue first: no overdue row after one that is not
  const flags = await queue.locator('tbody tr').evaluateAll(rows =>
    rows.map(r => r.querySelector('.og-overdue') !== null));
  expect(flags.indexOf(false) === -1 || !flags.slice(flags.indexOf(false)).includes(true),
    `overdue first: ${flags}`).toBe(true);
  await expect(page.getByRole('table', {name: /Sager, hvor jeg er tovholder/})).toBeVisible();
  await expectAccessible(page, 'Mine opgaver');
  await screenshots(page, 'mine-opgaver');

  const button = queue.getByRole('button', {name: /^Afslut: /}).first();
  const label = await button.getAttribute('aria-label');
  await button.click();
  const form = page.getByRole('form', {name: label.replace(/ \([^)]*\)$/, '')});
  await expect(form).toBeVisible();
  await form.getByLabel('Notat til sagen (valgfrit)').fill('Talt med den unge i telefon.');
  await expectAccessible(page, 'Afslut opgave');
  await screenshots(page, 'afslut-opgave');
  await form.getByRole('button', {name: 'Afslut opgaven'}).click();
  await expect(page.getByRole('status').filter({hasText: 'Opgaven er afsluttet'})).toBeVisible();
  await expect(queue.getByRole('button', {name: label})).toHaveCount(0);
});

test('mine opgaver: phases by their titles, people and departments by name, the outcome form from the workflow', async ({page, request}) => {
  await signIn(page, 'tovholder');
  const auth = {Authorization: `Bearer ${token('tovholder')}`};
  const me = await (await request.get('/v1/me', {headers: auth})).json();
  const items = (await (await request.get('/v1/me/queue?limit=200', {headers: auth})).json()).items;
  const queue = page.getByRole('table', {name: 'Mine opgaver, de overskredne først'});
  await expect(queue.getByRole('row').nth(1)).toBeVisible();
  const text = await queue.textContent();
  // the phase as the workflow titles it, never its key where the two differ
  const titled = items.find(i => i.case.phase_title !== i.case.phase);
  expect(titled, 'a phase whose title differs from its key').toBeTruthy();
  expect(text).toContain(titled.case.phase_title);
  // a task waiting in a department or with a colleague: by name
  const waiting = items.find(i => i.assignee !== me.staff);
  expect(waiting, 'a task not assigned to the tovholder').toBeTruthy();
  expect(text).toContain(waiting.assignee ? `Tildelt ${waiting.assignee_name}` : `Venter i ${waiting.department_name}`);
  // the outcome form is the task's declared fields: a caseworker takes such a task of the
  // department (through the API) and opens it under Mine opgaver
  const wauth = {Authorization: `Bearer ${token('worker')}`};
  const dept = (await (await request.get('/v1/me', {headers: wauth})).json()).departments[0].id;
  const inbox = (await (await request.get(`/v1/departments/${dept}/inbox?limit=200`, {headers: wauth})).json()).items;
  const task = inbox.find(i => i.kind === 'task' && i.status === 'open' && !i.assignee &&
    i.outcome_fields.some(f => f.type === 'select'));
  expect(task, 'an open task of the department that takes an outcome').toBeTruthy();
  const claimed = await request.post(`/v1/tasks/${task.id}/claim`, {headers: {...wauth, 'If-Match': task.etag}});
  expect(claimed.status()).toBe(200);
  await page.getByRole('button', {name: 'Log af'}).click();
  await signIn(page, 'worker');
  await queue.getByRole('button', {name: `Afslut: ${task.title} (${task.citizen.name})`}).click();
  const form = page.getByRole('form', {name: `Afslut: ${task.title}`});
  await expect(form).toBeVisible();
  for (const f of task.outcome_fields) {
    await expect(form.getByLabel(f.label, {exact: false}).first()).toBeVisible();
  }
  const select = task.outcome_fields.find(f => f.type === 'select');
  await expect(form.getByLabel(select.label, {exact: false}).first().locator('option'))
    .toHaveCount(select.options.length + 1);
  await expectAccessible(page, 'Afslut opgave med felter');
});

test('afdelingens indbakke: a task someone else took meanwhile says so and offers to reload', async ({page, request}) => {
  await signIn(page, 'worker');
  await page.goto('/indbakke');
  const inbox = page.getByRole('table', {name: /Afdelingens opgaver og overdragelser/});
  const claim = inbox.getByRole('button', {name: /^Tag opgaven: /}).first();
  await expect(claim).toBeVisible();
  const label = await claim.getAttribute('aria-label');
  // meanwhile, through the API: the same task is claimed by someone else (the lead)
  const dept = (await (await request.get('/v1/me', {headers: {Authorization: `Bearer ${token('worker')}`}})).json()).departments[0].id;
  const auth = {Authorization: `Bearer ${token('worker')}`};
  const items = (await (await request.get(`/v1/departments/${dept}/inbox?limit=200`, {headers: auth})).json()).items;
  const task = items.find(t => label === `Tag opgaven: ${t.title} (${t.citizen.name})`);
  expect(task, 'the task in the API').toBeTruthy();
  const taken = await request.post(`/v1/tasks/${task.id}/claim`, {headers: {...auth, 'If-Match': task.etag}});
  expect(taken.status()).toBe(200);
  await claim.click();
  await expect(page.getByRole('alert')).toContainText('En anden har allerede ændret den');
  await page.getByRole('button', {name: 'Hent indbakken igen'}).click();
  await expect(inbox.getByRole('button', {name: label})).toHaveCount(0);
});

test('sagen: the case shows its tovholder, phases, history and the plan to print', async ({page}) => {
  await signIn(page, 'tovholder');
  const cases = page.getByRole('table', {name: /Sager, hvor jeg er tovholder/});
  const link = cases.getByRole('link').first();
  const name = (await link.textContent()).trim();
  await link.click();
  await expect(page.getByRole('heading', {name, level: 1})).toBeVisible();
  await expect(page).toHaveURL(/\/sag\/\d+$/);
  await expect(page.locator('.og-facts')).toContainText('Hanne Kjær');
  await expect(page.locator('.og-phases [aria-current="step"]')).toHaveCount(1);
  await expect(page.getByRole('table', {name: 'Hvad er sket, ældste først'}))
    .toContainText('Sagen blev startet');
  await expect(page.getByRole('table', {name: 'Opgaver og overdragelser'})).toBeVisible();
  expect(await page.title()).not.toContain(name);
  await expectAccessible(page, 'Sagen');
  await screenshots(page, 'sagen');
  const download = page.waitForEvent('download');
  await page.getByRole('button', {name: 'Hent planen til udskrift'}).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^plan-sag-\d+\.html$/);
  await expect(page.getByText(/Planen er hentet/)).toBeVisible();
});

test('afdelingens indbakke: a caseworker claims a task of the department', async ({page}) => {
  await signIn(page, 'worker');
  await page.getByRole('link', {name: 'Afdelingens indbakke'}).click();
  await expect(page.getByRole('heading', {name: 'Afdelingens indbakke', level: 1})).toBeVisible();
  const inbox = page.getByRole('table', {name: /Afdelingens opgaver og overdragelser/});
  await expect(inbox).toBeVisible();
  await expectAccessible(page, 'Afdelingens indbakke');
  await screenshots(page, 'indbakke');
  const claim = inbox.getByRole('button', {name: /^Tag opgaven: /}).first();
  const label = await claim.getAttribute('aria-label');
  await claim.click();
  await expect(page.getByRole('status').filter({hasText: 'Opgaven er din'})).toBeVisible();
  await expect(inbox.getByRole('button', {name: label})).toHaveCount(0);
});

test('ledelse: a manager sees the last twelve months in numbers, never a person', async ({page}) => {
  await signIn(page, 'manager');
  await expect(page.getByRole('heading', {name: 'Ledelse', level: 1})).toBeVisible();
  await expect(page).toHaveURL(/\/ledelse$/);
  // the manager's menu is Ledelse alone: no task list, no case
  await expect(page.getByRole('navigation', {name: 'Hovedmenu'}).getByRole('link')).toHaveText(['Ledelse']);
  const form = page.getByRole('form', {name: 'Vælg periode og forløb'});
  const to = await form.getByLabel('Til og med').inputValue();
  const from = await form.getByLabel('Fra og med').inputValue();
  expect(Number(to.slice(0, 4)) - Number(from.slice(0, 4))).toBe(1);
  await expect(page.getByRole('table', {name: 'Effekt pr. forløb, afdeling og redskab'})).toBeVisible();
  await expect(page.getByRole('table', {name: 'Frister pr. forløb, afdeling og slags'})).toBeVisible();
  const phases = page.getByRole('table', {name: /^Tid i fase/});
  await expect(phases).toBeVisible();
  // phases by the titles the workflow gives them, which a manager cannot look up elsewhere
  await expect(phases.getByRole('cell', {name: 'Dialogmøde', exact: true}).first()).toBeVisible();
  await expect(phases.getByRole('cell', {name: 'dialog', exact: true})).toHaveCount(0);
  await expect(page.locator('main a[href^="/sag/"]')).toHaveCount(0);
  await expectAccessible(page, 'Ledelse');
  await screenshots(page, 'ledelse');
});

test('afdelingens indbakke: a handover is rejected with a reason, another accepted, and the tovholder moves', async ({page}) => {
  await signIn(page, 'worker');
  await page.goto('/indbakke');
  const inbox = page.getByRole('table', {name: /Afdelingens opgaver og overdragelser/});
  const rejects = inbox.getByRole('button', {name: /^Afvis overdragelsen: /});
  await expect(rejects.first()).toBeVisible();
  expect(await rejects.count(), 'two handovers in the inbox').toBeGreaterThanOrEqual(2);

  const reject = rejects.first();
  const rejected = (await reject.getAttribute('aria-label')).replace(/^Afvis overdragelsen: /, '');
  await reject.click();
  const form = page.getByRole('form', {name: /^Afvis overdragelsen: /});
  await form.getByRole('button', {name: 'Afvis overdragelsen'}).click();
  await expect(form.getByRole('alert')).toContainText('Skriv en begrundelse');
  await form.getByLabel('Begrundelse').fill('Vurderingen af støttebehovet mangler.');
  await expectAccessible(page, 'Afvis overdragelse');
  await screenshots(page, 'afvis-overdragelse');
  await form.getByRole('button', {name: 'Afvis overdragelsen'}).click();
  await expect(page.getByRole('status').filter({hasText: 'Overdragelsen er afvist'})).toBeVisible();
  await expect(inbox.getByRole('button', {name: `Afvis overdragelsen: ${rejected}`})).toHaveCount(0);

  const row = inbox.locator('tbody tr')
    .filter({has: page.getByRole('button', {name: /^Accepter overdragelsen: /})}).first();
  const accept = row.getByRole('button', {name: /^Accepter overdragelsen: /});
  const citizen = (await row.getByRole('link').textContent()).trim();
  const caseUrl = await row.getByRole('link').getAttribute('href');
  await accept.click();
  await expect(page.getByRole('status').filter({hasText: 'Overdragelsen er accepteret'})).toBeVisible();
  // the workflow hands the case on: its tovholder is now in Voksenhandicap
  await expect(async () => {
    await page.goto(caseUrl);
    await expect(page.getByRole('heading', {name: citizen, level: 1})).toBeVisible();
    await expect(page.locator('.og-facts')).toContainText('(Voksenhandicap)', {timeout: 500});
  }).toPass({timeout: 15000});
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { createTestApp, createUser, TestApp, TestUser } from '../utils/app';
import { createOrder, createVariantWithStock } from '../utils/factories';
import { UserRole } from '../../src/identity/user-role.enum';
import { Instance, ROOT, startInstance } from './support/instance';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'docs', 'swagger-ui.png');

/** The opened operation block of `method path` in Swagger UI. */
async function openOperation(page: Page, method: string, path: string) {
  const block = page.locator(`.opblock.opblock-${method}`, {
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  });
  await block.locator('.opblock-summary').first().click();
  await block.locator('.opblock-body').waitFor();
  const tryItOut = block.locator('button.try-out__btn:not(.cancel)');
  if (await tryItOut.count()) await tryItOut.click();
  await block.locator('button.execute').waitFor();
  return block;
}

/** Presses Execute in an operation block; returns the live response's status and body text. */
async function execute(block: ReturnType<Page['locator']>): Promise<{ status: string; body: string }> {
  await block.locator('button.execute').click();
  const row = block.locator('.live-responses-table tr.response').first();
  await row.waitFor();
  return {
    status: (await row.locator('.response-col_status').innerText()).trim(),
    body: await row.locator('.response-col_description .highlight-code pre').first().innerText(),
  };
}

/** Presses Authorize and hands Swagger UI `token` (it keeps it: persistAuthorization). */
async function authorize(page: Page, token: string): Promise<void> {
  await page.locator('.scheme-container button.authorize').click();
  const modal = page.locator('.modal-ux');
  await modal.locator('input[type="text"], input[type="password"]').first().fill(token);
  await modal.locator('button.authorize').click();
  await modal.locator('button.btn-done').click();
  await expect(page.locator('.scheme-container button.authorize.locked').count()).resolves.toBe(1);
}

/** The input of parameter `name` in an opened operation block. */
const parameterInput = (block: ReturnType<Page['locator']>, name: string) =>
  block.locator(`tr[data-param-name="${name}"] input`).first();

/** Replaces the JSON request body of an opened operation block. */
async function fillBody(block: ReturnType<Page['locator']>, body: unknown): Promise<void> {
  const text = block.locator('textarea.body-param__text');
  await text.fill(JSON.stringify(body, null, 2));
  await text.blur(); // the editor is debounced; leaving it hands the text over at once
}

/** /docs opened on a fresh page of the browser, `user` authorized. */
async function docsAs(context: BrowserContext, url: string, user: TestUser): Promise<Page> {
  const page = await context.newPage();
  // Swagger UI keeps the last authorization in localStorage (persistAuthorization): start without.
  await page.addInitScript('window.localStorage.clear()');
  await page.goto(`${url}/docs`);
  await page.locator('.swagger-ui .info .title').waitFor();
  await authorize(page, user.token);
  return page;
}

/**
 * What support staff do in a real browser (headless Chromium): open /docs, log in with
 * POST /auth/login, press Authorize with the token, call GET /auth/me and read the answer.
 */
describe('Swagger UI in a browser', () => {
  let app: TestApp;
  let instance: Instance;
  let context: BrowserContext | undefined;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install -y chromium; CI's .ci/run does) ` +
          'or point CHROMIUM_PATH at a Chromium binary',
      );
    }
    app = await createTestApp();
    instance = await startInstance('swagger');
    profile = mkdtempSync(join(tmpdir(), 'oms-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1000 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await instance?.stop();
    await app?.close();
  });

  it('logs in, authorizes with the token and executes GET /api/v1/auth/me', async () => {
    const staff = await createUser(app, UserRole.SUPPORT, { fullName: 'Sam Support' });
    const page = await context!.newPage();
    await page.goto(`${instance.url}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('OMS');

    const login = await openOperation(page, 'post', '/api/v1/auth/login');
    const body = login.locator('textarea.body-param__text');
    await body.fill(JSON.stringify({ email: staff.user.email, password: staff.password }, null, 2));
    await body.blur(); // the editor is debounced; leaving it hands the text over at once
    const loggedIn = await execute(login);
    expect(await login.locator('.curl-command').innerText()).toContain(staff.user.email);
    expect(loggedIn.status).toBe('200');
    const { accessToken } = JSON.parse(loggedIn.body) as { accessToken: string };
    expect(accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    await authorize(page, accessToken);

    const me = await openOperation(page, 'get', '/api/v1/auth/me');
    const answer = await execute(me);
    expect(answer.status).toBe('200');
    expect(JSON.parse(answer.body)).toMatchObject({
      id: staff.user.id,
      email: staff.user.email,
      fullName: 'Sam Support',
      role: 'support',
    });
    expect(await me.locator('.curl-command').innerText()).toContain(`Bearer ${accessToken}`);

    await me.scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('two different creates in a row by one user both succeed (no Idempotency-Key is prefilled)', async () => {
    const staff = await createUser(app, UserRole.SUPPORT);
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant } = await createVariantWithStock(app, 5);
    const { order } = await createOrder(app, customer.user, [{ variant, quantity: 1 }]);
    const page = await docsAs(context!, instance.url, staff);

    const create = await openOperation(page, 'post', '/api/v1/orders/{orderId}/notes');
    expect(await parameterInput(create, 'Idempotency-Key').inputValue()).toBe('');
    await parameterInput(create, 'orderId').fill(order.id);
    for (const note of ['First call: customer asks for the tracking number.', 'Second call: sent it.']) {
      await fillBody(create, { note, isInternal: true });
      const answer = await execute(create);
      expect({ status: answer.status, note: JSON.parse(answer.body).note }).toEqual({ status: '201', note });
    }
    await page.close();
  });

  it('a list executed with its defaults returns data (no filter is prefilled)', async () => {
    const staff = await createUser(app, UserRole.SUPPORT);
    const customer = await createUser(app, UserRole.CUSTOMER);
    const { variant } = await createVariantWithStock(app, 5);
    const { order } = await createOrder(app, customer.user, [{ variant, quantity: 1 }]);
    const page = await docsAs(context!, instance.url, staff);

    const orders = await openOperation(page, 'get', '/api/v1/orders');
    for (const name of ['customerId', 'q', 'createdFrom', 'sort']) {
      expect({ name, value: await parameterInput(orders, name).inputValue() }).toEqual({ name, value: '' });
    }
    const answer = await execute(orders);
    expect(answer.status).toBe('200');
    const { data } = JSON.parse(answer.body) as { data: { id: string }[] };
    expect(data.map((o) => o.id)).toContain(order.id);

    const history = await openOperation(page, 'get', '/api/v1/history');
    const entries = await execute(history);
    expect(entries.status).toBe('200');
    expect((JSON.parse(entries.body) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    await page.close();
  });
});

import { createTestApp, createUsersOfEveryRole, http, TestApp, TestUser } from './utils/app';
import {
  confirmOrder,
  placeOneItemOrder,
  Receiver,
  startReceiver,
  until,
  WEBHOOK_TEST_SETTINGS,
} from './utils/webhooks';
import { WebhookAddressGuard } from '../src/integrations/webhook-address-guard';
import { WebhookDispatcherJob } from '../src/integrations/webhook-dispatcher.job';

const SECRET = 'receiver-secret-0123456789-abcdefghijklmnop';
const PUBLIC_ADDRESS = { address: '93.184.215.14', family: 4 };

/** Server-side request forgery: with private URLs not allowed (the default). */
describe('webhook URLs (e2e, private addresses refused)', () => {
  let app: TestApp;
  let admin: TestUser;
  let support: TestUser;
  let customer: TestUser;
  let receiver: Receiver;
  let guard: WebhookAddressGuard;
  /** What the guard's resolver answers per host name (the system's resolver for anything else). */
  const dns = new Map<string, { address: string; family: number }[]>();

  beforeAll(async () => {
    app = await createTestApp({ ...WEBHOOK_TEST_SETTINGS, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    ({ admin, support, customer } = await createUsersOfEveryRole(app));
    receiver = await startReceiver();
    guard = app.get(WebhookAddressGuard);
    const system = guard.resolveAll;
    guard.resolveAll = (host) => {
      const answer = dns.get(host);
      return answer ? Promise.resolve(answer) : system(host);
    };
  });

  afterAll(async () => {
    await app.close();
    await receiver.close();
  });

  const create = (url: string) =>
    http(app)
      .post('/api/v1/webhook-subscriptions')
      .set(admin.auth)
      .send({ url, secret: SECRET, events: ['*'] });

  it.each([
    ['loopback', () => `${receiver.url}/hook`],
    ['loopback by name (localhost)', () => `http://localhost:${receiver.port}/hook`],
    ['IPv6 loopback', () => `http://[::1]:${receiver.port}/hook`],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${receiver.port}/hook`],
    ['IPv4-compatible IPv6 loopback', () => `http://[::7f00:1]:${receiver.port}/hook`],
    ['IPv4-compatible IPv6 metadata', () => 'http://[::a9fe:a9fe]/latest/meta-data/'],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['AWS IPv6 metadata', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['private network', () => 'http://10.1.2.3/hook'],
    ['carrier-grade NAT', () => 'http://100.64.0.1/hook'],
    ['unspecified', () => 'http://0.0.0.0/hook'],
    ['a name resolving to a private address', () => 'https://intranet.example.test/hook'],
    ['a name with one private address among public ones', () => 'https://mixed.example.test/hook'],
  ])('refuses %s with a 400 naming url', async (_case, url) => {
    dns.set('intranet.example.test', [{ address: '192.168.1.20', family: 4 }]);
    dns.set('mixed.example.test', [PUBLIC_ADDRESS, { address: '172.16.0.9', family: 4 }]);
    const res = await create(url()).expect(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(/non-public address/) }]);
  });

  it('refuses other schemes and credentials in the URL', async () => {
    for (const url of [
      'ftp://files.example.test/x',
      'file:///etc/passwd',
      'https://user:pw@hooks.example.test/',
    ]) {
      const res = await create(url).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'url' })]);
    }
  });

  it('checks again at delivery time: a name that now resolves to a private address is not called', async () => {
    // Public when subscribing, then the DNS answer changes to the receiver on 127.0.0.1.
    dns.set('erp.example.test', [PUBLIC_ADDRESS]);
    const subscription = await create(`http://erp.example.test:${receiver.port}/rebound`).expect(201);
    dns.set('erp.example.test', [{ address: '127.0.0.1', family: 4 }]);

    const order = await placeOneItemOrder(app, support, customer);
    await confirmOrder(app, support, order.id);
    const job = app.get(WebhookDispatcherJob);
    const deliveries = async () =>
      (
        await http(app)
          .get(`/api/v1/webhook-subscriptions/${subscription.body.id}/deliveries`)
          .set(admin.auth)
          .expect(200)
      ).body.data as { status: string; lastError: string | null; responseStatus: number | null }[];
    await until(
      () => job.dispatch(50, { subscriptionIds: [subscription.body.id] }),
      async () => {
        const rows = await deliveries();
        return rows.length > 0 && rows.every((d) => d.status === 'failed');
      },
    );
    expect(receiver.received).toEqual([]);
    for (const delivery of await deliveries()) {
      expect(delivery.lastError).toMatch(/^refused: host erp\.example\.test resolves to 127\.0\.0\.1/);
      expect(delivery.responseStatus).toBeNull();
    }
    // Paused: other files' dispatcher runs would otherwise deliver every later event of the shared
    // database to a name only this file's resolver knows.
    await http(app)
      .patch(`/api/v1/webhook-subscriptions/${subscription.body.id}`)
      .set(admin.auth)
      .send({ isActive: false })
      .expect(200);
  });
});

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { createTestDatabase, dropTestDatabase, uniqueDatabaseName } from '../setup/test-database';
import { Instance, ROOT, call, startInstance } from './support/instance';
import { openSession } from './support/pg';

/**
 * Three instances started at the same moment on one empty database, each with DB_MIGRATE_ON_START:
 * the start-up work (migrations, the first admin, demo data) runs under an advisory lock, so all
 * three become ready and every migration is applied exactly once.
 */
describe('instances started together on an empty database', () => {
  const serverUrl = process.env.TEST_SERVER_URL!;
  const name = uniqueDatabaseName('oms_startup');
  let url: string;
  let session: Client;
  let instances: Instance[] = [];

  beforeAll(async () => {
    url = await createTestDatabase(serverUrl, name);
    session = await openSession(url);
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await session?.end();
    await dropTestDatabase(serverUrl, name);
  });

  it('all become ready, with each migration applied once and one admin', async () => {
    const env = {
      DATABASE_URL: url,
      DB_MIGRATE_ON_START: 'true',
      ADMIN_EMAIL: 'admin@startup.test',
      ADMIN_PASSWORD: 'startup-password-123',
      SEED_DEMO_DATA: 'true',
      JOBS_ENABLED: 'false',
    };
    const started = await Promise.allSettled(
      ['one', 'two', 'three'].map((which) => startInstance(`startup-${which}`, env)),
    );
    instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failures = started.flatMap((result) =>
      result.status === 'rejected' ? [String((result.reason as Error).message)] : [],
    );
    expect(failures).toEqual([]);
    expect(instances).toHaveLength(3);

    const migrationFiles = readdirSync(join(ROOT, 'dist', 'database', 'migrations'))
      .filter((file) => /^Migration\d+\.js$/.test(file))
      .map((file) => file.replace(/\.js$/, ''))
      .sort();
    const { rows } = await session.query<{ name: string; times: string }>(
      `select regexp_replace(name, '\\.(js|ts)$', '') as name, count(*) as times
         from mikro_orm_migrations group by 1 order by 1`,
    );
    expect(rows).toEqual(migrationFiles.map((file) => ({ name: file, times: '1' })));
    expect(instances.filter((instance) => instance.output().includes('Applied migrations'))).toHaveLength(1);

    const admins = await session.query<{ n: string }>(`select count(*) as n from users where email = $1`, [
      env.ADMIN_EMAIL,
    ]);
    expect(admins.rows[0].n).toBe('1');
    // Every instance serves the same data: the admin logs in through each.
    for (const instance of instances) {
      const login = await call(instance.url, 'POST', '/api/v1/auth/login', {
        body: { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
      });
      expect(login.status).toBe(200);
    }
  });
});

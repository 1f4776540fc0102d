import { INestApplication, Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { EnvironmentVariables } from '../config/env.validation';
import { UnitOfWork } from '../common/unit-of-work';
import { UsersService } from '../identity/users.service';
import { UserRole } from '../identity/user-role.enum';
import { migrate, withStartupLock } from './migrate';
import { seedDemoData, DemoCredentials } from './seeders/demo-data';

/**
 * Start-up work on the database: migrations, the first admin, demo data. Under an advisory lock:
 * instances started together on one database do it one at a time (docs/operations.md).
 */
export async function prepareDatabase(
  app: INestApplication,
  env: EnvironmentVariables,
): Promise<{ migrations: string[]; demo?: DemoCredentials[] }> {
  const logger = new Logger('Startup');
  const orm = app.get(MikroORM);
  return withStartupLock(
    orm,
    () => prepare(app, env, orm, logger),
    () => logger.log('Waiting for another instance to finish its start-up work on the database'),
  );
}

async function prepare(
  app: INestApplication,
  env: EnvironmentVariables,
  orm: MikroORM,
  logger: Logger,
): Promise<{ migrations: string[]; demo?: DemoCredentials[] }> {
  const migrations = env.DB_MIGRATE_ON_START ? await migrate(orm) : [];
  if (migrations.length) logger.log(`Applied migrations: ${migrations.join(', ')}`);
  const uow = app.get(UnitOfWork);
  if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) {
    const users = app.get(UsersService);
    const { created } = await uow.run('ensure-admin', () =>
      users.ensure(env.ADMIN_EMAIL!, env.ADMIN_PASSWORD!, 'OMS Admin', UserRole.ADMIN),
    );
    if (created) logger.log(`Created the admin user ${env.ADMIN_EMAIL}`);
  }
  const demo = env.SEED_DEMO_DATA ? await seedDemoData(app) : undefined;
  return { migrations, demo };
}

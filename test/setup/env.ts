// Settings for every test worker; a test file may override some before it creates its app.
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL = process.env.TEST_DATABASE_URL;
process.env.JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
process.env.JWT_EXPIRES_IN = '1h';
process.env.LOG_LEVEL = 'silent';
process.env.DB_MIGRATE_ON_START = 'false';
process.env.SEED_DEMO_DATA = 'false';
process.env.JOBS_ENABLED = 'false';
process.env.THROTTLE_LIMIT = '100000';
process.env.LOGIN_THROTTLE_LIMIT = '1000';
process.env.DB_POOL_MAX = '10';
delete process.env.REDIS_URL;
delete process.env.ADMIN_EMAIL;
delete process.env.ADMIN_PASSWORD;
delete process.env.NOTIFY_WEBHOOK_URL;
delete process.env.NOTIFY_WEBHOOK_SECRET;
delete process.env.RESERVATION_TTL_MINUTES;

// The global setup ran MikroORM in the parent realm; in-band runs would see its entity metadata
// (objects of another realm) through globalThis. Each test file discovers its own.
delete (globalThis as Record<string, unknown>)['mikro-orm-metadata'];

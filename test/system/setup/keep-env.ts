// Runs before test/setup/env.ts, which removes REDIS_URL for in-process apps: the system tests
// hand it to the app processes they start (CI sets it; else the local Redis on the default port).
process.env.SYSTEM_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dropTestDatabase, removeDir } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const stateFile = process.env.TEST_STATE_FILE;
  if (!stateFile || !existsSync(stateFile)) return;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
    name: string;
    serverUrl: string;
    embeddedDir?: string;
  };
  await dropTestDatabase(state.serverUrl, state.name).catch(() => undefined);
  const stop = (globalThis as Record<string, unknown>).__OMS_STOP_EMBEDDED__ as
    (() => Promise<void>) | undefined;
  if (stop) await stop().catch(() => undefined);
  if (state.embeddedDir) removeDir(state.embeddedDir);
  rmSync(stateFile, { force: true });
}

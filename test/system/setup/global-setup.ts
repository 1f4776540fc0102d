import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import baseGlobalSetup from '../../setup/global-setup';

/** The run's own database (as for `npm test`), then a build of dist/ when it is missing or stale. */
export default async function globalSetup(): Promise<void> {
  await baseGlobalSetup();
  const root = join(__dirname, '..', '..', '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'ensure-build.js')], { cwd: root, stdio: 'inherit' });
}

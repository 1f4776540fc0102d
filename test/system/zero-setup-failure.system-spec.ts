import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/instance';

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * When the embedded PostgreSQL of the zero-setup start cannot start, `npm start` and the Jest global
 * setup of `npm test` say why in one line, say to set DATABASE_URL, print no stack trace, and exit
 * non-zero. The fault here: the data folder's place is a file (the same path as any other reason).
 */
describe('zero-setup start when the embedded PostgreSQL cannot start', () => {
  let dir: string;
  let blocker: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oms-zero-setup-'));
    blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'a file where a folder should be');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('npm start (node dist/main.js) prints one line and exits 1', async () => {
    const result = await run([join(ROOT, 'dist', 'main.js')], { OMS_DATA_DIR: blocker, PORT: '0' });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^OMS failed to start: The embedded PostgreSQL did not start: .+ Set DATABASE_URL/,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('the Jest global setup prints one line and exits non-zero', async () => {
    const result = await run(
      [
        join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--config',
        'jest.config.js',
        'src/common/problem.filter.spec.ts',
      ],
      // The run's embedded cluster would go under a file.
      { OMS_TEST_EMBEDDED_DIR: join(blocker, 'pg') },
    );
    expect(result.code).not.toBe(0);
    const output = `${result.stdout}\n${result.stderr}`;
    const lines = output.split('\n').filter((line) => line.includes('embedded PostgreSQL'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^The embedded PostgreSQL did not start: .+ Set DATABASE_URL/);
    expect(output).not.toMatch(/^\s+at /m);
  });
});

// `npm start` runs the built app; build first when dist/ is missing or older than src/.
const { existsSync, statSync, readdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { execSync } = require('node:child_process');

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'main.js');
const stamp = join(root, 'dist', '.build-stamp');

function newestMtime(dir) {
  let newest = 0;
  for (const entryName of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entryName.name);
    const mtime = entryName.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

if (!existsSync(entry) || !existsSync(stamp) || newestMtime(join(root, 'src')) > statSync(stamp).mtimeMs) {
  console.log('Building OMS (dist/ is missing or stale)...');
  execSync('npx tsc -p tsconfig.build.json', { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, new Date().toISOString());
}

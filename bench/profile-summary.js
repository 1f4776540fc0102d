'use strict';
// Summarises a V8 .cpuprofile (from `npm run bench -- --profile=<scenario>`): self time per
// package and per function, leaving out idle time.
// Usage: node bench/profile-summary.js <file.cpuprofile> [--skip-first=SECONDS] [--top=N]
const { readFileSync } = require('node:fs');

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: node bench/profile-summary.js <file.cpuprofile> [--skip-first=SECONDS] [--top=N]');
  process.exit(1);
}
const option = (name, fallback) => {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.split('=')[1]) : fallback;
};
const skipFirstUs = option('skip-first', 0) * 1e6; // e.g. the start-up of the app
const top = option('top', 30);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
let elapsed = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  elapsed += delta;
  if (elapsed < skipFirstUs) return;
  if (nodes.get(id).callFrame.functionName === '(idle)') return;
  selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const byPackage = new Map();
const byFunction = new Map();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const path = url.replace('file://', '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  const where =
    pkg ?? (path.includes('/dist/') ? `dist/${path.split('/dist/')[1].split('/')[0]}` : path || functionName);
  byPackage.set(where, (byPackage.get(where) ?? 0) + us);
  const name = `${functionName || '(anonymous)'}  ${path.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
}
const list = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');

console.log(`${(total / 1000).toFixed(0)} ms of CPU samples (idle left out)\n`);
console.log(`by package\n${list(byPackage)}\n`);
console.log(`by function\n${list(byFunction)}`);
console.log(
  '\nNote: on a busy machine, time the thread spends descheduled inside a native call (socket writes:' +
    ' "writeBuffer", "writev") is sampled as that call.',
);

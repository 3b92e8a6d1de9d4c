// Runs every benchmark (`*.bench.ts` under src/ and bench/) one after another, each in its own
// process so one benchmark's heap and JIT state do not colour the next. Usage:
//   npm run bench [-- <substring filter>...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function find(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) find(path, out);
    else if (entry.name.endsWith('.bench.ts')) out.push(path);
  }
  return out;
}

const files = [...find(join(root, 'src'), []), ...find(join(root, 'bench'), [])]
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`# ${file}`);
  const result = spawnSync(process.execPath, [file], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`# ${file} failed with exit code ${result.status}`);
  }
}
if (files.length === 0) console.log('no benchmark matched');
process.exitCode = failed > 0 ? 1 : 0;

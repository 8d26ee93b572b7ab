// Copies the browser builds of the npm libraries the pages use into
// dist/vendor/, which go:embed takes into the binary. MapLibre GL JS ships
// an ES module and a module worker it finds beside itself, so no bundler is
// needed. dist/vendor/ is generated (git-ignored); `make frontend` runs this.
import { cpSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(root, 'dist', 'vendor');

const copies = [
  ['maplibre-gl', ['dist/maplibre-gl.mjs', 'dist/maplibre-gl-worker.mjs', 'dist/maplibre-gl.css', 'LICENSE.txt']],
];

rmSync(vendor, { recursive: true, force: true });
for (const [pkg, files] of copies) {
  const from = join(root, 'node_modules', pkg);
  if (!existsSync(from)) {
    console.error(`build: ${pkg} is not installed; run npm ci in frontend/ first`);
    process.exit(1);
  }
  const to = join(vendor, pkg);
  mkdirSync(to, { recursive: true });
  for (const f of files) {
    const src = join(from, f);
    if (!existsSync(src)) continue; // a licence file renamed upstream is no reason to fail
    cpSync(src, join(to, f.split('/').pop()));
  }
  console.log(`build: ${pkg} → dist/vendor/${pkg}/`);
}

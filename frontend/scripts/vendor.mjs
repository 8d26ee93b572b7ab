// The browser builds of the npm libraries the pages use, vendored into
// frontend/vendor/ and committed, so `go build` on a fresh clone embeds a
// complete frontend before any npm step.
//
//   node scripts/vendor.mjs          copy from node_modules (after npm ci) and
//                                    write vendor/manifest.json
//   node scripts/vendor.mjs --check  fail unless vendor/ holds exactly those
//                                    files of the versions package-lock.json pins
//
// manifest.json names each package's version and lock integrity and the
// sha256 of every vendored file; frontend's Go tests check it against
// package-lock.json and the embedded bytes without npm.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(root, 'vendor');
const manifestPath = join(vendor, 'manifest.json');

// package → files of its published tarball to vendor (flattened).
const copies = {
  'maplibre-gl': ['dist/maplibre-gl.mjs', 'dist/maplibre-gl-worker.mjs', 'dist/maplibre-gl.css', 'LICENSE.txt'],
  // The classic-script build (global `pmtiles`, fflate bundled in): the
  // pmtiles:// protocol of the static site `gridmap bake --site` writes.
  // The package ships no licence file; its package.json says BSD-3-Clause.
  'pmtiles': ['dist/pmtiles.js'],
};

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const base = (f) => f.split('/').pop();

function locked(pkg) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const e = lock.packages[`node_modules/${pkg}`];
  if (!e) throw new Error(`${pkg} is not in package-lock.json`);
  return { version: e.version, integrity: e.integrity };
}

function installed(pkg) {
  const from = join(root, 'node_modules', pkg);
  if (!existsSync(join(from, 'package.json'))) {
    throw new Error(`${pkg} is not installed: run npm ci in frontend/ first`);
  }
  const { version, license } = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  return { from, version, license };
}

function write() {
  const manifest = {};
  rmSync(vendor, { recursive: true, force: true });
  for (const [pkg, files] of Object.entries(copies)) {
    const lock = locked(pkg);
    const { from, version, license } = installed(pkg);
    if (version !== lock.version) throw new Error(`${pkg}: node_modules has ${version}, package-lock.json pins ${lock.version}: run npm ci`);
    const to = join(vendor, pkg);
    mkdirSync(to, { recursive: true });
    const sums = {};
    for (const f of files) {
      const src = join(from, f);
      if (!existsSync(src)) throw new Error(`${pkg}@${version} has no ${f}`);
      cpSync(src, join(to, base(f)));
      sums[base(f)] = sha256(readFileSync(src));
    }
    manifest[pkg] = { version: lock.version, integrity: lock.integrity, license, files: sums };
    console.log(`vendor: ${pkg}@${version} → vendor/${pkg}/`);
  }
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
}

function check() {
  const problems = [];
  const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : {};
  for (const [pkg, files] of Object.entries(copies)) {
    const lock = locked(pkg);
    const m = manifest[pkg];
    if (!m) { problems.push(`${pkg}: not in vendor/manifest.json`); continue; }
    if (m.version !== lock.version || m.integrity !== lock.integrity) {
      problems.push(`${pkg}: vendored ${m.version}, package-lock.json pins ${lock.version}`);
    }
    const { from } = installed(pkg);
    const want = new Set(files.map(base));
    for (const f of files) {
      const mine = join(vendor, pkg, base(f));
      if (!existsSync(mine)) { problems.push(`vendor/${pkg}/${base(f)} is missing`); continue; }
      if (sha256(readFileSync(mine)) !== sha256(readFileSync(join(from, f)))) {
        problems.push(`vendor/${pkg}/${base(f)} differs from node_modules/${pkg}/${f}`);
      }
    }
    for (const f of readdirSync(join(vendor, pkg))) {
      if (!want.has(f)) problems.push(`vendor/${pkg}/${f} is not a vendored file`);
    }
  }
  for (const pkg of Object.keys(manifest)) {
    if (!copies[pkg]) problems.push(`vendor/manifest.json names ${pkg}, which is not vendored`);
  }
  if (problems.length) {
    console.error('vendor check failed:\n  ' + problems.join('\n  ') + '\nrun `make vendor` (npm ci, then node scripts/vendor.mjs) and commit frontend/vendor/');
    process.exit(1);
  }
  console.log(`vendor: ${Object.keys(copies).join(', ')} match package-lock.json`);
}

try {
  if (process.argv.includes('--check')) check();
  else write();
} catch (e) {
  console.error(`vendor: ${e.message}`);
  process.exit(1);
}

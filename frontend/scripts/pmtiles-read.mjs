// Reads a PMTiles archive with the `pmtiles` npm package (the format's
// JavaScript reader, the one the static site's pages use) and prints, as
// JSON, its header, its metadata and the sha256 and length of each tile
// asked for, as the reader returns it (tile compression undone):
//   node scripts/pmtiles-read.mjs city.pmtiles 14/13650/6543 …
// The Go tests of gridmap bake compare that with their own reading.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { PMTiles } from 'pmtiles';

const [path, ...tiles] = process.argv.slice(2);
const fh = await open(path, 'r');
const source = {
  getKey: () => path,
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead) };
  },
};
const p = new PMTiles(source);
const out = { header: await p.getHeader(), metadata: await p.getMetadata(), tiles: {} };
for (const t of tiles) {
  const [z, x, y] = t.split('/').map(Number);
  const r = await p.getZxy(z, x, y);
  out.tiles[t] = r ? { sha256: createHash('sha256').update(Buffer.from(r.data)).digest('hex'), length: r.data.byteLength } : null;
}
await fh.close();
console.log(JSON.stringify(out));

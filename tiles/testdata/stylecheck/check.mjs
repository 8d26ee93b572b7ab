// Independent checks of gridmap's tiles and style, run by the Go tests:
//   node check.mjs style.json tile.mvt...
// validates the style with MapLibre's own style-spec validator, decodes
// each tile with @mapbox/vector-tile, and prints one JSON report.
import {readFileSync} from 'node:fs';
import {validateStyleMin} from '@maplibre/maplibre-gl-style-spec';
import {VectorTile} from '@mapbox/vector-tile';
import Pbf from 'pbf';

const [stylePath, ...tiles] = process.argv.slice(2);
const report = {styleErrors: [], tiles: {}};
const style = JSON.parse(readFileSync(stylePath, 'utf8'));
for (const e of validateStyleMin(style)) report.styleErrors.push(e.message);

const area = (ring) => {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += ring[j].x * ring[i].y - ring[i].x * ring[j].y;
  return s;
};
for (const path of tiles) {
  const t = {layers: {}, problems: []};
  const vt = new VectorTile(new Pbf(readFileSync(path)));
  for (const [name, layer] of Object.entries(vt.layers)) {
    t.layers[name] = layer.length;
    if (layer.extent !== 4096 || layer.version !== 2) t.problems.push(`${name}: extent ${layer.extent} version ${layer.version}`);
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      const rings = f.loadGeometry();
      if (f.type === 3) {
        // The first ring of a polygon is an exterior: positive area by the
        // surveyor's formula in tile coordinates (MVT 2.1 §4.3.4.4).
        if (!(area(rings[0]) > 0)) t.problems.push(`${name} ${i}: first ring area ${area(rings[0])}`);
        const gj = f.toGeoJSON(0, 0, 0);
        if (!gj.geometry || !gj.geometry.coordinates.length) t.problems.push(`${name} ${i}: no geometry`);
      }
    }
  }
  report.tiles[path] = t;
}
console.log(JSON.stringify(report));

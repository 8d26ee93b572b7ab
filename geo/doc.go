// Package geo is gridmap's spatial engine: coordinate transforms between
// WGS84 and GCJ-02, measures on the sphere, topology checks of the nested
// partition, and the point-location index.
//
// geo knows geometry and the model (package data); it never knows HTTP or a
// store.
package geo

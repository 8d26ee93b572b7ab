// Coverage mode of the map pages (wall map and planner): see issue 8.
// Placeholder until the coverage mode lands; it attaches to window.map.

// Loaded first by every page (a classic script, so it runs even when the
// page's module cannot load): a binary built before `make frontend` has no
// map library, and the page says so instead of staying blank.
function scriptFailed() {
  const f = document.getElementById('fatal');
  f.hidden = false;
  f.textContent = '页面脚本加载失败（缺少 vendor/maplibre-gl：请先运行 make frontend 再构建）';
}

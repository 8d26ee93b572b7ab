// Loaded first by every page (a classic script, so it runs even when the
// page's module cannot load: a lost connection mid-load, or a browser
// without ES modules): the page says so instead of staying blank.
function scriptFailed() {
  const f = document.getElementById('fatal');
  f.hidden = false;
  f.textContent = '页面脚本加载失败：请刷新页面；仍然失败时请换用支持 ES 模块和 WebGL 的浏览器';
}

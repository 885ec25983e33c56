// lens4j AttentionHeads view: select a head, hover a token to shade what it attends to. No libraries, no network.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('view-data').textContent);
  var figures = document.querySelectorAll('#heads [data-head]');
  var toks = document.querySelectorAll('#tokens [data-token-index]');
  var state = { head: 0, focus: null };

  function select(h) {
    state.head = h;
    Array.prototype.forEach.call(figures, function (f, i) { f.setAttribute('aria-pressed', i === h ? 'true' : 'false'); });
    document.getElementById('heads').setAttribute('data-selected-head', data.heads[h].label);
    shade(state.focus);
  }

  // Token j gets the weight with which the focused token i attends to it in the selected head (row i of the pattern).
  function shade(i) {
    var p = data.heads[state.head].pattern;
    Array.prototype.forEach.call(toks, function (el, j) {
      var w = el.querySelector('.w');
      el.classList.remove('focus', 'dark');
      if (i === null) {
        el.style.backgroundColor = '';
        el.removeAttribute('data-attn');
        w.textContent = '';
        return;
      }
      var a = j <= i ? p[i][j] : 0;
      el.setAttribute('data-attn', String(a));
      el.style.backgroundColor = 'rgba(37,99,235,' + Math.min(1, a).toFixed(3) + ')';
      if (a > 0.55) el.classList.add('dark');
      w.textContent = a >= 0.05 ? a.toFixed(2).replace(/^0\./, '.') : '';
      if (j === i) el.classList.add('focus');
    });
  }

  Array.prototype.forEach.call(figures, function (f, i) {
    f.addEventListener('click', function () { select(i); });
    f.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(i); } });
  });
  Array.prototype.forEach.call(toks, function (el, i) {
    el.addEventListener('mouseover', function () { state.focus = i; shade(i); });
  });
  document.getElementById('tokens').addEventListener('mouseleave', function () { state.focus = null; shade(null); });
  select(0);
})();

// lens4j report: interactive parts. Plain JavaScript, no libraries, no network.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var tooltip = document.getElementById('tooltip');

  // Colour ramps shared with the Java charts (Palette.java).
  var BLUES = [[255, 255, 255], [219, 231, 246], [156, 194, 229], [74, 144, 200], [28, 95, 168], [8, 48, 107]];
  function ramp(stops, t) {
    t = Math.max(0, Math.min(1, t)) * (stops.length - 1);
    var i = Math.min(stops.length - 2, Math.floor(t)), f = t - i, a = stops[i], b = stops[i + 1];
    return 'rgb(' + [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * f); }).join(',') + ')';
  }
  function fmt(v, d) { return (v === null || v === undefined || isNaN(v)) ? 'n/a' : Number(v).toFixed(d === undefined ? 3 : d); }
  function showToken(t) { return t.replace(/\n/g, '\u21b5').replace(/\t/g, '\u21e5').replace(/\r/g, ''); }

  function showTip(text, ev) {
    if (!tooltip) return;
    tooltip.textContent = text;
    tooltip.hidden = false;
    var x = ev.clientX + 14, y = ev.clientY + 14;
    var r = tooltip.getBoundingClientRect();
    if (x + r.width > window.innerWidth - 8) x = ev.clientX - r.width - 10;
    if (y + r.height > window.innerHeight - 8) y = ev.clientY - r.height - 10;
    tooltip.style.left = x + 'px';
    tooltip.style.top = y + 'px';
  }
  function hideTip() { if (tooltip) tooltip.hidden = true; }

  // Every chart element with data-tip gets a quick tooltip (native <title> tips are slow, so drop them).
  Array.prototype.forEach.call(document.querySelectorAll('svg title'), function (t) { t.parentNode.removeChild(t); });
  // Heatmap cells carry data-row, data-col and data-value instead (large matrices stay small).
  document.addEventListener('mousemove', function (ev) {
    var el = ev.target.closest ? ev.target.closest('[data-tip], rect[data-value][data-row]') : null;
    if (el && el.hasAttribute('data-tip')) showTip(el.getAttribute('data-tip'), ev);
    else if (el) {
      var panel = el.closest('[data-comp-panel]');
      var mode = panel ? panel.getAttribute('data-comp-panel').toUpperCase() + '-composition ' : '';
      var v = +el.getAttribute('data-value'), base = data.composition ? data.composition.baseline : 0;
      showTip(mode + el.getAttribute('data-row') + ' \u2192 ' + el.getAttribute('data-col') + ': ' + fmt(v, 3) +
        (panel && base > 0 ? '  (' + fmt(v / base, 1) + '\u00d7 random)' : ''), ev);
    } else if (!ev.target.closest || !ev.target.closest('#attn-canvas')) hideTip();
  });

  // ---------------------------------------------------------------- attention viewer
  var att = data.attention;
  var viewer = document.getElementById('attn-viewer');
  if (att && viewer) {
    var tokens = att.tokens, n = tokens.length;
    var heads = att.heads, byLabel = {};
    heads.forEach(function (h) { byLabel[h.head] = h; });
    var buttons = viewer.querySelectorAll('#head-selector [data-head]');
    var tokEls = viewer.querySelectorAll('#attn-tokens [data-token-index]');
    var info = document.getElementById('attn-info');
    var headName = document.getElementById('attn-head-name');
    var headScores = document.getElementById('attn-head-scores');
    var canvas = document.getElementById('attn-canvas');
    var ctx = canvas.getContext('2d');
    var state = { head: null, focus: null, pinned: false, cell: null };
    var geom = null;

    function thumbnail(btn) {
      var c = btn.querySelector('canvas');
      var p = byLabel[btn.getAttribute('data-head')].pattern;
      var s = c.width / n, g = c.getContext('2d');
      g.fillStyle = '#fff';
      g.fillRect(0, 0, c.width, c.height);
      for (var q = 0; q < n; q++) for (var k = 0; k <= q; k++) {
        g.fillStyle = ramp(BLUES, p[q][k]);
        g.fillRect(Math.floor(k * s), Math.floor(q * s), Math.ceil(s), Math.ceil(s));
      }
    }
    Array.prototype.forEach.call(buttons, function (b) {
      thumbnail(b);
      b.addEventListener('click', function () { selectHead(b.getAttribute('data-head')); });
    });

    function selectHead(label) {
      state.head = byLabel[label];
      Array.prototype.forEach.call(buttons, function (b) {
        b.setAttribute('aria-selected', b.getAttribute('data-head') === label ? 'true' : 'false');
      });
      viewer.setAttribute('data-selected-head', label);
      headName.textContent = label;
      var hs = data.headScores, parts = [];
      if (hs) {
        var l = state.head.layer, h = state.head.index, tl = hs.detectHead;
        parts.push('previous-token ' + fmt(hs.previousToken[l][h], 2), 'duplicate-token ' + fmt(hs.duplicateToken[l][h], 2),
          'induction ' + fmt(hs.induction[l][h], 2));
        if (tl) parts.push('detect_head: prev ' + fmt(tl.previousToken[l][h], 2) + ', ind ' + fmt(tl.induction[l][h], 2));
      }
      headScores.textContent = parts.length ? 'detector scores: ' + parts.join(' \u00b7 ') : '';
      highlight(state.focus);
      drawMatrix();
    }

    // Shades tokens for the focused token i: its row (where i attends, blue) and its column (what attends to i, orange).
    function highlight(i) {
      var p = state.head.pattern;
      viewer.setAttribute('data-focus-token', i === null ? '' : String(i));
      for (var j = 0; j < n; j++) {
        var el = tokEls[j], w = el.querySelector('.w');
        el.classList.remove('focus', 'pinned', 'dark');
        if (i === null) {
          el.style.backgroundColor = '';
          el.removeAttribute('data-attn-from');
          el.removeAttribute('data-attn-to');
          w.textContent = '';
          continue;
        }
        var from = j <= i ? p[i][j] : 0;   // row i of the pattern: query i attends to key j
        var to = j >= i ? p[j][i] : 0;     // column i: query j attends to key i
        el.setAttribute('data-attn-from', String(from));
        el.setAttribute('data-attn-to', String(to));
        var shown = j <= i ? from : to;
        var rgb = j <= i ? '37,99,235' : '234,88,12';
        el.style.backgroundColor = 'rgba(' + rgb + ',' + Math.min(1, shown).toFixed(3) + ')';
        if (shown > 0.55) el.classList.add('dark');
        // Small weights stay unlabelled so that the large ones stand out; the matrix shows every value.
        w.textContent = shown >= 0.05 ? shown.toFixed(2).replace(/^0\./, '.') : '';
        if (j === i) { el.classList.add('focus'); if (state.pinned) el.classList.add('pinned'); }
      }
      if (i === null) {
        info.innerHTML = 'Hover a token (or a cell of the matrix) to see where it attends and what attends to it; click to pin.';
        return;
      }
      var best = 0;
      for (var k = 1; k <= i; k++) if (p[i][k] > p[i][best]) best = k;
      var bestTo = i;
      for (var q = i; q < n; q++) if (p[q][i] > p[bestTo][i]) bestTo = q;
      info.innerHTML = '';
      info.appendChild(document.createTextNode('Token ' + i + ' '));
      info.appendChild(mono(tokens[i]));
      info.appendChild(document.createTextNode(' attends most to ' + best + ' '));
      info.appendChild(mono(tokens[best]));
      if (p[bestTo][i] < 0.0005) { // would print as 0.000: nothing really attends to it
        info.appendChild(document.createTextNode(' (' + fmt(p[i][best], 3) + '); no token attends to it.'));
        return;
      }
      info.appendChild(document.createTextNode(' (' + fmt(p[i][best], 3) + '); attended to most by ' + bestTo + ' '));
      info.appendChild(mono(tokens[bestTo]));
      info.appendChild(document.createTextNode(' (' + fmt(p[bestTo][i], 3) + ').'));
    }
    function mono(t) { var s = document.createElement('span'); s.className = 'mono'; s.textContent = showToken(t); return s; }

    Array.prototype.forEach.call(tokEls, function (el) {
      var i = +el.getAttribute('data-token-index');
      el.addEventListener('mouseover', function () { if (!state.pinned) { state.focus = i; highlight(i); drawMatrix(); } });
      el.addEventListener('click', function () {
        state.pinned = !(state.pinned && state.focus === i);
        state.focus = i; highlight(i); drawMatrix();
      });
    });
    document.getElementById('attn-tokens').addEventListener('mouseleave', function () {
      if (!state.pinned) { state.focus = null; highlight(null); drawMatrix(); }
    });

    function drawMatrix() {
      var dpr = window.devicePixelRatio || 1;
      var avail = Math.max(240, Math.min(560, canvas.parentNode.clientWidth || 520));
      ctx.font = '11px ' + getComputedStyle(document.body).getPropertyValue('--mono');
      var lw = 0;
      tokens.forEach(function (t) { lw = Math.max(lw, ctx.measureText(showToken(t)).width); });
      var labels = (avail - 20) / n >= 9;
      var pad = labels ? Math.min(110, lw + 12) : 8;
      var cell = Math.max(3, Math.floor((avail - pad - 8) / n));
      var size = pad + cell * n + 8;
      canvas.width = Math.round(size * dpr);
      canvas.height = Math.round(size * dpr);
      canvas.style.width = size + 'px';
      canvas.style.height = size + 'px';
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, size, size);
      geom = { x: pad, y: pad, cell: cell };
      var p = state.head.pattern;
      for (var q = 0; q < n; q++) for (var k = 0; k < n; k++) {
        ctx.fillStyle = k > q ? '#f5f7fa' : ramp(BLUES, p[q][k]);
        ctx.fillRect(pad + k * cell, pad + q * cell, cell, cell);
      }
      ctx.strokeStyle = '#9aa5b1';
      ctx.lineWidth = 1;
      ctx.strokeRect(pad + 0.5, pad + 0.5, cell * n - 1, cell * n - 1);
      if (labels) {
        ctx.font = Math.min(11, cell - 1) + 'px ' + getComputedStyle(document.body).getPropertyValue('--mono');
        ctx.fillStyle = '#1f2933';
        ctx.textBaseline = 'middle';
        ctx.textAlign = 'right';
        for (var r = 0; r < n; r++) ctx.fillText(showToken(tokens[r]).slice(0, 14), pad - 4, pad + r * cell + cell / 2);
        ctx.save();
        ctx.textAlign = 'left';
        for (var c = 0; c < n; c++) {
          ctx.save();
          ctx.translate(pad + c * cell + cell / 2, pad - 4);
          ctx.rotate(-Math.PI / 2);
          ctx.fillText(showToken(tokens[c]).slice(0, 14), 0, 0);
          ctx.restore();
        }
        ctx.restore();
      }
      var f = state.focus;
      if (f !== null) {
        ctx.lineWidth = 2;
        ctx.strokeStyle = '#2563eb';
        ctx.strokeRect(pad + 1, pad + f * cell + 1, cell * n - 2, cell - 2);
        ctx.strokeStyle = '#ea580c';
        ctx.strokeRect(pad + f * cell + 1, pad + 1, cell - 2, cell * n - 2);
      }
      if (state.cell) {
        ctx.lineWidth = 2;
        ctx.strokeStyle = '#1f2933';
        ctx.strokeRect(pad + state.cell[1] * cell, pad + state.cell[0] * cell, cell, cell);
      }
    }
    canvas.addEventListener('mousemove', function (ev) {
      if (!geom) return;
      var r = canvas.getBoundingClientRect();
      var k = Math.floor((ev.clientX - r.left - geom.x) / geom.cell);
      var q = Math.floor((ev.clientY - r.top - geom.y) / geom.cell);
      if (q < 0 || k < 0 || q >= n || k >= n) { state.cell = null; hideTip(); drawMatrix(); return; }
      state.cell = [q, k];
      if (!state.pinned) { state.focus = q; highlight(q); }
      drawMatrix();
      var w = state.head.pattern[q][k];
      showTip('query ' + q + ' ' + JSON.stringify(tokens[q]) + '\n\u2192 key ' + k + ' ' + JSON.stringify(tokens[k]) +
        '\nweight ' + (k > q ? '0 (masked)' : fmt(w, 4)), ev);
    });
    canvas.addEventListener('mouseleave', function () {
      state.cell = null; hideTip();
      if (!state.pinned) { state.focus = null; highlight(null); }
      drawMatrix();
    });
    window.addEventListener('resize', function () { drawMatrix(); });

    var initial = viewer.getAttribute('data-initial-head') || heads[0].head;
    selectHead(byLabel[initial] ? initial : heads[0].head);
  }

  // ---------------------------------------------------------------- composition mode switch
  var modeButtons = document.querySelectorAll('[data-comp-mode]');
  Array.prototype.forEach.call(modeButtons, function (b) {
    b.addEventListener('click', function () {
      var m = b.getAttribute('data-comp-mode');
      Array.prototype.forEach.call(modeButtons, function (o) { o.setAttribute('aria-pressed', o === b ? 'true' : 'false'); });
      Array.prototype.forEach.call(document.querySelectorAll('[data-comp-panel]'), function (f) {
        f.hidden = f.getAttribute('data-comp-panel') !== m;
      });
    });
  });

  // ---------------------------------------------------------------- edge attribution graph
  // The slider shows the edges whose rank by |score| is at most its value (and their route halos).
  var edgeSlider = document.getElementById('edge-count');
  if (edgeSlider) {
    var ranked = document.querySelectorAll('#edge-graph [data-rank]');
    var edgeOut = document.getElementById('edge-count-value');
    var showEdges = function () {
      var n = +edgeSlider.value;
      Array.prototype.forEach.call(ranked, function (el) {
        el.classList.toggle('off', +el.getAttribute('data-rank') > n);
      });
      edgeOut.textContent = document.querySelectorAll('#edge-graph path.edge:not(.off)').length + ' of ' +
        (data.edgeAttribution ? data.edgeAttribution.edgeCount : ranked.length);
    };
    edgeSlider.addEventListener('input', showEdges);
    showEdges();
  }

  // ---------------------------------------------------------------- sortable tables
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var ths = table.querySelectorAll('thead th');
    Array.prototype.forEach.call(ths, function (th, col) {
      th.tabIndex = 0;
      // The first click on a column sorts it ascending; the next click on it reverses the order.
      function sort() {
        var desc = th.getAttribute('aria-sort') === 'ascending';
        Array.prototype.forEach.call(ths, function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute('data-sort'), y = b.cells[col].getAttribute('data-sort');
          var c = (x !== null && y !== null && !isNaN(+x) && !isNaN(+y)) ? (+x) - (+y)
            : String(a.cells[col].textContent).localeCompare(String(b.cells[col].textContent), undefined, { numeric: true });
          return desc ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); sort(); } });
    });
  });

  document.documentElement.setAttribute('data-ready', 'true');
})();

/**
 * The grid report's inline script (plain ES2017, no libraries): brushing on the parallel-coordinates axes,
 * the table filter, sorting by a header click, colour-by, and hover highlighting. It reads the layout that
 * ./parcoords computed from <script id="pc-data" type="application/json">, so positions are never computed
 * twice. Kept as a string so that the report stays one self-contained file.
 */
export const PARCOORDS_CLIENT_JS = String.raw`
(function () {
  'use strict';
  var model = JSON.parse(document.getElementById('pc-data').textContent);
  var svg = document.getElementById('pc-svg');
  var table = document.getElementById('pc-table');
  var tbody = table.tBodies[0];
  var count = document.getElementById('pc-count');
  var filters = document.getElementById('pc-filters');
  var lineOf = {}, rowOf = {};
  Array.prototype.forEach.call(svg.querySelectorAll('.pc-line'), function (el) { lineOf[el.getAttribute('data-i')] = el; });
  Array.prototype.forEach.call(tbody.rows, function (tr) { rowOf[tr.getAttribute('data-i')] = tr; });
  var axisEls = svg.querySelectorAll('.pc-axis');
  var brushes = {}; // axis index -> [yTop, yBottom] in SVG units

  function svgY(evt) {
    var pt = svg.createSVGPoint();
    pt.x = evt.clientX; pt.y = evt.clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse()).y;
  }
  function fmt(v) { return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4))); }
  // The values an axis shows between two heights (numbers: the inverted scale; categories: those inside).
  function describe(a, b) {
    var ax = model.axes[a];
    if (ax.kind === 'cat') {
      var cats = ax.ticks.filter(function (t) { return t.y >= b[0] - 0.5 && t.y <= b[1] + 0.5; }).map(function (t) { return t.label; });
      return cats.length ? '{' + cats.join(', ') + '}' : '{}';
    }
    var d = ax.domain, t0 = model.top, t1 = model.bottom, parts = [];
    // the range the brush covers on the axis (none when it lies below it, on the n/a marker only), and n/a
    // when it covers the marker of the rows without a value (apply() keeps those rows)
    if (b[1] >= t0 - 0.5 && b[0] <= t1 + 0.5) {
      var inv = function (y) { return d[0] + (t1 - y) / (t1 - t0) * (d[1] - d[0]); };
      var v0 = inv(Math.min(Math.max(b[1], t0), t1)), v1 = inv(Math.min(Math.max(b[0], t0), t1));
      parts.push(fmt(Math.min(v0, v1)) + ' – ' + fmt(Math.max(v0, v1)));
    }
    if (ax.nullY !== undefined && ax.nullY !== null && ax.nullY >= b[0] - 0.5 && ax.nullY <= b[1] + 0.5) parts.push('n/a');
    return parts.length ? parts.join(' or ') : '{}';
  }
  function apply() {
    var keys = Object.keys(brushes), shown = 0;
    model.rows.forEach(function (r) {
      var ok = keys.every(function (a) { var y = r.ys[a], b = brushes[a]; return y >= b[0] - 0.5 && y <= b[1] + 0.5; });
      lineOf[r.i].classList.toggle('dimmed', !ok);
      rowOf[r.i].hidden = !ok;
      if (ok) shown++;
    });
    Array.prototype.forEach.call(axisEls, function (g, a) {
      var rect = g.querySelector('.pc-brush'), label = g.querySelector('.pc-brush-label'), b = brushes[a];
      if (b) {
        rect.setAttribute('y', b[0]); rect.setAttribute('height', Math.max(1, b[1] - b[0])); rect.setAttribute('visibility', 'visible');
        label.textContent = describe(a, b);
      } else { rect.setAttribute('visibility', 'hidden'); label.textContent = ''; }
    });
    count.textContent = shown + ' of ' + model.rows.length + ' candidates' + (keys.length ? ' selected' : '');
    filters.textContent = keys.map(function (a) { return model.axes[a].label + ' ∈ ' + describe(a, brushes[a]); }).join('; ');
    svg.setAttribute('data-selected', String(shown));
  }

  // Brushing: press on an axis, drag up or down, release. A click without a drag clears that axis.
  var drag = null;
  var lo = model.top - 6, hi = model.height - 4;
  function clampY(y) { return Math.max(lo, Math.min(hi, y)); }
  Array.prototype.forEach.call(svg.querySelectorAll('.pc-brush-area'), function (area) {
    area.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      e.preventDefault();
      drag = { a: Number(area.getAttribute('data-axis')), y0: clampY(svgY(e)), moved: false };
      if (area.setPointerCapture) try { area.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events */ }
    });
  });
  window.addEventListener('pointermove', function (e) {
    if (!drag) return;
    var y = clampY(svgY(e));
    if (!drag.moved && Math.abs(y - drag.y0) < 3) return;
    drag.moved = true;
    brushes[drag.a] = [Math.min(drag.y0, y), Math.max(drag.y0, y)];
    apply();
  });
  window.addEventListener('pointerup', function () {
    if (!drag) return;
    if (!drag.moved) delete brushes[drag.a];
    drag = null;
    apply();
  });
  document.getElementById('pc-reset').addEventListener('click', function () { brushes = {}; apply(); });

  // Sorting: click a header (or press Enter on it); a second click reverses. Missing values sort last.
  var sortCol = -1, sortDir = 1;
  function sortBy(c) {
    sortDir = c === sortCol ? -sortDir : 1;
    sortCol = c;
    var rows = model.rows.slice().sort(function (p, q) {
      var a = p.values[c], b = q.values[c];
      if (a === null || b === null) return a === b ? p.i - q.i : a === null ? 1 : -1;
      var d = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
      return d !== 0 ? d * sortDir : p.i - q.i;
    });
    rows.forEach(function (r) { tbody.appendChild(rowOf[r.i]); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var k = Number(th.getAttribute('data-col'));
      th.setAttribute('aria-sort', k === c ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    if (!th.hasAttribute('data-col')) return;
    var c = Number(th.getAttribute('data-col'));
    th.addEventListener('click', function () { sortBy(c); });
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(c); } });
  });

  // Colour by: the height on the chosen axis, blue (bottom) to red (top).
  function hex(h) { return [1, 3, 5].map(function (k) { return parseInt(h.slice(k, k + 2), 16); }); }
  function colorAt(t) {
    var s = model.colorStops;
    if (!isFinite(t)) return '#999999';
    var c = Math.max(0, Math.min(1, t)) * (s.length - 1), i = Math.min(s.length - 2, Math.floor(c)), f = c - i;
    var a = hex(s[i]), b = hex(s[i + 1]);
    return '#' + a.map(function (v, k) { var x = Math.round(v + (b[k] - v) * f).toString(16); return x.length < 2 ? '0' + x : x; }).join('');
  }
  var select = document.getElementById('pc-color');
  function recolor(a) {
    var ax = model.axes[a];
    var present = function (y) { return ax.nullY === undefined || ax.nullY === null || y !== ax.nullY; };
    var ys = model.rows.map(function (r) { return r.ys[a]; }).filter(present);
    var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
    model.rows.forEach(function (r) {
      var y = r.ys[a];
      var col = !present(y) ? '#999999' : colorAt(hi > lo ? (hi - y) / (hi - lo) : 1);
      lineOf[r.i].setAttribute('stroke', col);
      var sw = rowOf[r.i].querySelector('.swatch');
      if (sw) sw.style.background = col;
    });
  }
  select.addEventListener('change', function () { recolor(Number(select.value)); });

  // Hover: a row lights up its line and the other way round. A row's line is also raised above the others; a
  // hovered line is not moved (moving the element under the pointer lost its mouseleave: highlights stuck).
  function highlight(i, on, raise) {
    var l = lineOf[i];
    l.classList.toggle('hl', on);
    rowOf[i].classList.toggle('hl', on);
    if (on && raise) l.parentNode.appendChild(l);
  }
  Object.keys(rowOf).forEach(function (i) {
    rowOf[i].addEventListener('mouseenter', function () { highlight(i, true, true); });
    rowOf[i].addEventListener('mouseleave', function () { highlight(i, false); });
    lineOf[i].addEventListener('mouseenter', function () { highlight(i, true, false); });
    lineOf[i].addEventListener('mouseleave', function () { highlight(i, false); });
  });
  apply();
})();
`;

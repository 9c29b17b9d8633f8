// Vigil status page: polls the JSON API (/api/incidents, /api/fleet, /api/status, /api/snapshots, /api/history)
// and renders open incidents, the fleet table, active alerts and a drill-down of one slice. No dependencies.
(function () {
  'use strict';
  const REFRESH_MS = 3000;
  const FLEET_DIMENSIONS = ['all', 'site', 'scanner'];
  const state = { filter: 'fleet', selected: null, window: null, rows: [] };
  // A link from an alert (its generatorURL: ?model=&version=&slice=&value=) opens that slice's drill-down.
  const linked = new URLSearchParams(window.location.search);
  if (linked.get('model') && linked.get('version') && linked.get('slice') && linked.get('value')) {
    state.selected = [linked.get('model'), linked.get('version'), linked.get('slice'), linked.get('value')].join('|') + '|';
    state.filter = 'any';
  }

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  };
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs) => {
    const e = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  };

  async function getJson(path) {
    const r = await fetch(path, { cache: 'no-store' });
    if (!r.ok) throw new Error(path + ' answered ' + r.status);
    return r.json();
  }

  // ---------- formatting ----------
  const fmt = (v, digits = 3) => (v === null || v === undefined || Number.isNaN(v)) ? '–'
    : Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Number(v).toFixed(digits);
  const pct = (v) => (v === null || v === undefined) ? '–' : (100 * v).toFixed(1) + '%';
  const pfmt = (p) => p === null || p === undefined ? '' : p < 1e-4 ? 'p < 0.0001' : 'p = ' + p.toPrecision(2);
  const dateOf = (iso) => iso ? iso.substring(0, 10) : '';
  const rowKey = (r) => r.key_prefix;

  // ---------- fleet ----------
  function renderFilter(rows) {
    const dims = [...new Set(rows.map((r) => r.slice_dimension))].filter((d) => !FLEET_DIMENSIONS.includes(d)).sort();
    const options = [['fleet', 'Sites & scanners'], ['any', 'All slices'], ...dims.map((d) => [d, d.replace('_', ' ')])];
    const box = $('dimension-filter');
    box.replaceChildren(...options.map(([value, label]) => {
      const b = el('button', { class: 'chip', type: 'button', role: 'tab', 'data-filter': value,
        'aria-selected': String(state.filter === value), text: label });
      b.addEventListener('click', () => { state.filter = value; render(); });
      return b;
    }));
  }

  function visible(rows) {
    if (state.filter === 'any') return rows;
    if (state.filter === 'fleet') return rows.filter((r) => FLEET_DIMENSIONS.includes(r.slice_dimension));
    return rows.filter((r) => r.slice_dimension === state.filter);
  }

  function metricCell(m, render, bad) {
    const td = el('td', { class: 'num' + (bad ? ' bad' : ''), text: m ? shown(m, render) : '–' });
    if (m) td.title = m.window + ' window, n = ' + m.n + (m.p_value !== undefined ? ', ' + pfmt(m.p_value) : '');
    return td;
  }

  function renderFleet(rows) {
    const body = $('fleet-body');
    const shown = visible(rows);
    body.replaceChildren(...shown.map((r) => {
      const m = r.metrics || {};
      const signalMetrics = new Set(r.signals.map((s) => s.metric));
      const tr = el('tr', {
        'data-model': r.model, 'data-version': r.version, 'data-slice': r.slice_dimension,
        'data-value': r.slice_value, 'data-status': r.status, 'data-key-prefix': r.key_prefix,
        class: state.selected === rowKey(r) ? 'selected' : null,
      },
      el('td', {}, el('span', { class: 'status ' + r.status, text: r.status })),
      el('td', {}, el('span', { class: 'dim', text: r.slice_dimension }), r.slice_value),
      el('td', { text: r.model + ' ' + r.version }),
      metricCell(m.predictions, (s) => fmt(s.estimate, 0)),
      metricCell(m.score_psi, (s) => fmt(s.estimate), signalMetrics.has('score_psi')),
      metricCell(m.score_ks, (s) => fmt(s.estimate) + (s.upper !== undefined ? ' / ' + fmt(s.upper) : ''),
        signalMetrics.has('score_ks')),
      metricCell(m.positive_rate, (s) => pct(s.estimate), signalMetrics.has('positive_rate')),
      metricCell(m.sensitivity, (s) => pct(s.estimate)),
      metricCell(m.auc, (s) => fmt(s.estimate)),
      metricCell(m.ece, (s) => fmt(s.estimate)),
      metricCell(m.label_coverage, (s) => pct(s.estimate)),
      metricCell(m.flip_rate, (s) => pct(s.estimate)),
      el('td', { class: 'signals', text: describeSignals(r) }));
      tr.addEventListener('click', () => select(rowKey(r)));
      return tr;
    }));
    $('no-data').hidden = rows.length > 0;
  }

  // "alert score_drift, score_psi (1d, 7d, 30d), score_ks (7d)": signals grouped by metric.
  function groupedSignals(r) {
    const byMetric = new Map();
    for (const s of r.signals) byMetric.set(s.metric, (byMetric.get(s.metric) || []).concat(s.window));
    return r.alerts.map((a) => 'alert ' + a.rule)
      .concat([...byMetric].map(([m, ws]) => m + ' (' + ws.join(', ') + ')'));
  }

  function describeSignals(r) {
    const parts = groupedSignals(r);
    return parts.length > 3 ? parts.slice(0, 3).join(', ') + ' +' + (parts.length - 3) + ' more' : parts.join(', ');
  }

  function renderAlerts(alerts) {
    $('alert-count').textContent = String(alerts.length);
    $('alert-count').className = 'badge' + (alerts.length ? ' hot' : '');
    $('no-alerts').hidden = alerts.length > 0;
    $('alerts').replaceChildren(...alerts.map((a) => el('li', {
      class: 'alert ' + a.severity, 'data-alert-id': a.id, 'data-slice': a.slice_dimension, 'data-value': a.slice_value,
    },
    el('span', { class: 'sev', text: a.severity }),
    el('span', {}, el('span', { class: 'where', text: a.slice_dimension + ' ' + a.slice_value }),
      ' · ' + a.summary),
    el('span', { class: 'since' }, a.rule + (a.window ? ' · ' + a.window : '') + ' · since ' + dateOf(a.started_at) + ' · ',
      el('a', { href: 'runbooks/' + encodeURIComponent(a.rule), text: 'runbook' })))));
  }

  function renderCounts(counts) {
    const box = $('counts');
    box.replaceChildren(...['alerting', 'drifting', 'ok'].map((s) =>
      el('span', { class: 'count ' + (counts[s] > 0 ? s : ''), 'data-count': s, text: counts[s] + ' ' + s })));
  }

  function renderIncidents(incidents) {
    $('incident-count').textContent = String(incidents.length);
    $('incident-count').className = 'badge' + (incidents.length ? ' hot' : '');
    $('no-incidents').hidden = incidents.length > 0;
    $('incidents').replaceChildren(...incidents.map((i) => {
      const root = i.root.map((r) => r.dimension + ' ' + r.value).join(', ');
      const facts = ['since ' + dateOf(i.first_detected)];
      if (i.change_at) facts.push('change estimated ' + dateOf(i.change_at));
      const members = el('details', { class: 'members' }, el('summary', { text: i.alerts.length + ' member alerts' }),
        el('ul', {}, ...i.alerts.map((m) => el('li', { 'data-role': m.role, 'data-fingerprint': m.fingerprint,
          text: m.role + ': ' + m.slice_dimension + ' ' + m.slice_value + ' · ' + m.rule + ' · ' + m.metric
            + (m.window ? ' (' + m.window + ')' : '') }))));
      return el('li', { class: 'alert incident ' + i.severity, 'data-incident-id': i.id,
        'data-root': i.root.map((r) => r.dimension + '=' + r.value).join(',') },
      el('span', { class: 'sev', text: i.severity }),
      el('span', {}, el('span', { class: 'where', text: root }), ' · ' + i.summary,
        ...i.acquisition_changes.map((c) => el('div', { class: 'change', text: c })), members),
      el('span', { class: 'since' }, facts.join(' · ') + ' · ',
        el('a', { href: 'runbooks/VigilIncident', text: 'runbook' })));
    }));
  }

  let fleet = null;
  let incidents = [];
  function render() {
    if (!fleet) return;
    renderFilter(fleet.rows);
    renderFleet(fleet.rows);
    renderIncidents(incidents);
    renderAlerts(fleet.alerts);
    renderCounts(fleet.counts);
    $('threshold-text').textContent = 'p < ' + fleet.thresholds.p_value + ', n ≥ ' + fleet.thresholds.min_n;
  }

  async function refresh() {
    try {
      const [f, s, inc] = await Promise.all([getJson('api/fleet'), getJson('api/status'),
        getJson('api/incidents').catch(() => ({ open: [] }))]);
      fleet = f;
      incidents = inc.open || [];
      state.rows = f.rows;
      const pill = $('stream-state');
      pill.dataset.state = s.stream_state;
      pill.textContent = 'stream: ' + s.stream_state.toLowerCase();
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString('en-GB')
        + (s.latest_window_end ? ' · data to ' + dateOf(s.latest_window_end) : '');
      if (!state.selected && f.rows.length) state.selected = rowKey(f.rows.find((r) => FLEET_DIMENSIONS.includes(r.slice_dimension)) || f.rows[0]);
      render();
      await renderDetail();
      document.body.dataset.loaded = 'true';
    } catch (e) {
      const pill = $('stream-state');
      pill.dataset.state = 'UNREACHABLE';
      pill.textContent = 'monitor unreachable';
    }
  }

  // ---------- drill-down ----------
  function select(key) {
    state.selected = key;
    state.window = null;
    render();
    renderDetail();
  }

  async function renderDetail() {
    const row = state.rows.find((r) => rowKey(r) === state.selected);
    const detail = $('detail');
    if (!row) { detail.dataset.keyPrefix = ''; return; }
    const q = 'model=' + encodeURIComponent(row.model) + '&version=' + encodeURIComponent(row.version)
      + '&slice=' + encodeURIComponent(row.slice_dimension) + '&value=' + encodeURIComponent(row.slice_value);
    const [snap, hist] = await Promise.all([getJson('api/snapshots?' + q), getJson('api/history?' + q)]);
    detail.dataset.keyPrefix = row.key_prefix;
    detail.dataset.status = row.status;
    $('detail-title').replaceChildren(el('span', { class: 'status ' + row.status, text: row.status }),
      el('span', { text: row.slice_dimension + ' ' + row.slice_value }),
      el('span', { class: 'muted small', text: row.model + ' ' + row.version }));
    const windows = [...new Set(snap.snapshots.map((s) => s.window))].sort((a, b) => parseInt(a) - parseInt(b));
    if (!state.window || !windows.includes(state.window)) state.window = windows.includes('7d') ? '7d' : windows[0] || null;
    const reasons = row.alerts.map((a) => el('li', { class: 'reason alert-reason', text: a.summary }))
      .concat(row.signals.filter((x) => x.window === state.window).map((x) => el('li', { class: 'reason',
        text: x.metric + ' ' + x.window + ' = ' + fmt(x.estimate) + (x.p_value !== undefined ? ', ' + pfmt(x.p_value) : '') + ' · ' + x.reason })));
    const others = row.signals.filter((x) => x.window !== state.window).length;
    if (others) reasons.push(el('li', { class: 'reason muted', text: '+' + others + ' in other windows' }));
    $('detail-status').replaceChildren(reasons.length ? el('ul', { class: 'reasons' }, ...reasons)
      : el('span', { class: 'muted', text: 'All drift tests within thresholds.' }));

    $('window-filter').replaceChildren(...windows.map((w) => {
      const b = el('button', { class: 'chip', type: 'button', 'data-window': w, 'aria-selected': String(w === state.window), text: w });
      b.addEventListener('click', () => { state.window = w; renderDetail(); });
      return b;
    }));
    const latest = {};
    for (const s of snap.snapshots) if (s.window === state.window) latest[s.metric] = s;
    const series = {};
    for (const s of hist.series) if (s.window === state.window) series[s.metric] = s.points;

    // Drift
    kv($('drift-table'), [
      ['Score PSI', latest.score_psi, (s) => fmt(s.estimate) + ' ' + pfmt(s.p_value)],
      ['KS distance', latest.score_ks, (s) => fmt(s.estimate) + (s.upper !== undefined ? ' (critical ' + fmt(s.upper) + ')' : '')],
      ['Mean score', latest.score_mean, (s) => fmt(s.estimate) + interval(s)],
      ['Positive rate', latest.positive_rate, (s) => pct(s.estimate) + ' ' + pfmt(s.p_value)],
      ['Predictions', latest.predictions, (s) => fmt(s.estimate, 0)],
      ['Acquisition change', latest.acquisition_change, (s) => s.estimate >= 1 ? 'new to the reference' : 'no'],
    ], new Set(row.signals.filter((s) => s.window === state.window).map((s) => s.metric)));
    charts($('charts-drift'), series, [['score_psi', 'Score PSI', {}], ['score_ks', 'KS distance vs critical value', { upperIsLimit: true }],
      ['score_mean', 'Mean score', {}]]);
    charts($('charts-performance'), series, [['sensitivity', 'Sensitivity', { ratio: true }], ['specificity', 'Specificity', { ratio: true }],
      ['auc', 'AUC', {}], ['estimated_sensitivity', 'Sensitivity estimated without labels', { ratio: true }]]);
    // Calibration
    reliability($('reliability'), snap.snapshots.filter((s) => s.window === state.window));
    kv($('calibration-table'), [
      ['ECE', latest.ece, (s) => fmt(s.estimate) + interval(s)],
      ['Observed / expected', latest.oe_ratio, (s) => fmt(s.estimate) + interval(s)],
      ['Calibration slope', latest.calibration_slope, (s) => fmt(s.estimate) + interval(s)],
      ['Brier score', latest.brier, (s) => fmt(s.estimate)],
    ]);
    // Labels
    kv($('labels-table'), [
      ['Label coverage', latest.label_coverage, (s) => pct(s.estimate) + ' ' + tagText(s)],
      ['… predicted positive', latest.label_coverage_predicted_positive, (s) => pct(s.estimate)],
      ['… predicted negative', latest.label_coverage_predicted_negative, (s) => pct(s.estimate)],
      ['Labelled', latest.labelled, (s) => fmt(s.estimate, 0)],
      ['Verification bias', latest.verification_bias, (s) => s.estimate >= 1 ? 'suspected' : 'no'],
      ['Final / provisional', summaryOf(snap.snapshots.filter((s) => s.window === state.window)), (s) => s.text],
    ]);
    charts($('charts-labels'), series, [['label_coverage', 'Label coverage', { ratio: true }]]);
    // Stability
    const cusums = Object.keys(latest).filter((m) => m.startsWith('cusum:'));
    kv($('stability-table'), [
      ['Flip rate', latest.flip_rate, (s) => pct(s.estimate) + interval(s, true)],
      ...cusums.map((m) => [m.replace('cusum:', 'CUSUM '), latest[m], (s) => fmt(s.estimate) + (s.upper !== undefined ? ' (limit ' + fmt(s.upper) + ')' : '')]),
    ]);
    charts($('charts-stability'), series, [['flip_rate', 'Flip rate', { ratio: true }],
      ...cusums.map((m) => [m, m.replace('cusum:', 'CUSUM '), { upperIsLimit: true }])]);
  }

  function interval(s, ratio) {
    if (s.lower === undefined || s.upper === undefined) return '';
    return ratio ? ' (' + pct(s.lower) + '–' + pct(s.upper) + ')' : ' (' + fmt(s.lower) + '–' + fmt(s.upper) + ')';
  }
  // Below its minimum n a metric has no value: say so, with the n it has.
  function shown(s, render) { return s.status === 'insufficient_n' ? 'n = ' + s.n + ', too few' : render(s); }
  function tagText(s) { return s.status === 'final' ? '· final' : '· provisional'; }
  function summaryOf(list) {
    if (!list.length) return null;
    const f = list.filter((s) => s.status === 'final').length;
    const few = list.filter((s) => s.status === 'insufficient_n').length;
    return { text: f + ' final / ' + (list.length - f - few) + ' provisional' + (few ? ' / ' + few + ' below min n' : '') };
  }

  function kv(table, entries, bad) {
    const rows = entries.filter(([, s]) => s).map(([label, s, render]) =>
      el('tr', {}, el('th', { text: label }), el('td', { class: (bad && s.metric && bad.has(s.metric)) ? 'bad' : '', text: shown(s, render) })));
    table.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { class: 'muted', text: 'No data in this window yet.' }))]));
  }

  function charts(box, series, specs) {
    const out = [];
    for (const [metric, title, opts] of specs) {
      const points = (series[metric] || []).filter((p) => p.estimate !== undefined);
      if (!points.length) continue;
      const last = points[points.length - 1];
      out.push(el('div', { class: 'chart-box', 'data-metric': metric },
        el('div', { class: 'chart-title' }, el('span', { text: title }),
          el('b', { text: opts.ratio ? pct(last.estimate) : fmt(last.estimate) })),
        lineChart(points, opts)));
    }
    if (!out.length) out.push(el('p', { class: 'muted small', text: 'No series yet.' }));
    box.replaceChildren(...out);
  }

  // A time series with its 95% band (lower..upper) or, for KS and CUSUM, its limit as a dashed line.
  function lineChart(points, opts) {
    const W = 360, H = 96, L = 36, R = 6, T = 6, B = 16;
    const xs = points.map((p) => Date.parse(p.window_end || p.computed_at));
    const vals = [];
    for (const p of points) { vals.push(p.estimate); if (p.lower !== undefined) vals.push(p.lower); if (p.upper !== undefined) vals.push(p.upper); }
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (opts.ratio) { lo = Math.max(0, lo); hi = Math.min(1, hi); }
    if (hi - lo < 1e-9) { hi += 0.05; lo -= 0.05; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const X = (x) => x1 === x0 ? L + (W - L - R) / 2 : L + (x - x0) / (x1 - x0) * (W - L - R);
    const Y = (y) => T + (1 - (y - lo) / (hi - lo)) * (H - T - B);
    const s = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img' });
    s.append(svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
    for (const v of [lo + pad, hi - pad]) {
      const t = svg('text', { class: 'tick', x: L - 4, y: Y(v) + 3, 'text-anchor': 'end' });
      t.textContent = opts.ratio ? (100 * v).toFixed(0) + '%' : fmt(v, 2);
      s.append(t);
    }
    const first = svg('text', { class: 'tick', x: L, y: H - 3 }); first.textContent = dateOf(new Date(x0).toISOString()).substring(5);
    const lastT = svg('text', { class: 'tick', x: W - R, y: H - 3, 'text-anchor': 'end' }); lastT.textContent = dateOf(new Date(x1).toISOString()).substring(5);
    s.append(first, lastT);
    const withBounds = points.map((p, i) => [xs[i], p]).filter(([, p]) => p.lower !== undefined && p.upper !== undefined);
    if (!opts.upperIsLimit && withBounds.length > 1) {
      const up = withBounds.map(([x, p]) => `${X(x).toFixed(1)},${Y(p.upper).toFixed(1)}`);
      const down = withBounds.slice().reverse().map(([x, p]) => `${X(x).toFixed(1)},${Y(p.lower).toFixed(1)}`);
      s.append(svg('polygon', { class: 'band', points: up.concat(down).join(' ') }));
    }
    if (opts.upperIsLimit) {
      const lim = points.map((p, i) => [xs[i], p]).filter(([, p]) => p.upper !== undefined);
      if (lim.length) s.append(svg('polyline', { class: 'limit', points: lim.map(([x, p]) => `${X(x).toFixed(1)},${Y(p.upper).toFixed(1)}`).join(' ') }));
    }
    s.append(svg('polyline', { class: 'line', points: points.map((p, i) => `${X(xs[i]).toFixed(1)},${Y(p.estimate).toFixed(1)}`).join(' ') }));
    if (points.length === 1) s.append(svg('circle', { class: 'dot', cx: X(xs[0]), cy: Y(points[0].estimate), r: 3 }));
    return s;
  }

  // Observed positive rate against mean score per bin; the diagonal is perfect calibration.
  function reliability(box, snaps) {
    const bins = {};
    for (const s of snaps) {
      const [family, bin] = s.metric.split(':');
      if (bin === undefined) continue;
      if (family === 'reliability_observed') (bins[bin] = bins[bin] || {}).obs = s;
      if (family === 'reliability_mean_score') (bins[bin] = bins[bin] || {}).mean = s;
    }
    const pts = Object.values(bins).filter((b) => b.obs && b.mean && b.obs.estimate !== undefined && b.mean.estimate !== undefined).map((b) => b).sort((a, b) => a.mean.estimate - b.mean.estimate);
    if (!pts.length) { box.replaceChildren(el('p', { class: 'muted small', text: 'Reliability diagram: no labelled bins in this window yet.' })); return; }
    const S = 220, M = 28;
    const P = (v) => M + v * (S - 2 * M);
    const Q = (v) => S - M - v * (S - 2 * M);
    const s = svg('svg', { class: 'reliability', viewBox: `0 0 ${S} ${S}`, role: 'img', 'aria-label': 'Reliability diagram' });
    s.append(svg('rect', { class: 'axis', x: M, y: M, width: S - 2 * M, height: S - 2 * M, fill: 'none' }));
    s.append(svg('line', { class: 'diag', x1: P(0), y1: Q(0), x2: P(1), y2: Q(1) }));
    for (const v of [0, 0.5, 1]) {
      const tx = svg('text', { class: 'tick', x: P(v), y: S - M + 12, 'text-anchor': 'middle' }); tx.textContent = v.toString();
      const ty = svg('text', { class: 'tick', x: M - 4, y: Q(v) + 3, 'text-anchor': 'end' }); ty.textContent = v.toString();
      s.append(tx, ty);
    }
    const xl = svg('text', { class: 'tick', x: S / 2, y: S - 2, 'text-anchor': 'middle' }); xl.textContent = 'mean score';
    const yl = svg('text', { class: 'tick', x: 10, y: S / 2, transform: `rotate(-90 10 ${S / 2})`, 'text-anchor': 'middle' }); yl.textContent = 'observed rate';
    s.append(xl, yl);
    for (const b of pts) {
      if (b.obs.lower !== undefined && b.obs.upper !== undefined) {
        s.append(svg('line', { class: 'line', x1: P(b.mean.estimate), y1: Q(b.obs.lower), x2: P(b.mean.estimate), y2: Q(b.obs.upper), 'stroke-opacity': 0.4 }));
      }
    }
    s.append(svg('polyline', { class: 'line', points: pts.map((b) => `${P(b.mean.estimate).toFixed(1)},${Q(b.obs.estimate).toFixed(1)}`).join(' ') }));
    for (const b of pts) s.append(svg('circle', { class: 'dot', cx: P(b.mean.estimate), cy: Q(b.obs.estimate), r: 3.2, 'data-bin': b.obs.metric.split(':')[1] }));
    box.replaceChildren(s);
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
}());

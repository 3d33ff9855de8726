// chainrule playground page: draws what the server's session sends and sends the controls back.
"use strict";
const TOKEN = document.querySelector('meta[name="playground-token"]').content;
const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REGS = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const FEATURES = [["x1", "X\u2081"], ["x2", "X\u2082"], ["x1sq", "X\u2081\u00b2"], ["x2sq", "X\u2082\u00b2"],
  ["x1x2", "X\u2081X\u2082"], ["sinx1", "sin(X\u2081)"], ["sinx2", "sin(X\u2082)"]];
const DATASETS = {
  classification: { circle: (x, y) => Math.hypot(x, y) < 2.5 ? 1 : -1, xor: (x, y) => x * y >= 0 ? 1 : -1,
    gauss: (x, y) => Math.exp(-((x - 2) ** 2 + (y - 2) ** 2) / 2) - Math.exp(-((x + 2) ** 2 + (y + 2) ** 2) / 2),
    spiral: (x, y) => Math.sin(Math.hypot(x, y) * 1.3 - Math.atan2(x, y)) },
  multiclass: { spiral_arms: (x, y) => Math.floor(((Math.atan2(x, y) / (2 * Math.PI) + 1 -
      Math.hypot(x, y) / 5 * 1.75) % 1 + 1) % 1 * 3),
    blobs: (x, y) => Math.floor(((Math.atan2(x, y) / (2 * Math.PI) + 1 + 1 / 6) % 1) * 3) },
  regression: { plane: (x, y) => (x + y) / 10, multi_gauss: (x, y) => Math.sin(x * 0.8) * Math.sin(y * 1.2) },
};
const $ = (id) => document.getElementById(id);
let sid = null, state = null, points = null, events = null;
const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
const CLASS_COLOURS = [[8, 119, 189], [245, 147, 34], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [23, 190, 207]];

function paintClasses(canvas, classes, conf, size, light) {  // multi-class: hue = class, strength = certainty
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const c = CLASS_COLOURS[classes[i] % 8], t = Math.max(0, Math.min(1, conf ? conf[i] : 1)) * (light ? 0.7 : 1);
    img.data.set([0, 1, 2].map((k) => Math.round(MID[k] + (c[k] - MID[k]) * t)).concat([255]), i * 4);
  }
  const off = document.createElement("canvas"); off.width = off.height = size;
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

function colour(v) {  // -1 orange, 0 light grey, +1 blue (Playground's palette)
  v = Math.max(-1, Math.min(1, v || 0));
  const [a, b, t] = v < 0 ? [MID, NEG, -v] : [MID, POS, v];
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

async function api(path, body) {
  const r = await fetch(`/api/session${path}`, { method: "POST", body: JSON.stringify(body || {}),
    headers: { "Content-Type": "application/json", "X-Playground-Token": TOKEN } });
  const data = await r.json();
  if (!r.ok) { showError(data.error || r.statusText); return null; }
  showError(null);
  return data;
}

function showError(text) { $("error").hidden = !text; $("error").textContent = text || ""; }

async function act(name, body) {
  const data = await api(`/${sid}/${name}`, body);
  if (data) { points = data.points; render(data.state); }
}

const FEATURE_FN = { x1: (x, y) => x / 6, x2: (x, y) => y / 6, x1sq: (x, y) => x * x / 18 - 1,
  x2sq: (x, y) => y * y / 18 - 1, x1x2: (x, y) => x * y / 36, sinx1: (x, y) => Math.sin(x), sinx2: (x, y) => Math.sin(y) };

function featureGrid(key, size) {  // what a switched-off feature would feed in, drawn here
  const vals = [];
  for (let r = 0; r < size; r++) for (let q = 0; q < size; q++) vals.push(FEATURE_FN[key](q / (size - 1) * 12 - 6, 6 - r / (size - 1) * 12));
  return vals;
}

function paintGrid(canvas, values, size, discretize, light) {
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    let v = values[i];
    if (discretize) v = v >= 0 ? 1 : -1;
    let c = colour(v);
    if (light) c = c.map((x) => Math.round(x + (255 - x) * 0.3));  // lets the points stand out
    img.data.set([c[0], c[1], c[2], 255], i * 4);
  }
  const off = document.createElement("canvas"); off.width = off.height = size;
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

function drawPoints() {
  const c = $("pts"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  if (!points || !state) return;
  const cls = state.config.problem === "classification", multi = state.config.problem === "multiclass";
  const sets = [[points.train, "#fff"]].concat($("show_test").checked ? [[points.test, "#000"]] : []);
  for (const [pts, stroke] of sets) for (const [x, y, label] of pts) {
    const col = multi ? CLASS_COLOURS[label % 8] : colour(cls ? (label > 0.5 ? 1 : -1) : label);
    ctx.beginPath(); ctx.arc((x + 6) / 12 * c.width, (6 - y) / 12 * c.height, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${col})`; ctx.fill(); ctx.strokeStyle = stroke; ctx.lineWidth = 1; ctx.stroke();
  }
}

function drawChart() {
  const c = $("chart"), ctx = c.getContext("2d"), h = state.history;
  ctx.clearRect(0, 0, c.width, c.height);
  const vals = h.flatMap((r) => [r[1], r[2]]).filter((v) => v !== null && isFinite(v));
  if (!vals.length) return;
  const top = Math.max(...vals) * 1.05 || 1, n = Math.max(h.length - 1, 1);
  for (const [k, col, w] of [[2, "#333", 1.5], [1, "#999", 1.5]]) {
    ctx.beginPath(); ctx.strokeStyle = col; ctx.lineWidth = w;
    h.forEach((r, i) => { const v = r[k] === null ? top : r[k];
      const X = i / n * c.width, Y = c.height - v / top * (c.height - 4) - 2;
      i ? ctx.lineTo(X, Y) : ctx.moveTo(X, Y); });
    ctx.stroke();
  }
}

function fmtLoss(v) { return v === null ? "NaN" : v.toFixed(3); }

function nodeCanvas(values, onclick, title) {
  const div = document.createElement("div"); div.className = "node";
  const cv = document.createElement("canvas"); cv.width = cv.height = 40; div.appendChild(cv);
  if (values) {
    paintGrid(cv, values, state.neuron_grid_size, false);
    div.addEventListener("mouseenter", (e) => zoom(values, title, e));
    div.addEventListener("mousemove", moveZoom);
    div.addEventListener("mouseleave", () => { $("zoom").hidden = true; });
  }
  if (onclick) div.addEventListener("click", onclick);
  return div;
}

function zoom(values, title) {
  const z = $("zoom"); z.hidden = false;
  paintGrid(z.querySelector("canvas"), values, state.neuron_grid_size, false);
  z.querySelector("div").textContent = title;
}
function moveZoom(e) { const z = $("zoom"); z.style.left = `${e.clientX + 18}px`; z.style.top = `${e.clientY - 100}px`; }

function buildNetwork() {
  const cfg = state.config, cols = $("columns"); cols.innerHTML = "";
  const nodes = [];  // nodes[layer][unit] = element, for the links
  const feat = document.createElement("div"); feat.className = "column";
  feat.innerHTML = '<div class="head">FEATURES<br>which properties do you want to feed in?</div>';
  const inputs = [];
  for (const [key, name] of FEATURES) {
    const on = cfg.features.indexOf(key);
    const row = document.createElement("div"); row.className = "feature";
    const label = document.createElement("span"); label.textContent = name; row.appendChild(label);
    const n = nodeCanvas(on >= 0 ? state.neurons[0][on] : featureGrid(key, 20), () => toggleFeature(key), name);
    n.title = on >= 0 ? "" : `${name} (off: click to use it)`; n.dataset.feature = key;
    if (on < 0) n.classList.add("off");
    row.appendChild(n); feat.appendChild(row);
    if (on >= 0) inputs[on] = n;
  }
  cols.appendChild(feat); nodes.push(inputs);
  cfg.hidden.forEach((count, l) => {
    const col = document.createElement("div"); col.className = "column";
    const head = document.createElement("div"); head.className = "head";
    const plus = document.createElement("button"); plus.className = "round tiny"; plus.textContent = "+";
    plus.title = "Add a neuron"; plus.onclick = () => setNeurons(l, count + 1);
    const minus = document.createElement("button"); minus.className = "round tiny"; minus.textContent = "\u2212";
    minus.title = "Remove a neuron"; minus.onclick = () => setNeurons(l, count - 1);
    const row = document.createElement("div"); row.append(plus, " ", minus);
    head.append(row, `${count} neuron${count > 1 ? "s" : ""}`); col.appendChild(head);
    const units = [];
    for (let j = 0; j < count; j++) {
      const n = nodeCanvas(state.neurons[l + 1][j], null, `layer ${l + 1}, neuron ${j + 1}`);
      col.appendChild(n); units.push(n);
    }
    cols.appendChild(col); nodes.push(units);
  });
  const out = document.createElement("div"); out.className = "column";
  out.innerHTML = '<div class="head">OUTPUT</div>';
  const multi = cfg.problem === "multiclass";
  const o = nodeCanvas(multi ? null : state.neurons[state.neurons.length - 1][0], null, "output"); out.appendChild(o);
  if (multi) paintClasses(o.querySelector("canvas"), state.grid_class, state.grid, state.grid_size, false);
  cols.appendChild(out); nodes.push([o]);
  $("layer_count").textContent = `${cfg.hidden.length} hidden layer${cfg.hidden.length === 1 ? "" : "s"}`;
  requestAnimationFrame(() => drawLinks(nodes));
}

function drawLinks(nodes) {
  const svg = $("links"), box = $("net").getBoundingClientRect();
  let html = "";
  state.weights.forEach((W, l) => {
    const big = Math.max(1e-6, ...W.flat().map(Math.abs));
    W.forEach((row, j) => row.forEach((w, i) => {
      const a = nodes[l][i], b = nodes[l + 1][j];
      if (!a || !b) return;
      const ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
      const x1 = ra.right - box.left, y1 = ra.top + ra.height / 2 - box.top;
      const x2 = rb.left - box.left, y2 = rb.top + rb.height / 2 - box.top, mx = (x1 + x2) / 2;
      const c = colour(w / big);
      html += `<path data-w="${l},${j},${i}" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="rgb(${c})" ` +
        `stroke-width="${(0.6 + 4 * Math.abs(w) / big).toFixed(2)}"><title>weight ${w.toFixed(3)}</title></path>`;
    }));
  });
  svg.innerHTML = html;
  for (const path of svg.querySelectorAll("path")) path.onclick = () => editWeight(path.dataset.w.split(",").map(Number));
}

function editWeight([layer, row, col]) {  // Playground's click-to-edit on a link
  const text = prompt("New value of this weight:", state.weights[layer][row][col].toFixed(3));
  if (text === null || text.trim() === "" || !isFinite(Number(text))) return;
  act("weight", { layer, row, col, value: Number(text) });
}

function netKey(s) { return JSON.stringify([s.config.hidden, s.config.features]); }

function render(s) {
  const rebuild = !state || netKey(state) !== netKey(s) || !state.running || s.epoch !== state.epoch;
  state = s;
  const cfg = s.config;
  $("epoch").textContent = String(s.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
  $("run").innerHTML = s.running ? "&#10074;&#10074;" : "&#9654;";
  for (const k of ["learning_rate", "optimizer", "activation", "regularization", "reg_rate", "problem", "init"]) $(k).value = String(cfg[k]);
  $("classes_box").hidden = cfg.problem !== "multiclass";
  $("legend").style.visibility = cfg.problem === "multiclass" ? "hidden" : "visible";
  for (const k of ["train_ratio", "noise", "batch_size", "classes"]) { $(k).value = cfg[k]; $(`${k}_v`).textContent = cfg[k]; }
  $("train_loss").textContent = fmtLoss(s.train_loss);
  $("test_loss").textContent = fmtLoss(s.test_loss);
  $("test_accuracy").textContent = s.test_accuracy === null ? "\u2013" : `${(100 * s.test_accuracy).toFixed(1)}%`;
  if (s.test_accuracy_ci) {
    const ci = document.createElement("small");
    ci.textContent = `95% CI ${(100 * s.test_accuracy_ci[0]).toFixed(1)}\u2013${(100 * s.test_accuracy_ci[1]).toFixed(1)}%`;
    $("test_accuracy").appendChild(ci);
  }
  $("diagnosis").textContent = s.diagnosis || "";
  saveToUrl(cfg);
  $("early_stopping").checked = cfg.early_stopping;
  $("stopped").hidden = !s.stopped || s.running; $("stopped").textContent = s.stopped || "";
  $("diverged").hidden = !s.diverged; $("diverged").textContent = s.diverged || "";
  drawDatasets();
  paintOutput();
  drawPoints(); drawChart();
  if (rebuild) buildNetwork();
}

function paintOutput() {
  const d = $("discretize").checked;
  if (state.grid_class) paintClasses($("heat"), state.grid_class, d ? null : state.grid, state.grid_size, true);
  else paintGrid($("heat"), state.grid, state.grid_size, d, true);
}

function drawDatasets() {
  const box = $("datasets"), kinds = DATASETS[state.config.problem];
  if (box.dataset.problem !== state.config.problem) {
    box.innerHTML = ""; box.dataset.problem = state.config.problem;
    for (const [name, f] of Object.entries(kinds)) {
      const c = document.createElement("canvas"); c.width = c.height = 32; c.title = name; c.dataset.name = name;
      const vals = []; for (let r = 0; r < 32; r++) for (let q = 0; q < 32; q++) vals.push(f(q / 31 * 12 - 6, 6 - r / 31 * 12));
      if (state.config.problem === "multiclass") paintClasses(c, vals, null, 32, true);
      else paintGrid(c, vals, 32, state.config.problem === "classification");
      c.onclick = () => act("config", { dataset: name });
      box.appendChild(c);
    }
  }
  for (const c of box.children) c.classList.toggle("on", c.dataset.name === state.config.dataset);
}

function toggleFeature(key) {
  const on = new Set(state.config.features);
  on.has(key) ? on.delete(key) : on.add(key);
  if (!on.size) return showError("Keep at least one feature switched on.");
  act("config", { features: FEATURES.map((f) => f[0]).filter((k) => on.has(k)) });
}
function setNeurons(layer, count) {
  if (count < 1 || count > 8) return;
  const hidden = state.config.hidden.slice(); hidden[layer] = count; act("config", { hidden });
}

function setup() {
  $("learning_rate").innerHTML = LRS.map((v) => `<option value="${v}">${v}</option>`).join("");
  $("reg_rate").innerHTML = REGS.map((v) => `<option value="${v}">${v}</option>`).join("");
  for (const k of ["learning_rate", "reg_rate"]) $(k).onchange = () => act("config", { [k]: Number($(k).value) });
  for (const k of ["optimizer", "activation", "regularization", "problem", "init"]) $(k).onchange = () => act("config", { [k]: $(k).value });
  for (const k of ["train_ratio", "noise", "batch_size", "classes"]) {
    $(k).oninput = () => { $(`${k}_v`).textContent = $(k).value; };
    $(k).onchange = () => act("config", { [k]: Number($(k).value) });
  }
  $("run").onclick = () => act(state.running ? "pause" : "run");
  $("step").onclick = () => act("step");
  $("reset").onclick = () => act("reset");
  $("regenerate").onclick = () => act("regenerate");
  $("csv").onchange = async () => {
    const file = $("csv").files[0];
    if (!file) return;
    if (file.size > 64 * 1024) { showError("CSV: the file is over 64 KB"); return; }
    const r = await fetch(`/api/session/${sid}/upload`, { method: "POST", body: await file.text(),
      headers: { "Content-Type": "text/csv", "X-Playground-Token": TOKEN } });
    const data = await r.json();
    if (!r.ok) { showError(data.error || r.statusText); return; }
    showError(null); points = data.points; render(data.state);
    $("csv_status").textContent = `Using ${file.name}: ${points.train.length + points.test.length} rows.`;
  };
  $("add_layer").onclick = () => { if (state.config.hidden.length < 6) act("config", { hidden: state.config.hidden.concat([2]) }); };
  $("remove_layer").onclick = () => { if (state.config.hidden.length) act("config", { hidden: state.config.hidden.slice(0, -1) }); };
  $("show_test").onchange = drawPoints;
  $("early_stopping").onchange = () => act("config", { early_stopping: $("early_stopping").checked });
  $("discretize").onchange = paintOutput;
  window.addEventListener("resize", () => state && buildNetwork());
}

// the configuration lives in the URL's #fragment, so a set-up is shared as a link (the token is in ?token=)
const URL_KEYS = { learning_rate: Number, optimizer: String, activation: String, regularization: String,
  reg_rate: Number, problem: String, dataset: String, train_ratio: Number, noise: Number, batch_size: Number,
  seed: Number, classes: Number, init: String, early_stopping: (v) => v === "true", features: (v) => v.split(",").filter(Boolean), hidden: (v) => v.split(",").filter(Boolean).map(Number) };

function saveToUrl(cfg) {
  const hash = Object.keys(URL_KEYS).map((k) => `${k}=${encodeURIComponent(String(cfg[k]))}`).join("&");
  if (location.hash.slice(1) !== hash) history.replaceState(null, "", `#${hash}`);
}

function loadFromUrl() {
  const cfg = {};
  for (const part of location.hash.slice(1).split("&")) {
    const [k, v] = part.split("=");
    if (k in URL_KEYS && v !== undefined) cfg[k] = URL_KEYS[k](decodeURIComponent(v));
  }
  return cfg;
}

async function start() {
  setup();
  let data = await api("", loadFromUrl());
  if (!data) data = await api("", {});  // a link with a bad setting: start from the defaults
  if (!data) return;
  sid = data.session; points = data.points; render(data.state);
  const q = `?token=${encodeURIComponent(TOKEN)}`;
  $("export_py").href = `/api/session/${sid}/export.py${q}`;
  $("export_weights").href = `/api/session/${sid}/export.safetensors${q}`;
  events = new EventSource(`/api/session/${sid}/events?token=${encodeURIComponent(TOKEN)}`);
  events.onmessage = (e) => render(JSON.parse(e.data));
  events.onerror = () => { if (events.readyState === EventSource.CLOSED) showError("Lost the connection to the server: reload the page."); };
}
start();

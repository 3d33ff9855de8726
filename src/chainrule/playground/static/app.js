// chainrule playground page: draws what the server's session sends and sends the controls back.
"use strict";
const TOKEN = document.querySelector('meta[name="playground-token"]').content;
const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REGS = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const FEATURES = [["x1", "X\u2081"], ["x2", "X\u2082"], ["x1sq", "X\u2081\u00b2"], ["x2sq", "X\u2082\u00b2"],
  ["x1x2", "X\u2081X\u2082"], ["sinx1", "sin(X\u2081)"], ["sinx2", "sin(X\u2082)"]];
const ACTS = [["relu", "ReLU"], ["tanh", "Tanh"], ["sigmoid", "Sigmoid"], ["linear", "Linear"]];
const DROPS = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
// the controls a lesson link can hide (TF Playground's "use it in the classroom" list, plus chainrule's own)
const HIDABLE = [["transport", "Run, step and reset"], ["learning_rate", "Learning rate"], ["optimizer", "Optimizer"],
  ["activation", "Activation"], ["regularization", "Regularization"], ["reg_rate", "Regularization rate"],
  ["problem", "Problem type"], ["datasets", "Datasets"], ["train_ratio", "Ratio of training data"],
  ["noise", "Noise"], ["classes", "Classes"], ["batch_size", "Batch size"], ["regenerate", "Regenerate"],
  ["upload", "Your own data"], ["layers", "Add/remove layers and neurons"], ["layer_options", "Per-layer activation and dropout"],
  ["init", "Initialisation"], ["accuracy", "Test accuracy"], ["chart", "Loss chart"], ["diagnosis", "Curve diagnosis"],
  ["confusion", "Confusion matrix"], ["show_test", "Show test data"], ["discretize", "Discretize output"],
  ["early_stopping", "Early stopping"], ["export", "Export"]];
const hiddenUi = new Set();
const $ = (id) => document.getElementById(id);
let sid = null, state = null, points = null, events = null, netNodes = null, netShape = null, thumbsDrawn = null;
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
  markNaN(ctx, c, h);
  for (const [k, col, w] of [[2, "#333", 1.5], [1, "#999", 1.5]]) {
    ctx.beginPath(); ctx.strokeStyle = col; ctx.lineWidth = w;
    let pen = false;
    h.forEach((r, i) => {
      if (r[k] === null) { pen = false; return; }  // NaN: a gap, and a red mark below
      const X = i / n * c.width, Y = c.height - r[k] / top * (c.height - 4) - 2;
      pen ? ctx.lineTo(X, Y) : ctx.moveTo(X, Y); pen = true; });
    ctx.stroke();
  }
}

function markNaN(ctx, c, h) {
  const first = h.findIndex((r) => r[1] === null);
  if (first < 0) return;
  const X = first / Math.max(h.length - 1, 1) * c.width;
  ctx.fillStyle = "#d62728"; ctx.fillRect(Math.min(X, c.width - 3), 0, 3, c.height);
}

function fmtLoss(v) { return v === null ? "NaN" : v.toFixed(3); }

function nodeCanvas(values, onclick, title) {  // values: a function returning the node's current outputs
  const div = document.createElement("div"); div.className = "node";
  const cv = document.createElement("canvas"); cv.width = cv.height = 40; div.appendChild(cv);
  if (values) {
    div.paint = () => paintGrid(cv, values(), state.neuron_grid_size, false);
    div.paint();
    div.addEventListener("mouseenter", (e) => zoom(values(), title, e));
    div.addEventListener("mousemove", moveZoom);
    div.addEventListener("mouseleave", () => { $("zoom").hidden = true; });
  }
  if (onclick) div.addEventListener("click", onclick);
  return div;
}

function miniSelect(options, value, title, onchange) {
  const sel = document.createElement("select"); sel.className = "mini"; sel.title = title;
  for (const [v, text] of options) { const o = document.createElement("option"); o.value = v; o.textContent = text; sel.appendChild(o); }
  sel.value = String(value); sel.onchange = () => onchange(sel.value);
  return sel;
}

function zoom(values, title) {
  const z = $("zoom"); z.hidden = false;
  paintGrid(z.querySelector("canvas"), values, state.neuron_grid_size, false);
  z.querySelector("div").textContent = title;
}
function moveZoom(e) { const z = $("zoom"); z.style.left = `${e.clientX + 18}px`; z.style.top = `${e.clientY - 100}px`; }

function buildNetwork() {
  const cfg = state.config, cols = $("columns"); cols.innerHTML = "";
  const many = cfg.hidden.length > 4;  // narrower columns, so that 8 layers fit the panel
  $("net").classList.toggle("compact", Math.max(...cfg.hidden, 0) > 8);
  $("net").classList.toggle("many", many);
  const nodes = [];  // nodes[layer][unit] = element, for the links
  const feat = document.createElement("div"); feat.className = "column";
  feat.innerHTML = '<div class="head">FEATURES<span class="long">which properties do you want to feed in?</span></div>';
  const inputs = [];
  for (const [key, name] of FEATURES) {
    const on = cfg.features.indexOf(key);
    const row = document.createElement("div"); row.className = "feature";
    const label = document.createElement("span"); label.textContent = name; row.appendChild(label);
    const grid = on >= 0 ? null : featureGrid(key, 20);
    const n = nodeCanvas(on >= 0 ? () => state.neurons[0][on] : () => grid, () => toggleFeature(key), name);
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
    const row = document.createElement("div"); row.dataset.ui = "layers"; row.append(plus, " ", minus);
    const actSel = miniSelect(ACTS, cfg.activations[l], `Activation of layer ${l + 1}`, (v) => {
      const activations = state.config.activations.slice(); activations[l] = v; act("config", { activations }); });
    actSel.dataset.layer = l; actSel.classList.add("layer-act");
    const drop = miniSelect(DROPS.map((p) => [p, many ? `p ${p}` : p ? `dropout ${p}` : "no dropout"]), cfg.dropout[l],
      `Dropout after layer ${l + 1} (training only)`, (v) => {
        const dropout = state.config.dropout.slice(); dropout[l] = Number(v); act("config", { dropout }); });
    drop.dataset.layer = l; drop.classList.add("layer-drop");
    const opts = document.createElement("div"); opts.className = "layer-opts"; opts.dataset.ui = "layer_options";
    opts.append(actSel, drop);
    head.append(row, many ? `${count}` : `${count} neuron${count > 1 ? "s" : ""}`, opts); col.appendChild(head);
    head.title = `layer ${l + 1}: ${count} neuron${count > 1 ? "s" : ""}`;
    const units = [];
    for (let j = 0; j < count; j++) {
      const n = nodeCanvas(() => state.neurons[l + 1][j], null, `layer ${l + 1}, neuron ${j + 1}`);
      col.appendChild(n); units.push(n);
    }
    cols.appendChild(col); nodes.push(units);
  });
  const out = document.createElement("div"); out.className = "column";
  out.innerHTML = '<div class="head">OUTPUT</div>';
  const multi = cfg.problem === "multiclass";
  const o = nodeCanvas(multi ? null : () => state.neurons[state.neurons.length - 1][0], null, "output"); out.appendChild(o);
  if (multi) { o.paint = () => paintClasses(o.querySelector("canvas"), state.grid_class, state.grid, state.grid_size, false); o.paint(); }
  cols.appendChild(out); nodes.push([o]);
  $("layer_count").textContent = `${cfg.hidden.length} hidden layer${cfg.hidden.length === 1 ? "" : "s"}`;
  netNodes = nodes;
  applyHidden();
  requestAnimationFrame(() => drawLinks(nodes));
}

function updateNetwork() {  // same shape: repaint the neurons and the links, keep the elements (and open menus)
  for (const layer of netNodes) for (const n of layer) if (n && n.paint) n.paint();
  drawLinks(netNodes);
}

function drawLinks(nodes) {
  const svg = $("links"), box = $("net").getBoundingClientRect();
  let html = "";
  state.weights.forEach((W, l) => {
    const big = Math.max(1e-6, ...W.flat().map(Math.abs).filter(isFinite));
    W.forEach((row, j) => row.forEach((value, i) => {
      const w = value === null ? 0 : value;  // null: NaN or Inf after a divergence
      const a = nodes[l][i], b = nodes[l + 1][j];
      if (!a || !b) return;
      const ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
      const x1 = ra.right - box.left, y1 = ra.top + ra.height / 2 - box.top;
      const x2 = rb.left - box.left, y2 = rb.top + rb.height / 2 - box.top, mx = (x1 + x2) / 2;
      const c = colour(w / big);
      html += `<path data-w="${l},${j},${i}" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="rgb(${c})" ` +
        `stroke-width="${(0.6 + 4 * Math.abs(w) / big).toFixed(2)}"><title>weight ${value === null ? "NaN" : w.toFixed(3)}</title></path>`;
    }));
  });
  svg.innerHTML = html;
  for (const path of svg.querySelectorAll("path")) path.onclick = (e) => editWeight(path.dataset.w.split(",").map(Number), e);
}

let editing = null;  // [layer, row, col] of the weight in the inline editor
function editWeight([layer, row, col], e) {  // Playground's click-to-edit on a link, in place
  const ed = $("weight_editor"), input = $("weight_value"), box = $("net").getBoundingClientRect();
  editing = [layer, row, col];
  ed.hidden = false;
  ed.style.left = `${Math.min(e.clientX - box.left + 8, box.width - 150)}px`;
  ed.style.top = `${e.clientY - box.top + 8}px`;
  input.value = (state.weights[layer][row][col] || 0).toFixed(3);
  input.focus(); input.select();
}
function closeEditor(commit) {
  const target = editing, value = Number($("weight_value").value);
  editing = null; $("weight_editor").hidden = true;
  if (!commit || !target) return;
  if ($("weight_value").value.trim() === "" || !isFinite(value)) return showError("A weight must be a number.");
  const [layer, row, col] = target;
  act("weight", { layer, row, col, value });
}

function netKey(s) { return JSON.stringify([s.config.hidden, s.config.features, s.config.activations, s.config.dropout, s.config.problem]); }

function render(s) {
  const rebuild = !state || netKey(state) !== netKey(s) || !netNodes;
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
  drawDiverged(s);
  drawConfusion(s);
  drawDatasets();
  paintOutput();
  drawPoints(); drawChart();
  if (rebuild) buildNetwork(); else updateNetwork();
}

function drawDiverged(s) {
  $("diverged").hidden = !s.diverged;
  if (!s.diverged) return;
  $("diverged_text").textContent = s.diverged;
  $("anomaly").hidden = !s.anomaly;
  if (s.anomaly) {
    $("anomaly_op").textContent = s.anomaly.op;
    $("anomaly_where").textContent = s.anomaly.where;
    const [what, cause] = s.anomaly.message.split(" Likely cause: ");
    $("anomaly_message").textContent = what;
    $("anomaly_cause").textContent = cause ? `Likely cause: ${cause}` : "";
  }
  $("lower_lr").textContent = `Use learning rate ${s.suggested_lr} and reset`;
}

function classColour(k, binary) { return binary ? colour(k ? 1 : -1) : CLASS_COLOURS[k % 8]; }

function drawConfusion(s) {
  const m = s.confusion;
  $("confusion_box").hidden = !m;
  if (!m) return;
  $("confusion_on").textContent = points && points.test.length ? "test" : "training";
  const binary = s.config.problem === "classification", k = m.length;
  const swatch = (c) => `<i class="sw" data-c="rgb(${classColour(c, binary)})"></i>`;
  let html = `<tr><th></th>${m.map((_, c) => `<th>${swatch(c)}</th>`).join("")}</tr>`;
  m.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    html += `<tr><th>${swatch(t)}</th>` + row.map((n, p) => {
      const f = n / total, good = p === t;
      return `<td class="${good ? "diag" : "off"}" data-f="${f.toFixed(2)}">${n}</td>`;
    }).join("") + "</tr>";
  });
  const table = $("confusion");
  table.innerHTML = html;
  table.classList.toggle("small", k > 5);
  for (const td of table.querySelectorAll("td")) {  // CSSOM, allowed by the page's CSP (style attributes are not)
    const f = Number(td.dataset.f), base = td.classList.contains("diag") ? [8, 119, 189] : [214, 39, 40];
    td.style.background = `rgba(${base}, ${(0.08 + 0.8 * f).toFixed(2)})`;
    td.style.color = f > 0.55 ? "#fff" : "";
  }
  for (const sw of table.querySelectorAll(".sw")) sw.style.background = sw.dataset.c;
}

function paintOutput() {
  const d = $("discretize").checked;
  if (state.grid_class) paintClasses($("heat"), state.grid_class, d ? null : state.grid, state.grid_size, true);
  else paintGrid($("heat"), state.grid, state.grid_size, d, true);
}

function drawDatasets() {  // each thumbnail shows points from the server's own generator
  const box = $("datasets"), thumbs = points && points.thumbnails;
  if (!thumbs) return;
  if (thumbsDrawn !== thumbs) {
    thumbsDrawn = thumbs;
    box.innerHTML = "";
    const problem = state.config.problem;
    for (const [name, pts] of Object.entries(thumbs)) {
      const c = document.createElement("canvas"); c.width = c.height = 64; c.title = name.replace("_", " ");
      c.dataset.name = name;
      const ctx = c.getContext("2d");
      ctx.fillStyle = "#f1f3f5"; ctx.fillRect(0, 0, 64, 64);
      for (const [x, y, label] of pts) {
        const col = problem === "multiclass" ? CLASS_COLOURS[label % 8] : colour(problem === "classification" ? (label > 0.5 ? 1 : -1) : label);
        ctx.beginPath(); ctx.arc((x + 6) / 12 * 64, (6 - y) / 12 * 64, 1.9, 0, 2 * Math.PI);
        ctx.fillStyle = `rgb(${col})`; ctx.fill();
      }
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
  if (count < 1 || count > state.limits.neurons) return showError(`A layer has from 1 to ${state.limits.neurons} neurons here.`);
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
  $("add_layer").onclick = () => {
    if (state.config.hidden.length >= state.limits.layers) return showError(`At most ${state.limits.layers} hidden layers here.`);
    act("config", { hidden: state.config.hidden.concat([2]) });
  };
  $("remove_layer").onclick = () => { if (state.config.hidden.length) act("config", { hidden: state.config.hidden.slice(0, -1) }); };
  $("show_test").onchange = drawPoints;
  $("early_stopping").onchange = () => act("config", { early_stopping: $("early_stopping").checked });
  $("discretize").onchange = paintOutput;
  window.addEventListener("resize", () => state && buildNetwork());
  $("weight_value").onkeydown = (e) => { if (e.key === "Enter") closeEditor(true); else if (e.key === "Escape") closeEditor(false); };
  $("weight_value").onblur = () => { if (editing) closeEditor(false); };
  $("lower_lr").onclick = async () => { await act("config", { learning_rate: state.suggested_lr }); act("reset"); };
  for (const [id, text] of HIDABLE) {  // checked = shown, as in TF Playground's list
    const label = document.createElement("label"); label.className = "check";
    const box = document.createElement("input"); box.type = "checkbox"; box.dataset.control = id;
    box.checked = !hiddenUi.has(id);
    box.onchange = () => { box.checked ? hiddenUi.delete(id) : hiddenUi.add(id); applyHidden(); saveToUrl(state.config); };
    label.append(box, ` ${text}`); $("hide_controls").appendChild(label);
  }
  $("lesson_url").onfocus = () => $("lesson_url").select();
}

function applyHidden() {  // controls a lesson link hides (data-ui="name"); kept separate from the page's own hidden flags
  for (const el of document.querySelectorAll("[data-ui]")) el.classList.toggle("ui-off", hiddenUi.has(el.dataset.ui));
}

// the configuration lives in the URL's #fragment, so a set-up is shared as a link (the token is in ?token=)
const URL_KEYS = { learning_rate: Number, optimizer: String, activation: String, regularization: String,
  reg_rate: Number, problem: String, dataset: String, train_ratio: Number, noise: Number, batch_size: Number,
  seed: Number, classes: Number, init: String, early_stopping: (v) => v === "true", features: (v) => v.split(",").filter(Boolean), hidden: (v) => v.split(",").filter(Boolean).map(Number),
  activations: (v) => v.split(",").filter(Boolean), dropout: (v) => v.split(",").filter(Boolean).map(Number) };

function saveToUrl(cfg) {
  let hash = Object.keys(URL_KEYS).map((k) => `${k}=${encodeURIComponent(String(cfg[k]))}`).join("&");
  if (hiddenUi.size) hash += `&hide=${HIDABLE.map((h) => h[0]).filter((k) => hiddenUi.has(k)).join(",")}`;
  if (location.hash.slice(1) !== hash) history.replaceState(null, "", `#${hash}`);
  $("lesson_link").href = $("lesson_url").value = location.href;
}

function loadFromUrl() {
  const cfg = {};
  for (const part of location.hash.slice(1).split("&")) {
    const [k, v] = part.split("=");
    if (k in URL_KEYS && v !== undefined) cfg[k] = URL_KEYS[k](decodeURIComponent(v));
    if (k === "hide" && v) for (const id of decodeURIComponent(v).split(",")) if (HIDABLE.some((h) => h[0] === id)) hiddenUi.add(id);
  }
  return cfg;
}

async function start() {
  const wanted = loadFromUrl();  // reads the hidden controls too, before setup() draws their checkboxes
  setup();
  applyHidden();
  let data = await api("", wanted);
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

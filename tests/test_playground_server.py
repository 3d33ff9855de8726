"""The playground's HTTP security checks and its training session (issue 13)."""

import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette) is not installed")
pytest.importorskip("httpx", reason="starlette's TestClient needs httpx")

import warnings  # noqa: E402

with warnings.catch_warnings():  # newer Starlette asks for httpx2; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from chainrule.playground.server import MAX_BODY, MAX_SESSIONS, create_app  # noqa: E402
from chainrule.playground.session import ConfigError, Session  # noqa: E402

TOKEN = "t0ken-for-tests"
HOST = "127.0.0.1:8765"


@pytest.fixture()
def client():
    return TestClient(create_app(token=TOKEN, port=8765), base_url=f"http://{HOST}")


def test_page_needs_the_token(client):
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "chainrule playground" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"


def test_static_files_come_from_memory_only(client):
    assert client.get(f"/static/app.js?token={TOKEN}").status_code == 200
    assert client.get("/static/app.js").status_code == 403
    for name in ("../server.py", "..%2Fserver.py", "index.html", "session.py", "%2Fetc%2Fpasswd"):
        assert client.get(f"/static/{name}?token={TOKEN}").status_code == 404, name


def test_foreign_host_and_origin_are_refused(client):
    ok = {"X-Playground-Token": TOKEN}
    assert client.post("/api/session", json={}, headers=ok).status_code == 200
    # DNS rebinding: evil.example resolves to 127.0.0.1, the browser sends its own Host
    assert client.get(f"/?token={TOKEN}", headers={"Host": "evil.example:8765"}).status_code == 403
    assert client.get(f"/?token={TOKEN}", headers={"Host": "127.0.0.1:9999"}).status_code == 403
    r = client.post("/api/session", json={}, headers={**ok, "Origin": "http://evil.example"})
    assert r.status_code == 403 and "origin" in r.json()["error"]
    assert client.post("/api/session", json={}, headers={**ok, "Origin": f"http://{HOST}"}).status_code == 200


def test_token_in_header_or_query_on_api(client):
    assert client.post("/api/session", json={}).status_code == 403
    assert client.post("/api/session", json={}, headers={"X-Playground-Token": "nope"}).status_code == 403
    assert client.post(f"/api/session?token={TOKEN}", json={}).status_code == 200


def test_oversized_and_bad_bodies(client):
    h = {"X-Playground-Token": TOKEN}
    sid = client.post("/api/session", json={}, headers=h).json()["session"]
    big = b"{" + b" " * (MAX_BODY + 10) + b"}"
    assert client.post(f"/api/session/{sid}/config", content=big, headers=h).status_code == 413

    def chunks():  # no Content-Length: the streaming limit applies
        for _ in range(MAX_BODY // 1024 + 2):
            yield b" " * 1024
    assert client.post(f"/api/session/{sid}/config", content=chunks(), headers=h).status_code == 413
    r = client.post(f"/api/session/{sid}/config", content=b"not json", headers=h)
    assert r.status_code == 400
    r = client.post(f"/api/session/{sid}/config", json={"learning_rate": 0.5}, headers=h)
    assert r.status_code == 400 and "learning_rate" in r.json()["error"]
    r = client.post(f"/api/session/{sid}/config", json={"hidden": [17] * 9}, headers=h)
    assert r.status_code == 400
    assert client.post("/api/session/nope/step", json={}, headers=h).status_code == 404


def test_controls_and_session_cap(client):
    h = {"X-Playground-Token": TOKEN}
    sid = client.post("/api/session", json={}, headers=h).json()["session"]
    state = client.post(f"/api/session/{sid}/step", json={}, headers=h).json()["state"]
    assert state["epoch"] == 1 and state["train_loss"] > 0
    state = client.post(f"/api/session/{sid}/config", json={"dataset": "xor", "hidden": [3, 3, 2]},
                        headers=h).json()["state"]
    assert state["config"]["dataset"] == "xor" and len(state["weights"]) == 4 and state["epoch"] == 0
    state = client.post(f"/api/session/{sid}/config", json={"problem": "regression"}, headers=h).json()["state"]
    assert state["config"]["dataset"] == "plane"
    for _ in range(MAX_SESSIONS - 1):
        client.post("/api/session", json={}, headers=h)
    assert client.post("/api/session", json={}, headers=h).status_code == 429


def test_loss_falls_on_circle():
    s = Session({"dataset": "circle", "features": ["x1", "x2"], "hidden": [4, 2], "learning_rate": 0.1})
    start = s.history[-1][1]
    for _ in range(60):
        s.step()
    assert s.history[-1][1] < 0.5 * start
    snap = s.snapshot()
    assert snap["test_loss"] < 0.5 * start
    low, high = snap["test_accuracy_ci"]
    assert 0 <= low <= snap["test_accuracy"] <= high <= 1
    assert snap["diagnosis"] and "val_loss" not in snap["diagnosis"]  # chainrule's live reading of the curves


def test_divergence_is_reported_and_stops():
    s = Session({"problem": "regression", "dataset": "plane", "learning_rate": 10, "hidden": [8, 8],
                 "activation": "relu"})
    s.running = True
    for _ in range(20):
        s.step()
        if s.diverged:
            break
    assert s.diverged and "Lower the learning rate" in s.diverged and not s.running
    assert s.snapshot()["train_loss"] is None or s.snapshot()["diverged"]
    # chainrule's account: the diverged epoch replayed under detect_anomaly names the op and the mini-batch
    snap = s.snapshot()
    assert snap["anomaly"]["op"] == "Linear" and "mini-batch" in snap["anomaly"]["where"]
    assert "float32 overflow" in snap["anomaly"]["message"] and snap["suggested_lr"] == 1


def test_divergence_reaches_the_page_as_valid_json(client):
    import json

    def no_nan(name):
        raise AssertionError(f"{name} in the JSON the page parses")

    h = {"X-Playground-Token": TOKEN}
    config = {"problem": "regression", "dataset": "plane", "learning_rate": 10, "hidden": [8, 8], "activation": "relu"}
    sid = client.post("/api/session", json=config, headers=h).json()["session"]
    r = client.post(f"/api/session/{sid}/step", json={}, headers=h)
    state = json.loads(r.text, parse_constant=no_nan)["state"]  # JSON.parse rejects NaN: one would blank the page
    assert state["diverged"] and state["anomaly"]["op"] and state["suggested_lr"] == 1
    assert state["train_loss"] is None and any(w is None for row in state["weights"][0] for w in row)


def test_bad_config_is_a_clear_error():
    with pytest.raises(ConfigError, match="activation"):
        Session({"activation": "swish"})
    with pytest.raises(ConfigError, match="unknown setting"):
        Session({"layers": 3})


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_optimizer_choice_trains_and_reports_accuracy(name):
    s = Session({"optimizer": name, "learning_rate": 0.01, "dataset": "gauss"})
    assert type(s.optimizer).__name__ == ("SGD" if name == "momentum" else "Adam")
    for _ in range(10):
        s.step()
    snap = s.snapshot()
    assert snap["test_accuracy"] > 0.9 and snap["train_loss"] < s.history[0][1]


def test_events_stream_while_running_and_the_session_ends_with_its_tab():
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    guard = create_app(token=TOKEN, port=port)
    server = uvicorn.Server(uvicorn.Config(guard, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 10
        while not server.started and time.time() < deadline:
            time.sleep(0.05)
        base, h = f"http://127.0.0.1:{port}", {"X-Playground-Token": TOKEN}
        sid = httpx.post(f"{base}/api/session", json={}, headers=h).json()["session"]
        httpx.post(f"{base}/api/session/{sid}/run", json={}, headers=h)
        epochs, started = [], time.time()
        with httpx.stream("GET", f"{base}/api/session/{sid}/events?token={TOKEN}", timeout=10) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            lines = r.iter_lines()
            for line in lines:
                if line.startswith("data: "):
                    epochs.append(__import__("json").loads(line[6:])["epoch"])
                if len(epochs) == 4:
                    break
            httpx.post(f"{base}/api/session/{sid}/pause", json={}, headers=h)
            for line in lines:  # after a pause the stream still sends one update saying so
                if line.startswith("data: ") and not __import__("json").loads(line[6:])["running"]:
                    break
        assert epochs == sorted(epochs) and epochs[-1] > epochs[0] and time.time() - started < 5
        sessions = guard.app.state.sessions
        deadline = time.time() + 5
        while sid in sessions and time.time() < deadline:  # noticed at the stream's next write
            time.sleep(0.05)
        assert sid not in sessions
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_multiclass_uses_softmax_cross_entropy_and_learns_blobs():
    s = Session({"problem": "multiclass", "dataset": "blobs", "classes": 5, "learning_rate": 0.1})
    assert s.layers[-1].out_features == 5 and s.target_train.dtype.__str__().endswith("int64")
    start = s.history[-1][1]
    assert abs(start - __import__("math").log(5)) < 0.6  # cross-entropy of a near-uniform guess
    for _ in range(15):
        s.step()
    snap = s.snapshot()
    assert snap["test_accuracy"] > 0.9 and set(snap["grid_class"]) == set(range(5))
    with pytest.raises(ConfigError, match="classes"):
        s.configure({"classes": 9})


def test_export_script_retrains_the_same_network_and_weights_load(client, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    h = {"X-Playground-Token": TOKEN}
    config = {"regularization": "L2", "reg_rate": 0.001, "features": ["x1", "x2", "x1x2"], "hidden": [3],
              "init": "xavier", "activations": ["relu"], "dropout": [0.2]}
    sid = client.post("/api/session", json=config, headers=h).json()["session"]
    for _ in range(3):
        state = client.post(f"/api/session/{sid}/step", json={}, headers=h).json()["state"]
    script = client.get(f"/api/session/{sid}/export.py", headers=h)
    assert script.status_code == 200 and "attachment" in script.headers["content-disposition"]
    path = tmp_path / "net.py"
    path.write_text(script.text.replace("EPOCHS = 100", "EPOCHS = 3"))
    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert f"training loss {state['train_loss']:.4f}" in out.stdout  # the same data, init and updates
    weights = client.get(f"/api/session/{sid}/export.safetensors", headers=h)
    if weights.status_code == 501:
        pytest.skip("safetensors is not installed")
    from safetensors.numpy import load
    tensors = load(weights.content)
    assert sorted(tensors) == ["0.bias", "0.weight", "3.bias", "3.weight"] and tensors["0.weight"].shape == (3, 3)
    assert "nn.ReLU(), nn.Dropout(0.2)" in script.text  # layer 1: its own activation, then dropout
    assert client.get(f"/api/session/{sid}/export.sh", headers=h).status_code == 404
    assert client.get(f"/api/session/{sid}/export.py").status_code == 403


def test_csv_upload_is_validated_and_used(client):
    h = {"X-Playground-Token": TOKEN, "Content-Type": "text/csv"}
    sid = client.post("/api/session", json={}, headers=h).json()["session"]
    url = f"/api/session/{sid}/upload"
    good = "x1,x2,label\n" + "\n".join(f"{i * 0.1},{(i % 7) - 3},{int(i % 7 > 3)}" for i in range(40))
    r = client.post(url, content=good, headers=h)
    assert r.status_code == 200, r.text
    state = r.json()["state"]
    assert state["config"]["dataset"] == "csv" and state["config"]["problem"] == "classification"
    assert len(r.json()["points"]["train"]) == 20
    assert client.post(f"/api/session/{sid}/step", json={}, headers=h).json()["state"]["epoch"] == 1
    multi = "\n".join(f"{i},{i % 5},{i % 3}" for i in range(30))
    assert client.post(url, content=multi, headers=h).json()["state"]["config"]["classes"] == 3
    real = "\n".join(f"{i},{-i},{i * 0.37}" for i in range(30))
    assert client.post(url, content=real, headers=h).json()["state"]["config"]["problem"] == "regression"
    bad = {
        "x1,x2\n" + "1,2\n" * 20: "3 columns",
        "a,b,c\n" + "1,2,0\n" * 5 + "1,two,0\n" + "1,2,1\n" * 10: "line 7",
        "1,2,nan\n" * 20: "NaN",
        "1,2,0\n" * 3: "at least",
        "1,2,0\n" * 2001: "at most 2000 rows",
        "1,2,1\n" * 20: "single value",
    }
    for text, message in bad.items():
        r = client.post(url, content=text, headers=h)
        assert r.status_code == 400 and message in r.json()["error"], (message, r.text)
    assert client.post(url, content=b"\xff\xfe" * 10, headers=h).status_code == 400
    assert client.post(url, content="1,2,0\n" * 20000, headers=h).status_code == 413


def test_export_of_uploaded_data_runs(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from chainrule.playground.export import python_script

    s = Session()
    s.upload("\n".join(f"{i},{i % 4},{i % 3}" for i in range(30)))
    for _ in range(2):
        s.step()
    path = tmp_path / "net.py"
    path.write_text(python_script(s).replace("EPOCHS = 100", "EPOCHS = 2"))
    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert f"training loss {s.history[-1][1]:.4f}" in out.stdout


@pytest.mark.parametrize("init", ["he", "xavier", "playground"])
def test_initialisation_choice(init):
    s = Session({"init": init, "hidden": [8]})
    w, b = s.layers[0].weight.detach().numpy(), s.layers[0].bias.detach().numpy()
    if init == "playground":
        assert abs(w).max() <= 0.5 and (b == 0.1).all()
    else:
        assert (b == 0).all() and w.std() > 0.3


def test_early_stopping_pauses_when_the_test_loss_stops_improving():
    from chainrule.playground import session as mod

    s = Session({"early_stopping": True, "dataset": "gauss", "noise": 50, "hidden": [8, 8],
                 "optimizer": "adam", "learning_rate": 0.03})
    s.running = True
    for _ in range(40):
        s.train_for(0.05)
        if not s.running:
            break
    assert not s.running and "Early stopping" in s.snapshot()["stopped"]
    tests = [r[2] for r in s.history]
    assert len(tests) - 1 - tests.index(min(tests)) >= mod.PATIENCE
    stopped_at = s.epoch
    s.run()  # Run again: training goes on, patience counted afresh
    s.train_for(0.05)
    assert s.running and s.epoch > stopped_at and s.stopped is None


def test_a_weight_can_be_edited(client):
    h = {"X-Playground-Token": TOKEN}
    sid = client.post("/api/session", json={}, headers=h).json()["session"]
    r = client.post(f"/api/session/{sid}/weight", json={"layer": 1, "row": 0, "col": 3, "value": 2.5}, headers=h)
    assert r.status_code == 200 and r.json()["state"]["weights"][1][0][3] == 2.5
    for bad in ({"layer": 5, "row": 0, "col": 0, "value": 1}, {"layer": 0, "row": 9, "col": 0, "value": 1},
                {"layer": 0, "row": 0, "col": 0, "value": "x"}, {"layer": 0, "row": 0, "col": 0, "value": 1e9}, {}):
        assert client.post(f"/api/session/{sid}/weight", json=bad, headers=h).status_code == 400, bad


def test_per_layer_activation_and_dropout_follow_the_layers():
    s = Session({"hidden": [4, 2], "activation": "relu"})
    assert s.config["activations"] == ["relu", "relu"] and s.config["dropout"] == [0, 0]
    s.configure({"activations": ["sigmoid", "linear"], "dropout": [0.2, 0]})
    s.configure({"hidden": [4, 2, 3]})  # a new layer: the global activation, no dropout
    assert s.config["activations"] == ["sigmoid", "linear", "relu"] and s.config["dropout"] == [0.2, 0, 0]
    s.configure({"hidden": [4]})
    assert s.config["activations"] == ["sigmoid"] and s.config["dropout"] == [0.2]
    s.configure({"activation": "tanh"})  # the global control sets every layer, as Playground's
    assert s.config["activations"] == ["tanh"]
    for bad, word in (({"activations": ["relu", "relu"]}, "activations"), ({"dropout": [0.25]}, "dropout"),
                      ({"activations": ["swish"]}, "activations"), ({"dropout": [True]}, "dropout")):
        with pytest.raises(ConfigError, match=word):
            s.configure(bad)


def test_each_layer_uses_its_own_activation():
    import numpy as np

    s = Session({"hidden": [3, 3], "activations": ["relu", "sigmoid"]})
    keep = []
    with __import__("chainrule").no_grad():
        s._forward(s.inputs_test, keep)
    first, second = keep[0].numpy(), keep[1].numpy()
    assert first.min() == 0 and (second > 0).all() and (second < 1).all()
    assert np.allclose(first, np.maximum(s.layers[0](s.inputs_test).detach().numpy(), 0))


def test_dropout_changes_training_only():
    plain = Session({"hidden": [8, 8], "learning_rate": 0.1})
    dropped = Session({"hidden": [8, 8], "learning_rate": 0.1, "dropout": [0.5, 0.5]})
    assert plain.history[0] == dropped.history[0]  # same start: dropout is off when the loss is measured
    plain.step()
    dropped.step()
    assert plain.history[-1][1] != dropped.history[-1][1]
    first = dropped.snapshot()["train_loss"]
    assert dropped.snapshot()["train_loss"] == first  # measuring twice draws no new masks
    again = Session({"hidden": [8, 8], "learning_rate": 0.1, "dropout": [0.5, 0.5]})
    again.step()
    assert again.history[-1] == dropped.history[-1]  # the session's own seeded stream: reproducible


def test_network_cap_is_above_playgrounds_and_stated():
    from chainrule.playground.session import MAX_LAYERS, MAX_NEURONS

    assert (MAX_LAYERS, MAX_NEURONS) == (8, 16)
    s = Session({"hidden": [MAX_NEURONS] * MAX_LAYERS, "dropout": [0.1] * MAX_LAYERS})
    assert s.step()["limits"] == {"layers": 8, "neurons": 16} and len(s.layers) == 9
    for hidden in ([MAX_NEURONS + 1], [2] * (MAX_LAYERS + 1)):
        with pytest.raises(ConfigError, match="at most 8 layer sizes from 1 to 16"):
            s.configure({"hidden": hidden})


def test_confusion_matrix_counts_the_test_points():
    import numpy as np

    s = Session({"dataset": "xor", "learning_rate": 0.1, "features": ["x1", "x2", "x1x2"]})
    for _ in range(5):
        s.step()
    snap = s.snapshot()
    m = np.array(snap["confusion"])
    assert m.shape == (2, 2) and m.sum() == len(s.X_test)
    assert np.trace(m) / m.sum() == pytest.approx(snap["test_accuracy"])
    assert m.sum(1).tolist() == np.bincount(s.y_test.ravel().astype(int), minlength=2).tolist()  # rows: true
    multi = Session({"problem": "multiclass", "dataset": "blobs", "classes": 5})
    m = np.array(multi.snapshot()["confusion"])
    assert m.shape == (5, 5) and np.trace(m) / m.sum() == pytest.approx(multi.snapshot()["test_accuracy"])
    assert Session({"problem": "regression"}).snapshot()["confusion"] is None


def test_thumbnails_are_the_generators_own_points():
    import numpy as np

    from chainrule.data.datasets import toy
    from chainrule.playground.session import THUMB_POINTS

    s = Session({"noise": 20})
    thumbs = s.points()["thumbnails"]
    assert list(thumbs) == ["circle", "xor", "gauss", "spiral"]
    X, y = toy.spiral(THUMB_POINTS, noise=0.2, seed=1)
    got = np.array(thumbs["spiral"])
    assert np.allclose(got[:, :2], X, atol=0.006) and (got[:, 2] == y).all()
    s.configure({"problem": "multiclass", "classes": 4})
    thumbs = s.points()["thumbnails"]
    assert list(thumbs) == ["spiral_arms", "blobs"] and {row[2] for row in thumbs["blobs"]} == {0, 1, 2, 3}


def test_every_control_a_lesson_can_hide_is_marked_in_the_page(client):
    import re

    js = client.get(f"/static/app.js?token={TOKEN}").text
    html = client.get(f"/?token={TOKEN}").text
    hidable = re.findall(r'\["(\w+)", "[^"]+"\]', js[js.index("const HIDABLE"):js.index("const hiddenUi")])
    assert len(hidable) > 20 and "learning_rate" in hidable and "layer_options" in hidable
    for name in hidable:  # a name with no element would silently hide nothing
        assert f'data-ui="{name}"' in html or f'dataset.ui = "{name}"' in js, name
    assert 'id="hide_controls"' in html and 'id="lesson_url"' in html


def test_sessions_share_one_lock():
    assert Session().lock is Session().lock  # chainrule's grad mode is process-wide: one forward pass at a time


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_divergence_in_the_update_itself_names_the_optimizer(monkeypatch):
    import chainrule as cr

    s = Session({"hidden": [3]})
    s.step()
    original = cr.optim.SGD.step

    def overflowing(self, *args):  # an update too large for float32: the ops before it were all finite
        original(self, *args)
        with cr.no_grad():
            self.param_groups[0]["params"][0].mul_(1e30).mul_(1e30)

    monkeypatch.setattr(cr.optim.SGD, "step", overflowing)
    s.step()
    assert s.diverged and s.anomaly["op"] == "SGD.step" and "layer 1" in s.anomaly["message"]
    assert s.anomaly["where"] == "epoch 2, mini-batch 1 of 25"


def test_cli_refuses_a_bad_or_taken_port_before_printing_a_url(capsys):
    pytest.importorskip("uvicorn")
    import socket

    from chainrule.cli import main

    assert main(["playground", "--port", "99999"]) == 2
    out = capsys.readouterr()
    assert "open http" not in out.out
    assert out.err.strip() == ("chainrule playground: error: --port must be from 0 to 65535 (0 picks a free one), "
                               "got 99999")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["playground", "--port", str(port)]) == 1
    out = capsys.readouterr()
    assert "open http" not in out.out
    assert f"cannot listen on 127.0.0.1:{port}" in out.err and "--port 0 for a free one" in out.err
    assert main(["playground", "--host", "0.0.0.0"]) == 2
    assert "add --allow-remote" in capsys.readouterr().err

"""The playground in a real browser: Playwright driving the system's Chromium (issue 13).

Skipped, with the reason, when playwright or the browser is missing. Screenshots are kept under
``$PLAYGROUND_ARTIFACTS`` (default: pytest's tmp folder).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the playground extra (starlette, uvicorn) is not installed")
pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

CANDIDATES = ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or "")
CHROMIUM = next((p for p in CANDIDATES if p and os.path.exists(p)), None)
# generous waits: on a busy 2-core machine a page load plus the first streamed update took over 15 s once
WAIT_MS = 45_000
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable (apt install chromium)")]
SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture(scope="module")
def server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "chainrule", "playground", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    line = proc.stdout.readline()
    if "open http" not in line:
        proc.kill()
        pytest.fail(f"the playground did not start: {line}{proc.stdout.read()}")
    url = line.split("open ")[1].split()[0]
    deadline = time.time() + 15
    while time.time() < deadline:  # the URL is printed before uvicorn listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"])
        except Exception as e:  # a browser that cannot start here is a skip, not a failure of the playground
            pytest.skip(f"chromium could not start: {str(e).splitlines()[0]}")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def artifacts(tmp_path):
    folder = Path(os.environ.get("PLAYGROUND_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_run_trains_and_the_page_updates(server, browser, artifacts, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 820}, bypass_csp=True)  # wait_for_function evals
    page.set_default_timeout(WAIT_MS)
    try:
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server)
        page.wait_for_function("document.querySelectorAll('#columns .node').length > 0")
        assert page.inner_text("#epoch") == "000,000"
        loss0 = page.inner_text("#train_loss")
        page.click("#run")
        page.wait_for_function("document.getElementById('epoch').textContent !== '000,000'", timeout=WAIT_MS)
        page.wait_for_function(f"document.getElementById('train_loss').textContent !== '{loss0}'", timeout=WAIT_MS)
        page.wait_for_timeout(2500)  # let it learn something worth a picture
        page.screenshot(path=str(artifacts / "playground-running.png"))
        page.click("#run")  # pause
        cells = [int(t) for t in page.locator("#confusion td").all_inner_texts()]
        assert len(cells) == 4 and sum(cells) == 250  # the 250 test points, true class by predicted class
        names = page.eval_on_selector_all("#datasets canvas", "cs => cs.map(c => c.dataset.name)")
        assert names == ["circle", "xor", "gauss", "spiral"]  # thumbnails drawn from the server's own points
        page.select_option("#learning_rate", "0.1")
        page.click("#datasets canvas[data-name=xor]")
        page.wait_for_function("document.getElementById('epoch').textContent === '000,000'")
        page.click("#step")
        page.wait_for_function("document.getElementById('epoch').textContent === '000,001'")
        assert page.input_value("#learning_rate") == "0.1"
        page.screenshot(path=str(artifacts / "playground-xor.png"))
        assert "learning_rate=0.1" in page.evaluate("location.hash") and "dataset=xor" in page.url
        page.reload()  # the configuration comes back from the URL
        page.wait_for_function("document.querySelectorAll('#columns .node').length > 0")
        assert page.input_value("#learning_rate") == "0.1"
        assert page.get_attribute("#datasets canvas.on", "data-name") == "xor"
        page.select_option("#problem", "multiclass")  # softmax over 3 spiral arms
        page.wait_for_function("document.querySelector('#datasets canvas.on')?.dataset.name === 'spiral_arms'")
        page.select_option("#optimizer", "adam")
        page.click("#run")
        page.wait_for_function("parseInt(document.getElementById('epoch').textContent.replace(',', '')) > 30",
                               timeout=WAIT_MS)
        page.click("#run")
        assert page.inner_text("#test_accuracy").endswith("%")
        page.screenshot(path=str(artifacts / "playground-multiclass.png"))
        with page.expect_download() as download:  # the export link hands over a runnable script
            page.click("#export_py")
        script = Path(download.value.path()).read_text()
        assert "nn.CrossEntropyLoss()" in script and "optim.Adam(" in script
        csv = tmp_path / "mine.csv"
        rows = (f"{i % 10},{i // 10},{int(i % 10 > i // 10)}" for i in range(100))
        csv.write_text("x1,x2,label\n" + "\n".join(rows))
        page.set_input_files("#csv", str(csv))
        page.wait_for_function("document.getElementById('csv_status').textContent.includes('100 rows')")
        assert page.input_value("#problem") == "classification"
        page.click("#step")
        page.wait_for_function("document.getElementById('epoch').textContent === '000,001'")
        page.screenshot(path=str(artifacts / "playground-csv.png"))
        assert not errors, errors
    finally:
        page.close()
    assert (artifacts / "playground-running.png").stat().st_size > 10_000


def _epoch(page) -> int:
    return int(page.inner_text("#epoch").replace(",", ""))


def test_weights_divergence_layers_and_lesson_links(server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page.set_default_timeout(WAIT_MS)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server)
        page.wait_for_selector("#links path", state="attached")
        # inline weight editing: a click on a link opens an input in place (no window.prompt)
        page.on("dialog", lambda d: errors.append(f"unexpected dialog {d.message}"))
        link = "#links path[data-w='2,0,1']"  # hidden layer 2, neuron 2 -> output: no other link on top
        page.click(link)
        assert page.is_visible("#weight_editor")
        shown = float(page.input_value("#weight_value"))
        assert abs(shown - page.evaluate("state.weights[2][0][1]")) < 1e-3
        page.fill("#weight_value", "1.5")
        page.screenshot(path=str(artifacts / "playground-weight-edit.png"))
        page.press("#weight_value", "Enter")
        page.wait_for_function("state.weights[2][0][1] === 1.5")
        assert page.is_hidden("#weight_editor") and "weight 1.500" in page.inner_html(link)
        page.click(link)
        page.fill("#weight_value", "7")
        page.press("#weight_value", "Escape")  # cancel: nothing sent
        assert page.is_hidden("#weight_editor") and page.evaluate("state.weights[2][0][1]") == 1.5

        # per-layer activation and dropout; more layers than TF Playground's 6
        page.select_option(".layer-act[data-layer='0']", "relu")
        page.wait_for_function("state.config.activations.join() === 'relu,tanh'")
        page.select_option(".layer-drop[data-layer='1']", "0.3")
        page.wait_for_function("state.config.dropout.join() === '0,0.3'")
        assert "activations=relu%2Ctanh" in page.url and "dropout=0%2C0.3" in page.url
        for n in range(3, 8):
            page.click("#add_layer")
            page.wait_for_function(f"state.config.hidden.length === {n}")
        assert page.text_content("#layer_count") == "7 hidden layers"
        for n in range(5, 11):  # past Playground's 8 neurons
            page.locator("#columns .column").nth(1).locator("button[title='Add a neuron']").click()
            page.wait_for_function(f"state.config.hidden[0] === {n}")
        page.click("#step")
        page.wait_for_function("document.getElementById('epoch').textContent === '000,001'")
        page.screenshot(path=str(artifacts / "playground-big-network.png"))

        # divergence: training stops and chainrule's anomaly detection names the op
        page.goto("about:blank")  # a new page load, not a change of fragment
        page.goto(f"{server}#problem=regression&dataset=plane&learning_rate=10&hidden=8,8&activation=relu")
        page.wait_for_selector("#links path", state="attached")
        page.click("#run")
        page.wait_for_selector("#diverged", state="visible", timeout=WAIT_MS)
        assert page.inner_text("#anomaly_op") and "mini-batch" in page.inner_text("#anomaly_where")
        assert "Lower the learning rate" in page.inner_text("#diverged_text")
        assert page.inner_text("#run") == "\u25b6"  # stopped by itself
        page.screenshot(path=str(artifacts / "playground-diverged.png"))
        page.click("#lower_lr")
        page.wait_for_function("!state.diverged && state.config.learning_rate === 1")
        assert page.input_value("#learning_rate") == "1" and _epoch(page) == 0

        # a lesson link: untick controls, they disappear, and the link opens a page without them
        page.goto("about:blank")  # a new page load, not a change of fragment
        page.goto(f"{server}#dataset=xor&learning_rate=0.1")
        page.wait_for_selector("#links path", state="attached")
        page.click("#lesson summary")
        page.uncheck("#hide_controls input[data-control=learning_rate]")
        page.uncheck("#hide_controls input[data-control=layers]")
        assert page.is_hidden("#learning_rate") and page.is_hidden("#add_layer")
        assert page.is_hidden("#columns button[title='Add a neuron']")
        lesson = page.input_value("#lesson_url")
        assert "hide=learning_rate,layers" in lesson and "dataset=xor" in lesson
        student = browser.new_page(viewport={"width": 1280, "height": 820}, bypass_csp=True)
        student.set_default_timeout(WAIT_MS)
        try:
            student.goto(lesson)
            student.wait_for_selector("#links path", state="attached")
            assert student.is_hidden("#learning_rate") and student.is_hidden("#add_layer")
            assert student.is_visible("#optimizer") and student.is_visible("#run")
            assert student.get_attribute("#datasets canvas.on", "data-name") == "xor"
            assert not student.is_checked("#hide_controls input[data-control=learning_rate]")
            student.screenshot(path=str(artifacts / "playground-lesson.png"))
        finally:
            student.close()
        assert not errors, errors
    finally:
        page.close()

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
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable (apt install chromium)")]
SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture()
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


def test_run_trains_and_the_page_updates(server, tmp_path):
    artifacts = Path(os.environ.get("PLAYGROUND_ARTIFACTS", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"])
        except Exception as e:  # a browser that cannot start here is a skip, not a failure of the playground
            pytest.skip(f"chromium could not start: {str(e).splitlines()[0]}")
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 820}, bypass_csp=True)  # wait_for_function evals
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server)
            page.wait_for_function("document.querySelectorAll('#columns .node').length > 0")
            assert page.inner_text("#epoch") == "000,000"
            loss0 = page.inner_text("#train_loss")
            page.click("#run")
            page.wait_for_function("document.getElementById('epoch').textContent !== '000,000'", timeout=15000)
            page.wait_for_function(f"document.getElementById('train_loss').textContent !== '{loss0}'", timeout=15000)
            page.wait_for_timeout(2500)  # let it learn something worth a picture
            page.screenshot(path=str(artifacts / "playground-running.png"))
            page.click("#run")  # pause
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
                                   timeout=20000)
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
            browser.close()
    assert (artifacts / "playground-running.png").stat().st_size > 10_000

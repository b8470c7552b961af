"""Start ``qdml app`` on a free loopback port and drive it with Debian's headless Chromium.

Shared by the end-to-end test and ``benchmarks/app_speed.py``. Every wait is bounded, and the
server is always stopped (SIGTERM, then SIGKILL) by whoever started it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def qdml_command() -> list[str]:
    """The ``qdml`` console script of this interpreter's environment (else ``python -m``)."""
    script = Path(sys.executable).parent / "qdml"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "qdml.cli.main"]


def browser_paths() -> tuple[str | None, str | None]:
    """(chromium, chromedriver) from the system packages, or None where absent."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    return chromium, shutil.which("chromedriver")


def missing_browser() -> str | None:
    """Why the browser test cannot run here (None when it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    chromium, driver = browser_paths()
    if not chromium or not driver:
        return "headless Chromium is absent: apt-get install -y chromium chromium-driver"
    return None


@contextlib.contextmanager
def running_app(log_path: Path, model: str | None = None, timeout: float = 120.0):
    """Yield ``(url, seconds until the server answered)`` for ``qdml app`` on a free port; stop it after."""
    port = free_port()
    cmd = qdml_command() + ["app", "--port", str(port)] + (["--model", str(model)] if model else [])
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            url = f"http://{HOST}:{port}"
            deadline = started + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"qdml app exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"qdml app did not answer within {timeout:.0f} s: {log_path.read_text()[-2000:]}")
                time.sleep(0.1)
            yield url, time.perf_counter() - started
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, grace: float = 15.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)


@contextlib.contextmanager
def chromium(width: int = 1400, height: int = 1000):
    """A headless Chromium from the system packages (Selenium never downloads a browser here)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    binary, driver_path = browser_paths()
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


_SNAPSHOT_JS = """
const app = document.querySelector('[data-testid="stApp"]');
const metrics = {};
document.querySelectorAll('[data-testid="stMetric"]').forEach(m => {
  const l = m.querySelector('[data-testid="stMetricLabel"]');
  const v = m.querySelector('[data-testid="stMetricValue"]');
  if (l && v) metrics[l.innerText.trim()] = v.innerText.trim();
});
return {state: app ? app.getAttribute('data-test-script-state') : null,
        headings: [...document.querySelectorAll('h3')].map(h => h.innerText.trim()),
        metrics: metrics};
"""


def snapshot(driver) -> dict:
    """Run state, h3 headings and metric values of the page, read in one round trip to the browser."""
    return driver.execute_script(_SNAPSHOT_JS) or {}


def metric_value(driver, label: str) -> str | None:
    """Text of the ``st.metric`` whose label contains ``label`` (None while it is not on the page)."""
    return next((v for k, v in snapshot(driver).get("metrics", {}).items() if label in k), None)


def showing(driver, heading: str, label: str = "PLQY") -> str | None:
    """The metric ``label`` once no run is under way and the page is titled ``heading`` (else None).

    Streamlit marks its root with the run state, so a value read here is never a stale one from
    the previous run."""
    snap = snapshot(driver)
    if snap.get("state") != "notRunning" or heading not in snap.get("headings", []):
        return None
    return next((v for k, v in snap.get("metrics", {}).items() if label in k), None)


def app_idle(driver) -> bool:
    """True when no script run is under way."""
    return snapshot(driver).get("state") == "notRunning"


def clear(driver, label: str):
    """Empty the text input labelled ``label``; return it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, f'input[aria-label="{label}"]')
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    return box


def type_into(driver, label: str, text: str) -> None:
    """Replace the text of the input labelled ``label`` and press Enter (Streamlit reruns)."""
    from selenium.webdriver.common.keys import Keys

    clear(driver, label).send_keys(text + Keys.ENTER)


def wait_for(driver, condition, timeout: float = 30.0, poll: float = 0.05):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll).until(lambda d: condition(d))


def predict_pair(driver, ligand: str, qd: str, timeout: float = 30.0) -> str:
    """Enter a pair on the Predict page; return the PLQY shown once the run for that pair has ended.

    ``ligand`` and ``qd`` are written as the page titles them (canonical names)."""
    type_into(driver, "Ligand", ligand)
    type_into(driver, "QD composition", qd)
    return wait_for(driver, lambda d: showing(d, f"{ligand} on {qd}"), timeout)

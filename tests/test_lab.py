"""The analysts' workflow: the report notebook in JupyterLab draws interactive charts offline.

JupyterLab (from the environment under test) serves a copy of ``notebooks/`` on a free
localhost port; headless Chromium, with every host name unresolvable, opens the report
notebook, runs all its cells through JupyterLab's own command and must end with every
chart drawn by Vega (``svg.marks``) and no request that left this machine. Chromium is
driven over the DevTools protocol with websocket-client (a dependency of jupyter_server).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "half_year_report.ipynb"
#: JupyterLab's own environment (requirements-lab.txt); the kernel is the one under test.
LAB_VENV = Path(os.environ.get("IZREPORT_LAB_VENV", ROOT / ".venv-lab"))
LAB_CONFIG = ROOT / "jupyter-config"
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
#: Whole test well under two minutes; each wait below is bounded by what is left of it.
BUDGET = 100.0
#: Once every cell has run, how long Vega may still take to draw the charts.
DRAW_GRACE = 15.0

_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, method: str = "GET") -> bytes:
    with _LOCAL.open(urllib.request.Request(url, method=method), timeout=5) as reply:
        return bytes(reply.read())


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def wait_for(self, what: str, probe: Any, done: Any = bool, interval: float = 0.25) -> Any:
        """Call ``probe`` until ``done(result)``; fail with the last result seen."""
        last = None
        while self.left() > 0:
            last = probe()
            if done(last):
                return last
            time.sleep(interval)
        if isinstance(last, dict):
            last = {k: v for k, v in last.items() if k != "text"}
        pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """End a process this test started, and its process group (it leads one)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)


@dataclass
class Lab:
    url: str
    token: str
    proc: subprocess.Popen[bytes]
    log: Path

    def api(self, path: str, method: str = "GET") -> Any:
        return json.loads(_get(f"{self.url}{path}?token={self.token}", method) or b"null")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    jupyter_lab = LAB_VENV / "bin" / "jupyter-lab"
    assert jupyter_lab.is_file(), (
        f"jupyterlab is not installed in {LAB_VENV} (make test builds it)")
    # the report kernel is the environment under test, as `make lab` registers it
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix",
                    str(tmp_path / "kernel"), "--name", "python3"], check=True,
                   capture_output=True)
    root = tmp_path / "lab"  # as `make lab` serves the project: notebooks, texts, outputs
    shutil.copytree(ROOT / "notebooks", root / "notebooks")  # autosave must not touch ours
    shutil.copytree(ROOT / "reports", root / "reports")
    (root / "outputs").mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "JPY_", "IZREPORT_"))}
    env.update({
        "IZREPORT_DATA": str(ROOT / "data"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_CONFIG_PATH": str(LAB_CONFIG),  # as `make lab`: no news pop-up
        "JUPYTER_DATA_DIR": str(tmp_path / "kernel" / "share" / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    })
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / "jupyter-lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(jupyter_lab), "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
             "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, proc, log)
    try:
        yield server
    finally:
        if proc.poll() is None:
            try:  # shuts the kernels down too
                _get(f"{server.url}/api/shutdown?token={token}", "POST")
                proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _stop(proc)


@dataclass
class Browser:
    """One page of headless Chromium, driven over the DevTools protocol."""

    ws: Any
    events: list[dict[str, Any]] = field(default_factory=list)
    _next: int = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        self.ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    import websocket  # websocket-client (dev extra; jupyter_server depends on it too)

    profile = tmp_path / "chromium-profile"
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--disable-sync", "--no-proxy-server", f"--user-data-dir={profile}",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--window-size=1280,2400",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    ws = None
    try:
        deadline = _Deadline(30)
        active = profile / "DevToolsActivePort"
        port = deadline.wait_for("Chromium's DevTools port", lambda: active.is_file() and (
            active.read_text().split("\n")[0].strip()))
        base = f"http://127.0.0.1:{port}"

        def page() -> str | None:
            targets = json.loads(_get(f"{base}/json/list"))
            return next((t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"),
                        None)

        ws = websocket.create_connection(deadline.wait_for("a page target", page), timeout=30,
                                         suppress_origin=True, http_no_proxy=["127.0.0.1"])
        yield Browser(ws)
    finally:
        if ws is not None:
            ws.close()
        _stop(proc)


STATE_JS = """(() => {
  const app = window.jupyterapp;
  const panel = app && [...app.shell.widgets('main')]
    .find((w) => w.context && w.context.path === '@PATH@');
  const session = panel && panel.sessionContext && panel.sessionContext.session;
  const outputs = document.querySelectorAll('.jp-Notebook .jp-OutputArea-output');
  const q = (sel) => document.querySelectorAll('.jp-Notebook .jp-OutputArea ' + sel).length;
  return {
    kernel: session && session.kernel ? session.kernel.status : null,
    current: Boolean(panel) && app.shell.currentWidget === panel,
    run: window.izRunAll === undefined ? null : String(window.izRunAll),
    outputs: outputs.length,
    charts: q('.iz-chart'), drawn: q('.iz-chart[data-iz-drawn="true"]'),
    marks: q('.iz-chart .iz-live svg.marks'), static: q('.iz-chart .iz-static'),
    chart_errors: q('[data-iz-error]'), bundles: q('script[data-iz-live="vega"]'),
    tracebacks: q('[data-mime-type="application/vnd.jupyter.stderr"] .jp-RenderedText'),
    pending: [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')]
      .filter((p) => p.textContent.includes('*')).length,
    unrun: [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
      .filter((p) => !/\\d/.test(p.textContent)).length,
    text: document.querySelector('.jp-Notebook') ? document.querySelector('.jp-Notebook')
      .innerText.slice(0, 20000) : '',
  };
})()""".replace("@PATH@", f"notebooks/{NOTEBOOK}")

RUN_ALL_JS = """(() => {
  const app = window.jupyterapp;
  app.shell.activateById([...app.shell.widgets('main')].find((w) => w.context).id);
  app.commands.execute('notebook:run-all-cells')
    .then((done) => { window.izRunAll = done; }, (err) => { window.izRunAll = err; });
})()"""


def _requests_left_localhost(events: list[dict[str, Any]], origin: str) -> list[str]:
    urls = [e["params"]["request"]["url"] for e in events
            if e.get("method") == "Network.requestWillBeSent"]
    urls += [e["params"]["url"] for e in events if e.get("method") == "Network.webSocketCreated"]
    local = (origin, origin.replace("http://", "ws://"), "data:", "blob:", "about:")
    return [u for u in urls if not u.startswith(local)]


def test_report_notebook_draws_interactive_charts_in_jupyterlab_offline(
        lab: Lab, browser: Browser) -> None:
    # the notebook's charts are plain altair charts written in its cells
    sources = ["".join(c["source"]) for c in json.loads(
        (ROOT / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))["cells"]]
    assert sum("alt.Chart(" in s for s in sources) >= 3
    deadline = _Deadline(BUDGET)

    def server_up() -> bool:
        if lab.proc.poll() is not None:
            pytest.fail(f"jupyter lab exited:\n{lab.log.read_text(errors='replace')[-3000:]}")
        try:
            return bool(lab.api("/api/status"))
        except OSError:
            return False

    deadline.wait_for("JupyterLab to answer", server_up)
    browser.call("Network.enable")
    # JupyterLab's commands act on the focused notebook; a headless page never has focus
    browser.call("Emulation.setFocusEmulationEnabled", enabled=True)
    browser.call("Page.navigate",
                 url=f"{lab.url}/lab/tree/notebooks/{NOTEBOOK}?token={lab.token}")

    def state() -> dict[str, Any]:
        return dict(browser.evaluate(STATE_JS))

    deadline.wait_for("the notebook and its idle kernel", state, lambda s: (
        s["kernel"] == "idle" and s["unrun"]))
    assert state()["charts"] == 0  # committed without outputs: nothing drawn yet
    # no "get notified about official Jupyter news?" pop-up: its plugin is not even loaded
    assert browser.evaluate(f"window.jupyterapp.hasPlugin('{ANNOUNCEMENTS}')") is False
    assert browser.evaluate("window.jupyterapp.hasPlugin("
                            "'@jupyterlab/apputils-extension:notification')") is True
    browser.evaluate(RUN_ALL_JS)

    ran_at: list[float] = []

    def finished(s: dict[str, Any]) -> bool:
        if s["tracebacks"] or s["chart_errors"]:
            return True  # fail at once below, with what the page shows
        ran = s["run"] is not None and s["kernel"] == "idle" and not s["pending"]
        if ran and not ran_at:
            ran_at.append(time.monotonic())
        if ran_at and time.monotonic() - ran_at[0] > DRAW_GRACE:
            return True  # every cell ran long ago: what is not drawn yet never will be
        return bool(ran and not s["unrun"] and s["charts"] and s["drawn"] == s["charts"])

    deadline.wait_for("all cells to run and every chart to be drawn", state, finished)
    final = state()  # a last look: nothing still drawing
    shown = {k: v for k, v in final.items() if k != "text"}
    assert final["run"] == "true", shown  # the command ran every cell
    assert final["tracebacks"] == 0 and final["chart_errors"] == 0, (shown, final["text"][-3000:])
    assert final["charts"] >= 3, shown
    # Vega drew each chart (its own svg.marks, in .iz-live) in place of the static SVG,
    # whose root also has class "marks"
    assert final["marks"] == final["drawn"] == final["charts"], shown
    assert final["static"] == 0, shown
    assert final["bundles"] == 1, shown  # the Vega bundle came once, from the kernel
    # JupyterLab draws only the cells near the view: check figures of the cells it shows
    assert re.search(r"\d,\d%", final["text"]) and "Doanh nghiệp hoạt động" in final["text"]
    browser.call("Runtime.evaluate", expression="0")  # collect the events sent so far
    assert _requests_left_localhost(browser.events, lab.url) == []
    assert deadline.left() > 0


def test_make_lab_serves_the_project_on_localhost_without_a_browser() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile[makefile.index("\nlab:"):].split("\n\n")[0]
    for flag in ("--no-browser", "--ip=127.0.0.1", "--ServerApp.root_dir=. ",
                 "--LabApp.default_url=/lab/tree/notebooks", "--LabApp.news_url=None",
                 "NeverCheckForUpdate", 'JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config'):
        assert flag in recipe, flag
    page = json.loads((LAB_CONFIG / "labconfig" / "page_config.json").read_text("utf-8"))
    assert page["disabledExtensions"] == {ANNOUNCEMENTS: True}
    stamp = makefile[makefile.index("$(LAB_VENV)/.ready:"):].split("\n\n")[0]
    assert "requirements-lab.txt" in stamp
    assert "$(BIN)/python -m ipykernel install --prefix $(LAB_VENV) --name python3" in stamp


def test_lab_reaches_notebooks_texts_and_outputs_without_the_news_plugin(lab: Lab) -> None:
    deadline = _Deadline(60)

    def listing() -> Any:
        if lab.proc.poll() is not None:
            pytest.fail(f"jupyter lab exited:\n{lab.log.read_text(errors='replace')[-3000:]}")
        try:
            return lab.api("/api/contents")
        except OSError:
            return None

    top = deadline.wait_for("JupyterLab to answer", listing)
    assert {c["name"] for c in top["content"]} >= {"notebooks", "reports", "outputs"}
    texts = {c["name"] for c in lab.api("/api/contents/reports")["content"]}
    assert "2021-H1.md" in texts
    section = lab.api("/api/contents/reports/2021-H1.md")
    assert section["type"] == "file" and "## " in section["content"]
    page = _get(f"{lab.url}/lab?token={lab.token}").decode("utf-8")
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">'
                                  r"(.*?)</script>", page, re.S).group(1))
    assert ANNOUNCEMENTS in config["disabledExtensions"]
    assert config.get("newsUrl") in (None, "")  # nothing to fetch news from either


def test_report_kernels_do_not_import_what_only_jupyterlab_needs() -> None:
    """JupyterLab lives in its own environment: altair in a kernel of this one stays fast."""
    probe = ("import sys, altair, jsonschema; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "{'rfc3987_syntax', 'jupyterlab', 'jupyter_server', 'lark'}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]", out
    lab_pins = (ROOT / "requirements-lab.txt").read_text(encoding="utf-8")
    dev_pins = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    assert "\njupyterlab==" in lab_pins and "\njupyterlab==" not in dev_pins

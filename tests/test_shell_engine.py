"""The batch's engine: a notebook run in the process's own IPython shell gives the outputs
a Jupyter kernel gives, and fails the same ways."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
import pytest
from nbclient.exceptions import CellTimeoutError
from papermill.exceptions import PapermillExecutionError

from izreport.pipeline import shell_engine

#: Every kind of output a report cell makes, in the ways cells make them.
CELLS = [
    "x = 6\nx * 7",                                      # an expression's result
    "print('a'); print('b')\nimport sys; sys.stderr.write('warn\\n')\nprint('c')",
    "from IPython.display import HTML, Markdown, display\n"
    "display(HTML('<b>Đồng Văn</b>'), Markdown('*46,26%*'))\n"
    "'after'",                                            # displays, then a result
    "import pandas as pd\npd.DataFrame({'Khu': ['Hòa Xá'], 'Tỷ đồng': [12000.5]})",
    # wider than a terminal: laid out as pandas lays it out in a notebook
    "wide = pd.DataFrame({f'chỉ tiêu {i}': [i * 1000.5] for i in range(24)})\n"
    "print(repr(wide)); wide",
    "x;",                                                  # no result after a semicolon
    "from IPython.display import clear_output\nprint('gone'); clear_output()\nprint('kept')",
    "def f():\n    return x * 2\nf()",
    "get_ipython().run_line_magic('who_ls', '')",
    "import helper\nhelper.VALUE",                       # a module beside the notebook
    "shown = display(Markdown('trước'), display_id=True)\nprint('giữa')",
    "shown.update(Markdown('sau'))\ndisplay(Markdown('mới'), display_id='khác')",
]


def _notebook(folder: Path, cells: list[str], name: str = "probe") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_markdown_cell("# Báo cáo")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _run(notebook: Path, executed: Path, engine: str | None, **kwargs: Any) -> Any:
    extra: dict[str, Any] = {"engine_name": engine} if engine else {}
    return pm.execute_notebook(str(notebook), str(executed), parameters={"x": 1},
                               progress_bar=False, log_output=False, kernel_name="python3",
                               cwd=str(notebook.parent), request_save_on_cell_execute=False,
                               **extra, **kwargs)


def _in_fork(call: Any) -> Any:
    """``call()`` in a forked child (as the launcher runs a report: the shell, its
    display hooks and the user's names end with the process); what it returned or
    raised."""
    import pickle

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # pragma: no cover - the child
        os.close(read)
        try:
            try:
                result: Any = ("ok", call())
            except BaseException as exc:   # sent to the parent
                result = ("raised", exc)
            with os.fdopen(write, "wb") as out:
                pickle.dump(result, out)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as got:
        kind, value = pickle.load(got)
    os.waitpid(pid, 0)
    if kind == "raised":
        raise value
    return value


def _outputs(nb: Any) -> list[tuple[Any, list[Any]]]:
    return [(c.execution_count, c.outputs) for c in nb.cells if c.cell_type == "code"]


def test_the_shells_outputs_are_a_kernels(tmp_path: Path) -> None:
    notebook = _notebook(tmp_path, CELLS)
    (tmp_path / "helper.py").write_text("VALUE = 'bên cạnh'\n")
    by_kernel = _run(notebook, tmp_path / "kernel.ipynb", None)
    by_shell = _in_fork(lambda: _run(notebook, tmp_path / "shell.ipynb",
                                     shell_engine.engine()))
    assert _outputs(by_shell) == _outputs(by_kernel)
    assert by_shell.metadata.language_info == by_kernel.metadata.language_info
    # papermill's record is the same: the parameters injected, every cell's status
    assert [c.metadata.get("tags") for c in by_shell.cells] == \
        [c.metadata.get("tags") for c in by_kernel.cells]
    assert {c.metadata.papermill.status for c in by_shell.cells} == {"completed"}
    assert nbformat.read(tmp_path / "shell.ipynb", as_version=4).cells[-1].outputs == \
        by_shell.cells[-1].outputs
    updated = [o for c in by_shell.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "display_data" and "sau" in o.data.get("text/markdown", "")]
    assert len(updated) == 1      # shown before, updated in place by the next cell
    streams = [o for c in by_shell.cells if c.cell_type == "code"
               for o in c.outputs if o.output_type == "stream"]
    wide, = (o for o in streams if "chỉ tiêu 23" in o.text)
    assert "chỉ tiêu 19  \\\n" in wide.text          # wrapped at 80 columns, as in a notebook
    assert [(o.name, o.text) for o in streams if o is not wide] == [
        ("stdout", "a\nb\nc\n"), ("stderr", "warn\n"), ("stdout", "kept\n"), ("stdout", "giữa\n")]


def test_a_failing_cell_fails_the_run_as_on_a_kernel(tmp_path: Path) -> None:
    notebook = _notebook(tmp_path, ["def f(y):\n    return y / 0", "f(1)", "print('never')"])
    with pytest.raises(PapermillExecutionError) as by_kernel:
        _run(notebook, tmp_path / "kernel.ipynb", None)
    with pytest.raises(PapermillExecutionError) as by_shell:
        _in_fork(lambda: _run(notebook, tmp_path / "shell.ipynb", shell_engine.engine()))
    for attribute in ("exec_count", "ename", "evalue", "cell_index", "traceback"):
        assert getattr(by_shell.value, attribute) == getattr(by_kernel.value, attribute)
    kept = nbformat.read(tmp_path / "shell.ipynb", as_version=4)
    assert _outputs(kept) == _outputs(nbformat.read(tmp_path / "kernel.ipynb", as_version=4))
    assert kept.metadata.papermill.exception is True
    assert kept.cells[-1].outputs == [] and kept.cells[-1].execution_count is None


def test_a_cell_over_its_time_is_stopped_and_what_ran_is_kept(tmp_path: Path) -> None:
    notebook = _notebook(tmp_path, ["print('ran')", "while True:\n    pass", "print('never')"])
    executed = tmp_path / "shell.ipynb"
    start = time.monotonic()
    with pytest.raises(CellTimeoutError):
        _in_fork(lambda: _run(notebook, executed, shell_engine.engine(),
                              timeout_func=lambda _cell: 1.5, keep_at=str(executed)))
    assert time.monotonic() - start < 30
    kept = nbformat.read(executed, as_version=4)
    assert kept.cells[3].outputs[0]["text"] == "ran\n"
    assert kept.cells[4].metadata.papermill.duration >= 1.5      # the cell that looped ...
    assert kept.cells[4].outputs == []                              # no timer's traceback
    assert kept.cells[5].execution_count is None                    # ... and ran no further
    assert kept.cells[5].outputs == [] and kept.cells[5].metadata.papermill.start_time is None


def test_a_report_run_in_a_batch_is_the_report_rendered_alone(tmp_path: Path) -> None:
    """The flagship report, rendered alone (on a Jupyter kernel) and in a batch (in a
    process the launcher forked, by this engine): the same page, byte for byte."""
    from izreport.pipeline.batch import Job, run_batch
    from izreport.pipeline.render import render_request
    from izreport.pipeline.request import resolve, resolve_zones
    from tests.conftest import DATA

    province, *zones = resolve_zones("half-year", {"period": "2021-H1"}, DATA)
    alone = render_request(province, tmp_path / "alone", ["html"])
    batch = run_batch([Job(province), Job(zones[0])], tmp_path / "batch", ["html"],
                      workers=1, show=False)
    assert all(r.ok for r in batch.results), [r.error for r in batch.results]
    in_batch = batch.results[0].files
    assert in_batch["html"].read_bytes() == alone.files["html"].read_bytes()
    # and it was run the other way: nbclient records each cell's messages, the engine not
    ran_alone = nbformat.read(alone.files["ipynb"], as_version=4)
    ran_in_batch = nbformat.read(in_batch["ipynb"], as_version=4)
    assert any("execution" in c.metadata for c in ran_alone.cells)
    assert not any("execution" in c.metadata for c in ran_in_batch.cells)
    assert _outputs(ran_in_batch) == _outputs(ran_alone)
    assert province == resolve("half-year", {"period": "2021-H1"}, DATA)

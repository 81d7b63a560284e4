"""The package's layers (README, Layout): no import circle, no import of a layer above.

The circle check reads the sources (every ``import``, also those inside functions) so it
holds without any tool; the layers themselves are the import-linter contracts of
``pyproject.toml``, run here as ``lint-imports``.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, package: str = "izreport") -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its source."""
    paths = {_module_name(root, p): p for p in sorted((root / package).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = name.split(".")[: len(name.split(".")) - node.level + is_package]
                    base = ".".join([*parent, *([base] if base else [])])
                # ``from pkg import module`` imports the module; ``from module import x`` it
                found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base
                             for a in node.names)
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_among_the_modules() -> None:
    graph = import_graph(ROOT)
    assert graph["izreport.commands.cli"], "the graph found no import of the command line"
    assert circles(graph) == []


def test_the_circle_check_finds_a_circle_made_by_an_import_inside_a_function(
        tmp_path: Path) -> None:
    pkg = tmp_path / "izreport"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("from izreport.low import b\n")
    (pkg / "low" / "b.py").write_text("def f():\n    from .c import x\n")
    (pkg / "low" / "c.py").write_text("def x():\n    import izreport.low.a\n")
    (pkg / "d.py").write_text("from izreport.low.a import b\n")
    assert circles(import_graph(tmp_path)) == [
        ["izreport.low.a", "izreport.low.b", "izreport.low.c"]]


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("importlinter") is None:
        if os.environ.get("CI"):
            pytest.fail("import-linter is not installed (requirements-dev.txt)")
        pytest.skip("import-linter is not installed (requirements-dev.txt)")
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--config", str(root / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_every_layer_imports_only_the_layers_below_it() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_layers_contract_refuses_an_import_of_a_layer_above(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "izreport", tmp_path / "izreport",
                    ignore=shutil.ignore_patterns("__pycache__", "fonts", "locale"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    texts = tmp_path / "izreport" / "blocks" / "texts.py"
    texts.write_text(texts.read_text(encoding="utf-8")
                     + "\n\ndef _upward():\n    from izreport.pipeline import params\n",
                     encoding="utf-8")
    done = _lint_imports(tmp_path)
    assert done.returncode != 0
    assert "izreport.blocks.texts -> izreport.pipeline.params" in done.stdout


@pytest.mark.parametrize("module", ["izreport.pipeline.render", "izreport.formats.export",
                                    "izreport.pipeline.batch", "izreport.commands.cli"])
def test_the_rendering_process_does_not_import_the_kernels_libraries(module: str) -> None:
    """pandas, numpy and altair belong in the kernel: the process that drives it and exports
    the page never needs them (pandas alone was 0,4 s of every render's exports)."""
    code = (f"import sys, {module}\n"
            "print(sorted(m for m in ('pandas', 'numpy', 'altair') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "[]"

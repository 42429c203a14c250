"""The package's boundaries: it never imports the tests or the tools, and `hsi demo` / `hsi bench`
say in one line what is missing when the package runs without the checkout's tools/ folder."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "inference_server"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_package_imports_neither_tests_nor_tools() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for module in sorted(_imported_modules(path))
        if module.split(".")[0] in ("tests", "tools")
    ]
    assert offenders == []


def test_benchmarks_demo_and_test_models_are_outside_the_package() -> None:
    for gone in (
        "bench.py",
        "bench_alerts.py",
        "bench_reid.py",
        "demo.py",
        "embedded.py",
        "api/bench.py",
        "ml/bench_detector.py",
        "ml/testing_models.py",
        "ml/tiny_gguf.py",
        "config.py",  # the old settings re-export: import inference_server.settings
    ):
        assert not (PACKAGE / gone).exists(), gone
    assert "realistic_day" not in (PACKAGE / "domain" / "calibration.py").read_text(encoding="utf-8")


_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|TRUNCATE|LOCK)\b", re.IGNORECASE)
_RUNS_SQL = {"execute", "executemany", "fetch", "fetchrow", "fetchval", "cursor", "prepare"}


def _sql_calls(path: Path) -> list[int]:
    """Lines where a connection-style method is called with SQL text as its first argument."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines: list[int] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        first = node.args[0]
        text = (
            first.value
            if isinstance(first, ast.Constant) and isinstance(first.value, str)
            else "".join(
                v.value for v in first.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            if isinstance(first, ast.JoinedStr)
            else ""
        )
        if node.func.attr in _RUNS_SQL and _SQL.match(text):
            lines.append(node.lineno)
    return lines


def test_sql_is_only_in_the_store_package() -> None:
    store = PACKAGE / "store"
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if store not in path.parents
        for line in _sql_calls(path)
    ]
    assert offenders == []
    # The check finds what it looks for: the store itself is full of it.
    assert _sql_calls(store / "events.py")


@pytest.mark.parametrize("command", ["demo", "bench"])
def test_without_the_tools_folder_the_command_says_so_in_one_line(tmp_path: Path, command: str) -> None:
    # An installed wheel: the package alone, no tools/ or tests/ beside it, no checkout on sys.path.
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "inference_server", ignore=shutil.ignore_patterns("__pycache__"))
    code = (
        "import os, sys\n"
        "sys.path[:] = [p for p in sys.path if not os.path.isfile(os.path.join(p or '.', 'tools', '__init__.py'))]\n"
        f"sys.path.insert(0, {str(site)!r})\n"
        "from inference_server.cli import main\n"
        f"sys.exit(main([{command!r}]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HSI_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"hsi: 'hsi {command}' needs the tools/ folder of a source checkout")
    assert result.stdout == ""


def _requirement_lines() -> list[str]:
    lines = (ROOT / "requirements" / "server.txt").read_text(encoding="utf-8").splitlines()
    return [kept for line in lines if (kept := line.split("#", 1)[0].strip())]


def test_the_declared_dependencies_are_requirements_server_txt() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from setuptools.config.pyprojecttoml import read_configuration

    # What setuptools (pip install ., pip install -e .) declares for the package: the same list.
    project = read_configuration(ROOT / "pyproject.toml")["project"]
    assert "dependencies" in project["dynamic"]
    declared = [str(Requirement(r)) for r in project["dependencies"]]
    assert declared == [str(Requirement(r)) for r in _requirement_lines()]
    assert "pydantic-settings==2.16.3" in declared
    # The add-on's exclusions (tools/vendor_addon.py) name packages that are on the list.
    from tools.vendor_addon import ADDON_EXCLUDED, CUDA_EXCLUDED

    names = {canonicalize_name(Requirement(r).name) for r in declared}
    assert (ADDON_EXCLUDED | CUDA_EXCLUDED) <= names


def test_the_demo_extra_pins_what_the_dev_requirements_pin() -> None:
    from setuptools.config.pyprojecttoml import read_configuration

    demo = read_configuration(ROOT / "pyproject.toml")["project"]["optional-dependencies"]["demo"]
    dev = (ROOT / "requirements" / "server-dev.txt").read_text(encoding="utf-8").splitlines()
    assert demo and set(demo) <= {line.split("#", 1)[0].strip() for line in dev}


_ARCHITECTURE = ROOT / "docs" / "architecture.md"
_FILE_LIKE = re.compile(r"^[\w.*/-]+(/|\.(py|md|json|yaml|sql|svg|txt))$")


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"\n## {heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else len(markdown)]


def _named_paths(text: str) -> list[str]:
    """Backticked file or folder names (`a/b.py`, `a/`) and modules run with `python -m a.b`."""
    names: list[str] = []
    for token in re.findall(r"`([^`]+)`", text):
        if token.startswith("python -m "):
            names.append(token.split()[2].replace(".", "/") + ".py")
        elif "/" in token and _FILE_LIKE.match(token):
            names.append(token)
    return names


def _exists(name: str) -> bool:
    # Repository-relative, or relative to the package (`pipeline/detect.py`); NNN_*.sql is a pattern.
    pattern = name.replace("NNN", "*")
    return any(any(base.glob(pattern)) for base in (ROOT, PACKAGE))


@pytest.mark.parametrize("heading", ["Processes", "Where do I change X?"])
def test_every_path_architecture_md_names_exists(heading: str) -> None:
    text = _section(_ARCHITECTURE.read_text(encoding="utf-8"), heading)
    names = _named_paths(text)
    assert len(names) >= 10, names  # the check reads the tables it is meant to
    assert [name for name in names if not _exists(name)] == []


def test_where_do_i_change_x_answers_a_newcomers_questions() -> None:
    table = _section(_ARCHITECTURE.read_text(encoding="utf-8"), "Where do I change X?")
    rows = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")]
    for topic in (
        "a new detector runtime",
        "a risk band",
        "an alert channel",
        "an Event JSON field",
        "a setting",
        "a new stage",
        "the LLM prompt",
        "a Home Assistant entity",
    ):
        assert any(row.startswith(topic) for row in rows), topic


def test_architecture_md_is_linked_and_its_diagram_exists() -> None:
    text = _ARCHITECTURE.read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert images and all((_ARCHITECTURE.parent / image).is_file() for image in images)
    assert "(architecture.md)" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_tables_the_stage_table_says_are_written_exist() -> None:
    table = _section(_ARCHITECTURE.read_text(encoding="utf-8"), "Processes")
    header = next(line for line in table.splitlines() if line.startswith("| stage |"))
    column = [cell.strip() for cell in header.split("|")].index("writes")
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| ") and line != header]
    # "tables `a`, `b.column`; stream ...": the names listed after the word "table(s)".
    lists = [found for row in rows[1:] for found in re.findall(r"tables? ((?:`[^`]+`(?:, )?)+)", row[column])]
    written = {token.split(".")[0] for names in lists for token in re.findall(r"`([^`]+)`", names)}
    migrations = "\n".join(
        path.read_text(encoding="utf-8") for path in sorted((PACKAGE / "store" / "migrations").glob("*.sql"))
    )
    created = set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)", migrations, re.IGNORECASE))
    assert {"events", "sightings", "baseline_slots", "detections"} <= written
    assert sorted(written - created) == []


def test_the_window_stage_is_the_only_writer_of_windows() -> None:
    # Whoever holds a WindowStore can open, extend and close windows: only the window stage (and the
    # composition root that builds it) may import it.
    holders = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.module == "inference_server.store.windows"
        and any(alias.name == "WindowStore" for alias in node.names)
    )
    assert holders == ["pipeline/window.py", "runtime/app.py"]


def test_assess_scores_the_context_it_receives_and_writes_none_of_enrichs_tables() -> None:
    # Enrich builds the context and owns its writes (re-ID, baselines); assess hears from it only
    # through the assess stream, so it imports neither the stage nor the store enrich writes.
    tree = ast.parse((PACKAGE / "pipeline" / "assess.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    assert "inference_server.store.events" in imported, "the check reads the imports it is meant to"
    enrichs = {
        "inference_server.pipeline.enrich",
        "inference_server.store.understanding",
        "inference_server.store.plates",
    }
    assert imported & enrichs == set()

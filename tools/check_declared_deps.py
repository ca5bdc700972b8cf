"""Does every workspace package declare what it imports? Two checks, both needed.

1. Static: each third-party module a package's source imports must come from a distribution
   in that package's own `dependencies` (a transitive install through another package hides
   the gap until that package changes its own dependencies).
2. Installed alone: `uv sync --package X` into a scratch environment, then import every module
   of X, so a dependency that is declared nowhere on X's path fails here, not in production.

Usage: python tools/check_declared_deps.py [--static-only]
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)
ALWAYS = {"__future__"}
# Modules shipped by a distribution under another top-level name than its own.
PROVIDED_BY = {"bson": "pymongo", "gridfs": "pymongo"}


def packages() -> list[Path]:
    return sorted(
        p.parent for p in ROOT.glob("*/*/pyproject.toml") if p.parts[-3] in {"libs", "services"}
    )


def declared(project: Path) -> tuple[str, set[str]]:
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    names = {_normal(re.split(r"[\s<>=!~\[;]", d, maxsplit=1)[0]) for d in meta["dependencies"]}
    return meta["name"], names


def imported(project: Path) -> dict[str, Path]:
    """Top-level modules the package's source imports (absolute imports only)."""
    found: dict[str, Path] = {}
    for path in (project / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return found


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def static_check() -> list[str]:
    owners = {m: [_normal(d) for d in ds] for m, ds in packages_distributions().items()}
    problems = []
    for project in packages():
        name, deps = declared(project)
        own = {p.name for p in (project / "src").iterdir() if p.is_dir()}
        for module, where in sorted(imported(project).items()):
            if module in STDLIB or module in ALWAYS or module in own:
                continue
            dists = {_normal(PROVIDED_BY.get(module, module))} | set(owners.get(module, []))
            if not dists & deps:
                rel = where.relative_to(ROOT)
                problems.append(f"{name}: imports {module} ({rel}) but does not declare it")
    return problems


def installed_alone_check() -> list[str]:
    problems = []
    uv = os.environ.get("UV", "uv")
    for project in packages():
        name, _ = declared(project)
        with tempfile.TemporaryDirectory(prefix="deps-") as scratch:
            env = {**os.environ, "UV_PROJECT_ENVIRONMENT": scratch}
            sync = subprocess.run(
                [uv, "sync", "--frozen", "--no-dev", "--package", name, "--quiet"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if sync.returncode != 0:
                problems.append(f"{name}: uv sync --package failed: {sync.stderr.strip()[-500:]}")
                continue
            python = Path(scratch) / ("Scripts" if os.name == "nt" else "bin") / "python"
            roots = [p.name for p in (project / "src").iterdir() if p.is_dir()]
            code = (
                "import importlib, pkgutil, sys\n"
                f"for root in {roots!r}:\n"
                "    pkg = importlib.import_module(root)\n"
                "    for m in pkgutil.walk_packages(pkg.__path__, root + '.'):\n"
                "        importlib.import_module(m.name)\n"
            )
            run = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
            if run.returncode != 0:
                problems.append(f"{name}: importing it alone failed:\n{run.stderr.strip()[-800:]}")
            else:
                print(f"ok: {name} installs and imports on its own", flush=True)
    return problems


def main() -> int:
    problems = static_check()
    if not problems and "--static-only" not in sys.argv:
        problems = installed_alone_check()
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

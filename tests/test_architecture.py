"""The layer contracts in pyproject.toml hold, and really fail when code breaks them.

`make lint` runs import-linter over the tree; this test proves the contracts are not vacuous:
the same command, pointed at a copy of the pairing service whose domain imports pymongo (and
whose service layer imports an adapter), must fail naming both broken contracts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_tree_keeps_every_layer_contract() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_a_domain_importing_the_database_or_a_service_importing_an_adapter_fails(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "tandem_pairing"
    shutil.copytree(ROOT / "services/pairing/src/tandem_pairing", copy)
    domain = copy / "domain" / "pairs.py"
    domain.write_text(domain.read_text() + "\nimport pymongo  # noqa\n")
    service = copy / "service" / "lookups.py"
    service.write_text(service.read_text() + "\nimport tandem_pairing.adapters.repositories\n")
    result = lint_imports(pythonpath=tmp_path)
    assert result.returncode != 0
    assert "domain is pure" in result.stdout
    assert "tandem_pairing.domain.pairs -> pymongo" in result.stdout
    assert "tandem_pairing.service.lookups -> tandem_pairing.adapters.repositories" in result.stdout
    assert "2 broken" in result.stdout

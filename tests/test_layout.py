"""The shape of the package: domain code never imports web code, core knows no feature (the
import-linter contracts in pyproject.toml), and no module's name is a layer's suffix."""
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "rectify"


def test_the_import_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=PACKAGE.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_no_module_is_named_for_its_layer_alone():
    """One home per feature: no ``*_ops``, and no two neighbours whose names differ by a suffix
    (``imports.py`` beside ``importer/``, ``ledgers.py`` beside ``ledger/``)."""
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__")]:
        names = {p.stem for p in folder.iterdir() if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
        assert not [n for n in names if n.endswith("_ops")], folder
        for name in names:
            for other in names - {name}:
                assert not (other.startswith(name) and other[len(name):] in ("s", "er", "ing", "_ops", "_views")), \
                    (folder, name, other)

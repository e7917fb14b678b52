"""Import rules: no private imports across packages.

A package's private modules (``skrb/<pkg>/_<module>.py``) are its own: other packages, the
examples, the benchmarks and the docs tooling import from the package itself (its public names,
or the small internal API its ``__init__`` provides beyond ``__all__``, marked "Internal API for
skrb's own packages"). Moving code inside a package then never breaks another.

``tests/`` is exempt: unit tests exercise private units directly (decoding kernels, the model
registry's table, ...), which is their job, and nothing imports from them.
"""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["skrb", "examples", "benchmarks", "docs"]
_PRIVATE = re.compile(r"^skrb\.(?P<pkg>[a-z][a-z0-9_]*)\.(?P<mod>_[a-z0-9_]+)")


def _owner(path: Path) -> str | None:
    """The skrb package a file belongs to (None outside skrb's packages)."""
    parts = path.relative_to(ROOT).parts
    return parts[1] if parts[0] == "skrb" and len(parts) > 2 else None


def _private_imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            # ``from skrb.pkg import _module`` imports a private module too
            modules += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            match = _PRIVATE.match(module)
            if match and match["pkg"] != _owner(path):
                yield node.lineno, module


def _files():
    for folder in CHECKED:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_private_imports_across_packages():
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _files()
        for line, module in _private_imports(path)
    ]
    assert not offences, (
        "Private modules imported from outside their package (import from the package, adding "
        "the name to its internal API if needed):\n" + "\n".join(offences)
    )


@pytest.mark.parametrize(
    ("source", "where", "bad"),
    [
        ("from skrb.io._errors import ReadError\n", "skrb/datasets/x.py", True),
        ("import skrb.models._base\n", "examples/x.py", True),
        ("from skrb.io import _errors\n", "skrb/cli/x.py", True),
        ("from skrb.io._errors import ReadError\n", "skrb/io/x.py", False),
        ("from skrb.io import ReadError\n", "skrb/datasets/x.py", False),
        ("from skrb._panels import PANELS\n", "skrb/io/x.py", False),
    ],
)
def test_the_rule_itself(tmp_path, monkeypatch, source, where, bad):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    path = tmp_path / where
    path.parent.mkdir(parents=True)
    path.write_text(source)
    assert bool(list(_private_imports(path))) is bad

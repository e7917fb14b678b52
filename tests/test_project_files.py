"""The project files say what pyproject.toml says."""

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_file_is_the_declared_license():
    assert PYPROJECT["project"]["license"] == "BSD-3-Clause"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License")
    assert "Neither the name of the copyright holder" in text


def test_citation_cites_skrb_and_the_papers_it_implements():
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["license"] == PYPROJECT["project"]["license"]
    first_authors = {ref["authors"][0].get("family-names") for ref in cff["references"]}
    assert first_authors == {"Acero-Cuellar", "Inada", "Duev"}


def test_changelog_has_an_unreleased_section():
    text = (ROOT / "CHANGES.rst").read_text()
    assert "\nUnreleased\n==========\n" in text


def test_version_is_written_once():
    import skrb

    source = (ROOT / "skrb" / "__init__.py").read_text()
    assert PYPROJECT["project"]["version"] not in source
    assert skrb.__version__ == PYPROJECT["project"]["version"] or skrb.__version__ == "0+unknown"

"""The wheel carries the data folders (styles/, config/) and the sample community."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_styles_config_and_sample(tmp_path: Path) -> None:
    # Build from a copy, so setuptools' build/ and egg-info never land in the checkout.
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("tui", "widgets", "server", "styles", "config"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = tmp_path.glob("cohort-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in sorted(p for p in (ROOT / "styles").iterdir() if p.suffix == ".tcss"):
        assert f"tui/styles/{path.name}" in names
    for path in sorted(p for p in (ROOT / "config").iterdir() if p.is_file()):
        assert f"tui/config/{path.name}" in names
    assert "server/sample/community.toml" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "cohort = tui.__main__:main" in text


def test_data_files_are_found_installed_or_in_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.forum import paths

    # A checkout (this one): styles/ and config/ at the top of the repository.
    assert paths.data_file("tui.styles", "styles", "cohort.tcss") == (
        paths.REPOSITORY / "styles" / "cohort.tcss"
    )
    # Installed from the wheel: tui/styles and tui/config inside the package.
    package = tmp_path / "site-packages" / "tui"
    (package / "config").mkdir(parents=True)
    (package / "config" / "default.toml").write_text("[ui]\n", encoding="utf-8")
    monkeypatch.setattr(paths, "PACKAGE", package)
    monkeypatch.setattr(paths, "REPOSITORY", tmp_path / "nowhere")
    assert paths.data_file("tui.config", "config", "default.toml") == (
        package / "config" / "default.toml"
    )

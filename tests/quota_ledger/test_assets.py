"""Front-end packages are pinned, installed by `make install`, and served from static/vendor."""

import json
import re
from pathlib import Path

from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[2]


def test_npm_packages_are_pinned_and_installed_as_locked():
    manifest = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    wanted = {**manifest["dependencies"], **manifest["devDependencies"]}
    assert {"echarts", "axe-core"} <= wanted.keys()
    for name, version in wanted.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        installed = json.loads((ROOT / "node_modules" / name / "package.json").read_text())
        assert installed["version"] == version, f"{name}: run make install"


def test_echarts_is_a_static_file_of_the_app():
    found = finders.find("vendor/echarts/echarts.min.js")
    assert found and Path(found).stat().st_size > 100_000


def test_no_browser_is_ever_downloaded():
    # Browser tests use Debian's chromium; Playwright's own download cannot work here.
    for name in ("Makefile", ".ci/run", "README.md", "Dockerfile", "pyproject.toml"):
        assert "playwright install" not in (ROOT / name).read_text(), name

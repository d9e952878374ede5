"""/static/vendor/: an allow-list of files from node_modules, nothing else."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from web.vendor import ALLOWED_FILES, is_allowed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def node_modules(tmp_path: Path) -> Path:
    root = tmp_path / "node_modules"
    for name in ("htmx.org/dist/htmx.min.js", "htmx.org/package.json", "htmx.org/dist/htmx.js",
                 "bpmn-js/dist/assets/bpmn-font/css/bpmn.css", "bpmn-js/dist/assets/diagram-js.css"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"/* {name} */")
    (tmp_path / "secret.txt").write_text("outside")
    return root


@pytest.fixture
def vendor_client(app_config, node_modules, request):  # type: ignore[no-untyped-def]
    app_config["NODE_MODULES_DIR"] = str(node_modules)
    return request.getfixturevalue("client")


def test_serves_allowed_files(vendor_client) -> None:
    with vendor_client.get("/static/vendor/htmx.org/dist/htmx.min.js") as response:
        assert response.status_code == 200
        assert response.data == b"/* htmx.org/dist/htmx.min.js */"
        assert response.mimetype in ("application/javascript", "text/javascript")
    with vendor_client.get("/static/vendor/bpmn-js/dist/assets/bpmn-font/css/bpmn.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"


@pytest.mark.parametrize("path", [
    "htmx.org/package.json", "htmx.org/dist/htmx.js", "bpmn-js/dist/assets/../../../secret.txt",
    "bpmn-js/dist/assets/%2e%2e/%2e%2e/package.json", "../secret.txt", "echarts/dist/echarts.min.js",
])
def test_everything_else_is_404(vendor_client, path: str) -> None:
    with vendor_client.get(f"/static/vendor/{path}") as response:
        assert response.status_code == 404


def test_is_allowed() -> None:
    assert is_allowed("bpmn-js/dist/assets/diagram-js.css")
    assert not is_allowed("bpmn-js/dist/assets/../bpmn-modeler.development.js")
    assert not is_allowed("bpmn-js/dist/bpmn-modeler.development.js")


def test_package_json_pins_every_served_package() -> None:
    dependencies = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for path in ALLOWED_FILES:
        package = path.split("/", 1)[0]
        assert package in dependencies
        assert dependencies[package][0].isdigit(), "pin exact versions"


def test_installed_packages_have_the_allowed_files() -> None:
    modules = ROOT / "node_modules"
    if not modules.is_dir():
        pytest.skip("node_modules is not installed (run `make install`)")
    missing = [p for p in ALLOWED_FILES if not (modules / p).is_file()]
    assert not missing
    assert (modules / "bpmn-js/dist/assets/bpmn-js.css").is_file()

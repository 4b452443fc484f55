"""The import-linter layers cover every module, so a new package cannot slip past them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layered() -> set[str]:
    """Return every module named in a layer of the layers contract."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    return {name.strip("() ") for layer in contract["layers"] for name in re.split(r"[|:]", layer)}


def modules() -> list[str]:
    """Return the dotted name of every module and package of the server and the workers."""
    found = []
    for top in ("server", "workers"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append(".".join(parts))
    return found


def test_every_module_sits_in_a_layer() -> None:
    names = layered()
    # A package split over several layers (server, server.auth, …) is only their parent.
    parents = {name.rsplit(".", k)[0] for name in names for k in range(1, name.count(".") + 1)}
    outside = [
        module
        for module in modules()
        if module not in parents
        and not any(module == name or module.startswith(f"{name}.") for name in names)
    ]
    assert outside == [], "add these to a layer in pyproject.toml [tool.importlinter]"
    # Their __init__ belongs to no layer, so it must import nothing.
    for parent in parents:
        text = (ROOT / parent.replace(".", "/") / "__init__.py").read_text()
        assert "import " not in text, parent


def test_every_layer_names_a_module_that_exists() -> None:
    known = set(modules())
    assert sorted(layered() - known) == []

"""The browser's scripts get the server's lists from one generated module, not from copies."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from quart.typing import TestClientProtocol as Client

from server.browser import MODULE_PATH
from server.config import PROJECT_ROOT
from server.events import EventKind
from server.realtime.refusals import FINAL_REFUSALS

SCRIPTS = sorted(
    [
        *(PROJECT_ROOT / "web" / "static" / "js").glob("*.js"),
        *(PROJECT_ROOT / "displays").glob("*.js"),
    ]
)


def run_module(source: str) -> dict[str, object]:
    """Evaluate the module as a browser would (with node) and return what it exports."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is needed (scripts/setup.sh installs the pages' libraries with npm)")
    program = source + "\nconsole.log(JSON.stringify({ EventKind, FINAL_REFUSALS }));\n"
    out = subprocess.run(
        [node, "--input-type=module", "-"],
        input=program,
        capture_output=True,
        text=True,
        check=True,
    )
    exported: dict[str, object] = json.loads(out.stdout)
    return exported


async def test_the_served_module_exports_the_event_kinds_and_final_refusals(
    client: Client,
) -> None:
    response = await client.get(MODULE_PATH)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    exported = run_module(await response.get_data(as_text=True))
    assert exported["EventKind"] == {kind.name: kind.value for kind in EventKind}
    assert exported["FINAL_REFUSALS"] == sorted(FINAL_REFUSALS)


async def test_the_module_is_cached_like_the_other_scripts_and_revalidated(
    client: Client,
) -> None:
    first = await client.get(MODULE_PATH)
    script = await client.get("/static/js/live.js")
    assert first.cache_control.max_age == script.cache_control.max_age
    again = await client.get(MODULE_PATH, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_script_keeps_its_own_copy_of_the_lists(script: Path) -> None:
    text = script.read_text()
    copied = [code for code in FINAL_REFUSALS if f'"{code}"' in text or f"'{code}'" in text]
    assert copied == [], f"{script.name} copies refusal codes; import FINAL_REFUSALS instead"
    # An event kind is compared through EventKind, never as a bare string.
    assert not re.search(r"""\.kind\s*[!=]==?\s*["']""", text), script.name

"""The contract suite's one fixture: every backend, each with what it is known to hold.

`native_forum.py` starts a real `cohort serve` process; `discourse_forum.py` a small fake
Discourse on loopback that serves the real responses in ../shared/discourse/fixtures/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.facts import ContractForum


@pytest.fixture(params=["native", "discourse"])
async def forum(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ContractForum]:
    if request.param == "native":
        from tests.contract.native_forum import native_forum as opened
    else:
        from tests.contract.discourse_forum import discourse_forum as opened
    async with opened(tmp_path) as contract:
        yield contract

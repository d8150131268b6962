"""Where the real Discourse responses are: ../shared/discourse/fixtures beside the checkout,
read at test time and never copied into the repository."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "discourse" / "fixtures"

"""Shared fixtures: the read-only datasets beside the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("PTUNE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared/data; skip (or fail on CI) when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"shared dataset {path} is not on this machine"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must provide ../shared/data")
        pytest.skip(reason)
    return path

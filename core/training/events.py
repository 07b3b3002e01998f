"""What a run reports while it trains: plain dict events passed to a callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
"""``{"type": "start" | "train" | "grow" | "eval" | "checkpoint" | "end", ...values}``"""
Callback = Callable[[Event], None]
STATUSES = ("succeeded", "failed", "stopped")

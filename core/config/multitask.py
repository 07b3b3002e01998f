"""Multi-task settings: the ``tasks`` of a run read as {name: dataset}, and their problems."""

from __future__ import annotations

from typing import Any

from core.messages import Message, say

TASK_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-.")


def parse_tasks(value: Any) -> Any:
    """Multi-task datasets as {name: dataset}; text "a=path, b=path" is accepted too.

    A value that cannot be read comes back as a sentence saying why (checked in problems()).
    """
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    tasks: dict[str, str] = {}
    for part in (p.strip() for p in str(value).split(",")):
        if not part:
            continue
        name, sep, data = part.partition("=")
        if not sep or not name.strip() or not data.strip():
            return say(
                "tasks entry {part!r} is not name=dataset; write the tasks as name=dataset "
                "pairs separated by commas, e.g. sst2=data/sst2,books=data/books",
                part=part,
            )
        if name.strip() in tasks:
            return say(
                "task name {name!r} is given twice; give each task its own name", name=name.strip()
            )
        tasks[name.strip()] = data.strip()
    return tasks


def task_problems(tasks: dict[str, str], data: str) -> list[Message]:
    """What is wrong with a run's multi-task datasets (read by :func:`parse_tasks`)."""
    found: list[Message] = []
    if len(tasks) < 2:
        found.append(say("tasks needs at least two datasets; for one dataset use data instead"))
    if str(data).strip():
        found.append(say("give either data (one task) or tasks (several), not both"))
    for name, source in tasks.items():
        if not name or not set(name.lower()) <= TASK_NAME_CHARS:
            found.append(
                say(
                    "task name {name!r} may only hold letters, digits, '_', '-' and '.'; rename it",
                    name=name,
                )
            )
        if not source:
            found.append(say("task {name!r} has no dataset", name=name))
    return found

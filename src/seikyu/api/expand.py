"""``expand[]``: replace related ids in a response by the objects they name, up to 4 levels.

Each path is walked level by level over every object at that level at once, and the ids found are
loaded with one query per model, so ``expand[]=data.customer`` on a list of 100 costs one query.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from django.db.models import Model

from seikyu.billing.render.registry import model_for_id, render
from seikyu.core.errors import InvalidRequest

MAX_DEPTH = 4


def expand(result: dict[str, Any], paths: list[str], *, livemode: bool) -> dict[str, Any]:
    for path in dict.fromkeys(paths):
        parts = path.split(".")
        if not all(parts):
            raise InvalidRequest(f"Invalid expand path: {path}", param="expand")
        if len([p for p in parts if p != "data"]) > MAX_DEPTH:
            raise InvalidRequest(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}", param="expand"
            )
        _expand_level([result], parts, path, livemode)
    return result


def _expand_level(nodes: list[dict[str, Any]], parts: list[str], path: str, livemode: bool) -> None:
    head, rest = parts[0], parts[1:]
    # (container, key, id): where a loaded object goes.
    slots: list[tuple[Any, Any, str]] = []
    deeper: list[dict[str, Any]] = []
    for node in nodes:
        if head not in node:
            if node.get("deleted"):
                continue
            raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
        value = node[head]
        if isinstance(value, str):
            slots.append((node, head, value))
        elif isinstance(value, dict):
            deeper.append(value)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    slots.append((value, index, item))
                elif isinstance(item, dict):
                    deeper.append(item)
    deeper.extend(_load_into(slots, head, path, livemode))
    if rest and deeper:
        _expand_level(deeper, rest, path, livemode)


def _load_into(slots: list[tuple[Any, Any, str]], field: str, path: str, livemode: bool) -> list[dict[str, Any]]:
    wanted: dict[type[Model], set[str]] = defaultdict(set)
    for _, _, object_id in slots:
        model = model_for_id(object_id, field)
        if model is None:
            raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
        wanted[model].add(object_id)
    rendered: dict[str, dict[str, Any]] = {}
    for model, ids in wanted.items():
        for obj in model._default_manager.filter(livemode=livemode, id__in=ids):
            rendered[obj.id] = render(obj)  # type: ignore[attr-defined]
    placed = []
    for container, key, object_id in slots:
        if object_id in rendered:
            # A fresh copy per slot: the same object may appear twice and be expanded further.
            obj_dict = copy.deepcopy(rendered[object_id])
            container[key] = obj_dict
            placed.append(obj_dict)
    return placed

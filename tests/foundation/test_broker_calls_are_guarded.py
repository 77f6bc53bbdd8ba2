"""Every place the product queues a Celery task does so inside `broker_reachable`, so a broker
that is down is one line at that door, never a 500 or a traceback (tests/foundation/
test_broker_down.py drives each door against a refused port; this catches a new one).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("common", "generator", "lyrics", "raplyrics", "scraping")
SENDING_METHODS = {"delay", "apply_async", "send_task"}
# Functions that send a task and are only ever called inside broker_reachable.
SENDERS_WRAPPED_BY_THEIR_CALLER = {
    # The admin passes it as `hand_over` to generator/training/queueing, whose
    # _hand_over_or_fail calls it inside broker_reachable.
    ("generator/tasks.py", "send_training_task"),
}


def _sends(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SENDING_METHODS
    )


def _is_guard(item: ast.withitem) -> bool:
    call = item.context_expr
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "broker_reachable"
    )


def unguarded_sends(source: str, relative: str) -> list[str]:
    """'file:line' of each task sent outside a `with broker_reachable(...)` block."""
    found: list[str] = []

    def visit(node: ast.AST, guarded: bool, function: str | None) -> None:
        if isinstance(node, ast.With | ast.AsyncWith) and any(map(_is_guard, node.items)):
            guarded = True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if (
            _sends(node)
            and not guarded
            and (relative, function) not in SENDERS_WRAPPED_BY_THEIR_CALLER
        ):
            found.append(f"{relative}:{getattr(node, 'lineno', '?')}")
        for child in ast.iter_child_nodes(node):
            visit(child, guarded, function)

    visit(ast.parse(source), False, None)
    return found


def test_every_task_the_product_queues_is_sent_inside_broker_reachable() -> None:
    unguarded = []
    for package in PRODUCT_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT).as_posix()
            unguarded += unguarded_sends(path.read_text(encoding="utf-8"), relative)
    assert unguarded == [], (
        "wrap these in `with broker_reachable(...)` (common/broker.py) and turn "
        f"BrokerUnreachable into the door's own one-line error: {unguarded}"
    )


def test_the_scan_sees_a_send_outside_the_guard_and_not_one_inside() -> None:
    source = """
def queue_it(task):
    task.delay(1)
    with broker_reachable(ScrapeError):
        task.apply_async(args=(2,))
    with open("x") as f, broker_reachable():
        app.send_task("t")
"""
    assert unguarded_sends(source, "lyrics/example.py") == ["lyrics/example.py:3"]

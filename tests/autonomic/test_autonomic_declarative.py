"""The declarative executor: the placement change it writes, and the ``pulumi up`` it runs.

The stack is a fake (``fake_stack.FakeStack``) with the Automation API's config calls; the
written config must parse back into the placement the plan meant.
"""

from __future__ import annotations

from typing import Any

import pytest

from autonomic.execute import (
    ConfigChange,
    DeclarativeExecutor,
    ExecutionError,
    apply_actions,
    automation_stack,
    placement_changes,
)
from autonomic.model import Action, Decision
from components.proxmox.settings import Placement, ProxmoxSettings, parse_proxmox_settings
from tests.autonomic.fake_stack import FakeStack

PX1, PX2 = "srv-px1", "srv-px2"
S = parse_proxmox_settings({"group": "g07", "baseId": 42})


def plan(*actions: Action) -> list[Decision]:
    return [Decision("test", "because", a) for a in actions]


def proxmox(placement: dict[str, Any]) -> dict[str, Any]:
    return {"group": "g07", "baseId": 42, "placement": placement}


def test_apply_actions_is_pure_and_follows_each_action() -> None:
    before = {"ct01": PX1, "ct02": {"node": PX2, "started": False}}
    after = apply_actions(
        before,
        [
            Action("create", 4203, PX2),
            Action("start", 4203, PX2),
            Action("stop", 4201, PX1),
            Action("migrate", 4201, PX1, PX2),
            Action("delete", 4202, PX2),
        ],
        S,
    )
    assert after == {"ct01": {"node": PX2, "started": False}, "ct03": PX2}
    assert before == {"ct01": PX1, "ct02": {"node": PX2, "started": False}}


def test_apply_actions_refuses_foreign_ids_and_unknown_slots() -> None:
    with pytest.raises(ValueError, match="not one of group g07"):
        apply_actions({}, [Action("create", 4301, PX1)], S)
    with pytest.raises(ValueError, match="ct05 is not in the placement"):
        apply_actions({}, [Action("stop", 4205, PX1)], S)


def test_placement_changes_rewrite_only_changed_slots() -> None:
    old = {"ct01": PX1, "ct02": PX2, "ct03": PX1}
    new = {"ct01": PX1, "ct02": {"node": PX2, "started": False}, "ct04": PX1}
    base = "cloudlab:proxmox.placement"
    assert placement_changes(old, new) == [
        ConfigChange(f"{base}.ct02", None),
        ConfigChange(f"{base}.ct02.node", PX2),
        ConfigChange(f"{base}.ct02.started", "false"),
        ConfigChange(f"{base}.ct03", None),
        ConfigChange(f"{base}.ct04", PX1),
    ]
    assert placement_changes(old, old) == []


def test_a_migration_becomes_a_change_of_node_then_one_up(log: Any) -> None:
    stack = FakeStack(proxmox({"ct01": PX1, "ct02": PX1}))
    DeclarativeExecutor(stack, S, log).execute(
        plan(
            Action("stop", 4202, PX1),
            Action("migrate", 4202, PX1, PX2),
            Action("start", 4202, PX2),
        )
    )
    assert stack.calls == [
        ("remove", "cloudlab:proxmox.placement.ct02"),
        ("set", "cloudlab:proxmox.placement.ct02", PX2),
        ("up", "never"),
    ]
    placed = parse_proxmox_settings(stack.config["cloudlab:proxmox"]).placement
    assert placed == (Placement(1, PX1), Placement(2, PX2))
    [done] = log.of("executed")
    assert done["result"] == "succeeded"
    assert len(done["actions"]) == 3


def test_generator_offloader_and_cleanup_round_trip_through_the_config(log: Any) -> None:
    stack = FakeStack(proxmox({"ct01": PX1}))
    ex = DeclarativeExecutor(stack, S, log)
    ex.execute(plan(Action("create", 4202, PX1), Action("start", 4202, PX1)))
    ex.execute(plan(Action("stop", 4201, PX1)))
    placed = parse_proxmox_settings(stack.config["cloudlab:proxmox"]).placement
    assert placed == (Placement(1, PX1, started=False), Placement(2, PX1))
    ex.execute(
        plan(Action("delete", 4201, PX1), Action("stop", 4202, PX1), Action("delete", 4202, PX1))
    )
    assert parse_proxmox_settings(stack.config["cloudlab:proxmox"]).placement == ()
    assert [c[0] for c in stack.calls].count("up") == 3


def test_a_plan_without_actions_runs_no_update(log: Any) -> None:
    stack = FakeStack(proxmox({}))
    DeclarativeExecutor(stack, S, log).execute([Decision("generator", "at the limit")])
    assert stack.calls == []


def test_a_failed_update_is_logged_and_raised(log: Any) -> None:
    stack = FakeStack(proxmox({"ct01": PX1}), up_error=RuntimeError("provider crashed"))
    with pytest.raises(ExecutionError, match="pulumi up failed: provider crashed"):
        DeclarativeExecutor(stack, S, log).execute(plan(Action("stop", 4201, PX1)))
    assert log.of("failed")[0]["error"] == "provider crashed"


def test_an_impossible_plan_changes_no_config(log: Any) -> None:
    stack = FakeStack(proxmox({}))
    with pytest.raises(ExecutionError, match="ct07 is not in the placement"):
        DeclarativeExecutor(stack, S, log).execute(plan(Action("start", 4207, PX1)))
    assert stack.calls == []


def test_automation_stack_selects_the_stack_in_the_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from pulumi import automation

    seen: dict[str, Any] = {}
    monkeypatch.setattr(automation, "select_stack", lambda **kw: seen.update(kw) or "stack")
    assert automation_stack("proxmox", tmp_path) == "stack"
    assert seen == {"stack_name": "proxmox", "work_dir": str(tmp_path)}


def test_settings_fixture_is_the_groups(settings: ProxmoxSettings) -> None:
    assert settings == S

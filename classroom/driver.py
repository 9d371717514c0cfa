"""``up``, ``status`` and ``down`` of a class, on the Automation API.

``up``: the classroom stack first (admin credentials: projects, users, quotas), then every
group's ``group-<id>`` stack from a bounded pool, each in its own workspace, each run with
its group's credentials (read by the program from the classroom stack). The openstack plugin
is installed into ``PULUMI_HOME`` once, before the fan-out: concurrent installs race.
``up`` again completes what an interrupted run left (each stack's update is idempotent); a
locked stack is reported with its owner and the command that clears a stale lock.

``status``: each group's last update and what openstacksdk, as the group's user, sees of its
lab (and the calculator's answer where its floating IP routes to a bridge of this machine).

``down``: every group's stack destroyed (and removed), then the classroom stack; then the admin
counts what is left of the class: projects, users, servers, floating IPs.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pulumi import automation as auto

from classroom import checks, handout, locks
from classroom.fanout import Outcome, fan_out, table
from classroom.roster import group_configs, group_stack_name, load_class, read_config
from classroom.workspace import engine_env, open_stack
from cloudlab_tools import pulumi_cli
from components.config.classroom import ClassroomConfig

PLUGINS = ("openstack",)
GROUP_ENV_DROPPED = ("OS_CLOUD", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME")
"""The teacher's credentials never reach a group's update: its program has only the group's."""


@dataclass
class Options:
    """What the command line sets."""

    config_file: Path
    work: Path
    handouts: Path
    workers: int = 2
    backend: str | None = None
    admin_cloud: str | None = None
    classroom_stack: str = "classroom"
    only: list[str] = field(default_factory=list)
    labs_only: bool = False
    """``up`` leaves the classroom stack as it is (another teacher's driver keeps it)."""
    lock_wait: float = 600.0
    """How long ``up`` waits for another live driver's lock on the classroom stack."""
    out: TextIO | None = None


class Driver:
    """One class, one backend: the classroom stack and the group stacks."""

    def __init__(self, options: Options) -> None:
        self.o = options
        self.raw_config = read_config(options.config_file)
        self.cfg: ClassroomConfig = load_class(self.raw_config)
        self.groups = [g.id for g in self.cfg.classroom.groups]
        unknown = sorted(set(options.only) - set(self.groups))
        if unknown:
            raise ValueError(f"--group {', '.join(unknown)}: not in the roster ({self.groups})")
        if options.only:
            self.groups = [g for g in self.groups if g in options.only]
        admin = {"OS_CLOUD": options.admin_cloud} if options.admin_cloud else {}
        self.admin_env = engine_env(options.backend, admin)
        self.group_env = {
            k: v for k, v in engine_env(options.backend).items() if k not in GROUP_ENV_DROPPED
        }
        self.out: TextIO = options.out or _stdout()

    # --- helpers ------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    @property
    def classroom_ref(self) -> str:
        return f"organization/cloudlab/{self.o.classroom_stack}"

    def classroom(self, create: bool = True) -> auto.Stack:
        return open_stack(
            self.o.work,
            self.o.classroom_stack,
            self.raw_config if create else None,
            self.admin_env,
            create,
        )

    def credentials(self) -> dict[str, dict[str, str]]:
        """Every group's credentials, from the classroom stack's outputs."""
        outputs = self.classroom(create=False).outputs()
        return dict(outputs["groups"].value) if "groups" in outputs else {}

    def install_plugins(self) -> None:
        """The provider plugins into ``PULUMI_HOME``, once, before any stack runs."""
        env = dict(self.admin_env)
        env["PATH"] = f"{pulumi_cli.toolchain_bin()}{os.pathsep}{env.get('PATH', '')}"
        for name in PLUGINS:
            pulumi_cli.install_plugin(env, name)

    def _locked_or_failed(self, group: str, stack: str, error: Exception) -> Outcome:
        text = str(error)
        owner = locks.lock_owner(text)
        if owner is not None:
            where = str(self.o.work / stack)
            return Outcome(group, stack, "locked", detail=locks.describe(stack, owner, where))
        return Outcome(group, stack, "failed", detail=_error_line(text))

    # --- up -----------------------------------------------------------------------------

    def up(self) -> list[Outcome]:
        self.install_plugins()
        self.say(
            f"classroom: {len(self.cfg.classroom.groups)} groups, stack {self.o.classroom_stack}"
        )
        if not self.o.labs_only:
            failed = self.up_classroom()
            if failed is not None:
                return [failed]
        creds = self.credentials()
        configs = group_configs(self.cfg, self.classroom_ref)
        self.say(f"up {len(self.groups)} groups, {self.o.workers} at a time")

        def one(group: str) -> Outcome:
            stack_name = group_stack_name(group)
            try:
                stack = open_stack(self.o.work, stack_name, configs[group], self.group_env)
                result = stack.up(color="never", on_output=None)
            except auto.CommandError as error:
                return self._locked_or_failed(group, stack_name, error)
            outputs = {k: v.value for k, v in result.outputs.items()}
            settings = self.cfg.classroom.group(group)
            text = handout.render(
                group,
                settings.title,
                creds[group],
                outputs,
                ssh_open=bool(configs[group]["cloudlab:calculator"].get("sshAllowedCidrs")),
            )
            path = handout.write(self.o.handouts, group, text)
            return Outcome(
                group,
                stack_name,
                "ok",
                url=str(outputs.get("calculatorUrl", "")),
                detail=f"handout {path}",
            )

        outcomes = fan_out(self.groups, one, self.o.workers, self.out, "up")
        self.say(table(outcomes))
        self.say(f"handouts: {self.o.handouts}")
        return outcomes

    def up_classroom(self) -> Outcome | None:
        """The classroom stack's update; waits while another live driver holds its lock.
        Returns the failure, ``None`` when it is up."""
        deadline = time.monotonic() + self.o.lock_wait
        seen: locks.LockOwner | None = None
        while True:
            try:
                self.classroom().up(color="never", on_output=None)
                return None
            except auto.CommandError as error:
                owner = locks.lock_owner(str(error))
                # A holder that just ended looks stale for a moment before its lock goes: only
                # the same lock found twice, its holder gone, is a stale one.
                stale = owner is not None and owner.stale and owner == seen
                if owner is not None and not stale and time.monotonic() < deadline:
                    self.say(f"classroom stack locked by {owner}: waiting")
                    seen = owner
                    time.sleep(5)
                    continue
                outcome = self._locked_or_failed("-", self.o.classroom_stack, error)
                self.say(f"classroom stack: {outcome.result}: {outcome.detail}")
                return outcome

    # --- status -------------------------------------------------------------------------

    def status(self) -> list[Outcome]:
        try:
            creds = self.credentials()
        except auto.CommandError:
            creds = {}
        configs = group_configs(self.cfg, self.classroom_ref)

        def one(group: str) -> Outcome:
            stack_name = group_stack_name(group)
            try:
                stack = open_stack(self.o.work, stack_name, None, self.group_env, create=False)
            except auto.CommandError:
                return Outcome(group, stack_name, "absent", detail="no stack: run up")
            history = stack.history(page_size=1)
            last = history[0] if history else None
            outputs = {k: v.value for k, v in stack.outputs().items()}
            url = str(outputs.get("calculatorUrl", ""))
            when = f"last {last.kind} {last.result} at {last.end_time}" if last else "never run"
            if group not in creds:
                return Outcome(group, stack_name, "no-account", url=url, detail=when)
            conn = checks.connect_as(creds[group])
            try:
                view = checks.lab_view(conn)
            finally:
                conn.close()
            calc = configs[group]["cloudlab:calculator"]
            expected = 1 + 4 * int(calc.get("replicas", 1))
            problems = view.problems(expected, f"calc-{group}-")
            answer = ""
            ip = str(outputs.get("floatingIp", ""))
            if url and checks.routes_to_a_bridge(ip):
                try:
                    answer = checks.ask_calculator(url)
                except OSError as error:
                    problems.append(f"calculator does not answer ({error})")
                else:
                    if answer != "result = 22":
                        problems.append(f"calculator answered {answer!r}")
            elif url:
                answer = "not asked (its floating IP routes to no bridge of this machine)"
            detail = f"{when}; {len(view.servers)} servers, floating IPs {view.floating_ips}"
            if answer:
                detail += f"; (5+6)*2: {answer}"
            if problems:
                return Outcome(
                    group,
                    stack_name,
                    "degraded",
                    url=url,
                    detail=detail + "; " + "; ".join(problems),
                )
            return Outcome(group, stack_name, "ok", url=url, detail=detail)

        outcomes = fan_out(self.groups, one, self.o.workers, self.out, "status")
        for o in outcomes:
            self.say(f"  {o.group}: {o.detail}")
        self.say(table(outcomes))
        return outcomes

    # --- the class's page (serve) ---------------------------------------------------------

    def board_rows(self) -> list[dict[str, str]]:
        """One row per group for ``serve``: last update, when, URL, and the calculator's
        answer now (asked only where its floating IP routes to a bridge of this machine)."""
        rows: dict[str, dict[str, str]] = {}

        def one(group: str) -> Outcome:
            stack_name = group_stack_name(group)
            row = {"group": group, "stack": stack_name, "last update": "none", "at": "-"}
            rows[group] = row
            try:
                stack = open_stack(self.o.work, stack_name, None, self.group_env, create=False)
            except auto.CommandError:
                row["answers now"] = "no stack"
                return Outcome(group, stack_name, "absent")
            history = stack.history(page_size=1)
            if history:
                row["last update"] = f"{history[0].kind} {history[0].result}"
                row["at"] = str(history[0].end_time or history[0].start_time)
            outputs = {k: v.value for k, v in stack.outputs().items()}
            url, ip = str(outputs.get("calculatorUrl", "")), str(outputs.get("floatingIp", ""))
            row["calculator URL"] = url
            if not url:
                row["answers now"] = "no calculator"
            elif not checks.routes_to_a_bridge(ip):
                row["answers now"] = "not asked: its floating IP routes to no bridge here"
            else:
                try:
                    answer = checks.ask_calculator(url)
                    row["answers now"] = (
                        f"yes ({answer})"
                        if answer == "result = 22"
                        else (f"no (answered {answer!r})")
                    )
                except OSError as error:
                    row["answers now"] = f"no ({error})"
            return Outcome(group, stack_name, "ok")

        fan_out(self.groups, one, self.o.workers, io.StringIO(), "collect")
        return [rows[g] for g in self.groups if g in rows]

    # --- down ---------------------------------------------------------------------------

    def down(self) -> tuple[list[Outcome], checks.Leftovers | None]:
        self.install_plugins()
        try:
            projects = self.classroom(create=False).outputs().get("projects")
            project_ids = list((projects.value if projects else {}).values())
        except auto.CommandError:
            project_ids = []

        def one(group: str) -> Outcome:
            stack_name = group_stack_name(group)
            try:
                stack = open_stack(self.o.work, stack_name, None, self.group_env, create=False)
            except auto.CommandError:
                return Outcome(group, stack_name, "ok", detail="no stack")
            try:
                stack.destroy(color="never", on_output=None)
                stack.workspace.remove_stack(stack_name)
            except auto.CommandError as error:
                return self._locked_or_failed(group, stack_name, error)
            (self.o.handouts / f"{group}.md").unlink(missing_ok=True)
            return Outcome(group, stack_name, "ok", detail="destroyed")

        outcomes = fan_out(self.groups, one, self.o.workers, self.out, "down")
        if not all(o.ok for o in outcomes) or self.o.only:
            self.say(table(outcomes))
            if not self.o.only:
                self.say("classroom stack kept: some groups' labs are still there")
            return outcomes, None
        t0 = time.monotonic()
        try:
            classroom = self.classroom(create=False)
            classroom.destroy(color="never", on_output=None)
            classroom.workspace.remove_stack(self.o.classroom_stack)
            outcomes.append(
                Outcome(
                    "-", self.o.classroom_stack, "ok", time.monotonic() - t0, detail="destroyed"
                )
            )
        except auto.CommandError as error:
            if "no stack named" not in str(error):
                outcomes.append(self._locked_or_failed("-", self.o.classroom_stack, error))
        self.say(table(outcomes))
        left = self.leftovers(project_ids)
        self.say(f"left in the cloud (admin's count): {left}")
        return outcomes, left

    def leftovers(self, project_ids: list[str] | None = None) -> checks.Leftovers:
        import openstack

        conn = (
            openstack.connect(cloud=self.o.admin_cloud)
            if self.o.admin_cloud
            else openstack.connect()
        )
        try:
            return checks.leftovers(conn, self.cfg.classroom.project_prefix, project_ids or [])
        finally:
            conn.close()


def _error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if "error:" in line.lower()]
    meaningful = [line for line in lines if "update failed" not in line] or lines
    return (
        meaningful[0] if meaningful else text.strip().splitlines()[-1:][0] if text.strip() else ""
    )[:400]


def _stdout() -> TextIO:
    import sys

    return sys.stdout

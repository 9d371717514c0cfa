"""``classroom``: the teacher's stack, one project, user and quota set per student group."""

from __future__ import annotations

from pydantic import model_validator

from components.calculator.settings import CalculatorSettings
from components.classroom.settings import ClassroomSettings, check_group_calculators
from components.config._shared import unset_is_empty
from components.settings import EnvironmentConfig


class ClassroomConfig(EnvironmentConfig):
    """``classroom``: the roster, and the calculator lab each group runs (its footprint sizes
    the quotas; a group's ``calculator`` overrides apply to its own lab)."""

    classroom: ClassroomSettings
    """The roster and the class's settings."""
    calculator: CalculatorSettings = CalculatorSettings()
    """The lab every group runs, before its overrides."""

    @model_validator(mode="before")
    @classmethod
    def _roster_names_itself(cls, raw: object) -> object:
        return unset_is_empty(raw, "classroom")

    @model_validator(mode="after")
    def _overrides_make_valid_labs(self) -> ClassroomConfig:
        check_group_calculators(self.calculator, self.classroom)
        return self

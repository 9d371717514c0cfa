"""The PaaS lab's environments: ``cloudfoundry`` (the Docker stand-in), ``appengine`` (a real
Google Cloud project) and ``appengine-local`` (the Google Cloud CLI's dev server)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from components.config._shared import unset_is_empty
from components.paas.settings import (
    AppEngineLocalSettings,
    AppEngineSettings,
    CloudFoundryManifest,
)
from components.settings import EnvironmentConfig

_LAB = {"derived": "the lab's (see below)"}


class CloudFoundryConfig(EnvironmentConfig):
    """``cloudfoundry``: the lab's manifest.yml pushed to the local Cloud Foundry stand-in."""

    cloudfoundry: CloudFoundryManifest = Field(json_schema_extra=_LAB)
    """The manifest (the lab's values by default: its 256M is refused, as it was)."""

    @model_validator(mode="before")
    @classmethod
    def _unset_manifest_is_the_labs(cls, raw: Any) -> Any:
        return unset_is_empty(raw, "cloudfoundry")


class AppEngineConfig(EnvironmentConfig):
    """``appengine``: the servlet as an App Engine standard version of a Google Cloud project."""

    appengine: AppEngineSettings
    """The project, service, version, runtime and manual scaling."""

    @model_validator(mode="before")
    @classmethod
    def _unset_appengine_is_empty(cls, raw: Any) -> Any:
        return unset_is_empty(raw, "appengine")


class AppEngineLocalConfig(EnvironmentConfig):
    """``appengine-local``: the servlet on the App Engine dev server of the Google Cloud CLI."""

    appengine_local: AppEngineLocalSettings = Field(json_schema_extra=_LAB)
    """The dev server's instances and ports."""

    @model_validator(mode="before")
    @classmethod
    def _unset_local_is_the_labs(cls, raw: Any) -> Any:
        return unset_is_empty(raw, "appengineLocal")

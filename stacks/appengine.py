"""The PaaS lab's App Engine deployment on a real Google Cloud project: ``cloudlab:appengine``
(needs the pulumi-gcp plugin and Google credentials; tested under mocks here)."""

from __future__ import annotations

import pulumi

from components.config import load_config
from components.config.paas import AppEngineConfig
from components.paas.appengine import AppEngineApp, AppEngineAppArgs


def run(config: pulumi.Config) -> None:
    """Validate the settings before registering anything, then deploy the version."""
    settings = load_config(AppEngineConfig, config).appengine
    app = AppEngineApp("appengine", AppEngineAppArgs(settings=settings))
    pulumi.export("url", app.url)
    pulumi.export("instances", settings.instances)

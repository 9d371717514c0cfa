"""The PaaS lab's App Engine deployment on the Google Cloud CLI's dev server, on 127.0.0.1:
``cloudlab:appengineLocal``."""

from __future__ import annotations

import pulumi

from components.config import load_config
from components.config.paas import AppEngineLocalConfig
from components.paas.appengine_local import AppEngineLocal, AppEngineLocalArgs, find_sdk_root


def run(config: pulumi.Config) -> None:
    """Validate the settings and find the dev server before registering anything, then deploy
    and export the module's URL and each instance's."""
    settings = load_config(AppEngineLocalConfig, config).appengine_local
    sdk_root = find_sdk_root(settings.sdk_root)
    app = AppEngineLocal(
        "appengine",
        AppEngineLocalArgs(settings=settings, sdk_root=sdk_root, stack=pulumi.get_stack()),
    )
    pulumi.export("url", app.url)
    pulumi.export("instanceUrls", app.instance_urls)

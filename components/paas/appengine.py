"""The PaaS lab's App Engine deployment on a real Google Cloud project (pulumi-gcp).

What ``gcloud app deploy`` did in the lab, as resources: the WAR uploaded to a private bucket of
the project, and an App Engine standard version of the service deployed from it (a zip
deployment: a WAR is a zip of the app's files), manually scaled to ``instances`` of a basic
instance class. The App Engine default service account may read the bucket's objects, nothing
more; the bucket refuses public access. The project's App Engine application must exist (it
cannot be deleted once created), unless ``location`` asks for it to be created here.

The pulumi-gcp provider plugin cannot be built on this machine, so this component is tested
under mocks only (tests/paas/test_appengine_component.py); ``appengine-local`` runs the same
WAR on the Google Cloud CLI's dev server.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.paas.settings import AppEngineSettings, war_file
from components.paas.war import war_digest


@dataclass
class AppEngineAppArgs:
    """Arguments of :class:`AppEngineApp`."""

    settings: AppEngineSettings
    """Project, service, version, runtime, instance class and count, the WAR."""


def war_files_count(settings: AppEngineSettings) -> int:
    """Files in the WAR (the zip deployment's ``files_count``)."""
    with zipfile.ZipFile(war_file(settings.path)) as archive:
        return sum(1 for info in archive.infolist() if not info.is_dir())


class AppEngineApp(pulumi.ComponentResource):
    """The WAR as a manually scaled App Engine standard version of a Google Cloud project."""

    application: gcp.appengine.Application | None
    bucket: gcp.storage.Bucket
    reader: gcp.storage.BucketIAMMember
    source: gcp.storage.BucketObject
    version: gcp.appengine.StandardAppVersion
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: AppEngineAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:paas:AppEngineApp", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        war = war_file(s.path)
        digest = war_digest(war)

        self.application = None
        depends: list[pulumi.Resource] = []
        if s.location is not None:
            self.application = gcp.appengine.Application(
                f"{name}-application", project=s.project, location_id=s.location, opts=child
            )
            depends.append(self.application)

        self.bucket = gcp.storage.Bucket(
            f"{name}-source",
            project=s.project,
            name=f"{s.project}-{s.service}-source",
            location="EU",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            force_destroy=True,
            opts=child,
        )
        self.reader = gcp.storage.BucketIAMMember(
            f"{name}-appengine-reads-source",
            bucket=self.bucket.name,
            role="roles/storage.objectViewer",
            member=f"serviceAccount:{s.project}@appspot.gserviceaccount.com",
            opts=child,
        )
        self.source = gcp.storage.BucketObject(
            f"{name}-war",
            bucket=self.bucket.name,
            name=f"{s.version_id}/{digest[:16]}/{war.name}",  # a new WAR is a new object
            source=pulumi.FileAsset(str(war)),
            content_type="application/zip",
            opts=child,
        )
        self.version = gcp.appengine.StandardAppVersion(
            f"{name}-version",
            project=s.project,
            service=s.service,
            version_id=s.version_id,
            runtime=s.runtime,
            entrypoint=gcp.appengine.StandardAppVersionEntrypointArgs(shell=s.entrypoint),
            instance_class=s.instance_class,
            manual_scaling=gcp.appengine.StandardAppVersionManualScalingArgs(instances=s.instances),
            deployment=gcp.appengine.StandardAppVersionDeploymentArgs(
                zip=gcp.appengine.StandardAppVersionDeploymentZipArgs(
                    source_url=pulumi.Output.concat(
                        "https://storage.googleapis.com/", self.bucket.name, "/", self.source.name
                    ),
                    files_count=war_files_count(s),
                )
            ),
            threadsafe=True,
            delete_service_on_destroy=s.service != "default",
            noop_on_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.reader, *depends]),
        )
        host = f"{s.project}.appspot.com"
        self.url = pulumi.Output.from_input(
            f"https://{s.version_id}-dot-{s.service}-dot-{host}"
            if s.service != "default"
            else f"https://{s.version_id}-dot-{host}"
        )
        self.register_outputs({"url": self.url, "version": self.version.name})

"""The PaaS lab: the hello-world servlet on App Engine and on a Cloud Foundry stand-in.

- :mod:`.settings`: the manifest (``cloudlab:cloudfoundry``) and the App Engine settings;
- :mod:`.memory`: the Cloud Foundry Java buildpack's memory calculation (the lab's 256M refusal);
- :mod:`.cloudfoundry`: the stand-in on Docker (droplet image, memory-limited instances, route),
  with its router program :mod:`.router`;
- :mod:`.appengine`: a real Google Cloud project's App Engine version (pulumi-gcp);
- :mod:`.appengine_local`: the same WAR on the Google Cloud CLI's dev server;
- :mod:`.war`: digests of the WAR that tell a changed app from a rebuilt one.

See docs/labs/paas.md.
"""

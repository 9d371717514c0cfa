"""The classroom: one OpenStack project, user and quotas per student group (issue 24).

- :mod:`components.classroom.settings`: the roster (``cloudlab:classroom``), validated;
- :mod:`components.classroom.password`: a generated password, a secret, without a plugin;
- :mod:`components.classroom.quotas`: a group's quotas sized from the lab's footprint;
- :mod:`components.classroom.group`: :class:`StudentGroup`, one group's project, user, role
  and quotas, and the credentials it exports.
"""

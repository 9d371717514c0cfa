"""``python -m classroom up|status|down``: the calculator lab for a whole class (issue 24).

- :mod:`classroom.roster`: the class's config file, validated, and each group stack's config;
- :mod:`classroom.workspace`: one Automation API ``LocalWorkspace`` per stack over the project;
- :mod:`classroom.fanout`: a bounded pool, one line per group as it ends, the final table;
- :mod:`classroom.locks`: a locked stack's owner and the command that clears a stale lock;
- :mod:`classroom.checks`: what openstacksdk sees (a group's lab; what is left after down);
- :mod:`classroom.handout`: the Markdown handout of a group;
- :mod:`classroom.driver`: ``up``, ``status`` and ``down``; :mod:`classroom.cli`: the flags.
"""

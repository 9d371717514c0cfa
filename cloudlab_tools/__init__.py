"""Development tools shared by the tests and the benchmarks (never part of a Pulumi program).

- :mod:`cloudlab_tools.pulumi_cli`: a throwaway copy of the project driven by the real
  Pulumi CLI, with its own file backend and ``PULUMI_HOME``;
- :mod:`cloudlab_tools.load`: the HTTP load generator of ``bench/bench_load.py`` and of
  ``tests/guardrails/test_load.py``.

Both raise ordinary exceptions; ``tests/engine/pulumi_project.py`` turns them into test
failures.
"""

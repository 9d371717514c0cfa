"""Bad input the existing property tests (tests/stacks) do not throw: junk ``cloudlab:docker``
on the local stack and junk ``cloudlab:environment``. Each config builds, or fails with a
ConfigError naming the key before any resource is registered (never a traceback)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pulumi.config import ConfigTypeError

from components.errors import ConfigError
from tests.harness import Recording
from tests.strategies import junk

docker_values = st.fixed_dictionaries(
    {},
    optional={
        "baseImage": st.one_of(
            st.sampled_from(["python:3.12-slim", "cloudlab/base:bookworm", "Bad:Name", ""]), junk
        ),
        "publishHost": st.one_of(
            st.sampled_from(["127.0.0.1", "0.0.0.0", "::1", "300.1.1.1", "localhost"]), junk
        ),
    },
)
docker_configs = st.one_of(
    docker_values,
    st.builds(lambda d, j: {**d, "surprise": j}, docker_values, junk),
    junk,
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def check_clean(run_stack, config: dict[str, Any], prefix: str) -> None:
    recording = Recording()
    try:
        run_stack("dev", config, recording)
    except ConfigError as error:
        assert error.key.startswith(prefix), error.key
        assert str(error).startswith(f"invalid config {error.key}: ")
        assert recording.resources == [], "a resource was registered before the error"
        event(f"rejected: {error.key}")
    except ConfigTypeError as error:
        # A value that is not JSON where an object is expected (`pulumi config set
        # cloudlab:docker foo`): Pulumi's own RunError, printed without a traceback.
        assert f"Configuration '{prefix}' value" in str(error)
        assert recording.resources == []
        event("rejected by pulumi.Config: not JSON")
    else:
        assert recording.resources, "a valid config built nothing"
        event("built")


@SETTINGS
@given(raw=docker_configs)
def test_local_stack_with_arbitrary_docker_config(run_stack, raw: Any) -> None:
    check_clean(
        run_stack, {"cloudlab:environment": "local", "cloudlab:docker": raw}, "cloudlab:docker"
    )


@SETTINGS
@given(
    environment=st.one_of(
        st.text(max_size=12), st.sampled_from(["local", "LOCAL", " local", "virtualbox"])
    )
)
def test_arbitrary_environment(run_stack, environment: str) -> None:
    if not environment:
        return  # an empty environment falls back to the stack name
    import stacks

    # An unknown name is refused as such; a known one (hypothesis does find "virtualbox") runs
    # that stack with no config, which must then fail cleanly on one of its own keys.
    expected = "cloudlab:" if environment in stacks.ENVIRONMENTS else "cloudlab:environment"
    check_clean(run_stack, {"cloudlab:environment": environment}, expected)

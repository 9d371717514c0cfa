"""The Docker twin as a docker-compose file: the same containers, addresses and routing as
:class:`~components.calculator.docker_twin.CalculatorTwin`, for whoever wants to compare it with
(or run it by) ``docker-compose up`` (``bench/bench_twin.py`` does, side by side).
"""

from __future__ import annotations

from typing import Any

from components.calculator.docker_twin import calculator_url_args, operand_slots, plan_addresses
from components.calculator.settings import CalculatorSettings
from components.dynamic.docker.routing import INIT_SCRIPT, routing_env

UNPRIVILEGED = "65534:65534"
"""The services image's own user, which the routing prelude drops to (as the twin does)."""


def _routed(image: str, routing: dict[str, Any]) -> dict[str, Any]:
    """A service that runs the routing prelude as root, then its command unprivileged."""
    # Compose interpolates ${...}: the prelude's own variables are escaped as $${...}.
    prelude = ["/bin/sh", "-c", INIT_SCRIPT.replace("$", "$$"), "cloudlab-init"]
    return {
        "image": image,
        "user": "0",
        "entrypoint": prelude,
        "cap_add": ["NET_ADMIN"],
        "environment": {**routing_env(routing), "CLOUDLAB_RUN_AS": UNPRIVILEGED},
    }


def compose_file(s: CalculatorSettings, image: str) -> dict[str, Any]:
    """The twin of ``s`` as a docker-compose (format 2.4) document, every container from
    ``image`` (the services image, e.g. ``cloudlab/calculator:dev``)."""
    plan = plan_addresses(s)
    operand_net = "back" if s.secured else "front"
    services: dict[str, dict[str, Any]] = {}
    if s.secured:
        services["router"] = {
            **_routed(
                image,
                {
                    "forward": [{"source": s.frontend_cidr, "destination": s.backend_cidr}],
                    "masquerade": [s.backend_cidr],
                },
            ),
            "command": ["sleep", "infinity"],
            "sysctls": {"net.ipv4.ip_forward": "1"},
            "networks": {
                "front": {"ipv4_address": s.router_frontend_ip},
                "back": {"ipv4_address": s.router_backend_ip},
            },
        }
    slots = operand_slots(s, plan)
    for slot in slots:
        services[slot.key] = {
            "image": image,
            "command": [slot.operator, "--port", str(slot.port)],
            "networks": {operand_net: {"ipv4_address": slot.ip}},
        }
    url_args = calculator_url_args(slots)
    command = ["python3", "-m", "services", "calculator", "--port", str(s.public_port), *url_args]
    calculator: dict[str, Any] = {"image": image, "command": command[3:]}
    if s.secured:
        route = [{"destination": s.backend_cidr, "via": s.router_frontend_ip}]
        calculator = {**_routed(image, {"routes": route}), "command": command}
        calculator["depends_on"] = ["router"]
    calculator["ports"] = [f"127.0.0.1:{s.public_port}:{s.public_port}"]
    calculator["networks"] = {"front": {"ipv4_address": plan.calculator}}
    services["calculator"] = calculator

    networks: dict[str, Any] = {
        "front": {
            "ipam": {"config": [{"subnet": s.frontend_cidr, "gateway": s.frontend_gateway_ip}]}
        }
    }
    if s.secured:
        networks["back"] = {
            "internal": True,
            "ipam": {"config": [{"subnet": s.backend_cidr, "gateway": plan.backend_gateway}]},
        }
    return {"version": "2.4", "services": services, "networks": networks}

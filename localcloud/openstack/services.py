"""The table of the local cloud's processes, in start order, with how each is run.

MariaDB and RabbitMQ (with its own epmd, so that it can be stopped by PID too) and Open vSwitch
come from apt; the OpenStack services run from the services venv: each API under gunicorn (1
worker, a few threads, a long timeout, loaded through our WSGI wrappers), nova's other services and
Neutron's agents as their own commands.
"""

from localcloud.openstack import ovs
from localcloud.openstack.layout import HOST, PORTS, Layout
from localcloud.openstack.procs import Proc
from localcloud.openstack.system import MARIADBD, RABBITMQ_SERVER

INFRA = ("mariadb", "epmd", "rabbitmq")
APIS = ("keystone", "placement", "glance", "neutron", "nova-api")
NOVA_SERVICES = ("nova-conductor", "nova-scheduler", "nova-compute")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SWITCH = ("ovsdb-server", "ovs-vswitchd")
# Neutron's agents: name -> (console script, its own config file)
AGENTS = {
    "neutron-ovs-agent": ("neutron-openvswitch-agent", "openvswitch_agent.ini"),
    "neutron-l3-agent": ("neutron-l3-agent", "l3_agent.ini"),
    "neutron-dhcp-agent": ("neutron-dhcp-agent", "dhcp_agent.ini"),
}
# Under gunicorn the Neutron API serves HTTP only: the agents' RPC is served by its own process.
NEUTRON_RPC = "neutron-rpc-server"
ALL = (*INFRA, *SWITCH, *APIS, NEUTRON_RPC, *AGENTS, *NOVA_SERVICES)
# Erlang distribution (rabbitmqctl's channel) listens on loopback only, like everything else.
DIST_LOOPBACK_ONLY = "-kernel inet_dist_use_interface {127,0,0,1}"


def _gunicorn(layout: Layout, name: str, port: int, factory: str, env: dict[str, str]) -> Proc:
    proc_name = f"cloudlab-{name}"
    argv = [
        str(layout.bin("gunicorn")),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        "1",
        "--threads",
        "4",
        "--timeout",
        "600",
        "--graceful-timeout",
        "5",
        # No limit on the request line (gunicorn's default is 4094 bytes): Nova asks Neutron
        # for the ports of every listed server in one query string (7 kB for 150 servers).
        "--limit-request-line",
        "0",
        # Idle keep-alive connections are closed by the client, never by us: with gunicorn's
        # 2 s, a client could send a POST on a connection the server was closing, and the
        # request died with "connection reset by peer" (one group's network, in a class of 30
        # with 8 at a time). Go's clients drop idle connections after 90 s.
        "--keep-alive",
        "120",
        "--name",
        proc_name,
        "--no-control-socket",  # one shared default path for all gunicorns otherwise
        f"cloudlab_openstack_plugins.wsgi:{factory}()",
    ]
    return Proc(name, argv, marker=proc_name, env=env, port=port, stop_timeout_s=20)


def processes(layout: Layout) -> dict[str, Proc]:
    """Every process of the local cloud by name, in start order."""
    conf = layout.conf
    nova_conf = str(conf / "nova" / "nova.conf")
    rabbit_dir = layout.state / "rabbitmq"
    erl_env = {"ERL_EPMD_ADDRESS": HOST, "ERL_EPMD_PORT": str(PORTS["epmd"])}
    procs = [
        Proc(
            "mariadb",
            [MARIADBD, f"--defaults-file={conf / 'mariadb.cnf'}"],
            marker=str(conf / "mariadb.cnf"),
            port=PORTS["mariadb"],
            stop_timeout_s=60,
        ),
        Proc(
            "epmd",
            ["epmd", "-address", HOST, "-port", str(PORTS["epmd"])],
            marker="epmd",
            env=erl_env,
            port=PORTS["epmd"],
            stop_timeout_s=10,
        ),
        Proc(
            "rabbitmq",
            [RABBITMQ_SERVER],
            marker="rabbit",
            env={
                **erl_env,
                "HOME": str(rabbit_dir),  # its Erlang cookie lives there
                "RABBITMQ_NODENAME": "cloudlab@localhost",
                "RABBITMQ_NODE_IP_ADDRESS": HOST,
                "RABBITMQ_NODE_PORT": str(PORTS["rabbitmq"]),
                "RABBITMQ_DIST_PORT": str(PORTS["rabbitmq-dist"]),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": DIST_LOOPBACK_ONLY,
                "RABBITMQ_CONFIG_FILE": str(conf / "rabbitmq" / "rabbitmq.conf"),
                "RABBITMQ_ADVANCED_CONFIG_FILE": str(conf / "rabbitmq" / "advanced.config"),
                "RABBITMQ_CONF_ENV_FILE": str(conf / "rabbitmq" / "rabbitmq-env.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(conf / "rabbitmq" / "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": str(rabbit_dir / "mnesia"),
                "RABBITMQ_LOG_BASE": str(layout.logs),
                "RABBITMQ_PID_FILE": str(layout.run / "rabbitmq-beam.pid"),
            },
            port=PORTS["rabbitmq"],
            stop_timeout_s=60,
        ),
        _gunicorn(
            layout,
            "keystone",
            PORTS["keystone"],
            "keystone",
            {"OS_KEYSTONE_CONFIG_FILES": str(conf / "keystone" / "keystone.conf")},
        ),
        _gunicorn(
            layout,
            "placement",
            PORTS["placement"],
            "placement",
            {"OS_PLACEMENT_CONFIG_DIR": str(conf / "placement")},
        ),
        _gunicorn(
            layout,
            "glance",
            PORTS["glance"],
            "glance",
            {"OS_GLANCE_CONFIG_DIR": str(conf / "glance")},
        ),
        _gunicorn(
            layout,
            "neutron",
            PORTS["neutron"],
            "neutron",
            {
                "OS_NEUTRON_CONFIG_FILES": ";".join(
                    [str(conf / "neutron" / "neutron.conf"), str(conf / "neutron" / "ml2_conf.ini")]
                )
            },
        ),
        _gunicorn(
            layout,
            "nova-api",
            PORTS["nova-api"],
            "nova",
            {
                # nova loads its paste pipeline from the first file of the list
                "OS_NOVA_CONFIG_DIR": str(conf / "nova"),
                "OS_NOVA_CONFIG_FILES": f"{layout.venv / 'etc/nova/api-paste.ini'};nova.conf",
            },
        ),
    ]
    procs += _switch(layout)
    agent_env = {
        **ovs.env(layout),
        # privsep-helper and the agents' helpers come from the venv; the root helper is empty
        # (we run as root), so neutron runs its commands (ip, iptables, dnsmasq) directly.
        "PATH": f"{layout.venv / 'bin'}:{SYSTEM_PATH}",
    }
    rpc = str(layout.bin(NEUTRON_RPC))
    neutron_conf = str(conf / "neutron" / "neutron.conf")
    procs.append(
        Proc(
            NEUTRON_RPC,
            [
                rpc,
                "--config-file",
                neutron_conf,
                "--config-file",
                str(conf / "neutron" / "ml2_conf.ini"),
            ],
            marker=f"{rpc} --config-file {neutron_conf}",
            stop_timeout_s=30,
        )
    )
    for name, (script, ini) in AGENTS.items():
        binary = str(layout.bin(script))
        argv = [binary, "--config-file", neutron_conf, "--config-file", str(conf / "neutron" / ini)]
        procs.append(
            Proc(
                name,
                argv,
                marker=f"{binary} --config-file {neutron_conf}",
                env=agent_env,
                stop_timeout_s=30,
            )
        )
    for service in NOVA_SERVICES:
        binary = str(layout.bin(service))
        procs.append(
            Proc(
                service,
                [binary, "--config-file", nova_conf],
                marker=f"{binary} --config-file {nova_conf}",
                env=ovs.env(layout),
                stop_timeout_s=40,
            )
        )
    return {proc.name: proc for proc in procs}


def _switch(layout: Layout) -> list[Proc]:
    """ovsdb-server and ovs-vswitchd in the foreground (we hold their PIDs), state in ours; their
    control sockets keep OVS's default names in OVS_RUNDIR, where ovs-appctl looks."""
    run = ovs.run_dir(layout)
    db = ovs.db_path(layout)
    return [
        Proc(
            "ovsdb-server",
            [
                ovs.OVSDB_SERVER,
                str(db),
                f"--remote=punix:{ovs.db_socket(layout)}",
                f"--pidfile={run / 'ovsdb-server.pid'}",
                f"--log-file={layout.log('ovsdb-server-own')}",
            ],
            marker=f"--remote=punix:{ovs.db_socket(layout)}",
            env=ovs.env(layout),
            stop_timeout_s=10,
        ),
        Proc(
            "ovs-vswitchd",
            [
                ovs.OVS_VSWITCHD,
                f"unix:{ovs.db_socket(layout)}",
                f"--pidfile={run / 'ovs-vswitchd.pid'}",
                f"--log-file={layout.log('ovs-vswitchd-own')}",
            ],
            marker=f"{ovs.OVS_VSWITCHD} unix:{ovs.db_socket(layout)}",
            env=ovs.env(layout),
            stop_timeout_s=15,
        ),
    ]

"""The state moves that keep an environment's objects when a stack refactoring changes their addresses."""

from __future__ import annotations

from openedx_deploy.statemoves import holds, pending_moves

GCP_OLD_STATE = [
    "module.stack.module.app.google_compute_instance.this[0]",
    "module.stack.module.mysql.module.hosts.google_compute_instance.this[0]",
    "module.stack.module.mysql.google_compute_firewall.clients[0]",
    "module.stack.module.search.module.hosts.google_compute_instance.this[0]",
    "module.stack.module.search.module.hosts.google_compute_instance.this[1]",
    "module.stack.module.search.google_compute_firewall.clients[0]",
    "module.stack.module.search.google_compute_firewall.peers[0]",
]


def test_an_old_gcp_state_moves_its_data_vms_and_firewalls_to_the_stack_level_hosts() -> None:
    assert pending_moves("gcp", GCP_OLD_STATE) == [
        ("module.stack.module.mysql.module.hosts", 'module.stack.module.data_hosts["mysql"]'),
        ("module.stack.module.search.module.hosts", 'module.stack.module.data_hosts["search"]'),
        (
            "module.stack.module.mysql.google_compute_firewall.clients",
            'module.stack.module.data_hosts["mysql"].google_compute_firewall.clients',
        ),
        (
            "module.stack.module.search.google_compute_firewall.clients",
            'module.stack.module.data_hosts["search"].google_compute_firewall.clients',
        ),
        (
            "module.stack.module.search.google_compute_firewall.peers",
            'module.stack.module.data_hosts["search"].google_compute_firewall.peers',
        ),
    ]


def test_a_moved_or_new_state_has_nothing_to_move() -> None:
    moved = [
        'module.stack.module.data_hosts["mysql"].google_compute_instance.this[0]',
        "module.stack.module.mysql.google_sql_database_instance.this[0]",
    ]
    assert pending_moves("gcp", moved) == []
    assert pending_moves("gcp", []) == []
    azure_new = [
        "module.stack.module.mysql.azurerm_mysql_flexible_server.this[0]",
        "module.stack.module.redis.azurerm_redis_cache.this[0]",
        'module.stack.module.data_hosts["mongodb"].azurerm_linux_virtual_machine.this[0]',
    ]
    assert pending_moves("azure", azure_new) == []


def test_an_old_azure_state_drops_the_module_count_then_indexes_the_resources() -> None:
    old = [
        "module.stack.module.mysql[0].azurerm_mysql_flexible_server.this",
        "module.stack.module.mysql[0].azurerm_mysql_flexible_server.replica[0]",
        "module.stack.module.mysql_hosts.azurerm_linux_virtual_machine.this[0]",
    ]
    moves = pending_moves("azure", old)
    assert moves[:2] == [
        ("module.stack.module.mysql[0]", "module.stack.module.mysql"),
        (
            "module.stack.module.mysql.azurerm_mysql_flexible_server.this",
            "module.stack.module.mysql.azurerm_mysql_flexible_server.this[0]",
        ),
    ]
    assert ("module.stack.module.mysql_hosts", 'module.stack.module.data_hosts["mysql"]') in moves
    assert len(moves) == 3, moves


def test_holds_tells_a_module_from_its_instances() -> None:
    assert holds(["module.a[0].x.y"], "module.a[0]")
    assert not holds(["module.a[0].x.y"], "module.a")
    assert holds(["module.a.x.y[0]"], "module.a.x.y")
    assert not holds(["module.a.x.yz"], "module.a.x.y")

"""Behaviour of the common role on every host of the scenario: SSH policy, deploy user, updates, time sync,
firewall. Which data ports each host's firewall opens to whom is in test_data_tier.py."""

from __future__ import annotations

from hostcheck import assert_service_running, hosts_in, only

testinfra_hosts = hosts_in("all")


def test_sshd_effective_config_refuses_root_and_passwords(host):
    assert_service_running(host, "ssh")
    effective = host.check_output("sshd -T")
    assert "permitrootlogin no" in effective
    assert "passwordauthentication no" in effective
    assert "kbdinteractiveauthentication no" in effective


def test_deploy_user_key_only_with_sudo(host):
    user = host.user("openedx")
    assert user.exists
    assert host.check_output("passwd -S openedx").split()[1] == "L"
    keys = host.file("/home/openedx/.ssh/authorized_keys")
    assert keys.contains("molecule-test-key")
    assert keys.user == "openedx"
    assert host.run("sudo -l -U openedx").stdout.count("NOPASSWD: ALL") == 1


def test_unattended_upgrades_enabled(host):
    assert host.package("unattended-upgrades").is_installed
    assert host.file("/etc/apt/apt.conf.d/20auto-upgrades").contains('Unattended-Upgrade "1"')


def test_unattended_upgrades_take_security_updates_only():
    # The dry run takes about 25 s a host and the role writes the same policy everywhere: one host shows it.
    dry_run = only("app").run("unattended-upgrade --dry-run --debug 2>&1 | grep -i 'allowed origins'")
    assert "Debian-Security" in dry_run.stdout, dry_run.stdout


def test_apt_uses_the_mirror(host):
    sources = host.file("/etc/apt/sources.list.d/debian.sources")
    assert sources.contains("URIs: http://deb.debian.org/debian$")
    policy = host.check_output("apt-cache policy")
    assert "deb.debian.org/debian-security" in policy


def test_time_sync_enabled(host):
    assert host.service("systemd-timesyncd").is_enabled
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Etc/UTC"


def test_firewall_loaded_with_default_drop(host):
    assert_service_running(host, "nftables")
    ruleset = host.check_output("nft list table inet openedx_deploy")
    assert "policy drop" in ruleset
    assert 'iif "lo" accept' in ruleset
    assert "ip saddr 192.0.2.0/24 tcp dport 22 accept" in ruleset
    assert "ip6 saddr 2001:db8::/32 tcp dport 22 accept" in ruleset


def test_firewall_opens_web_only_on_app_hosts_and_no_data_port_there():
    # An app host serves HTTP(S) to everyone (the load balancer) and opens no data-store port; a host in none of
    # the service groups opens neither.
    app = only("app").check_output("nft list table inet openedx_deploy")
    assert "dport { 80, 443 } accept" in app
    assert "3306" not in app and "6379" not in app
    other = only("other").check_output("nft list table inet openedx_deploy")
    assert "dport { 80, 443 }" not in other
    assert "3306" not in other and "6379" not in other

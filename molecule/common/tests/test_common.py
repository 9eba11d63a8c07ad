"""Behaviour of the common role on one host: SSH policy, deploy user, updates, time sync, firewall."""

from __future__ import annotations

from hostcheck import assert_service_running, hosts_in

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


def test_unattended_security_upgrades(host):
    assert host.package("unattended-upgrades").is_installed
    assert host.file("/etc/apt/apt.conf.d/20auto-upgrades").contains('Unattended-Upgrade "1"')
    dry_run = host.run("unattended-upgrade --dry-run --debug 2>&1 | grep -i 'allowed origins'")
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
    # An app host serves HTTP(S) to everyone (the load balancer) and opens no data-store port.
    assert "dport { 80, 443 } accept" in ruleset
    assert "3306" not in ruleset and "6379" not in ruleset

locals {
  project = var.project_id == "" ? null : var.project_id

  images = {
    "debian-12"    = "debian-cloud/debian-12"
    "ubuntu-24.04" = "ubuntu-os-cloud/ubuntu-2404-lts-amd64"
  }

  zones_used = slice(var.zones, 0, min(length(var.zones), max(var.instance_count, 1)))

  # The environment's host key, so that sshd presents exactly the key the inventory pins. A startup script rather
  # than cloud-init user data: Google's Debian images have no cloud-init, and the guest agent writes fresh host
  # keys on a first boot; startup scripts run after it, on every boot.
  host_key_script = <<-EOT
    #!/bin/sh
    set -eu
    umask 077
    key=$(mktemp)
    cat > "$key" <<'KEY'
    ${trimspace(var.ssh_host_key)}
    KEY
    if ! cmp -s "$key" /etc/ssh/ssh_host_ed25519_key || ls /etc/ssh/ssh_host_*_key | grep -qv ed25519; then
      rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
      mv "$key" /etc/ssh/ssh_host_ed25519_key
      echo '${trimspace(var.ssh_host_public_key)}' > /etc/ssh/ssh_host_ed25519_key.pub
      chmod 0644 /etc/ssh/ssh_host_ed25519_key.pub
      systemctl restart ssh
    fi
    rm -f "$key"
  EOT
}

resource "google_compute_instance" "this" {
  #checkov:skip=CKV_GCP_34:OS Login is off on purpose: Ansible connects as the one ssh_user whose key is in the instance metadata, and project-wide keys are blocked.
  #checkov:skip=CKV_GCP_38:Boot disks are encrypted at rest with Google-managed keys by default; a customer-managed key is optional (kms_key_self_link).
  #checkov:skip=CKV_GCP_40:Only app hosts get a public address, and only when they are the SSH entry or TLS endpoint (assign_public_ip); firewall rules limit what reaches them.
  count = var.instance_count

  name                = "${var.environment}-${var.role}-${count.index + 1}"
  project             = local.project
  zone                = var.zones[count.index % length(var.zones)]
  machine_type        = var.machine_type
  tags                = distinct(concat(["${var.environment}-${var.role}"], var.network_tags))
  labels              = merge(var.labels, { role = var.role })
  deletion_protection = var.deletion_protection
  can_ip_forward      = false

  # Lets Terraform resize the machine type in place instead of failing.
  allow_stopping_for_update = true

  boot_disk {
    auto_delete       = true
    kms_key_self_link = var.kms_key_self_link == "" ? null : var.kms_key_self_link

    initialize_params {
      # A family reference: new hosts get the family's newest image, existing ones are not replaced when it moves.
      image  = local.images[var.os_image]
      size   = var.disk_gb
      type   = var.disk_type
      labels = merge(var.labels, { role = var.role })
    }
  }

  network_interface {
    subnetwork = var.subnetwork_id
    network_ip = try(var.private_addresses[count.index], null)

    dynamic "access_config" {
      for_each = var.assign_public_ip ? [1] : []
      content {
        network_tier = "PREMIUM"
      }
    }
  }

  # A plain map (an empty startup script without a host key), so that policy scanners see block-project-ssh-keys.
  metadata = {
    ssh-keys               = "${var.ssh_user}:${trimspace(var.ssh_public_key)}"
    enable-oslogin         = false
    block-project-ssh-keys = true
    serial-port-enable     = false
    startup-script         = var.ssh_host_key == "" ? "" : local.host_key_script
  }

  service_account {
    email = var.service_account_email
    # Access is limited by the account's IAM grants, as Google recommends for dedicated service accounts.
    scopes = var.service_account_scopes
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  scheduling {
    automatic_restart   = true
    on_host_maintenance = "MIGRATE"
  }

}

resource "google_compute_instance_group" "this" {
  count = var.create_instance_group ? length(local.zones_used) : 0

  name    = "${var.environment}-${var.role}-${local.zones_used[count.index]}"
  project = local.project
  zone    = local.zones_used[count.index]
  instances = [
    for i in google_compute_instance.this : i.self_link if i.zone == local.zones_used[count.index]
  ]

  named_port {
    name = "http"
    port = var.http_port
  }
}

resource "google_compute_firewall" "public" {
  #checkov:skip=CKV_GCP_106:Port 80 is open only so that nginx can redirect to HTTPS and answer ACME HTTP-01 challenges; it serves no content.
  count = length(var.public_ports) > 0 && var.instance_count > 0 ? 1 : 0

  name          = "${var.environment}-${var.role}-public"
  project       = local.project
  network       = var.network_id
  direction     = "INGRESS"
  source_ranges = ["0.0.0.0/0"]
  target_tags   = ["${var.environment}-${var.role}"]

  allow {
    protocol = "tcp"
    ports    = [for p in var.public_ports : tostring(p)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# A data store's hosts admit its clients (and, where they replicate over the same port, each other) on its ports.
resource "google_compute_firewall" "clients" {
  count = length(var.client_ports) > 0 && var.instance_count > 0 ? 1 : 0

  name        = "${var.environment}-${var.role}-from-clients"
  project     = local.project
  network     = var.network_id
  direction   = "INGRESS"
  source_tags = concat(var.client_tags, var.peers_are_clients ? ["${var.environment}-${var.role}"] : [])
  target_tags = ["${var.environment}-${var.role}"]

  allow {
    protocol = "tcp"
    ports    = [for p in var.client_ports : tostring(p)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "peers" {
  count = length(var.peer_ports) > 0 && var.instance_count > 1 ? 1 : 0

  name        = "${var.environment}-${var.role}-peers"
  project     = local.project
  network     = var.network_id
  direction   = "INGRESS"
  source_tags = ["${var.environment}-${var.role}"]
  target_tags = ["${var.environment}-${var.role}"]

  allow {
    protocol = "tcp"
    ports    = [for p in var.peer_ports : tostring(p)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

locals {
  project = var.project_id == "" ? null : var.project_id
}

module "hosts" {
  source = "../app_hosts"

  environment           = var.environment
  project_id            = var.project_id
  role                  = "mongodb"
  instance_count        = var.host_count
  machine_type          = var.machine_type
  disk_gb               = var.disk_gb
  disk_type             = "pd-ssd"
  zones                 = var.zones
  subnetwork_id         = var.subnetwork_id
  os_image              = var.os_image
  ssh_user              = var.ssh_user
  ssh_public_key        = var.ssh_public_key
  ssh_host_key          = var.ssh_host_key
  ssh_host_public_key   = var.ssh_host_public_key
  service_account_email = var.service_account_email
  deletion_protection   = var.deletion_protection
  kms_key_self_link     = var.kms_key_name
  labels                = merge(var.labels, { mongodb_version = replace(var.mongodb_version, ".", "-") })
}

# Replica set members talk to each other on the same port as clients.
resource "google_compute_firewall" "clients" {
  count = var.host_count > 0 ? 1 : 0

  name        = "${var.environment}-mongodb-from-clients"
  project     = local.project
  network     = var.network_id
  direction   = "INGRESS"
  source_tags = concat(var.client_tags, [module.hosts.network_tag])
  target_tags = [module.hosts.network_tag]

  allow {
    protocol = "tcp"
    ports    = ["27017"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

locals {
  project = var.project_id == "" ? null : var.project_id

  client_port = var.engine == "meilisearch" ? 7700 : 9200
  # Elasticsearch/OpenSearch nodes form a cluster over the transport port; Meilisearch has no cluster.
  peer_port = var.engine == "meilisearch" ? null : 9300
}

module "hosts" {
  source = "../app_hosts"

  environment           = var.environment
  project_id            = var.project_id
  role                  = "search"
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
  labels                = merge(var.labels, { search_engine = var.engine, search_version = replace(var.search_version, ".", "-") })
}

resource "google_compute_firewall" "clients" {
  count = var.host_count > 0 ? 1 : 0

  name        = "${var.environment}-search-from-clients"
  project     = local.project
  network     = var.network_id
  direction   = "INGRESS"
  source_tags = var.client_tags
  target_tags = [module.hosts.network_tag]

  allow {
    protocol = "tcp"
    ports    = [tostring(local.client_port)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "peers" {
  count = var.host_count > 1 && local.peer_port != null ? 1 : 0

  name        = "${var.environment}-search-peers"
  project     = local.project
  network     = var.network_id
  direction   = "INGRESS"
  source_tags = [module.hosts.network_tag]
  target_tags = [module.hosts.network_tag]

  allow {
    protocol = "tcp"
    ports    = [tostring(local.peer_port)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

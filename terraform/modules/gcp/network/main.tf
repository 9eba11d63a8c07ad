locals {
  project = var.project_id == "" ? null : var.project_id

  # /16 split in /20 blocks: 0 app, 1 worker, 2 data, 8 private service access (Cloud SQL, Memorystore), 9 Filestore.
  subnets = {
    app    = cidrsubnet(var.network_cidr, 4, 0)
    worker = cidrsubnet(var.network_cidr, 4, 1)
    data   = cidrsubnet(var.network_cidr, 4, 2)
  }
  psa_range = cidrsubnet(var.network_cidr, 4, 8)
  # Block 9 starts with the /29 a Filestore instance (the shared_files module) peers in: outside every subnet, as
  # DIRECT_PEERING requires.
  filestore_range = cidrsubnet(cidrsubnet(var.network_cidr, 4, 9), 25 - tonumber(split("/", var.network_cidr)[1]), 0)

  # Network tags the host modules put on their instances; firewall rules select hosts by them.
  tags = {
    app     = "${var.environment}-app"
    worker  = "${var.environment}-worker"
    mysql   = "${var.environment}-mysql"
    mongodb = "${var.environment}-mongodb"
    redis   = "${var.environment}-redis"
    search  = "${var.environment}-search"
    bastion = "${var.environment}-bastion"
  }
}

resource "google_compute_network" "this" {
  name                    = "${var.environment}-vpc"
  project                 = local.project
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
  description             = "Open edX environment ${var.environment}"
}

resource "google_compute_subnetwork" "this" {
  #checkov:skip=CKV_GCP_76:The subnets are IPv4-only (no IPv6 stack), so there is no IPv6 traffic to Google APIs to enable; IPv4 private Google access is on.
  for_each = local.subnets

  name                     = "${var.environment}-${each.key}"
  project                  = local.project
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = each.value
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_5_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Hosts have no public address by default, so egress (apt, image registry, PyPI) goes through Cloud NAT.
resource "google_compute_router" "this" {
  name    = "${var.environment}-router"
  project = local.project
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  name                               = "${var.environment}-nat"
  project                            = local.project
  region                             = var.region
  router                             = google_compute_router.this.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

resource "google_compute_global_address" "private_service_access" {
  count = var.create_private_service_access ? 1 : 0

  name          = "${var.environment}-psa"
  project       = local.project
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  address       = cidrhost(local.psa_range, 0)
  prefix_length = tonumber(split("/", local.psa_range)[1])
  network       = google_compute_network.this.id
  labels        = var.labels
}

resource "google_service_networking_connection" "private_service_access" {
  count = var.create_private_service_access ? 1 : 0

  network                 = google_compute_network.this.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_service_access[0].name]
}

resource "google_compute_firewall" "ssh_from_operators" {
  count = length(var.ssh_allowed_cidrs) > 0 ? 1 : 0

  name          = "${var.environment}-ssh-from-operators"
  project       = local.project
  network       = google_compute_network.this.id
  direction     = "INGRESS"
  source_ranges = var.ssh_allowed_cidrs
  # Only the bastion: it is the one way in to the private hosts.
  target_tags = [local.tags.bastion]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "ssh_from_iap" {
  count = var.ssh_from_iap ? 1 : 0

  name          = "${var.environment}-ssh-from-iap"
  project       = local.project
  network       = google_compute_network.this.id
  direction     = "INGRESS"
  source_ranges = ["35.235.240.0/20"]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# The bastion is the SSH jump host for every other host.
resource "google_compute_firewall" "ssh_from_bastion" {
  name        = "${var.environment}-ssh-from-bastion"
  project     = local.project
  network     = google_compute_network.this.id
  direction   = "INGRESS"
  source_tags = [local.tags.bastion]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

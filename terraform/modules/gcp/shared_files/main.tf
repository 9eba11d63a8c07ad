# Filestore: the file system the app and worker hosts share at /var/lib/openedx outside single (the lms and cms data
# directories and the media: docs/openedx-settings.md, "Several hosts"), so a file one host writes is there for all.

locals {
  project = var.project_id == "" ? null : var.project_id
}

resource "google_filestore_instance" "this" {
  count = var.create ? 1 : 0

  name        = "${var.environment}-shared"
  project     = local.project
  location    = var.zone
  description = "Open edX ${var.environment}: the app and worker hosts' /var/lib/openedx"
  # Basic HDD: the smallest and cheapest tier (1 TiB at least), zonal, NFSv3.
  tier = var.tier

  file_shares {
    name        = var.share_name
    capacity_gb = var.capacity_gb

    # Filestore is reached by peering, where the VPC's firewall rules do not apply: the export admits the app and
    # worker subnets only. Root keeps its rights (the roles create and chown the directories as root).
    nfs_export_options {
      ip_ranges   = var.client_cidrs
      access_mode = "READ_WRITE"
      squash_mode = "NO_ROOT_SQUASH"
    }
  }

  networks {
    network           = var.network_name
    modes             = ["MODE_IPV4"]
    connect_mode      = "DIRECT_PEERING"
    reserved_ip_range = var.reserved_ip_range
  }

  deletion_protection_enabled = var.deletion_protection
  deletion_protection_reason  = var.deletion_protection ? "Uploads and course imports of Open edX environment ${var.environment}" : null
  kms_key_name                = var.kms_key_name == "" ? null : var.kms_key_name
  labels                      = var.labels
}

locals {
  project = var.project_id == "" ? null : var.project_id

  memorystore_versions = {
    "6.x" = "REDIS_6_X"
    "7.0" = "REDIS_7_0"
    "7.2" = "REDIS_7_2"
    "7.4" = "REDIS_7_2"
  }
}

resource "google_redis_instance" "this" {
  count = var.create ? 1 : 0

  name           = "${var.environment}-redis"
  project        = local.project
  region         = var.region
  display_name   = "Open edX ${var.environment} broker and cache"
  tier           = var.ha ? "STANDARD_HA" : "BASIC"
  memory_size_gb = var.memory_size_gb
  # An unknown version fails the plan here with the key in the message, before anything is created.
  redis_version           = local.memorystore_versions[var.redis_version]
  location_id             = var.zones[0]
  alternative_location_id = var.ha && length(var.zones) > 1 ? var.zones[1] : null
  authorized_network      = var.network_id
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  reserved_ip_range       = var.private_service_access_range
  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION"
  customer_managed_key    = var.kms_key_name == "" ? null : var.kms_key_name
  labels                  = var.labels

  # Celery keeps its queues here; snapshots let a restarted instance come back with them.
  persistence_config {
    persistence_mode    = "RDB"
    rdb_snapshot_period = "TWELVE_HOURS"
  }

  maintenance_policy {
    weekly_maintenance_window {
      day = "SUNDAY"
      start_time {
        hours   = 4
        minutes = 0
      }
    }
  }
}

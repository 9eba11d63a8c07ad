locals {
  project = var.project_id == "" ? null : var.project_id

  database_version = "MYSQL_${replace(var.mysql_version, ".", "_")}"
  standby_zone     = length(var.zones) > 1 ? var.zones[1] : null

  ip_configuration = {
    private_network    = var.network_id
    allocated_ip_range = var.private_service_access_range
  }

  # local_infile lets a client read files from the server host; Open edX never needs it.
  database_flags = {
    local_infile       = "off"
    skip_show_database = "on"
  }
}

resource "google_sql_database_instance" "this" {
  #checkov:skip=CKV_GCP_6:This check reads require_ssl, which google provider 6.x removed; ssl_mode = ENCRYPTED_ONLY below rejects unencrypted connections.
  #checkov:skip=CKV_GCP_79:The check's list of latest versions stops at MYSQL_8_0; MYSQL_8_4 (the default here) is newer, and 8.0 stays selectable for older releases.
  count = var.create ? 1 : 0

  name                = "${var.environment}-mysql"
  project             = local.project
  region              = var.region
  database_version    = local.database_version
  root_password       = var.admin_password == "" ? null : var.admin_password
  encryption_key_name = var.kms_key_name == "" ? null : var.kms_key_name
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.machine_type
    edition                     = var.edition
    availability_type           = var.ha ? "REGIONAL" : "ZONAL"
    disk_type                   = "PD_SSD"
    disk_size                   = var.disk_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    retain_backups_on_delete    = var.deletion_protection
    user_labels                 = var.labels

    ip_configuration {
      ipv4_enabled       = false
      private_network    = local.ip_configuration.private_network
      allocated_ip_range = local.ip_configuration.allocated_ip_range
      ssl_mode           = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      binary_log_enabled             = true
      start_time                     = var.backup_start_time
      transaction_log_retention_days = min(var.backup_retention_days, 7)

      backup_retention_settings {
        retained_backups = var.backup_retention_days
        retention_unit   = "COUNT"
      }
    }

    location_preference {
      zone           = var.zones[0]
      secondary_zone = var.ha ? local.standby_zone : null
    }

    maintenance_window {
      day          = 7
      hour         = 4
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      record_client_address   = false
      record_application_tags = false
    }

    dynamic "database_flags" {
      for_each = local.database_flags
      content {
        name  = database_flags.key
        value = database_flags.value
      }
    }
  }
}

resource "google_sql_database_instance" "replica" {
  #checkov:skip=CKV_GCP_6:This check reads require_ssl, which google provider 6.x removed; ssl_mode = ENCRYPTED_ONLY below rejects unencrypted connections.
  #checkov:skip=CKV_GCP_79:The check's list of latest versions stops at MYSQL_8_0; MYSQL_8_4 (the default here) is newer, and 8.0 stays selectable for older releases.
  #checkov:skip=CKV2_GCP_20:Cloud SQL read replicas cannot take backups or binary-log recovery of their own; the primary has both.
  count = var.create && var.read_replica ? 1 : 0

  name                 = "${var.environment}-mysql-replica"
  project              = local.project
  region               = var.region
  database_version     = local.database_version
  master_instance_name = google_sql_database_instance.this[0].name
  encryption_key_name  = var.kms_key_name == "" ? null : var.kms_key_name
  deletion_protection  = var.deletion_protection

  replica_configuration {
    failover_target = false
  }

  settings {
    tier                        = var.machine_type
    edition                     = var.edition
    availability_type           = "ZONAL"
    disk_type                   = "PD_SSD"
    disk_size                   = var.disk_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = var.labels

    ip_configuration {
      ipv4_enabled       = false
      private_network    = local.ip_configuration.private_network
      allocated_ip_range = local.ip_configuration.allocated_ip_range
      ssl_mode           = "ENCRYPTED_ONLY"
    }

    # A replica takes no backups of its own; the primary's cover it.
    backup_configuration {
      enabled = false
    }

    location_preference {
      zone = coalesce(local.standby_zone, var.zones[0])
    }

    dynamic "database_flags" {
      for_each = local.database_flags
      content {
        name  = database_flags.key
        value = database_flags.value
      }
    }
  }
}

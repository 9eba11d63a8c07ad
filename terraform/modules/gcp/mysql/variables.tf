variable "environment" {
  description = "Environment name: prefix of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must match [a-z][a-z0-9-]{1,30}."
  }
}

variable "project_id" {
  description = "Project to create the resources in; empty uses the provider's project."
  type        = string
  default     = ""
}

variable "zones" {
  description = "Zones of the instance: the first holds the primary, the second its standby (ha) or read replica."
  type        = list(string)

  validation {
    condition     = length(var.zones) > 0
    error_message = "Give at least one zone."
  }
}

variable "network_id" {
  description = "VPC network the instance takes its private IP in."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the instance from deletion (Terraform's and Cloud SQL's own deletion protection), and keep its backups after deletion."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}

variable "kms_key_name" {
  description = "Cloud KMS key (CMEK) for the store's disks; empty: Google-managed encryption at rest, which is always on."
  type        = string
  default     = ""
}

variable "region" {
  description = "Region of the Cloud SQL instance."
  type        = string
}

variable "create" {
  description = "Whether to create the Cloud SQL instance (mysql_mode managed); false creates nothing: self-hosted MySQL runs on the hosts the stack places."
  type        = bool
  default     = true
}

variable "mysql_version" {
  description = "MySQL major version: 8.4 or 8.0."
  type        = string
  default     = "8.4"

  validation {
    condition     = contains(["8.0", "8.4"], var.mysql_version)
    error_message = "The mysql_version must be 8.0 or 8.4."
  }
}

variable "machine_type" {
  description = "Cloud SQL tier, e.g. db-custom-2-7680."
  type        = string
}

variable "edition" {
  description = "Cloud SQL edition: ENTERPRISE (db-custom-*/db-n1-* tiers) or ENTERPRISE_PLUS (db-perf-optimized-N-* tiers). Cloud SQL picks ENTERPRISE_PLUS for MySQL 8.4 when unset, hence the explicit default."
  type        = string
  default     = "ENTERPRISE"

  validation {
    condition     = contains(["ENTERPRISE", "ENTERPRISE_PLUS"], var.edition)
    error_message = "The edition must be ENTERPRISE or ENTERPRISE_PLUS."
  }
}

variable "disk_gb" {
  description = "Storage size in GB (Cloud SQL grows it automatically)."
  type        = number
  default     = 100

  validation {
    condition     = var.disk_gb >= 10
    error_message = "The disk_gb must be at least 10."
  }
}

variable "ha" {
  description = "REGIONAL availability: a standby in the second zone with automatic failover."
  type        = bool
  default     = false
}

variable "read_replica" {
  description = "A Cloud SQL read replica in the second zone."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Daily automated backups kept (managed); binary logs are kept for up to 7 of these days."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 365
    error_message = "The backup_retention_days must be between 1 and 365."
  }
}

variable "backup_start_time" {
  description = "UTC start of the daily backup window, HH:MM."
  type        = string
  default     = "03:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_start_time))
    error_message = "The backup_start_time must be HH:MM (24-hour, UTC)."
  }
}

variable "admin_password" {
  description = "Password of the Cloud SQL `root` user. Empty leaves it unset, and the instance must then be given one (e.g. with gcloud sql users set-password) before use."
  type        = string
  default     = ""
  sensitive   = true
}

variable "private_service_access_range" {
  description = "Name of the private service access range (from the network module) the Cloud SQL private IP comes from."
  type        = string
  default     = null
}

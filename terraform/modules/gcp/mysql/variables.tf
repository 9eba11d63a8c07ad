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
  description = "Zones to spread the hosts (or the managed instance's standby) over."
  type        = list(string)

  validation {
    condition     = length(var.zones) > 0
    error_message = "Give at least one zone."
  }
}

variable "network_id" {
  description = "VPC network the store is reachable in (firewall rules, private IP)."
  type        = string
}

variable "subnetwork_id" {
  description = "Subnetwork of the self-hosted VMs (the data tier)."
  type        = string
}

variable "client_tags" {
  description = "Network tags of the hosts allowed to connect (the app and worker tiers)."
  type        = list(string)

  validation {
    condition     = length(var.client_tags) > 0
    error_message = "Give at least one client network tag."
  }
}

variable "os_image" {
  description = "Base image of the VMs: debian-12 or ubuntu-24.04."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.os_image)
    error_message = "The os_image must be debian-12 or ubuntu-24.04."
  }
}

variable "ssh_user" {
  description = "SSH user of the VMs."
  type        = string
}

variable "ssh_public_key" {
  description = "OpenSSH public key text for ssh_user."
  type        = string
}

variable "service_account_email" {
  description = "Service account the VMs run as."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the store (VMs or managed instance) from deletion."
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

variable "mode" {
  description = "managed (Cloud SQL for MySQL) or self_hosted (VMs configured by the mysql role)."
  type        = string
  default     = "managed"

  validation {
    condition     = contains(["managed", "self_hosted"], var.mode)
    error_message = "The mode must be managed or self_hosted."
  }
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
  description = "Cloud SQL tier (e.g. db-custom-2-7680) when managed; Compute Engine machine type (e.g. e2-standard-2) when self-hosted."
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
  description = "Storage size in GB (Cloud SQL grows it automatically; VMs get a boot disk of this size)."
  type        = number
  default     = 100

  validation {
    condition     = var.disk_gb >= 10
    error_message = "The disk_gb must be at least 10."
  }
}

variable "ha" {
  description = "Managed: REGIONAL availability (standby in a second zone). Self-hosted: no effect here (the VMs are host_count)."
  type        = bool
  default     = false
}

variable "read_replica" {
  description = "Managed: a Cloud SQL read replica. Self-hosted: no effect here (the VMs are host_count)."
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

variable "host_count" {
  description = "Self-hosted VMs: 1, or 2 for the mysql role to replicate to; 0 when managed or when MySQL runs on the app host (single profile). The caller decides."
  type        = number
  default     = 0

  validation {
    condition     = var.host_count >= 0 && floor(var.host_count) == var.host_count
    error_message = "The host_count must be a whole number, 0 or more."
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

variable "ssh_host_key" {
  description = "The environment's ed25519 SSH host key (OpenSSH private format) the hosts present; \"\" leaves the image's own keys."
  type        = string
  default     = ""
  sensitive   = true
}

variable "ssh_host_public_key" {
  description = "Public half of ssh_host_key (ssh-ed25519 ...)."
  type        = string
  default     = ""
}

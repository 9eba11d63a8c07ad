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
  description = "Region of the Memorystore instance."
  type        = string
}

variable "mode" {
  description = "managed (Memorystore for Redis) or self_hosted (a VM configured by the redis role)."
  type        = string
  default     = "managed"

  validation {
    condition     = contains(["managed", "self_hosted"], var.mode)
    error_message = "The mode must be managed or self_hosted."
  }
}

variable "redis_version" {
  description = "Redis version, e.g. 7.4. Memorystore for Redis offers up to 7.2, so 7.4 runs as REDIS_7_2 when managed (the commands Celery and Django's cache use are the same)."
  type        = string
  default     = "7.4"

  validation {
    condition     = can(regex("^[67]\\.[0-9x]+$", var.redis_version))
    error_message = "The redis_version must be a 6.x or 7.x version such as 7.2 or 7.4."
  }
}

variable "memory_size_gb" {
  description = "Managed only: Memorystore capacity in GB."
  type        = number
  default     = 1

  validation {
    condition     = var.memory_size_gb >= 1 && var.memory_size_gb <= 300
    error_message = "The memory_size_gb must be between 1 and 300."
  }
}

variable "machine_type" {
  description = "Self-hosted only: Compute Engine machine type of the VM."
  type        = string
  default     = "e2-standard-2"
}

variable "disk_gb" {
  description = "Self-hosted only: boot disk size in GB."
  type        = number
  default     = 20
}

variable "ha" {
  description = "Managed: STANDARD_HA tier (replica in another zone, automatic failover). Self-hosted: no effect (the VMs are host_count)."
  type        = bool
  default     = false
}

variable "host_count" {
  description = "Self-hosted VMs: 1 (nothing replicates Redis); 0 when managed or when Redis runs on the app host (single profile). The caller decides."
  type        = number
  default     = 0

  validation {
    condition     = var.host_count >= 0 && floor(var.host_count) == var.host_count
    error_message = "The host_count must be a whole number, 0 or more."
  }
}

variable "private_service_access_range" {
  description = "Name of the private service access range (from the network module) Memorystore takes its address from."
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

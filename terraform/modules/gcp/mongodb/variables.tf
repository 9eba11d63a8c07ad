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

variable "mode" {
  description = "Only self_hosted: Google offers no managed MongoDB-compatible service this toolkit supports (see docs/clouds-gcp.md)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = var.mode == "self_hosted"
    error_message = "On GCP the mongodb mode must be self_hosted: there is no managed MongoDB-compatible service from Google that Open edX supports."
  }
}

variable "mongodb_version" {
  description = "MongoDB version the role installs (a label on the VMs here), e.g. 7.0."
  type        = string
  default     = "7.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.mongodb_version))
    error_message = "The mongodb_version must look like 7.0."
  }
}

variable "host_count" {
  description = "Number of VMs: 1, or 3 (or more, odd) for a replica set; 0 when MongoDB runs on the app host (single profile)."
  type        = number
  default     = 1

  validation {
    condition     = var.host_count >= 0 && floor(var.host_count) == var.host_count && (var.host_count < 2 || var.host_count % 2 == 1)
    error_message = "The host_count must be 0, 1 or an odd number (a replica set needs a majority)."
  }
}

variable "machine_type" {
  description = "Compute Engine machine type of the VMs."
  type        = string
  default     = "e2-standard-2"
}

variable "disk_gb" {
  description = "Boot disk size in GB (holds the data)."
  type        = number
  default     = 100
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

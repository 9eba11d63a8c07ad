variable "name" {
  description = "Name prefix of the hosts (<name>-1, ...) or name of the managed cluster (global, 3-40 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "The name must be 3-40 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "mode" {
  description = "self_hosted: VMs for the Ansible mongodb role (replica set). managed: Azure Cosmos DB for MongoDB (vCore), see the module README for its compatibility limits."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["self_hosted", "managed"], var.mode)
    error_message = "The mode must be self_hosted or managed."
  }
}

variable "location" {
  description = "Azure region (location)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the hosts or the cluster."
  type        = string
}

variable "mongodb_version" {
  description = "MongoDB server version; for managed the wire-protocol version the vCore cluster offers (5.0, 6.0, 7.0, 8.0)."
  type        = string
  default     = "7.0"

  validation {
    condition     = contains(["5.0", "6.0", "7.0", "8.0"], var.mongodb_version)
    error_message = "The mongodb_version must be 5.0, 6.0, 7.0 or 8.0."
  }
}

variable "host_count" {
  description = "Number of VMs when self-hosted (1, or 3+ odd for a replica set that survives a host loss)."
  type        = number
  default     = 1

  validation {
    condition     = var.host_count >= 0 && var.host_count <= 7 && floor(var.host_count) == var.host_count
    error_message = "The host_count must be a whole number from 0 to 7."
  }
}

variable "machine_type" {
  description = "VM size when self-hosted (e.g. Standard_E2s_v5), or vCore compute tier when managed (M25, M30, M40, ...); a VM size given with managed falls back to M30."
  type        = string
  default     = "Standard_E2s_v5"
}

variable "disk_gb" {
  description = "OS disk (self-hosted, holds the data) or cluster storage (managed) in GB."
  type        = number
  default     = 100

  validation {
    condition     = var.disk_gb >= 32 && var.disk_gb <= 4095
    error_message = "The disk_gb must be from 32 to 4095."
  }
}

variable "high_availability" {
  description = "Managed only: keep a zone-redundant standby of the cluster."
  type        = bool
  default     = false
}

variable "zones" {
  description = "Availability zones the self-hosted VMs are spread over."
  type        = list(string)
  default     = []
}

variable "subnet_id" {
  description = "Data subnet: the VMs' interfaces or the managed cluster's private endpoint go here."
  type        = string
}

variable "virtual_network_id" {
  description = "VNet the private DNS zone of the managed cluster is linked to."
  type        = string
}

variable "os_image" {
  description = "Base image of the self-hosted VMs: debian-12 or ubuntu-24.04."
  type        = string
  default     = "debian-12"
}

variable "ssh_user" {
  description = "Administrator user of the self-hosted VMs."
  type        = string
  default     = "openedx"
}

variable "ssh_public_key" {
  description = "OpenSSH public key of ssh_user on the self-hosted VMs."
  type        = string
}

variable "encryption_at_host" {
  description = "Encryption at host for the self-hosted VMs."
  type        = bool
  default     = true
}

variable "administrator_username" {
  description = "Administrator of the managed cluster."
  type        = string
  default     = "openedxadmin"
}

variable "administrator_password" {
  description = "Password of the managed cluster's administrator (8-256 characters); pass it as TF_VAR_mongodb_admin_password. Unused when self-hosted."
  type        = string
  default     = ""
  sensitive   = true
}

variable "deletion_protection" {
  description = "Put a CanNotDelete management lock on the managed cluster."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every taggable resource; must carry the environment tag."
  type        = map(string)
  default     = {}

  validation {
    condition     = contains(keys(var.tags), "environment")
    error_message = "The tags must include an environment key."
  }
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

variable "name" {
  description = "Name of the cluster (global, 3-40 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "The name must be 3-40 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "create" {
  description = "Whether to create the Cosmos DB for MongoDB (vCore) cluster (mongodb_mode managed); false creates nothing: self-hosted MongoDB runs on the hosts the stack places."
  type        = bool
  default     = true
}

variable "location" {
  description = "Azure region (location)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the cluster."
  type        = string
}

variable "mongodb_version" {
  description = "The wire-protocol version the vCore cluster offers (5.0, 6.0, 7.0, 8.0)."
  type        = string
  default     = "7.0"

  validation {
    condition     = contains(["5.0", "6.0", "7.0", "8.0"], var.mongodb_version)
    error_message = "The mongodb_version must be 5.0, 6.0, 7.0 or 8.0."
  }
}

variable "machine_type" {
  description = "vCore compute tier (M25, M30, M40, ...); anything else (a VM size) falls back to M30."
  type        = string
  default     = "Standard_E2s_v5"
}

variable "disk_gb" {
  description = "Cluster storage in GB."
  type        = number
  default     = 100

  validation {
    condition     = var.disk_gb >= 32 && var.disk_gb <= 4095
    error_message = "The disk_gb must be from 32 to 4095."
  }
}

variable "high_availability" {
  description = "Keep a zone-redundant standby of the cluster."
  type        = bool
  default     = false
}

variable "subnet_id" {
  description = "Data subnet: the cluster's private endpoint goes here."
  type        = string
}

variable "virtual_network_id" {
  description = "VNet the private DNS zone of the cluster is linked to."
  type        = string
}

variable "administrator_username" {
  description = "Administrator of the cluster."
  type        = string
  default     = "openedxadmin"
}

variable "administrator_password" {
  description = "Password of the cluster's administrator (8-256 characters); pass it as TF_VAR_mongodb_admin_password."
  type        = string
  default     = ""
  sensitive   = true
}

variable "deletion_protection" {
  description = "Put a CanNotDelete management lock on the cluster."
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

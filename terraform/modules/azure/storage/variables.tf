variable "environment" {
  description = "Environment name; names the managed identity and is written to the environment tag."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must start with a lowercase letter and hold 2-31 lowercase letters, digits or hyphens."
  }
}

variable "bucket_prefix" {
  description = "Prefix the storage account name is made from: lowercased, stripped to letters and digits, cut to 24 characters (Azure's rule for account names, which are global)."
  type        = string

  validation {
    condition     = length(replace(lower(var.bucket_prefix), "/[^a-z0-9]/", "")) >= 3
    error_message = "The bucket_prefix must hold at least 3 letters or digits (the storage account name is made of them)."
  }
}

variable "location" {
  description = "Azure region (location) of the storage account."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the storage account and the identity."
  type        = string
}

variable "containers" {
  description = "Private blob containers to create in the account."
  type        = list(string)
  default     = ["uploads", "exports", "grades", "backups"]

  validation {
    condition     = alltrue([for c in var.containers : can(regex("^[a-z0-9](-?[a-z0-9]){2,62}$", c))])
    error_message = "Each container name must be 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit."
  }
}

variable "versioning" {
  description = "Keep previous versions of overwritten or deleted blobs."
  type        = bool
  default     = true
}

variable "noncurrent_version_retention_days" {
  description = "Delete previous blob versions this many days after they stop being current (0 keeps them for ever)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_retention_days >= 0 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "The noncurrent_version_retention_days must be a whole number of days, 0 or more."
  }
}

variable "soft_delete_retention_days" {
  description = "Days deleted blobs and containers stay recoverable."
  type        = number
  default     = 14

  validation {
    condition     = var.soft_delete_retention_days >= 1 && var.soft_delete_retention_days <= 365
    error_message = "The soft_delete_retention_days must be from 1 to 365."
  }
}

variable "replication_type" {
  description = "Account replication: LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS."
  type        = string
  default     = "GZRS"

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.replication_type)
    error_message = "The replication_type must be one of LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS."
  }
}

variable "shared_access_key_enabled" {
  description = "Allow account-key (shared key) authorization. Off by default: the hosts authenticate with their managed identity and sign download URLs with user delegation keys."
  type        = bool
  default     = false
}

variable "allowed_subnet_ids" {
  description = "Subnets (with the Microsoft.Storage service endpoint) allowed through the account firewall."
  type        = list(string)
  default     = []
}

variable "allowed_ip_ranges" {
  description = "Public IPv4 addresses or CIDRs allowed through the account firewall (e.g. operators' networks); private ranges are not accepted by Azure here."
  type        = list(string)
  default     = []
}

variable "deletion_protection" {
  description = "Put a CanNotDelete management lock on the storage account."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every taggable resource; an environment tag is always added."
  type        = map(string)
  default     = {}
}

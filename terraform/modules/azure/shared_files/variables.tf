variable "create" {
  description = "Create the storage account and its NFS share (every profile but single, where one host has nothing to share); false creates nothing."
  type        = bool
  default     = true
}

variable "environment" {
  description = "Environment name, written to the environment tag."
  type        = string
}

variable "account_name" {
  description = "Name of the premium FileStorage account: 3-24 lowercase letters and digits, unique in Azure (the first label of <name>.file.core.windows.net)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.account_name))
    error_message = "The account_name must be 3-24 lowercase letters and digits."
  }
}

variable "location" {
  description = "Azure region (location) of the account."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the account."
  type        = string
}

variable "replication_type" {
  description = "Replication of the premium account: LRS, or ZRS across the region's zones (NFS shares offer no geo-redundancy)."
  type        = string
  default     = "LRS"

  validation {
    condition     = contains(["LRS", "ZRS"], var.replication_type)
    error_message = "The replication_type must be LRS or ZRS (premium file shares offer no other)."
  }
}

variable "share_name" {
  description = "Name of the NFS share: the path hosts mount is /<account_name>/<share_name>."
  type        = string
  default     = "openedx"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])?$", var.share_name))
    error_message = "The share_name must be 3-63 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "quota_gb" {
  description = "Provisioned size of the share in GiB (premium shares bill and perform by it): 100 to 102400."
  type        = number
  default     = 100

  validation {
    condition     = var.quota_gb >= 100 && var.quota_gb <= 102400 && floor(var.quota_gb) == var.quota_gb
    error_message = "The quota_gb must be a whole number from 100 (the premium minimum) to 102400."
  }
}

variable "soft_delete_retention_days" {
  description = "Days a deleted share can be restored."
  type        = number
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days >= 1 && var.soft_delete_retention_days <= 365
    error_message = "The soft_delete_retention_days must be between 1 and 365."
  }
}

variable "allowed_subnet_ids" {
  description = "Subnets that may mount the share (their Microsoft.Storage service endpoints): the app and worker subnets."
  type        = list(string)

  validation {
    condition     = length(var.allowed_subnet_ids) > 0
    error_message = "The allowed_subnet_ids must name at least one subnet (the app subnet)."
  }
}

variable "deletion_protection" {
  description = "Put a CanNotDelete lock on the account (the files are data: uploads, course imports)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource (environment is always added)."
  type        = map(string)
  default     = {}
}

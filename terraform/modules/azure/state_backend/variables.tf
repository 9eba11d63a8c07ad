variable "storage_account_name" {
  description = "Name of the state storage account: 3-24 lowercase letters and digits, globally unique."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.storage_account_name))
    error_message = "The storage_account_name must be 3-24 lowercase letters and digits."
  }
}

variable "container_name" {
  description = "Blob container that holds the state files."
  type        = string
  default     = "tfstate"

  validation {
    condition     = can(regex("^[a-z0-9](-?[a-z0-9]){2,62}$", var.container_name))
    error_message = "The container_name must be 3-63 lowercase letters, digits and single hyphens."
  }
}

variable "resource_group_name" {
  description = "Resource group of the state account; kept apart from the environments' groups so destroying one never takes the state with it."
  type        = string
}

variable "create_resource_group" {
  description = "Create resource_group_name (false: it exists already)."
  type        = bool
  default     = true
}

variable "location" {
  description = "Azure region (location)."
  type        = string
}

variable "replication_type" {
  description = "Replication of the state account: ZRS, GRS, RAGRS, GZRS or RAGZRS."
  type        = string
  default     = "GZRS"

  validation {
    condition     = contains(["ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.replication_type)
    error_message = "The replication_type must be ZRS, GRS, RAGRS, GZRS or RAGZRS (state deserves more than one copy in one datacentre)."
  }
}

variable "allowed_ip_ranges" {
  description = "Public CIDRs of the places Terraform runs from; empty leaves the account firewall open (Entra ID authorization still applies)."
  type        = list(string)
  default     = []
}

variable "soft_delete_retention_days" {
  description = "Days deleted state blobs and containers stay recoverable."
  type        = number
  default     = 30

  validation {
    condition     = var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 365
    error_message = "The soft_delete_retention_days must be from 7 to 365."
  }
}

variable "deletion_protection" {
  description = "Put a CanNotDelete management lock on the state account."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every taggable resource."
  type        = map(string)
  default     = {}
}

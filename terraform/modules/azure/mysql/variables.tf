variable "create" {
  description = "Whether to create the Flexible Server (mysql_mode managed); false creates nothing: self-hosted MySQL runs on the hosts the stack places."
  type        = bool
  default     = true
}

variable "name" {
  description = "Server name (also the first label of its host name, so globally unique): 3-63 lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.name))
    error_message = "The name must be 3-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment name, written to the environment tag."
  type        = string
}

variable "location" {
  description = "Azure region (location) of the server."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the server and its private DNS zone."
  type        = string
}

variable "server_version" {
  description = "MySQL major version as the azurerm provider spells it: 8.4 (provider releases from late 2025 on), 8.0.21 (means the 8.0 line) or 5.7."
  type        = string
  default     = "8.4"

  validation {
    condition     = contains(["8.4", "8.0.21", "5.7"], var.server_version)
    error_message = "The server_version must be 8.4, 8.0.21 or 5.7 (the values azurerm_mysql_flexible_server accepts)."
  }
}

variable "sku_name" {
  description = "Compute SKU, <tier>_<size>: B_ (Burstable, no HA), GP_ (General Purpose) or MO_ (Business Critical), e.g. GP_Standard_D2ds_v4."
  type        = string
  default     = "GP_Standard_D2ds_v4"

  validation {
    condition     = can(regex("^(B|GP|MO)_Standard_[A-Za-z0-9_]+$", var.sku_name))
    error_message = "The sku_name must look like B_Standard_B2s, GP_Standard_D2ds_v4 or MO_Standard_E4ds_v4."
  }
}

variable "storage_gb" {
  description = "Allocated storage in GB (grows automatically from there)."
  type        = number
  default     = 100

  validation {
    condition     = var.storage_gb >= 20 && var.storage_gb <= 16384
    error_message = "The storage_gb must be from 20 to 16384."
  }
}

variable "delegated_subnet_id" {
  description = "Subnet delegated to Microsoft.DBforMySQL/flexibleServers; the server gets a private address there and no public endpoint."
  type        = string
}

variable "virtual_network_id" {
  description = "VNet the private DNS zone of the server is linked to, so the hosts resolve its name."
  type        = string
}

variable "zone" {
  description = "Availability zone of the primary (\"1\", \"2\", \"3\"); empty lets Azure choose."
  type        = string
  default     = ""

  validation {
    condition     = contains(["", "1", "2", "3"], var.zone)
    error_message = "The zone must be \"\", \"1\", \"2\" or \"3\"."
  }
}

variable "high_availability" {
  description = "Run a zone-redundant standby with synchronous replication and automatic failover (not available on Burstable B_ SKUs)."
  type        = bool
  default     = false
}

variable "standby_zone" {
  description = "Availability zone of the standby when high_availability is on; must differ from zone. Empty lets Azure choose."
  type        = string
  default     = ""

  validation {
    condition     = contains(["", "1", "2", "3"], var.standby_zone)
    error_message = "The standby_zone must be \"\", \"1\", \"2\" or \"3\"."
  }
}

variable "read_replica" {
  description = "Create one read replica in the same region and subnet."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days automated backups (point-in-time restore window) are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "The backup_retention_days must be from 1 to 35 (Azure's limits)."
  }
}

variable "geo_redundant_backup" {
  description = "Copy backups to the paired region (only at creation; not in every region)."
  type        = bool
  default     = true
}

variable "administrator_login" {
  description = "Name of the server administrator."
  type        = string
  default     = "openedxadmin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,31}$", var.administrator_login)) && !contains(["admin", "administrator", "root", "azure_superuser", "azure_pg_admin", "guest", "public", "sa"], var.administrator_login)
    error_message = "The administrator_login must be a lowercase name of at most 32 characters and not one Azure reserves (admin, administrator, root, azure_superuser, guest, public, sa)."
  }
}

variable "administrator_password" {
  description = "Password of the server administrator. Azure requires one for a server created with password authentication; pass it as TF_VAR_mysql_admin_password, never in a file."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.administrator_password) >= 8 && length(var.administrator_password) <= 128
    error_message = "The administrator_password must be 8-128 characters (Azure also wants three of: upper case, lower case, digits, symbols). Set TF_VAR_mysql_admin_password."
  }
}

variable "deletion_protection" {
  description = "Put a CanNotDelete management lock on the server (and its replica)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every taggable resource; an environment tag is always added."
  type        = map(string)
  default     = {}
}

variable "create" {
  description = "Create the Filestore instance (every profile but single, where one host has nothing to share); false creates nothing."
  type        = bool
  default     = true
}

variable "environment" {
  description = "Environment name: the instance is <environment>-shared."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.environment))
    error_message = "The environment must be 2-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "project_id" {
  description = "Project to create the instance in; empty uses the provider's project."
  type        = string
  default     = ""
}

variable "zone" {
  description = "Zone of the instance (Basic tiers are zonal): the zone of the first app host."
  type        = string
}

variable "tier" {
  description = "Filestore service tier: BASIC_HDD (1 TiB at least) or BASIC_SSD (2.5 TiB at least)."
  type        = string
  default     = "BASIC_HDD"

  validation {
    condition     = contains(["BASIC_HDD", "BASIC_SSD"], var.tier)
    error_message = "The tier must be BASIC_HDD or BASIC_SSD."
  }
}

variable "share_name" {
  description = "Name of the file share, the path hosts mount (/<share_name>): 16 characters at most."
  type        = string
  default     = "openedx"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.share_name))
    error_message = "The share_name must be 1-16 lowercase letters, digits or underscores, starting with a letter."
  }
}

variable "capacity_gb" {
  description = "Capacity of the file share in GiB: at least 1024 for BASIC_HDD, 2560 for BASIC_SSD (the provider's documented minimums)."
  type        = number
  default     = 1024

  validation {
    condition     = var.capacity_gb >= 1024 && floor(var.capacity_gb) == var.capacity_gb
    error_message = "The capacity_gb must be a whole number of GiB, 1024 or more (Filestore's minimum for BASIC_HDD)."
  }
}

variable "network_name" {
  description = "Name of the VPC network the instance is peered with."
  type        = string
}

variable "reserved_ip_range" {
  description = "A /29 outside the network's subnets for the instance's address (DIRECT_PEERING)."
  type        = string

  validation {
    condition     = can(cidrhost(var.reserved_ip_range, 0)) && can(regex("/29$", var.reserved_ip_range))
    error_message = "The reserved_ip_range must be an IPv4 /29 block such as 10.40.144.0/29."
  }
}

variable "client_cidrs" {
  description = "Ranges that may mount the share: the app and worker subnets."
  type        = list(string)

  validation {
    condition     = length(var.client_cidrs) > 0 && alltrue([for c in var.client_cidrs : can(cidrhost(c, 0))])
    error_message = "The client_cidrs must be one or more IPv4 CIDR blocks."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance while set (the files are data: uploads, course imports)."
  type        = bool
  default     = true
}

variable "kms_key_name" {
  description = "Cloud KMS key for encryption at rest; empty uses Google-managed encryption (data is always encrypted at rest)."
  type        = string
  default     = ""
}

variable "labels" {
  description = "Labels for the instance; must carry `environment`."
  type        = map(string)
  default     = {}
}

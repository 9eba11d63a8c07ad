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
  description = "Zones of the instance: the first holds it, the second its replica (ha)."
  type        = list(string)

  validation {
    condition     = length(var.zones) > 0
    error_message = "Give at least one zone."
  }
}

variable "network_id" {
  description = "VPC network the instance is reachable in (its authorized network)."
  type        = string
}

variable "labels" {
  description = "Labels for every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}

variable "kms_key_name" {
  description = "Cloud KMS key (CMEK) for the instance's data; empty: Google-managed encryption at rest, which is always on."
  type        = string
  default     = ""
}

variable "region" {
  description = "Region of the Memorystore instance."
  type        = string
}

variable "create" {
  description = "Whether to create the Memorystore instance (redis_mode managed); false creates nothing: self-hosted Redis runs on the hosts the stack places."
  type        = bool
  default     = true
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
  description = "Memorystore capacity in GB."
  type        = number
  default     = 1

  validation {
    condition     = var.memory_size_gb >= 1 && var.memory_size_gb <= 300
    error_message = "The memory_size_gb must be between 1 and 300."
  }
}

variable "ha" {
  description = "STANDARD_HA tier: a replica in the second zone with automatic failover."
  type        = bool
  default     = false
}

variable "private_service_access_range" {
  description = "Name of the private service access range (from the network module) Memorystore takes its address from."
  type        = string
  default     = null
}

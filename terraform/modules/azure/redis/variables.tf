variable "create" {
  description = "Whether to create the cache (redis_mode managed); false creates nothing: self-hosted Redis runs on the hosts the stack places."
  type        = bool
  default     = true
}

variable "name" {
  description = "Cache name (also the first label of <name>.redis.cache.windows.net, so globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9]|-[a-z0-9]){0,62}$", var.name))
    error_message = "The name must be 1-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit."
  }
}

variable "environment" {
  description = "Environment name, written to the environment tag."
  type        = string
}

variable "location" {
  description = "Azure region (location) of the cache."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the cache, its private endpoint and DNS zone."
  type        = string
}

variable "sku_name" {
  description = "Azure Cache for Redis tier: Standard (primary + replica) or Premium (zones, more memory). Basic has no replica or SLA and is not offered."
  type        = string
  default     = "Standard"

  validation {
    condition     = contains(["Standard", "Premium"], var.sku_name)
    error_message = "The sku_name must be Standard or Premium."
  }
}

variable "capacity" {
  description = "Cache size within the tier: 0-6 for Standard (C0-C6), 1-5 for Premium (P1-P5)."
  type        = number
  default     = 1

  validation {
    condition     = contains([0, 1, 2, 3, 4, 5, 6], var.capacity)
    error_message = "The capacity must be a whole number from 0 to 6."
  }
}

variable "redis_version" {
  description = "Redis major version Azure Cache for Redis offers; 6 is the only one it still creates."
  type        = string
  default     = "6"

  validation {
    condition     = contains(["6"], var.redis_version)
    error_message = "The redis_version must be \"6\" (Azure Cache for Redis does not offer 7.x; use self-hosted Redis or Azure Managed Redis for that)."
  }
}

variable "zones" {
  description = "Availability zones to spread the Premium cache's nodes over (ignored for Standard)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for z in var.zones : contains(["1", "2", "3"], z)])
    error_message = "Each zone must be \"1\", \"2\" or \"3\"."
  }
}

variable "subnet_id" {
  description = "Subnet the private endpoint of the cache is placed in (the data subnet)."
  type        = string
}

variable "virtual_network_id" {
  description = "VNet the privatelink.redis.cache.windows.net zone is linked to."
  type        = string
}

variable "maxmemory_policy" {
  description = "Eviction policy. volatile-lru evicts only keys with a TTL (the Django cache) and never Celery's queued messages."
  type        = string
  default     = "volatile-lru"

  validation {
    condition     = contains(["volatile-lru", "allkeys-lru", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction", "volatile-lfu", "allkeys-lfu"], var.maxmemory_policy)
    error_message = "The maxmemory_policy must be one of Redis's policies (volatile-lru, allkeys-lru, volatile-random, allkeys-random, volatile-ttl, noeviction, volatile-lfu, allkeys-lfu)."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource; an environment tag is always added."
  type        = map(string)
  default     = {}
}

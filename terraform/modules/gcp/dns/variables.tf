variable "project_id" {
  description = "Project of the managed zone; empty uses the provider's project."
  type        = string
  default     = ""
}

variable "zone_name" {
  description = "DNS name of the public managed zone that holds the domains (such as example.com); empty creates no record."
  type        = string
  default     = ""

  validation {
    condition     = var.zone_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}$", var.zone_name))
    error_message = "The zone_name must be a DNS name such as example.com (lowercase, no trailing dot), or empty."
  }
}

variable "managed_zone" {
  description = "The managed zone's own name in Cloud DNS; empty: zone_name with dots replaced by hyphens (example-com)."
  type        = string
  default     = ""

  validation {
    condition     = var.managed_zone == "" || can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.managed_zone))
    error_message = "The managed_zone must be 1-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "domains" {
  description = "Host names to point at the address (the public domains: LMS, Studio, MFEs, notes, Meilisearch), each in zone_name when it is set."
  type        = list(string)

  validation {
    condition     = length(var.domains) >= 1
    error_message = "Give at least one domain."
  }
}

variable "address" {
  description = "Public IPv4 address the domains resolve to: the load balancer's, or the app host's without one."
  type        = string
}

variable "ttl" {
  description = "Seconds resolvers cache the records."
  type        = number
  default     = 300
}

variable "zone_name" {
  description = "Name of the public Azure DNS zone that holds the domains (its DNS name, such as example.com); empty creates no record."
  type        = string
  default     = ""

  validation {
    condition     = var.zone_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}$", var.zone_name))
    error_message = "The zone_name must be a DNS name such as example.com (lowercase, no trailing dot), or empty."
  }
}

variable "zone_resource_group" {
  description = "Resource group of the zone; empty: the first zone of that name in the subscription."
  type        = string
  default     = ""
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
  description = "Public IPv4 address the domains resolve to (the Application Gateway's)."
  type        = string
}

variable "ttl" {
  description = "Seconds resolvers cache the records."
  type        = number
  default     = 300
}

variable "tags" {
  description = "Tags of the record sets."
  type        = map(string)
  default     = {}
}

variable "zone_name" {
  description = "DNS name of the public Route 53 hosted zone that holds the domains (such as example.com); empty creates no record."
  type        = string
  default     = ""

  validation {
    condition     = var.zone_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}$", var.zone_name))
    error_message = "The zone_name must be a DNS name such as example.com (lowercase, no trailing dot), or empty."
  }
}

variable "domains" {
  description = "Host names to point at the load balancer (the public domains: LMS, Studio, MFEs, notes, Meilisearch), each in zone_name when it is set."
  type        = list(string)

  validation {
    condition     = length(var.domains) >= 1
    error_message = "Give at least one domain."
  }
}

variable "load_balancer_dns_name" {
  description = "DNS name of the load balancer the records alias."
  type        = string
}

variable "load_balancer_zone_id" {
  description = "Route 53 zone ID of the load balancer (aws_lb.zone_id), for the alias."
  type        = string
}

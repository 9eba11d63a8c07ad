variable "create" {
  description = "Whether to create the Front Door profile (the environment file's cdn.enabled); false creates nothing."
  type        = bool
  default     = false
}

variable "name" {
  description = "Environment name: prefix of the Front Door resources' names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "The name must match [a-z][a-z0-9-]{1,30}."
  }
}

variable "resource_group_name" {
  description = "Resource group of the Front Door profile (the environment's)."
  type        = string
}

variable "origin_domain" {
  description = "Public name of the LMS, which serves /static/ and /media/ through the Application Gateway with a certificate browsers trust: the origin Front Door reaches over HTTPS."
  type        = string
}

variable "domain" {
  description = "Custom host name for the CDN (the environment file's cdn.domain), in zone_name, with a certificate Front Door manages; \"\": the endpoint's own *.azurefd.net name."
  type        = string
  default     = ""
}

variable "zone_name" {
  description = "Azure DNS zone that holds `domain`: its validation TXT record and its CNAME go there. Required with `domain`."
  type        = string
  default     = ""
}

variable "zone_resource_group" {
  description = "Resource group of zone_name; \"\" lets Azure search the subscription."
  type        = string
  default     = ""
}

variable "paths" {
  description = "Path patterns Front Door serves from the origin; the endpoint answers 404 to any other path."
  type        = list(string)
  default     = ["/static/*", "/media/*"]

  validation {
    condition     = length(var.paths) > 0 && alltrue([for p in var.paths : can(regex("^/[a-z0-9_-]+/\\*$", p))])
    error_message = "Each path must be a path prefix pattern such as /static/*."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource; must carry the environment tag."
  type        = map(string)
  default     = {}
}

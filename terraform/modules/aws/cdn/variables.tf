variable "create" {
  description = "Whether to create the distribution (the environment file's cdn.enabled); false creates nothing."
  type        = bool
  default     = false
}

variable "name" {
  description = "Environment name: names the distribution's function and comment."
  type        = string
}

variable "origin_domain" {
  description = "Public name of the LMS, which serves /static/ and /media/ through the load balancer with a certificate browsers trust: the distribution's origin, reached over HTTPS."
  type        = string
}

variable "domain" {
  description = "Custom host name for the distribution (the environment file's cdn.domain); \"\": CloudFront's own *.cloudfront.net name and certificate."
  type        = string
  default     = ""
}

variable "route53_zone_id" {
  description = "Hosted zone that holds `domain`: its ACM validation records and its alias record go there. Required with `domain`."
  type        = string
  default     = ""
}

variable "price_class" {
  description = "The edge locations used (and billed): PriceClass_100 (North America, Europe), PriceClass_200 (and most of Asia, Middle East, Africa) or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "The price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "paths" {
  description = "Path prefixes the distribution serves from the origin (each with a trailing slash); any other path answers 404, so the CDN name never serves the LMS's pages."
  type        = list(string)
  default     = ["/static/", "/media/"]

  validation {
    condition     = length(var.paths) > 0 && alltrue([for p in var.paths : can(regex("^/[a-z0-9_-]+/$", p))])
    error_message = "Each path must be one segment of lowercase letters, digits, - or _ between slashes, such as /static/."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource; must carry the environment tag."
  type        = map(string)
  default     = {}
}

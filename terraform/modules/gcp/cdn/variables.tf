variable "create" {
  description = "Whether to create the CDN backend service (the environment file's cdn.enabled, with the load balancer it needs); false creates nothing."
  type        = bool
  default     = false
}

variable "environment" {
  description = "Environment name: prefix of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must match [a-z][a-z0-9-]{1,30}."
  }
}

variable "project_id" {
  description = "Project to create the backend service in; empty uses the provider's project."
  type        = string
  default     = ""
}

variable "domain" {
  description = "The public name the cached files are served on: the LMS's, whose certificate the load balancer already holds (Cloud CDN has no name of its own)."
  type        = string
}

variable "backend_groups" {
  description = "Self links of the instance groups holding the app hosts (the load balancer's backends)."
  type        = list(string)
  default     = []
}

variable "health_check_id" {
  description = "The load balancer's health check of the app hosts (GET /heartbeat)."
  type        = string
  default     = ""
}

variable "default_ttl" {
  description = "Seconds a response without its own Cache-Control or Expires is cached (nginx sends Expires on /static/ and /media/, so this is a fallback)."
  type        = number
  default     = 3600

  validation {
    condition     = var.default_ttl >= 0 && var.default_ttl <= 31536000
    error_message = "The default_ttl must be between 0 and 31536000 seconds (a year)."
  }
}

variable "labels" {
  description = "Labels for the resources that take them; must carry `environment` (a backend service takes none)."
  type        = map(string)
  default     = {}
}

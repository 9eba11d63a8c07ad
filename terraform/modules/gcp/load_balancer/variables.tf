variable "environment" {
  description = "Environment name: prefix of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must match [a-z][a-z0-9-]{1,30}."
  }
}

variable "project_id" {
  description = "Project to create the load balancer in; empty uses the provider's project."
  type        = string
  default     = ""
}

variable "network_id" {
  description = "VPC network of the backends (for the health check firewall rule)."
  type        = string
}

variable "backend_groups" {
  description = "Self links of the instance groups (one per zone) holding the app hosts."
  type        = list(string)

  validation {
    condition     = length(var.backend_groups) > 0
    error_message = "Give at least one backend instance group."
  }
}

variable "backend_tag" {
  description = "Network tag of the app hosts; the health check and proxy ranges may reach them on backend_port."
  type        = string
}

variable "backend_port" {
  description = "Port the app hosts' proxy serves plain HTTP on for the load balancer (the instance groups' named port `http`)."
  type        = number
  default     = 80
}

variable "domains" {
  description = "Host names served (LMS, Studio, MFEs, notes, Meilisearch); the managed certificate covers them all."
  type        = list(string)

  validation {
    condition     = length(var.domains) > 0 && alltrue([for d in var.domains : can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", d))])
    error_message = "Give at least one domain; each must be a lowercase DNS name such as learn.example.com."
  }
}

variable "health_check_host" {
  description = "Host header of the health check requests (the LMS domain, so the proxy routes /heartbeat to the LMS)."
  type        = string
}

variable "health_check_path" {
  description = "Path the health check requests."
  type        = string
  default     = "/heartbeat"
}

variable "tls_mode" {
  description = "cloud: a Google-managed certificate for the domains. provided: the certificate and key read from certificate_file and private_key_file."
  type        = string
  default     = "cloud"

  validation {
    condition     = contains(["cloud", "provided"], var.tls_mode)
    error_message = "The tls_mode of the load balancer must be cloud or provided (acme and self_signed terminate TLS on the hosts)."
  }
}

variable "certificate_file" {
  description = "Path of the PEM certificate chain; only read when tls_mode = provided."
  type        = string
  default     = ""
}

variable "private_key_file" {
  description = "Path of the PEM private key; only read when tls_mode = provided."
  type        = string
  default     = ""
}

variable "backend_timeout_sec" {
  description = "Seconds the load balancer waits for a backend response (course imports and exports take long)."
  type        = number
  default     = 300
}

variable "security_policy" {
  description = "Cloud Armor security policy to attach to the backend service; empty: none."
  type        = string
  default     = ""
}

variable "cdn_backend_service_id" {
  description = "Backend service with Cloud CDN (modules/gcp/cdn) that cdn_paths on cdn_hosts are routed to (needed when cdn_hosts is not empty)."
  type        = string
  default     = ""
}

variable "cdn_hosts" {
  description = "Host names whose cdn_paths go to cdn_backend_service_id (the LMS and Studio, which serve /static/ and /media/); empty: no CDN, every request goes to the app hosts' backend service."
  type        = list(string)
  default     = []
}

variable "cdn_paths" {
  description = "URL map path patterns routed to cdn_backend_service_id."
  type        = list(string)
  default     = ["/static/*", "/media/*"]

  validation {
    condition     = alltrue([for p in var.cdn_paths : can(regex("^/[a-z0-9_-]+/\\*$", p))])
    error_message = "Each cdn_paths entry must be a path prefix pattern such as /static/*."
  }
}

variable "labels" {
  description = "Labels for the resources that take them; must carry `environment`."
  type        = map(string)
  default     = {}
}

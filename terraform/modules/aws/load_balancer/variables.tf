variable "name" {
  description = "Name prefix (the environment name); load balancer names are at most 32 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,27}$", var.name))
    error_message = "The name must be 2-28 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tls_mode" {
  description = "cloud or provided: an ALB terminates TLS with an ACM certificate; acme or self_signed: an NLB passes TCP 80/443 through to nginx on the app hosts, which holds the certificate."
  type        = string

  validation {
    condition     = contains(["acme", "cloud", "provided", "self_signed"], var.tls_mode)
    error_message = "The tls_mode must be acme, cloud, provided or self_signed."
  }
}

variable "domains" {
  description = "Host names served (LMS first: it becomes the certificate's subject, the rest its alternative names)."
  type        = list(string)

  validation {
    condition     = length(var.domains) >= 1
    error_message = "Give at least one domain."
  }
}

variable "certificate_file" {
  description = "PEM file with the certificate followed by its chain (tls_mode = provided)."
  type        = string
  default     = ""
}

variable "private_key_file" {
  description = "PEM file with the certificate's private key (tls_mode = provided)."
  type        = string
  default     = ""
}

variable "route53_zone_id" {
  description = "Hosted zone to write the ACM validation records to (tls_mode = cloud); empty: create them by hand while apply waits."
  type        = string
  default     = ""
}

variable "vpc_id" {
  description = "VPC of the target hosts."
  type        = string
}

variable "subnet_ids" {
  description = "Public subnets in two or more zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "A load balancer needs public subnets in at least two availability zones."
  }
}

variable "security_group_ids" {
  description = "Security groups of the load balancer (80/443 from anywhere, out to the app tier)."
  type        = list(string)
}

variable "target_instance_ids" {
  description = "App host instance IDs to register."
  type        = list(string)
}

variable "health_check_path" {
  description = "Path the health checks request; the app hosts' nginx answers it from the LMS heartbeat."
  type        = string
  default     = "/heartbeat"
}

variable "idle_timeout" {
  description = "Seconds an idle connection stays open (course imports and exports upload large files)."
  type        = number
  default     = 300
}

variable "deletion_protection" {
  description = "Refuse deletion of the load balancer."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}

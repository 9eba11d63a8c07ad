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

variable "region" {
  description = "Region of the subnets, router and Cloud NAT."
  type        = string
}

variable "network_cidr" {
  description = "Address space carved into the tier subnets and the private service access range."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.network_cidr, 0)) && tonumber(split("/", var.network_cidr)[1]) <= 20
    error_message = "The network_cidr must be an IPv4 CIDR block of /20 or larger, e.g. 10.40.0.0/16."
  }
}

variable "ssh_allowed_cidrs" {
  description = "CIDR blocks that may reach port 22 of the app hosts (the only ones that can have a public address); empty: nobody from outside."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_allowed_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "Each ssh_allowed_cidrs entry must be an IPv4 CIDR block other than 0.0.0.0/0."
  }
}

variable "ssh_from_iap" {
  description = "Allow SSH from Google's IAP TCP forwarding range (35.235.240.0/20) to every host, so hosts without a public address can be reached with `gcloud compute ssh --tunnel-through-iap` by principals holding roles/iap.tunnelResourceAccessor."
  type        = bool
  default     = false
}

variable "create_private_service_access" {
  description = "Reserve a range and peer it with Google's service producer network (needed by Cloud SQL private IP and Memorystore)."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for the resources that take them; must carry `environment`."
  type        = map(string)
  default     = {}
}

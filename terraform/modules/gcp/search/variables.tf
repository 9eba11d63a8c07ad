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

variable "zones" {
  description = "Zones to spread the hosts (or the managed instance's standby) over."
  type        = list(string)

  validation {
    condition     = length(var.zones) > 0
    error_message = "Give at least one zone."
  }
}

variable "network_id" {
  description = "VPC network the store is reachable in (firewall rules, private IP)."
  type        = string
}

variable "subnetwork_id" {
  description = "Subnetwork of the self-hosted VMs (the data tier)."
  type        = string
}

variable "client_tags" {
  description = "Network tags of the hosts allowed to connect (the app and worker tiers)."
  type        = list(string)

  validation {
    condition     = length(var.client_tags) > 0
    error_message = "Give at least one client network tag."
  }
}

variable "os_image" {
  description = "Base image of the VMs: debian-12 or ubuntu-24.04."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.os_image)
    error_message = "The os_image must be debian-12 or ubuntu-24.04."
  }
}

variable "ssh_user" {
  description = "SSH user of the VMs."
  type        = string
}

variable "ssh_public_key" {
  description = "OpenSSH public key text for ssh_user."
  type        = string
}

variable "service_account_email" {
  description = "Service account the VMs run as."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the store (VMs or managed instance) from deletion."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}

variable "kms_key_name" {
  description = "Cloud KMS key (CMEK) for the store's disks; empty: Google-managed encryption at rest, which is always on."
  type        = string
  default     = ""
}

variable "engine" {
  description = "Search engine the role installs: meilisearch, elasticsearch or opensearch."
  type        = string
  default     = "meilisearch"

  validation {
    condition     = contains(["meilisearch", "elasticsearch", "opensearch"], var.engine)
    error_message = "The engine must be meilisearch, elasticsearch or opensearch."
  }
}

variable "mode" {
  description = "Only self_hosted: Google has no managed Meilisearch, Elasticsearch or OpenSearch service (see docs/clouds-gcp.md)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = var.mode == "self_hosted"
    error_message = "On GCP the search mode must be self_hosted: Google offers no managed Meilisearch, Elasticsearch or OpenSearch."
  }
}

variable "search_version" {
  description = "Engine version the role installs (a label on the VMs here), e.g. 1.8."
  type        = string
  default     = "1.8"
}

variable "host_count" {
  description = "Number of VMs; 0 when search runs on the app host (single profile). Meilisearch runs on one node; more suit Elasticsearch/OpenSearch clusters."
  type        = number
  default     = 1

  validation {
    condition     = var.host_count >= 0 && floor(var.host_count) == var.host_count
    error_message = "The host_count must be a whole number, 0 or more."
  }
}

variable "machine_type" {
  description = "Compute Engine machine type of the VMs."
  type        = string
  default     = "e2-standard-2"
}

variable "disk_gb" {
  description = "Boot disk size in GB (holds the indexes)."
  type        = number
  default     = 50
}

variable "ssh_host_key" {
  description = "The environment's ed25519 SSH host key (OpenSSH private format) the hosts present; \"\" leaves the image's own keys."
  type        = string
  default     = ""
  sensitive   = true
}

variable "ssh_host_public_key" {
  description = "Public half of ssh_host_key (ssh-ed25519 ...)."
  type        = string
  default     = ""
}

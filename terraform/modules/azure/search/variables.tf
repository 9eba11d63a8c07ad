variable "name" {
  description = "Name prefix of the search hosts (<name>-1, ...)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}$", var.name))
    error_message = "The name must start with a lowercase letter and hold 2-51 lowercase letters, digits or hyphens."
  }
}

variable "engine" {
  description = "Search engine the hosts run: meilisearch, elasticsearch or opensearch."
  type        = string
  default     = "meilisearch"

  validation {
    condition     = contains(["meilisearch", "elasticsearch", "opensearch"], var.engine)
    error_message = "The engine must be meilisearch, elasticsearch or opensearch."
  }
}

variable "mode" {
  description = "Only self_hosted: Azure has no managed Meilisearch or OpenSearch, and Elastic Cloud on Azure is a partner service outside this toolkit."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = var.mode == "self_hosted"
    error_message = "On Azure the search mode must be self_hosted (no managed Meilisearch/OpenSearch; Elastic on Azure is a separate partner offering)."
  }
}

variable "host_count" {
  description = "Number of search VMs (Meilisearch runs one node; Elasticsearch/OpenSearch clusters want 3)."
  type        = number
  default     = 1

  validation {
    condition     = var.host_count >= 0 && var.host_count <= 9 && floor(var.host_count) == var.host_count
    error_message = "The host_count must be a whole number from 0 to 9."
  }
}

variable "machine_type" {
  description = "VM size of the search hosts."
  type        = string
  default     = "Standard_E2s_v5"
}

variable "disk_gb" {
  description = "OS disk size (holds the index) in GB."
  type        = number
  default     = 50
}

variable "location" {
  description = "Azure region (location)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the hosts."
  type        = string
}

variable "zones" {
  description = "Availability zones the hosts are spread over."
  type        = list(string)
  default     = []
}

variable "subnet_id" {
  description = "Data subnet the hosts join."
  type        = string
}

variable "os_image" {
  description = "Base image: debian-12 or ubuntu-24.04."
  type        = string
  default     = "debian-12"
}

variable "ssh_user" {
  description = "Administrator user of the hosts."
  type        = string
  default     = "openedx"
}

variable "ssh_public_key" {
  description = "OpenSSH public key of ssh_user."
  type        = string
}

variable "encryption_at_host" {
  description = "Encryption at host for the VMs."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every taggable resource; must carry the environment tag."
  type        = map(string)
  default     = {}
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

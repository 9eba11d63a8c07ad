variable "name" {
  description = "Name prefix of every network resource (the environment name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "The name must start with a lowercase letter and hold 2-31 lowercase letters, digits or hyphens."
  }
}

variable "location" {
  description = "Azure region (location) of the virtual network."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the network."
  type        = string
}

variable "address_space" {
  description = "CIDR of the virtual network; cut into /24 tier subnets, so it must be a /16 to /21."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.address_space, 0)) && tonumber(split("/", var.address_space)[1]) >= 16 && tonumber(split("/", var.address_space)[1]) <= 21
    error_message = "The address_space must be an IPv4 CIDR with a prefix length from /16 to /21 (room for the eight /24 tier subnets)."
  }
}

variable "ssh_allowed_cidrs" {
  description = "CIDRs allowed to reach port 22 of the bastion from outside the VNet (the other hosts accept SSH from the bastion); empty means nobody from outside."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_allowed_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "Each ssh_allowed_cidrs entry must be an IPv4 CIDR, and 0.0.0.0/0 (the whole internet) is not allowed."
  }
}

variable "data_ports" {
  description = "TCP ports of the data stores (MySQL, MongoDB, Redis with and without TLS, Meilisearch, Elasticsearch/OpenSearch) that the app and worker subnets may reach in the data subnet."
  type        = list(number)
  default     = [3306, 27017, 6379, 6380, 7700, 9200]

  validation {
    condition     = alltrue([for p in var.data_ports : p >= 1 && p <= 65535 && floor(p) == p])
    error_message = "Each data_ports entry must be a whole number from 1 to 65535."
  }
}

variable "create_mysql_subnet" {
  description = "Create the subnet delegated to Microsoft.DBforMySQL/flexibleServers (needed by a managed MySQL server)."
  type        = bool
  default     = true
}

variable "create_nat_gateway" {
  description = "Give the host subnets outbound internet access through a NAT gateway (package and image downloads) instead of per-host public IPs."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every taggable resource; an environment tag is always added."
  type        = map(string)
  default     = {}
}

variable "environment" {
  description = "Environment name: prefix of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must match [a-z][a-z0-9-]{1,30}."
  }
}

variable "project_id" {
  description = "Project to create the instances in; empty uses the provider's project."
  type        = string
  default     = ""
}

variable "role" {
  description = "What the hosts run (app, worker, bastion, or the name of a self-hosted data store); part of their names, their network tag and a label. The stack decides the roles: this module knows none of them."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,11}$", var.role))
    error_message = "The role must be a lowercase name of at most 12 characters (it is part of resource names limited to 63): a letter, then letters, digits or hyphens."
  }
}

variable "instance_count" {
  description = "Number of hosts; they are spread round-robin over `zones`."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 0 && floor(var.instance_count) == var.instance_count
    error_message = "The instance_count must be a whole number, 0 or more."
  }
}

variable "machine_type" {
  description = "Compute Engine machine type, e.g. e2-standard-4."
  type        = string
  default     = "e2-standard-2"
}

variable "disk_gb" {
  description = "Boot disk size in GB."
  type        = number
  default     = 40

  validation {
    condition     = var.disk_gb >= 10
    error_message = "The disk_gb must be at least 10."
  }
}

variable "disk_type" {
  description = "Boot disk type: pd-balanced, pd-ssd or pd-standard."
  type        = string
  default     = "pd-balanced"

  validation {
    condition     = contains(["pd-balanced", "pd-ssd", "pd-standard"], var.disk_type)
    error_message = "The disk_type must be pd-balanced, pd-ssd or pd-standard."
  }
}

variable "zones" {
  description = "Zones to spread the hosts over (at least one)."
  type        = list(string)

  validation {
    condition     = length(var.zones) > 0
    error_message = "Give at least one zone."
  }
}

variable "subnetwork_id" {
  description = "Subnetwork the hosts' interface is attached to."
  type        = string
}

variable "os_image" {
  description = "Base image: debian-12 or ubuntu-24.04."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.os_image)
    error_message = "The os_image must be debian-12 or ubuntu-24.04."
  }
}

variable "ssh_user" {
  description = "User the guest environment creates from the ssh-keys metadata (with sudo)."
  type        = string

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_user))
    error_message = "The ssh_user must be a lowercase POSIX user name of at most 32 characters."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key text for ssh_user."
  type        = string

  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) ", trimspace(var.ssh_public_key)))
    error_message = "The ssh_public_key must be an OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-*)."
  }
}

variable "service_account_email" {
  description = "Service account the hosts run as (the environment's least-privilege account)."
  type        = string
}

variable "service_account_scopes" {
  description = "OAuth scopes of the service account on the hosts: cloud-platform leaves access to its IAM grants; [] gives the hosts no API access (the bastion)."
  type        = list(string)
  default     = ["cloud-platform"]
}

variable "network_tags" {
  description = "Network tags the firewall rules select on, e.g. [\"demo-app\"]."
  type        = list(string)
  default     = []
}

variable "assign_public_ip" {
  description = "Give each host an ephemeral public address (only for app hosts that serve as SSH entry or TLS endpoint)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to delete the instances (set it for hosts that keep data)."
  type        = bool
  default     = false
}

variable "kms_key_self_link" {
  description = "Cloud KMS key for the boot disks (CMEK); empty: Google-managed encryption, which encrypts every disk at rest too."
  type        = string
  default     = ""
}

variable "create_instance_group" {
  description = "Put the hosts in one unmanaged instance group per zone, as load balancer backends."
  type        = bool
  default     = false
}

variable "http_port" {
  description = "Port the named port `http` of the instance groups points at."
  type        = number
  default     = 80
}

variable "labels" {
  description = "Labels for every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}

variable "public_ports" {
  description = "TCP ports opened to the internet on these hosts (e.g. [80, 443] when app hosts terminate TLS themselves, without a load balancer); needs network_id."
  type        = list(number)
  default     = []
}

variable "network_id" {
  description = "VPC network of the hosts; only needed for public_ports and client_ports."
  type        = string
  default     = ""
}

variable "ssh_host_key" {
  description = "The environment's ed25519 SSH host key (OpenSSH private format) every host presents, pinned in the inventory's known_hosts; \"\" leaves the image's own keys."
  type        = string
  default     = ""
  sensitive   = true
}

variable "ssh_host_public_key" {
  description = "Public half of ssh_host_key (ssh-ed25519 ...)."
  type        = string
  default     = ""

  validation {
    condition     = var.ssh_host_public_key == "" || can(regex("^ssh-ed25519 ", var.ssh_host_public_key))
    error_message = "The ssh_host_public_key must be an ssh-ed25519 public key line, or \"\"."
  }
}

variable "client_ports" {
  description = "TCP ports these hosts serve to the hosts tagged client_tags (a data store's port); empty: no such rule. Needs network_id."
  type        = list(number)
  default     = []
}

variable "client_tags" {
  description = "Network tags of the hosts allowed to reach client_ports (the app and worker tiers)."
  type        = list(string)
  default     = []
}

variable "peers_are_clients" {
  description = "Whether these hosts reach each other on client_ports too (MySQL replication, a MongoDB replica set)."
  type        = bool
  default     = false
}

variable "peer_ports" {
  description = "TCP ports these hosts open to each other only, when there are two or more (an Elasticsearch or OpenSearch cluster's transport port)."
  type        = list(number)
  default     = []
}

variable "private_addresses" {
  description = "Private address of each host by index, where it must not change when the host is replaced (the bastion: the other hosts' firewalls admit SSH from its address only); hosts beyond the list get one from the cloud."
  type        = list(string)
  default     = []
}

variable "name" {
  description = "Name prefix of the hosts, e.g. demo-app; hosts are named <name>-1, <name>-2, ..."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}$", var.name))
    error_message = "The name must start with a lowercase letter and hold 2-51 lowercase letters, digits or hyphens."
  }
}

variable "role" {
  description = "What the hosts run (app, worker, bastion, or the name of a self-hosted data store); written to the role tag. The stack decides the roles: this module knows none of them."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,11}$", var.role))
    error_message = "The role must be a lowercase name of at most 12 characters: a letter, then letters, digits or hyphens."
  }
}

variable "host_count" {
  description = "Number of virtual machines."
  type        = number
  default     = 1

  validation {
    condition     = var.host_count >= 0 && var.host_count <= 20 && floor(var.host_count) == var.host_count
    error_message = "The host_count must be a whole number from 0 to 20."
  }
}

variable "location" {
  description = "Azure region (location) of the hosts."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group that holds the hosts."
  type        = string
}

variable "zones" {
  description = "Availability zones (\"1\", \"2\", \"3\") the hosts are spread over round-robin; empty places them without a zone (regions without zones)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for z in var.zones : contains(["1", "2", "3"], z)])
    error_message = "Each zone must be \"1\", \"2\" or \"3\" (Azure availability zone numbers)."
  }
}

variable "subnet_id" {
  description = "Subnet the hosts' network interfaces join."
  type        = string
}

variable "size" {
  description = "Azure VM size, e.g. Standard_D4s_v5; null when host_count is 0 (a caller with no hosts may hold a managed-service SKU, not a VM size)."
  type        = string

  validation {
    condition     = var.size == null || can(regex("^(Standard|Basic)_[A-Za-z0-9_]+$", var.size))
    error_message = "The size must be an Azure VM size name such as Standard_D4s_v5 (null only with host_count = 0)."
  }
}

variable "os_disk_gb" {
  description = "Size of the OS disk in GB; data-store hosts keep their data on it too."
  type        = number
  default     = 40

  validation {
    condition     = var.os_disk_gb >= 30 && var.os_disk_gb <= 4095
    error_message = "The os_disk_gb must be from 30 (smallest image) to 4095 GB."
  }
}

variable "os_disk_type" {
  description = "Managed disk type of the OS disk."
  type        = string
  default     = "Premium_LRS"

  validation {
    condition     = contains(["Standard_LRS", "StandardSSD_LRS", "StandardSSD_ZRS", "Premium_LRS", "Premium_ZRS"], var.os_disk_type)
    error_message = "The os_disk_type must be one of Standard_LRS, StandardSSD_LRS, StandardSSD_ZRS, Premium_LRS, Premium_ZRS."
  }
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
  description = "Administrator user created on the hosts; only key authentication is enabled for it."
  type        = string

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_user)) && !contains(["admin", "administrator", "root", "guest", "user", "test", "adm", "sys", "daemon", "bin"], var.ssh_user)
    error_message = "The ssh_user must be a lowercase POSIX user name of at most 32 characters and not one Azure reserves (admin, administrator, root, guest, user, test, adm, sys, daemon, bin)."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key text installed for ssh_user (Azure accepts RSA and Ed25519 keys)."
  type        = string

  validation {
    condition     = can(regex("^(ssh-rsa|ssh-ed25519) ", var.ssh_public_key))
    error_message = "The ssh_public_key must be an OpenSSH public key starting with ssh-rsa or ssh-ed25519."
  }
}

variable "public_ip" {
  description = "Give each host a static public address (for SSH from ssh_allowed_cidrs only; web traffic arrives through the load balancer)."
  type        = bool
  default     = false
}

variable "identity_ids" {
  description = "User-assigned managed identities attached to the hosts (e.g. the one allowed to use the storage account)."
  type        = list(string)
  default     = []
}

variable "encryption_at_host" {
  description = "Encrypt temp disks and disk caches on the VM host too; the subscription needs the Microsoft.Compute/EncryptionAtHost feature registered."
  type        = bool
  default     = true
}

variable "trusted_launch" {
  description = "Boot with Secure Boot and a virtual TPM (Azure Trusted Launch); both base images are Gen2 images that support it."
  type        = bool
  default     = true
}

variable "attach_to_application_gateway" {
  description = "Add each host's network interface to the Application Gateway backend pool given in application_gateway_backend_pool_id."
  type        = bool
  default     = false
}

variable "application_gateway_backend_pool_id" {
  description = "ID of the Application Gateway backend address pool the hosts join when attach_to_application_gateway is true."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags merged into every taggable resource; must carry the environment tag."
  type        = map(string)
  default     = {}

  validation {
    condition     = contains(keys(var.tags), "environment")
    error_message = "The tags must include an environment key."
  }
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

variable "private_addresses" {
  description = "Private address of each host by index, where it must not change when the host is replaced (the bastion: the other hosts' firewalls admit SSH from its address only); hosts beyond the list get one from the cloud."
  type        = list(string)
  default     = []
}

variable "name" {
  description = "Name prefix of the hosts; host i is named <name>-<i+1>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}$", var.name))
    error_message = "The name must be 2-51 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tier" {
  description = "Tier the hosts serve (tagged, and used in names): app, worker, bastion, or the name of a self-hosted data store. The stack decides the tiers: this module knows none of them."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,11}$", var.tier))
    error_message = "The tier must be a lowercase name of at most 12 characters: a letter, then letters, digits or hyphens."
  }
}

variable "instance_count" {
  description = "Number of hosts; 0 creates nothing."
  type        = number

  validation {
    condition     = var.instance_count >= 0 && floor(var.instance_count) == var.instance_count
    error_message = "The instance_count must be a whole number, 0 or more."
  }
}

variable "instance_type" {
  description = "EC2 instance type, such as m6i.large."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "The instance_type must be an EC2 instance type such as m6i.large (not an RDS db.* class)."
  }
}

variable "disk_gb" {
  description = "Size of the encrypted gp3 root volume, in GiB."
  type        = number
  default     = 40

  validation {
    condition     = var.disk_gb >= 8
    error_message = "The disk_gb must be at least 8."
  }
}

variable "os_image" {
  description = "Operating system: debian-12 or ubuntu-24.04 (latest official amd64 AMI of that release)."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.os_image)
    error_message = "The os_image must be debian-12 or ubuntu-24.04."
  }
}

variable "subnet_ids" {
  description = "Subnets to place the hosts in, round-robin (one per zone spreads hosts over zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "Give at least one subnet ID."
  }
}

variable "security_group_ids" {
  description = "Security groups attached to every host."
  type        = list(string)
}

variable "associate_public_ip" {
  description = "Give each host a public address (only for a bastion in a public subnet)."
  type        = bool
  default     = false
}

variable "ssh_user" {
  description = "User cloud-init creates, with passwordless sudo and the public key."
  type        = string
}

variable "ssh_public_key" {
  description = "OpenSSH public key authorised for ssh_user."
  type        = string
}

variable "create_instance_profile" {
  description = "Create an IAM role and instance profile allowing object access to bucket_arns only."
  type        = bool
  default     = false
}

variable "bucket_arns" {
  description = "S3 bucket ARNs the created role may read and write objects in."
  type        = list(string)
  default     = []
}

variable "kms_key_arns" {
  description = "KMS key ARNs the created role may use to encrypt and decrypt objects in those buckets, and nothing else."
  type        = list(string)
  default     = []
}

variable "instance_profile_name" {
  description = "Existing instance profile to attach when create_instance_profile is false; null attaches none."
  type        = string
  default     = null
}

variable "ebs_kms_key_arn" {
  description = "KMS key ARN for the root volumes; null uses the account's default EBS key."
  type        = string
  default     = null
}

variable "termination_protection" {
  description = "Refuse API termination of the hosts (for data-store hosts when deletion protection is on)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
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

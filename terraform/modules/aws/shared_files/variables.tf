variable "create" {
  description = "Create the file system (every profile but single, where one host has nothing to share); false creates nothing."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name prefix (the environment name): the file system is <name>-shared, its security group <name>-shared-files."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "The name must be 2-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the hosts; the mount targets' security group is created in it."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the app and worker tiers, one per zone: a mount target in each."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups that may mount the file system (NFS, 2049), by tier: { app = sg-..., worker = sg-... }."
  type        = map(string)

  validation {
    condition     = length(var.client_security_group_ids) > 0
    error_message = "The client_security_group_ids must name at least one security group (the app tier's)."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN the file system is encrypted at rest with; null uses the AWS-managed key (aws/elasticfilesystem)."
  type        = string
  default     = null
}

variable "transition_to_ia_days" {
  description = "Days without access after which a file moves to EFS Infrequent Access (back on its first read): 1, 7, 14, 30, 60, 90, 180, 270 or 365; 0 keeps every file in Standard."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 7, 14, 30, 60, 90, 180, 270, 365], var.transition_to_ia_days)
    error_message = "The transition_to_ia_days must be 0 or one of EFS's periods: 1, 7, 14, 30, 60, 90, 180, 270, 365."
  }
}

variable "backup" {
  description = "Automatic daily backups by AWS Backup (kept 35 days in the default vault)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}

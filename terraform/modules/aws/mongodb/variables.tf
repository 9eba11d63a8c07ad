variable "create" {
  description = "Create the Amazon DocumentDB cluster (mongodb_mode = managed); false creates nothing."
  type        = bool
  default     = true
}

variable "name" {
  description = "Identifier prefix (the environment name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}$", var.name))
    error_message = "The name must be 2-51 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "engine_version" {
  description = "DocumentDB engine version (MongoDB API compatibility level), such as 5.0.0."
  type        = string
  default     = "5.0.0"

  validation {
    condition     = contains(["4.0.0", "5.0.0", "8.0.0"], var.engine_version)
    error_message = "The engine_version must be 4.0.0, 5.0.0 or 8.0.0."
  }
}

variable "instance_class" {
  description = "DocumentDB instance class, such as db.r6g.large."
  type        = string
  default     = "db.r6g.large"

  validation {
    condition     = can(regex("^db\\.", var.instance_class))
    error_message = "The instance_class must be a DocumentDB class starting with db., such as db.r6g.large."
  }
}

variable "instance_count" {
  description = "Instances in the cluster: one primary plus replicas spread over zones (3 for HA)."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 16
    error_message = "The instance_count must be between 1 and 16."
  }
}

variable "backup_retention_days" {
  description = "Days of continuous backups."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "The backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse deletion, and take a final snapshot when destroyed anyway."
  type        = bool
  default     = true
}

variable "admin_username" {
  description = "Master user name (DocumentDB generates the password and keeps it in Secrets Manager)."
  type        = string
  default     = "openedxadmin"
}

variable "subnet_ids" {
  description = "Private data subnets, in at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "DocumentDB needs subnets in at least two availability zones."
  }
}

variable "security_group_ids" {
  description = "Security groups of the cluster (the mongodb group: port 27017 from app and worker only)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key ARN for storage encryption; null uses the AWS-managed key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}

variable "create" {
  description = "Create the RDS instance (mysql_mode = managed); false creates nothing."
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
  description = "MySQL major.minor version (RDS picks the newest minor release of it), such as 8.4."
  type        = string
  default     = "8.4"

  validation {
    condition     = can(regex("^8\\.[0-9]+$", var.engine_version))
    error_message = "The engine_version must be a MySQL 8 major.minor version such as 8.4."
  }
}

variable "instance_class" {
  description = "RDS instance class, such as db.m6g.large."
  type        = string
  default     = "db.m6g.large"

  validation {
    condition     = can(regex("^db\\.", var.instance_class))
    error_message = "The instance_class must be an RDS class starting with db., such as db.m6g.large."
  }
}

variable "allocated_storage_gb" {
  description = "Initial gp3 storage in GiB; storage autoscaling may grow it up to 4x."
  type        = number
  default     = 100

  validation {
    condition     = var.allocated_storage_gb >= 20
    error_message = "The allocated_storage_gb must be at least 20."
  }
}

variable "multi_az" {
  description = "Keep a synchronous standby in another zone with automatic failover."
  type        = bool
  default     = false
}

variable "read_replica" {
  description = "Create one asynchronous read replica."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "The backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse deletion, and take a final snapshot when the instance is destroyed anyway."
  type        = bool
  default     = true
}

variable "admin_username" {
  description = "Master user name."
  type        = string
  default     = "admin"
}

variable "admin_password" {
  description = "Master password; empty lets RDS generate and rotate it in Secrets Manager."
  type        = string
  default     = ""
  sensitive   = true
}

variable "subnet_ids" {
  description = "Private data subnets, in at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS needs subnets in at least two availability zones."
  }
}

variable "security_group_ids" {
  description = "Security groups of the instance (the mysql group: port 3306 from app and worker only)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key ARN for storage, Performance Insights and the managed master secret; null uses the AWS-managed keys."
  type        = string
  default     = null
}

variable "require_tls" {
  description = "Set require_secure_transport so clients must connect over TLS."
  type        = bool
  default     = true
}

variable "performance_insights" {
  description = "Enable Performance Insights (not offered on the smallest burstable classes)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}
